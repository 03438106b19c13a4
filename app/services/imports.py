"""Bulk import and export (批量导入导出) of organisations and members, CSV or XLSX.

Every row goes through the same rules as the API: ID number checksum and legacy
upgrade, dates, phone, parent rules, scope. Rows upsert by organisation `code` or
member ID number, so importing the same file twice changes nothing. Members are
written in batches (multi-row INSERTs, not row-by-row flushes), each with its audit
event and change-feed event. Exports use the import's headers, so a round trip is
lossless for a caller with PII rights.
"""

from __future__ import annotations

import asyncio
import csv
import io
import tempfile
import uuid
import zipfile
from collections.abc import AsyncIterator, Iterable, Iterator
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from pydantic import ValidationError
from sqlalchemy import insert, select
from sqlalchemy.ext.asyncio import AsyncSession

from app import clock
from app.config import Settings, get_settings
from app.errors import DangjianError, ErrorCode, Unprocessable
from app.i18n import Text
from app.models.base import new_uuid
from app.models.enums import (
    ENDED_STATUSES,
    ImportKind,
    ImportState,
    MemberCategory,
    MemberStatus,
    Role,
)
from app.models.imports import ImportJob
from app.models.member import Member
from app.models.organisation import Organisation
from app.schemas.members import MemberCreate, MemberUpdate
from app.schemas.organisations import OrganisationCreate, OrganisationUpdate
from app.security.pii import mask_id_number, mask_phone
from app.security.scope import (
    Principal,
    in_scope,
    may_read_member_pii,
    member_rows_only,
    require_role,
    under,
)
from app.services import audit, cells, organisations
from app.services import changes as changes_service
from app.services import members as members_service

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


def _convert(key: str, raw: str) -> Any:
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


def _row_error(exc: DangjianError, column: str = "") -> RowError:
    """A service's error as a row's: its field as the import's column (or `column`)."""
    if exc.errors:
        first = exc.errors[0]
        field_name = str(first["field"])
        return RowError(
            _COLUMN_OF_FIELD.get(field_name, field_name), exc.code, str(first["message"])
        )
    return RowError(column, exc.code, str(exc.detail or exc.code.message("en")))


# --- Members -----------------------------------------------------------------------------------


@dataclass
class _Prepared:
    row: int
    prepared: members_service.PreparedMember
    member_id: uuid.UUID | None  # the export's 系统编号, when the file has one

    @property
    def values(self) -> dict[str, Any]:
        return self.prepared.values

    @property
    def index(self) -> bytes:
        return self.prepared.id_index


async def _org_lookup(
    session: AsyncSession, principal: Principal, codes: set[str]
) -> dict[str, Organisation]:
    found: dict[str, Organisation] = {}
    code_list = sorted(codes)
    for start in range(0, len(code_list), BATCH):
        chunk = code_list[start : start + BATCH]
        # FOR KEY SHARE: rows copy these paths, so a subtree move in flight finishes first.
        stmt = select(Organisation).where(Organisation.code.in_(chunk))
        for org in (await session.scalars(stmt.with_for_update(read=True, key_share=True))).all():
            if in_scope(principal, org.path):
                found[org.code] = org
    return found


# The import's column for each API field whose name differs.
_COLUMN_OF_FIELD = {"org_id": "org_code", "group_id": "group_code"}
# The API fields a member row carries (the rest of MemberCreate keeps its default).
_MEMBER_FIELDS = tuple(
    key for key, _ in MEMBER_COLUMNS if key not in ("org_code", "group_code", "id")
)


def _prepare_member(
    number: int,
    raw: dict[str, str],
    orgs: dict[str, Organisation],
    today: date,
) -> _Prepared:
    """A row as `MemberCreate`, through `members.prepare_member`: the API's own rules."""
    values = {k: _convert(k, v) for k, v in raw.items()}
    for key in REQUIRED["members"]:
        if values.get(key) in (None, ""):
            raise RowError(key, ErrorCode.import_value_missing, f"{key} is required")
    try:
        MemberStatus(values["status"])
    except ValueError as exc:
        raise RowError(
            "status", ErrorCode.import_status_unknown, f"unknown status {values['status']!r}"
        ) from exc
    try:
        MemberCategory(values["category"])
    except ValueError as exc:
        raise RowError(
            "category",
            ErrorCode.import_category_unknown,
            f"unknown category {values['category']!r}",
        ) from exc
    org = orgs.get(values["org_code"])
    if org is None:
        raise RowError(
            "org_code", ErrorCode.import_org_unknown, "no such organisation in your scope"
        )
    group = orgs.get(values["group_code"]) if values.get("group_code") else None
    if values.get("group_code") and group is None:
        raise RowError("group_code", ErrorCode.member_group_invalid, "a party group of that branch")
    try:
        data = MemberCreate.model_validate(
            {
                **{k: values[k] for k in _MEMBER_FIELDS if values.get(k) is not None},
                "id_number": str(values["id_number"]),
                "org_id": org.id,
                "group_id": group.id if group else None,
            }
        )
    except ValidationError as exc:
        first = exc.errors()[0]
        field_name = str(first["loc"][0]) if first["loc"] else ""
        raise RowError(
            _COLUMN_OF_FIELD.get(field_name, field_name),
            ErrorCode.import_value_invalid,
            first["msg"],
        ) from exc
    try:
        prepared = members_service.prepare_member(data, org, group, today)
    except DangjianError as exc:
        raise _row_error(exc, "org_code") from exc
    return _Prepared(number, prepared, values.get("id"))


COMPARED = (
    "name",
    "category",
    "ethnicity",
    "education",
    "group_id",
    "work_unit",
    "residence",
    "dues_base_fen",
    *members_service.MILESTONES,
)


def _differences(item: _Prepared, current: Member) -> dict[str, Any]:
    """The row's values that differ from the stored record (none: the row is unchanged)."""
    changes = {k: item.values[k] for k in COMPARED if getattr(current, k) != item.values[k]}
    if item.prepared.phone_index != current.phone_index:
        changes["phone"] = item.prepared.phone
    return changes


async def _stored(
    session: AsyncSession, principal: Principal, prepared: list[_Prepared]
) -> tuple[dict[uuid.UUID, Member], dict[bytes, list[Member]]]:
    """Stored members the rows may match, ended ones included: by the export's id (in
    scope), and by ID number (every record with it, in scope or not, oldest first)."""
    by_id: dict[uuid.UUID, Member] = {}
    by_index: dict[bytes, list[Member]] = {}
    ids = sorted({p.member_id for p in prepared if p.member_id is not None})
    for start in range(0, len(ids), BATCH):
        rows = await session.scalars(
            select(Member).where(Member.id.in_(ids[start : start + BATCH]))
        )
        by_id.update({m.id: m for m in rows.all() if in_scope(principal, m.org_path)})
    indexes = sorted({p.index for p in prepared})
    for start in range(0, len(indexes), BATCH):
        rows = await session.scalars(
            select(Member)
            .where(Member.id_number_index.in_(indexes[start : start + BATCH]))
            .order_by(Member.id)
        )
        for m in rows.all():
            by_index.setdefault(m.id_number_index, []).append(m)
    return by_id, by_index


def _match(
    principal: Principal,
    item: _Prepared,
    by_id: dict[uuid.UUID, Member],
    by_index: dict[bytes, list[Member]],
    claimed: dict[uuid.UUID, int],
) -> Member | None:
    """The stored record a row describes, or None for a new one.

    The export's id wins when it names a record in scope with the same ID number.
    Otherwise a living row matches the living record with its ID number (one outside
    your scope: `member.id_number_taken`); an ended row (left, deceased) matches an
    ended record of the same branch and status, the one equal to the row first. A
    record matches one row of a file only.
    """
    stored = by_id.get(item.member_id) if item.member_id is not None else None
    if stored is not None and stored.id_number_index == item.index:
        candidates = [stored]
    else:
        candidates = by_index.get(item.index, [])
        status = item.values["status"]
        if MemberStatus(status) in ENDED_STATUSES:
            ended = [
                m
                for m in candidates
                if m.status == status
                and m.org_id == item.values["org_id"]
                and in_scope(principal, m.org_path)
                and m.id not in claimed
            ]
            # An ended row for a living record of the same branch is a status change.
            living = [
                m
                for m in candidates
                if MemberStatus(m.status) not in ENDED_STATUSES
                and m.org_id == item.values["org_id"]
                and m.id not in claimed
            ]
            candidates = sorted(ended, key=lambda m: bool(_differences(item, m))) or living
        else:
            candidates = [m for m in candidates if MemberStatus(m.status) not in ENDED_STATUSES]
    if not candidates:
        return None
    current = candidates[0]
    if not in_scope(principal, current.org_path):
        raise RowError(
            "id_number", ErrorCode.member_id_number_taken, "a living member has this ID number"
        )
    if current.id in claimed:
        raise RowError(
            "id_number", ErrorCode.import_duplicate_in_file, f"same as row {claimed[current.id]}"
        )
    return current


async def import_members(
    session: AsyncSession,
    principal: Principal,
    records: list[tuple[int, dict[str, str]]],
    *,
    dry_run: bool,
    atomic: bool,
    today: date,
    progress: Any = None,
) -> Report:
    """Validate every row with the API's rules, match it to a stored record (ended ones
    included), then insert new members in batches and update changed ones."""
    report = Report(total_rows=len(records))
    codes = {r.get("org_code", "") for _, r in records} | {
        r.get("group_code", "") for _, r in records
    }
    orgs = await _org_lookup(session, principal, {c for c in codes if c})
    prepared: list[_Prepared] = []
    for position, (number, raw) in enumerate(records):
        if position % YIELD_EVERY == YIELD_EVERY - 1:
            await asyncio.sleep(0)
        try:
            prepared.append(_prepare_member(number, raw, orgs, today))
        except RowError as err:
            report.reject(number, err.column, err.code, err.message)
    by_id, by_index = await _stored(session, principal, prepared)
    orgs_by_id = {org.id: org for org in orgs.values()}
    inserts: list[_Prepared] = []
    updates: list[tuple[Member, dict[str, Any]]] = []
    claimed: dict[uuid.UUID, int] = {}
    new_living: dict[bytes, int] = {}
    for item in prepared:
        try:
            current = _match(principal, item, by_id, by_index, claimed)
            if current is None:
                try:
                    members_service.check_accepts_members(orgs_by_id[item.values["org_id"]])
                except DangjianError as exc:
                    raise _row_error(exc, "org_code") from exc
                if MemberStatus(item.values["status"]) not in ENDED_STATUSES:
                    if item.index in new_living:
                        raise RowError(
                            "id_number",
                            ErrorCode.import_duplicate_in_file,
                            f"same as row {new_living[item.index]}",
                        )
                    new_living[item.index] = item.row
                inserts.append(item)
                continue
            claimed[current.id] = item.row
            if current.org_id != item.values["org_id"]:
                raise RowError(
                    "org_code",
                    ErrorCode.import_org_change_requires_transfer,
                    "use a transfer to move a member",
                )
            if current.status != item.values["status"]:
                raise RowError(
                    "status", ErrorCode.member_status_requires_transition, "use a transition"
                )
            changes = _differences(item, current)
            if not changes:
                report.unchanged += 1
                continue
            try:
                members_service.check_may_correct(principal, current)
            except DangjianError as exc:
                raise _row_error(exc, "status") from exc
            updates.append((current, changes))
        except RowError as err:
            report.reject(item.row, err.column, err.code, err.message)
    report.created, report.updated = len(inserts), len(updates)
    if dry_run or (atomic and report.rejected):
        if atomic and report.rejected:
            report.created = report.updated = 0
        return report
    for start in range(0, len(inserts), BATCH):
        chunk = inserts[start : start + BATCH]
        new_rows = [{**item.prepared.columns(), "id": new_uuid(), "version": 1} for item in chunk]
        await session.execute(insert(Member), new_rows)
        for r in new_rows:
            members_service.record_created(session, principal, _Row(r), "member.imported")
        await audit.write_pending(session)
        await changes_service.record_created(session, Member, new_rows)
        if progress is not None:
            await progress(start + len(chunk))
    for current, changes in updates:
        await members_service.update_member(
            session, principal, current, MemberUpdate(**changes), today
        )
    await session.flush()
    return report


class _Row:
    """Attribute access over a dict, for audit snapshots of bulk rows."""

    def __init__(self, values: dict[str, Any]) -> None:
        self.__dict__.update(values)


# --- Organisations -----------------------------------------------------------------------------


async def import_organisations(
    session: AsyncSession,
    principal: Principal,
    records: list[tuple[int, dict[str, str]]],
    *,
    dry_run: bool,
    atomic: bool,
) -> Report:
    """Create or update organisations by code; parents may be earlier in the same file."""
    report = Report(total_rows=len(records))
    pending = list(records)
    progressed = True
    while pending and progressed:
        progressed = False
        waiting = []
        codes_in_file = {r.get("code") for _, r in pending}
        for number, raw in pending:
            parent_code = raw.get("parent_code") or None
            if parent_code in codes_in_file and parent_code != raw.get("code"):
                waiting.append((number, raw))
                continue
            progressed = True
            try:
                async with session.begin_nested():
                    outcome = await _upsert_org(session, principal, raw)
            except RowError as err:
                report.reject(number, err.column, err.code, err.message)
                continue
            except DangjianError as exc:
                problem = _row_error(exc)
                report.reject(number, problem.column or "code", problem.code, problem.message)
                continue
            setattr(report, outcome, getattr(report, outcome) + 1)
        pending = waiting
    for number, _ in pending:
        report.reject(
            number, "parent_code", ErrorCode.import_parent_cycle, "parents refer to each other"
        )
    if dry_run or (atomic and report.rejected):
        if atomic and report.rejected:
            report.created = report.updated = 0
        raise _Rollback(report)
    return report


class _Rollback(Exception):
    """Carries the report out of a transaction that must not be kept."""

    def __init__(self, report: Report) -> None:
        self.report = report


async def _upsert_org(session: AsyncSession, principal: Principal, raw: dict[str, str]) -> str:
    values = {k: _convert(k, v) for k, v in raw.items()}
    for key in REQUIRED["organisations"]:
        if not values.get(key):
            raise RowError(key, ErrorCode.import_value_missing, f"{key} is required")
    current = await session.scalar(select(Organisation).where(Organisation.code == values["code"]))
    parent_id = None
    if values.get("parent_code"):
        parent = await session.scalar(
            select(Organisation).where(Organisation.code == values["parent_code"])
        )
        # An exported subtree's root names its parent, which may lie above your scope:
        # the row still describes that organisation as it stands.
        keeps_parent = current is not None and parent is not None and current.parent_id == parent.id
        if parent is None or not (keeps_parent or in_scope(principal, parent.path)):
            raise RowError(
                "parent_code", ErrorCode.import_parent_unknown, "no such parent in your scope"
            )
        parent_id = parent.id
    fields = {
        k: values.get(k)
        for k in (
            "unit_category",
            "unit_credit_code",
            "unit_count",
            "founded_on",
            "term_started_on",
        )
    }
    if current is not None:
        if not in_scope(principal, current.path):
            raise RowError(
                "code", ErrorCode.organisation_code_taken, "the code is used outside your scope"
            )
        if current.parent_id != parent_id or current.type != values["type"]:
            raise RowError(
                "parent_code",
                ErrorCode.import_org_move_not_supported,
                "use /organisations/{id}/move",
            )
        changes = {
            k: v for k, v in {"name": values["name"], **fields}.items() if getattr(current, k) != v
        }
        if not changes:
            return "unchanged"
        await organisations.update_organisation(
            session, principal, current, OrganisationUpdate(**changes)
        )
        return "updated"
    try:
        data = OrganisationCreate(
            code=values["code"],
            name=values["name"],
            type=values["type"],
            parent_id=parent_id,
            **fields,
        )
    except ValueError as exc:
        raise RowError(
            "type", ErrorCode.import_value_invalid, str(exc).splitlines()[0][:200]
        ) from exc
    await organisations.create_organisation(session, principal, data)
    return "created"


# --- Jobs --------------------------------------------------------------------------------------


async def run_import(
    session: AsyncSession,
    principal: Principal,
    job: ImportJob,
    records: list[tuple[int, dict[str, str]]],
    today: date,
    progress: Any = None,
) -> None:
    """Run an import in the given session and fill the job's report."""
    if job.kind == ImportKind.members:
        report = await import_members(
            session,
            principal,
            records,
            dry_run=job.dry_run,
            atomic=job.atomic,
            today=today,
            progress=progress,
        )
    else:
        try:
            async with session.begin_nested():
                report = await import_organisations(
                    session, principal, records, dry_run=job.dry_run, atomic=job.atomic
                )
        except _Rollback as rollback:
            report = rollback.report
    job.total_rows = report.total_rows
    job.processed_rows = report.total_rows
    job.created, job.updated, job.unchanged = report.created, report.updated, report.unchanged
    job.accepted = report.created + report.updated + report.unchanged
    if job.atomic and report.rejected:
        job.accepted = 0
    job.rejected = report.rejected
    job.state = ImportState.finished
    job.finished_at = clock.utcnow()
    await session.flush()


def template(kind: str) -> bytes:
    """The CSV template: Chinese headers (English names are accepted too), UTF-8 with BOM."""
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow([zh for _, zh in COLUMNS[kind]])
    return ("\ufeff" + out.getvalue()).encode("utf-8")


def require_importer(principal: Principal) -> None:
    require_role(principal, Role.org_admin, Role.branch_secretary)


# --- Export -----------------------------------------------------------------------------------


async def export_rows(
    session: AsyncSession, principal: Principal, kind: str, root: Organisation
) -> AsyncIterator[list[str]]:
    """Rows in keyset batches: memory stays flat however large the subtree."""
    yield [zh for _, zh in COLUMNS[kind]]
    codes: dict[uuid.UUID, str] = {}
    if kind == ImportKind.organisations:
        after = None
        while True:
            stmt = (
                select(Organisation)
                .where(under(Organisation.path, root.path))
                .order_by(Organisation.path)
                .limit(BATCH)
            )
            if after is not None:
                stmt = stmt.where(Organisation.path > after)
            batch = list((await session.scalars(stmt)).all())
            if not batch:
                return
            parents = {o.parent_id for o in batch if o.parent_id}
            await _codes(session, codes, parents)
            for org in batch:
                codes[org.id] = org.code
                yield [
                    org.code, org.name, org.type,
                    codes.get(org.parent_id, "") if org.parent_id else "",
                    _text(org.unit_category), org.unit_credit_code or "", _text(org.unit_count),
                    _text(org.founded_on), _text(org.term_started_on),
                ]  # fmt: skip
            after = batch[-1].path
    cipher = members_service.pii_cipher()
    last_id = None
    while True:
        member_stmt = (
            select(Member).where(under(Member.org_path, root.path)).order_by(Member.id).limit(BATCH)
        )
        if last_id is not None:
            member_stmt = member_stmt.where(Member.id > last_id)
        if (own := member_rows_only(principal)) is not None:
            member_stmt = member_stmt.where(Member.id == own)
        people = list((await session.scalars(member_stmt)).all())
        if not people:
            return
        await _codes(
            session, codes, {m.org_id for m in people} | {m.group_id for m in people if m.group_id}
        )
        for m in people:
            unmasked = may_read_member_pii(principal, m.id, m.org_path)
            number = cipher.decrypt(m.id_number_enc, field=members_service.ID_FIELD)
            phone = (
                cipher.decrypt(m.phone_enc, field=members_service.PHONE_FIELD)
                if m.phone_enc
                else ""
            )
            yield [
                m.name, number if unmasked else mask_id_number(number), codes[m.org_id], m.status,
                m.category, m.ethnicity or "", m.education or "",
                (phone if unmasked else mask_phone(phone)) if phone else "",
                codes.get(m.group_id, "") if m.group_id else "",
                *[_text(getattr(m, k)) for k in members_service.MILESTONES],
                m.work_unit or "", m.residence or "", _text(m.dues_base_fen), str(m.id),
            ]  # fmt: skip
        last_id = people[-1].id


def _text(value: object) -> str:
    if value is None:
        return ""
    return value.isoformat() if isinstance(value, date) else str(value)


async def _codes(
    session: AsyncSession, codes: dict[uuid.UUID, str], ids: Iterable[uuid.UUID | None]
) -> None:
    missing = [i for i in ids if i is not None and i not in codes]
    if missing:
        rows = await session.execute(
            select(Organisation.id, Organisation.code).where(Organisation.id.in_(missing))
        )
        codes.update({org_id: code for org_id, code in rows.all()})


async def export_csv(rows: AsyncIterator[list[str]]) -> AsyncIterator[bytes]:
    yield "\ufeff".encode()
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    count = 0
    async for row in rows:
        writer.writerow(cells.neutralise_row(row))
        count += 1
        if count % 500 == 0:
            yield buffer.getvalue().encode("utf-8")
            buffer.seek(0)
            buffer.truncate()
    yield buffer.getvalue().encode("utf-8")


async def export_xlsx(rows: AsyncIterator[list[str]]) -> AsyncIterator[bytes]:
    """openpyxl's write-only mode keeps one row in memory; the file streams from disk."""
    from openpyxl import Workbook

    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet("data")
    async for row in rows:
        sheet.append(cells.neutralise_row(row))
    with tempfile.TemporaryFile() as handle:
        workbook.save(handle)
        handle.seek(0)
        while chunk := handle.read(64 * 1024):
            yield chunk
