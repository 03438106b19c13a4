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

The session's `info` is a dict of its own from the start, and becomes the ORM session's
`info` when that is made: what the driver helpers and the audit writer keep there (the
connection, pending audit rows) is the same before and after.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from sqlalchemy.engine import Connection
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine, AsyncSession
from sqlalchemy.orm import Session
from sqlalchemy.util.concurrency import greenlet_spawn

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
        pooled = await greenlet_spawn(self._engine.sync_engine.pool.connect)
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

    async def close(self) -> None:
        if self._sync is not None:
            await super().close()
        self._info.pop(DRIVER, None)
        pooled = self._info.pop(POOLED, None)
        if self._info.pop(OWNED, False):
            connection, self._connection = self._connection, None
            # Back to the pool (rolled back there if a transaction was left open).
            await greenlet_spawn((connection or pooled).close)


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
