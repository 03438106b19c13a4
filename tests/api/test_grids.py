"""Grids and 双报到: three grids (one oversized, one uncovered), assignment, coverage,
cross-subtree registration and service hours scoring points."""

from __future__ import annotations

from datetime import date

import pytest
from support import unique

from app.api.deps import get_today

G = "/api/v1/grids"


@pytest.fixture(autouse=True)
def frozen_today(app):
    app.dependency_overrides[get_today] = lambda: date(2026, 11, 24)
    yield
    app.dependency_overrides.pop(get_today, None)


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
    assert body["registered"] == [member["id"]]
    assert idle["id"] in body["unregistered"]
    assert body["under_target"] == [member["id"]]


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
