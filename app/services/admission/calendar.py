"""Working days (工作日) by the holiday calendar kept as data, not weekends alone.

The calendar is the table `calendar_days`: each row a holiday (法定节假日, including
the weekdays taken off) or an adjusted working day (调休上班, a Saturday or Sunday
worked). A day is a working day when it is an adjusted working day, or a weekday that
is not a holiday. The functions here are pure: the caller loads the calendar once.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, timedelta

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from app.errors import ErrorCode, NotFound
from app.models.admission import CalendarDay
from app.models.enums import CalendarDayKind
from app.security.scope import Principal, require_role
from app.services.integration import audit

AUDITED = ("day", "kind", "name")

# Official 2026 calendar (国务院办公厅关于2026年部分节假日安排的通知).
SEED_2026_HOLIDAYS: dict[str, tuple[date, date]] = {
    "元旦": (date(2026, 1, 1), date(2026, 1, 3)),
    "春节": (date(2026, 2, 15), date(2026, 2, 23)),
    "清明节": (date(2026, 4, 4), date(2026, 4, 6)),
    "劳动节": (date(2026, 5, 1), date(2026, 5, 5)),
    "端午节": (date(2026, 6, 19), date(2026, 6, 21)),
    "中秋节": (date(2026, 9, 25), date(2026, 9, 27)),
    "国庆节": (date(2026, 10, 1), date(2026, 10, 7)),
}
SEED_2026_WORKDAYS: dict[date, str] = {
    date(2026, 1, 4): "元旦",
    date(2026, 2, 14): "春节",
    date(2026, 2, 28): "春节",
    date(2026, 5, 9): "劳动节",
    date(2026, 9, 20): "国庆节",
    date(2026, 10, 10): "国庆节",
}


@dataclass(frozen=True)
class HolidayCalendar:
    """Holidays and adjusted working days; every other day follows the week."""

    holidays: frozenset[date] = field(default_factory=frozenset)
    workdays: frozenset[date] = field(default_factory=frozenset)

    def is_working_day(self, day: date) -> bool:
        if day in self.workdays:
            return True
        return day.weekday() < 5 and day not in self.holidays


def seed_days() -> list[tuple[date, str, str]]:
    """The seeded rows: (day, kind, name), kind `holiday` or `workday`."""
    rows: list[tuple[date, str, str]] = []
    for name, (first, last) in SEED_2026_HOLIDAYS.items():
        day = first
        while day <= last:
            rows.append((day, "holiday", name))
            day += timedelta(days=1)
    rows.extend((day, "workday", name) for day, name in SEED_2026_WORKDAYS.items())
    return sorted(rows)


def working_days_between(start: date, end: date, calendar: HolidayCalendar) -> int:
    """How many working days lie from `start` to `end`, both included (0 if end < start)."""
    count = 0
    day = start
    while day <= end:
        count += calendar.is_working_day(day)
        day += timedelta(days=1)
    return count


def add_working_days(start: date, days: int, calendar: HolidayCalendar) -> date:
    """The day on which a period of `days` working days beginning on `start` ends.

    `start` counts as the first day when it is a working day; otherwise the period
    begins on the next working day. `days` is at least 1.
    """
    if days < 1:
        raise ValueError("days must be at least 1")
    day = start
    counted = 0
    while True:
        if calendar.is_working_day(day):
            counted += 1
            if counted == days:
                return day
        day += timedelta(days=1)


async def load_calendar(session: AsyncSession) -> HolidayCalendar:
    """The whole calendar table (a few dozen rows a year) as a `HolidayCalendar`."""
    rows = (await session.execute(select(CalendarDay.day, CalendarDay.kind))).all()
    return HolidayCalendar(
        holidays=frozenset(d for d, kind in rows if kind == CalendarDayKind.holiday),
        workdays=frozenset(d for d, kind in rows if kind == CalendarDayKind.workday),
    )


async def list_days(session: AsyncSession, year: int) -> list[CalendarDay]:
    rows = await session.scalars(
        select(CalendarDay)
        .where(CalendarDay.day >= date(year, 1, 1), CalendarDay.day <= date(year, 12, 31))
        .order_by(CalendarDay.day)
    )
    return list(rows.all())


async def set_day(
    session: AsyncSession, principal: Principal, day: date, kind: CalendarDayKind, name: str
) -> CalendarDay:
    """Mark a day as a holiday or an adjusted working day (调休上班), replacing what it was.

    Only the top administrator keeps the calendar: it applies to every organisation.
    """
    require_role(principal)
    row = await session.get(CalendarDay, day, with_for_update=True)
    before = audit.snapshot(row, AUDITED) if row else None
    if row is None:
        row = CalendarDay(day=day, kind=kind.value, name=name)
        session.add(row)
    else:
        row.kind, row.name = kind.value, name
    await session.flush()
    audit.record(
        session, principal, "calendar.day_set", "calendar_day", day.isoformat(), None,
        before=before, after=audit.snapshot(row, AUDITED),
    )  # fmt: skip
    return row


async def delete_day(session: AsyncSession, principal: Principal, day: date) -> None:
    """Return a day to the plain week (weekday worked, weekend off); top administrator only."""
    require_role(principal)
    row = await session.get(CalendarDay, day, with_for_update=True)
    if row is None:
        raise NotFound(ErrorCode.calendar_day_not_found)
    before = audit.snapshot(row, AUDITED)
    await session.delete(row)
    await session.flush()
    audit.record(
        session, principal, "calendar.day_deleted", "calendar_day", day.isoformat(), None,
        before=before,
    )  # fmt: skip
