"""Attendance: present, excused with a reason, or absent."""

from __future__ import annotations

import uuid
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from app import clock
from app.errors import Conflict, ErrorCode, Unprocessable
from app.i18n import Text
from app.models.enums import Presence
from app.models.meeting import Meeting, MeetingAttendee, MeetingVote
from app.models.organisation import Organisation
from app.security.scope import Principal
from app.services.integration import audit
from app.services.meetings.records import explicit_attendees, require_meeting_writer, require_open


async def attendees(session: AsyncSession, meeting_id: uuid.UUID) -> list[MeetingAttendee]:
    rows = await session.scalars(
        select(MeetingAttendee)
        .where(MeetingAttendee.meeting_id == meeting_id)
        .order_by(MeetingAttendee.member_id)
    )
    return list(rows.all())


async def _check_takes_attendance(session: AsyncSession, meeting: Meeting) -> None:
    """Attendance changes while the record is open and no vote was counted against it."""
    require_open(meeting)
    if await session.scalar(
        select(MeetingVote.id).where(MeetingVote.meeting_id == meeting.id).limit(1)
    ):
        raise Conflict(
            ErrorCode.meeting_votes_recorded,
            Text(zh="已按该参会情况计票", en="votes were counted against this attendance"),
        )


def _set(row: MeetingAttendee, presence: str, reason: str | None) -> None:
    if presence == Presence.excused and not reason:
        raise Unprocessable.field("reason", ErrorCode.meeting_excuse_needs_reason)
    row.presence = presence
    row.reason = reason


async def _touch(session: AsyncSession, meeting: Meeting) -> None:
    # Attendance is part of the record: touching the row bumps the meeting's version.
    meeting.updated_at = clock.utcnow()
    await session.flush()


async def mark_attendee(
    session: AsyncSession,
    principal: Principal,
    meeting: Meeting,
    member_id: uuid.UUID,
    presence: Presence,
    reason: str | None,
    action: str,
) -> MeetingAttendee | None:
    """One expected attendee's presence, from a sign-in (present) or an approved leave
    request (excused with its reason); None when the member is not expected. The caller
    decided who may do it; the record's own rules (open, no vote counted) apply here."""
    await _check_takes_attendance(session, meeting)
    row = await session.get(MeetingAttendee, (meeting.id, member_id), with_for_update=True)
    if row is None:
        return None
    _set(row, presence, reason)
    await _touch(session, meeting)
    audit.record(
        session,
        principal,
        action,
        "meeting",
        meeting.id,
        meeting.org_path,
        after={"member_id": str(member_id), "presence": presence.value},
    )
    return row


async def record_attendance(
    session: AsyncSession,
    principal: Principal,
    meeting: Meeting,
    entries: list[dict[str, Any]],
) -> list[MeetingAttendee]:
    """Record attendance (签到): present, excused (with a reason) or absent.

    Members not expected yet are added (as guests without a vote unless full members of
    a general meeting's branch). Refused once votes are recorded, since they were
    counted against this attendance.
    """
    require_meeting_writer(principal)
    await _check_takes_attendance(session, meeting)
    current = {a.member_id: a for a in await attendees(session, meeting.id)}
    new_ids = [e["member_id"] for e in entries if e["member_id"] not in current]
    if new_ids:
        org = await session.get(Organisation, meeting.org_id)
        assert org is not None
        for member_id, vote in await explicit_attendees(
            session, principal, org, meeting.type, new_ids, meeting.held_on, "member_id"
        ):
            current[member_id] = MeetingAttendee(
                meeting_id=meeting.id, member_id=member_id, has_vote=vote
            )
            session.add(current[member_id])
    for entry in entries:
        _set(current[entry["member_id"]], entry["presence"], entry.get("reason"))
    await _touch(session, meeting)
    audit.record(
        session,
        principal,
        "meeting.attendance_recorded",
        "meeting",
        meeting.id,
        meeting.org_path,
        after={"attendance": [{**e, "member_id": str(e["member_id"])} for e in entries]},
    )
    return await attendees(session, meeting.id)
