"""The lifecycle's time limits: activist at least 1 year, probation 1 year (extended 6-12
months once), talk within 1 month, approval due in 3 months (6 at most), lost contact
after 6 months, suspended 2 years; month arithmetic.
"""

from __future__ import annotations

import calendar
from datetime import date
from typing import Any, cast

from sqlalchemy.sql.elements import ColumnElement

from app.models.enums import MemberStatus
from app.models.member import PROBATION_MONTHS, Member

S = MemberStatus
ACTIVIST_MONTHS = 12  # at least one year as an activist before becoming a candidate
EXTENSION_RANGE = (6, 12)
TALK_DUE_MONTHS = 1
APPROVAL_DUE_MONTHS = 3
APPROVAL_LIMIT_MONTHS = 6
LOST_CONTACT_MONTHS = 6
SUSPENDED_LEFT_MONTHS = 24
PROBATION_ENDING_DAYS = 30
ACTIVIST_REVIEW_MONTHS = 6  # 每半年考察一次入党积极分子
PROBATION_REVIEW_MONTHS = 3  # 每季度考察一次预备党员


def add_months(day: date, months: int) -> date:
    """Calendar months later (or earlier); the 31st becomes the month's last day."""
    year, month0 = divmod(day.year * 12 + day.month - 1 + months, 12)
    last_day = calendar.monthrange(year, month0 + 1)[1]
    return date(year, month0 + 1, min(day.day, last_day))


def lost_contact_on(last_contact: Any, today: date) -> ColumnElement[bool]:
    """SQL: silent for `LOST_CONTACT_MONTHS` (6) or more on `today` since the date in
    `last_contact` (6 months to the day is lost). The one definition, for the member's
    `contact.lost` flag and a mobile episode's `lost_contact` state alike."""
    return cast(ColumnElement[bool], last_contact <= add_months(today, -LOST_CONTACT_MONTHS))


def probation_ends_on(member: Member) -> date | None:
    if member.joined_on is None:
        return None
    return add_months(member.joined_on, PROBATION_MONTHS + (member.probation_extension_months or 0))
