"""The API against a real primary and streaming replica (scripts/replica_cluster.py):
reports from the replica, writes and ledgers from the primary, the caller's own writes
read back, and a lagging or stopped replica answered by the primary, counted in
`/metrics`.

Which server answered is told by the data: with the replica's replay paused, the
primary has rows the replica has not, so a report without them came from the replica
and one with them from the primary.
"""

from __future__ import annotations

import asyncio
import importlib.util
import re
import sys
import time
from collections.abc import AsyncIterator
from datetime import date
from pathlib import Path
from typing import Any

import asyncpg
import httpx
import pytest
from support import PASSWORD, Api

import app.api.replica as replica
from app.config import get_settings
from app.db import get_engine, get_replica_sessionmaker, get_sessionmaker

pytestmark = pytest.mark.replica

_SCRIPT = Path(__file__).resolve().parents[2] / "scripts" / "replica_cluster.py"
_spec = importlib.util.spec_from_file_location("replica_cluster", _SCRIPT)
assert _spec is not None and _spec.loader is not None
replica_cluster = importlib.util.module_from_spec(_spec)
sys.modules["replica_cluster"] = replica_cluster
_spec.loader.exec_module(replica_cluster)


def _up(pair: Any) -> None:
    pair.start_primary()
    pair.start_replica()
    pair.migrate()  # streamed to the replica; each test waits until it has caught up


@pytest.fixture(scope="module")
async def pair() -> AsyncIterator[Any]:
    if replica_cluster.find_bindir() is None:
        pytest.skip(
            "PostgreSQL server binaries (initdb, pg_ctl, pg_basebackup) not found on PATH "
            "or in /usr/lib/postgresql/*/bin: no primary and replica to start"
        )
    cluster = replica_cluster.Cluster.create()
    try:
        await asyncio.to_thread(_up, cluster)
        yield cluster
    finally:
        await asyncio.to_thread(cluster.stop)


def _clear_engines() -> None:
    for cached in (get_engine, get_sessionmaker, get_replica_sessionmaker):
        cached.cache_clear()


async def _dispose_engines() -> None:
    await get_engine().dispose()
    replicas = get_replica_sessionmaker()
    if replicas is not None:
        await replicas.kw["bind"].dispose()


@pytest.fixture(scope="module")
async def cluster_api(pair: Any, app: Any) -> AsyncIterator[Api]:
    """The app with DATABASE_URL on the primary and DATABASE_REPLICA_URL on the replica,
    its root admin logged in on a client of its own (cookies kept, as a browser does)."""
    from app.services.users import bootstrap_admin

    settings = get_settings()
    saved = (settings.database_url, settings.database_replica_url)
    await _dispose_engines()
    settings.database_url, settings.database_replica_url = pair.primary_url, pair.replica_url
    _clear_engines()
    replica._down_until = 0.0
    try:
        async with get_sessionmaker()() as session, session.begin():
            await bootstrap_admin(session, "root", PASSWORD)
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://test") as client:
            body = await Api(client, "", "").login("root")
            me = await client.get("/api/v1/auth/me", headers=Api.auth(body["access_token"]))
            yield Api(client, me.json()["org_id"], body["access_token"])
    finally:
        await _dispose_engines()
        settings.database_url, settings.database_replica_url = saved
        _clear_engines()
        replica._down_until = 0.0


@pytest.fixture
async def reader(app: Any) -> AsyncIterator[httpx.AsyncClient]:
    """Another caller, who wrote nothing (no write position cookie)."""
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://test") as client:
        yield client


async def _sql(url: str, sql: str) -> Any:
    conn = await asyncpg.connect(url)
    try:
        return await conn.fetchval(sql)
    finally:
        await conn.close()


async def _caught_up(pair: Any) -> None:
    """Wait until the replica has replayed everything the primary has written."""
    lsn = await _sql(pair.primary_url, "SELECT pg_current_wal_lsn()::text")
    for _ in range(300):
        if await _sql(pair.replica_url, f"SELECT pg_last_wal_replay_lsn() >= '{lsn}'"):
            return
        await asyncio.sleep(0.05)
    raise AssertionError("the replica did not catch up")


async def _fallbacks(client: httpx.AsyncClient) -> dict[str, float]:
    text = (await client.get("/metrics")).text
    found = re.findall(r'^dangjian_replica_fallbacks_total\{reason="(\w+)"\} (\S+)$', text, re.M)
    return {reason: float(n) for reason, n in found}


async def _members(client: httpx.AsyncClient, token: str, org_id: str) -> int:
    r = await client.get(f"/api/v1/organisations/{org_id}/stats", headers=Api.auth(token))
    assert r.status_code == 200, r.text
    total: int = r.json()["members"]
    return total


async def _award(api: Api, token: str, member_id: str, rule_id: str) -> None:
    r = await api.client.post(
        "/api/v1/point-entries",
        json={
            "member_id": member_id,
            "rule_id": rule_id,
            "occurred_on": date.today().isoformat(),
            "source_key": f"replica-{time.monotonic_ns()}",
        },
        headers=api.auth(token),
    )
    assert r.status_code == 201, r.text


async def _balance(client: httpx.AsyncClient, token: str, member_id: str) -> Any:
    r = await client.get(f"/api/v1/members/{member_id}/points", headers=Api.auth(token))
    assert r.status_code == 200, r.text
    return r.json()


async def test_reports_come_from_the_replica_and_writes_ledgers_and_own_writes_from_the_primary(
    pair, cluster_api, reader
):
    api = cluster_api
    county = await api.county()
    town, token = county.town_a["id"], county.county_admin
    member = await api.member(token, county.branch_a["id"])
    r = await api.client.post(
        "/api/v1/point-rules",
        json={"org_id": county.county["id"], "code": "R1", "name": "志愿服务",
              "category": "bonus", "points": 2, "needs_approval": False},
        headers=api.auth(token),
    )  # fmt: skip
    assert r.status_code == 201, r.text
    await _caught_up(pair)
    assert await _members(reader, token, town) == 1
    balance_before = await _balance(reader, token, member["id"])
    await _sql(pair.replica_url, "SELECT pg_wal_replay_pause()")
    try:
        await api.member(token, county.branch_a["id"])
        await _award(api, token, member["id"], r.json()["id"])
        before = await _fallbacks(api.client)
        # Another caller's report: the replica, a write behind (within the allowed lag).
        assert await _members(reader, token, town) == 1
        # The writer's report: its write is not replayed yet, so the primary answers.
        assert await _members(api.client, token, town) == 2
        # A ledger is read from the primary, whoever asks.
        assert await _balance(reader, token, member["id"]) != balance_before
        after = await _fallbacks(api.client)
        assert after.get("read_after_write", 0) == before.get("read_after_write", 0) + 1
        assert after.get("lag", 0) == before.get("lag", 0)
    finally:
        await _sql(pair.replica_url, "SELECT pg_wal_replay_resume()")
    await _caught_up(pair)
    before = await _fallbacks(api.client)
    # Replayed: both callers read the replica again, and it has both members.
    assert await _members(reader, token, town) == 2
    assert await _members(api.client, token, town) == 2
    assert await _fallbacks(api.client) == before


async def test_a_replica_behind_by_more_than_the_allowed_lag_is_passed_over(
    pair, cluster_api, reader, monkeypatch
):
    api = cluster_api
    county = await api.county()
    town, token = county.town_a["id"], county.county_admin
    await api.member(token, county.branch_a["id"])
    await _caught_up(pair)
    monkeypatch.setattr(get_settings(), "replica_max_lag_seconds", 0.5)
    await _sql(pair.replica_url, "SELECT pg_wal_replay_pause()")
    try:
        await api.member(token, county.branch_a["id"])
        assert await _members(reader, token, town) == 1  # the replica, 1 write behind
        await asyncio.sleep(0.6)
        before = await _fallbacks(reader)
        assert await _members(reader, token, town) == 2  # too far behind: the primary
        after = await _fallbacks(reader)
        assert after["lag"] == before.get("lag", 0) + 1
    finally:
        await _sql(pair.replica_url, "SELECT pg_wal_replay_resume()")
    await _caught_up(pair)


async def test_a_stopped_replica_sends_reports_to_the_primary_and_counts_each(
    pair, cluster_api, reader
):
    api = cluster_api
    county = await api.county()
    town, token = county.town_a["id"], county.county_admin
    await api.member(token, county.branch_a["id"])
    await _caught_up(pair)
    assert await _members(reader, token, town) == 1
    await asyncio.to_thread(pair.stop_replica)
    try:
        before = await _fallbacks(reader)
        started = time.perf_counter()
        assert await _members(reader, token, town) == 1
        first = time.perf_counter() - started
        started = time.perf_counter()
        assert await _members(reader, token, town) == 1  # not tried again: the primary
        second = time.perf_counter() - started
        after = await _fallbacks(reader)
        assert after["down"] == before.get("down", 0) + 2
        print(f"\nreplica down: first report {first * 1000:.1f} ms, next {second * 1000:.1f} ms")
    finally:
        await asyncio.to_thread(pair.restart_replica)
    replica._down_until = 0.0  # past `replica_retry_seconds`: the replica is tried again
    before = await _fallbacks(reader)
    assert await _members(reader, token, town) == 1
    assert await _fallbacks(reader) == before  # served by the replica again
