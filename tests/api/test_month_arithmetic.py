"""Month arithmetic is one rule with a Python face (`add_months`: the probation's end, a
talk or approval due) and an SQL face (`add_months_sql`: the member flags, a transfer's
due day, a mobile member's check-in cadence and expected period): PostgreSQL answers
as Python does for every day of three years, and no module writes another month
interval in SQL."""

from __future__ import annotations

import ast
from datetime import date, timedelta
from pathlib import Path

from sqlalchemy import ARRAY, Date, Integer, bindparam, column, func, select

from app.db import get_sessionmaker
from app.models.sql import add_months_sql
from app.services.lifecycle.periods import add_months

APP = Path(__file__).resolve().parents[2] / "app"
OWNER = APP / "models" / "sql.py"
# The probation (12, extended by 6 to 12), the policies' months (1-24), and back.
MONTHS = (-25, -24, -13, -12, -6, -3, -1, 0, 1, 3, 6, 12, 13, 18, 24, 25)


async def test_postgresql_adds_months_as_python_does_on_every_day_of_three_years():
    first = date(2023, 1, 1)
    days = [first + timedelta(days=n) for n in range((date(2026, 1, 1) - first).days)]
    pairs = [(day, months) for day in days for months in MONTHS]
    each = (
        func.unnest(
            bindparam("days", [d for d, _ in pairs], type_=ARRAY(Date())),
            bindparam("months", [m for _, m in pairs], type_=ARRAY(Integer())),
        )
        .table_valued(column("day", Date()), column("months", Integer()))
        .render_derived(name="pair")
    )
    async with get_sessionmaker()() as session:
        rows = await session.execute(
            select(each.c.day, each.c.months, add_months_sql(each.c.day, each.c.months))
        )
        got = {(day, months): later for day, months, later in rows.all()}
    assert len(got) == len(pairs) > 17_000
    differ = {p: (got[p], add_months(*p)) for p in pairs if got[p] != add_months(*p)}
    assert differ == {}
    # The clamped days are among them: 31 January plus a month, in and out of a leap year.
    assert got[(date(2024, 1, 31), 1)] == date(2024, 2, 29)
    assert got[(date(2025, 3, 31), -1)] == date(2025, 2, 28)


def _month_intervals(source: str) -> list[int]:
    """Lines calling `make_interval` with a months argument (its second) other than 0."""
    lines = []
    for node in ast.walk(ast.parse(source)):
        if (
            isinstance(node, ast.Call)
            and isinstance(node.func, ast.Attribute)
            and node.func.attr == "make_interval"
            and len(node.args) > 1
            and not (isinstance(node.args[1], ast.Constant) and node.args[1].value == 0)
        ):
            lines.append(node.lineno)
    return lines


def test_no_module_but_the_owner_writes_a_month_interval_in_sql():
    assert _month_intervals("func.make_interval(0, months)") == [1]
    assert _month_intervals("func.make_interval(0, 0, 0, days)") == []
    found = {
        str(path.relative_to(APP)): lines
        for path in sorted(APP.rglob("*.py"))
        if path != OWNER and (lines := _month_intervals(path.read_text()))
    }
    assert found == {}
    assert _month_intervals(OWNER.read_text())
