"""Discipline (党纪处分) and reward (表彰) endpoints, under a member."""

from __future__ import annotations

import uuid

from fastapi import Response, status

from app.api.common import (
    API_PREFIX,
    TotalQuery,
    doc,
    make_router,
    sort_query,
    whole_list_order,
    whole_page,
)
from app.api.deps import LockedMember, PrincipalDep, SessionDep, TodayDep, VisibleMember
from app.schemas.common import Page
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
    member: LockedMember,
    body: DisciplineCreate,
    response: Response,
    session: SessionDep,
    principal: PrincipalDep,
    today: TodayDep,
) -> DisciplineRead:
    row = await service.record_discipline(session, principal, member, body, today)
    response.headers["Location"] = f"{API_PREFIX}/members/{member.id}/disciplines"
    return DisciplineRead.model_validate(row)


@router.get("/members/{member_id}/disciplines", name="members_disciplines_list")
async def members_disciplines_list(
    member_id: uuid.UUID,
    session: SessionDep,
    principal: PrincipalDep,
    sort: str = sort_query("decided_on"),
    include_total: TotalQuery = False,
) -> Page[DisciplineRead]:
    """The member's disciplinary decisions, oldest first, with the outcome of a 留党察看
    (one page: all of them)."""
    whole_list_order(sort, "decided_on")
    member = await members.get_visible(session, principal, member_id)
    rows = await service.list_disciplines(session, member)
    return whole_page([DisciplineRead.model_validate(d) for d in rows], include_total)


@router.post(
    "/members/{member_id}/disciplines/{discipline_id}/conclusion",
    name="members_disciplines_conclude",
    description=doc(service.conclude_discipline),
)
async def members_disciplines_conclude(
    member: LockedMember,
    discipline_id: uuid.UUID,
    body: DisciplineConclusion,
    session: SessionDep,
    principal: PrincipalDep,
    today: TodayDep,
) -> DisciplineRead:
    row = await service.conclude_discipline(session, principal, member, discipline_id, body, today)
    return DisciplineRead.model_validate(row)


@router.post(
    "/members/{member_id}/rewards",
    name="members_rewards_record",
    status_code=status.HTTP_201_CREATED,
    description=doc(service.record_reward),
)
async def members_rewards_record(
    member: VisibleMember,
    body: RewardCreate,
    response: Response,
    session: SessionDep,
    principal: PrincipalDep,
    today: TodayDep,
) -> RewardRead:
    row = await service.record_reward(session, principal, member, body, today)
    response.headers["Location"] = f"{API_PREFIX}/members/{member.id}/rewards"
    return RewardRead.model_validate(row)


@router.get("/members/{member_id}/rewards", name="members_rewards_list")
async def members_rewards_list(
    member_id: uuid.UUID,
    session: SessionDep,
    principal: PrincipalDep,
    sort: str = sort_query("awarded_on"),
    include_total: TotalQuery = False,
) -> Page[RewardRead]:
    """The member's rewards (表彰), oldest first (one page: all of them)."""
    whole_list_order(sort, "awarded_on")
    member = await members.get_visible(session, principal, member_id)
    rows = await service.list_rewards(session, member)
    return whole_page([RewardRead.model_validate(r) for r in rows], include_total)
