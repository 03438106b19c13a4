"""Organisations: parent rules, subtree lists, tree, move, dissolve, leaders, health, stats."""

from __future__ import annotations

import asyncio
from datetime import date, timedelta

from support import new_id_number, unique

from app.api.deps import get_today

ORGS = "/api/v1/organisations"


async def test_group_may_sit_only_under_a_branch(api, county):
    r = await api.client.post(
        ORGS,
        json={"code": unique(), "name": "小组", "type": "group", "parent_id": county.town_a["id"]},
        headers=api.auth(county.county_admin),
    )
    assert r.status_code == 409
    assert r.json()["code"] == "organisation.parent_type_invalid"
    group = await api.org(county.county_admin, county.branch_a["id"], "group", name="第一党小组")
    assert group["depth"] == county.branch_a["depth"] + 1


async def test_general_branch_cannot_sit_under_a_general_branch(api, county):
    gb = await api.org(county.county_admin, county.town_a["id"], "general_branch")
    r = await api.client.post(
        ORGS,
        json={"code": unique(), "name": "x", "type": "general_branch", "parent_id": gb["id"]},
        headers=api.auth(county.county_admin),
    )
    assert r.status_code == 409
    branch = await api.org(county.county_admin, gb["id"], "joint_branch", unit_count=3)
    assert branch["parent_id"] == gb["id"]


async def test_only_a_system_admin_creates_a_root(api, county):
    payload = {"code": unique(), "name": "省委", "type": "committee", "parent_id": None}
    r = await api.client.post(ORGS, json=payload, headers=api.auth(county.county_admin))
    assert r.status_code == 403
    assert r.json()["code"] == "organisation.root_requires_system_admin"


async def test_organisation_codes_are_unique(api, county):
    code = unique()
    await api.org(county.county_admin, county.town_a["id"], "branch", code=code)
    r = await api.client.post(
        ORGS,
        json={"code": code, "name": "dup", "type": "branch", "parent_id": county.town_b["id"]},
        headers=api.auth(county.county_admin),
    )
    assert r.status_code == 409
    assert r.json()["code"] == "organisation.code_taken"


async def test_create_returns_201_location_and_etag(api, county):
    r = await api.client.post(
        ORGS,
        json={"code": unique(), "name": "丙村", "type": "branch", "parent_id": county.town_a["id"]},
        headers=api.auth(county.county_admin),
    )
    assert r.status_code == 201
    assert r.headers["location"] == f"/api/v1/organisations/{r.json()['id']}"
    assert r.headers["etag"] == '"1"'
    assert r.json()["version"] == 1


async def test_within_lists_the_whole_subtree_and_nothing_else(api, county):
    r = await api.client.get(
        ORGS,
        params={"within": county.town_a["id"], "include_total": "true"},
        headers=api.auth(county.county_admin),
    )
    ids = {o["id"] for o in r.json()["items"]}
    assert ids == {county.town_a["id"], county.branch_a["id"]}
    assert r.json()["total"] == 2


async def test_sibling_admin_sees_nothing_of_the_other_township(api, county):
    headers = api.auth(county.admin_b)
    other = county.town_a["id"]
    for path in ("", "/tree", "/health", "/stats", "/leaders"):
        r = await api.client.get(f"{ORGS}/{other}{path}", headers=headers)
        assert r.status_code == 404, path
        assert r.json()["code"] == "organisation.not_found"
    r = await api.client.patch(f"{ORGS}/{other}", json={"name": "x"}, headers=headers)
    assert r.status_code == 404
    r = await api.client.delete(f"{ORGS}/{county.branch_a['id']}", headers=headers)
    assert r.status_code == 404
    r = await api.client.post(
        f"{ORGS}/{county.branch_a['id']}/move",
        json={"new_parent_id": county.town_b["id"]},
        headers=headers,
    )
    assert r.status_code == 404
    r = await api.client.get(ORGS, params={"within": other}, headers=headers)
    assert r.status_code == 404
    r = await api.client.get(ORGS, params={"include_total": "true", "limit": 500}, headers=headers)
    ids = {o["id"] for o in r.json()["items"]}
    assert ids == {county.town_b["id"], county.branch_b["id"]}
    assert r.json()["total"] == 2
    r = await api.client.get(ORGS, params={"parent_id": county.town_a["id"]}, headers=headers)
    assert r.status_code == 404
    assert [e["field"] for e in r.json()["errors"]] == ["parent_id"]


async def test_tree_respects_depth_and_marks_deeper_children(api, county):
    await api.org(county.county_admin, county.branch_a["id"], "group")
    r = await api.client.get(
        f"{ORGS}/{county.county['id']}/tree",
        params={"depth": 2},
        headers=api.auth(county.county_admin),
    )
    assert r.status_code == 200
    tree = r.json()
    assert tree["id"] == county.county["id"]
    towns = {c["id"]: c for c in tree["children"]}
    assert set(towns) == {county.town_a["id"], county.town_b["id"]}
    branch = towns[county.town_a["id"]]["children"][0]
    assert branch["id"] == county.branch_a["id"]
    assert branch["children"] == []
    assert branch["has_more_children"] is True


async def test_tree_body_is_exactly_the_documented_schema_at_every_level(api, county):
    # The tree is written by orjson from rows: every node must still be a TreeNode.
    from app.schemas.organisations import TreeNode

    r = await api.client.get(
        f"{ORGS}/{county.county['id']}/tree",
        params={"depth": 3},
        headers=api.auth(county.county_admin),
    )
    assert r.headers["content-type"] == "application/json"
    tree = r.json()
    assert TreeNode.model_validate(tree).model_dump(mode="json") == tree
    nodes, stack = 0, [tree]
    while stack:
        node = stack.pop()
        nodes += 1
        assert set(node) == set(TreeNode.model_fields)
        stack.extend(node["children"])
    assert nodes >= 5  # county, two towns, their branches
    branch = await api.client.get(
        f"{ORGS}/{county.branch_a['id']}", headers=api.auth(county.county_admin)
    )
    [town_a] = [c for c in tree["children"] if c["id"] == county.town_a["id"]]
    [branch_a] = [c for c in town_a["children"] if c["id"] == county.branch_a["id"]]
    for field in ("code", "name", "type", "depth", "dissolved_on"):
        assert branch_a[field] == branch.json()[field]


async def test_tree_does_not_mark_a_node_whose_only_deeper_child_is_dissolved(api, county):
    headers = api.auth(county.county_admin)
    group = await api.org(county.county_admin, county.branch_b["id"], "group")
    r = await api.client.delete(f"{ORGS}/{group['id']}", headers=headers)
    assert r.status_code == 204
    url = f"{ORGS}/{county.county['id']}/tree"
    tree = (await api.client.get(url, params={"depth": 2}, headers=headers)).json()
    town_b = next(c for c in tree["children"] if c["id"] == county.town_b["id"])
    assert town_b["children"][0]["id"] == county.branch_b["id"]
    assert town_b["children"][0]["has_more_children"] is False
    params = {"depth": 2, "include_dissolved": "true"}
    tree = (await api.client.get(url, params=params, headers=headers)).json()
    town_b = next(c for c in tree["children"] if c["id"] == county.town_b["id"])
    assert town_b["children"][0]["has_more_children"] is True


async def test_move_rewrites_the_subtree_and_its_members(api, county):
    member = await api.member(county.county_admin, county.branch_a["id"])
    group = await api.org(county.county_admin, county.branch_a["id"], "group")
    r = await api.client.post(
        f"{ORGS}/{county.branch_a['id']}/move",
        json={"new_parent_id": county.town_b["id"]},
        headers=api.auth(county.county_admin),
    )
    assert r.status_code == 200, r.text
    assert r.json()["parent_id"] == county.town_b["id"]
    # Township B's admin now sees the branch, its group and its member; A's admin does not.
    headers_b = api.auth(county.admin_b)
    assert (await api.client.get(f"{ORGS}/{group['id']}", headers=headers_b)).status_code == 200
    r = await api.client.get(
        "/api/v1/members", params={"within": county.town_b["id"]}, headers=headers_b
    )
    assert member["id"] in {m["id"] for m in r.json()["items"]}
    headers_a = api.auth(county.admin_a)
    assert (
        await api.client.get(f"/api/v1/members/{member['id']}", headers=headers_a)
    ).status_code == 404
    assert (await api.client.get(f"{ORGS}/{group['id']}", headers=headers_a)).status_code == 404


async def test_move_under_own_subtree_is_refused_as_a_cycle(api, county):
    r = await api.client.post(
        f"{ORGS}/{county.town_a['id']}/move",
        json={"new_parent_id": county.town_a["id"]},
        headers=api.auth(county.county_admin),
    )
    assert r.status_code == 409
    assert r.json()["code"] == "organisation.move_cycle"
    child = await api.org(county.county_admin, county.town_a["id"], "committee")
    r = await api.client.post(
        f"{ORGS}/{county.town_a['id']}/move",
        json={"new_parent_id": child["id"]},
        headers=api.auth(county.county_admin),
    )
    assert r.status_code == 409
    assert r.json()["code"] == "organisation.move_cycle"


async def test_move_to_an_illegal_parent_is_refused(api, county):
    r = await api.client.post(
        f"{ORGS}/{county.town_a['id']}/move",
        json={"new_parent_id": county.branch_b["id"]},
        headers=api.auth(county.county_admin),
    )
    assert r.status_code == 409
    assert r.json()["code"] == "organisation.parent_type_invalid"


async def test_dissolve_is_refused_while_members_remain_then_soft(api, county):
    branch = await api.org(county.county_admin, county.town_a["id"], "branch")
    member = await api.member(county.county_admin, branch["id"])
    r = await api.client.delete(f"{ORGS}/{branch['id']}", headers=api.auth(county.county_admin))
    assert r.status_code == 409
    assert r.json()["code"] == "organisation.has_members"
    r = await api.client.post(
        f"/api/v1/members/{member['id']}/transitions",
        json={"to_status": "left", "effective_date": str(date.today())},
        headers=api.auth(county.county_admin),
    )
    assert r.status_code == 201, r.text
    r = await api.client.delete(f"{ORGS}/{branch['id']}", headers=api.auth(county.county_admin))
    assert r.status_code == 204
    r = await api.client.get(f"{ORGS}/{branch['id']}", headers=api.auth(county.county_admin))
    assert r.json()["dissolved_on"] is not None
    listed = await api.client.get(
        ORGS, params={"within": county.town_a["id"]}, headers=api.auth(county.county_admin)
    )
    assert branch["id"] not in {o["id"] for o in listed.json()["items"]}


async def test_dissolve_is_refused_while_sub_organisations_remain(api, county):
    r = await api.client.delete(
        f"{ORGS}/{county.town_a['id']}", headers=api.auth(county.county_admin)
    )
    assert r.status_code == 409
    assert r.json()["code"] == "organisation.has_children"


async def test_one_current_secretary_at_most(api, county):
    a = await api.member(county.county_admin, county.branch_a["id"])
    b = await api.member(county.county_admin, county.branch_a["id"])
    url = f"{ORGS}/{county.branch_a['id']}/leaders"
    headers = api.auth(county.county_admin)
    first = {"member_id": a["id"], "role": "secretary", "started_on": "2024-01-01"}
    assert (await api.client.post(url, json=first, headers=headers)).status_code == 201
    second = {"member_id": b["id"], "role": "secretary", "started_on": "2024-02-01"}
    r = await api.client.post(url, json=second, headers=headers)
    assert r.status_code == 409
    assert r.json()["code"] == "leader.secretary_exists"
    deputy = {"member_id": b["id"], "role": "deputy_secretary", "started_on": "2024-02-01"}
    assert (await api.client.post(url, json=deputy, headers=headers)).status_code == 201
    leaders = (await api.client.get(url, headers=headers)).json()["items"]
    assert {(x["role"], x["member_id"]) for x in leaders} == {
        ("secretary", a["id"]),
        ("deputy_secretary", b["id"]),
    }


async def _health(api, county, org_id, **params):
    r = await api.client.get(
        f"{ORGS}/{org_id}/health", params=params, headers=api.auth(county.county_admin)
    )
    assert r.status_code == 200, r.text
    return r.json()


def _codes(health):
    return {f["code"] for f in health["flags"]}


async def test_branch_with_two_full_members_is_flagged_too_small(api, county):
    branch = await api.org(county.county_admin, county.town_a["id"], "branch")
    for _ in range(2):
        await api.member(county.county_admin, branch["id"])
    await api.member(county.county_admin, branch["id"], status="probationary")
    health = await _health(api, county, branch["id"])
    assert health["full_members"] == 2
    assert "branch.too_few_full_members" in _codes(health)


async def test_branch_with_seven_full_members_needs_committee(api, county):
    branch = await api.org(county.county_admin, county.town_a["id"], "branch")
    members = [await api.member(county.county_admin, branch["id"]) for _ in range(7)]
    health = await _health(api, county, branch["id"])
    assert "branch.committee_required" in _codes(health)
    assert "branch.too_few_full_members" not in _codes(health)
    url = f"{ORGS}/{branch['id']}/leaders"
    headers = api.auth(county.county_admin)
    for member, role in zip(
        members, ["secretary", "organisation_member", "propaganda_member"], strict=False
    ):
        r = await api.client.post(
            url,
            json={"member_id": member["id"], "role": role, "started_on": "2024-01-01"},
            headers=headers,
        )
        assert r.status_code == 201
    health = await _health(api, county, branch["id"])
    assert "branch.committee_required" not in _codes(health)
    assert health["committee_size"] == 3


async def test_committee_size_counts_people_and_missing_seats_are_flagged(api, county):
    branch = await api.org(county.county_admin, county.town_a["id"], "branch")
    members = [await api.member(county.county_admin, branch["id"]) for _ in range(8)]
    url = f"{ORGS}/{branch['id']}/leaders"
    seats = [
        (members[0], "secretary"),
        (members[1], "organisation_member"),
        (members[1], "discipline_member"),  # 组织委员兼纪检委员
        (members[2], "committee_member"),
    ]
    for member, role in seats:
        r = await api.client.post(
            url,
            json={"member_id": member["id"], "role": role, "started_on": "2024-01-01"},
            headers=api.auth(county.county_admin),
        )
        assert r.status_code == 201, r.text
    health = await _health(api, county, branch["id"])
    assert health["committee_size"] == 3
    missing = [f for f in health["flags"] if f["code"] == "branch.committee_roles_missing"]
    assert [f["value"] for f in missing] == ["propaganda_member"]


async def test_branch_with_six_full_members_needs_no_committee(api, county):
    branch = await api.org(county.county_admin, county.town_a["id"], "branch")
    for _ in range(6):
        await api.member(county.county_admin, branch["id"])
    health = await _health(api, county, branch["id"])
    assert "branch.committee_required" not in _codes(health)
    assert "leaders.no_secretary" in _codes(health)


async def test_joint_branch_covering_six_units_is_flagged(api, county):
    joint = await api.org(county.county_admin, county.town_a["id"], "joint_branch", unit_count=6)
    assert "joint_branch.too_many_units" in _codes(await _health(api, county, joint["id"]))
    ok = await api.org(county.county_admin, county.town_a["id"], "joint_branch", unit_count=5)
    assert "joint_branch.too_many_units" not in _codes(await _health(api, county, ok["id"]))


async def test_term_flags_warn_within_90_days_and_when_expired(api, county):
    today = date(2026, 6, 1)
    started = date(2023, 7, 1)  # branch term of 3 years ends 2026-07-01
    branch = await api.org(
        county.county_admin, county.town_a["id"], "branch", term_started_on=str(started)
    )
    soon = await _health(api, county, branch["id"], as_of=str(today))
    assert "term.ending_soon" in _codes(soon)
    assert soon["term_ends_on"] == "2026-07-01"
    expired = await _health(api, county, branch["id"], as_of="2026-07-01")
    assert "term.expired" in _codes(expired)
    early = await _health(api, county, branch["id"], as_of=str(today - timedelta(days=100)))
    assert not {"term.ending_soon", "term.expired"} & _codes(early)


async def test_village_branch_term_is_five_years(api, county):
    branch = await api.org(
        county.county_admin,
        county.town_a["id"],
        "branch",
        unit_category=3,
        term_started_on="2022-01-01",
    )
    health = await _health(api, county, branch["id"], as_of="2026-06-01")
    assert health["term_ends_on"] == "2027-01-01"


async def test_stats_count_members_who_left_by_status_only(api, county):
    headers = api.auth(county.county_admin)
    await api.member(county.county_admin, county.branch_b["id"], education="大学本科")
    gone = await api.member(county.county_admin, county.branch_b["id"], education="高中")
    r = await api.client.post(
        f"/api/v1/members/{gone['id']}/transitions",
        json={"to_status": "left", "effective_date": str(date.today())},
        headers=headers,
    )
    assert r.status_code == 201, r.text
    stats = (await api.client.get(f"{ORGS}/{county.branch_b['id']}/stats", headers=headers)).json()
    assert stats["by_status"] == {"full": 1, "left": 1}
    assert stats["members"] == 1
    assert stats["by_education"] == {"大学本科": 1}
    assert sum(stats["by_gender"].values()) == 1
    assert sum(stats["by_age_band"].values()) == 1


async def test_stats_age_bands_turn_on_the_birthday(app, api, county):
    app.dependency_overrides[get_today] = lambda: date(2026, 11, 24)
    try:
        for born in ("1995-11-25", "1995-11-24", "1955-11-25", "1955-11-24"):
            await api.member(
                county.county_admin,
                county.branch_a["id"],
                id_number=new_id_number(date.fromisoformat(born)),
            )
        r = await api.client.get(
            f"{ORGS}/{county.branch_a['id']}/stats", headers=api.auth(county.county_admin)
        )
    finally:
        app.dependency_overrides.pop(get_today, None)
    # 30 the day before the 31st birthday, 31 on it; 70 and 71 likewise.
    assert r.json()["by_age_band"] == {"<=30": 1, "31-40": 1, "61-70": 1, ">70": 1}


async def test_stats_count_the_subtree_by_status_category_gender_and_age(api, county):
    await api.member(
        county.county_admin, county.branch_a["id"], category="farmer", education="高中"
    )
    await api.member(
        county.county_admin, county.branch_a["id"], status="probationary", education="高中"
    )
    await api.member(county.county_admin, county.branch_b["id"], category="retired")
    r = await api.client.get(
        f"{ORGS}/{county.county['id']}/stats", headers=api.auth(county.county_admin)
    )
    stats = r.json()
    assert stats["members"] == 3
    assert stats["by_status"] == {"full": 2, "probationary": 1}
    assert stats["by_category"] == {"farmer": 1, "employed": 1, "retired": 1}
    assert sum(stats["by_gender"].values()) == 3
    assert sum(stats["by_age_band"].values()) == 3
    assert stats["by_education"] == {"高中": 2, "unknown": 1}
    assert stats["by_org_type"] == {"committee": 3, "branch": 2}
    town = (
        await api.client.get(
            f"{ORGS}/{county.town_a['id']}/stats", headers=api.auth(county.admin_a)
        )
    ).json()
    assert town["members"] == 2


async def test_patch_with_stale_if_match_is_412(api, county):
    url = f"{ORGS}/{county.branch_a['id']}"
    headers = api.auth(county.county_admin)
    r = await api.client.patch(url, json={"name": "新名"}, headers={**headers, "If-Match": '"1"'})
    assert r.status_code == 200
    assert r.headers["etag"] == '"2"'
    r = await api.client.patch(url, json={"name": "又名"}, headers={**headers, "If-Match": '"1"'})
    assert r.status_code == 412
    assert r.json()["code"] == "precondition.failed"
    assert (await api.client.get(url, headers=headers)).json()["name"] == "新名"


async def test_client_cannot_set_server_owned_fields(api, county):
    r = await api.client.patch(
        f"{ORGS}/{county.branch_a['id']}",
        json={"path": "/1/", "version": 9},
        headers=api.auth(county.county_admin),
    )
    assert r.status_code == 422
    assert {e["field"] for e in r.json()["errors"]} == {"path", "version"}


async def test_auditor_cannot_create_organisations(api, county):
    _, auditor = await api.user(county.county_admin, "auditor", county.county["id"])
    r = await api.client.post(
        ORGS,
        json={"code": unique(), "name": "x", "type": "branch", "parent_id": county.town_a["id"]},
        headers=api.auth(auditor),
    )
    assert r.status_code == 403
    assert r.json()["code"] == "auth.forbidden"


async def test_branch_size_counts_full_members_only_fifty_is_not_too_many_fifty_one_is(api, county):
    branch = await api.org(county.county_admin, county.town_a["id"], "branch")
    for _ in range(50):
        await api.member(county.county_admin, branch["id"])
    for status in ("applicant", "activist", "candidate", "probationary", "suspended"):
        await api.member(county.county_admin, branch["id"], status=status)
    health = await _health(api, county, branch["id"])
    assert health["full_members"] == 50
    assert "branch.too_many_members" not in _codes(health)
    await api.member(county.county_admin, branch["id"])
    health = await _health(api, county, branch["id"])
    assert "branch.too_many_members" in _codes(health)


async def test_branch_with_two_full_members_and_activists_is_still_too_small(api, county):
    branch = await api.org(county.county_admin, county.town_a["id"], "branch")
    for status in ("full", "full", "activist", "applicant"):
        await api.member(county.county_admin, branch["id"], status=status)
    assert "branch.too_few_full_members" in _codes(await _health(api, county, branch["id"]))
    await api.member(county.county_admin, branch["id"])
    assert "branch.too_few_full_members" not in _codes(await _health(api, county, branch["id"]))


async def test_general_branch_of_three_full_members_and_fifty_activists_is_below_typical_size(
    api, county
):
    general = await api.org(county.county_admin, county.town_a["id"], "general_branch")
    branch = await api.org(county.county_admin, general["id"], "branch")
    for _ in range(3):
        await api.member(county.county_admin, branch["id"])
    for _ in range(50):
        await api.member(county.county_admin, branch["id"], status="activist")
    health = await _health(api, county, general["id"])
    assert health["full_members"] == 3
    assert "general_branch.below_typical_size" in _codes(health)


async def test_working_committee_is_flagged_below_its_typical_size(api, county):
    working = await api.org(county.county_admin, county.county["id"], "working_committee")
    assert "committee.below_typical_size" in _codes(await _health(api, county, working["id"]))


async def test_a_second_secretary_overlapping_a_future_ended_term_is_refused(api, county):
    a = await api.member(county.county_admin, county.branch_a["id"])
    b = await api.member(county.county_admin, county.branch_a["id"])
    url = f"{ORGS}/{county.branch_a['id']}/leaders"
    headers = api.auth(county.county_admin)
    first = {
        "member_id": a["id"],
        "role": "secretary",
        "started_on": "2024-01-01",
        "ended_on": "2099-12-31",
    }
    r = await api.client.post(url, json=first, headers=headers)
    assert r.status_code == 201 and r.json()["current"] is True
    second = {"member_id": b["id"], "role": "secretary", "started_on": "2025-01-01"}
    r = await api.client.post(url, json=second, headers=headers)
    assert r.status_code == 409
    assert r.json()["code"] == "leader.secretary_exists"


async def test_a_successor_may_start_the_day_after_the_secretary_term_ends_not_on_it(api, county):
    a = await api.member(county.county_admin, county.branch_a["id"])
    b = await api.member(county.county_admin, county.branch_a["id"])
    url = f"{ORGS}/{county.branch_a['id']}/leaders"
    headers = api.auth(county.county_admin)
    first = {
        "member_id": a["id"],
        "role": "secretary",
        "started_on": "2021-01-01",
        "ended_on": "2024-06-30",
    }
    r = await api.client.post(url, json=first, headers=headers)
    assert r.status_code == 201 and r.json()["current"] is False
    same_day = {"member_id": b["id"], "role": "secretary", "started_on": "2024-06-30"}
    r = await api.client.post(url, json=same_day, headers=headers)
    assert r.status_code == 409, r.text
    next_day = {"member_id": b["id"], "role": "secretary", "started_on": "2024-07-01"}
    r = await api.client.post(url, json=next_day, headers=headers)
    assert r.status_code == 201, r.text
    assert r.json()["current"] is True
    past = {
        "member_id": a["id"],
        "role": "secretary",
        "started_on": "2015-01-01",
        "ended_on": "2017-12-31",
    }
    assert (await api.client.post(url, json=past, headers=headers)).status_code == 201


async def test_two_secretaries_appointed_at_once_one_is_refused(api, county):
    a = await api.member(county.county_admin, county.branch_a["id"])
    b = await api.member(county.county_admin, county.branch_a["id"])
    url = f"{ORGS}/{county.branch_a['id']}/leaders"
    headers = api.auth(county.county_admin)
    bodies = [
        {"member_id": m["id"], "role": "secretary", "started_on": "2024-01-01", "ended_on": end}
        for m, end in ((a, "2099-01-01"), (b, "2098-01-01"))
    ]
    responses = await asyncio.gather(
        *(api.client.post(url, json=body, headers=headers) for body in bodies)
    )
    assert sorted(r.status_code for r in responses) == [201, 409]
