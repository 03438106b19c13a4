"""A mobile episode as the caller reads it (each side sees the other organisation's
id only when it lies in its own subtree), for `/mobile-episodes` and `/me` alike."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import date

from sqlalchemy.ext.asyncio import AsyncSession

from app.models.mobile import MobileCheckIn, MobileEpisode
from app.schemas.mobile import CheckInRead, EpisodeDetail, EpisodeRead
from app.schemas.transfers import OrgRef
from app.security.scope import Principal
from app.services.mobile.check_ins import check_ins
from app.services.mobile.episodes import EpisodeView, get_visible, views


def _shape(v: EpisodeView) -> EpisodeRead:
    episode = v.episode
    return EpisodeRead.model_validate(
        {
            **{
                k: getattr(episode, k)
                for k in (
                    "id",
                    "member_id",
                    "host_org_id",
                    "destination_area",
                    "reason",
                    "expected_months",
                    "certificate_no",
                    "location_consent",
                    "state",
                    "started_on",
                    "hosted_on",
                    "ended_on",
                    "last_contact_on",
                    "version",
                )
            },
            "member_name": v.member_name,
            "home_org_id": episode.home_org_id if v.home_side else None,
            "home_org": OrgRef(
                id=v.home_org.id if v.home_side else None,
                code=v.home_org.code,
                name=v.home_org.name,
            ),
            "host_org": OrgRef(
                id=v.host_org.id if v.host_side else None,
                code=v.host_org.code,
                name=v.host_org.name,
            )
            if v.host_org
            else None,
            "contact": v.contact,
            "contact_state": v.contact_state,
        }
    )


async def episode_reads(
    session: AsyncSession, principal: Principal, episodes: Sequence[MobileEpisode], today: date
) -> list[EpisodeRead]:
    """Episodes as the caller reads them, one statement for the page (`views`)."""
    return [_shape(v) for v in await views(session, principal, episodes, today)]


async def episode_read(
    session: AsyncSession, principal: Principal, episode: MobileEpisode, today: date
) -> EpisodeRead:
    return (await episode_reads(session, principal, [episode], today))[0]


async def episode_detail(
    session: AsyncSession, principal: Principal, episode_id: uuid.UUID, as_of: date
) -> tuple[EpisodeDetail, int]:
    """One episode with its check-ins (home side, host side or the member), and its
    version (the ETag)."""
    episode = await get_visible(session, principal, episode_id)
    read = await episode_read(session, principal, episode, as_of)
    rows = await check_ins(session, episode.id)
    detail = EpisodeDetail(**read.model_dump(), check_ins=[check_in_read(c) for c in rows])
    return detail, episode.version


def check_in_read(row: MobileCheckIn) -> CheckInRead:
    return CheckInRead.model_validate(row, from_attributes=True)
