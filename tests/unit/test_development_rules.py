"""The admission record's timing rules, pure: months between days, the talk within a
month, a year as activist, approval within six months, reviews each period, the 公示 over
before the vote; and the catalogue's shape."""

from __future__ import annotations

from datetime import date

import pytest

from app.models.enums import DevelopmentStepCode, MemberStatus
from app.services.lifecycle.development import rules
from app.services.lifecycle.development.catalogue import BY_CODE, STAGES, STEPS, gated_by


@pytest.mark.parametrize(
    ("start", "end", "months"),
    [
        (date(2024, 1, 31), date(2024, 2, 29), 1),  # the 31st becomes the month's last day
        (date(2024, 1, 31), date(2024, 2, 28), 0),
        (date(2023, 6, 1), date(2024, 6, 1), 12),
        (date(2023, 6, 1), date(2024, 5, 31), 11),
        (date(2024, 6, 1), date(2024, 5, 1), 0),
    ],
)
def test_months_between_counts_whole_calendar_months(start, end, months):
    assert rules.months_between(start, end) == months


def test_a_talk_is_in_time_up_to_a_month_after_the_application():
    assert rules.talk_in_time(date(2026, 1, 10), date(2026, 2, 10)) is None
    assert rules.talk_in_time(date(2026, 1, 10), date(2026, 2, 11)) == rules.Breach(
        "late", date(2026, 2, 10)
    )


def test_candidacy_is_early_before_a_year_as_activist():
    assert rules.candidate_in_time(date(2025, 3, 1), date(2026, 2, 28)) == rules.Breach(
        "early", date(2026, 3, 1)
    )
    assert rules.candidate_in_time(date(2025, 3, 1), date(2026, 3, 1)) is None


def test_approval_is_late_after_six_months():
    assert rules.approval_in_time(date(2025, 6, 1), date(2025, 12, 1)) is None
    assert rules.approval_in_time(date(2025, 6, 1), date(2025, 12, 2)) is not None


def test_full_membership_is_early_before_probation_ends():
    assert rules.full_in_time(date(2026, 12, 1), date(2026, 11, 30)) is not None
    assert rules.full_in_time(date(2026, 12, 1), date(2026, 12, 1)) is None


def test_reviews_are_due_once_per_whole_period():
    since, day = date(2023, 10, 9), date(2024, 10, 9)
    assert rules.reviews_due(since, day, 3) == 4
    done = [date(2024, 1, 9), date(2024, 4, 9), date(2024, 7, 9)]
    assert rules.reviews_in_time(since, day, 3, done) == rules.Breach("too_few", 4)
    assert rules.reviews_in_time(since, day, 3, [*done, date(2024, 10, 9)]) is None
    # A review before the period began does not count.
    assert rules.reviews_in_time(since, day, 3, [*done, date(2023, 10, 1)]) is not None


def test_the_notice_must_be_over_before_the_vote():
    assert rules.notice_over(date(2026, 11, 10), date(2026, 11, 10)) is not None
    assert rules.notice_over(date(2026, 11, 9), date(2026, 11, 10)) is None


def test_the_catalogue_has_every_step_once_in_five_stages_in_order():
    assert [s.code for s in STEPS] == list(DevelopmentStepCode)
    assert [s.number for s in STAGES] == [1, 2, 3, 4, 5]
    assert [s.stage for s in STEPS] == sorted(s.stage for s in STEPS)
    for step in STEPS:
        # A step follows only steps listed before it.
        assert all(STEPS.index(BY_CODE[b]) < STEPS.index(step) for b in step.after)


def test_each_way_in_transition_is_gated_by_its_steps():
    assert [s.code.value for s in gated_by(MemberStatus.activist)] == ["talk", "recommendation"]
    assert DevelopmentStepCode.full_vote in {s.code for s in gated_by(MemberStatus.full)}
    assert gated_by(MemberStatus.left) == ()


def test_each_period_needs_its_own_review_and_two_in_one_do_not_cover_the_next():
    since, day = date(2025, 1, 1), date(2026, 1, 1)  # two half-years of activist reviews
    both_in_first = [date(2025, 3, 1), date(2025, 6, 30)]
    assert rules.reviews_in_time(since, day, 6, both_in_first) == rules.Breach("too_few", 2)
    # The first period ends on 1 July (included); the second runs 2 July to 1 January.
    assert rules.reviews_in_time(since, day, 6, [date(2025, 7, 1), date(2026, 1, 1)]) is None
    assert rules.reviews_in_time(since, day, 6, [date(2025, 7, 2), date(2026, 1, 1)]) is not None
    # A review on the first day counts for the first period.
    assert rules.reviews_in_time(since, day, 6, [since, date(2025, 12, 1)]) is None
