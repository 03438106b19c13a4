"""Reading an uploaded table (CSV in UTF-8 or GB18030, XLSX) within the size limits,
mapping headers and converting cells to fields.
"""

from __future__ import annotations

import csv
import io
import uuid
import zipfile
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from app.config import Settings, get_settings
from app.errors import DangjianError, ErrorCode, Unprocessable
from app.i18n import Text
from app.services.integration.imports import cells

MEMBER_COLUMNS: list[tuple[str, str]] = [
    ("name", "姓名"),
    ("id_number", "公民身份号码"),
    ("org_code", "所在党组织编码"),
    ("status", "党员状态"),
    ("category", "人员类别"),
    ("ethnicity", "民族"),
    ("education", "学历"),
    ("phone", "联系电话"),
    ("group_code", "党小组编码"),
    ("applied_on", "申请入党日期"),
    ("activist_on", "确定积极分子日期"),
    ("candidate_on", "确定发展对象日期"),
    ("joined_on", "入党日期"),
    ("full_on", "转正日期"),
    ("work_unit", "工作单位"),
    ("residence", "现居住地"),
    ("dues_base_fen", "党费基数（分）"),
    # The record's id in an export: a re-import matches it first (optional, last column).
    ("id", "系统编号"),
]


ORG_COLUMNS: list[tuple[str, str]] = [
    ("code", "组织编码"),
    ("name", "组织名称"),
    ("type", "组织类别"),
    ("parent_code", "上级组织编码"),
    ("unit_category", "单位类别"),
    ("unit_credit_code", "统一社会信用代码"),
    ("unit_count", "联合单位数"),
    ("founded_on", "成立日期"),
    ("term_started_on", "本届开始日期"),
]


COLUMNS = {"members": MEMBER_COLUMNS, "organisations": ORG_COLUMNS}
REQUIRED = {
    "members": ("name", "id_number", "org_code", "status", "category"),
    "organisations": ("code", "name", "type"),
}


LABELS: dict[str, dict[str, str]] = {
    "status": {
        "入党申请人": "applicant",
        "入党积极分子": "activist",
        "发展对象": "candidate",
        "预备党员": "probationary",
        "正式党员": "full",
        "停止党籍": "suspended",
        "出党": "left",
        "去世": "deceased",
    },
    "category": {
        "在职": "employed",
        "离退休": "retired",
        "个体": "self_employed",
        "农民": "farmer",
        "学生": "student",
        "无固定职业": "unemployed",
        "依靠抚恤、救济或低保生活": "on_relief",
        "其他": "other",
    },
    "type": {
        "党委": "committee",
        "党工委": "working_committee",
        "党总支": "general_branch",
        "党支部": "branch",
        "联合党支部": "joint_branch",
        "临时党支部": "temporary_branch",
        "党小组": "group",
    },
}


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
BATCH = 1000
BACKGROUND_ROWS = 5000


# Zip members smaller than this are not ratio-checked (small XML compresses well).
RATIO_CHECK_FROM_BYTES = 1024 * 1024


# Rows prepared between two yields to the event loop (other requests keep answering).
YIELD_EVERY = 200


class ImportFileError(Unprocessable):
    pass


@dataclass
class RowError(Exception):
    column: str
    code: ErrorCode
    message: str


@dataclass
class Report:
    total_rows: int = 0
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    rejected: list[dict[str, Any]] = field(default_factory=list)

    def reject(self, row: int, column: str, code: ErrorCode, message: str) -> None:
        self.rejected.append({"row": row, "column": column, "code": code, "message": message})


# --- Reading files ---------------------------------------------------------------------------


def read_table(filename: str, content: bytes, settings: Settings | None = None) -> list[list[str]]:
    """Rows of a CSV (UTF-8, with or without BOM, or GB18030) or the first XLSX sheet.

    Blocking (parsing is CPU work): the endpoint runs it in a worker thread. An XLSX's
    zip directory is checked before anything is decompressed; rows and cell lengths
    are checked while reading, so a file over a limit stops at the first excess.
    """
    settings = settings or get_settings()
    name = filename.lower()
    if name.endswith(".xlsx"):
        check_archive(content, settings)
        from openpyxl import load_workbook

        try:
            workbook = load_workbook(io.BytesIO(content), read_only=True, data_only=True)
            sheet = workbook.worksheets[0]
            rows = _limited(
                (
                    [
                        ""
                        if v is None
                        else (v.isoformat()[:10] if hasattr(v, "isoformat") else str(v))
                        for v in row
                    ]
                    for row in sheet.iter_rows(values_only=True)
                ),
                settings,
            )
            workbook.close()
        except ImportFileError:
            raise
        except Exception as exc:  # openpyxl raises many types for a damaged file
            raise ImportFileError.field(
                "file", ErrorCode.import_file_unreadable, str(exc)[:200]
            ) from exc
        return rows
    if name.endswith(".csv") or not name:
        for encoding in ("utf-8-sig", "gb18030"):
            try:
                text = content.decode(encoding)
                break
            except UnicodeDecodeError:
                continue
        else:
            raise ImportFileError.field(
                "file", ErrorCode.import_file_unreadable, "not UTF-8 or GB18030"
            )
        reader = csv.reader(io.StringIO(text))
        try:
            return _limited(reader, settings)
        except csv.Error as exc:
            if "field larger than field limit" in str(exc):
                raise ImportFileError.field(
                    "file",
                    ErrorCode.import_cell_too_long,
                    Text(
                        zh=f"第 {reader.line_num} 行：单元格超过 "
                        f"{settings.import_max_cell_chars} 个字符",
                        en=f"row {reader.line_num}: a cell has more than "
                        f"{settings.import_max_cell_chars} characters",
                    ),
                ) from exc
            raise ImportFileError.field(
                "file",
                ErrorCode.import_file_unreadable,
                Text(zh=f"第 {reader.line_num} 行无法读取", en=f"row {reader.line_num}: {exc}"),
            ) from exc
    raise ImportFileError.field("file", ErrorCode.import_file_type, "upload a .csv or .xlsx file")


def check_archive(content: bytes, settings: Settings) -> None:
    """Refuse an XLSX whose zip directory promises too much, before decompressing it:
    more entries, more expanded bytes in total, or a member expanding more times its
    compressed size than the settings allow. (Decompression cannot outgrow the sizes
    the directory declares: `zipfile` stops at them and checks the CRC.)"""
    try:
        with zipfile.ZipFile(io.BytesIO(content)) as archive:
            entries = archive.infolist()
    except (zipfile.BadZipFile, zipfile.LargeZipFile, ValueError) as exc:
        raise ImportFileError.field(
            "file", ErrorCode.import_file_unreadable, f"not an XLSX (zip) file: {exc}"[:200]
        ) from exc
    if len(entries) > settings.import_max_archive_entries:
        raise ImportFileError.field(
            "file",
            ErrorCode.import_archive_too_large,
            Text(
                zh=f"压缩包含 {len(entries)} 个条目，最多 {settings.import_max_archive_entries} 个",
                en=f"{len(entries)} zip entries; at most {settings.import_max_archive_entries}",
            ),
        )
    expanded = sum(entry.file_size for entry in entries)
    if expanded > settings.import_max_expanded_bytes:
        raise ImportFileError.field(
            "file",
            ErrorCode.import_archive_too_large,
            Text(
                zh=f"解压后 {expanded} 字节，最多 {settings.import_max_expanded_bytes} 字节",
                en=f"expands to {expanded} bytes; at most {settings.import_max_expanded_bytes}",
            ),
        )
    for entry in entries:
        # Small members may compress very well legitimately; a bomb is large.
        if entry.file_size > RATIO_CHECK_FROM_BYTES and (
            entry.file_size > settings.import_max_ratio * max(entry.compress_size, 1)
        ):
            raise ImportFileError.field(
                "file",
                ErrorCode.import_archive_too_large,
                Text(
                    zh=f"{entry.filename} 解压后膨胀 "
                    f"{entry.file_size // max(entry.compress_size, 1)} 倍，"
                    f"最多 {settings.import_max_ratio} 倍",
                    en=f"{entry.filename} expands "
                    f"{entry.file_size // max(entry.compress_size, 1)} "
                    f"times; at most {settings.import_max_ratio}",
                ),
            )


def _limited(rows: Iterable[list[str]], settings: Settings) -> list[list[str]]:
    """The rows, refused at the first one over the row limit or with a cell over the
    length limit or holding a NUL character (PostgreSQL text cannot store it)."""
    kept: list[list[str]] = []
    longest = settings.import_max_cell_chars
    for number, row in enumerate(rows, start=1):
        if number > settings.import_max_rows + 1:  # + the header row
            raise ImportFileError.field(
                "file",
                ErrorCode.import_too_many_rows,
                Text(
                    zh=f"超过 {settings.import_max_rows} 行",
                    en=f"more than {settings.import_max_rows} rows",
                ),
            )
        for column, cell in enumerate(row, start=1):
            if len(cell) > longest:
                raise ImportFileError.field(
                    "file",
                    ErrorCode.import_cell_too_long,
                    Text(
                        zh=f"第 {number} 行第 {column} 列：超过 {longest} 个字符",
                        en=f"row {number} column {column}: more than {longest} characters",
                    ),
                )
            if "\x00" in cell:
                raise ImportFileError.field(
                    "file",
                    ErrorCode.import_file_unreadable,
                    Text(
                        zh=f"第 {number} 行第 {column} 列：含有 NUL 字符",
                        en=f"row {number} column {column}: a NUL character",
                    ),
                )
        kept.append(row)
    return kept


def read_records(
    kind: str, filename: str, content: bytes, settings: Settings | None = None
) -> list[tuple[int, dict[str, str]]]:
    """The file's data rows as records (blocking: run it in a worker thread)."""
    return list(_records(kind, read_table(filename, content, settings)))


def map_headers(kind: str, header: list[str]) -> list[str | None]:
    names = {zh: key for key, zh in COLUMNS[kind]} | {key: key for key, _ in COLUMNS[kind]}
    mapped = [names.get(h.strip()) for h in header]
    missing = [key for key in REQUIRED[kind] if key not in mapped]
    if missing:
        raise ImportFileError.field(
            "file", ErrorCode.import_columns_missing, f"missing columns: {', '.join(missing)}"
        )
    return mapped


def _records(kind: str, rows: list[list[str]]) -> Iterator[tuple[int, dict[str, str]]]:
    """(spreadsheet row number, {field: text}) for every non-empty data row."""
    if not rows:
        raise ImportFileError.field("file", ErrorCode.import_empty, "the file has no header row")
    keys = map_headers(kind, rows[0])
    for number, row in enumerate(rows[1:], start=2):
        values = {
            k: (cells.restore(row[i]).strip() if i < len(row) else "")
            for i, k in enumerate(keys)
            if k
        }
        if any(values.values()):
            yield number, values


def convert_cell(key: str, raw: str) -> Any:
    if raw == "":
        return None
    if key in LABELS:
        return LABELS[key].get(raw, raw)
    if key in DATE_FIELDS:
        try:
            return date.fromisoformat(raw.replace("/", "-")[:10])
        except ValueError as exc:
            raise RowError(key, ErrorCode.import_date_invalid, "dates are YYYY-MM-DD") from exc
    if key == "id":
        try:
            return uuid.UUID(raw)
        except ValueError as exc:
            raise RowError(key, ErrorCode.import_value_invalid, "an id from an export") from exc
    if key in INT_FIELDS:
        try:
            return int(float(raw))
        except ValueError as exc:
            raise RowError(key, ErrorCode.import_number_invalid, "a whole number") from exc
    return raw


def row_error(exc: DangjianError, column: str = "") -> RowError:
    """A service's error as a row's: its field as the import's column (or `column`)."""
    if exc.errors:
        first = exc.errors[0]
        field_name = str(first["field"])
        return RowError(
            COLUMN_OF_FIELD.get(field_name, field_name), exc.code, str(first["message"])
        )
    return RowError(column, exc.code, str(exc.detail or exc.code.message("en")))


# The import's column for each API field whose name differs.
COLUMN_OF_FIELD = {"org_id": "org_code", "group_id": "group_code"}
