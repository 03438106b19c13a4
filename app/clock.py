"""The one clock. Date-driven rules take `today` from here so tests can move time."""

from __future__ import annotations

from datetime import UTC, date, datetime


def utcnow() -> datetime:
    return datetime.now(UTC)


def today() -> date:
    """Today's date in China Standard Time (UTC+8), the users' calendar."""
    from datetime import timedelta, timezone

    return datetime.now(timezone(timedelta(hours=8))).date()
