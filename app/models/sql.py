"""SQL pieces the models' indexes and the services' statements share: a value written
into a statement's text, and month arithmetic."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date
from typing import Any, TypeVar, cast

from sqlalchemy import BindParameter, Date, Integer, bindparam, func, literal
from sqlalchemy.orm import InstrumentedAttribute
from sqlalchemy.sql.elements import ColumnElement
from sqlalchemy.types import TypeEngine

T = TypeVar("T")


def in_text(value: T, type_: TypeEngine[T] | type[TypeEngine[T]]) -> BindParameter[T]:
    """`value` written into the statement's text rather than bound as a parameter.

    For a value the plan depends on: a partial index's predicate (`status =
    'probationary'`) or an index expression's constants are proved only against
    constants, and a day compared with an indexed column is estimated from that
    column's statistics only when the planner sees it; a cached generic plan sees
    neither in a parameter. The statement's text then changes with the value (a day:
    one prepared statement a day)."""
    return bindparam(None, value, type_=type_, literal_execute=True)


def in_text_each(values: Sequence[T]) -> BindParameter[T]:
    """`values` written into the statement's text, for `column.in_(...)` (as `in_text`:
    a partial index whose predicate names them is proved from them)."""
    return bindparam(None, list(values), expanding=True, literal_execute=True)


def add_months_sql(
    day: date | ColumnElement[Any] | InstrumentedAttribute[Any], months: Any
) -> ColumnElement[date]:
    """SQL: `add_months` of a date (a column or a value) and a number of months (a
    column, an expression or an int): PostgreSQL's month interval keeps the day and
    clamps the 31st to the month's last day, as `add_months` does, cast back to a date.
    The one way SQL adds months; tests/api/test_month_arithmetic.py holds it equal to
    `add_months` for every day of three years (a leap year among them) and finds any
    other month interval in app/. The zero years are in the text: an index on the
    expression (`Member.probation_ends_on_sql`) matches it."""
    start = literal(day, Date) if isinstance(day, date) else day
    years = in_text(0, Integer)
    return cast(ColumnElement[date], func.cast(start + func.make_interval(years, months), Date))
