"""Arrears: 6 consecutive unpaid months without an approved reason flag the branch (not an
automatic status change).
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import date

from sqlalchemy import case, exists, literal, null, or_, select
from sqlalchemy.dialects.postgresql import array
from sqlalchemy.ext.asyncio import AsyncSession

from app.models.enums import PARTY_MEMBER_STATUS_VALUES
from app.models.lifecycle import MemberTransition
from app.models.member import Member
from app.models.organisation import Organisation
from app.security.scope import under
from app.services.dues.assessment import month_index
from app.services.unpaid_dues import (
    CONSECUTIVE_UNPAID_FLAG,
    month_owed_and_unpaid,
    months_ending,
)


@dataclass(frozen=True)
class Arrears:
    member_id: uuid.UUID
    name: str
    org_id: uuid.UUID
    unpaid_months: list[date]
    longest_unpaid_run: int
    flagged: bool


def longest_run(months: list[date]) -> int:
    """The longest run of consecutive calendar months in a sorted list."""
    best = run = 0
    previous: int | None = None
    for month in months:
        index = month_index(month)
        run = run + 1 if previous is not None and index == previous + 1 else 1
        best = max(best, run)
        previous = index
    return best


async def arrears(
    session: AsyncSession,
    org: Organisation,
    *,
    as_of: date,
    window_months: int,
    after_member: uuid.UUID | None,
    limit: int,
) -> tuple[list[Arrears], uuid.UUID | None]:
    """Members of the subtree with unpaid months in the window ending with `as_of`'s month.

    Exempt months do not count, nor months the member did not owe (the status of each
    month, as in `assess`): a member suspended since September still owes August. Six
    consecutive unpaid months are flagged for the branch (`dues.six_months_unpaid`): a
    suggestion, never an automatic status change. Which month is owed and unpaid is
    `unpaid_dues.month_owed_and_unpaid`, the definition the member's flag reads too.
    """
    months = months_ending(as_of, window_months)
    stmt = (
        select(
            Member.id,
            Member.name,
            Member.org_id,
            array([case((month_owed_and_unpaid(m), literal(m)), else_=null()) for m in months]),
        )
        .where(
            under(Member.org_path, org.path),
            or_(
                Member.status.in_(PARTY_MEMBER_STATUS_VALUES),
                exists().where(
                    MemberTransition.member_id == Member.id,
                    MemberTransition.from_status.in_(PARTY_MEMBER_STATUS_VALUES),
                    MemberTransition.effective_date >= months[0],
                ),
            ),
            or_(*(month_owed_and_unpaid(m) for m in months)),
        )
        .order_by(Member.id)
        .limit(limit + 1)
    )
    if after_member is not None:
        stmt = stmt.where(Member.id > after_member)
    rows = (await session.execute(stmt)).all()
    items = []
    for member_id, name, org_id, marked in rows[:limit]:
        owed = [m for m in marked if m is not None]
        run = longest_run(owed)
        items.append(Arrears(member_id, name, org_id, owed, run, run >= CONSECUTIVE_UNPAID_FLAG))
    next_after = rows[limit - 1][0] if len(rows) > limit else None
    return items, next_after
