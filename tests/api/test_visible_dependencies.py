"""A path's member or organisation loaded by a dependency (`VisibleMember`,
`VisibleOrganisation`) answers as a load in the endpoint did: bad input is 422 first,
whatever the id; with valid input an id out of scope and an absent one are the same 404."""

from __future__ import annotations

import uuid

API = "/api/v1"


async def test_bad_input_on_another_subtrees_member_is_422_and_good_input_404(api, county):
    other = await api.member(county.admin_b, county.branch_b["id"])
    url = f"{API}/members/{other['id']}"
    bad = await api.client.patch(url, json={"name": ""}, headers=api.auth(county.admin_a))
    assert bad.status_code == 422, bad.text
    good = await api.client.patch(url, json={"name": "李四"}, headers=api.auth(county.admin_a))
    assert good.status_code == 404, good.text
    absent = await api.client.patch(
        f"{API}/members/{uuid.uuid4()}", json={"name": "李四"}, headers=api.auth(county.admin_a)
    )
    assert absent.status_code == 404
    assert absent.json()["code"] == good.json()["code"]


async def test_a_bad_query_on_an_absent_member_is_422_and_a_good_one_404(api, county):
    url = f"{API}/members/{uuid.uuid4()}/dues/assessment"
    bad = await api.client.get(url, params={"month": "2026-1"}, headers=api.auth(county.admin_a))
    assert bad.status_code == 422, bad.text
    assert "month" in {e["field"] for e in bad.json()["errors"]}
    good = await api.client.get(url, params={"month": "2026-01"}, headers=api.auth(county.admin_a))
    assert good.status_code == 404, good.text


async def test_a_bad_header_on_another_subtrees_organisation_is_422_and_a_good_one_404(api, county):
    url = f"{API}/organisations/{county.branch_b['id']}"
    auth = api.auth(county.admin_a)
    bad = await api.client.patch(url, json={"name": ""}, headers=auth)
    assert bad.status_code == 422, bad.text
    good = await api.client.patch(url, json={"name": "新名"}, headers={**auth, "If-Match": '"1"'})
    assert good.status_code == 404, good.text


async def test_the_own_subtree_is_loaded_and_served(api, county):
    mine = await api.member(county.admin_a, county.branch_a["id"])
    r = await api.client.patch(
        f"{API}/members/{mine['id']}", json={"name": "王五"}, headers=api.auth(county.admin_a)
    )
    assert r.status_code == 200, r.text
    assert r.json()["name"] == "王五"


async def test_a_member_user_on_a_report_is_403_before_404_and_after_422(api, county):
    me = await api.member(county.admin_a, county.branch_a["id"])
    _, token = await api.user(county.admin_a, "member", county.branch_a["id"], member_id=me["id"])
    auth = api.auth(token)
    for org in (county.branch_a["id"], county.branch_b["id"], str(uuid.uuid4())):
        url = f"{API}/organisations/{org}/community-reporting"
        assert (await api.client.get(url, headers=auth)).status_code == 403
        bad = await api.client.get(url, params={"year": "99999"}, headers=auth)
        assert bad.status_code == 422, bad.text
    admin = api.auth(county.admin_a)
    other = f"{API}/organisations/{county.branch_b['id']}/health"
    assert (await api.client.get(other, headers=admin)).status_code == 404
    own = await api.client.get(f"{API}/organisations/{county.branch_a['id']}/health", headers=admin)
    assert own.status_code == 200, own.text


async def test_a_bad_sort_on_another_subtrees_leaders_or_meetings_is_422_and_a_good_one_404(
    api, county
):
    other = await api.member(county.admin_b, county.branch_b["id"])
    auth = api.auth(county.admin_a)
    for url, order in (
        (f"{API}/organisations/{county.branch_b['id']}/leaders", "current"),
        (f"{API}/members/{other['id']}/meetings", "-held_on"),
    ):
        bad = await api.client.get(url, params={"sort": "name"}, headers=auth)
        assert (bad.status_code, bad.json()["code"]) == (422, "pagination.sort_invalid"), url
        good = await api.client.get(url, params={"sort": order}, headers=auth)
        assert good.status_code == 404, url
