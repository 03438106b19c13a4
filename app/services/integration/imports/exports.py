"""Exports of members as CSV or XLSX, in the import template's columns."""

from __future__ import annotations

import csv
import io
import tempfile
import uuid
from collections.abc import AsyncIterator, Iterable
from datetime import date

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from app.models.enums import ImportKind
from app.models.member import Member
from app.models.organisation import Organisation
from app.security.pii import mask_id_number, mask_phone
from app.security.scope import Principal, may_read_member_pii, member_rows_only, under
from app.services import members as members_service
from app.services.integration.imports import cells
from app.services.integration.imports.parsing import BATCH, COLUMNS

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
        sheet.append(cells.xlsx_row(row))
    with tempfile.TemporaryFile() as handle:
        workbook.save(handle)
        handle.seek(0)
        while chunk := handle.read(64 * 1024):
            yield chunk
