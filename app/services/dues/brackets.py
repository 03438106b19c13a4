"""The dues table (integer fen): salary and pension brackets, farmers' and minimum amounts,
rounding (policy).
"""

from __future__ import annotations

from decimal import ROUND_CEILING, ROUND_DOWN, ROUND_HALF_EVEN, ROUND_HALF_UP, Decimal

from app.models.enums import MemberCategory

# (inclusive upper bound in fen, rate); None: no upper bound.
SALARY_BRACKETS: tuple[tuple[int | None, Decimal], ...] = (
    (300_000, Decimal("0.005")),
    (500_000, Decimal("0.01")),
    (1_000_000, Decimal("0.015")),
    (None, Decimal("0.02")),
)


PENSION_BRACKETS: tuple[tuple[int | None, Decimal], ...] = (
    (500_000, Decimal("0.005")),
    (None, Decimal("0.01")),
)


MINIMUM_FEN = 20  # students, the unemployed, people on relief: 0.2 yuan a month
FIXED_MINIMUM = (MemberCategory.student, MemberCategory.unemployed, MemberCategory.on_relief)
FARMER_RANGE_FEN = (20, 100)
ROUNDING = {
    "half_up": ROUND_HALF_UP,
    "half_even": ROUND_HALF_EVEN,
    "down": ROUND_DOWN,
    "up": ROUND_CEILING,
}


class DuesBaseMissing(ValueError):
    """The category's amount depends on a declared base that is not recorded."""


def bracket_rate(base_fen: int, brackets: tuple[tuple[int | None, Decimal], ...]) -> Decimal:
    for upper, rate in brackets:
        if upper is None or base_fen <= upper:
            return rate
    raise AssertionError("the last bracket is open")


def monthly_amount_fen(
    category: MemberCategory,
    base_fen: int | None,
    *,
    farmer_fen: int = 50,
    rounding: str = "half_up",
) -> tuple[int, Decimal | None]:
    """The monthly dues in fen and the rate applied (None for fixed amounts)."""
    if category is MemberCategory.farmer:
        return farmer_fen, None
    if category in FIXED_MINIMUM:
        return MINIMUM_FEN, None
    if category is MemberCategory.other and base_fen is None:
        return MINIMUM_FEN, None
    if base_fen is None:
        raise DuesBaseMissing(category.value)
    brackets = PENSION_BRACKETS if category is MemberCategory.retired else SALARY_BRACKETS
    rate = bracket_rate(base_fen, brackets)
    amount = (Decimal(base_fen) * rate).quantize(Decimal(1), rounding=ROUNDING[rounding])
    return int(amount), rate
