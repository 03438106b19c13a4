"""Bulk import and export (批量导入导出) of organisations and members, CSV or XLSX.

Every row goes through the same rules as the API: ID number checksum and legacy
upgrade, dates, phone, parent rules, scope. Rows upsert by organisation `code` or
member ID number, so importing the same file twice changes nothing. Members are
written in batches (multi-row INSERTs, not row-by-row flushes), each with its audit
event and change-feed event. Exports use the import's headers, so a round trip is
lossless for a caller with PII rights.
"""

from __future__ import annotations

import csv
import io
import tempfile
import uuid
from collections.abc import AsyncIterator, Iterable, Iterator
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from sqlalchemy import insert, select
from sqlalchemy.ext.asyncio import AsyncSession

from app import clock
from app.errors import DangjianError, Unprocessable
from app.models.audit import AuditEvent
from app.models.enums import (
    BRANCH_TYPES,
    ENDED_STATUSES,
    MemberCategory,
    MemberStatus,
    OrgType,
    Role,
)
from app.models.imports import ImportJob
from app.models.member import Member
from app.models.organisation import Organisation
from app.schemas.organisations import OrganisationCreate, OrganisationUpdate
from app.security.pii import mask_id_number, mask_phone
from app.security.scope import Principal, in_scope, may_read_member_pii, require_role, under
from app.services import audit, organisations
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


class ImportFileError(Unprocessable):
    pass


@dataclass
class RowError(Exception):
    column: str
    code: str
    message: str


@dataclass
class Report:
    total_rows: int = 0
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    rejected: list[dict[str, Any]] = field(default_factory=list)

    def reject(self, row: int, column: str, code: str, message: str) -> None:
        self.rejected.append({"row": row, "column": column, "code": code, "message": message})


# --- Reading files ---------------------------------------------------------------------------


def read_table(filename: str, content: bytes) -> list[list[str]]:
    """Rows of a CSV (UTF-8, with or without BOM, or GB18030) or the first XLSX sheet."""
    name = filename.lower()
    if name.endswith(".xlsx"):
        from openpyxl import load_workbook

        try:
            workbook = load_workbook(io.BytesIO(content), read_only=True, data_only=True)
        except Exception as exc:  # openpyxl raises many types for a damaged file
            raise ImportFileError.field("file", "import.file_unreadable", str(exc)[:200]) from exc
        sheet = workbook.worksheets[0]
        rows = [
            [
                "" if v is None else (v.isoformat()[:10] if hasattr(v, "isoformat") else str(v))
                for v in row
            ]
            for row in sheet.iter_rows(values_only=True)
        ]
        workbook.close()
        return rows
    if name.endswith(".csv") or not name:
        for encoding in ("utf-8-sig", "gb18030"):
            try:
                text = content.decode(encoding)
                break
            except UnicodeDecodeError:
                continue
        else:
            raise ImportFileError.field("file", "import.file_unreadable", "not UTF-8 or GB18030")
        return [row for row in csv.reader(io.StringIO(text))]
    raise ImportFileError.field("file", "import.file_type", "upload a .csv or .xlsx file")


def map_headers(kind: str, header: list[str]) -> list[str | None]:
    names = {zh: key for key, zh in COLUMNS[kind]} | {key: key for key, _ in COLUMNS[kind]}
    mapped = [names.get(h.strip()) for h in header]
    missing = [key for key in REQUIRED[kind] if key not in mapped]
    if missing:
        raise ImportFileError.field(
            "file", "import.columns_missing", f"missing columns: {', '.join(missing)}"
        )
    return mapped


def _records(kind: str, rows: list[list[str]]) -> Iterator[tuple[int, dict[str, str]]]:
    """(spreadsheet row number, {field: text}) for every non-empty data row."""
    if not rows:
        raise ImportFileError.field("file", "import.empty", "the file has no header row")
    keys = map_headers(kind, rows[0])
    for number, row in enumerate(rows[1:], start=2):
        values = {k: (row[i].strip() if i < len(row) else "") for i, k in enumerate(keys) if k}
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
            raise RowError(key, "import.date_invalid", "dates are YYYY-MM-DD") from exc
    if key in INT_FIELDS:
        try:
            return int(float(raw))
        except ValueError as exc:
            raise RowError(key, "import.number_invalid", "a whole number") from exc
    return raw


def _row_error(exc: DangjianError) -> RowError:
    if exc.errors:
        first = exc.errors[0]
        return RowError(str(first["field"]), str(first["code"]), str(first["message"]))
    return RowError("", exc.code, exc.detail or exc.code)


# --- Members -----------------------------------------------------------------------------------


@dataclass
class _Prepared:
    row: int
    values: dict[str, Any]
    id_number: str
    index: bytes
    phone: str | None


async def _org_lookup(
    session: AsyncSession, principal: Principal, codes: set[str]
) -> dict[str, Organisation]:
    found: dict[str, Organisation] = {}
    code_list = sorted(codes)
    for start in range(0, len(code_list), BATCH):
        chunk = code_list[start : start + BATCH]
        for org in (
            await session.scalars(select(Organisation).where(Organisation.code.in_(chunk)))
        ).all():
            if in_scope(principal, org.path):
                found[org.code] = org
    return found


def _prepare_member(
    number: int,
    raw: dict[str, str],
    orgs: dict[str, Organisation],
    today: date,
) -> _Prepared:
    values = {k: _convert(k, v) for k, v in raw.items()}
    for key in REQUIRED["members"]:
        if values.get(key) in (None, ""):
            raise RowError(key, "import.value_missing", f"{key} is required")
    try:
        status = MemberStatus(values["status"])
    except ValueError as exc:
        raise RowError(
            "status", "import.status_unknown", f"unknown status {values['status']!r}"
        ) from exc
    try:
        category = MemberCategory(values["category"])
    except ValueError as exc:
        raise RowError(
            "category", "import.category_unknown", f"unknown category {values['category']!r}"
        ) from exc
    org = orgs.get(values["org_code"])
    if org is None:
        raise RowError("org_code", "import.org_unknown", "no such organisation in your scope")
    if OrgType(org.type) not in BRANCH_TYPES or org.type == OrgType.temporary_branch:
        raise RowError("org_code", "member.org_not_branch", "a branch or joint branch")
    group = None
    if values.get("group_code"):
        group = orgs.get(values["group_code"])
        if group is None or group.parent_id != org.id or group.type != OrgType.group:
            raise RowError("group_code", "member.group_invalid", "a party group of that branch")
    try:
        id_number, birth, gender = members_service._parse_id(str(values["id_number"]), today)
        phone = members_service._normalize_phone(values.get("phone"))
        milestones = {k: values.get(k) for k in members_service.MILESTONES}
        members_service._check_dates(milestones, birth, today)
    except DangjianError as exc:
        raise _row_error(exc) from exc
    cipher = members_service.pii_cipher()
    fields = {
        "name": values["name"][:100],
        "gender": gender,
        "birth_date": birth,
        "ethnicity": values.get("ethnicity"),
        "education": values.get("education"),
        "status": status.value,
        "category": category.value,
        "org_id": org.id,
        "org_path": org.path,
        "group_id": group.id if group else None,
        "work_unit": values.get("work_unit"),
        "residence": values.get("residence"),
        "dues_base_fen": values.get("dues_base_fen"),
        **milestones,
    }
    fields["status_since"] = fields.get(members_service.STATUS_SINCE_FIELD.get(status, ""))
    return _Prepared(
        number,
        fields,
        id_number,
        cipher.blind_index(id_number, field=members_service.ID_FIELD),
        phone,
    )


COMPARED = (
    "name",
    "ethnicity",
    "education",
    "group_id",
    "work_unit",
    "residence",
    "dues_base_fen",
    *members_service.MILESTONES,
)


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
    """Validate every row, then insert new members in batches and update changed ones."""
    report = Report(total_rows=len(records))
    codes = {r.get("org_code", "") for _, r in records} | {
        r.get("group_code", "") for _, r in records
    }
    orgs = await _org_lookup(session, principal, {c for c in codes if c})
    prepared: list[_Prepared] = []
    seen: dict[bytes, int] = {}
    for number, raw in records:
        try:
            item = _prepare_member(number, raw, orgs, today)
        except RowError as err:
            report.reject(number, err.column, err.code, err.message)
            continue
        if item.index in seen:
            report.reject(
                number, "id_number", "import.duplicate_in_file", f"same as row {seen[item.index]}"
            )
            continue
        seen[item.index] = number
        prepared.append(item)
    existing: dict[bytes, Member] = {}
    indexes = [p.index for p in prepared]
    for start in range(0, len(indexes), BATCH):
        rows = await session.scalars(
            select(Member).where(
                Member.id_number_index.in_(indexes[start : start + BATCH]),
                Member.status.notin_([s.value for s in ENDED_STATUSES]),
            )
        )
        existing.update({m.id_number_index: m for m in rows.all()})
    inserts: list[_Prepared] = []
    updates: list[tuple[_Prepared, Member, dict[str, Any]]] = []
    for item in prepared:
        current = existing.get(item.index)
        if current is None:
            inserts.append(item)
            continue
        if not in_scope(principal, current.org_path):
            report.reject(
                item.row,
                "id_number",
                "member.id_number_taken",
                "a living member has this ID number",
            )
            continue
        if current.org_id != item.values["org_id"]:
            report.reject(
                item.row,
                "org_code",
                "import.org_change_requires_transfer",
                "use a transfer to move a member",
            )
            continue
        if current.status != item.values["status"]:
            report.reject(
                item.row, "status", "member.status_requires_transition", "use a transition"
            )
            continue
        changes = {k: item.values[k] for k in COMPARED if getattr(current, k) != item.values[k]}
        if changes:
            updates.append((item, current, changes))
        else:
            report.unchanged += 1
    report.created, report.updated = len(inserts), len(updates)
    if dry_run or (atomic and report.rejected):
        if atomic and report.rejected:
            report.created = report.updated = 0
        return report
    cipher = members_service.pii_cipher()
    for start in range(0, len(inserts), BATCH):
        chunk = inserts[start : start + BATCH]
        new_rows: list[dict[str, Any]] = []
        for item in chunk:
            member_id = uuid.UUID(bytes=uuid.uuid4().bytes)
            new_rows.append(
                {
                    **item.values,
                    "id": member_id,
                    "version": 1,
                    "id_number_enc": cipher.encrypt(item.id_number, field=members_service.ID_FIELD),
                    "id_number_index": item.index,
                    "phone_enc": cipher.encrypt(item.phone, field=members_service.PHONE_FIELD)
                    if item.phone
                    else None,
                    "phone_index": cipher.blind_index(item.phone, field=members_service.PHONE_FIELD)
                    if item.phone
                    else None,
                }
            )
        await session.execute(insert(Member), new_rows)
        await session.execute(
            insert(AuditEvent),
            [
                {
                    "actor_id": principal.user_id,
                    "actor_username": principal.username,
                    "action": "member.imported",
                    "resource": "member",
                    "resource_id": str(r["id"]),
                    "org_path": r["org_path"],
                    "after": audit.snapshot(
                        _Row(r), tuple(k for k in members_service.AUDITED_FIELDS if k in r)
                    ),
                }
                for r in new_rows
            ],
        )
        await changes_service.record_created(session, Member, [_Row(r) for r in new_rows])
        if progress is not None:
            await progress(start + len(chunk))
    for _item, current, changes in updates:
        before = audit.snapshot(current, tuple(changes))
        for key, value in changes.items():
            setattr(current, key, value)
        audit.record(
            session, principal, "member.updated", "member", current.id, current.org_path,
            before=before, after=audit.snapshot(current, tuple(changes)),
        )  # fmt: skip
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
        report.reject(number, "parent_code", "import.parent_cycle", "parents refer to each other")
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
            raise RowError(key, "import.value_missing", f"{key} is required")
    current = await session.scalar(select(Organisation).where(Organisation.code == values["code"]))
    parent_id = None
    if values.get("parent_code"):
        parent = await session.scalar(
            select(Organisation).where(Organisation.code == values["parent_code"])
        )
        if parent is None or not in_scope(principal, parent.path):
            raise RowError("parent_code", "import.parent_unknown", "no such parent in your scope")
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
            raise RowError("code", "organisation.code_taken", "the code is used outside your scope")
        if current.parent_id != parent_id or current.type != values["type"]:
            raise RowError(
                "parent_code", "import.org_move_not_supported", "use /organisations/{id}/move"
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
        raise RowError("type", "import.value_invalid", str(exc).splitlines()[0][:200]) from exc
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
    if job.kind == "members":
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
    job.state = "finished"
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
    if kind == "organisations":
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
                m.work_unit or "", m.residence or "", _text(m.dues_base_fen),
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
        writer.writerow(row)
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
        sheet.append(row)
    with tempfile.TemporaryFile() as handle:
        workbook.save(handle)
        handle.seek(0)
        while chunk := handle.read(64 * 1024):
            yield chunk
