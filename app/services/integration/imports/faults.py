"""A row's faults and the import's report: every fault of a row, in both languages,
naming the column as headed in the file and echoing the value found there.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from typing import Any

from app.errors import DangjianError, ErrorCode
from app.i18n import Language, Text, localized_detail, validation_message


@dataclass(frozen=True)
class Fault:
    """One thing wrong with a row: the field (the import's column key), the stable code,
    the message in both languages, and the cell's text when there is one."""

    field: str
    code: ErrorCode
    message: Text
    value: str | None = None


class RowError(Exception):
    """A row refused, with all its faults."""

    def __init__(self, *faults: Fault) -> None:
        super().__init__("; ".join(f"{f.field}: {f.message.en}" for f in faults))
        self.faults = list(faults)

    @classmethod
    def one(
        cls, field_name: str, code: ErrorCode, zh: str, en: str, value: str | None = None
    ) -> RowError:
        return cls(Fault(field_name, code, Text(zh=zh, en=en), value))


# The import's column for each API field whose name differs.
COLUMN_OF_FIELD = {"org_id": "org_code", "group_id": "group_code", "parent_id": "parent_code"}


def service_fault(exc: DangjianError, column: str = "", value: str | None = None) -> Fault:
    """A service's refusal as a row's fault: its field as the import's column (or
    `column`), the catalogue's Chinese and the raise site's English."""
    field_name = column
    if exc.errors:
        named = str(exc.errors[0]["field"])
        field_name = COLUMN_OF_FIELD.get(named, named)
    message = Text(
        zh=localized_detail(exc.detail, exc.code, "zh"),
        en=localized_detail(exc.detail, exc.code, "en"),
    )
    return Fault(field_name, exc.code, message, value)


def service_faults(exc: DangjianError, raw: dict[str, str], column: str = "") -> list[Fault]:
    """Every field a service refused at once (`errors`), each with the cell found there:
    the first with the raise site's detail, the others with their catalogue messages."""
    first = service_fault(exc, column)
    faults = [replace(first, value=raw.get(first.field) or None)]
    for error in (exc.errors or [])[1:]:
        named = str(error["field"])
        field_name = COLUMN_OF_FIELD.get(named, named)
        code = ErrorCode.known(error["code"]) or exc.code
        message = Text(zh=code.zh, en=code.en)
        faults.append(Fault(field_name, code, message, raw.get(field_name) or None))
    return faults


def validation_faults(errors: list[Any], raw: dict[str, str]) -> list[Fault]:
    """Every refusal of the API's input model (pydantic errors), in both languages."""
    faults = []
    for error in errors:
        named = str(error["loc"][0]) if error["loc"] else ""
        column = COLUMN_OF_FIELD.get(named, named)
        message = Text(zh=validation_message(error, "zh"), en=validation_message(error, "en"))
        faults.append(Fault(column, ErrorCode.import_value_invalid, message, raw.get(column)))
    return faults


@dataclass
class Report:
    """What an import did; `headers` maps a field to its column's heading in the file."""

    total_rows: int = 0
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    headers: dict[str, str] = field(default_factory=dict)
    rejected: list[dict[str, Any]] = field(default_factory=list)

    def keep_nothing(self) -> None:
        """An atomic import with a refused row: nothing it would have created or updated
        is kept (the rows it found unchanged still count as such)."""
        self.created = self.updated = 0

    def reject(self, row: int, error: RowError) -> None:
        """One entry per fault, stored with both languages (the reader picks one)."""
        for fault in error.faults:
            self.rejected.append(
                {
                    "row": row,
                    "column": self.headers.get(fault.field, fault.field),
                    "field": fault.field,
                    "code": fault.code,
                    "message": {"zh": fault.message.zh, "en": fault.message.en},
                    "value": fault.value or None,  # an empty cell echoes as null
                }
            )


def merge_reports(into: Report, batch: Report) -> None:
    """Add one batch's report to its import's (the counts, and the refused rows)."""
    into.created += batch.created
    into.updated += batch.updated
    into.unchanged += batch.unchanged
    into.rejected.extend(batch.rejected)


def localized_rejections(rejected: list[dict[str, Any]], lang: Language) -> list[dict[str, Any]]:
    """A job's stored row faults with the message in `lang` (jobs stored before the
    messages were bilingual keep their one message)."""
    shown = []
    for entry in rejected:
        message = entry.get("message")
        if isinstance(message, dict):
            message = message.get(lang) or message.get("zh", "")
        shown.append(
            {
                "row": entry["row"],
                "column": entry["column"],
                "field": entry.get("field", entry["column"]),
                "code": entry["code"],
                "message": message,
                "value": entry.get("value"),
            }
        )
    return shown
