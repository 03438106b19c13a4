"""Meeting sign-in (签到) with a rotating code, and leave requests (请假)."""

from __future__ import annotations

import uuid
from dataclasses import asdict

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
from app.api.deps import LockedMeeting, PrincipalDep, SessionDep, TodayDep
from app.schemas.common import Page
from app.schemas.sign_in import (
    LeaveDecision,
    LeaveRequestCreate,
    LeaveRequestRead,
    SignInCodeRead,
    SignInCreate,
    SignInOpen,
    SignInRead,
)
from app.services import meetings as service
from app.services.meetings import leave, sign_in

router = make_router("meetings")

LEAVE_SORT = "requested_at"
SIGN_IN_SORT = "signed_at"


@router.post(
    "/meetings/{meeting_id}/sign-in/open",
    name="meetings_sign_in_open",
    description=doc(sign_in.open_sign_in),
)
async def meetings_sign_in_open(
    meeting: LockedMeeting, body: SignInOpen, session: SessionDep, principal: PrincipalDep
) -> SignInCodeRead:
    code = await sign_in.open_sign_in(session, principal, meeting, body.starts_at)
    return SignInCodeRead(**asdict(code))


@router.get(
    "/meetings/{meeting_id}/sign-in/code",
    name="meetings_sign_in_code",
    description=doc(sign_in.current_code),
)
async def meetings_sign_in_code(
    meeting_id: uuid.UUID, response: Response, session: SessionDep, principal: PrincipalDep
) -> SignInCodeRead:
    meeting = await service.get_visible(session, principal, meeting_id)
    code = await sign_in.current_code(session, principal, meeting)
    response.headers["Cache-Control"] = "no-store"
    return SignInCodeRead(**asdict(code))


@router.post(
    "/meetings/{meeting_id}/sign-ins",
    name="meetings_sign_in",
    status_code=status.HTTP_201_CREATED,
    description=doc(sign_in.sign_in),
)
async def meetings_sign_in(
    meeting: LockedMeeting,
    body: SignInCreate,
    response: Response,
    session: SessionDep,
    principal: PrincipalDep,
) -> SignInRead:
    record = await sign_in.sign_in(session, principal, meeting, body.code, body.member_id)
    response.headers["Location"] = f"{API_PREFIX}/meetings/{meeting.id}"
    return SignInRead.model_validate(record, from_attributes=True)


@router.get(
    "/meetings/{meeting_id}/sign-ins",
    name="meetings_sign_ins",
    description=doc(sign_in.sign_ins),
)
async def meetings_sign_ins(
    meeting_id: uuid.UUID,
    session: SessionDep,
    principal: PrincipalDep,
    sort: str = sort_query(SIGN_IN_SORT),
    include_total: TotalQuery = False,
) -> Page[SignInRead]:
    whole_list_order(sort, SIGN_IN_SORT)
    meeting = await service.get_visible(session, principal, meeting_id)
    rows = await sign_in.sign_ins(session, principal, meeting)
    return whole_page(
        [SignInRead.model_validate(r, from_attributes=True) for r in rows], include_total
    )


@router.post(
    "/meetings/{meeting_id}/leave-requests",
    name="meetings_leave_request",
    status_code=status.HTTP_201_CREATED,
    description=doc(leave.request_leave),
)
async def meetings_leave_request(
    meeting: LockedMeeting,
    body: LeaveRequestCreate,
    response: Response,
    session: SessionDep,
    principal: PrincipalDep,
    today: TodayDep,
) -> LeaveRequestRead:
    request = await leave.request_leave(
        session, principal, meeting, body.member_id, body.reason, today
    )
    response.headers["Location"] = f"{API_PREFIX}/meetings/{meeting.id}/leave-requests"
    return LeaveRequestRead.model_validate(request, from_attributes=True)


@router.get(
    "/meetings/{meeting_id}/leave-requests",
    name="meetings_leave_requests",
    description=doc(leave.leave_requests),
)
async def meetings_leave_requests(
    meeting_id: uuid.UUID,
    session: SessionDep,
    principal: PrincipalDep,
    sort: str = sort_query(LEAVE_SORT),
    include_total: TotalQuery = False,
) -> Page[LeaveRequestRead]:
    whole_list_order(sort, LEAVE_SORT)
    meeting = await service.get_visible(session, principal, meeting_id)
    rows = await leave.leave_requests(session, principal, meeting)
    return whole_page(
        [LeaveRequestRead.model_validate(r, from_attributes=True) for r in rows], include_total
    )


async def _decide(
    session: SessionDep,
    principal: PrincipalDep,
    meeting: LockedMeeting,
    request_id: uuid.UUID,
    approve: bool,
    body: LeaveDecision,
) -> LeaveRequestRead:
    request = await leave.get_request(session, principal, meeting, request_id, lock=True)
    request = await leave.decide_leave(session, principal, meeting, request, approve, body.note)
    return LeaveRequestRead.model_validate(request, from_attributes=True)


@router.post(
    "/meetings/{meeting_id}/leave-requests/{request_id}/approve",
    name="meetings_leave_approve",
    description=doc(leave.decide_leave),
)
async def meetings_leave_approve(
    meeting: LockedMeeting,
    request_id: uuid.UUID,
    body: LeaveDecision,
    session: SessionDep,
    principal: PrincipalDep,
) -> LeaveRequestRead:
    return await _decide(session, principal, meeting, request_id, True, body)


@router.post(
    "/meetings/{meeting_id}/leave-requests/{request_id}/reject",
    name="meetings_leave_reject",
    description=doc(leave.decide_leave),
)
async def meetings_leave_reject(
    meeting: LockedMeeting,
    request_id: uuid.UUID,
    body: LeaveDecision,
    session: SessionDep,
    principal: PrincipalDep,
) -> LeaveRequestRead:
    return await _decide(session, principal, meeting, request_id, False, body)
