"""Member (党员) endpoints."""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import Query, Response, status

from app.api.common import (
    API_PREFIX,
    CursorQuery,
    IfMatch,
    LimitQuery,
    TotalQuery,
    doc,
    json_response,
    make_router,
    sort_query,
)
from app.api.deps import (
    AsOfDep,
    PrincipalDep,
    SessionDep,
    TodayDep,
    VisibleMember,
    check_if_match,
    set_etag,
)
from app.api.routing import principal_checked_by_read
from app.models.enums import MemberCategory, MemberStatus
from app.schemas.common import Page
from app.schemas.members import (
    MemberCreate,
    MemberRead,
    MemberUpdate,
    Timeline,
    TransitionCreate,
    TransitionRead,
)
from app.services import lifecycle
from app.services import members as service

router = make_router("members")


@router.post(
    "/members",
    name="members_create",
    status_code=status.HTTP_201_CREATED,
    description=doc(service.create_member),
)
async def members_create(
    body: MemberCreate,
    response: Response,
    session: SessionDep,
    principal: PrincipalDep,
    today: TodayDep,
) -> MemberRead:
    member = await service.create_member(session, principal, body, today)
    response.headers["Location"] = f"{API_PREFIX}/members/{member.id}"
    set_etag(response, member.version)
    return (await service.present(session, principal, [member], today))[0]


@router.get(
    "/members",
    name="members_list",
    description=doc(service.list_members),
    response_model=Page[MemberRead],
)
@principal_checked_by_read
async def members_list(
    session: SessionDep,
    principal: PrincipalDep,
    today: AsOfDep,
    org_id: uuid.UUID | None = None,
    within: Annotated[
        uuid.UUID | None, Query(description="Whole subtree of this organisation.")
    ] = None,
    group_id: uuid.UUID | None = None,
    status: Annotated[list[MemberStatus] | None, Query(description="Repeat for several.")] = None,
    category: Annotated[list[MemberCategory] | None, Query()] = None,
    flag: Annotated[
        list[str],
        Query(
            description="Date-driven flags, e.g. `probation.due` (as of `as_of`).",
            json_schema_extra={"items": {"type": "string", "enum": list(lifecycle.FLAG_CODES)}},
        ),
    ] = [],  # noqa: B006 (FastAPI copies a query default; never mutated)
    q: Annotated[str | None, Query(max_length=100, description="Name starts with.")] = None,
    id_number: Annotated[str | None, Query(max_length=20, description="Exact ID number.")] = None,
    sort: str = sort_query(service.MEMBER_SORT, *service.MEMBER_SORTABLE),
    limit: LimitQuery = None,
    cursor: CursorQuery = None,
    include_total: TotalQuery = False,
) -> Response:
    page = await service.list_members(
        session,
        principal,
        org_id=org_id,
        within=within,
        group_id=group_id,
        status=status,
        category=category,
        flag=flag,
        q=q,
        id_number=id_number,
        today=today,
        sort=sort,
        limit=limit,
        cursor=cursor,
        include_total=include_total,
    )
    rows = [row for row, _ in page.items]
    items = await service.render(session, principal, rows, today, [f for _, f in page.items])
    return json_response({"items": items, "next_cursor": page.next_cursor, "total": page.total})


@router.get("/members/{member_id}", name="members_get", response_model=MemberRead)
@principal_checked_by_read
async def members_get(
    member_id: uuid.UUID,
    session: SessionDep,
    principal: PrincipalDep,
    today: TodayDep,
) -> Response:
    """One member's record; ID number and phone unmasked (and audited) only with PII rights."""
    body, version = await service.read_one(session, principal, member_id, today)
    return json_response(body, headers={"ETag": f'"{version}"'})


@router.patch("/members/{member_id}", name="members_update", description=doc(service.update_member))
async def members_update(
    member: VisibleMember,
    body: MemberUpdate,
    response: Response,
    session: SessionDep,
    principal: PrincipalDep,
    today: TodayDep,
    if_match: IfMatch = None,
) -> MemberRead:
    check_if_match(if_match, member.version)
    member = await service.update_member(session, principal, member, body, today)
    set_etag(response, member.version)
    return (await service.present(session, principal, [member], today))[0]


@router.post(
    "/members/{member_id}/transitions",
    name="members_transition",
    status_code=status.HTTP_201_CREATED,
    description=doc(lifecycle.record_transition),
)
async def members_transition(
    member: VisibleMember,
    body: TransitionCreate,
    response: Response,
    session: SessionDep,
    principal: PrincipalDep,
    today: TodayDep,
) -> TransitionRead:
    transition = await lifecycle.record_transition(
        session,
        principal,
        member,
        lifecycle.TransitionRequest(
            to_status=body.to_status,
            effective_date=body.effective_date,
            reason=body.reason,
            meeting_id=body.meeting_id,
            extension_months=body.extension_months,
        ),
        today,
    )
    response.headers["Location"] = f"{API_PREFIX}/members/{member.id}/timeline"
    set_etag(response, member.version)
    return TransitionRead.model_validate(transition)


@router.get(
    "/members/{member_id}/timeline",
    name="members_timeline",
    description=doc(lifecycle.member_timeline),
)
async def members_timeline(member: VisibleMember, session: SessionDep) -> Timeline:
    return await lifecycle.timeline_read(session, member)
