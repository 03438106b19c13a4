"""Ledger lines and a member's balance as the API shows them, for `/point-entries`,
`/members/{id}/points` and `/me/points` alike."""

from __future__ import annotations

import uuid

from sqlalchemy import Select, select
from sqlalchemy.ext.asyncio import AsyncSession

from app.models.member import Member
from app.models.points import PointEntry
from app.pagination import Page, paginate, parse_sort
from app.schemas.points import BalanceRead, EntryRead
from app.security.scope import Principal, member_rows_only, subtree_filter, under
from app.services import members
from app.services.points.ranking import balance


def entry_read(entry: PointEntry) -> EntryRead:
    return EntryRead.model_validate(entry, from_attributes=True)


async def balance_read(session: AsyncSession, member: Member, year: int) -> BalanceRead:
    """The member's balance for the year with its entries (`balance`)."""
    b = await balance(session, member, year)
    return BalanceRead(
        member_id=member.id,
        year=b.year,
        base=b.base,
        total=b.total,
        grade=b.grade,
        by_category=b.by_category,
        entries=[entry_read(e) for e in b.entries],
    )


# The orders the list offers (`?sort=`); ties are broken by id.
ENTRY_SORT = "-created_at"
ENTRY_SORTABLE = {"created_at": PointEntry.created_at}


async def list_entries(
    session: AsyncSession,
    principal: Principal,
    *,
    within_path: str | None,
    member_id: uuid.UUID | None,
    state: str | None,
    year: int | None,
    limit: int | None,
    cursor: str | None,
    sort: str | None = None,
    include_total: bool = False,
) -> Page[PointEntry]:
    """Ledger lines in your subtree (a member: their own), newest first."""
    if member_id is not None:  # a filter's id answers like any other id (load_visible)
        await members.get_visible(session, principal, member_id, field="member_id")
    stmt: Select[PointEntry] = select(PointEntry).where(
        subtree_filter(principal, PointEntry.org_path)
    )
    own = member_rows_only(principal)
    if own is not None:
        stmt = stmt.where(PointEntry.member_id == own)
    if within_path:
        stmt = stmt.where(under(PointEntry.org_path, within_path))
    if member_id:
        stmt = stmt.where(PointEntry.member_id == member_id)
    if state:
        stmt = stmt.where(PointEntry.state == state)
    if year:
        stmt = stmt.where(PointEntry.year == year)
    keys = parse_sort(sort, ENTRY_SORTABLE, PointEntry.id, default=ENTRY_SORT)
    return await paginate(
        session, stmt, keys, limit=limit, cursor=cursor, include_total=include_total
    )
