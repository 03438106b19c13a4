"""The status a member held on a day has two faces: SQL (`unpaid_dues.held_on`, what the
dues, the arrears report and the unpaid flag read) and Python (the statuses
`membership.history_of` walks, what the statistics and the 增减 ledger count). For a
set of recorded histories they agree on every day of a year from the member's
admission on (before it the statistics count no one, whatever the status)."""

from __future__ import annotations

import uuid
from datetime import date, timedelta

import pytest
from sqlalchemy import ARRAY, Date, bindparam, column, func, select, true

from app.db import get_sessionmaker
from app.models.enums import PARTY_MEMBER_STATUS_VALUES
from app.models.member import Member
from app.models.organisation import Organisation
from app.services.lifecycle.membership import subtree_histories
from app.services.unpaid_dues import held_on

FIRST, LAST = date(2025, 12, 1), date(2026, 12, 31)
DAYS = [FIRST + timedelta(days=n) for n in range((LAST - FIRST).days + 1)]
# (member fields, transitions (to_status, effective_date))
HISTORIES = {
    "no history": ({}, []),
    "suspended mid-September": ({}, [("suspended", "2026-09-10")]),
    "suspended on 1 October": ({}, [("suspended", "2026-10-01")]),
    "suspended and restored": ({}, [("suspended", "2026-03-20"), ("full", "2026-06-10")]),
    "restored on 1 April": ({}, [("suspended", "2026-02-10"), ("full", "2026-04-01")]),
    "left in October": ({}, [("left", "2026-10-05")]),
    "admitted in January, suspended in May": (
        {"status": "probationary", "joined_on": "2026-01-15", "category": "student"},
        [("suspended", "2026-05-01")],
    ),
}


async def _sql_statuses(member_id: str) -> dict[date, str]:
    each = (
        func.unnest(bindparam("days", DAYS, type_=ARRAY(Date())))
        .table_valued(column("day", Date()))
        .render_derived(name="each_day")
    )
    async with get_sessionmaker()() as session:
        rows = await session.execute(
            select(each.c.day, held_on(each.c.day))
            .select_from(Member)
            .join(each, true())
            .where(Member.id == uuid.UUID(member_id))
        )
        return dict(rows.all())


async def _python_counted(branch_id: str, member_id: str) -> dict[date, bool]:
    async with get_sessionmaker()() as session:
        path = await session.scalar(
            select(Organisation.path).where(Organisation.id == uuid.UUID(branch_id))
        )
        assert path is not None
        (history,) = [
            h for h in await subtree_histories(session, path) if str(h.member_id) == member_id
        ]
    return {day: history.place_on(day).counted for day in DAYS}


@pytest.mark.parametrize("case", HISTORIES)
async def test_the_dues_and_the_statistics_read_the_same_status_on_every_day(api, county, case):
    fields, transitions = HISTORIES[case]
    branch = await api.org(county.county_admin, county.town_a["id"], "branch")
    fields = {"category": "farmer", "joined_on": "2015-06-01", **fields}
    member = await api.member(county.county_admin, branch["id"], **fields)
    await api.transitions(county.county_admin, member["id"], transitions)
    statuses = await _sql_statuses(member["id"])
    counted = await _python_counted(branch["id"], member["id"])
    compared = [day for day in DAYS if day >= date.fromisoformat(member["joined_on"])]
    differ = {
        day: (statuses[day], counted[day])
        for day in compared
        if (statuses[day] in PARTY_MEMBER_STATUS_VALUES) != counted[day]
    }
    assert differ == {}
    # Each history's statuses are seen by both: held and not held on some day.
    if transitions:
        assert {counted[day] for day in compared} == {True, False}
