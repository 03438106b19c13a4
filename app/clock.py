"""The one clock. Date-driven rules take `today` from here so tests can move time."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta, timezone

from sqlalchemy import ColumnElement, Date, Interval, cast, func, literal
from sqlalchemy.orm import InstrumentedAttribute


def utcnow() -> datetime:
    return datetime.now(UTC)


CST = timezone(timedelta(hours=8))


def today() -> date:
    """Today's date in China Standard Time (UTC+8), the users' calendar."""
    return datetime.now(CST).date()


def local_date(moment: datetime) -> date:
    """The users' calendar day (China Standard Time) of a recorded moment."""
    return moment.astimezone(CST).date()


def local_date_sql(
    moment: ColumnElement[datetime] | InstrumentedAttribute[datetime],
) -> ColumnElement[date]:
    """SQL: `local_date` of a recorded moment, whatever the session's time zone (a
    `timestamptz` cast to `date` would take the session's, UTC on the app's connections)."""
    offset = literal(CST.utcoffset(None), Interval())
    return cast(func.timezone(offset, moment), Date)
