"""Discipline (党纪处分) and reward (表彰) endpoints, under a member."""

from __future__ import annotations

import uuid

from fastapi import Response, status

from app.api.common import API_PREFIX, doc, make_router
from app.api.deps import PrincipalDep, SessionDep, TodayDep
from app.schemas.discipline import (
    DisciplineConclusion,
    DisciplineCreate,
    DisciplineRead,
    RewardCreate,
    RewardRead,
)
from app.services import discipline as service
from app.services import members

router = make_router("members")


@router.post(
    "/members/{member_id}/disciplines",
    name="members_disciplines_record",
    status_code=status.HTTP_201_CREATED,
    description=doc(service.record_discipline),
)
async def members_disciplines_record(
    member_id: uuid.UUID,
    body: DisciplineCreate,
    response: Response,
    session: SessionDep,
    principal: PrincipalDep,
    today: TodayDep,
) -> DisciplineRead:
    member = await members.get_visible(session, principal, member_id, lock=True)
    row = await service.record_discipline(session, principal, member, body, today)
    response.headers["Location"] = f"{API_PREFIX}/members/{member.id}/disciplines"
    return DisciplineRead.model_validate(row)


@router.get("/members/{member_id}/disciplines", name="members_disciplines_list")
async def members_disciplines_list(
    member_id: uuid.UUID, session: SessionDep, principal: PrincipalDep
) -> list[DisciplineRead]:
    """The member's disciplinary decisions, oldest first, with the outcome of a 留党察看."""
    member = await members.get_visible(session, principal, member_id)
    return [
        DisciplineRead.model_validate(d) for d in await service.list_disciplines(session, member)
    ]


@router.post(
    "/members/{member_id}/disciplines/{discipline_id}/conclusion",
    name="members_disciplines_conclude",
    description=doc(service.conclude_discipline),
)
async def members_disciplines_conclude(
    member_id: uuid.UUID,
    discipline_id: uuid.UUID,
    body: DisciplineConclusion,
    session: SessionDep,
    principal: PrincipalDep,
    today: TodayDep,
) -> DisciplineRead:
    member = await members.get_visible(session, principal, member_id, lock=True)
    row = await service.conclude_discipline(session, principal, member, discipline_id, body, today)
    return DisciplineRead.model_validate(row)


@router.post(
    "/members/{member_id}/rewards",
    name="members_rewards_record",
    status_code=status.HTTP_201_CREATED,
    description=doc(service.record_reward),
)
async def members_rewards_record(
    member_id: uuid.UUID,
    body: RewardCreate,
    response: Response,
    session: SessionDep,
    principal: PrincipalDep,
    today: TodayDep,
) -> RewardRead:
    member = await members.get_visible(session, principal, member_id)
    row = await service.record_reward(session, principal, member, body, today)
    response.headers["Location"] = f"{API_PREFIX}/members/{member.id}/rewards"
    return RewardRead.model_validate(row)


@router.get("/members/{member_id}/rewards", name="members_rewards_list")
async def members_rewards_list(
    member_id: uuid.UUID, session: SessionDep, principal: PrincipalDep
) -> list[RewardRead]:
    """The member's rewards (表彰), oldest first."""
    member = await members.get_visible(session, principal, member_id)
    return [RewardRead.model_validate(r) for r in await service.list_rewards(session, member)]
