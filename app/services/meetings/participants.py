"""Mobile members at their host (流动党员参加流入地党组织活动): a member hosted by an
organisation on a day takes part in its meetings as a participant, whose attendance is
recorded without a vote (not counted among those entitled); the member's organisational
relationship stays at home, so the home branch's meetings still count the member.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from datetime import date

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from app.models.mobile import MobileEpisode


async def hosted_participants(
    session: AsyncSession, org_id: uuid.UUID, day: date, among: Iterable[uuid.UUID] | None = None
) -> set[uuid.UUID]:
    """Members hosted by `org_id` on `day`: taken in (hosted_on) on or before the day and
    not yet back home (ended_on) before it. `among` narrows the answer to those ids."""
    stmt = select(MobileEpisode.member_id).where(
        MobileEpisode.host_org_id == org_id,
        MobileEpisode.hosted_on.is_not(None),
        MobileEpisode.hosted_on <= day,
        MobileEpisode.ended_on.is_(None) | (MobileEpisode.ended_on >= day),
    )
    if among is not None:
        stmt = stmt.where(MobileEpisode.member_id.in_(list(among)))
    return set((await session.scalars(stmt)).all())
