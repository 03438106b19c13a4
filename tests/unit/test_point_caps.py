"""Point caps and the sign of an entry, without a database."""

from __future__ import annotations

from app.services.points.caps import CapUse, first_cap_exceeded
from app.services.points.ledger import signed_points


def test_a_cap_of_ten_admits_the_tenth_point_and_refuses_the_eleventh():
    assert first_cap_exceeded([CapUse("county", 10, 9, "year")], 1) is None
    over = first_cap_exceeded([CapUse("county", 10, 10, "year")], 1)
    assert over is not None and over.code == "county"


def test_every_cap_of_the_chain_binds_and_an_absent_cap_never_does():
    uses = [
        CapUse("branch", 10, 2, "year"),
        CapUse("branch", None, 2, "month"),
        CapUse("county", 10, 10, "year"),
    ]
    over = first_cap_exceeded(uses, 1)
    assert over is not None and over.code == "county"
    assert first_cap_exceeded([CapUse("county", None, 10_000, "year")], 5) is None


def test_a_deduction_counts_against_its_cap_by_its_magnitude():
    assert first_cap_exceeded([CapUse("absent", 4, 2, "month")], -2) is None
    assert first_cap_exceeded([CapUse("absent", 4, 3, "month")], -2) is not None


def test_a_deduction_is_negative_and_units_multiply_the_item_points():
    assert signed_points("bonus", 2) == 2
    assert signed_points("deduction", 2) == -2
    assert signed_points("bonus", 1, units=3) == 3
