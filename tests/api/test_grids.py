"""Grids and 双报到: three grids (one oversized, one uncovered), assignment, coverage,
cross-subtree registration and service hours scoring points."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest
from support import unique

TODAY = date(2026, 11, 24)

G = "/api/v1/grids"


pytestmark = pytest.mark.usefixtures("frozen_today")  # every test on `TODAY`


async def _community(api, county):
    community = await api.org(
        county.county_admin, county.town_a["id"], "committee", unit_category=7, name="幸福社区党委"
    )
    branch = await api.org(county.county_admin, community["id"], "branch", unit_category=7)
    group = await api.org(county.county_admin, branch["id"], "group")
    return community, branch, group


async def _grid(api, token, community, **fields):
    payload = {
        "code": unique("G"),
        "name": "网格",
        "kind": "urban",
        "org_id": community["id"],
        "households": 400,
        **fields,
    }
    r = await api.client.post(G, json=payload, headers=api.auth(token))
    assert r.status_code == 201, r.text
    return r.json()


async def test_grid_coverage_names_exactly_the_problems(api, county):
    community, branch, group = await _community(api, county)
    leader = await api.member(
        county.county_admin, branch["id"], residence_community_id=community["id"]
    )
    ok = await _grid(
        api, county.admin_a, community, covering_org_id=branch["id"], leader_id=leader["id"]
    )
    big = await _grid(
        api,
        county.admin_a,
        community,
        households=620,
        covering_org_id=group["id"],
        leader_id=leader["id"],
    )
    bare = await _grid(api, county.admin_a, community, households=350, leader_id=leader["id"])
    residents = [
        await api.member(county.county_admin, branch["id"], residence_community_id=community["id"])
        for _ in range(3)
    ]
    r = await api.client.put(
        f"{G}/{ok['id']}/members",
        json={
            "member_ids": [residents[0]["id"], residents[1]["id"]],
            "central_households": [
                {"member_id": residents[0]["id"], "households": ["3栋101", "3栋102"]}
            ],
        },
        headers=api.auth(county.admin_a),
    )
    assert r.status_code == 200, r.text
    assert {x["member_id"] for x in r.json()["residents"]} == {
        residents[0]["id"],
        residents[1]["id"],
    }
    # Reassigning moves a member: they are in one grid at most.
    r = await api.client.put(
        f"{G}/{big['id']}/members",
        json={"member_ids": [residents[1]["id"]]},
        headers=api.auth(county.admin_a),
    )
    assert r.status_code == 200
    ok_now = (await api.client.get(f"{G}/{ok['id']}", headers=api.auth(county.admin_a))).json()
    assert [x["member_id"] for x in ok_now["residents"]] == [residents[0]["id"]]
    assert ok_now["residents"][0]["served_households"] == ["3栋101", "3栋102"]
    coverage = (
        await api.client.get(
            f"/api/v1/organisations/{community['id']}/grid-coverage",
            headers=api.auth(county.admin_a),
        )
    ).json()
    assert coverage["out_of_range"] == [big["id"]]
    assert coverage["uncovered"] == [bare["id"]]
    assert coverage["without_leader"] == []
    assert set(coverage["unassigned_members"]) == {leader["id"], residents[2]["id"]}
    assert coverage["totals"]["grids"] == 3
    assert coverage["totals"]["households"] == 1370


async def test_a_grid_is_covered_only_by_its_communitys_branches_or_groups(api, county):
    community, _, _ = await _community(api, county)
    r = await api.client.post(
        G,
        json={
            "code": unique("G"),
            "name": "x",
            "kind": "rural",
            "org_id": community["id"],
            "covering_org_id": county.branch_b["id"],
        },
        headers=api.auth(county.county_admin),
    )
    assert r.status_code == 422
    assert r.json()["code"] == "grid.covering_not_in_community"
    r = await api.client.post(
        G,
        json={"code": unique("G"), "name": "x", "kind": "rural", "org_id": county.town_a["id"]},
        headers=api.auth(county.county_admin),
    )
    assert r.json()["code"] == "grid.org_not_community"


async def test_grids_are_scoped(api, county):
    community, _, _ = await _community(api, county)
    grid = await _grid(api, county.admin_a, community)
    assert (
        await api.client.get(f"{G}/{grid['id']}", headers=api.auth(county.admin_b))
    ).status_code == 404
    listed = await api.client.get(G, params={"limit": 500}, headers=api.auth(county.admin_b))
    assert grid["id"] not in {g["id"] for g in listed.json()["items"]}
    r = await api.client.get(
        f"/api/v1/organisations/{community['id']}/grid-coverage", headers=api.auth(county.admin_b)
    )
    assert r.status_code == 404


async def test_double_reporting_across_subtrees_scores_confirmed_hours(api, county):
    # A county bureau member registers with a community in another county's subtree.
    home = await api.county()
    community, _, _ = await _community(api, home)
    bureau = county.branch_a
    await api.client.post(
        "/api/v1/point-rules",
        json={
            "org_id": county.county["id"],
            "code": unique("SVC"),
            "name": "社区服务",
            "category": "bonus",
            "points": 1,
            "trigger": "service.hours",
            "cap_year": 40,
        },
        headers=api.auth(county.county_admin),
    )
    member = await api.member(
        county.county_admin, bureau["id"], category="employed", dues_base_fen=500000
    )
    idle = await api.member(
        county.county_admin, bureau["id"], category="employed", dues_base_fen=500000
    )
    r = await api.client.post(
        f"/api/v1/members/{member['id']}/community-report",
        json={"community_org_id": community["id"]},
        headers=api.auth(county.admin_a),
    )
    assert r.status_code == 201, r.text
    report = r.json()
    # Both sides see it; a third party does not.
    assert (
        await api.client.get(
            f"/api/v1/community-reports/{report['id']}", headers=api.auth(home.admin_a)
        )
    ).status_code == 200
    third = await api.county()
    assert (
        await api.client.get(
            f"/api/v1/community-reports/{report['id']}", headers=api.auth(third.admin_a)
        )
    ).status_code == 404
    _, member_token = await api.user(county.admin_a, "member", bureau["id"], member["id"])
    logged = await api.client.post(
        f"/api/v1/community-reports/{report['id']}/services",
        json={"occurred_on": "2026-11-24", "hours": "3.5", "description": "社区清洁"},
        headers=api.auth(member_token),
    )
    assert logged.status_code == 201, logged.text
    record = logged.json()
    # The work side cannot confirm its own member's hours; the community does.
    r = await api.client.post(
        f"/api/v1/community-reports/{report['id']}/services/{record['id']}/confirm",
        headers=api.auth(county.admin_a),
    )
    assert r.status_code == 403
    r = await api.client.post(
        f"/api/v1/community-reports/{report['id']}/services/{record['id']}/confirm",
        headers=api.auth(home.admin_a),
    )
    assert r.json()["state"] == "confirmed"
    points = await api.client.get(
        f"/api/v1/members/{member['id']}/points",
        params={"year": 2026},
        headers=api.auth(county.admin_a),
    )
    assert points.json()["by_category"]["bonus"] == 3
    again = await api.client.post(
        f"/api/v1/community-reports/{report['id']}/services/{record['id']}/confirm",
        headers=api.auth(home.admin_a),
    )
    assert again.status_code == 409
    summary = await api.client.get(
        f"/api/v1/organisations/{bureau['id']}/community-reporting",
        params={"year": 2026},
        headers=api.auth(county.admin_a),
    )
    body = summary.json()
    assert (body["registered_members"], body["under_target_members"]) == (1, 1)
    assert body["unregistered_members"] == body["employed_members"] - 1
    unregistered = await _reporting_members(api, county.admin_a, bureau["id"], "unregistered")
    assert idle["id"] in unregistered and member["id"] not in unregistered


async def _reporting_members(api, token, org_id, state=None, year=2026):
    """Every member of the 双报到 list, paged one by one, by id."""
    seen, cursor = {}, None
    while True:
        params = {"year": year, "limit": 1, **({"state": state} if state else {})}
        r = await api.client.get(
            f"/api/v1/organisations/{org_id}/community-reporting/members",
            params={**params, **({"cursor": cursor} if cursor else {})},
            headers=api.auth(token),
        )
        assert r.status_code == 200, r.text
        seen.update({m["member_id"]: m for m in r.json()["items"]})
        cursor = r.json()["next_cursor"]
        if cursor is None:
            return seen


async def _served(api, report, token, confirmer, hours, occurred_on="2026-11-24", confirm=True):
    r = await api.client.post(
        f"/api/v1/community-reports/{report['id']}/services",
        json={"occurred_on": occurred_on, "hours": hours, "description": "社区服务"},
        headers=api.auth(token),
    )
    assert r.status_code == 201, r.text
    if confirm:
        record = r.json()["id"]
        r = await api.client.post(
            f"/api/v1/community-reports/{report['id']}/services/{record}/confirm",
            headers=api.auth(confirmer),
        )
        assert r.status_code == 200, r.text


async def test_the_reporting_summary_counts_the_members_its_pages_list(api, county):
    """The summary counts in the database; who they are comes page by page, by state.
    Only employed members count; only confirmed hours of the year, on active
    registrations; the target is the policy's."""
    home = await api.county()
    community, _, _ = await _community(api, home)
    ca, bureau = county.county_admin, county.branch_a["id"]
    r = await api.client.put(
        f"/api/v1/organisations/{county.town_a['id']}/policies",
        json={"values": {"service_hours_target": 3}},
        headers=api.auth(ca),
    )
    assert r.status_code == 200, r.text
    done, short, idle = [await api.member(ca, bureau, category="employed") for _ in range(3)]
    await api.member(ca, bureau, category="retired")
    for m, served in ((done, ["3.5"]), (short, ["1", "2"])):
        r = await api.client.post(
            f"/api/v1/members/{m['id']}/community-report",
            json={"community_org_id": community["id"]},
            headers=api.auth(county.admin_a),
        )
        assert r.status_code == 201, r.text
        _, token = await api.user(county.admin_a, "member", bureau, m["id"])
        for i, hours in enumerate(served):  # short's second service is not confirmed
            await _served(api, r.json(), token, home.admin_a, hours, confirm=i == 0)
    r = await api.client.get(
        f"/api/v1/organisations/{bureau}/community-reporting",
        params={"year": 2026},
        headers=api.auth(county.admin_a),
    )
    assert r.status_code == 200, r.text
    summary = {**r.json(), "confirmed_hours": Decimal(r.json()["confirmed_hours"])}
    assert summary == {
        "year": 2026,
        "target_hours": 3,
        "employed_members": 3,
        "registered_members": 2,
        "unregistered_members": 1,
        "under_target_members": 1,
        "confirmed_hours": Decimal("4.5"),
    }
    ids = {name: m["id"] for name, m in (("done", done), ("short", short), ("idle", idle))}
    expected = {
        None: {"done", "short", "idle"},
        "registered": {"done", "short"},
        "unregistered": {"idle"},
        "under_target": {"short"},
    }
    for state, names in expected.items():
        listed = await _reporting_members(api, county.admin_a, bureau, state)
        assert set(listed) == {ids[n] for n in names}, state
    every = await _reporting_members(api, county.admin_a, bureau)
    facts = {
        n: (every[i]["registered"], Decimal(every[i]["confirmed_hours"])) for n, i in ids.items()
    }
    assert facts == {
        "done": (True, Decimal("3.5")),
        "short": (True, Decimal("1")),
        "idle": (False, Decimal("0")),
    }
    assert len(await _reporting_members(api, county.admin_a, bureau, year=2025)) == 3
    # In 2025 neither served an hour: both registered ones are under the target.
    last_year = await _reporting_members(api, county.admin_a, bureau, "under_target", 2025)
    assert {i: Decimal(m["confirmed_hours"]) for i, m in last_year.items()} == {
        ids["done"]: 0,
        ids["short"]: 0,
    }
    # Another subtree sees neither the counts nor the names.
    for path in ("community-reporting", "community-reporting/members"):
        r = await api.client.get(
            f"/api/v1/organisations/{bureau}/{path}", headers=api.auth(county.admin_b)
        )
        assert r.status_code == 404, r.text


async def test_only_employed_members_register(api, county):
    community, _, _ = await _community(api, county)
    retiree = await api.member(county.county_admin, county.branch_a["id"], category="retired")
    r = await api.client.post(
        f"/api/v1/members/{retiree['id']}/community-report",
        json={"community_org_id": community["id"]},
        headers=api.auth(county.admin_a),
    )
    assert r.status_code == 409
    assert r.json()["code"] == "community_report.not_employed"


async def test_a_member_registers_with_one_community_at_a_time(api, county):
    community, _, _ = await _community(api, county)
    member = await api.member(county.county_admin, county.branch_a["id"], category="employed")
    url = f"/api/v1/members/{member['id']}/community-report"
    body = {"community_org_id": community["id"]}
    first = await api.client.post(url, json=body, headers=api.auth(county.admin_a))
    assert first.status_code == 201, first.text
    again = await api.client.post(url, json=body, headers=api.auth(county.admin_a))
    assert (again.status_code, again.json()["code"]) == (409, "community_report.already_registered")
