"""A mix of member records for the statistics tests that compare the SQL answers with
the histories of everyone (tests/api/test_statistics_aggregation.py and
test_statistics_checks.py)."""

from __future__ import annotations

import itertools
from datetime import date, timedelta

from support import new_id_number

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


async def mixed_members(api, county):
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
