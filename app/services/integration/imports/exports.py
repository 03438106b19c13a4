"""Exports of members as CSV or XLSX, in the import template's columns."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator, Callable, Iterable
from dataclasses import dataclass
from datetime import date
from functools import partial
from typing import Any, Literal

from sqlalchemy import Row, select, tuple_
from sqlalchemy.ext.asyncio import AsyncSession

from app.db import get_sessionmaker
from app.models.enums import LABELS, ImportKind
from app.models.member import Member
from app.models.organisation import Organisation
from app.security.pii import mask_id_number, mask_phone, pii_cipher
from app.security.scope import Principal, member_pii_reader, member_rows_only, under
from app.services import members as members_service
from app.services import organisations
from app.services.integration import audit
from app.services.integration.imports.parsing import COLUMNS
from app.services.integration.imports.streaming import Batch, export_csv, export_xlsx
from app.services.integration.imports.values import ENUM_FIELDS

# --- Export -----------------------------------------------------------------------------------

ExportFormat = Literal["csv", "xlsx"]
# How enum columns are written: the Chinese labels people read, or the codes integrators key on.
LabelStyle = Literal["zh", "codes"]
XLSX_MEDIA = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
# Rows per page read and encoded at once. A page's rows are received on the event loop:
# the loop's lag p99 during a province export was 46-61 ms at 1000, 34-48 ms at 500
# (a loaded shared machine, bench/RESULTS.md).
EXPORT_BATCH = 500
# What a member's row is built from, read as plain rows: building a page of ORM entities
# held the event loop ~50 ms per thousand members (every other request on the worker
# waited behind it); plain rows cost a fraction of that, and are turned into cells in the
# encoder's thread.
MEMBER_COLUMNS = (
    Member.id, Member.org_path, Member.org_id, Member.group_id, Member.name,
    Member.id_number_enc, Member.phone_enc, Member.status, Member.category,
    Member.ethnicity, Member.education,
    *[getattr(Member, k) for k in members_service.MILESTONES],
    Member.work_unit, Member.residence, Member.dues_base_fen, Member.degree, Member.post,
    Member.new_social_stratum, Member.hardship,
)  # fmt: skip


def _enum_text(key: str, code: str, style: LabelStyle) -> str:
    """An enum column's cell: its Chinese label (what the import reads back), or the code."""
    if style == "codes":
        return code
    return LABELS[ENUM_FIELDS[key]].get(code, code)


async def export_batches(
    session: AsyncSession,
    principal: Principal,
    kind: str,
    root: Organisation,
    style: LabelStyle = "zh",
) -> AsyncIterator[Batch]:
    """The header, then the subtree in keyset pages along its path index (members by
    (org_path, id), organisations by path): each page is one index range scan, whatever
    the subtree's size. Each batch is a function building its rows, for the encoder's
    thread."""
    header = [zh for _, zh in COLUMNS[kind]]
    yield lambda: [header]
    batches = (
        _organisation_batches(session, root, style)
        if kind == ImportKind.organisations
        else _member_batches(session, principal, root, style)
    )
    async for batch in batches:
        yield batch


async def export_rows(
    session: AsyncSession,
    principal: Principal,
    kind: str,
    root: Organisation,
    style: LabelStyle = "zh",
) -> AsyncIterator[list[str]]:
    """The export's rows one by one (the header first)."""
    async for batch in export_batches(session, principal, kind, root, style):
        for row in batch():
            yield row


async def _organisation_batches(
    session: AsyncSession, root: Organisation, style: LabelStyle
) -> AsyncIterator[Batch]:
    codes: dict[uuid.UUID, str] = {}
    after = None
    while True:
        stmt = (
            select(Organisation)
            .where(under(Organisation.path, root.path))
            .order_by(Organisation.path)
            .limit(EXPORT_BATCH)
        )
        if after is not None:
            stmt = stmt.where(Organisation.path > after)
        batch = list((await session.scalars(stmt)).all())
        if not batch:
            return
        parents = {o.parent_id for o in batch if o.parent_id}
        await _codes(session, codes, parents)
        codes.update({org.id: org.code for org in batch})
        yield partial(_organisation_rows, batch, {p: codes[p] for p in parents}, style)
        after = batch[-1].path


def _organisation_rows(
    batch: list[Organisation], codes: dict[uuid.UUID, str], style: LabelStyle
) -> list[list[str]]:
    return [_organisation_row(org, codes, style) for org in batch]


def _organisation_row(
    org: Organisation, codes: dict[uuid.UUID, str], style: LabelStyle
) -> list[str]:
    return [
        org.code, org.name, _enum_text("type", org.type, style),
        codes.get(org.parent_id, "") if org.parent_id else "",
        _text(org.unit_category), org.unit_credit_code or "", _text(org.unit_count),
        _text(org.founded_on), _text(org.term_started_on),
        org.division_code or "", org.contact_person or "", org.unit_type or "",
        org.economic_type or "", org.unit_size or "", org.national_id or "",
    ]  # fmt: skip


async def member_page(
    session: AsyncSession,
    principal: Principal,
    root: Organisation,
    after: tuple[str, uuid.UUID] | None,
) -> list[Row[Any]]:
    """One page of a subtree's members after the keyset `after` (org_path, id): the
    columns of `MEMBER_COLUMNS`."""
    stmt = (
        select(*MEMBER_COLUMNS)
        .where(under(Member.org_path, root.path))
        .order_by(Member.org_path, Member.id)
        .limit(EXPORT_BATCH)
    )
    if after is not None:
        stmt = stmt.where(tuple_(Member.org_path, Member.id) > tuple_(*after))
    if (own := member_rows_only(principal)) is not None:
        stmt = stmt.where(Member.id == own)
    return list((await session.execute(stmt)).all())


async def _member_batches(
    session: AsyncSession, principal: Principal, root: Organisation, style: LabelStyle
) -> AsyncIterator[Batch]:
    codes: dict[uuid.UUID, str] = {}
    after = None
    while True:
        people = await member_page(session, principal, root, after)
        if not people:
            return
        orgs = {m.org_id for m in people} | {m.group_id for m in people if m.group_id}
        await _codes(session, codes, orgs)
        yield partial(_member_rows, principal, people, {o: codes[o] for o in orgs}, style)
        after = (people[-1].org_path, people[-1].id)


def _member_rows(
    principal: Principal, people: list[Row[Any]], codes: dict[uuid.UUID, str], style: LabelStyle
) -> list[list[str]]:
    may_read = member_pii_reader(principal)
    return [_member_row(may_read, m, codes, style) for m in people]


def _member_row(
    may_read: Callable[[uuid.UUID, str], bool],
    m: Row[Any],
    codes: dict[uuid.UUID, str],
    style: LabelStyle,
) -> list[str]:
    """One member's row; ID number and phone masked without PII rights on them
    (`may_read`: the principal's `scope.member_pii_reader`)."""
    cipher = pii_cipher()
    unmasked = may_read(m.id, m.org_path)
    number = cipher.decrypt(m.id_number_enc, field=members_service.ID_FIELD)
    phone = cipher.decrypt(m.phone_enc, field=members_service.PHONE_FIELD) if m.phone_enc else ""
    return [
        m.name, number if unmasked else mask_id_number(number), codes[m.org_id],
        _enum_text("status", m.status, style), _enum_text("category", m.category, style),
        m.ethnicity or "", m.education or "",
        (phone if unmasked else mask_phone(phone)) if phone else "",
        codes.get(m.group_id, "") if m.group_id else "",
        *[_text(getattr(m, k)) for k in members_service.MILESTONES],
        m.work_unit or "", m.residence or "", _text(m.dues_base_fen),
        m.degree or "", m.post or "", m.new_social_stratum or "", m.hardship or "", str(m.id),
    ]  # fmt: skip


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


@dataclass
class ExportFile:
    """An export ready to stream: its chunks, media type and file name."""

    chunks: AsyncIterator[bytes]
    media_type: str
    filename: str


async def export_file(
    session: AsyncSession,
    principal: Principal,
    *,
    kind: ImportKind,
    within: uuid.UUID | None,
    fmt: ExportFormat,
    style: LabelStyle,
) -> ExportFile:
    """A subtree's export (yours when `within` is absent). A members export is audited;
    the rows stream from a session of their own, opened once the response starts."""
    root = await organisations.get_visible(
        session, principal, within or principal.org_id, field="within"
    )
    if kind == ImportKind.members:
        audit.record(
            session, principal, "export.members", "organisation", root.id, root.path,
            after={"format": fmt, "labels": style},
        )  # fmt: skip

    async def stream() -> AsyncIterator[bytes]:
        async with get_sessionmaker()() as export_session:
            batches = export_batches(export_session, principal, kind, root, style)
            chunks = export_xlsx(batches) if fmt == "xlsx" else export_csv(batches)
            async for chunk in chunks:
                yield chunk

    media = XLSX_MEDIA if fmt == "xlsx" else "text/csv; charset=utf-8"
    return ExportFile(stream(), media, f"{kind}.{fmt}")
