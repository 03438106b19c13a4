"""Engine, request-scoped sessions and the embedded PostgreSQL.

With no ``DATABASE_URL`` the app starts a private PostgreSQL (``pgserver``)
under ``DANGJIAN_DATA_DIR`` so a newcomer needs nothing installed.
"""

from __future__ import annotations

import warnings
from collections.abc import AsyncIterator, Callable, Sequence
from dataclasses import dataclass
from enum import StrEnum
from functools import lru_cache
from typing import Any

from sqlalchemy import ClauseElement, event
from sqlalchemy.dialects.postgresql.asyncpg import PGDialect_asyncpg
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import (
    AsyncEngine,
    AsyncSession,
    async_sessionmaker,
    create_async_engine,
)
from sqlalchemy.orm import Session, SessionTransaction

from app.config import Settings, get_settings

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
    return create_async_engine(
        to_async_url(url),
        pool_size=settings.db_pool_size,
        max_overflow=settings.db_max_overflow,
        pool_pre_ping=settings.db_pool_pre_ping,
        pool_recycle=settings.db_pool_recycle_seconds,
        connect_args={
            "statement_cache_size": settings.db_statement_cache_size,
            # jit off: a ranking that places the caller ("me") is costed high enough to
            # be JIT-compiled, which took ~385 ms to save nothing (measured at 1M).
            "server_settings": {"application_name": "dangjian", "timezone": "UTC", "jit": "off"},
        },
    )


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

# Called with (sql, args, many) before each statement sent through the helpers below;
# tests count statements and the benchmark replays them, beside SQLAlchemy's own
# `before_cursor_execute` for everything else.
driver_statement_hooks: list[Callable[[str, Sequence[Any], bool], None]] = []


async def _driver(session: AsyncSession) -> Any:
    """The session's asyncpg connection, inside the session's transaction."""
    cached = session.sync_session.info.get(_DRIVER)
    if cached is not None:
        return cached
    connection = await session.connection()
    raw = await connection.get_raw_connection()
    asyncpg_connection: Any = raw.driver_connection
    if not asyncpg_connection.is_in_transaction():
        # SQLAlchemy's asyncpg adapter begins lazily, on its first statement; begin now,
        # through the adapter, so that its commit and rollback end this transaction.
        start = getattr(raw.dbapi_connection, "_start_transaction", None)
        if start is not None:
            await start()
        else:  # an adapter without that (private) method: let a statement begin it
            await connection.exec_driver_sql("SELECT 1")
    session.sync_session.info[_DRIVER] = asyncpg_connection
    return asyncpg_connection


def _announce(sql: str, args: Sequence[Any], many: bool = False) -> None:
    for hook in driver_statement_hooks:
        hook(sql, args, many)


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
    """

    sql: str
    names: tuple[str, ...]
    defaults: tuple[Any, ...]

    @classmethod
    def compile(cls, statement: ClauseElement) -> DriverStatement:
        dialect = PGDialect_asyncpg()  # type: ignore[no-untyped-call]  # untyped in SQLAlchemy
        compiled: Any = statement.compile(
            dialect=dialect, compile_kwargs={"render_postcompile": True}
        )
        names = tuple(compiled.positiontup or ())
        defaults = tuple(
            str(v) if isinstance(v, StrEnum) else v for v in (compiled.params[n] for n in names)
        )
        return cls(str(compiled), names, defaults)

    def args(self, **values: Any) -> tuple[Any, ...]:
        return tuple(
            values.get(name, default)
            for name, default in zip(self.names, self.defaults, strict=True)
        )


async def fetch(session: AsyncSession, sql: str, *args: Any) -> list[Any]:
    """Rows (asyncpg Records) of `sql` with `$n` parameters, in the session's transaction."""
    _announce(sql, args)
    rows: list[Any] = await (await _driver(session)).fetch(sql, *args)
    return rows


async def fetchrow(session: AsyncSession, sql: str, *args: Any) -> Any:
    """The first row of `sql`, or None."""
    _announce(sql, args)
    return await (await _driver(session)).fetchrow(sql, *args)


async def execute(session: AsyncSession, sql: str, *args: Any) -> None:
    _announce(sql, args)
    await (await _driver(session)).execute(sql, *args)


async def executemany(session: AsyncSession, sql: str, rows: Sequence[Sequence[Any]]) -> None:
    """`sql` once per row (one row: a plain execute; none: nothing)."""
    if len(rows) == 1:
        await execute(session, sql, *rows[0])
    elif rows:
        _announce(sql, rows, True)
        await (await _driver(session)).executemany(sql, rows)


@event.listens_for(Session, "after_transaction_end")
def _forget_driver(session: Session, transaction: SessionTransaction) -> None:
    # The connection goes back to the pool when the outermost transaction ends.
    if transaction.parent is None and not transaction.nested:
        session.info.pop(_DRIVER, None)


async def session_scope() -> AsyncIterator[AsyncSession]:
    """One session per request: committed after the endpoint succeeds, else rolled back."""
    async with get_sessionmaker()() as session:
        try:
            yield session
            await session.commit()
        except BaseException:
            await session.rollback()
            raise


# Registers the flush hook that writes every tracked change to the outbox.
import app.services.changes  # noqa: E402, F401
