"""The annual statistics tables (党内统计) as of a date: members counted that day by each
breakdown, the year's new members, organisations; age bands at their edges; scope."""

from __future__ import annotations

import asyncio
import time
from datetime import date

from support import admission_meeting, new_id_number, record_steps

from app import clock
from app.services.organisations import workbook

V = "/api/v1"
AS_OF = date(2026, 6, 30)


async def _tables(api, token, org_id, as_of=AS_OF):
    return await api.client.get(
        f"{V}/organisations/{org_id}/statistics",
        params={"as_of": str(as_of)},
        headers=api.auth(token),
    )


async def _transition(api, token, member_id, to_status, on, **extra):
    await record_steps(api, token, member_id, to_status, str(on))
    r = await api.client.post(
        f"{V}/members/{member_id}/transitions",
        json={"to_status": to_status, "effective_date": str(on)} | extra,
        headers=api.auth(token),
    )
    assert r.status_code == 201, r.text


def _table(rows):
    return {row["key"]: row["count"] for row in rows}


async def _member(api, county, born, org=None, **fields):
    fields.setdefault("joined_on", "2020-01-01")
    return await api.member(
        county.county_admin,
        org or county.branch_a["id"],
        id_number=new_id_number(born, male=fields.pop("male", True)),
        **fields,
    )


async def test_members_are_counted_by_each_breakdown_on_the_day(api, county):
    # 30 full years on AS_OF (born the day after the 31st birthday's date) and 31 on it.
    await _member(api, county, date(1995, 7, 1), ethnicity="汉族", education="大学本科")
    await _member(api, county, date(1995, 6, 30), ethnicity="回族", male=False)
    dead = await _member(api, county, date(1920, 1, 1), joined_on="1949-09-30")
    await _transition(api, county.county_admin, dead["id"], "deceased", date(2026, 7, 1))
    admitted = await _member(api, county, date(1990, 1, 1), status="candidate", joined_on=None)
    meeting = await admission_meeting(
        api, county.county_admin, admitted["org_id"], admitted["id"], "2026-03-01", add_voter=False
    )
    await _transition(
        api,
        county.county_admin,
        admitted["id"],
        "probationary",
        date(2026, 3, 1),
        meeting_id=meeting,
    )
    await _member(api, county, date(1980, 1, 1), org=county.branch_b["id"])

    r = await _tables(api, county.admin_a, county.town_a["id"])
    assert r.status_code == 200, r.text
    members = r.json()["members"]
    assert members["total"] == 4
    assert _table(members["by_age_band"]) == {"<=30": 1, "31-40": 2, ">70": 1}
    assert _table(members["by_gender"]) == {"male": 3, "female": 1}
    assert _table(members["by_ethnicity"]) == {"01": 1, "03": 1, "unknown": 2}
    assert _table(members["by_education"]) == {"20": 1, "unknown": 3}
    assert _table(members["by_joining_period"]) == {"before_1949_10": 1, "2012_11_on": 3}
    labels = {row["key"]: (row["label_zh"], row["label_en"]) for row in members["by_education"]}
    assert labels["20"] == ("大学本科教育", "Undergraduate")
    new = r.json()["new_members"]
    assert new["total"] == 1 and _table(new["by_joining_period"]) == {"2012_11_on": 1}

    # The day of the death the member is no longer counted; before admission, not yet.
    after = (await _tables(api, county.admin_a, county.town_a["id"], date(2026, 7, 1))).json()
    assert after["members"]["total"] == 3
    before = (await _tables(api, county.admin_a, county.town_a["id"], date(2026, 2, 28))).json()
    assert before["members"]["total"] == 3 and before["new_members"]["total"] == 0


async def test_organisations_by_type_committee_and_term(api, county):
    member = await _member(api, county, date(1980, 1, 1))
    r = await api.client.post(
        f"{V}/organisations/{county.branch_a['id']}/leaders",
        json={"member_id": member["id"], "role": "organisation_member", "started_on": "2026-01-01"},
        headers=api.auth(county.admin_a),
    )
    assert r.status_code == 201, r.text
    orgs = (await _tables(api, county.admin_a, county.town_a["id"])).json()["organisations"]
    assert orgs["total"] == 2
    assert _table(orgs["by_type"]) == {"committee": 1, "branch": 1}
    assert (orgs["with_committee"], orgs["without_committee"]) == (1, 1)
    assert _table(orgs["by_term_status"]) == {"start_unknown": 2}
    # The seat starts on 1 January: the day before, no committee.
    earlier = (await _tables(api, county.admin_a, county.town_a["id"], date(2025, 12, 31))).json()
    assert earlier["organisations"]["with_committee"] == 0


async def test_another_subtrees_tables_are_not_found(api, county):
    for org in (county.town_a, county.branch_a):
        r = await _tables(api, county.admin_b, org["id"])
        assert r.status_code == 404, r.text


async def test_the_workbook_holds_the_same_totals_and_an_age_chart(api, county):
    from io import BytesIO

    from openpyxl import load_workbook

    await _member(api, county, date(1995, 7, 1), ethnicity="汉族")
    await _member(api, county, date(1960, 1, 1))
    dead = await _member(api, county, date(1950, 1, 1))
    await _transition(api, county.county_admin, dead["id"], "deceased", date(2026, 5, 1))
    org = county.town_a["id"]
    tables = (await _tables(api, county.admin_a, org)).json()
    r = await api.client.get(
        f"{V}/organisations/{org}/statistics.xlsx",
        params={"as_of": str(AS_OF)},
        headers=api.auth(county.admin_a),
    )
    assert r.status_code == 200, r.text
    assert r.headers["content-type"].startswith("application/vnd.openxmlformats")
    book = load_workbook(BytesIO(r.content))
    assert book.sheetnames == [
        "党员基本情况",
        "发展党员",
        "党组织基本情况",
        "党员增减情况",
        "组织生活和积分",
    ]
    members = book["党员基本情况"]
    rows = [[c.value for c in row] for row in members.iter_rows()]
    assert ["党员总数", tables["members"]["total"], None, None] == rows[3]
    totals = [row[2] for row in rows if row[1] == "合计"]
    assert totals == [tables["members"]["total"]] * 11
    assert len(members._charts) == 1
    changes = {row[0] or row[1]: row for row in book["党员增减情况"].iter_rows(values_only=True)}
    assert changes["期初党员数"][1] == 3 and changes["期末党员数"][1] == 2
    assert changes["死亡"][2] == 1


async def test_another_subtrees_workbook_is_not_found(api, county):
    r = await api.client.get(
        f"{V}/organisations/{county.town_a['id']}/statistics.xlsx",
        headers=api.auth(county.admin_b),
    )
    assert r.status_code == 404


async def _points_for(api, county, member_ids, bonus_member):
    """A scheme at town A (base 100; 优秀 from 101, 合格 from 100), a rule of 2 points and
    an entry of it for `bonus_member` on 1 March; the rule's id."""
    r = await api.client.post(
        f"{V}/point-schemes",
        json={
            "org_id": county.town_a["id"],
            "year": AS_OF.year,
            "base": 100,
            "grade_bands": [{"min": 101, "label": "优秀"}, {"min": 100, "label": "合格"}],
        },
        headers=api.auth(county.county_admin),
    )
    assert r.status_code == 201, r.text
    r = await api.client.post(
        f"{V}/point-rules",
        json={
            "org_id": county.town_a["id"],
            "code": f"R-{bonus_member}",
            "name": "志愿服务",
            "category": "bonus",
            "points": 2,
            "needs_approval": False,
        },
        headers=api.auth(county.county_admin),
    )
    assert r.status_code == 201, r.text
    rule_id = r.json()["id"]
    await _entry(api, county, rule_id, bonus_member, "2026-03-01")
    return rule_id


async def _entry(api, county, rule_id, member_id, occurred_on):
    r = await api.client.post(
        f"{V}/point-entries",
        json={
            "member_id": member_id,
            "rule_id": rule_id,
            "occurred_on": occurred_on,
            "source_key": f"stats-{member_id}-{occurred_on}",
        },
        headers=api.auth(county.county_admin),
    )
    assert r.status_code == 201, r.text


async def _transfer(api, county, member_id, to_org_id):
    """An accepted transfer today (after `AS_OF`)."""
    r = await api.client.post(
        f"{V}/transfers",
        json={"member_id": member_id, "to_org_id": to_org_id, "reason": "工作调动"},
        headers=api.auth(county.county_admin),
    )
    assert r.status_code == 201, r.text
    r = await api.client.post(
        f"{V}/transfers/{r.json()['id']}/accept", headers=api.auth(county.county_admin)
    )
    assert r.status_code == 200, r.text


async def test_points_indicators_count_the_members_and_entries_of_the_day(api, county):
    moved = await _member(api, county, date(1980, 1, 1))
    stayed = await _member(api, county, date(1981, 1, 1))
    rule_id = await _points_for(api, county, [], moved["id"])
    await _entry(api, county, rule_id, stayed["id"], "2026-08-01")  # after AS_OF
    await _transfer(api, county, moved["id"], county.branch_b["id"])
    org = county.town_a["id"]
    # On AS_OF the moved member stood at branch A, with the base of town A's scheme and
    # the entry of March; the other member's entry of August is not yet there.
    points = (await _tables(api, county.admin_a, org)).json()["points"]
    assert points["ranked"] == 2
    assert _table(points["by_grade"]) == {"优秀": 1, "合格": 1}
    town_b = (await _tables(api, county.admin_b, county.town_b["id"])).json()["points"]
    assert town_b["ranked"] == 0
    # Today: the moved member is town B's; the other member's August entry counts.
    points = (await _tables(api, county.admin_a, org, as_of=clock.today())).json()["points"]
    assert points["ranked"] == 1
    assert _table(points["by_grade"]) == {"优秀": 1}
    town_b = (await _tables(api, county.admin_b, county.town_b["id"], clock.today())).json()
    assert town_b["points"]["ranked"] == 1


async def test_meetings_and_points_indicators_are_their_owners_figures(api, county):
    a = await _member(api, county, date(1980, 1, 1))
    await _member(api, county, date(1981, 1, 1))
    await _member(api, county, date(1982, 1, 1), status="candidate", joined_on=None)
    await _member(api, county, date(1983, 1, 1), org=county.branch_b["id"])
    await _points_for(api, county, [], a["id"])
    org = county.town_a["id"]
    tables = (await _tables(api, county.admin_a, org)).json()
    # Points: the two counted members of town A ranked, one above the base.
    points = tables["points"]
    assert points["year"] == 2026 and points["ranked"] == 2
    assert _table(points["by_grade"]) == {"优秀": 1, "合格": 1}
    # Meetings: the compliance report's totals for the year, as of the day.
    r = await api.client.get(
        f"{V}/organisations/{org}/meeting-compliance",
        params={"year": 2026, "as_of": str(AS_OF)},
        headers=api.auth(county.admin_a),
    )
    assert r.status_code == 200, r.text
    report = r.json()
    meetings = tables["meetings"]
    assert meetings["rate"] == report["rate"] and meetings["period"] == report["period"]
    by_type = {row["key"]: row for row in meetings["by_type"]}
    assert set(by_type) == set(report["totals"]) and by_type
    for meeting_type, totals in report["totals"].items():
        row = by_type[meeting_type]
        assert (row["required"], row["held"], row["overdue"], row["rate"]) == (
            totals["required"],
            totals["held"],
            totals["overdue"],
            totals["rate"],
        )
    assert by_type["general_meeting"]["label_zh"] == "支部党员大会"


async def test_the_workbook_holds_the_meetings_and_points_indicators(api, county):
    from io import BytesIO

    from openpyxl import load_workbook

    a = await _member(api, county, date(1980, 1, 1))
    await _member(api, county, date(1981, 1, 1))
    await _points_for(api, county, [], a["id"])
    org = county.town_a["id"]
    tables = (await _tables(api, county.admin_a, org)).json()
    r = await api.client.get(
        f"{V}/organisations/{org}/statistics.xlsx",
        params={"as_of": str(AS_OF)},
        headers=api.auth(county.admin_a),
    )
    assert r.status_code == 200, r.text
    sheet = load_workbook(BytesIO(r.content))["组织生活和积分"]
    rows = list(sheet.iter_rows(values_only=True))
    totals = [row for row in rows if row[1] == "合计"]
    meetings = tables["meetings"]["by_type"]
    assert totals[0][2:6] == (
        sum(m["required"] for m in meetings),
        sum(m["held"] for m in meetings),
        sum(m["overdue"] for m in meetings),
        tables["meetings"]["rate"],
    )
    assert totals[1][2] == tables["points"]["ranked"] == 2
    grades = {row[0]: row[2] for row in rows if row[0] in ("优秀", "合格")}
    assert grades == {"优秀": 1, "合格": 1}


async def test_the_national_fields_are_counted_with_the_code_lists_labels(api, county):
    await _member(
        api,
        county,
        date(1980, 1, 1),
        degree="4",
        post="企业管理人员",
        new_social_stratum="3",
        hardship="1",
        lost_contact_since="2026-01-01",
    )
    await _member(api, county, date(1981, 1, 1), lost_contact_since="2026-07-01")
    await api.org(
        county.admin_a,
        county.town_a["id"],
        "branch",
        unit_type="3",
        economic_type="私有",
        unit_size="4",
        founded_on="2020-01-01",
    )
    tables = (await _tables(api, county.admin_a, county.town_a["id"])).json()
    members = tables["members"]
    assert _table(members["by_degree"]) == {"4": 1, "unknown": 1}
    assert _table(members["by_post"]) == {"05": 1, "unknown": 1}
    assert _table(members["by_new_social_stratum"]) == {"3": 1, "unknown": 1}
    assert _table(members["by_hardship"]) == {"1": 1, "unknown": 1}
    # Lost contact counts from its day: the second member only after AS_OF.
    assert _table(members["by_contact"]) == {"lost_contact": 1, "in_contact": 1}
    post = next(row for row in members["by_post"] if row["key"] == "05")
    assert (post["label_zh"], post["label_en"]) == ("企业管理人员", "Enterprise manager")
    orgs = tables["organisations"]
    assert _table(orgs["by_unit_type"]) == {"3": 1, "unknown": 2}
    assert _table(orgs["by_economic_type"]) == {"170": 1, "unknown": 2}
    assert _table(orgs["by_unit_size"]) == {"4": 1, "unknown": 2}
    size = next(row for row in orgs["by_unit_size"] if row["key"] == "4")
    assert (size["label_zh"], size["label_en"]) == ("微型", "Micro")


async def test_healthz_keeps_answering_while_the_workbook_is_laid_out(api, county, monkeypatch):
    """Laying out the workbook is CPU work: here each of its ~200 rows costs 10 ms more,
    2 s in all. Laid out on the event loop, one /healthz round would wait for all of it."""
    real_append = workbook.append_row

    def costly(*args, **kwargs):
        until = time.perf_counter() + 0.01
        while time.perf_counter() < until:
            pass
        return real_append(*args, **kwargs)

    monkeypatch.setattr(workbook, "append_row", costly)
    download = asyncio.create_task(
        api.client.get(
            f"{V}/organisations/{county.town_a['id']}/statistics.xlsx",
            params={"as_of": str(AS_OF)},
            headers=api.auth(county.admin_a),
        )
    )
    waits = []
    await asyncio.sleep(0)
    while not download.done():
        started = time.monotonic()
        r = await api.client.get("/healthz")
        assert r.status_code == 200
        await asyncio.sleep(0.05)
        waits.append(time.monotonic() - started)
    r = await download
    assert r.status_code == 200, r.text
    assert len(waits) >= 5, waits
    # As in the exports' test: a blocked loop shows as one round as long as the layout
    # (2 s); a shared machine stretches rounds, so too long is over 1 s and a third.
    assert max(waits) < max(1.0, sum(waits) / 3), waits
