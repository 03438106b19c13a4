"""Policies: stored per organisation, inherited from the nearest ancestor that sets them."""

from __future__ import annotations


def _url(org):
    return f"/api/v1/organisations/{org['id']}/policies"


async def test_nearest_ancestor_wins_and_defaults_fill_the_rest(api, county):
    headers = api.auth(county.county_admin)
    r = await api.client.put(
        _url(county.county),
        json={"values": {"term_years_branch": 5, "term_warning_days": 30}},
        headers=headers,
    )
    assert r.status_code == 200, r.text
    r = await api.client.put(
        _url(county.town_a), json={"values": {"term_years_branch": 2}}, headers=headers
    )
    assert r.status_code == 200
    branch_a = (await api.client.get(_url(county.branch_a), headers=headers)).json()
    assert branch_a["effective"]["term_years_branch"] == 2
    assert branch_a["effective"]["term_warning_days"] == 30
    assert branch_a["effective"]["branch_max_members"] == 50
    assert branch_a["own"] == {}
    branch_b = (await api.client.get(_url(county.branch_b), headers=headers)).json()
    assert branch_b["effective"]["term_years_branch"] == 5


async def test_a_policy_changes_the_rule_it_feeds(api, county):
    headers = api.auth(county.county_admin)
    branch = await api.org(county.county_admin, county.town_a["id"], "branch")
    for _ in range(2):
        await api.member(county.county_admin, branch["id"])
    health = (
        await api.client.get(f"/api/v1/organisations/{branch['id']}/health", headers=headers)
    ).json()
    assert "branch.too_few_full_members" in {f["code"] for f in health["flags"]}
    await api.client.put(
        _url(county.town_a), json={"values": {"branch_min_full_members": 2}}, headers=headers
    )
    health = (
        await api.client.get(f"/api/v1/organisations/{branch['id']}/health", headers=headers)
    ).json()
    assert "branch.too_few_full_members" not in {f["code"] for f in health["flags"]}


async def test_unknown_keys_and_bad_values_are_422(api, county):
    headers = api.auth(county.county_admin)
    r = await api.client.put(_url(county.county), json={"values": {"nope": 1}}, headers=headers)
    assert r.status_code == 422
    assert r.json()["code"] == "policy.unknown_key"
    r = await api.client.put(
        _url(county.county), json={"values": {"dues_farmer_monthly_fen": 500}}, headers=headers
    )
    assert r.json()["code"] == "policy.value_invalid"
    r = await api.client.put(
        _url(county.county), json={"values": {"dues_rounding": "banker"}}, headers=headers
    )
    assert r.json()["code"] == "policy.value_invalid"


async def test_only_admins_in_scope_edit_policies(api, county):
    _, auditor = await api.user(county.county_admin, "auditor", county.county["id"])
    r = await api.client.put(_url(county.county), json={"values": {}}, headers=api.auth(auditor))
    assert r.status_code == 403
    r = await api.client.put(
        _url(county.town_a), json={"values": {}}, headers=api.auth(county.admin_b)
    )
    assert r.status_code == 404
    r = await api.client.get(_url(county.town_a), headers=api.auth(county.admin_b))
    assert r.status_code == 404


async def test_policy_updates_honour_if_match(api, county):
    headers = api.auth(county.county_admin)
    first = await api.client.put(
        _url(county.town_b), json={"values": {"term_years_branch": 4}}, headers=headers
    )
    assert first.headers["etag"] == '"1"'
    stale = await api.client.put(
        _url(county.town_b), json={"values": {}}, headers={**headers, "If-Match": '"0"'}
    )
    assert stale.status_code == 412
