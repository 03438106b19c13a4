"""Meetings (三会一课 and organisational life): planning, attendance, quorum, locking.

A record is planned, its attendance and votes recorded, then finalized, which
locks it; later corrections are amendments that never overwrite the original.
Finalizing writes a `meeting.finalized` outbox event in the same transaction:
the points engine scores attendance from it exactly once.
"""

from app.services.meetings.amendments import amend_meeting, amendments, finalize_meeting
from app.services.meetings.attendance import attendees, record_attendance
from app.services.meetings.quorum import judge_vote, more_than_half, record_vote, votes
from app.services.meetings.records import (
    COMMITTEE_MINIMUM,
    MEETING_SORT,
    MEETING_SORTABLE,
    get_visible,
    list_meetings,
    member_meetings,
    plan_meeting,
    update_meeting,
    voting_rights,
)
from app.services.meetings.views import meeting_read, member_meetings_read

__all__ = [
    "COMMITTEE_MINIMUM",
    "MEETING_SORT",
    "MEETING_SORTABLE",
    "amend_meeting",
    "amendments",
    "attendees",
    "finalize_meeting",
    "get_visible",
    "judge_vote",
    "list_meetings",
    "meeting_read",
    "member_meetings",
    "member_meetings_read",
    "more_than_half",
    "plan_meeting",
    "record_attendance",
    "record_vote",
    "update_meeting",
    "votes",
    "voting_rights",
]
