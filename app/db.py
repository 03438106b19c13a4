"""Engine, request-scoped sessions and the embedded PostgreSQL.

With no ``DATABASE_URL`` the app starts a private PostgreSQL (``pgserver``)
under ``DANGJIAN_DATA_DIR`` so a newcomer needs nothing installed.
"""

from __future__ import annotations

import asyncio
import re
import warnings
from collections.abc import AsyncIterator, Awaitable, Callable, Sequence
from contextlib import suppress
from functools import lru_cache
from typing import Any

import asyncpg
from asyncpg.exceptions import QueryCanceledError
from sqlalchemy import event
from sqlalchemy.engine import Connection, make_url
from sqlalchemy.ext.asyncio import (
    AsyncEngine,
    AsyncSession,
    async_sessionmaker,
    create_async_engine,
)
from sqlalchemy.orm import Session, SessionTransaction
from sqlalchemy.util.concurrency import greenlet_spawn

from app.config import Settings, get_settings
from app.errors import DatabaseUnavailable, database_unavailable
from app.pool_checks import UNPINGED, first_statement_checks, ping_at_checkout
from app.sessions import (
    DRIVER,
    OWNED,
    POOLED,
    PRINCIPAL_UNCHECKED,
    RequestSession,
    orm_connection,
    orm_session,
)
from app.statements import DriverStatement as DriverStatement  # `db.DriverStatement`

_embedded: Any = None


def embedded_database_url(settings: Settings) -> str:
    """Start (once per process) the embedded server and return its URL."""
    global _embedded
    if _embedded is None:
        # pgserver asks platformdirs for a runtime dir, which warns on headless machines.
        warnings.filterwarnings("ignore", message="XDG_RUNTIME_DIR is not set")
        import pgserver

        pgdata = (settings.data_dir / "pgdata").resolve()
        pgdata.parent.mkdir(parents=True, exist_ok=True)
        # cleanup_mode="stop": the server stops when the last process using it exits.
        _embedded = pgserver.get_server(  # type: ignore[attr-defined]  # untyped re-export
            str(pgdata), cleanup_mode="stop"
        )
    uri: str = _embedded.get_uri()
    return uri


def sync_database_url(settings: Settings | None = None) -> str:
    """The plain ``postgresql://`` URL of the primary database."""
    settings = settings or get_settings()
    return settings.database_url or embedded_database_url(settings)


def to_async_url(url: str) -> str:
    parsed = make_url(url)
    return parsed.set(drivername="postgresql+asyncpg").render_as_string(hide_password=False)


def build_engine(url: str, settings: Settings) -> AsyncEngine:
    engine = create_async_engine(
        to_async_url(url),
        pool_size=settings.db_pool_size,
        max_overflow=settings.db_max_overflow,
        pool_recycle=settings.db_pool_recycle_seconds,
        connect_args={
            "statement_cache_size": settings.db_statement_cache_size,
            "timeout": settings.db_connect_timeout_seconds,
            "command_timeout": settings.db_statement_timeout_ms / 1000 + 5,
            # jit off: a ranking that places the caller ("me") is costed high enough to
            # be JIT-compiled, which took ~385 ms to save nothing (measured at 1M).
            "server_settings": {
                "application_name": "dangjian",
                "timezone": "UTC",
                "jit": "off",
                "plan_cache_mode": settings.db_plan_cache_mode,
                "statement_timeout": str(settings.db_statement_timeout_ms),
            },
        },
    )
    event.listen(engine.sync_engine, "do_connect", _connect_or_unavailable)
    if settings.db_ping_timeout_seconds > 0:
        ping_at_checkout(engine, settings.db_ping_timeout_seconds)
    return engine


def _connect_or_unavailable(
    dialect: Any, record: Any, cargs: tuple[Any, ...], cparams: dict[str, Any]
) -> Any:
    """Open a connection; a refused, unreachable or silent server is `DatabaseUnavailable`
    (503), told apart here from any other OSError the application might meet."""
    try:
        return dialect.connect(*cargs, **cparams)
    except (OSError, TimeoutError) as exc:
        raise DatabaseUnavailable() from exc


@lru_cache
def get_engine() -> AsyncEngine:
    settings = get_settings()
    return build_engine(sync_database_url(settings), settings)


@lru_cache
def get_sessionmaker() -> async_sessionmaker[AsyncSession]:
    return async_sessionmaker(
        get_engine(), class_=RequestSession, expire_on_commit=False, autoflush=False
    )


@lru_cache
def get_replica_sessionmaker() -> async_sessionmaker[AsyncSession] | None:
    """Sessions on `DATABASE_REPLICA_URL`, for list and report reads; None without a replica."""
    settings = get_settings()
    if not settings.database_replica_url:
        return None
    engine = build_engine(settings.database_replica_url, settings)
    return async_sessionmaker(
        engine, class_=RequestSession, expire_on_commit=False, autoflush=False
    )


_READS = "dangjian.reads"

# Called with (sql, args, many) before each statement sent through the helpers below;
# tests count statements and the benchmark replays them, beside SQLAlchemy's own
# `before_cursor_execute` for everything else.
driver_statement_hooks: list[Callable[[str, Sequence[Any], bool], None]] = []


def serve_reads(session: AsyncSession) -> None:
    """Mark a session that serves a read request (GET): its driver reads run without
    BEGIN and COMMIT, each statement in a transaction of its own.

    A read sees the same either way: under READ COMMITTED every statement takes its own
    snapshot inside a transaction too. What changes is two round trips fewer per read.
    Writes keep their transaction: a driver write (`execute`, `executemany`) or any ORM
    statement begins it first, and the route's commit ends it. The one exception is a
    single closing write (`execute_alone`: a read's audit row), a transaction by itself."""
    session.info[_READS] = True


def nothing_to_commit(session: AsyncSession) -> bool:
    """Whether a commit would send nothing: the session's connection, reached by the
    driver helpers, holds no transaction (a read session's statements were each their
    own) and no ORM change waits for a flush. The route then only closes the session,
    which skips SQLAlchemy's commit machinery (a tenth of a member read's CPU)."""
    driver: Any = session.info.get(DRIVER)
    if driver is None or driver.is_in_transaction():
        return False
    sync = orm_session(session)
    return sync is None or not (sync.new or sync.dirty or sync.deleted)


async def commit(session: AsyncSession) -> None:
    """Commit the request's transaction (the route's one commit, after its audit events
    were written). When no ORM change waits for a flush and no savepoint is open, the
    transaction the driver began is committed on the driver's adapter directly:
    SQLAlchemy's commit machinery around it (flush, hooks, state changes) cost a tenth
    of a write request. The session, closed next, then finds nothing to roll back."""
    raw: Any = session.info.get(POOLED)
    if raw is None or _orm_pending(session):
        await session.commit()
        return
    try:
        await greenlet_spawn(raw.dbapi_connection.commit)
    except Exception as exc:
        raise await _unavailable(session, exc) from exc


def _orm_pending(session: AsyncSession) -> bool:
    """Whether the ORM holds changes to flush or a savepoint open (its commit is needed)."""
    sync = orm_session(session)
    if sync is None:
        return False
    return bool(sync.new or sync.dirty or sync.deleted or sync.in_nested_transaction())


async def _driver(session: AsyncSession, *, begin: bool = True, alone: bool = False) -> Any:
    """The session's asyncpg connection, inside the session's transaction (begun now if
    need be); with `begin=False` on a read session (`serve_reads`), as it is; with
    `alone`, as it is on any session."""
    info = session.info
    driver: Any = info.get(DRIVER)
    if driver is None:
        if isinstance(session, RequestSession):
            raw = await session.checkout()
        else:  # a session made elsewhere (a test's own maker)
            raw = await greenlet_spawn(orm_connection, session.sync_session)
        driver = raw.driver_connection
        info[DRIVER] = driver
        info[POOLED] = raw
    if alone or driver.is_in_transaction() or (not begin and info.get(_READS)):
        return driver
    raw = info[POOLED]
    # SQLAlchemy's asyncpg adapter begins lazily, on its first statement; begin now,
    # through the adapter, so that its commit and rollback end this transaction.
    start = getattr(raw.dbapi_connection, "_start_transaction", None)
    if start is not None:
        await start()
    else:  # an adapter without that (private) method: let a statement begin it
        await (await session.connection()).exec_driver_sql("SELECT 1")
    return driver


def _announce(sql: str, args: Sequence[Any], many: bool = False) -> None:
    for hook in driver_statement_hooks:
        hook(sql, args, many)


async def _invalidate_after_outage(
    session: AsyncSession, exc: BaseException, *, older: bool = True
) -> None:
    """Discard the session's connection and every older pooled one, as SQLAlchemy does
    after a disconnect on its own statements (which the driver path bypasses): the pool
    reconnects once the database is back instead of handing out each dead connection.
    With `older=False` only this one (a silent server: closing the others would wait)."""
    if isinstance(session, RequestSession):
        owned = session.forget_connection()
        if owned is not None:  # the session's own connection, not the ORM's
            await greenlet_spawn(_invalidate, owned, exc, older)
            return
    session.info.pop(DRIVER, None)
    session.info.pop(POOLED, None)
    connection = await session.connection()
    if older:
        raw = await connection.get_raw_connection()
        # What SQLAlchemy itself does on a disconnect: mark the pool so that connections
        # older than now are replaced at checkout, then invalidate this one.
        connection.sync_engine.pool._invalidate(raw, exc, _checkin=False)
    await connection.invalidate(exc)


def _invalidate(connection: Any, exc: BaseException, older: bool) -> None:
    """`_invalidate_after_outage` for a request session's own connection (an ORM
    `Connection` over it, or the pooled connection itself)."""
    pooled = connection.connection if isinstance(connection, Connection) else connection
    if older:
        pooled._pool._invalidate(pooled, exc, _checkin=False)
    connection.invalidate(exc)


async def _unavailable(session: AsyncSession, exc: Exception) -> DatabaseUnavailable:
    """What a driver statement's error `exc` answers: raised again as it is unless the
    database cannot answer; then the pool is invalidated (not for a statement the server
    cancelled: statement_timeout leaves it sound) and the answer is `DatabaseUnavailable`
    (503)."""
    if isinstance(exc, DatabaseUnavailable):
        return exc  # no connection was made: nothing to invalidate
    if not database_unavailable(exc):
        raise exc
    if not isinstance(exc.__cause__ or exc, QueryCanceledError):
        with suppress(Exception):  # the answer stays 503 whatever the clean-up meets
            await _invalidate_after_outage(session, exc)
    return DatabaseUnavailable()


async def _on_driver(
    session: AsyncSession,
    method: str,
    sql: str,
    args: Sequence[Any],
    *,
    begin: bool | None = True,
    gated: bool = False,
) -> Any:
    """`sql` run by the session's driver connection's `method` (`fetch`, `execute`, ...),
    through the request's principal check while that is pending (`services.principals`;
    `gated`: the statement gates its rows on the principal guard itself)."""
    check = session.info.get(PRINCIPAL_UNCHECKED)
    if check is not None:
        return await check.run(session, method, sql, args, begin, gated)
    return await run_driver(session, method, sql, args, begin)


async def run_driver(
    session: AsyncSession,
    method: str,
    sql: str,
    args: Sequence[Any],
    begin: bool | None = True,
    first: bool = False,
) -> Any:
    """`_on_driver` without the principal check. A database found gone on it (or while
    beginning its transaction) invalidates the pool and is raised as
    `DatabaseUnavailable` (503). With `first` on a session without a connection yet,
    the connection's check (`_first`) is the statement itself when it runs alone on a
    read session (or with `begin=None`, alone on any session), else the BEGIN of its
    transaction. A plain call, not a context manager: an async one cost each statement
    ~10 k instructions."""
    many = method == "executemany"
    _announce(sql, args[0] if many else args, many)
    info = session.info
    if first and DRIVER not in info:
        if begin is None or (not begin and info.get(_READS)):
            return await _first(session, _statement(method, sql, args), quick=False)
        await _first(session, _beginning(session), quick=True)  # BEGIN checks it
    try:
        driver = await _driver(session, begin=bool(begin), alone=begin is None)
        return await getattr(driver, method)(sql, *args)
    except Exception as exc:
        raise await _unavailable(session, exc) from exc


async def fetchrow_first(session: AsyncSession, sql: str, *args: Any) -> Any:
    """The first row of a request's first statement, a quick read (the caller's login),
    run on its own before any transaction: the connection's check (`_first`)."""
    _announce(sql, args)
    return await _first(session, _statement("fetchrow", sql, args), quick=True)


async def _first(session: AsyncSession, call: _FirstCall, *, quick: bool) -> Any:
    """A request's first statement (`call(driver, timeout)`), standing in for the
    checkout ping, one round trip fewer per request: a pooled connection handed out for
    it is not pinged, the statement gets the ping's timeout instead, and a connection
    found closed (the server restarted since its last use) is replaced, with every older
    one, and the statement run again on a new connection: a restart still costs no
    request. Past the timeout a `quick` statement is 503 (a frozen server); another one
    is 503 only if a new connection cannot be made within half the timeout either, else
    run again (a slow statement on a live server)."""
    token = first_statement_checks.set(True)
    try:
        driver = await _driver(session, alone=True)
    except Exception as exc:
        raise await _unavailable(session, exc) from exc
    finally:
        first_statement_checks.reset(token)
    timeout = session.info[POOLED].info.pop(UNPINGED, None)
    try:
        try:
            return await call(driver, timeout)
        except TimeoutError as exc:
            driver.terminate()  # a graceful close would wait for the silent server
            with suppress(Exception):  # the others are checked by their own first use
                await _invalidate_after_outage(session, exc, older=False)
            if quick or not await _answers(session, (timeout or 0) / 2):
                raise DatabaseUnavailable() from exc
        except Exception as exc:
            if not database_unavailable(exc):
                raise
            with suppress(Exception):  # the statement runs again on a new connection
                await _invalidate_after_outage(session, exc)
                await session.rollback()
        return await call(await _driver(session, alone=True), None)
    except Exception as exc:
        raise await _unavailable(session, exc) from exc


_FirstCall = Callable[[Any, float | None], Awaitable[Any]]


def _statement(method: str, sql: str, args: Sequence[Any]) -> _FirstCall:
    """`_first`'s call of a statement: the driver's `method`, within the timeout if any."""

    def call(driver: Any, timeout: float | None) -> Awaitable[Any]:
        run = getattr(driver, method)
        pending: Awaitable[Any] = (
            run(sql, *args) if timeout is None else run(sql, *args, timeout=timeout)
        )
        return pending

    return call


def _beginning(session: AsyncSession) -> _FirstCall:
    """`_first`'s call that begins the session's transaction (a write's first round trip)."""

    def call(driver: Any, timeout: float | None) -> Awaitable[Any]:
        begin = _driver(session)
        return begin if timeout is None else asyncio.wait_for(begin, timeout)

    return call


async def _answers(session: AsyncSession, within: float) -> bool:
    """Whether the session's server accepts a new connection `within` seconds."""
    bind: Any = session.bind
    url = bind.url.set(drivername="postgresql").render_as_string(hide_password=False)
    try:
        probe = await asyncpg.connect(url, timeout=within)
    except Exception:
        return False
    await probe.close(timeout=within)
    return True


# The statements every request sends (principal, flags, audit rows) and the hot reads run
# on the session's asyncpg connection directly: SQLAlchemy's execution pipeline and its
# greenlet hop cost more CPU than these statements themselves. They are part of the
# session's transaction and end with its commit or rollback. Values come back as asyncpg
# decodes them (UUIDs, dates, JSONB parsed); JSONB parameters are JSON text.


_LOCKING = re.compile(r"\bFOR\s+(UPDATE|SHARE|KEY\s+SHARE|NO\s+KEY\s+UPDATE)\b", re.I)


@lru_cache(maxsize=2048)
def writes(sql: str) -> bool:
    """Whether a statement needs the transaction: anything but a plain SELECT (a `WITH`
    may hold an INSERT) and a SELECT that locks rows (a lock held by a statement of its
    own would end with it), so that a read session begins its transaction before it."""
    return sql.lstrip()[:6].upper() != "SELECT" or _LOCKING.search(sql) is not None


async def fetch(session: AsyncSession, sql: str, *args: Any) -> list[Any]:
    """Rows (asyncpg Records) of `sql` with `$n` parameters, in the session's transaction
    (on a read session, `serve_reads`, a SELECT as a statement of its own)."""
    rows: list[Any] = await _on_driver(session, "fetch", sql, args, begin=writes(sql))
    return rows


async def fetchrow(session: AsyncSession, sql: str, *args: Any) -> Any:
    """The first row of `sql`, or None."""
    return await _on_driver(session, "fetchrow", sql, args, begin=writes(sql))


async def execute(session: AsyncSession, sql: str, *args: Any) -> None:
    """A write, in the session's transaction (begun first on a read session)."""
    await _on_driver(session, "execute", sql, args)


async def execute_alone(session: AsyncSession, sql: str, *args: Any) -> None:
    """A request's closing write: in the session's transaction if one is open, else (a
    read session that wrote nothing before) a transaction by itself, one round trip."""
    await _on_driver(session, "execute", sql, args, begin=False)


async def fetchrow_alone(session: AsyncSession, sql: str, *args: Any) -> Any:
    """`fetchrow` of a statement that writes (a read and its audit row): in the session's
    transaction if one is open, else a transaction by itself, as `execute_alone`."""
    return await _on_driver(session, "fetchrow", sql, args, begin=False)


async def fetchrow_gated(session: AsyncSession, sql: str, *args: Any, alone: bool = False) -> Any:
    """`fetchrow_alone` of a statement that gates its rows on the principal guard itself
    (`services.principals.GUARD_CTE`, its values last): a row checks the principal. In
    the session's transaction on a session that writes (begun first if need be), unless
    `alone`, as `fetchrow_own`."""
    return await _on_driver(
        session, "fetchrow", sql, args, begin=None if alone else False, gated=True
    )


async def fetchrow_own(session: AsyncSession, sql: str, *args: Any) -> Any:
    """`fetchrow` of a statement that is a transaction of its own on any session, a
    write's too (committed as it returns), unless the session's transaction is open."""
    return await _on_driver(session, "fetchrow", sql, args, begin=None)


def transaction_open(session: AsyncSession) -> bool:
    """Whether the session's connection holds a transaction or the ORM a change."""
    driver: Any = session.info.get(DRIVER)
    return (driver is not None and driver.is_in_transaction()) or _orm_pending(session)


async def executemany(session: AsyncSession, sql: str, rows: Sequence[Sequence[Any]]) -> None:
    """`sql` once per row (one row: a plain execute; none: nothing)."""
    if len(rows) == 1:
        await execute(session, sql, *rows[0])
    elif rows:
        await _on_driver(session, "executemany", sql, (rows,))


@event.listens_for(Session, "after_transaction_end")
def _forget_driver(session: Session, transaction: SessionTransaction) -> None:
    # The ORM's connection goes back to the pool when its outermost transaction ends (a
    # request session's own connection stays until the session closes).
    if transaction.parent is None and not transaction.nested and not session.info.get(OWNED):
        session.info.pop(DRIVER, None)
        session.info.pop(POOLED, None)


async def session_scope() -> AsyncIterator[AsyncSession]:
    """One session per request: committed after the endpoint succeeds, else rolled back."""
    async with get_sessionmaker()() as session:
        try:
            yield session
            await session.commit()
        except BaseException:
            await session.rollback()
            raise
