"""A meeting as the caller reads it: the record, its attendance, votes and amendments,
with what a member user may not see left out (other members' ids and attendance)."""

from __future__ import annotations

from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from app.models.meeting import Meeting
from app.models.member import Member
from app.schemas.meetings import (
    AmendmentRead,
    AttendanceRead,
    MeetingRead,
    MeetingSummary,
    MemberMeetings,
    VoteRead,
)
from app.security.scope import Principal, member_rows_only, shows_member
from app.services.meetings.amendments import amendments
from app.services.meetings.attendance import attendees
from app.services.meetings.quorum import votes
from app.services.meetings.records import member_meetings, voting_rights


async def meeting_read(
    session: AsyncSession, principal: Principal, meeting: Meeting
) -> MeetingRead:
    """A member user reads its own attendance only, and no other member's id."""
    shown = [
        a
        for a in await amendments(session, meeting.id)
        if a.field != "attendance" or member_rows_only(principal) is None
    ]
    amended: dict[str, Any] = {}
    rights = await voting_rights(session, meeting)
    for a in shown:
        amended[a.field] = a.value  # later amendments win
    return MeetingRead.model_validate(
        {
            **{
                name: getattr(meeting, name)
                for name in (
                    "id",
                    "org_id",
                    "type",
                    "held_on",
                    "place",
                    "topic",
                    "minutes",
                    "resolutions",
                    "state",
                    "finalized_at",
                    "version",
                )
            },
            **{
                name: getattr(meeting, name)
                if shows_member(principal, getattr(meeting, name))
                else None
                for name in ("host_id", "recorder_id")
            },
            "attendance": [
                AttendanceRead(
                    member_id=a.member_id,
                    presence=a.presence,
                    reason=a.reason,
                    has_vote=rights[a.member_id],
                )
                for a in await attendees(session, meeting.id)
                if shows_member(principal, a.member_id)
            ],
            "votes": [
                VoteRead.model_validate(v, from_attributes=True)
                for v in await votes(session, meeting.id)
                if v.member_id is None or shows_member(principal, v.member_id)
            ],
            "amendments": [AmendmentRead.model_validate(a, from_attributes=True) for a in shown],
            "amended": amended,
        }
    )


async def member_meetings_read(
    session: AsyncSession, member: Member, *, include_total: bool
) -> MemberMeetings:
    """The meetings a member was expected at, newest first, with presence and the
    attendance rate, as `GET /members/{id}/meetings` (and `GET /me/meetings`) reads them."""
    rows, rate = await member_meetings(session, member)
    return MemberMeetings.model_validate(
        {
            "member_id": member.id,
            "attendance_rate": rate,
            "items": [
                {
                    **MeetingSummary.model_validate(r.meeting, from_attributes=True).model_dump(),
                    "presence": r.presence,
                    "reason": r.reason,
                }
                for r in rows
            ],
            "next_cursor": None,
            "total": len(rows) if include_total else None,
        }
    )
