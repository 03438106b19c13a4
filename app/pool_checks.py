"""The check a pooled connection gets before a request uses it: one round trip within
the ping's timeout, or the request's first statement standing in for it (`db._first`)."""

from __future__ import annotations

from contextvars import ContextVar
from typing import Any

from sqlalchemy import event
from sqlalchemy.exc import DisconnectionError
from sqlalchemy.ext.asyncio import AsyncEngine
from sqlalchemy.util.concurrency import await_

from app.errors import DatabaseUnavailable, database_unavailable

FRESH = "dangjian.fresh"
# A pooled connection handed out without its ping, to be checked by the first statement
# (`db._first`): the ping's timeout. Set by the checkout of that statement only.
UNPINGED = "dangjian.unchecked"
first_statement_checks: ContextVar[bool] = ContextVar("dangjian_first_checks", default=False)


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

    def fresh(dbapi_connection: Any, record: Any) -> None:
        record.info[FRESH] = True

    def ping(dbapi_connection: Any, record: Any, proxy: Any) -> None:
        record.info.pop(UNPINGED, None)
        if record.info.pop(FRESH, False):
            return
        if first_statement_checks.get():
            record.info[UNPINGED] = timeout
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
