"""The statistics tables and the 增减 ledger count the records without a recorded change
in SQL (grouping sets) and the others from their histories: the answers equal those
of the histories of everyone (the first implementation, kept as the oracle), over a
mix of records, organisations and days."""

from __future__ import annotations

import itertools
import uuid
from datetime import date, timedelta

from sqlalchemy import select
from support import new_id_number

from app.clock import today
from app.db import get_sessionmaker
from app.models.organisation import Organisation
from app.services.organisations import member_changes, stats

V = "/api/v1"

ETHNICITIES = ["汉族", "回族", "02", None, "蒙古族"]
EDUCATIONS = ["大学本科", "研究生", None, "高中", "中等专科"]
CATEGORIES = ["employed", "retired", "farmer", "student", "other"]
JOINED = ["1949-09-30", "1949-10-01", "1978-12-31", "2002-11-01", "2012-10-31", "2020-05-05", None]
STATUSES = ["full", "full", "probationary", "candidate", "full", "suspended"]
DEGREES = ["4", "学士", None, "2"]
POSTS = ["01", "企业管理人员", None, "11", "12"]
STRATA = [None, "3", "新媒体从业人员"]
HARDSHIPS = [None, None, "1", "残疾"]
LOST = [None, None, None, "2026-04-01", "2025-01-01"]


async def _mixed_members(api, county):
    """Thirty records: every ethnicity, education, category, joining period and status
    above, ages at the band edges; a few then die, leave or move between branches."""
    ids = []
    orgs = itertools.cycle([county.branch_a["id"], county.branch_b["id"]])
    for i in range(30):
        status = STATUSES[i % len(STATUSES)]
        born = date(1995, 6, 30) - timedelta(days=(i % 3) - 1) - timedelta(days=3653 * (i % 6))
        joined = JOINED[i % len(JOINED)] if status != "candidate" else None
        if joined and date.fromisoformat(joined) < born.replace(year=born.year + 19):
            joined = str(born.replace(year=born.year + 19))
        member = await api.member(
            county.county_admin,
            next(orgs),
            id_number=new_id_number(born, male=i % 2 == 0),
            status=status,
            joined_on=joined,
            ethnicity=ETHNICITIES[i % len(ETHNICITIES)],
            education=EDUCATIONS[i % len(EDUCATIONS)],
            category=CATEGORIES[i % len(CATEGORIES)],
            degree=DEGREES[i % len(DEGREES)],
            post=POSTS[i % len(POSTS)],
            new_social_stratum=STRATA[i % len(STRATA)],
            hardship=HARDSHIPS[i % len(HARDSHIPS)],
            lost_contact_since=LOST[i % len(LOST)],
        )
        ids.append(member["id"])
    for member_id, to_status, on in (
        (ids[0], "deceased", date(2026, 3, 1)),
        (ids[1], "left", date(2026, 5, 1)),
        (ids[4], "suspended", date(2025, 12, 31)),
    ):
        r = await api.client.post(
            f"{V}/members/{member_id}/transitions",
            json={"to_status": to_status, "effective_date": str(on), "reason": "决议"},
            headers=api.auth(county.county_admin),
        )
        assert r.status_code == 201, r.text
    r = await api.client.post(
        f"{V}/transfers",
        json={"member_id": ids[6], "to_org_id": county.branch_b["id"], "reason": "工作调动"},
        headers=api.auth(county.county_admin),
    )
    assert r.status_code == 201, r.text
    r = await api.client.post(
        f"{V}/transfers/{r.json()['id']}/accept", headers=api.auth(county.county_admin)
    )
    assert r.status_code == 200, r.text


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


async def test_the_aggregated_tables_and_ledger_equal_everyones_histories(api, county):
    await _mixed_members(api, county)
    orgs = [county.county["id"], county.town_a["id"], county.branch_b["id"]]
    days = [date(1949, 9, 30), date(2012, 10, 31), date(2025, 12, 31), date(2026, 4, 1), today()]
    compared = 0
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
    assert compared > 0  # the days chosen count someone
