"""Grid size rule (网格规模): households within the policy bounds of the grid's kind."""

from __future__ import annotations

import pytest

from app.services.grids.coverage import size_in_range
from app.services.policies import DEFAULTS


@pytest.mark.parametrize(
    ("kind", "households", "inside"),
    [
        ("urban", 299, False),
        ("urban", 300, True),
        ("urban", 500, True),
        ("urban", 501, False),
        ("rural", 199, False),
        ("rural", 200, True),
        ("rural", 400, True),
        ("rural", 401, False),
    ],
)
def test_a_grid_is_in_range_from_its_kinds_minimum_to_its_maximum_inclusive(
    kind: str, households: int, inside: bool
) -> None:
    assert size_in_range(DEFAULTS, kind, households) is inside
