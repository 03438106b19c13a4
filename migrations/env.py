"""Alembic environment: async, against DATABASE_URL or the embedded server."""

from __future__ import annotations

import asyncio

from alembic import context
from sqlalchemy import pool
from sqlalchemy.engine import Connection
from sqlalchemy.ext.asyncio import create_async_engine

from app.db import sync_database_url, to_async_url
from app.models import Base
from app.models.versions import MIGRATION_SETUP

config = context.config
target_metadata = Base.metadata


def _url() -> str:
    configured = config.attributes.get("database_url")
    return to_async_url(configured or sync_database_url())


def run_migrations_offline() -> None:
    context.configure(url=_url(), target_metadata=target_metadata, literal_binds=True)
    with context.begin_transaction():
        context.execute(MIGRATION_SETUP)
        context.run_migrations()


# Indexes on a collated expression: reflection reports `(name COLLATE "C")` as the bare
# column, so autogenerate would drop and re-add them on every comparison. Kept out of
# the comparison; their migrations create them.
_COLLATED_EXPRESSION_INDEXES = frozenset({"ix_members_name_order"})


def _include_object(
    obj: object, name: str | None, type_: str, reflected: bool, compare_to: object
) -> bool:
    return not (type_ == "index" and name in _COLLATED_EXPRESSION_INDEXES)


def _run(connection: Connection) -> None:
    context.configure(
        connection=connection,
        target_metadata=target_metadata,
        compare_type=True,
        include_object=_include_object,
    )
    with context.begin_transaction():
        context.execute(MIGRATION_SETUP)
        context.run_migrations()


async def run_migrations_online() -> None:
    connection = config.attributes.get("connection")
    if connection is not None:
        _run(connection)
        return
    engine = create_async_engine(_url(), poolclass=pool.NullPool)
    async with engine.connect() as conn:
        await conn.run_sync(_run)
    await engine.dispose()


if context.is_offline_mode():
    run_migrations_offline()
else:
    asyncio.run(run_migrations_online())
