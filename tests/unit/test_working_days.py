"""Working days by the holiday calendar: 国庆 2026 with its 调休 days, not weekends alone."""

from __future__ import annotations

from datetime import date

import pytest

from app.services.admission.calendar import (
    HolidayCalendar,
    add_working_days,
    seed_days,
    working_days_between,
)

SEEDED = HolidayCalendar(
    holidays=frozenset(d for d, kind, _ in seed_days() if kind == "holiday"),
    workdays=frozenset(d for d, kind, _ in seed_days() if kind == "workday"),
)
WEEKENDS_ONLY = HolidayCalendar()


def test_the_national_day_week_is_not_worked():
    assert working_days_between(date(2026, 10, 1), date(2026, 10, 7), SEEDED) == 0
    assert working_days_between(date(2026, 10, 1), date(2026, 10, 7), WEEKENDS_ONLY) == 5


def test_an_adjusted_saturday_is_a_working_day():
    assert SEEDED.is_working_day(date(2026, 10, 10))  # Saturday, 调休上班
    assert SEEDED.is_working_day(date(2026, 9, 20))  # Sunday, 调休上班
    assert not WEEKENDS_ONLY.is_working_day(date(2026, 10, 10))


def test_a_notice_across_the_national_day_counts_only_working_days():
    # Mon 28 Sep, Tue 29, Wed 30, (1-7 holiday), Thu 8, Fri 9, Sat 10 (worked)
    assert working_days_between(date(2026, 9, 28), date(2026, 10, 10), SEEDED) == 6
    assert add_working_days(date(2026, 9, 28), 5, SEEDED) == date(2026, 10, 9)
    assert add_working_days(date(2026, 9, 28), 6, SEEDED) == date(2026, 10, 10)
    assert add_working_days(date(2026, 9, 28), 5, WEEKENDS_ONLY) == date(2026, 10, 2)


def test_a_period_starting_on_a_holiday_begins_on_the_next_working_day():
    assert add_working_days(date(2026, 10, 1), 1, SEEDED) == date(2026, 10, 8)
    assert add_working_days(date(2026, 10, 1), 3, SEEDED) == date(2026, 10, 10)


def test_the_two_functions_agree():
    start = date(2026, 9, 14)
    for days in range(1, 30):
        end = add_working_days(start, days, SEEDED)
        assert working_days_between(start, end, SEEDED) == days


def test_an_empty_or_reversed_range_has_no_working_days():
    assert working_days_between(date(2026, 10, 9), date(2026, 10, 8), SEEDED) == 0


def test_a_period_has_at_least_one_day():
    with pytest.raises(ValueError):
        add_working_days(date(2026, 10, 9), 0, SEEDED)


def test_the_2026_seed_holds_every_official_holiday_and_adjusted_day():
    rows = seed_days()
    assert sum(kind == "holiday" for _, kind, _ in rows) == 3 + 9 + 3 + 5 + 3 + 3 + 7
    workdays = [d for d, kind, _ in rows if kind == "workday"]
    assert all(d.weekday() >= 5 for d in workdays)
