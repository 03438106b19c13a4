"""Ledger lines and a member's balance as the API shows them, for `/point-entries`,
`/members/{id}/points` and `/me/points` alike."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession

from app.models.member import Member
from app.models.points import PointEntry
from app.schemas.points import BalanceRead, EntryRead
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
