"""The request's session: a connection of its own first, the ORM session only once used.

Most requests send only driver statements (`db.fetch`, `db.execute`, ...): the caller's
login, a read model, an audit row. For them SQLAlchemy's ORM session was pure overhead:
building it, checking its connection out through its transaction and engine, and
closing it (identity map, transaction bookkeeping, connection release) cost about 290 k
instructions a request, more than a member read's three statements (measured with
callgrind, 426 k for a session with its connection against 137 k for the pooled
connection alone).

`RequestSession` is the `AsyncSession` every session maker of the app makes. Until the
ORM is used it holds no ORM session: the driver helpers check a connection out of the
engine's pool for it directly (`checkout`) and keep it for the session's life. The first
ORM use (`execute`, `add`, `begin`, ...) makes the ORM session, bound to that same
connection when there is one, so ORM and driver statements still share one transaction:
the ORM commits it when it began it, `db.commit` commits what the driver began. Closing
returns the connection to the pool, rolled back if anything was left open (the pool's
reset on return).

A connection the session checked out itself and leaves clean (no transaction, no ORM on
it) is handed on to the worker's next request session without going back through the
pool (`_Lease`): the pool's checkout and return, each a hop into SQLAlchemy's greenlet,
cost ~35 µs of a ~420 µs request (measured in-process, bench/RESULTS.md). The hand-on
keeps the pool's rules: the connection gets the check the pool's checkout would give it
(`pool_checks.checked_by_first_statement`; when a ping is due it goes through the pool),
one older than the pool's recycle age or than its last invalidation goes back to the
pool (which replaces it), a disposed engine closes those it holds, and at most
`_Lease.room` of the pool's connections wait in it, so the pool keeps the rest for
sessions that check out through it. Such a close has nothing to wait for and is done in
place, not in the shielded task of its own AsyncSession's `async with` runs every close
in (a task and a loop turn a request).

The session's `info` is a dict of its own from the start, and becomes the ORM session's
`info` when that is made: what the driver helpers and the audit writer keep there (the
connection, pending audit rows) is the same before and after.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any
from weakref import WeakKeyDictionary

from sqlalchemy import event
from sqlalchemy.engine import Connection, Engine
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine, AsyncSession
from sqlalchemy.orm import Session
from sqlalchemy.util.concurrency import greenlet_spawn

from app.pool_checks import checked_by_first_statement

# What a session's `info` holds for the driver helpers (`app.db`).
DRIVER = "dangjian.driver_connection"  # the asyncpg connection
POOLED = "dangjian.driver_adapter"  # the pooled connection (SQLAlchemy's proxy) it is in
OWNED = "dangjian.owned_connection"  # that connection was checked out by the session itself
# A principal known from an earlier request, not yet checked (`services.principals`).
PRINCIPAL_UNCHECKED = "dangjian.principal_unchecked"

# Called with a session's `info` when it rolls back a transaction the ORM never saw (its
# ORM session not made yet): what the audit writer keeps for the commit is dropped, as
# its ORM rollback hook drops it otherwise.
rollback_hooks: list[Callable[[dict[str, Any]], None]] = []


class RequestSession(AsyncSession):
    """An `AsyncSession` whose ORM session is made on its first use (module docstring)."""

    def __init__(self, bind: Any = None, **kw: Any) -> None:
        # Made by the app's session makers only, on one engine (`app.db`).
        if not isinstance(bind, AsyncEngine) or kw.get("binds") or kw.get("sync_session_class"):
            raise TypeError("a RequestSession is bound to one AsyncEngine")
        self._async_bind = bind
        self._async_binds = {}
        self._engine = bind
        self._kw = kw
        self._sync: Session | None = None
        self._info: dict[str, Any] = {}
        self._connection: Connection | None = None

    # The ORM session, made when first asked for. A property on the class comes before
    # the instance attributes AsyncSession's own methods would read.
    @property
    def sync_session(self) -> Session:  # type: ignore[override]  # read-only here
        return self._sync if self._sync is not None else self._make_sync()

    @property
    def _proxied(self) -> Session:  # type: ignore[override]  # as `sync_session`
        return self.sync_session

    @property
    def info(self) -> dict[str, Any]:
        return self._info

    def in_nested_transaction(self) -> bool:
        return self._sync is not None and self._sync.in_nested_transaction()

    def _make_sync(self) -> Session:
        bind: Any = self._engine.sync_engine
        pooled = self._info.get(POOLED) if self._info.get(OWNED) else None
        if pooled is not None:
            # The ORM joins the connection the driver statements already use.
            self._connection = bind = Connection(self._engine.sync_engine, connection=pooled)
            self._async_bind = AsyncConnection(self._engine, bind)
        sync: Session = self._assign_proxied(self.sync_session_class(bind=bind, **self._kw))
        sync.info = self._info  # a memoized property: this dict from now on
        self._sync = sync
        return sync

    async def checkout(self) -> Any:
        """A pooled connection for the driver statements: the ORM session's, once it is
        made; else one checked out of the pool now, kept until the session closes."""
        if self._sync is not None:
            return await greenlet_spawn(orm_connection, self._sync)
        engine = self._engine.sync_engine
        pooled = await _lease(engine).take()
        if pooled is None:
            pooled = await greenlet_spawn(engine.pool.connect)
        self._info[OWNED] = True
        return pooled

    def forget_connection(self) -> Any:
        """Let go of the pooled connection (found broken: its invalidation is the
        caller's); returns the object to invalidate, the ORM's connection if it has one."""
        self._info.pop(DRIVER, None)
        pooled = self._info.pop(POOLED, None)
        if not self._info.pop(OWNED, False):
            return None
        connection, self._connection = self._connection, None
        return connection if connection is not None else pooled

    async def commit(self) -> None:
        if self._sync is not None:
            await super().commit()
        await self._end_driver_transaction("commit")

    async def rollback(self) -> None:
        if self._sync is not None:
            await super().rollback()
        else:
            for hook in rollback_hooks:
                hook(self._info)
        await self._end_driver_transaction("rollback")

    async def _end_driver_transaction(self, how: str) -> None:
        """Commit or roll back what the driver began on the session's own connection
        and the ORM did not end (the ORM ends only a transaction it saw begin)."""
        driver = self._info.get(DRIVER)
        if self._info.get(OWNED) and driver is not None and driver.is_in_transaction():
            await greenlet_spawn(getattr(self._info[POOLED].dbapi_connection, how))

    def _closed_at_once(self) -> bool:
        """Close now if closing needs no wait: no ORM session, and no connection or one the
        lease keeps (`_Lease.keep`, no statement). Else nothing is done (False)."""
        info = self._info
        if self._sync is not None or self._connection is not None:
            return False
        if info.get(OWNED) and not _lease(self._engine.sync_engine).keep(info[POOLED]):
            return False
        for key in (DRIVER, POOLED, OWNED):
            info.pop(key, None)
        return True

    async def __aexit__(self, type_: Any, value: Any, traceback: Any) -> None:
        """`close`: AsyncSession's runs it as a task of its own, shielded from the
        request's cancellation (a task and a loop turn each request); a close that
        cannot wait (`_closed_at_once`) cannot be cancelled half-way, and is done here."""
        if not self._closed_at_once():
            await super().__aexit__(type_, value, traceback)

    async def close(self) -> None:
        if self._closed_at_once():
            return
        if self._sync is not None:
            await super().close()
        self._info.pop(DRIVER, None)
        pooled = self._info.pop(POOLED, None)
        if self._info.pop(OWNED, False):  # one the lease would keep went at once, above
            connection, self._connection = self._connection, None
            # Back to the pool (rolled back there if a transaction was left open).
            await greenlet_spawn((connection or pooled).close)


class _Lease:
    """The clean connections of one engine waiting for this process's next request
    session, newest first (module docstring). One event loop uses them: no statement
    awaits between taking and keeping, so no lock."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        self.idle: list[Any] = []
        self.room = min(4, engine.pool.size() // 2) if hasattr(engine.pool, "size") else 0

    async def take(self) -> Any:
        """A waiting connection fit to hand on (checked as the pool's checkout would),
        or None: the caller checks one out of the pool. Those past their age go back."""
        while self.idle:
            pooled = self.idle.pop()
            if not _current(self.engine, pooled):
                await greenlet_spawn(pooled.close)  # the pool replaces it at its checkout
                continue
            if checked_by_first_statement(self.engine, pooled.info):
                return pooled
            self.idle.append(pooled)  # a ping is due: only the pool's checkout sends it
            return None
        return None

    def keep(self, pooled: Any) -> bool:
        """Keep a connection a session is done with, if it is clean and there is room."""
        if len(self.idle) >= self.room or not _current(self.engine, pooled):
            return False
        driver = pooled.driver_connection  # the server's own word on its transaction
        if driver.is_closed() or driver.is_in_transaction():
            return False
        self.idle.append(pooled)
        return True

    def close_all(self, _engine: Engine) -> None:
        """The engine was disposed (its pool replaced): close what waits here."""
        idle, self.idle = self.idle, []
        for pooled in idle:
            pooled.invalidate()


def _current(engine: Engine, pooled: Any) -> bool:
    """Whether the pool would hand this connection out as it is: valid, of the engine's
    current pool, younger than its recycle age and than the pool's or its own last
    invalidation (after an outage SQLAlchemy marks the pool so that every older
    connection is replaced); the same tests as SQLAlchemy's checkout of a pooled one."""
    record = pooled._connection_record
    if not pooled.is_valid or record is None or pooled._pool is not engine.pool:
        return False
    started: float = record.starttime
    pool = engine.pool
    if max(pool._invalidate_time, record._soft_invalidate_time) > started:
        return False
    return bool(pool._recycle < 0 or time.time() - started <= pool._recycle)


_LEASES: WeakKeyDictionary[Engine, _Lease] = WeakKeyDictionary()


def _lease(engine: Engine) -> _Lease:
    lease = _LEASES.get(engine)
    if lease is None:
        lease = _LEASES[engine] = _Lease(engine)
        event.listen(engine, "engine_disposed", lease.close_all)
    return lease


async def return_idle(engine: AsyncEngine) -> None:
    """Give the connections waiting for the next request session back to the pool (for
    a check that must reach every pooled connection through the pool)."""
    lease = _LEASES.get(engine.sync_engine)
    while lease is not None and lease.idle:
        await greenlet_spawn(lease.idle.pop().close)


def orm_session(session: AsyncSession) -> Session | None:
    """The session's ORM session, or None while a request session has not built it (no
    ORM object can then wait for a flush, no savepoint be open)."""
    if isinstance(session, RequestSession):
        return session._sync
    return session.sync_session


def orm_connection(session: Session) -> Any:
    """The ORM session's pooled connection, checked out now if need be (one hop into
    SQLAlchemy's greenlet, not one for the connection and one for its DBAPI side)."""
    return session.connection().connection
