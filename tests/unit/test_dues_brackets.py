"""Dues brackets of the 2008 rules, at every boundary, in integer fen."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest

from app.models.enums import MemberCategory as C
from app.services.dues import DuesBaseMissing, longest_run, monthly_amount_fen


@pytest.mark.parametrize(
    ("base_fen", "rate", "amount_fen"),
    [
        (300_000, "0.005", 1500),  # 3000.00 yuan: 0.5 % (upper bound inclusive)
        (300_001, "0.01", 3000),  # 3000.01 yuan: 1 %
        (500_000, "0.01", 5000),  # 5000 yuan: 1 %
        (500_001, "0.015", 7500),  # 5000.01: 1.5 %, 7500.015 fen rounds to 7500
        (1_000_000, "0.015", 15000),  # 10000: 1.5 %
        (1_000_001, "0.02", 20000),  # 10000.01: 2 %
        (0, "0.005", 0),
    ],
)
def test_salary_brackets_at_every_boundary(base_fen, rate, amount_fen):
    amount, applied = monthly_amount_fen(C.employed, base_fen)
    assert applied == Decimal(rate)
    assert amount == amount_fen


@pytest.mark.parametrize(("base_fen", "amount_fen"), [(500_000, 2500), (500_001, 5000)])
def test_retirees_pay_half_a_percent_up_to_5000_then_one(base_fen, amount_fen):
    assert monthly_amount_fen(C.retired, base_fen)[0] == amount_fen


def test_self_employed_use_the_salary_table():
    assert monthly_amount_fen(C.self_employed, 400_000) == (4000, Decimal("0.01"))


def test_rounding_is_half_up_by_default_and_configurable():
    # 300,101 fen at 1 % = 3001.01 fen; 300,150 at 1 % = 3001.5 fen.
    assert monthly_amount_fen(C.employed, 300_150)[0] == 3002
    assert monthly_amount_fen(C.employed, 300_150, rounding="down")[0] == 3001
    assert monthly_amount_fen(C.employed, 300_150, rounding="half_even")[0] == 3002
    assert monthly_amount_fen(C.employed, 300_250, rounding="half_even")[0] == 3002


def test_fixed_amounts_for_farmers_students_the_unemployed_and_people_on_relief():
    assert monthly_amount_fen(C.farmer, None) == (50, None)
    assert monthly_amount_fen(C.farmer, None, farmer_fen=100) == (100, None)
    assert monthly_amount_fen(C.student, 900_000) == (20, None)
    assert monthly_amount_fen(C.unemployed, None) == (20, None)
    assert monthly_amount_fen(C.on_relief, None) == (20, None)
    assert monthly_amount_fen(C.on_relief, 1_000_001) == (20, None)
    assert monthly_amount_fen(C.other, None) == (20, None)


def test_an_employed_member_without_a_declared_base_cannot_be_assessed():
    with pytest.raises(DuesBaseMissing):
        monthly_amount_fen(C.employed, None)


def test_longest_run_of_consecutive_months():
    months = [date(2026, m, 1) for m in (1, 2, 4, 5, 6, 7, 8, 9, 11)]
    assert longest_run(months) == 6
    assert longest_run([date(2025, 12, 1), date(2026, 1, 1)]) == 2
    assert longest_run([]) == 0
