"""A request session's clean connection is handed on to the next request session without
the pool's checkout and return (`app.sessions`' lease), under the pool's own rules: the
check it would get at checkout, its recycle age, its invalidation after an outage."""

from __future__ import annotations

import gc
import time
import uuid
import warnings

from sqlalchemy import event, text

from app import db
from app.db import get_engine, get_sessionmaker
from app.pool_checks import UNPINGED
from app.sessions import POOLED, return_idle

PID = "SELECT pg_backend_pid()"
INSERT = "INSERT INTO audit_events (action, resource, resource_id) VALUES ($1, $2, $3)"


async def _first_pid() -> int:
    """A request session's first statement (the connection's check): its backend."""
    async with get_sessionmaker()() as session:
        return int((await db.fetchrow_first(session, PID))[0])


class _Checkouts:
    """Counts the pool's checkouts of the app's engine while in use."""

    def __init__(self) -> None:
        self.count = 0
        self.pool = get_engine().sync_engine.pool

    def _seen(self, *_: object) -> None:
        self.count += 1

    def __enter__(self) -> _Checkouts:
        event.listen(self.pool, "checkout", self._seen)
        return self

    def __exit__(self, *_: object) -> None:
        event.remove(self.pool, "checkout", self._seen)


async def test_sequential_requests_check_out_of_the_pool_once(api, county):
    await return_idle(get_engine())
    headers = api.auth(county.county_admin)
    with _Checkouts() as checkouts:
        for _ in range(5):
            r = await api.client.get(
                f"/api/v1/organisations/{county.county['id']}/tree", headers=headers
            )
            assert r.status_code == 200, r.text
    assert checkouts.count == 1


async def test_the_next_session_gets_the_same_connection_marked_for_its_first_statement(api):
    engine = get_engine()
    await return_idle(engine)
    pool = engine.sync_engine.pool
    before = pool.checkedout()  # type: ignore[attr-defined]
    first = await _first_pid()
    # Handed on, not returned: still out of the pool, waiting for the next session.
    assert pool.checkedout() == before + 1  # type: ignore[attr-defined]
    async with get_sessionmaker()() as session:
        await db.fetchrow_first(session, PID)
        pooled = session.info[POOLED]
        assert (await pooled.driver_connection.fetchrow(PID))[0] == first
        # The first statement took the ping's timeout, as after the pool's checkout.
        assert UNPINGED not in pooled.info  # taken by the first statement
    await return_idle(engine)
    assert pool.checkedout() == before  # type: ignore[attr-defined]


async def test_a_session_whose_first_statement_is_not_a_check_goes_through_the_pool(api):
    """A ping is due: only the pool's checkout sends it, so the waiting one is not used."""
    engine = get_engine()
    await return_idle(engine)
    waiting = await _first_pid()
    with _Checkouts() as checkouts:
        async with get_sessionmaker()() as session:
            pid = (await db.fetchrow(session, PID))[0]
    assert checkouts.count == 1
    assert pid != waiting
    await return_idle(engine)


async def test_a_connection_left_in_a_transaction_goes_back_to_the_pool_rolled_back(api):
    engine = get_engine()
    await return_idle(engine)
    key = uuid.uuid4().hex
    async with get_sessionmaker()() as session:
        await db.execute(session, INSERT, "test.lease", "test", key)  # begins, not committed
    with _Checkouts() as checkouts:
        async with get_sessionmaker()() as session:
            count = await db.fetchrow_first(
                session, "SELECT count(*) FROM audit_events WHERE resource_id = $1", key
            )
    assert count[0] == 0
    assert checkouts.count == 1  # nothing was waiting: the first went back to the pool


async def test_connections_older_than_an_outage_mark_or_the_recycle_age_go_back(api):
    engine = get_engine()
    pool = engine.sync_engine.pool
    for mark in ("_invalidate_time", "_recycle"):
        await return_idle(engine)
        waiting = await _first_pid()
        saved = getattr(pool, mark)
        # After an outage SQLAlchemy marks the pool; a recycle age of 0 s ages every one.
        setattr(pool, mark, time.time() + 1 if mark == "_invalidate_time" else 0)
        try:
            with _Checkouts() as checkouts:
                assert await _first_pid() != waiting
            assert checkouts.count == 1, mark
        finally:
            setattr(pool, mark, saved)
        await return_idle(engine)


async def test_disposing_the_engine_closes_the_waiting_connections(api):
    engine = get_engine()
    await return_idle(engine)
    waiting = await _first_pid()
    with warnings.catch_warnings(record=True) as warned:
        warnings.simplefilter("always")
        await engine.dispose()
        gc.collect()  # a connection merely dropped would be terminated here, with a warning
    assert [str(w.message) for w in warned] == []
    async with engine.connect() as connection:  # the pool's, not a request session's
        gone = await connection.scalar(
            text("SELECT count(*) FROM pg_stat_activity WHERE pid = :pid"), {"pid": waiting}
        )
    assert gone == 0


async def test_at_most_room_connections_wait(api):
    engine = get_engine()
    await return_idle(engine)
    pool = engine.sync_engine.pool
    before = pool.checkedout()  # type: ignore[attr-defined]
    sessions = [get_sessionmaker()() for _ in range(8)]
    for session in sessions:  # eight at once, then all closed
        await db.fetchrow_first(session, PID)
    for session in sessions:
        await session.close()
    room = min(4, pool.size() // 2)  # type: ignore[attr-defined]
    assert pool.checkedout() == before + room  # type: ignore[attr-defined]
    await return_idle(engine)
    assert pool.checkedout() == before  # type: ignore[attr-defined]


async def test_a_clean_session_closes_in_place_and_one_left_in_a_transaction_shielded(
    api, monkeypatch
):
    """AsyncSession closes in a task of its own, shielded from the caller's cancellation;
    a close with nothing to wait for (the connection kept for the next session) cannot be
    cancelled half-way and is done in place. One that must roll back still goes through
    the shielded task."""
    import sqlalchemy.ext.asyncio.session as orm_async

    shielded: list[object] = []
    run_to_completion = orm_async._run_to_completion

    async def counted(coro):  # type: ignore[no-untyped-def]
        shielded.append(coro)
        return await run_to_completion(coro)

    monkeypatch.setattr(orm_async, "_run_to_completion", counted)
    engine = get_engine()
    await return_idle(engine)
    pool = engine.sync_engine.pool
    before = pool.checkedout()  # type: ignore[attr-defined]
    await _first_pid()
    assert shielded == []
    assert pool.checkedout() == before + 1  # type: ignore[attr-defined]  # kept, waiting
    async with get_sessionmaker()() as session:
        await db.execute(session, INSERT, "test.lease", "test", uuid.uuid4().hex)
    assert len(shielded) == 1
    await return_idle(engine)
    assert pool.checkedout() == before  # type: ignore[attr-defined]
