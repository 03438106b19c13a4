"""Member lifecycle (发展党员与党籍管理): transitions, date-driven flags and the timeline.

The graph: applicant -> activist -> candidate -> probationary -> full;
probation extended once (6-12 months) or cancelled (recorded as `left`);
full/probationary -> suspended -> full (restored) or left; any -> left or deceased.
Flags inform people; only a recorded transition changes a status.
"""

from app.models.sql import add_months_sql
from app.services.lifecycle.flags import (
    FLAG_CODES,
    check_flags,
    flag_conditions,
    flag_filter,
    flags_for,
    raised_flags,
    registration_review_due,
)
from app.services.lifecycle.periods import add_months, lost_contact_on
from app.services.lifecycle.timeline import member_timeline, timeline_read
from app.services.lifecycle.transitions import TransitionRequest, record_transition

__all__ = [
    "FLAG_CODES",
    "TransitionRequest",
    "add_months",
    "add_months_sql",
    "check_flags",
    "flag_conditions",
    "flag_filter",
    "flags_for",
    "lost_contact_on",
    "member_timeline",
    "raised_flags",
    "record_transition",
    "registration_review_due",
    "timeline_read",
]
