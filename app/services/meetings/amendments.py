"""Finalizing locks a meeting record (and scores attendance); later corrections are
amendments, never edits.
"""

from __future__ import annotations

import uuid
from datetime import date
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from app import clock
from app.errors import Conflict, ErrorCode, Unprocessable
from app.i18n import Text
from app.models.enums import MeetingState, Presence
from app.models.meeting import Meeting, MeetingAmendment
from app.models.member import Member
from app.models.organisation import Organisation
from app.security.scope import Principal, load_all_visible
from app.services import points
from app.services.integration import audit
from app.services.integration import changes as change_feed
from app.services.meetings.attendance import attendees
from app.services.meetings.participants import hosted_participants
from app.services.meetings.records import (
    AMENDABLE,
    check_members_of,
    require_meeting_writer,
    require_open,
)


async def finalize_meeting(
    session: AsyncSession, principal: Principal, meeting: Meeting, today: date
) -> Meeting:
    """Finalize (归档) a held meeting: the record is locked from now on.

    Needs the meeting date reached and everyone's attendance recorded. Writes the
    `meeting.finalized` event (with the attendance) in the same transaction; a second
    finalize is refused, so attendance scores once.
    """
    require_meeting_writer(principal)
    require_open(meeting)
    if meeting.held_on > today:
        raise Conflict(
            ErrorCode.meeting_not_yet_held,
            Text(zh=f"会议日期为 {meeting.held_on}", en=f"the meeting is on {meeting.held_on}"),
        )
    rows = await attendees(session, meeting.id)
    if any(a.presence is None for a in rows):
        raise Conflict(
            ErrorCode.meeting_attendance_incomplete,
            Text(zh="请先登记全部参会情况", en="record everyone's attendance first"),
        )
    meeting.state = MeetingState.finalized
    meeting.finalized_at = clock.utcnow()
    meeting.finalized_by = principal.user_id
    await session.flush()
    await change_feed.record_event(
        session,
        meeting,
        change_feed.DomainEvent.meeting_finalized,
        {
            "meeting_id": str(meeting.id),
            "org_id": str(meeting.org_id),
            "type": meeting.type,
            "held_on": meeting.held_on.isoformat(),
            "attendance": [{"member_id": str(a.member_id), "presence": a.presence} for a in rows],
        },
    )
    # Attendance scores through the points engine in this same transaction.
    await points.score_meeting(
        session, meeting.id, meeting.held_on, [(a.member_id, a.presence or "") for a in rows]
    )
    audit.record(session, principal, "meeting.finalized", "meeting", meeting.id, meeting.org_path)
    return meeting


async def amend_meeting(
    session: AsyncSession,
    principal: Principal,
    meeting: Meeting,
    field: str,
    value: Any,
    reason: str,
) -> MeetingAmendment:
    """Correct a finalized record (更正): who, when, what and why; the original stays.

    The value has the corrected field's type (the schema checks it). Corrected attendance
    names members you can see (404 naming `value` otherwise) who attended or belong to
    the meeting's organisation (422), as when attendance is first recorded."""
    require_meeting_writer(principal)
    if meeting.state != MeetingState.finalized:
        raise Conflict(
            ErrorCode.meeting_not_finalized,
            Text(zh="计划中的会议请直接修改", en="edit a planned meeting directly"),
        )
    if field not in AMENDABLE:
        raise Unprocessable.field(
            "field",
            ErrorCode.meeting_field_not_amendable,
            Text(zh=f"须为以下之一：{AMENDABLE}", en=f"one of {AMENDABLE}"),
        )
    if field == "attendance":
        value = await _corrected_attendance(session, principal, meeting, value)
    amendment = MeetingAmendment(
        meeting_id=meeting.id,
        field=field,
        value=value,
        reason=reason,
        actor_id=principal.user_id,
        actor_username=principal.username,
    )
    session.add(amendment)
    await session.flush()
    if field == "attendance":
        # The points scored at finalizing follow the correction (reversed and rescored).
        await points.rescore_meeting(
            session,
            principal,
            meeting.id,
            meeting.held_on,
            [(uuid.UUID(e["member_id"]), e["presence"]) for e in value],
            amendment.id,
        )
    audit.record(
        session,
        principal,
        "meeting.amended",
        "meeting",
        meeting.id,
        meeting.org_path,
        after={"field": field, "value": value, "reason": reason},
    )
    return amendment


async def _corrected_attendance(
    session: AsyncSession, principal: Principal, meeting: Meeting, entries: list[dict[str, Any]]
) -> list[dict[str, Any]]:
    """Corrected attendance entries, checked like recorded ones, as JSON values."""
    ids = [e["member_id"] for e in entries]
    expected = {a.member_id for a in await attendees(session, meeting.id)}
    # Hosted mobile members were listed through their episode: the host cannot read them.
    guests = await hosted_participants(session, meeting.org_id, meeting.held_on, ids)
    await load_all_visible(
        session, principal, Member, [i for i in ids if i not in guests], field="value"
    )
    others = [i for i in ids if i not in expected and i not in guests]
    if others:
        org = await session.get(Organisation, meeting.org_id)
        assert org is not None
        await check_members_of(session, principal, org, others, "value")
    for entry in entries:
        if entry["presence"] == Presence.excused and not entry.get("reason"):
            raise Unprocessable.field("value", ErrorCode.meeting_excuse_needs_reason)
    return [
        {"member_id": str(e["member_id"]), "presence": e["presence"], "reason": e.get("reason")}
        for e in entries
    ]


async def amendments(session: AsyncSession, meeting_id: uuid.UUID) -> list[MeetingAmendment]:
    rows = await session.scalars(
        select(MeetingAmendment)
        .where(MeetingAmendment.meeting_id == meeting_id)
        .order_by(MeetingAmendment.recorded_at)
    )
    return list(rows.all())
