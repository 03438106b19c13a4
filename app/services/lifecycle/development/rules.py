"""The timing rules of the admission record's steps, pure: the lifecycle's time limits
(`lifecycle/periods.py`) applied to the steps' dates. Each answers None when the step is in
time, or a `Breach` saying which way it is out (early or late) and from what day.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Literal

from app.services.lifecycle.periods import (
    ACTIVIST_MONTHS,
    APPROVAL_LIMIT_MONTHS,
    TALK_DUE_MONTHS,
    add_months,
)


@dataclass(frozen=True)
class Breach:
    way: Literal["early", "late", "too_few"]
    limit: date | int  # the earliest / latest day allowed, or the number of records due


def months_between(start: date, end: date) -> int:
    """Whole calendar months from `start` to `end` (0 when `end` is before a month is up)."""
    months = (end.year - start.year) * 12 + end.month - start.month
    while months > 0 and add_months(start, months) > end:
        months -= 1
    return max(months, 0)


def talk_in_time(applied_on: date, talked_on: date) -> Breach | None:
    """The party talks with an applicant within a month of the application (一个月内)."""
    latest = add_months(applied_on, TALK_DUE_MONTHS)
    return Breach("late", latest) if talked_on > latest else None


def candidate_in_time(activist_on: date, day: date) -> Breach | None:
    """An activist becomes a candidate after a year as an activist, not before."""
    earliest = add_months(activist_on, ACTIVIST_MONTHS)
    return Breach("early", earliest) if day < earliest else None


def approval_in_time(joined_on: date, approved_on: date) -> Breach | None:
    """The committee above approves within 3 months of the vote, 6 at the most."""
    latest = add_months(joined_on, APPROVAL_LIMIT_MONTHS)
    return Breach("late", latest) if approved_on > latest else None


def full_in_time(probation_ends: date, day: date) -> Breach | None:
    """Full membership on the day probation ends or later."""
    return Breach("early", probation_ends) if day < probation_ends else None


def reviews_due(since: date, day: date, every_months: int) -> int:
    """Reviews due from `since` to `day`: one for each whole period of `every_months`."""
    return months_between(since, day) // every_months


def reviews_in_time(since: date, day: date, every_months: int, done: list[date]) -> Breach | None:
    """A review recorded inside each whole period since `since`, by `day` (每半年 /
    每季度 one each: two in the first half-year do not stand for the second). The k-th
    period runs from the day after the (k-1)-th ends (from `since` for the first) to
    `since` + k periods, both included."""
    due = reviews_due(since, day, every_months)
    ends = [add_months(since, k * every_months) for k in range(due + 1)]
    covered = sum(
        1
        for k in range(1, due + 1)
        if any((ends[k - 1] < d or (k == 1 and d == since)) and d <= ends[k] for d in done)
    )
    return Breach("too_few", due) if covered < due else None


def notice_over(notice_ends: date, day: date) -> Breach | None:
    """The 公示 has run its course before the vote: its last day is before the vote's."""
    return Breach("early", notice_ends) if notice_ends >= day else None
