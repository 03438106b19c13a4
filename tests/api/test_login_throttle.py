"""Login throttling is per (username, client address), with a limit per address:
nobody can lock an account out from elsewhere, and one address cannot guess freely
across accounts. The client address is the peer's; `X-Forwarded-For` (and
`X-Forwarded-Proto`, the scheme) counts only when the peer is a proxy listed in
`DANGJIAN_TRUSTED_PROXIES`."""

from __future__ import annotations

import asyncio
import socket

import httpx
import pytest
import uvicorn
from httpx import ASGITransport
from support import PASSWORD, unique

from app.cli import SERVER_OPTIONS
from app.config import get_settings

TOKEN = "/api/v1/auth/token"


def _client(app, address: str) -> httpx.AsyncClient:
    return httpx.AsyncClient(
        transport=ASGITransport(app=app, client=(address, 40000)), base_url="http://test"
    )


async def _fail(client, username, times):
    for _ in range(times):
        r = await client.post(TOKEN, data={"username": username, "password": "wrong-wrong"})
        assert r.status_code == 401, r.text


async def test_failures_from_one_address_do_not_lock_the_account_from_another(app, api, county):
    user, _ = await api.user(county.county_admin, "auditor", county.county["id"])
    async with _client(app, "198.51.100.7") as attacker, _client(app, "203.0.113.9") as owner:
        await _fail(attacker, user["username"], get_settings().login_max_failures)
        r = await attacker.post(TOKEN, data={"username": user["username"], "password": PASSWORD})
        assert r.status_code == 429, r.text
        assert r.json()["code"] == "auth.locked"
        r = await owner.post(TOKEN, data={"username": user["username"], "password": PASSWORD})
        assert r.status_code == 200, r.text


async def test_an_address_guessing_across_usernames_is_locked_for_all_of_them(
    app, api, county, monkeypatch
):
    monkeypatch.setattr(get_settings(), "login_address_max_failures", 6)
    user, _ = await api.user(county.county_admin, "auditor", county.county["id"])
    async with _client(app, "198.51.100.66") as guesser, _client(app, "203.0.113.66") as other:
        # Fewer failures per username than locks one, but six in all from the address.
        for _ in range(3):
            await _fail(guesser, unique("nobody"), 2)
        r = await guesser.post(TOKEN, data={"username": user["username"], "password": PASSWORD})
        assert r.status_code == 429, r.text
        assert int(r.headers["retry-after"]) > 0
        r = await other.post(TOKEN, data={"username": user["username"], "password": PASSWORD})
        assert r.status_code == 200, r.text


async def _two_forwarded_clients(client: httpx.AsyncClient, username: str) -> httpx.Response:
    """A locking run of failures forwarded for one client, then the right password
    forwarded for another: 200 if the two are told apart, 429 if they are one address."""
    for _ in range(get_settings().login_max_failures):
        r = await client.post(
            TOKEN,
            data={"username": username, "password": "wrong-wrong"},
            headers={"X-Forwarded-For": "198.51.100.99"},
        )
        assert r.status_code == 401
    return await client.post(
        TOKEN,
        data={"username": username, "password": PASSWORD},
        headers={"X-Forwarded-For": "203.0.113.99"},
    )


@pytest.mark.parametrize("trusted", [False, True])
async def test_x_forwarded_for_names_the_client_only_behind_a_trusted_proxy(
    app, api, county, monkeypatch, trusted
):
    proxy = "192.0.2.10"
    if trusted:
        monkeypatch.setattr(get_settings(), "trusted_proxies", [proxy])
    user, _ = await api.user(county.county_admin, "auditor", county.county["id"])
    async with _client(app, proxy) as via_proxy:
        r = await _two_forwarded_clients(via_proxy, user["username"])
    # Behind a trusted proxy the two forwarded clients are told apart; otherwise the
    # header is ignored and both are the proxy's one address.
    assert r.status_code == (200 if trusted else 429), r.text


@pytest.mark.parametrize("trusted", [False, True])
async def test_a_slash_redirect_keeps_the_https_a_trusted_proxy_forwarded(
    app, monkeypatch, trusted
):
    # A proxy that ends TLS forwards `X-Forwarded-Proto: https`: the redirect the app
    # writes from the request must not send the client to plain http; from a peer that
    # is not a trusted proxy the header is ignored like `X-Forwarded-For`.
    proxy = "192.0.2.10"
    if trusted:
        monkeypatch.setattr(get_settings(), "trusted_proxies", [proxy])
    async with _client(app, proxy) as via_proxy:
        r = await via_proxy.get("/api/v1/members/", headers={"X-Forwarded-Proto": "https"})
    assert r.status_code == 307
    scheme = "https" if trusted else "http"
    assert r.headers["location"] == f"{scheme}://test/api/v1/members"


async def test_under_dangjian_serve_a_loopback_peer_names_no_client_either(app, api, county):
    # The app served by uvicorn as `dangjian serve` runs it (SERVER_OPTIONS), over a real
    # socket from 127.0.0.1: uvicorn's own proxy-header handling would trust a loopback
    # peer's X-Forwarded-For (its default) before the app's rule saw the request.
    user, _ = await api.user(county.county_admin, "auditor", county.county["id"])
    listening = socket.socket()
    listening.bind(("127.0.0.1", 0))  # handed to the server bound: no port to race for
    port = listening.getsockname()[1]
    config = uvicorn.Config(app, host="127.0.0.1", port=port, lifespan="off", **SERVER_OPTIONS)
    server = uvicorn.Server(config)
    serving = asyncio.create_task(server.serve(sockets=[listening]))
    try:
        while not server.started:
            assert not serving.done(), "the server did not start"
            await asyncio.sleep(0.01)
        async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{port}") as client:
            r = await _two_forwarded_clients(client, user["username"])
    finally:
        server.should_exit = True
        await serving
        listening.close()
    assert r.status_code == 429, r.text
