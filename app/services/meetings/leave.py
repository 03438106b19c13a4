"""Leave requests (请假): a member asks before the meeting, the host or a secretary
decides; an approved request is attendance `excused` with its reason."""

from __future__ import annotations

import uuid
from datetime import date

from sqlalchemy import ColumnElement, and_, select
from sqlalchemy.ext.asyncio import AsyncSession

from app import clock
from app.errors import Conflict, ErrorCode, Unprocessable
from app.models.enums import LeaveState, MeetingState, Presence, Role
from app.models.meeting import Meeting, MeetingAttendee
from app.models.sign_in import MeetingLeaveRequest, MeetingSignIn, MeetingSignInWindow
from app.security.scope import Principal, member_rows_only, not_found
from app.services.integration import audit
from app.services.meetings.attendance import mark_attendee
from app.services.meetings.records import require_open
from app.services.meetings.sign_in import attendee_named, require_host


async def _check_before(session: AsyncSession, meeting: Meeting, today: date) -> None:
    """Leave is asked before the meeting: not after its day, nor once its sign-in start
    has passed."""
    window = await session.get(MeetingSignInWindow, meeting.id)
    if today > meeting.held_on or (window is not None and clock.utcnow() >= window.starts_at):
        raise Conflict(ErrorCode.leave_too_late)


async def request_leave(
    session: AsyncSession,
    principal: Principal,
    meeting: Meeting,
    member_id: uuid.UUID | None,
    reason: str,
    today: date,
) -> MeetingLeaveRequest:
    """Ask for leave from a meeting (请假) with a reason, before it starts. A member asks
    for themself; a secretary or administrator may file it for an expected attendee.
    One pending or approved request per member and meeting."""
    member = await attendee_named(session, principal, member_id)
    require_open(meeting)
    await _check_before(session, meeting, today)
    if await session.get(MeetingAttendee, (meeting.id, member)) is None:
        raise Unprocessable.field("member_id", ErrorCode.sign_in_not_expected)
    if await session.get(MeetingSignIn, (meeting.id, member)) is not None:
        raise Conflict(ErrorCode.leave_signed_in)
    live = await session.scalar(
        select(MeetingLeaveRequest.id).where(
            MeetingLeaveRequest.meeting_id == meeting.id,
            MeetingLeaveRequest.member_id == member,
            MeetingLeaveRequest.state != LeaveState.rejected,
        )
    )
    if live is not None:
        raise Conflict(ErrorCode.leave_already_requested)
    request = MeetingLeaveRequest(
        meeting_id=meeting.id,
        member_id=member,
        reason=reason,
        state=LeaveState.pending,
        requested_at=clock.utcnow(),
    )
    session.add(request)
    await session.flush()
    audit.record(
        session,
        principal,
        "meeting.leave_requested",
        "meeting",
        meeting.id,
        meeting.org_path,
        after={"leave_request_id": str(request.id), "member_id": str(member)},
    )
    return request


async def get_request(
    session: AsyncSession,
    principal: Principal,
    meeting: Meeting,
    request_id: uuid.UUID,
    *,
    lock: bool = False,
) -> MeetingLeaveRequest:
    """A leave request of a visible meeting; a member user only its own (else 404)."""
    stmt = select(MeetingLeaveRequest).where(
        MeetingLeaveRequest.id == request_id, MeetingLeaveRequest.meeting_id == meeting.id
    )
    own = member_rows_only(principal)
    if own is not None:
        stmt = stmt.where(MeetingLeaveRequest.member_id == own)
    request = await session.scalar(stmt.with_for_update() if lock else stmt)
    if request is None:
        raise not_found(ErrorCode.leave_not_found)
    return request


async def decide_leave(
    session: AsyncSession,
    principal: Principal,
    meeting: Meeting,
    request: MeetingLeaveRequest,
    approve: bool,
    note: str | None,
) -> MeetingLeaveRequest:
    """Approve or reject a pending leave request (the host, a secretary or an
    administrator). Approved, the member's attendance is `excused` with the reason."""
    require_host(principal, meeting)
    if request.state != LeaveState.pending:
        raise Conflict(ErrorCode.leave_already_decided)
    signed_in = await session.get(MeetingSignIn, (meeting.id, request.member_id))
    if approve and signed_in is not None:
        raise Conflict(ErrorCode.leave_signed_in)  # came after all: present stays
    if approve:
        await mark_attendee(
            session,
            principal,
            meeting,
            request.member_id,
            Presence.excused,
            request.reason,
            "meeting.leave_approved",
        )
    else:
        require_open(meeting)
    request.state = LeaveState.approved if approve else LeaveState.rejected
    request.decided_at = clock.utcnow()
    request.decided_by = principal.user_id
    request.note = note
    await session.flush()
    if not approve:
        audit.record(
            session,
            principal,
            "meeting.leave_rejected",
            "meeting",
            meeting.id,
            meeting.org_path,
            after={"leave_request_id": str(request.id)},
        )
    return request


async def leave_requests(
    session: AsyncSession, principal: Principal, meeting: Meeting
) -> list[MeetingLeaveRequest]:
    """A meeting's leave requests in the order asked; a member user sees its own."""
    stmt = (
        select(MeetingLeaveRequest)
        .where(MeetingLeaveRequest.meeting_id == meeting.id)
        .order_by(MeetingLeaveRequest.requested_at, MeetingLeaveRequest.id)
    )
    own = member_rows_only(principal)
    if own is not None:
        stmt = stmt.where(MeetingLeaveRequest.member_id == own)
    return list((await session.scalars(stmt)).all())


def leave_to_decide(principal: Principal) -> ColumnElement[bool] | None:
    """SQL over a leave request joined to its meeting: pending requests the principal
    may decide (`require_host`): of the meetings it hosts, and for a secretary or an
    administrator of every planned meeting in its subtree. None: it decides none."""
    if principal.role in (Role.system_admin, Role.org_admin, Role.branch_secretary):
        mine = principal.scope.filter(Meeting.org_path)
    elif principal.member_id is not None:
        mine = Meeting.host_id == principal.member_id
    else:
        return None
    return and_(
        MeetingLeaveRequest.state == LeaveState.pending,
        Meeting.state == MeetingState.planned,
        mine,
    )
