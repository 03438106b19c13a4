"""Auth: tokens, refresh rotation, logout, throttling and token attacks."""

from __future__ import annotations

import asyncio
import base64
import json
import time
from datetime import timedelta
from typing import Any

import pytest
from jose import jwt

from app import clock
from app.config import get_settings
from app.security import tokens

ME = "/api/v1/auth/me"


def _forge(claims: dict[str, Any], key: str, alg: str = "HS256") -> str:
    return jwt.encode(claims, key, algorithm=alg)


def _valid_claims(token: str) -> dict[str, Any]:
    return jwt.get_unverified_claims(token)


async def test_login_returns_tokens_and_me_describes_the_user(api, county):
    user, _ = await api.user(county.county_admin, "auditor", county.county["id"])
    body = await api.login(user["username"])
    assert body["token_type"] == "bearer"
    assert body["expires_in"] > 0
    me = await api.client.get(ME, headers=api.auth(body["access_token"]))
    assert me.status_code == 200
    assert me.json()["username"] == user["username"]
    assert me.json()["role"] == "auditor"
    assert me.json()["org_id"] == county.county["id"]
    assert me.json()["may_read_pii"] is False


async def test_wrong_password_is_401_problem(api, county):
    user, _ = await api.user(county.county_admin, "auditor", county.county["id"])
    r = await api.client.post(
        "/api/v1/auth/token", data={"username": user["username"], "password": "wrong password"}
    )
    assert r.status_code == 401
    assert r.headers["content-type"].startswith("application/problem+json")
    assert r.json()["code"] == "auth.invalid_credentials"


async def test_repeated_failed_logins_lock_the_username_with_429(api, county):
    user, _ = await api.user(county.county_admin, "auditor", county.county["id"])
    attempts = get_settings().login_max_failures
    for _ in range(attempts):
        r = await api.client.post(
            "/api/v1/auth/token", data={"username": user["username"], "password": "nope-nope"}
        )
        assert r.status_code == 401
    # Locked now: even the right password is refused until the lock expires.
    r = await api.client.post(
        "/api/v1/auth/token",
        data={"username": user["username"], "password": "correct horse battery"},
    )
    assert r.status_code == 429
    assert r.json()["code"] == "auth.locked"
    assert int(r.headers["retry-after"]) > 0


async def test_unknown_username_is_throttled_like_a_known_one(api):
    for _ in range(get_settings().login_max_failures):
        r = await api.client.post(
            "/api/v1/auth/token", data={"username": "nobody_here", "password": "whatever1"}
        )
        assert r.status_code == 401
    r = await api.client.post(
        "/api/v1/auth/token", data={"username": "nobody_here", "password": "whatever1"}
    )
    assert r.status_code == 429


class Clock:
    """`app.clock.utcnow` moved forward by `ahead` (the grace window is measured by it)."""

    def __init__(self) -> None:
        self.ahead = timedelta()

    def pass_grace(self) -> None:
        self.ahead += timedelta(seconds=get_settings().refresh_grace_seconds + 1)


@pytest.fixture
def later(monkeypatch) -> Clock:
    moved = Clock()
    real = clock.utcnow
    monkeypatch.setattr(clock, "utcnow", lambda: real() + moved.ahead)
    # Access tokens compare `nbf`/`exp` with their own reading of the same clock.
    monkeypatch.setattr(tokens, "utcnow", lambda: real() + moved.ahead)
    return moved


async def _refresh(api, token: str):
    return await api.client.post("/api/v1/auth/refresh", json={"refresh_token": token})


async def test_refresh_rotates_and_a_used_refresh_token_is_dead(api, county, later):
    user, _ = await api.user(county.county_admin, "auditor", county.county["id"])
    first = await api.login(user["username"])
    r = await api.client.post(
        "/api/v1/auth/refresh", json={"refresh_token": first["refresh_token"]}
    )
    assert r.status_code == 200
    second = r.json()
    assert second["refresh_token"] != first["refresh_token"]
    later.pass_grace()
    again = await api.client.post(
        "/api/v1/auth/refresh", json={"refresh_token": first["refresh_token"]}
    )
    assert again.status_code == 401
    assert again.json()["code"] == "auth.refresh_invalid"


async def test_reusing_a_refresh_token_revokes_the_whole_login(api, county, later):
    user, _ = await api.user(county.county_admin, "auditor", county.county["id"])
    first = await api.login(user["username"])
    second = (
        await api.client.post(
            "/api/v1/auth/refresh", json={"refresh_token": first["refresh_token"]}
        )
    ).json()
    later.pass_grace()
    await api.client.post("/api/v1/auth/refresh", json={"refresh_token": first["refresh_token"]})
    # The thief's replay ended the login: the legitimate newer tokens die too.
    r = await api.client.post(
        "/api/v1/auth/refresh", json={"refresh_token": second["refresh_token"]}
    )
    assert r.status_code == 401
    assert (await api.client.get(ME, headers=api.auth(second["access_token"]))).status_code == 401


async def test_two_tabs_refreshing_at_once_both_keep_the_login(api, county):
    user, _ = await api.user(county.county_admin, "auditor", county.county["id"])
    first = await api.login(user["username"])
    one, two = await asyncio.gather(
        _refresh(api, first["refresh_token"]), _refresh(api, first["refresh_token"])
    )
    assert (one.status_code, two.status_code) == (200, 200), (one.text, two.text)
    # Both tabs hold the same new pair of the same login: it reads, and refreshes again.
    assert one.json()["refresh_token"] == two.json()["refresh_token"]
    assert one.json()["access_token"] == two.json()["access_token"]
    for pair in (one.json(), two.json()):
        me = await api.client.get(ME, headers=api.auth(pair["access_token"]))
        assert me.status_code == 200 and me.json()["username"] == user["username"]
        again = await _refresh(api, pair["refresh_token"])
        assert again.status_code == 200, again.text
        me = await api.client.get(ME, headers=api.auth(again.json()["access_token"]))
        assert me.status_code == 200


async def test_a_rotated_token_presented_again_within_the_grace_window_gets_the_same_pair(
    api, county, later
):
    user, _ = await api.user(county.county_admin, "auditor", county.county["id"])
    first = await api.login(user["username"])
    winner = (await _refresh(api, first["refresh_token"])).json()
    grace = get_settings().refresh_grace_seconds
    later.ahead = timedelta(seconds=grace - 1)
    late = await _refresh(api, first["refresh_token"])
    assert late.status_code == 200, late.text
    assert (late.json()["access_token"], late.json()["refresh_token"]) == (
        winner["access_token"],
        winner["refresh_token"],
    )
    # The access token's remaining lifetime, not a fresh one.
    assert late.json()["expires_in"] == winner["expires_in"] - (grace - 1)
    assert (
        await api.client.get(ME, headers=api.auth(late.json()["access_token"]))
    ).status_code == 200


async def test_the_pair_kept_for_the_grace_window_is_stored_encrypted(api, county):
    from sqlalchemy import text

    from app.db import get_sessionmaker

    user, _ = await api.user(county.county_admin, "auditor", county.county["id"])
    first = await api.login(user["username"])
    winner = (await _refresh(api, first["refresh_token"])).json()
    async with get_sessionmaker()() as session:
        blobs = (
            await session.execute(
                text("SELECT successor_enc FROM refresh_tokens WHERE successor_enc IS NOT NULL")
            )
        ).scalars()
        stored = b"".join(bytes(b) for b in blobs)
    assert stored, "the rotated token keeps its successor"
    assert winner["refresh_token"].encode() not in stored
    assert winner["access_token"].encode()[:40] not in stored


async def test_reuse_after_the_grace_window_ends_the_login_for_every_pair_of_it(api, county, later):
    user, _ = await api.user(county.county_admin, "auditor", county.county["id"])
    first = await api.login(user["username"])
    winner = (await _refresh(api, first["refresh_token"])).json()
    sibling = (await _refresh(api, first["refresh_token"])).json()  # within the window
    later.pass_grace()
    replay = await _refresh(api, first["refresh_token"])
    assert replay.status_code == 401
    assert replay.json()["code"] == "auth.refresh_invalid"
    for pair in (winner, sibling):
        assert (await _refresh(api, pair["refresh_token"])).status_code == 401
        assert (await api.client.get(ME, headers=api.auth(pair["access_token"]))).status_code == 401


async def test_logout_revokes_refresh_and_access_tokens(api, county):
    user, _ = await api.user(county.county_admin, "auditor", county.county["id"])
    body = await api.login(user["username"])
    headers = api.auth(body["access_token"])
    r = await api.client.post(
        "/api/v1/auth/logout", json={"refresh_token": body["refresh_token"]}, headers=headers
    )
    assert r.status_code == 204
    assert (await api.client.get(ME, headers=headers)).status_code == 401
    r = await api.client.post("/api/v1/auth/refresh", json={"refresh_token": body["refresh_token"]})
    assert r.status_code == 401


async def test_missing_token_is_401_with_bearer_challenge(api):
    r = await api.client.get(ME)
    assert r.status_code == 401
    assert r.headers["www-authenticate"] == "Bearer"
    assert r.json()["code"] == "auth.not_authenticated"


async def test_token_with_alg_none_is_401(api, county):
    claims = _valid_claims(county.county_admin)
    header = base64.urlsafe_b64encode(json.dumps({"alg": "none", "typ": "JWT"}).encode())
    payload = base64.urlsafe_b64encode(json.dumps(claims).encode())
    token = header.rstrip(b"=").decode() + "." + payload.rstrip(b"=").decode() + "."
    assert (await api.client.get(ME, headers=api.auth(token))).status_code == 401


async def test_token_signed_with_another_key_is_401(api, county):
    token = _forge(_valid_claims(county.county_admin), "another key entirely, 32+ characters")
    assert (await api.client.get(ME, headers=api.auth(token))).status_code == 401


async def test_token_for_another_audience_is_401(api, county):
    claims = _valid_claims(county.county_admin) | {"aud": "some-other-service"}
    token = _forge(claims, get_settings().secret_key)
    assert (await api.client.get(ME, headers=api.auth(token))).status_code == 401


async def test_token_from_another_issuer_is_401(api, county):
    claims = _valid_claims(county.county_admin) | {"iss": "someone-else"}
    token = _forge(claims, get_settings().secret_key)
    assert (await api.client.get(ME, headers=api.auth(token))).status_code == 401


async def test_expired_token_is_401(api, county):
    now = int(time.time())
    claims = _valid_claims(county.county_admin) | {
        "iat": now - 7200,
        "nbf": now - 7200,
        "exp": now - 3600,
    }
    token = _forge(claims, get_settings().secret_key)
    assert (await api.client.get(ME, headers=api.auth(token))).status_code == 401


async def test_same_key_but_hs512_is_401(api, county):
    token = _forge(_valid_claims(county.county_admin), get_settings().secret_key, alg="HS512")
    assert (await api.client.get(ME, headers=api.auth(token))).status_code == 401


async def test_a_correctly_forged_token_would_pass_which_proves_the_checks_bite(api, county):
    # Control: the same claims, signed properly, are accepted, so the 401s above
    # come from the tampered part and not from a broken fixture.
    token = _forge(_valid_claims(county.county_admin), get_settings().secret_key)
    assert (await api.client.get(ME, headers=api.auth(token))).status_code == 200


async def test_deactivated_user_loses_access_at_once(api, county):
    user, token = await api.user(county.county_admin, "auditor", county.county["id"])
    r = await api.client.patch(
        f"/api/v1/users/{user['id']}", json={"active": False}, headers=api.auth(county.county_admin)
    )
    assert r.status_code == 200
    assert (await api.client.get(ME, headers=api.auth(token))).status_code == 401
