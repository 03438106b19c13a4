"""Webhook targets: only http(s) to public addresses, checked at registration and
again at delivery (connecting to the checked address, never following redirects);
DANGJIAN_WEBHOOK_ALLOWED_TARGETS lets intranet receivers in."""

from __future__ import annotations

import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import ClassVar

import httpx
import pytest

from app.config import get_settings
from app.worker import run_once

FORBIDDEN = [
    "http://127.0.0.1/hook",
    "http://127.8.9.10:8080/hook",
    "http://localhost/hook",  # a name resolving to loopback
    "http://0.0.0.0/hook",
    "http://169.254.169.254/latest/meta-data/",
    "http://10.0.0.1/hook",
    "http://172.16.5.4/hook",
    "http://192.168.1.1/hook",
    "http://100.64.0.1/hook",
    "http://224.0.0.1/hook",
    "http://240.0.0.1/hook",
    "http://255.255.255.255/hook",
    "http://2130706433/hook",  # 127.0.0.1 as an integer
    "http://0x7f.1/hook",
    "http://0x7f000001/hook",
    "http://0177.0.0.1/hook",
    "http://127.1/hook",
    "http://[::1]/hook",
    "http://[::]/hook",
    "http://[fe80::1]/hook",
    "http://[fc00::1]/hook",
    "http://[fd12:3456::1]/hook",
    "http://[ff02::1]/hook",
    "http://[::ffff:127.0.0.1]/hook",
    "http://[::ffff:169.254.169.254]/hook",
    "http://[::ffff:a00:1]/hook",  # ::ffff:10.0.0.1
    "http://[2002:7f00:1::1]/hook",  # 6to4 around 127.0.0.1
]


async def _subscribe(api, county, url):
    return await api.client.post(
        "/api/v1/webhooks",
        json={"org_id": county.town_a["id"], "url": url, "event_types": ["*"]},
        headers=api.auth(county.admin_a),
    )


@pytest.mark.parametrize("url", FORBIDDEN)
async def test_a_non_public_target_is_refused_at_registration(api, county, url):
    r = await _subscribe(api, county, url)
    assert r.status_code == 422, (url, r.text)
    assert r.json()["code"] == "webhook.target_forbidden"
    assert r.json()["errors"][0]["field"] == "url"


@pytest.mark.parametrize("url", ["ftp://example.org/x", "file:///etc/passwd", "http:///x"])
async def test_a_url_that_is_not_http_with_a_host_is_invalid(api, county, url):
    r = await _subscribe(api, county, url)
    assert r.status_code == 422
    assert r.json()["code"] == "webhook.url_invalid"


async def _unsubscribe(api, county, response):
    assert response.status_code == 201, response.text
    # Deleted at once: no test delivery ever goes to these addresses.
    r = await api.client.delete(
        f"/api/v1/webhooks/{response.json()['id']}", headers=api.auth(county.admin_a)
    )
    assert r.status_code == 204


async def test_public_addresses_and_unresolved_names_are_accepted(api, county):
    for url in ("https://93.184.215.14/hook", "https://[2606:4700::1]/h", "https://x.invalid/"):
        await _unsubscribe(api, county, await _subscribe(api, county, url))


async def test_the_allowlist_lets_intranet_receivers_in(api, county, monkeypatch):
    settings = get_settings()
    monkeypatch.setattr(settings, "webhook_allowed_targets", "10.20.0.0/16, localhost")
    await _unsubscribe(api, county, await _subscribe(api, county, "http://10.20.3.4/hook"))
    await _unsubscribe(api, county, await _subscribe(api, county, "http://localhost:8080/hook"))
    # Outside the listed network and names: still refused.
    r = await _subscribe(api, county, "http://10.21.0.1/hook")
    assert r.json()["code"] == "webhook.target_forbidden"
    r = await _subscribe(api, county, "http://127.0.0.1/hook")
    assert r.json()["code"] == "webhook.target_forbidden"


class _Redirector(BaseHTTPRequestHandler):
    """Answers every POST with a redirect to `target` (which counts its hits)."""

    target = ""
    hits: ClassVar[list[str]] = []

    def do_POST(self):
        type(self).hits.append(self.path)
        self.rfile.read(int(self.headers["Content-Length"]))
        if self.path.startswith("/hook"):
            self.send_response(307)
            self.send_header("Location", type(self).target)
        else:
            self.send_response(204)
        self.end_headers()

    def log_message(self, *args):
        return


@pytest.fixture
def redirector():
    _Redirector.hits = []
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Redirector)
    base = f"http://127.0.0.1:{server.server_address[1]}"
    _Redirector.target = f"{base}/stolen"
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield base
    server.shutdown()


async def _deliveries(api, county, hook_id):
    r = await api.client.get(
        f"/api/v1/webhooks/{hook_id}/deliveries", headers=api.auth(county.admin_a)
    )
    return r.json()["items"]


async def _attempted(api, county, hook_id, most=100):
    """Run the worker until the hook's deliveries have been attempted (other tests'
    events may be queued ahead of them); the hook's delivery log."""
    async with httpx.AsyncClient(timeout=5.0) as client:
        for _ in range(most):
            await run_once(client)
            log = await _deliveries(api, county, hook_id)
            if log and all(d["attempts"] > 0 for d in log):
                return log
    raise AssertionError("the worker never attempted the deliveries")


async def test_delivery_does_not_follow_redirects(
    api, county, redirector, loopback_webhooks_allowed
):
    hook = (await _subscribe(api, county, f"{redirector}/hook")).json()
    await api.member(county.county_admin, county.branch_a["id"])
    log = await _attempted(api, county, hook["id"])
    assert {d["last_status"] for d in log} == {307}
    assert {d["state"] for d in log} == {"pending"}
    assert "/stolen" not in _Redirector.hits
    assert any(hit.startswith("/hook") for hit in _Redirector.hits)


async def test_delivery_checks_the_target_again_and_refuses_it_when_no_longer_allowed(
    api, county, redirector, monkeypatch
):
    settings = get_settings()
    monkeypatch.setattr(settings, "webhook_allowed_targets", "127.0.0.0/8")
    hook = (await _subscribe(api, county, f"{redirector}/hook")).json()
    monkeypatch.setattr(settings, "webhook_allowed_targets", "")
    await api.member(county.county_admin, county.branch_a["id"])
    log = await _attempted(api, county, hook["id"])
    assert all(d["last_error"].startswith("target refused") for d in log)
    assert all(d["last_status"] is None for d in log)
    assert _Redirector.hits == []
