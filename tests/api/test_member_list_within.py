"""`GET /members?within=` answers from where the organisation sits now: one moved since
it was last listed (by any request) is listed at its new place, moved out of the
caller's scope it is 404, and an empty one stays empty until a member joins."""

from __future__ import annotations

from typing import Any

MEMBERS = "/api/v1/members"
ORGS = "/api/v1/organisations"


async def _ids_within(api: Any, token: str, org_id: str, expect: int = 200) -> set[str]:
    r = await api.client.get(MEMBERS, params={"within": org_id}, headers=api.auth(token))
    assert r.status_code == expect, r.text
    return {m["id"] for m in r.json()["items"]} if expect == 200 else set()


async def _move(api: Any, token: str, org_id: str, new_parent_id: str) -> None:
    r = await api.client.post(
        f"{ORGS}/{org_id}/move", json={"new_parent_id": new_parent_id}, headers=api.auth(token)
    )
    assert r.status_code == 200, r.text


async def test_an_organisation_moved_since_it_was_listed_is_listed_where_it_is_now(api, county):
    member = await api.member(county.county_admin, county.branch_a["id"])
    assert await _ids_within(api, county.county_admin, county.branch_a["id"]) == {member["id"]}
    await _move(api, county.county_admin, county.branch_a["id"], county.town_b["id"])
    assert await _ids_within(api, county.county_admin, county.branch_a["id"]) == {member["id"]}
    assert await _ids_within(api, county.admin_b, county.branch_a["id"]) == {member["id"]}
    assert member["id"] not in await _ids_within(api, county.county_admin, county.town_a["id"])


async def test_an_organisation_moved_out_of_scope_since_it_was_listed_is_404(api, county):
    member = await api.member(county.county_admin, county.branch_a["id"])
    assert await _ids_within(api, county.admin_a, county.branch_a["id"]) == {member["id"]}
    await _move(api, county.county_admin, county.branch_a["id"], county.town_b["id"])
    r = await api.client.get(
        MEMBERS, params={"within": county.branch_a["id"]}, headers=api.auth(county.admin_a)
    )
    assert r.status_code == 404
    assert [e["field"] for e in r.json()["errors"]] == ["within"]


async def test_an_empty_organisation_listed_again_is_still_empty(api, county):
    empty = await api.org(county.county_admin, county.town_a["id"], "branch")
    assert await _ids_within(api, county.admin_a, empty["id"]) == set()
    assert await _ids_within(api, county.admin_a, empty["id"]) == set()
    await api.member(county.county_admin, empty["id"])
    assert len(await _ids_within(api, county.admin_a, empty["id"])) == 1
