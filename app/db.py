"""Engine, request-scoped sessions and the embedded PostgreSQL.

With no ``DATABASE_URL`` the app starts a private PostgreSQL (``pgserver``)
under ``DANGJIAN_DATA_DIR`` so a newcomer needs nothing installed.
"""

from __future__ import annotations

import re
import warnings
from collections.abc import AsyncIterator, Callable, Sequence
from contextlib import asynccontextmanager, suppress
from contextvars import ContextVar
from dataclasses import dataclass
from enum import StrEnum
from functools import cached_property, lru_cache
from typing import Any

from asyncpg.exceptions import QueryCanceledError
from sqlalchemy import ClauseElement, event, text
from sqlalchemy.dialects.postgresql.asyncpg import PGDialect_asyncpg
from sqlalchemy.engine import make_url
from sqlalchemy.exc import DisconnectionError
from sqlalchemy.ext.asyncio import (
    AsyncEngine,
    AsyncSession,
    async_sessionmaker,
    create_async_engine,
)
from sqlalchemy.orm import Session, SessionTransaction
from sqlalchemy.util.concurrency import await_, greenlet_spawn

from app.config import Settings, get_settings
from app.errors import DatabaseUnavailable, database_unavailable
from app.subtree import fill_prefixes, prefix_mark

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
        _ping_at_checkout(engine, settings.db_ping_timeout_seconds)
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


_FRESH = "dangjian.fresh"
# A pooled connection handed out without its ping, to be checked by the first statement
# (`fetchrow_first`): the ping's timeout. Set by the checkout of that statement only.
_UNCHECKED = "dangjian.unchecked"
_first_statement_checks: ContextVar[bool] = ContextVar("dangjian_first_checks", default=False)


def _ping_at_checkout(engine: AsyncEngine, timeout: float) -> None:
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
        record.info[_FRESH] = True

    def ping(dbapi_connection: Any, record: Any, proxy: Any) -> None:
        record.info.pop(_UNCHECKED, None)
        if record.info.pop(_FRESH, False):
            return
        if _first_statement_checks.get():
            record.info[_UNCHECKED] = timeout
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


@lru_cache
def get_engine() -> AsyncEngine:
    settings = get_settings()
    return build_engine(sync_database_url(settings), settings)


@lru_cache
def get_sessionmaker() -> async_sessionmaker[AsyncSession]:
    return async_sessionmaker(get_engine(), expire_on_commit=False, autoflush=False)


@lru_cache
def get_replica_sessionmaker() -> async_sessionmaker[AsyncSession] | None:
    """Sessions on `DATABASE_REPLICA_URL`, for list and report reads; None without a replica."""
    settings = get_settings()
    if not settings.database_replica_url:
        return None
    engine = build_engine(settings.database_replica_url, settings)
    return async_sessionmaker(engine, expire_on_commit=False, autoflush=False)


_DRIVER = "dangjian.driver_connection"
_ADAPTER = "dangjian.driver_adapter"
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
    session.sync_session.info[_READS] = True


def nothing_to_commit(session: AsyncSession) -> bool:
    """Whether a commit would send nothing: the session's connection, reached by the
    driver helpers, holds no transaction (a read session's statements were each their
    own) and no ORM change waits for a flush. The route then only closes the session,
    which skips SQLAlchemy's commit machinery (a tenth of a member read's CPU)."""
    sync = session.sync_session
    driver: Any = sync.info.get(_DRIVER)
    if driver is None or driver.is_in_transaction():
        return False
    return not (sync.new or sync.dirty or sync.deleted)


async def _driver(session: AsyncSession, *, begin: bool = True, alone: bool = False) -> Any:
    """The session's asyncpg connection, inside the session's transaction (begun now if
    need be); with `begin=False` on a read session (`serve_reads`), as it is; with
    `alone`, as it is on any session."""
    info = session.sync_session.info
    driver: Any = info.get(_DRIVER)
    if driver is None:
        raw = await greenlet_spawn(_pooled_connection, session.sync_session)
        driver = raw.driver_connection
        info[_DRIVER] = driver
        info[_ADAPTER] = raw
    if alone or driver.is_in_transaction() or (not begin and info.get(_READS)):
        return driver
    raw = info[_ADAPTER]
    # SQLAlchemy's asyncpg adapter begins lazily, on its first statement; begin now,
    # through the adapter, so that its commit and rollback end this transaction.
    start = getattr(raw.dbapi_connection, "_start_transaction", None)
    if start is not None:
        await start()
    else:  # an adapter without that (private) method: let a statement begin it
        await (await session.connection()).exec_driver_sql("SELECT 1")
    return driver


def _pooled_connection(session: Session) -> Any:
    """The session's pooled DBAPI connection, checked out now if need be (one hop into
    SQLAlchemy's greenlet, not one for the connection and one for its DBAPI side)."""
    return session.connection().connection


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
    session.sync_session.info.pop(_DRIVER, None)
    session.sync_session.info.pop(_ADAPTER, None)
    connection = await session.connection()
    if older:
        raw = await connection.get_raw_connection()
        # What SQLAlchemy itself does on a disconnect: mark the pool so that connections
        # older than now are replaced at checkout, then invalidate this one.
        connection.sync_engine.pool._invalidate(raw, exc, _checkin=False)
    await connection.invalidate(exc)


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


@asynccontextmanager
async def _on_driver(session: AsyncSession, *, begin: bool = True) -> AsyncIterator[Any]:
    """The session's driver connection. A database found gone on it (or while beginning
    its transaction) invalidates the pool and is raised as `DatabaseUnavailable` (503)."""
    try:
        yield await _driver(session, begin=begin)
    except Exception as exc:
        raise await _unavailable(session, exc) from exc


async def fetchrow_first(session: AsyncSession, sql: str, *args: Any) -> Any:
    """The first row of a request's first statement, a quick read (the caller's login),
    run on its own before any transaction. It stands in for the checkout ping, one round
    trip fewer per request: a pooled connection handed out for it is not pinged, the
    statement gets the ping's timeout instead (a frozen server: 503 within it), and a
    connection found closed (the server restarted since its last use) is replaced, with
    every older one, and the statement run again on a new connection: a restart still
    costs no request."""
    _announce(sql, args)
    token = _first_statement_checks.set(True)
    try:
        driver = await _driver(session, alone=True)
    except Exception as exc:
        raise await _unavailable(session, exc) from exc
    finally:
        _first_statement_checks.reset(token)
    timeout = session.sync_session.info[_ADAPTER].info.pop(_UNCHECKED, None)
    try:
        if timeout is None:
            return await driver.fetchrow(sql, *args)
        try:
            return await driver.fetchrow(sql, *args, timeout=timeout)
        except TimeoutError as exc:
            driver.terminate()  # a graceful close would wait for the silent server
            with suppress(Exception):  # the others are checked by their own first use
                await _invalidate_after_outage(session, exc, older=False)
            raise DatabaseUnavailable() from exc
        except Exception as exc:
            if not database_unavailable(exc):
                raise
            with suppress(Exception):  # the statement runs again on a new connection
                await _invalidate_after_outage(session, exc)
                await session.rollback()
        return await (await _driver(session, alone=True)).fetchrow(sql, *args)
    except Exception as exc:
        raise await _unavailable(session, exc) from exc


# The statements every request sends (principal, flags, audit rows) and the hot reads run
# on the session's asyncpg connection directly: SQLAlchemy's execution pipeline and its
# greenlet hop cost more CPU than these statements themselves. They are part of the
# session's transaction and end with its commit or rollback. Values come back as asyncpg
# decodes them (UUIDs, dates, JSONB parsed); JSONB parameters are JSON text.


@dataclass(frozen=True)
class DriverStatement:
    """A SQLAlchemy statement compiled once to asyncpg's SQL (`$n`) and parameter order.

    Building and compiling a statement per request (cache-key walk, parameter
    processing) costs more than running it; hot statements are compiled at first use
    and only their values are bound per call. Values the statement carries itself
    (literals, constants) are kept; `args(**values)` fills the named bind parameters.
    Subtree prefixes (`scope.prefix_param`) are not parameters: `bind(**values)` writes
    them into the text, so each subtree has its own prepared statement and plan.
    """

    sql: str
    names: tuple[str, ...]
    defaults: tuple[Any, ...]
    prefixes: tuple[str, ...] = ()

    @classmethod
    def compile(cls, statement: ClauseElement) -> DriverStatement:
        dialect = PGDialect_asyncpg()  # type: ignore[no-untyped-call]  # untyped in SQLAlchemy
        compiled: Any = statement.compile(dialect=dialect)
        # Named prefixes without a value (`prefix_param`) come per call; one with a value
        # (`under(column, root)`) stays the literal it was built with.
        literal = compiled.literal_execute_params
        prefixes = tuple(sorted({p.key for p in literal if p.value is None}))
        # Late-rendered values (IN lists, subtree prefixes) rendered once; each prefix as its
        # mark, which `bind` fills per call (`subtree.fill_prefixes`). Parameters without a
        # value stay parameters (their values come per call).
        values = {k: None for k, p in compiled.binds.items() if p.required}
        values.update({n: prefix_mark(n).strip("'") for n in prefixes})
        state = compiled.construct_expanded_state(values, escape_names=False)
        names = tuple(state.positiontup or ())
        defaults = tuple(
            str(v) if isinstance(v, StrEnum) else v for v in (state.parameters[n] for n in names)
        )
        sql = state.statement
        if any(prefix_mark(n) not in sql for n in prefixes):
            raise ValueError(f"a subtree prefix of {prefixes} was not rendered as its mark")
        return cls(sql, names, defaults, prefixes)

    def args(self, **values: Any) -> tuple[Any, ...]:
        """The arguments in `$n` order: the statement's own values, with `values` put at
        the positions of their names (a statement may hold a hundred constants and one
        id: only the id's positions are written)."""
        out = list(self.defaults)
        positions = self._positions
        for name, value in values.items():
            for index in positions.get(name, ()):
                out[index] = value
        return tuple(out)

    @cached_property
    def _positions(self) -> dict[str, tuple[int, ...]]:
        found: dict[str, list[int]] = {}
        for index, name in enumerate(self.names):
            found.setdefault(name, []).append(index)
        return {name: tuple(indexes) for name, indexes in found.items()}

    def bind(self, **values: Any) -> tuple[str, tuple[Any, ...]]:
        """The statement's text with its subtree prefixes, and its arguments."""
        sql = fill_prefixes(self.sql, {n: values[n] for n in self.prefixes})
        return sql, self.args(**values)


_LOCKING = re.compile(r"\bFOR\s+(UPDATE|SHARE|KEY\s+SHARE|NO\s+KEY\s+UPDATE)\b", re.I)


@lru_cache(maxsize=2048)
def _writes(sql: str) -> bool:
    """Whether a statement needs the transaction: anything but a plain SELECT (a `WITH`
    may hold an INSERT) and a SELECT that locks rows (a lock held by a statement of its
    own would end with it), so that a read session begins its transaction before it."""
    return sql.lstrip()[:6].upper() != "SELECT" or _LOCKING.search(sql) is not None


async def fetch(session: AsyncSession, sql: str, *args: Any) -> list[Any]:
    """Rows (asyncpg Records) of `sql` with `$n` parameters, in the session's transaction
    (on a read session, `serve_reads`, a SELECT as a statement of its own)."""
    _announce(sql, args)
    async with _on_driver(session, begin=_writes(sql)) as driver:
        rows: list[Any] = await driver.fetch(sql, *args)
    return rows


async def fetchrow(session: AsyncSession, sql: str, *args: Any) -> Any:
    """The first row of `sql`, or None."""
    _announce(sql, args)
    async with _on_driver(session, begin=_writes(sql)) as driver:
        return await driver.fetchrow(sql, *args)


async def execute(session: AsyncSession, sql: str, *args: Any) -> None:
    """A write, in the session's transaction (begun first on a read session)."""
    _announce(sql, args)
    async with _on_driver(session) as driver:
        await driver.execute(sql, *args)


async def execute_alone(session: AsyncSession, sql: str, *args: Any) -> None:
    """A request's closing write: in the session's transaction if one is open, else (a
    read session that wrote nothing before) a transaction by itself, one round trip."""
    _announce(sql, args)
    async with _on_driver(session, begin=False) as driver:
        await driver.execute(sql, *args)


async def executemany(session: AsyncSession, sql: str, rows: Sequence[Sequence[Any]]) -> None:
    """`sql` once per row (one row: a plain execute; none: nothing)."""
    if len(rows) == 1:
        await execute(session, sql, *rows[0])
    elif rows:
        _announce(sql, rows, True)
        async with _on_driver(session) as driver:
            await driver.executemany(sql, rows)


@event.listens_for(Session, "after_transaction_end")
def _forget_driver(session: Session, transaction: SessionTransaction) -> None:
    # The connection goes back to the pool when the outermost transaction ends.
    if transaction.parent is None and not transaction.nested:
        session.info.pop(_DRIVER, None)
        session.info.pop(_ADAPTER, None)


async def session_scope() -> AsyncIterator[AsyncSession]:
    """One session per request: committed after the endpoint succeeds, else rolled back."""
    async with get_sessionmaker()() as session:
        try:
            yield session
            await session.commit()
        except BaseException:
            await session.rollback()
            raise


@asynccontextmanager
async def work_mem(session: AsyncSession, size: str) -> AsyncIterator[None]:
    """`work_mem` raised to `size` (`'64MB'`) for the statements run inside, in this
    transaction only, then put back (a failed statement ends the transaction, which
    puts it back): for one aggregation the planner would otherwise sort and spill to
    disk."""
    previous = await session.scalar(text("SELECT current_setting('work_mem')"))
    await session.execute(text("SELECT set_config('work_mem', :size, true)"), {"size": size})
    yield
    await session.execute(text("SELECT set_config('work_mem', :size, true)"), {"size": previous})
