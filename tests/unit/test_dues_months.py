"""Which months a payment covers (pure rules); which months are owed is SQL
(`unpaid_dues.months_owed`), tested through the API in tests/api/test_dues.py."""

from datetime import date


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
