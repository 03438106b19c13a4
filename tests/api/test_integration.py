"""Change feed (never skips out-of-order commits) and webhooks (signed, retried, ordered)."""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import ClassVar

import httpx
import pytest
from support import drain_changes

from app.db import get_sessionmaker
from app.models.member import Member
from app.worker import run_once


async def test_feed_lists_changes_in_scope_with_versions(api, county):
    _, cursor = await drain_changes(api, county.admin_a)
    member = await api.member(county.county_admin, county.branch_a["id"])
    await api.client.patch(
        f"/api/v1/members/{member['id']}",
        json={"education": "大学本科"},
        headers=api.auth(county.admin_a),
    )
    changes, _ = await drain_changes(api, county.admin_a, cursor)
    mine = [(c["action"], c["version"]) for c in changes if c["resource_id"] == member["id"]]
    assert mine == [("created", 1), ("updated", 2)]
    other, _ = await drain_changes(api, county.admin_b)
    assert member["id"] not in {c["resource_id"] for c in other}


async def test_feed_never_skips_a_change_that_commits_after_a_later_one(api, county):
    """T1 writes first and commits last; the reader must not jump past it."""
    _, cursor = await drain_changes(api, county.county_admin)
    maker = get_sessionmaker()
    slow = maker()
    fast = maker()
    try:
        await slow.begin()
        slow_member = await slow.get(
            Member, (await api.member(county.county_admin, county.branch_a["id"]))["id"]
        )
        slow_member.education = "研究生"
        await slow.flush()  # T1 now holds an outbox row with the lower transaction id
        await fast.begin()
        fast_member = await fast.get(
            Member, (await api.member(county.county_admin, county.branch_b["id"]))["id"]
        )
        fast_member.education = "大专"
        await fast.flush()
        await fast.commit()  # T2 commits first
        seen_early, cursor_mid = await drain_changes(api, county.county_admin, cursor)
        assert fast_member.id.hex not in {
            c["resource_id"].replace("-", "") for c in seen_early if c["action"] == "updated"
        }
        await slow.commit()
    finally:
        await slow.close()
        await fast.close()
    seen_late, _ = await drain_changes(api, county.county_admin, cursor_mid)
    updates = {c["resource_id"] for c in seen_early + seen_late if c["action"] == "updated"}
    assert str(slow_member.id) in updates
    assert str(fast_member.id) in updates


class _Receiver(BaseHTTPRequestHandler):
    fail_first = 2
    received: ClassVar[list[tuple[dict, dict, bytes]]] = []
    calls = 0

    def do_POST(self):
        length = int(self.headers["Content-Length"])
        body = self.rfile.read(length)
        type(self).calls += 1
        if type(self).calls <= type(self).fail_first:
            self.send_response(503)
            self.end_headers()
            return
        type(self).received.append((dict(self.headers), json.loads(body), body))
        self.send_response(204)
        self.end_headers()

    def log_message(self, *args):
        return


@pytest.fixture
def receiver():
    _Receiver.received = []
    _Receiver.calls = 0
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Receiver)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}/hook"
    server.shutdown()


async def _pump(times=30):
    async with httpx.AsyncClient(timeout=5.0) as client:
        for _ in range(times):
            await run_once(client)
            async with get_sessionmaker()() as session, session.begin():
                from sqlalchemy import update

                from app.models.webhook import WebhookDelivery

                # Tests do not wait for the backoff: make retries due now.
                await session.execute(
                    update(WebhookDelivery)
                    .where(WebhookDelivery.state == "pending")
                    .values(next_attempt_at=WebhookDelivery.created_at)
                )
            await asyncio.sleep(0)


async def test_a_receiver_that_fails_twice_gets_every_event_once_signed_and_in_order(
    api, county, receiver, loopback_webhooks_allowed
):
    r = await api.client.post(
        "/api/v1/webhooks",
        json={
            "org_id": county.town_a["id"],
            "url": receiver,
            "event_types": ["member.created", "member.updated"],
        },
        headers=api.auth(county.admin_a),
    )
    assert r.status_code == 201, r.text
    hook = r.json()
    secret = hook["secret"]
    assert secret.startswith("whsec_")
    listed = await api.client.get("/api/v1/webhooks", headers=api.auth(county.admin_a))
    assert "secret" not in listed.json()["items"][0]
    member = await api.member(county.county_admin, county.branch_a["id"])
    for level in ("大专", "大学本科"):
        await api.client.patch(
            f"/api/v1/members/{member['id']}",
            json={"education": level},
            headers=api.auth(county.admin_a),
        )
    await api.member(county.county_admin, county.branch_b["id"])  # outside the subtree
    await _pump()
    got = [
        (b["type"], b["version"])
        for _, b, _ in _Receiver.received
        if b["resource_id"] == member["id"]
    ]
    assert got == [("member.created", 1), ("member.updated", 2), ("member.updated", 3)]
    for headers, _body, raw in _Receiver.received:
        t, v1 = (part.split("=", 1)[1] for part in headers["Dangjian-Signature"].split(","))
        expected = hmac.new(secret.encode(), f"{t}.".encode() + raw, hashlib.sha256).hexdigest()
        assert hmac.compare_digest(v1, expected)
    assert len({b["id"] for _, b, _ in _Receiver.received}) == len(_Receiver.received)
    log = await api.client.get(
        f"/api/v1/webhooks/{hook['id']}/deliveries", headers=api.auth(county.admin_a)
    )
    states = {d["state"] for d in log.json()["items"]}
    assert states == {"delivered"}
    assert max(d["attempts"] for d in log.json()["items"]) == 3


async def test_webhooks_are_scoped(api, county):
    r = await api.client.post(
        "/api/v1/webhooks",
        json={
            "org_id": county.town_a["id"],
            "url": "https://receiver.invalid/none",
            "event_types": ["*"],
        },
        headers=api.auth(county.admin_b),
    )
    assert r.status_code == 404
    hook = (
        await api.client.post(
            "/api/v1/webhooks",
            json={
                "org_id": county.town_a["id"],
                "url": "https://receiver.invalid/none",
                "event_types": ["*"],
            },
            headers=api.auth(county.admin_a),
        )
    ).json()
    assert (
        await api.client.get(
            f"/api/v1/webhooks/{hook['id']}/deliveries", headers=api.auth(county.admin_b)
        )
    ).status_code == 404
    assert hook["id"] not in {
        h["id"]
        for h in (
            await api.client.get("/api/v1/webhooks", headers=api.auth(county.admin_b))
        ).json()["items"]
    }
    r = await api.client.delete(f"/api/v1/webhooks/{hook['id']}", headers=api.auth(county.admin_a))
    assert r.status_code == 204


async def test_unknown_event_types_are_refused(api, county):
    r = await api.client.post(
        "/api/v1/webhooks",
        json={
            "org_id": county.town_a["id"],
            "url": "https://receiver.invalid/x",
            "event_types": ["member.eaten"],
        },
        headers=api.auth(county.admin_a),
    )
    assert r.status_code == 422
    assert r.json()["code"] == "webhook.event_type_unknown"


async def test_a_long_transaction_in_another_database_does_not_hold_the_feed(api, county):
    import os

    import asyncpg
    from sqlalchemy.engine import make_url

    other_db = make_url(os.environ["DATABASE_URL"]).set(database="postgres")
    conn = await asyncpg.connect(other_db.render_as_string(hide_password=False))
    try:
        tx = conn.transaction()
        await tx.start()
        await conn.fetchval("SELECT pg_current_xact_id()")  # holds an xid, like a long batch
        _, cursor = await drain_changes(api, county.admin_a)
        member = await api.member(county.county_admin, county.branch_a["id"])
        changes, _ = await drain_changes(api, county.admin_a, cursor)
        assert member["id"] in {c["resource_id"] for c in changes}
        await tx.rollback()
    finally:
        await conn.close()
