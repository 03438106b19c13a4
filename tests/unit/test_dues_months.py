"""A month's dues follow the member's status in that month (pure rule)."""

from datetime import date

from app.models.enums import MemberStatus as S
from app.services.dues import due_in_month, statuses_in_month

SUSPENDED_MID_SEPTEMBER = [(date(2026, 9, 10), S.full, S.suspended)]


def test_a_month_with_any_day_of_full_membership_is_owed_the_next_is_not():
    assert due_in_month(S.suspended, SUSPENDED_MID_SEPTEMBER, None, date(2026, 9, 1))[0]
    assert not due_in_month(S.suspended, SUSPENDED_MID_SEPTEMBER, None, date(2026, 10, 1))[0]


def test_months_before_a_suspension_are_held_as_full():
    assert statuses_in_month(S.suspended, SUSPENDED_MID_SEPTEMBER, date(2026, 8, 1)) == [S.full]


def test_a_transition_on_the_first_day_replaces_the_status_for_the_whole_month():
    history = [(date(2026, 10, 1), S.full, S.suspended)]
    assert statuses_in_month(S.suspended, history, date(2026, 10, 1)) == [S.suspended]
    assert not due_in_month(S.suspended, history, None, date(2026, 10, 1))[0]
    assert due_in_month(S.suspended, history, None, date(2026, 9, 1))[0]


def test_probationary_members_owe_from_the_month_of_admission_not_the_one_before():
    history = [(date(2026, 9, 15), S.candidate, S.probationary)]
    joined = date(2026, 9, 15)
    assert due_in_month(S.probationary, history, joined, date(2026, 9, 1))[0]
    assert not due_in_month(S.probationary, history, joined, date(2026, 8, 1))[0]


def test_months_wholly_suspended_are_not_owed_and_the_month_of_restoration_is():
    history = [
        (date(2026, 3, 20), S.full, S.suspended),
        (date(2026, 6, 10), S.suspended, S.full),
    ]
    assert due_in_month(S.full, history, None, date(2026, 3, 1))[0]
    assert not due_in_month(S.full, history, None, date(2026, 4, 1))[0]
    assert not due_in_month(S.full, history, None, date(2026, 5, 1))[0]
    assert due_in_month(S.full, history, None, date(2026, 6, 1))[0]


def test_without_history_the_current_status_holds():
    assert due_in_month(S.full, [], None, date(2030, 1, 1))[0]
    assert not due_in_month(S.left, [], None, date(2026, 1, 1))[0]


def test_months_after_the_payments_own_month_are_prepaid_and_its_own_month_is_not():
    from app.services.dues.payments import prepaid

    months = [date(2026, 8, 1), date(2026, 9, 1), date(2026, 10, 1)]
    assert prepaid(months, date(2026, 9, 30)) == [date(2026, 10, 1)]
    assert prepaid(months, date(2026, 10, 1)) == []


def test_a_payment_covers_back_six_months_and_a_year_ahead_and_no_further():
    import pytest

    from app.errors import Conflict, Unprocessable
    from app.services.dues.payments import payable_months

    paid_on = date(2026, 9, 15)
    assert payable_months(["2026-03", "2027-09"], paid_on) == [date(2026, 3, 1), date(2027, 9, 1)]
    with pytest.raises(Conflict) as too_old:
        payable_months(["2026-02"], paid_on)
    assert too_old.value.code == "dues.back_payment_too_old"
    with pytest.raises(Unprocessable) as too_far:
        payable_months(["2027-10"], paid_on)
    assert too_far.value.errors[0]["code"] == "dues.prepayment_too_far"
    with pytest.raises(Unprocessable):
        payable_months(["2026-09", "2026-09"], paid_on)
    with pytest.raises(Unprocessable):
        payable_months([], paid_on)
