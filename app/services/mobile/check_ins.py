"""Check-ins (policy, default monthly): the member reports to the host and the home branch,
naming the kind; check-in locations are purged after the retention period (policy).
"""

from __future__ import annotations

import uuid
from datetime import date, timedelta
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from app.errors import Conflict, ErrorCode, Unprocessable
from app.i18n import Text
from app.models.enums import EpisodeState, ReportedBy, Role, label_zh
from app.models.mobile import OPEN_EPISODE_STATES, MobileCheckIn, MobileEpisode
from app.models.organisation import Organisation
from app.security.scope import Principal, in_scope
from app.services.integration import audit
from app.services.mobile.areas import check_area
from app.services.mobile.episodes import require_mobile_writer
from app.services.policies import effective_policy


async def check_in(
    session: AsyncSession,
    principal: Principal,
    episode: MobileEpisode,
    data: dict[str, Any],
    today: date,
) -> MobileCheckIn:
    """Record a check-in (报到/汇报): by the member or either branch.

    An area code is stored only when the member consented to location recording.
    """
    if principal.role is Role.member:
        reported_by = ReportedBy.member
    else:
        require_mobile_writer(principal)
        reported_by = ReportedBy.home if in_scope(principal, episode.home_path) else ReportedBy.host
    _check_check_in(episode, data, today)
    area = data.get("area")
    row = MobileCheckIn(
        episode_id=episode.id,
        kind=data["kind"],
        occurred_on=data["occurred_on"],
        note=data.get("note"),
        area=area,
        reported_by=reported_by,
        actor_id=principal.user_id,
    )
    session.add(row)
    episode.last_contact_on = max(episode.last_contact_on, data["occurred_on"])
    await session.flush()
    audit.record(
        session,
        principal,
        "mobile.checked_in",
        "mobile_episode",
        episode.id,
        episode.home_path,
        after={"kind": row.kind, "occurred_on": row.occurred_on.isoformat()},
    )
    return row


def _check_check_in(episode: MobileEpisode, data: dict[str, Any], today: date) -> None:
    """The episode is open, the day lies between the outflow and today, and an area
    is given only with the member's consent to location recording."""
    if episode.state not in OPEN_EPISODE_STATES:
        raise Conflict(
            ErrorCode.mobile_episode_closed,
            Text(
                zh=f"该流动记录当前状态为{label_zh(EpisodeState, episode.state)}",
                en=f"the episode is {episode.state}",
            ),
        )
    if data["occurred_on"] > today or data["occurred_on"] < episode.started_on:
        raise Unprocessable.field(
            "occurred_on",
            ErrorCode.mobile_check_in_date_invalid,
            Text(zh="须在外出之日与今天之间", en="between the outflow and today"),
        )
    area = data.get("area")
    if area is not None:
        if not episode.location_consent:
            raise Unprocessable.field(
                "area",
                ErrorCode.mobile_location_without_consent,
                Text(zh="该党员未同意登记所在地", en="the member did not consent"),
            )
        check_area(area, "area")


async def check_ins(session: AsyncSession, episode_id: uuid.UUID) -> list[MobileCheckIn]:
    rows = await session.scalars(
        select(MobileCheckIn)
        .where(MobileCheckIn.episode_id == episode_id)
        .order_by(MobileCheckIn.occurred_on)
    )
    return list(rows.all())


async def purge_locations(session: AsyncSession, today: date) -> int:
    """Remove check-in area codes older than the retention policy of each home subtree."""
    homes = (
        (
            await session.execute(
                select(MobileEpisode.home_org_id)
                .join(MobileCheckIn, MobileCheckIn.episode_id == MobileEpisode.id)
                .where(MobileCheckIn.area.is_not(None))
                .distinct()
            )
        )
        .scalars()
        .all()
    )
    purged = 0
    for home_id in homes:
        org = await session.get(Organisation, home_id)
        assert org is not None
        days = int((await effective_policy(session, org))["location_retention_days"])
        cutoff = today - timedelta(days=days)
        result = await session.execute(
            update(MobileCheckIn)
            .where(
                MobileCheckIn.area.is_not(None),
                MobileCheckIn.occurred_on < cutoff,
                MobileCheckIn.episode_id.in_(
                    select(MobileEpisode.id).where(MobileEpisode.home_org_id == home_id)
                ),
            )
            .values(area=None)
        )
        purged += int(result.rowcount or 0)  # type: ignore[attr-defined]  # CursorResult of UPDATE
    if purged:
        audit.record(
            session,
            None,
            "mobile.locations_purged",
            "mobile_check_in",
            None,
            None,
            after={"rows": purged},
        )
    return purged
