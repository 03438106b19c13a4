"""Reading an uploaded table (CSV in UTF-8 or GB18030, XLSX) within the size limits,
mapping headers and converting cells to fields.
"""

from __future__ import annotations

import codecs
import csv
import io
import zipfile
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from datetime import date, datetime
from itertools import islice
from typing import IO, Any, cast

from app.config import Settings, get_settings
from app.errors import ErrorCode, Unprocessable
from app.i18n import Text
from app.schemas.common import storable_text
from app.services.integration.imports import cells
from app.services.integration.imports.values import DATE_FIELDS

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
    ("degree", "学位"),
    ("post", "工作岗位"),
    ("new_social_stratum", "新社会阶层"),
    ("hardship", "困难情况"),
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
    ("division_code", "行政区划代码"),
    ("contact_person", "联系人"),
    ("unit_type", "单位类型"),
    ("economic_type", "经济类型"),
    ("unit_size", "单位规模"),
    ("national_id", "全国系统编号"),
]


COLUMNS = {"members": MEMBER_COLUMNS, "organisations": ORG_COLUMNS}
REQUIRED = {
    "members": ("name", "id_number", "org_code", "status", "category"),
    "organisations": ("code", "name", "type"),
}


BATCH = 1000
BACKGROUND_ROWS = 5000


# Zip members smaller than this are not ratio-checked (small XML compresses well).
RATIO_CHECK_FROM_BYTES = 1024 * 1024


# Rows prepared between two yields to the event loop (other requests keep answering).
YIELD_EVERY = 200

# Bytes decoded at a time while a CSV's encoding is checked.
_DECODE_CHUNK = 64 * 1024


class ImportFileError(Unprocessable):
    pass


# --- Reading files ---------------------------------------------------------------------------


Upload = bytes | IO[bytes]


def read_table(filename: str, content: Upload, settings: Settings | None = None) -> list[list[str]]:
    """Rows of a CSV (UTF-8, with or without BOM, or GB18030) or the first XLSX sheet."""
    return list(iter_table(filename, content, settings))


def iter_table(
    filename: str, content: Upload, settings: Settings | None = None
) -> Iterator[list[str]]:
    """Rows of a CSV (UTF-8, with or without BOM, or GB18030) or the first XLSX sheet, one
    at a time from the upload (bytes, or a binary file read from its start).

    Blocking (parsing is CPU work): the endpoint runs it in a worker thread. An XLSX's
    zip directory is checked before anything is decompressed; rows and cell lengths
    are checked while reading, so a file over a limit stops at the first excess.
    """
    settings = settings or get_settings()
    upload = io.BytesIO(content) if isinstance(content, bytes) else content
    name = filename.lower()
    if name.endswith(".xlsx"):
        return _read_xlsx(upload, settings)
    if name.endswith(".csv") or not name:
        return _read_csv(upload, settings)
    raise ImportFileError.field(
        "file",
        ErrorCode.import_file_type,
        Text(zh="请上传 .csv 或 .xlsx 文件", en="upload a .csv or .xlsx file"),
    )


def cell_text(value: object) -> str:
    """An XLSX cell as the text the import reads: a date cell as its ISO date, a whole
    number without a decimal point (a float is kept as written when it is past what a
    number stores exactly, so the ID column can tell that digits were lost)."""
    if value is None:
        return ""
    if isinstance(value, datetime | date):
        return value.isoformat()[:10]
    if isinstance(value, float) and value.is_integer() and abs(value) < 2**53:
        return str(int(value))
    return str(value)


# The date columns by heading (the template's Chinese or the field key), both kinds.
_DATE_HEADINGS = {
    heading
    for columns in COLUMNS.values()
    for key, zh in columns
    if key in DATE_FIELDS
    for heading in (key, zh)
}
# Excel's serial days a date column reads as a date: 1 (1900-01-01) to 9999-12-31.
_SERIAL_RANGE = (1, 2958465)


def serial_date_text(value: object, epoch: datetime) -> str | None:
    """A plain number in a date column as the date it counts in Excel's day serials
    (39264 is 2007-07-01 when the column was not formatted to show it as a date), in
    the workbook's own calendar (1900, or 1904 on old Macs); None if it is no serial.
    Only XLSX cells: a number in a CSV is text, and stays refused as a date."""
    from openpyxl.utils.datetime import from_excel

    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    if not _SERIAL_RANGE[0] <= value <= _SERIAL_RANGE[1]:
        return None
    day = from_excel(int(value), epoch)
    return day.date().isoformat() if isinstance(day, datetime) else None


def _xlsx_texts(rows: Iterable[tuple[object, ...]], epoch: datetime) -> Iterator[list[str]]:
    """Each row's cells as text, a date column's serial numbers as their dates."""
    date_columns: set[int] = set()
    for number, row in enumerate(rows):
        texts = [cell_text(v) for v in row]
        if number == 0:
            date_columns = {i for i, text in enumerate(texts) if text.strip() in _DATE_HEADINGS}
        for i in date_columns & set(range(len(row))):
            texts[i] = serial_date_text(row[i], epoch) or texts[i]
        yield texts


def _read_xlsx(upload: IO[bytes], settings: Settings) -> Iterator[list[str]]:
    upload.seek(0)
    check_archive(upload, settings)
    upload.seek(0)
    from openpyxl import load_workbook

    def rows() -> Iterator[list[str]]:
        try:
            workbook = load_workbook(upload, read_only=True, data_only=True)
            try:
                sheet = workbook.worksheets[0]
                texts = _xlsx_texts(sheet.iter_rows(values_only=True), workbook.epoch)
                yield from _limited(texts, settings)
            finally:
                workbook.close()
        except ImportFileError:
            raise
        except Exception as exc:  # openpyxl raises many types for a damaged file
            raise ImportFileError.field(
                "file",
                ErrorCode.import_file_unreadable,
                Text(zh="无法读取该文件，可能已损坏或不是 XLSX 文件", en=str(exc)[:200]),
            ) from exc

    return rows()


def _encoding(upload: IO[bytes]) -> str:
    """The upload's encoding: UTF-8 (with or without BOM) if it all decodes so, else
    GB18030; checked a chunk at a time, before any row is read."""
    for encoding in ("utf-8-sig", "gb18030"):
        upload.seek(0)
        decoder = codecs.getincrementaldecoder(encoding)()
        try:
            while chunk := upload.read(_DECODE_CHUNK):
                decoder.decode(chunk)
            decoder.decode(b"", final=True)
        except UnicodeDecodeError:
            continue
        upload.seek(0)
        return encoding
    raise _undecodable()


def _undecodable() -> Unprocessable:
    return ImportFileError.field(
        "file",
        ErrorCode.import_file_unreadable,
        Text(zh="文件编码不是 UTF-8 或 GB18030", en="not UTF-8 or GB18030"),
    )


def _read_csv(upload: IO[bytes], settings: Settings) -> Iterator[list[str]]:
    encoding = _encoding(upload)

    def rows() -> Iterator[list[str]]:
        # Lines end at "\n" only, as when the whole text was read (a lone "\r" stays
        # the csv module's to judge).
        text = io.TextIOWrapper(cast(IO[bytes], _Unclosed(upload)), encoding, newline="\n")
        reader = csv.reader(text)
        try:
            yield from _limited(reader, settings)
        except csv.Error as exc:
            raise _csv_fault(exc, reader.line_num, settings) from exc
        except UnicodeDecodeError as exc:  # the file changed since its encoding was checked
            raise _undecodable() from exc

    return rows()


def _csv_fault(exc: csv.Error, line: int, settings: Settings) -> Unprocessable:
    if "field larger than field limit" in str(exc):
        return ImportFileError.field(
            "file",
            ErrorCode.import_cell_too_long,
            Text(
                zh=f"第 {line} 行：单元格超过 {settings.import_max_cell_chars} 个字符",
                en=f"row {line}: a cell has more than {settings.import_max_cell_chars} characters",
            ),
        )
    return ImportFileError.field(
        "file",
        ErrorCode.import_file_unreadable,
        Text(zh=f"第 {line} 行无法读取", en=f"row {line}: {exc}"),
    )


class _Unclosed(io.RawIOBase):
    """The upload as the text reader's raw stream, left open when the reader goes."""

    def __init__(self, upload: IO[bytes]) -> None:
        self.upload = upload

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: Any) -> int:
        data = self.upload.read(len(buffer))
        buffer[: len(data)] = data
        return len(data)


def check_archive(content: IO[bytes], settings: Settings) -> None:
    """Refuse an XLSX whose zip directory promises too much, before decompressing it:
    more entries, more expanded bytes in total, or a member expanding more times its
    compressed size than the settings allow. (Decompression cannot outgrow the sizes
    the directory declares: `zipfile` stops at them and checks the CRC.)"""
    try:
        with zipfile.ZipFile(content) as archive:
            entries = archive.infolist()
    except (zipfile.BadZipFile, zipfile.LargeZipFile, ValueError) as exc:
        raise ImportFileError.field(
            "file",
            ErrorCode.import_file_unreadable,
            Text(zh="不是 XLSX（zip）文件", en=f"not an XLSX (zip) file: {exc}"[:200]),
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


def _limited(rows: Iterable[list[str]], settings: Settings) -> Iterator[list[str]]:
    """The rows, one at a time, refused at the first one over the row limit or with a cell over the
    length limit or holding a character no text input takes (`storable_text`: NUL, which
    PostgreSQL text cannot store, or another control character)."""
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
            if not storable_text(cell):
                raise ImportFileError.field(
                    "file",
                    ErrorCode.import_file_unreadable,
                    Text(
                        zh=f"第 {number} 行第 {column} 列：含有 NUL 或控制字符",
                        en=f"row {number} column {column}: a NUL or control character",
                    ),
                )
        yield row


@dataclass
class Table:
    """An upload's data rows: (spreadsheet row number, {field: text}) for every
    non-empty row, and each field's column heading as written in the file."""

    records: list[tuple[int, dict[str, str]]]
    headers: dict[str, str] = field(default_factory=dict)


@dataclass
class Records:
    """An upload's data rows as they are read (`records`, an iterator: blocking, so read
    it in a worker thread), and each field's column heading as written in the file."""

    records: Iterator[tuple[int, dict[str, str]]]
    headers: dict[str, str]

    def take(self, count: int) -> list[tuple[int, dict[str, str]]]:
        """The next `count` records (fewer at the end)."""
        return list(islice(self.records, count))

    def close(self) -> None:
        """Stop reading (the workbook closed now, while its file is still open)."""
        close = getattr(self.records, "close", None)
        if close is not None:
            close()


def open_records(
    kind: str, filename: str, content: Upload, settings: Settings | None = None
) -> Records:
    """The upload's records, read one at a time: only its header row is read here."""
    rows = iter_table(filename, content, settings)
    header = next(rows, None)
    if header is None:
        raise ImportFileError.field(
            "file",
            ErrorCode.import_empty,
            Text(zh="文件没有表头行", en="the file has no header row"),
        )
    try:
        keys = map_headers(kind, header)
    except ImportFileError:
        for _ in rows:  # a row or cell over a limit is named first, as for a file read whole
            pass
        raise
    # A fault in a column the file lacks is named by the template's heading.
    headers = dict(COLUMNS[kind]) | {key: header[i].strip() for i, key in enumerate(keys) if key}
    return Records(_records(keys, rows), headers)


def read_records(
    kind: str, filename: str, content: Upload, settings: Settings | None = None
) -> Table:
    """The file's data rows as records (blocking: run it in a worker thread)."""
    opened = open_records(kind, filename, content, settings)
    return Table(list(opened.records), opened.headers)


def map_headers(kind: str, header: list[str]) -> list[str | None]:
    names = {zh: key for key, zh in COLUMNS[kind]} | {key: key for key, _ in COLUMNS[kind]}
    mapped = [names.get(h.strip()) for h in header]
    missing = [key for key in REQUIRED[kind] if key not in mapped]
    if missing:
        heading = dict(COLUMNS[kind])
        raise ImportFileError.field(
            "file",
            ErrorCode.import_columns_missing,
            Text(
                zh=f"缺少列：{'、'.join(heading[key] for key in missing)}",
                en=f"missing columns: {', '.join(missing)}",
            ),
        )
    return mapped


def _records(
    keys: list[str | None], rows: Iterator[list[str]]
) -> Iterator[tuple[int, dict[str, str]]]:
    """(spreadsheet row number, {field: text}) for every non-empty data row (the rows
    after the header)."""
    for number, row in enumerate(rows, start=2):
        values = {
            k: (cells.restore(row[i]).strip() if i < len(row) else "")
            for i, k in enumerate(keys)
            if k
        }
        if any(values.values()):
            yield number, values
