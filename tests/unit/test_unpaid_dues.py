"""The unpaid-dues rule shared by the member's flag and the arrears report."""

from __future__ import annotations

from datetime import date

from app.services.unpaid_dues import CONSECUTIVE_UNPAID_FLAG, months_ending


def test_six_months_ending_in_march_reach_back_across_the_new_year():
    assert months_ending(date(2026, 3, 31), CONSECUTIVE_UNPAID_FLAG) == [
        date(2025, 10, 1),
        date(2025, 11, 1),
        date(2025, 12, 1),
        date(2026, 1, 1),
        date(2026, 2, 1),
        date(2026, 3, 1),
    ]


def test_one_month_ending_in_january_is_january_itself():
    assert months_ending(date(2026, 1, 15), 1) == [date(2026, 1, 1)]


def test_the_flag_needs_six_consecutive_months():
    assert CONSECUTIVE_UNPAID_FLAG == 6
