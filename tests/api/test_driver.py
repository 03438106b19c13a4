"""Statements on the asyncpg connection (app.db) belong to the session's transaction."""

from __future__ import annotations

import asyncio
import uuid
from typing import Any

import pytest
from sqlalchemy import text

from app import db
from app.db import get_sessionmaker
from app.services.integration import audit
from app.sessions import RequestSession, return_idle

INSERT = "INSERT INTO audit_events (action, resource, resource_id) VALUES ($1, $2, $3)"
COUNT = "SELECT count(*) FROM audit_events WHERE resource_id = $1"


async def test_driver_writes_roll_back_and_commit_with_the_session(api):
    key = uuid.uuid4().hex
    async with get_sessionmaker()() as session:
        await db.execute(session, INSERT, "test.driver", "test", key)
        # The same transaction as the session's own statements, not one of its own.
        by_driver = (await db.fetchrow(session, "SELECT pg_current_xact_id()::text"))[0]
        by_session = await session.scalar(text("SELECT pg_current_xact_id()::text"))
        assert by_driver == by_session
        await session.rollback()
    async with get_sessionmaker()() as session:
        assert (await db.fetchrow(session, COUNT, key))[0] == 0
        await db.execute(session, INSERT, "test.driver", "test", key)
        await session.commit()
    async with get_sessionmaker()() as session:
        assert (await db.fetchrow(session, COUNT, key))[0] == 1


async def test_driver_joins_a_transaction_sqlalchemy_already_began(api):
    async with get_sessionmaker()() as session:
        by_session = await session.scalar(text("SELECT pg_current_xact_id()::text"))
        by_driver = (await db.fetchrow(session, "SELECT pg_current_xact_id()::text"))[0]
        assert by_driver == by_session
        await session.rollback()


@pytest.fixture
def orm_sessions_made(monkeypatch) -> list[RequestSession]:
    """The request sessions that built their ORM session while the test ran."""
    made: list[RequestSession] = []
    original = RequestSession._make_sync

    def counting(self: RequestSession) -> Any:
        made.append(self)
        return original(self)

    monkeypatch.setattr(RequestSession, "_make_sync", counting)
    return made


async def test_a_member_read_is_served_without_building_an_orm_session(
    api, county, orm_sessions_made
):
    member = await api.member(county.admin_a, county.branch_a["id"])
    audited = (
        "SELECT count(*) FROM audit_events WHERE resource_id = $1 AND action = 'member.pii_read'"
    )
    async with get_sessionmaker()() as session:
        before = (await db.fetchrow(session, audited, member["id"]))[0]
    orm_sessions_made.clear()
    r = await api.client.get(f"/api/v1/members/{member['id']}", headers=api.auth(county.admin_a))
    assert r.status_code == 200, r.text
    assert r.json()["id"] == member["id"]
    assert orm_sessions_made == []
    # The unmasked read's audit row was still written (by the driver, at the commit).
    async with get_sessionmaker()() as session:
        assert (await db.fetchrow(session, audited, member["id"]))[0] == before + 1


async def test_the_hot_reads_are_served_without_building_an_orm_session(
    api, county, orm_sessions_made
):
    member = await api.member(county.admin_a, county.branch_a["id"])
    org = county.county["id"]
    reads = [
        f"/api/v1/members/{member['id']}",
        f"/api/v1/members?within={org}&limit=50",
        f"/api/v1/organisations/{org}/tree?depth=2",
        f"/api/v1/organisations/{org}/stats",
        f"/api/v1/organisations/{org}/points/ranking?year=2026",
        f"/api/v1/organisations/{org}/meeting-compliance?year=2026&quarter=1",
    ]
    made = []
    for current in reads:
        orm_sessions_made.clear()
        r = await api.client.get(current, headers=api.auth(county.county_admin))
        assert r.status_code == 200, (current, r.text)
        made += [current] * len(orm_sessions_made)
    assert made == []


async def test_what_the_driver_began_commits_with_the_orm_that_joined_it(api):
    key = uuid.uuid4().hex
    async with get_sessionmaker()() as session:
        await db.execute(session, INSERT, "test.driver", "test", key)
        # The ORM, made after the driver's write, sees it: one connection, one transaction.
        seen = await session.scalar(
            text("SELECT count(*) FROM audit_events WHERE resource_id = :k"), {"k": key}
        )
        assert seen == 1
        await session.commit()
    async with get_sessionmaker()() as session:
        assert (await db.fetchrow(session, COUNT, key))[0] == 1


async def test_a_closed_session_gives_its_connection_back_or_hands_it_on_never_keeps_it(api):
    engine = db.get_engine()
    pool = engine.sync_engine.pool
    await return_idle(engine)
    before = pool.checkedout()  # type: ignore[attr-defined]
    async with get_sessionmaker()() as session:
        await db.fetchrow(session, "SELECT 1")
        assert pool.checkedout() == before + 1  # type: ignore[attr-defined]
    await return_idle(engine)  # what waits for the next session goes back
    assert pool.checkedout() == before  # type: ignore[attr-defined]
    async with get_sessionmaker()() as session:
        await db.execute(session, INSERT, "test.driver", "test", uuid.uuid4().hex)
        await session.scalar(text("SELECT 1"))  # the ORM joins the same connection
        assert pool.checkedout() == before + 1  # type: ignore[attr-defined]
    # An ORM session's connection is never handed on: back to the pool at once.
    assert pool.checkedout() == before  # type: ignore[attr-defined]


async def test_audit_events_of_a_rolled_back_driver_transaction_are_not_written(api):
    key = uuid.uuid4().hex
    async with get_sessionmaker()() as session:
        await db.execute(session, INSERT, "test.driver", "test", key)
        audit.record(session, None, "member.pii_read", "member", key, None)
        await session.rollback()
        # Nothing the rolled-back transaction recorded waits for the next commit.
        await audit.write_pending(session)
        await db.commit(session)
    async with get_sessionmaker()() as session:
        assert (await db.fetchrow(session, COUNT, key))[0] == 0


async def _slow_first_statement(quick: bool) -> tuple[Any, float]:
    """A request's first statement, 0.6 s long, on a pooled connection of an engine whose
    ping timeout is 0.2 s: what `db._first` makes of it."""
    import time

    from sqlalchemy.ext.asyncio import async_sessionmaker

    from app.config import get_settings

    settings = get_settings().model_copy(update={"db_ping_timeout_seconds": 0.2})
    engine = db.build_engine(db.sync_database_url(settings), settings)
    maker = async_sessionmaker(engine, class_=RequestSession)
    try:
        async with maker() as session:  # one connection in the pool, used once
            db.serve_reads(session)
            await db.fetch(session, "SELECT 1")
        async with maker() as session:
            db.serve_reads(session)
            started = time.monotonic()
            try:
                if quick:
                    got: Any = await db.fetchrow_first(session, "SELECT pg_sleep(0.6), 7 AS n")
                else:
                    got = await db.run_driver(
                        session, "fetchrow", "SELECT pg_sleep(0.6), 7 AS n", (), False, True
                    )
            except Exception as exc:
                got = exc
            return got, time.monotonic() - started
    finally:
        await engine.dispose()


async def test_a_hot_read_first_and_slower_than_the_ping_timeout_is_run_again_on_a_live_server(
    api,
):
    row, elapsed = await _slow_first_statement(quick=False)
    assert not isinstance(row, Exception), row
    assert row["n"] == 7
    assert elapsed >= 0.8  # cut at the ping's timeout (0.2 s), then run whole again (0.6 s)


async def test_the_sign_in_read_past_the_ping_timeout_is_503(api):
    from app.errors import DatabaseUnavailable

    got, elapsed = await _slow_first_statement(quick=True)
    assert isinstance(got, DatabaseUnavailable), got
    assert elapsed < 0.6


@pytest.mark.parametrize("writes", [False, True])
async def test_a_first_statement_on_a_connection_the_server_closed_runs_on_a_new_one(api, writes):
    """The first round trip of a request whose login is known (a hot read, or the BEGIN of
    a write) is the pooled connection's check: one the server closed is replaced."""
    from sqlalchemy.ext.asyncio import async_sessionmaker

    from app.config import get_settings

    settings = get_settings()
    engine = db.build_engine(db.sync_database_url(settings), settings)
    maker = async_sessionmaker(engine, class_=RequestSession)
    try:
        async with maker() as session:  # one connection in the pool, used once
            db.serve_reads(session)
            closed = (await db.fetchrow(session, "SELECT pg_backend_pid()"))[0]
        async with get_sessionmaker()() as other:
            await db.fetchrow(other, "SELECT pg_terminate_backend($1)", closed)
        await asyncio.sleep(0.2)  # the server's goodbye reaches the pooled connection
        async with maker() as session:
            if not writes:
                db.serve_reads(session)
            sql = "SELECT pg_backend_pid() AS pid, pg_current_xact_id_if_assigned() AS xact"
            row = await db.run_driver(session, "fetchrow", sql, (), writes, True)
            assert row["pid"] != closed
            in_transaction = session.info[db.DRIVER].is_in_transaction()
            assert in_transaction is writes
            await session.rollback()
    finally:
        await engine.dispose()
