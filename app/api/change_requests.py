"""Member change requests (信息变更申请) as the branch sees and decides them; members file
theirs under `/me/change-requests`."""

from __future__ import annotations

import uuid

from app.api.common import CursorQuery, LimitQuery, TotalQuery, doc, make_router, sort_query
from app.api.deps import LockedChangeRequest, PrincipalDep, SessionDep, TodayDep
from app.api.me import change_request_read
from app.models.enums import ChangeRequestState
from app.schemas.common import Page
from app.schemas.me import ChangeRequestDecision, ChangeRequestRead
from app.services import members
from app.services.members import change_requests as service

router = make_router("members")


@router.get(
    "/member-change-requests",
    name="change_requests_list",
    description=doc(service.list_change_requests),
)
async def change_requests_list(
    session: SessionDep,
    principal: PrincipalDep,
    state: ChangeRequestState | None = None,
    member_id: uuid.UUID | None = None,
    sort: str = sort_query(service.CHANGE_REQUEST_SORT, *service.CHANGE_REQUEST_SORTABLE),
    limit: LimitQuery = None,
    cursor: CursorQuery = None,
    include_total: TotalQuery = False,
) -> Page[ChangeRequestRead]:
    if member_id is not None:
        await members.get_visible(session, principal, member_id, field="member_id")
    page = await service.list_change_requests(
        session,
        principal,
        state=state,
        member_id=member_id,
        limit=limit,
        cursor=cursor,
        sort=sort,
        include_total=include_total,
    )
    items = [change_request_read(r) for r in page.items]
    return Page(items=items, next_cursor=page.next_cursor, total=page.total)


@router.get("/member-change-requests/{request_id}", name="change_requests_get")
async def change_requests_get(
    request_id: uuid.UUID, session: SessionDep, principal: PrincipalDep
) -> ChangeRequestRead:
    """One change request in your subtree (a member: their own)."""
    return change_request_read(await service.get_visible(session, principal, request_id))


@router.post(
    "/member-change-requests/{request_id}/approve",
    name="change_requests_approve",
    description=doc(service.approve_change),
)
async def change_requests_approve(
    row: LockedChangeRequest, session: SessionDep, principal: PrincipalDep, today: TodayDep
) -> ChangeRequestRead:
    return change_request_read(await service.approve_change(session, principal, row, today))


@router.post(
    "/member-change-requests/{request_id}/reject",
    name="change_requests_reject",
    description=doc(service.reject_change),
)
async def change_requests_reject(
    row: LockedChangeRequest,
    body: ChangeRequestDecision,
    session: SessionDep,
    principal: PrincipalDep,
) -> ChangeRequestRead:
    return change_request_read(await service.reject_change(session, principal, row, body.reason))
