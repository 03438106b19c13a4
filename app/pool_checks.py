"""The check a pooled connection gets before a request uses it: one round trip within
the ping's timeout, or the request's first statement standing in for it (`db._first`).
The one place for it, whether the connection comes from the pool or is handed on from
one request to the next without it (`sessions`' lease, `checked_by_first_statement`)."""

from __future__ import annotations

from contextvars import ContextVar
from typing import Any
from weakref import WeakKeyDictionary

from sqlalchemy import event
from sqlalchemy.engine import Engine
from sqlalchemy.exc import DisconnectionError
from sqlalchemy.ext.asyncio import AsyncEngine
from sqlalchemy.util.concurrency import await_

from app.errors import DatabaseUnavailable, database_unavailable

FRESH = "dangjian.fresh"
# A pooled connection handed out without its ping, to be checked by the first statement
# (`db._first`): the ping's timeout. Set by the checkout of that statement only.
UNPINGED = "dangjian.unchecked"
first_statement_checks: ContextVar[bool] = ContextVar("dangjian_first_checks", default=False)
# The ping's timeout of each engine that pings its connections.
_PING_TIMEOUTS: WeakKeyDictionary[Engine, float] = WeakKeyDictionary()


def _first_statement_stands_in(info: dict[str, Any], timeout: float) -> bool:
    """Whether the request's first statement is the connection's check (no ping): the
    connection is then marked with the ping's timeout for that statement."""
    info.pop(UNPINGED, None)
    if not first_statement_checks.get():
        return False
    info[UNPINGED] = timeout
    return True


def checked_by_first_statement(engine: Engine, info: dict[str, Any]) -> bool:
    """Whether a connection may be handed on to a request without the pool's checkout
    (`info`: its record's): yes when the engine pings none, or when the request's first
    statement is the check (then marked for it, as the checkout would); no when a ping
    is due, which only the pool's checkout sends."""
    timeout = _PING_TIMEOUTS.get(engine)
    return timeout is None or _first_statement_stands_in(info, timeout)


def ping_at_checkout(engine: AsyncEngine, timeout: float) -> None:
    """Each pooled connection answers one round trip within `timeout` before a request
    gets it (a new one has just answered its handshake).

    A frozen server (processes stopped, sockets still accepting) would otherwise hold
    the request until the client's command timeout. Past `timeout` the connection is
    dropped without waiting for the server and the request is 503; the other pooled
    connections stay, each pinged at its own checkout, and serve again once the server
    resumes. A connection found closed (server restarted) is replaced by a new one at
    once, so a restart costs no request; a refused new one is 503 (`do_connect`).
    Running statements keep the statement timeout: this bounds only the checkout.

    A request's first statement, when it is a quick read (the caller's login,
    `fetchrow_first`), is the check instead: no ping before it, the same timeout on it."""
    pool = engine.sync_engine.pool
    _PING_TIMEOUTS[engine.sync_engine] = timeout

    def fresh(dbapi_connection: Any, record: Any) -> None:
        record.info[FRESH] = True

    def ping(dbapi_connection: Any, record: Any, proxy: Any) -> None:
        if record.info.pop(FRESH, False):
            record.info.pop(UNPINGED, None)
            return
        if _first_statement_stands_in(record.info, timeout):
            return
        driver = dbapi_connection.driver_connection
        try:
            await_(driver.execute("SELECT 1", timeout=timeout))
        except TimeoutError as exc:
            driver.terminate()  # a graceful close would wait for the silent server
            raise DatabaseUnavailable() from exc
        except Exception as exc:
            if not database_unavailable(exc):
                raise
            raise DisconnectionError(str(exc)) from exc

    event.listen(pool, "connect", fresh)
    event.listen(pool, "checkout", ping)
