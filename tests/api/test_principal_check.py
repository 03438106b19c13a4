"""A login's principal checked by the request's first read (`services.principals`): the
routes that let it are answered exactly as if the principal were read first."""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from typing import Any

import pytest
from fastapi.routing import APIRoute
from sqlalchemy import text
from support import County, _principal, unique

from app.db import get_sessionmaker
from app.services import principals
from app.services.principals import GUARD_CTE, guard_values, principal_guard

V = "/api/v1"

# Each route that lets its first read check the caller: the URL it is called with, for a
# caller (an org_admin of town A, or a member user of branch A for `me_get`) who sees it.
CASES: dict[str, Callable[[County, dict[str, Any]], str]] = {
    "members_get": lambda c, m: f"{V}/members/{m['id']}",
    "me_get": lambda c, m: f"{V}/me",
    "members_list": lambda c, m: f"{V}/members?within={c.town_a['id']}",
    "organisations_tree": lambda c, m: f"{V}/organisations/{c.town_a['id']}/tree",
    "organisations_stats": lambda c, m: f"{V}/organisations/{c.town_a['id']}/stats",
    "points_ranking": lambda c, m: f"{V}/organisations/{c.town_a['id']}/points/ranking?year=2026",
    "meetings_compliance": lambda c, m: (
        f"{V}/organisations/{c.town_a['id']}/meeting-compliance?year=2026&quarter=1"
    ),
    "points_entries_create": lambda c, m: f"{V}/point-entries",  # POSTed (`_call`)
}


REVOKE = "UPDATE auth_sessions SET revoked_at = now() WHERE user_id = :u"


async def _sql(statement: str, **values: Any) -> Any:
    async with get_sessionmaker()() as session, session.begin():
        result = await session.execute(text(statement), values)
        return result.scalar() if result.returns_rows else None


async def _caller(api, county, name: str, member: dict[str, Any]) -> tuple[dict[str, Any], str]:
    if name == "me_get":
        return await api.user(county.county_admin, "member", county.branch_a["id"], member["id"])
    return await api.user(county.county_admin, "org_admin", county.town_a["id"])


_RULES: dict[str, str] = {}


async def _request(api, county, url: str, token: str, member: dict[str, Any]) -> Any:
    """The route's request: a GET, or for the award a POST of a new entry for `member`
    under a rule of the county (made once per county)."""
    if not url.endswith("/point-entries"):
        return await api.client.get(url, headers=api.auth(token))
    rule = _RULES.get(county.county["id"])
    if rule is None:
        body = {"org_id": county.county["id"], "code": unique("R"), "name": "学习"}
        body |= {"category": "bonus", "points": 2, "needs_approval": False}
        r = await api.client.post(
            f"{V}/point-rules", json=body, headers=api.auth(county.county_admin)
        )
        assert r.status_code == 201, r.text
        rule = _RULES[county.county["id"]] = r.json()["id"]
    entry = {"member_id": member["id"], "rule_id": rule, "occurred_on": "2026-06-01"}
    entry["source_key"] = unique("k")
    return await api.client.post(url, json=entry, headers=api.auth(token))


async def _warm(api, county, url: str, token: str, member: dict[str, Any]) -> None:
    """Two requests: the first reads the principal, the second is checked by its read."""
    for _ in range(2):
        r = await _request(api, county, url, token, member)
        assert r.status_code in (200, 201), (url, r.text)


def test_every_route_checked_by_its_read_has_a_case_here(app):
    marked = {
        route.name
        for route in app.routes
        if isinstance(route, APIRoute) and getattr(route.endpoint, "principal_checked_by_read", 0)
    }
    assert marked == set(CASES)


@pytest.mark.parametrize("ended", ["revoked", "deactivated"])
async def test_a_login_ended_after_its_principal_was_known_is_401_on_every_such_route(
    api, county, ended
):
    member = await api.member(county.county_admin, county.branch_a["id"])
    for name, url_of in CASES.items():
        user, token = await _caller(api, county, name, member)
        url = url_of(county, member)
        await _warm(api, county, url, token, member)
        if ended == "revoked":
            await _sql(
                "UPDATE auth_sessions SET revoked_at = now() WHERE user_id = :u", u=user["id"]
            )
        else:
            await _sql("UPDATE users SET active = false WHERE id = :u", u=user["id"])
        r = await _request(api, county, url, token, member)
        assert r.status_code == 401, (name, r.text)
        assert r.json()["code"] == "auth.not_authenticated"


async def test_a_revoked_login_s_member_read_writes_no_audit_row(api, county):
    member = await api.member(county.county_admin, county.branch_a["id"])
    user, token = await _caller(api, county, "members_get", member)
    url = CASES["members_get"](county, member)
    await _warm(api, county, url, token, member)
    count = "SELECT count(*) FROM audit_events WHERE actor_id = :u AND action = 'member.pii_read'"
    assert await _sql(count, u=user["id"]) == 2
    await _sql(REVOKE, u=user["id"])
    assert (await api.client.get(url, headers=api.auth(token))).status_code == 401
    assert await _sql(count, u=user["id"]) == 2


async def test_a_caller_moved_to_another_subtree_gets_what_a_caller_there_gets(api, county):
    member = await api.member(county.county_admin, county.branch_a["id"])
    for name, url_of in CASES.items():
        if name == "me_get":
            continue  # a member user's own record moves with the member, not the user
        user, token = await _caller(api, county, name, member)
        url = url_of(county, member)
        await _warm(api, county, url, token, member)
        await _sql(
            "UPDATE users SET org_id = :o WHERE id = :u", o=county.town_b["id"], u=user["id"]
        )
        moved = await _request(api, county, url, token, member)
        there = await _request(api, county, url, county.admin_b, member)
        assert moved.status_code == there.status_code == 404, (name, moved.text)
        assert moved.json()["code"] == there.json()["code"]


async def test_a_caller_whose_role_changed_is_answered_for_the_new_role(api, county):
    member = await api.member(county.county_admin, county.branch_a["id"])
    user, token = await _caller(api, county, "members_get", member)
    url = CASES["members_get"](county, member)
    await _warm(api, county, url, token, member)
    r = await api.client.patch(
        f"{V}/users/{user['id']}", json={"role": "auditor"}, headers=api.auth(county.county_admin)
    )
    assert r.status_code == 200, r.text
    r = await api.client.get(url, headers=api.auth(token))
    assert r.status_code == 200, r.text
    assert r.json()["pii_masked"] is True  # an auditor's read: masked
    assert r.json()["id_number"] != member["id_number"]


async def test_the_guard_holds_for_the_principal_as_stored_and_for_no_changed_field(api, county):
    member = await api.member(county.county_admin, county.branch_a["id"])
    user, token = await api.user(county.county_admin, "org_admin", county.town_a["id"])
    async with get_sessionmaker()() as session:
        principal = await _principal(session, token)
    guard = f"WITH {GUARD_CTE} AS ({principal_guard(1)}) SELECT count(*) FROM {GUARD_CTE}"  # noqa: S608

    async def holds(values: tuple[Any, ...]) -> bool:
        async with get_sessionmaker()() as session:
            conn = await session.connection()
            raw = (await conn.get_raw_connection()).driver_connection
            return bool(await raw.fetchval(guard, *values))

    assert await holds(guard_values(principal))
    changed = {
        "username": "someone-else",
        "role": principal.role.__class__("auditor"),
        "org_id": county.town_b["id"],
        "org_path": principal.org_path + "9/",
        "member_id": member["id"],
    }
    for field, value in changed.items():
        other = dataclasses.replace(principal, **{field: value})
        assert not await holds(guard_values(other)), field
    # what the slow read refuses, the guard refuses too
    await _sql("UPDATE users SET active = false WHERE id = :u", u=user["id"])
    assert not await holds(guard_values(principal))
    await _sql("UPDATE users SET active = true WHERE id = :u", u=user["id"])
    assert await holds(guard_values(principal))
    await _sql(REVOKE, u=user["id"])
    assert not await holds(guard_values(principal))


async def test_a_known_principal_is_read_again_when_its_login_changes(api, county):
    user, token = await api.user(county.county_admin, "org_admin", county.town_a["id"])
    url = f"{V}/organisations/{county.town_a['id']}/tree"
    await _warm(api, county, url, token, {})
    async with get_sessionmaker()() as session:
        known = await _principal(session, token)
    await _sql("UPDATE users SET role = 'auditor' WHERE id = :u", u=user["id"])
    assert (await api.client.get(url, headers=api.auth(token))).status_code == 200
    assert principals._KNOWN[known.user_id, known.session_id].role.value == "auditor"
