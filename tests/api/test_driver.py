"""Statements on the asyncpg connection (app.db) belong to the session's transaction."""

from __future__ import annotations

import uuid

from sqlalchemy import text

from app import db
from app.db import get_sessionmaker

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
