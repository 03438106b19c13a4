"""The statistics tables and the 增减 ledger count the records without a recorded change
in SQL (grouping sets) and the others from their histories: the answers equal those
of the histories of everyone (the first implementation, kept as the oracle), over a
mix of records, organisations and days."""

from __future__ import annotations

import itertools
import uuid
from datetime import date

from sqlalchemy import select
from statistics_support import mixed_members

from app.clock import today
from app.db import get_sessionmaker
from app.models.organisation import Organisation
from app.services.organisations import member_changes, stats

V = "/api/v1"


async def _oracle(org_id, as_of):
    """The tables and the year's ledger from everyone's history (no SQL aggregation)."""
    async with get_sessionmaker()() as session:
        org = await session.scalar(select(Organisation).where(Organisation.id == uuid.UUID(org_id)))
        full = await member_changes.load_subtree(session, org)
        tables = await stats.statistics_tables(session, org, as_of, full)
        ledger = await member_changes.member_changes(
            session, org, as_of.replace(month=1, day=1), as_of, full
        )
    return tables.model_dump(mode="json"), ledger


async def _changed_long_ago(api, county):
    """Records whose every change is years old, counted in SQL for this year's days
    (`membership.unchanged(since)`): one suspended and restored in 2024, and one entered
    this year without a joined date whose history (2024) counts it from then."""
    old = await api.member(county.county_admin, county.branch_a["id"], joined_on="2010-07-01")
    await api.transitions(
        county.county_admin, old["id"], [("suspended", "2024-03-01"), ("full", "2024-09-01")]
    )
    late = await api.member(county.county_admin, county.branch_b["id"], joined_on=None)
    await api.transitions(
        county.county_admin, late["id"], [("suspended", "2024-06-01"), ("full", "2024-07-01")]
    )


async def _points(api, county):
    """Schemes at the county (base 60) and town A (base 100, two bands), a rule, and
    entries for every third member of the county on days before, between and after the
    days compared; one record revised since (its education), so the tables read it
    apart from the grouping statement, its points too."""
    token, year = county.county_admin, today().year
    for org, base in ((county.county, 60), (county.town_a, 100)):
        bands = [{"min": base + 3, "label": "优秀"}, {"min": base, "label": "合格"}]
        body = {"org_id": org["id"], "year": year, "base": base, "grade_bands": bands}
        r = await api.client.post(f"{V}/point-schemes", json=body, headers=api.auth(token))
        assert r.status_code == 201, r.text
    rule = {
        "org_id": county.county["id"], "code": "AGG", "name": "志愿服务",
        "category": "bonus", "points": 2, "needs_approval": False,
    }  # fmt: skip
    r = await api.client.post(f"{V}/point-rules", json=rule, headers=api.auth(token))
    assert r.status_code == 201, r.text
    rule_id = r.json()["id"]
    r = await api.client.get(
        f"{V}/members",
        params={"within": county.county["id"], "status": ["full", "probationary"], "limit": 100},
        headers=api.auth(token),
    )
    members = r.json()["items"]
    days = [f"{year}-01-15", f"{year}-03-31", f"{year}-04-02", str(today())]
    for i, member in enumerate(members[::3]):
        for day in days[: 1 + i % len(days)]:
            entry = {
                "member_id": member["id"], "rule_id": rule_id, "occurred_on": day,
                "source_key": f"agg-{member['id']}-{day}",
            }  # fmt: skip
            r = await api.client.post(f"{V}/point-entries", json=entry, headers=api.auth(token))
            assert r.status_code == 201, r.text
    r = await api.client.patch(
        f"{V}/members/{members[1]['id']}", json={"education": "21"}, headers=api.auth(token)
    )
    assert r.status_code == 200, r.text


async def test_the_aggregated_tables_and_ledger_equal_everyones_histories(api, county):
    await mixed_members(api, county)
    await _changed_long_ago(api, county)
    await _points(api, county)
    orgs = [county.county["id"], county.town_a["id"], county.branch_b["id"]]
    days = [date(1949, 9, 30), date(2012, 10, 31), date(2025, 12, 31), date(2026, 4, 1), today()]
    compared = graded = 0
    for org_id, as_of in itertools.product(orgs, days):
        expected, ledger = await _oracle(org_id, as_of)
        r = await api.client.get(
            f"{V}/organisations/{org_id}/statistics",
            params={"as_of": str(as_of)},
            headers=api.auth(county.county_admin),
        )
        assert r.status_code == 200, r.text
        assert r.json() == expected, (org_id, as_of)
        r = await api.client.get(
            f"{V}/organisations/{org_id}/member-changes",
            params={"as_of": str(as_of), "limit": 200},
            headers=api.auth(county.county_admin),
        )
        assert r.status_code == 200, r.text
        got = r.json()
        assert (got["count_at_start"], got["count_at_end"]) == (
            ledger.count_at_start,
            ledger.count_at_end,
        )
        assert [(e["member_id"], e["on"], e["reason"]) for e in got["items"]] == [
            (str(e.member_id), str(e.on), e.reason.value) for e in ledger.entries
        ]
        compared += expected["members"]["total"]
        graded += sum(g["count"] for g in expected["points"]["by_grade"] if g["key"] == "优秀")
    assert compared > 0  # the days chosen count someone
    assert graded > 0  # and some above the base
