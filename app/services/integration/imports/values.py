"""A cell's text as a field's value, the way people fill spreadsheets: dates written
2007-07-01, 2007/7/1, 2007年7月1日 or 2007.07.01 (or stored as Excel dates), ID numbers
stored as Excel numbers, enum columns as Chinese labels or codes (an XLSX date column
not formatted as dates holds Excel day serials: read as those dates). Every fault of a row
is collected, each naming its column and echoing the cell.
"""

from __future__ import annotations

import re
import uuid
from datetime import date
from enum import StrEnum
from typing import Any

from app.errors import ErrorCode
from app.i18n import Text
from app.models.enums import LABELS, MemberCategory, MemberStatus, OrgType
from app.services.integration.imports.faults import Fault, RowError

DATE_FIELDS = {
    "applied_on",
    "activist_on",
    "candidate_on",
    "joined_on",
    "full_on",
    "founded_on",
    "term_started_on",
}
INT_FIELDS = {"dues_base_fen", "unit_category", "unit_count"}

# The enum behind each enum column: its Chinese labels (app.models.enums.LABELS) and
# its codes are both accepted; exports write the labels unless asked for codes.
ENUM_FIELDS: dict[str, type[StrEnum]] = {
    "status": MemberStatus,
    "category": MemberCategory,
    "type": OrgType,
}
_UNKNOWN_CODE = {
    "status": ErrorCode.import_status_unknown,
    "category": ErrorCode.import_category_unknown,
    "type": ErrorCode.import_value_invalid,
}

_TIME = r"(?:[ T]\d{1,2}:\d{2}(?::\d{2}(?:\.\d+)?)?)?"
_DATE_FORMS = [
    re.compile(rf"(\d{{4}})-(\d{{1,2}})-(\d{{1,2}}){_TIME}"),
    re.compile(rf"(\d{{4}})/(\d{{1,2}})/(\d{{1,2}}){_TIME}"),
    re.compile(rf"(\d{{4}})\.(\d{{1,2}})\.(\d{{1,2}}){_TIME}"),
    re.compile(r"(\d{4})\s*年\s*(\d{1,2})\s*月\s*(\d{1,2})\s*日"),
]
DATE_FORMS_ZH = "2007-07-01、2007/7/1、2007.07.01 或 2007年7月1日"
DATE_FORMS_EN = "2007-07-01, 2007/7/1, 2007.07.01 or year-month-day in Chinese"


def parse_date(text: str) -> date:
    """The one date reading of the import, for every date column (ValueError if none).
    An XLSX date cell arrives as its ISO text (`read_table`)."""
    for form in _DATE_FORMS:
        found = form.fullmatch(text.strip())
        if found:
            year, month, day = (int(part) for part in found.groups())
            return date(year, month, day)
    raise ValueError(text)


# Excel keeps 15 significant digits of a number: larger integers stored as numbers
# (an 18-digit ID number) are rounded. Floats at or past 2**53 cannot be exact either.
_EXACT_FLOAT_LIMIT = 2**53
_NUMBER = re.compile(r"[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?")


def id_number_text(text: str) -> str:
    """An ID number cell's digits. A number cell whose value was rounded (shown as
    1.10105199001011e+17, or a float past what a number keeps exactly) is refused with
    the hint to format the column as text; an exact one (a 15-digit legacy number) is
    read as its digits."""
    stripped = text.strip()
    if stripped.isdigit() or not _NUMBER.fullmatch(stripped) or stripped[-1:] in "xX":
        return stripped
    value = float(stripped)
    if value.is_integer() and abs(value) < _EXACT_FLOAT_LIMIT and "e" not in stripped.lower():
        return str(int(value))
    raise RowError.one(
        "id_number",
        ErrorCode.import_id_number_precision_lost,
        "身份证号码被 Excel 存成了数字，末几位已丢失；请把该列设置为“文本”格式后重新填写",
        "the ID number was stored as an Excel number and lost its last digits; "
        "format the column as text and enter it again",
        text,
    )


def enum_value(key: str, text: str) -> str:
    """An enum column's code from a Chinese label or the code itself."""
    enum = ENUM_FIELDS[key]
    labels = LABELS[enum]
    by_label = {label: code for code, label in labels.items()}
    if text in by_label:
        return by_label[text]
    if text in labels:
        return text
    raise RowError.one(
        key,
        _UNKNOWN_CODE[key],
        # Each choice quoted: a label may hold 、 itself (依靠抚恤、救济或低保生活).
        f"“{text}”不是可选值，应为：{'、'.join(f'“{label}”' for label in labels.values())}",
        f"{text!r} is not one of: {', '.join(labels.values())} (or {', '.join(labels)})",
        text,
    )


def convert_cell(key: str, raw: str) -> Any:
    """One cell's value for its field (None when empty); RowError when it cannot be."""
    if raw == "":
        return None
    if key in ENUM_FIELDS:
        return enum_value(key, raw)
    if key == "id_number":
        return id_number_text(raw)
    if key in DATE_FIELDS:
        try:
            return parse_date(raw)
        except ValueError as exc:
            raise RowError.one(
                key,
                ErrorCode.import_date_invalid,
                f"不是有效日期，可写作 {DATE_FORMS_ZH}",
                f"not a valid date; write {DATE_FORMS_EN}",
                raw,
            ) from exc
    if key == "id":
        try:
            return uuid.UUID(raw)
        except ValueError as exc:
            raise RowError.one(
                key,
                ErrorCode.import_value_invalid,
                "应为导出文件中的系统编号",
                "an id from an export",
                raw,
            ) from exc
    if key in INT_FIELDS:
        try:
            number = float(raw)
        except ValueError:
            number = float("nan")
        if not number.is_integer():
            raise RowError.one(
                key, ErrorCode.import_number_invalid, "应填写整数", "a whole number", raw
            )
        return int(number)
    return raw


def convert_row(
    raw: dict[str, str], required: tuple[str, ...]
) -> tuple[dict[str, Any], list[Fault]]:
    """Every cell converted, and every fault found: missing required values and cells
    that cannot be read (each fault names its field and echoes the cell)."""
    values: dict[str, Any] = {}
    faults: list[Fault] = []
    for key, text in raw.items():
        try:
            values[key] = convert_cell(key, text)
        except RowError as err:
            faults.extend(err.faults)
    for key in required:
        if values.get(key) in (None, "") and not any(f.field == key for f in faults):
            message = Text(zh="必填项为空", en=f"{key} is required")
            faults.append(Fault(key, ErrorCode.import_value_missing, message, raw.get(key)))
    return values, faults
