"""Users: created only inside your subtree and never above your own role."""

from __future__ import annotations

from support import PASSWORD, unique

USERS = "/api/v1/users"


def _payload(role, org_id, member_id=None):
    return {
        "username": unique("u").replace("-", "_"),
        "password": PASSWORD,
        "role": role,
        "org_id": org_id,
        "member_id": member_id,
    }


async def test_branch_secretary_cannot_create_an_org_admin(api, county):
    _, secretary = await api.user(county.admin_a, "branch_secretary", county.branch_a["id"])
    r = await api.client.post(
        USERS, json=_payload("org_admin", county.branch_a["id"]), headers=api.auth(secretary)
    )
    assert r.status_code == 403
    assert r.json()["code"] == "user.role_too_high"


async def test_org_admin_cannot_create_a_system_admin(api, county):
    r = await api.client.post(
        USERS, json=_payload("system_admin", county.town_a["id"]), headers=api.auth(county.admin_a)
    )
    assert r.status_code == 403


async def test_users_cannot_be_created_outside_the_subtree(api, county):
    r = await api.client.post(
        USERS, json=_payload("auditor", county.town_b["id"]), headers=api.auth(county.admin_a)
    )
    assert r.status_code == 404
    assert r.json()["code"] == "organisation.not_found"


async def test_auditor_cannot_create_users(api, county):
    _, auditor = await api.user(county.county_admin, "auditor", county.county["id"])
    r = await api.client.post(
        USERS, json=_payload("auditor", county.county["id"]), headers=api.auth(auditor)
    )
    assert r.status_code == 403


async def test_member_user_needs_a_member_record_in_that_organisation(api, county):
    r = await api.client.post(
        USERS, json=_payload("member", county.branch_a["id"]), headers=api.auth(county.admin_a)
    )
    assert r.status_code == 422
    assert r.json()["code"] == "user.member_required"
    other = await api.member(county.county_admin, county.branch_b["id"])
    r = await api.client.post(
        USERS,
        json=_payload("member", county.branch_a["id"], other["id"]),
        headers=api.auth(county.county_admin),
    )
    assert r.status_code == 422
    assert r.json()["code"] == "user.member_not_in_org"


async def test_usernames_are_unique(api, county):
    payload = _payload("auditor", county.town_a["id"])
    assert (
        await api.client.post(USERS, json=payload, headers=api.auth(county.admin_a))
    ).status_code == 201
    r = await api.client.post(USERS, json=payload, headers=api.auth(county.admin_a))
    assert r.status_code == 409
    assert r.json()["code"] == "user.username_taken"


async def test_user_lists_and_reads_are_scoped(api, county):
    user, _ = await api.user(county.admin_a, "auditor", county.town_a["id"])
    r = await api.client.get(f"{USERS}/{user['id']}", headers=api.auth(county.admin_b))
    assert r.status_code == 404
    listed = await api.client.get(USERS, params={"limit": 500}, headers=api.auth(county.admin_b))
    assert user["id"] not in {u["id"] for u in listed.json()["items"]}
    mine = await api.client.get(USERS, params={"limit": 500}, headers=api.auth(county.admin_a))
    assert user["id"] in {u["id"] for u in mine.json()["items"]}


async def test_password_hash_never_appears_in_responses(api, county):
    r = await api.client.post(
        USERS, json=_payload("auditor", county.town_a["id"]), headers=api.auth(county.admin_a)
    )
    assert "password" not in r.json()
    assert "argon2" not in r.text
