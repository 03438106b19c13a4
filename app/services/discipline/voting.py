"""Who has lost the vote: a member under 留党察看 has no vote on the days of its period."""

from __future__ import annotations

import uuid
from collections.abc import Collection
from datetime import date

from sqlalchemy import ColumnElement, and_, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from app.models.discipline import Discipline
from app.models.enums import DisciplineKind


def under_probation_on(day: date) -> ColumnElement[bool]:
    """SQL: the discipline is a 留党察看 whose period covers `day`.

    The period runs from the decision to the day before `ends_on`; an outcome recorded
    earlier (expulsion) ends it on that day.
    """
    d = Discipline
    return and_(
        d.kind == DisciplineKind.probation,
        d.decided_on <= day,
        d.ends_on > day,
        or_(d.concluded_on.is_(None), d.concluded_on > day),
    )


async def without_vote(
    session: AsyncSession, member_ids: Collection[uuid.UUID], day: date
) -> set[uuid.UUID]:
    """Of `member_ids`, those under 留党察看 on `day`: they attend without a vote."""
    if not member_ids:
        return set()
    rows = await session.scalars(
        select(Discipline.member_id).where(
            Discipline.member_id.in_(list(member_ids)), under_probation_on(day)
        )
    )
    return set(rows.all())
