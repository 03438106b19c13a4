"""Table versions: a counter per table that every committed write to it moves on.

Triggers on the table (INSERT, UPDATE, DELETE, COPY included, and TRUNCATE) bump its row
once in the writing transaction, as it commits (migration 0033: the row is locked only
while a writer commits), so a reader sees the counter of exactly the writes its snapshot
sees. `app.services.kept_answers` stamps an answer
with the version it was read at and serves it again while the version is unchanged.
Every bump also draws a new random `epoch`, so a version never comes back: not after a
truncated `table_versions`, nor after a failover or restore that lost commits and counts
the same numbers again.
"""

from __future__ import annotations

import uuid

from sqlalchemy import BigInteger, String, text
from sqlalchemy.orm import Mapped, mapped_column

from app.models.base import Base

# The tables whose writes move their version (the migration gives each its trigger;
# `tests/api/test_kept_answers.py` checks every one has it).
VERSIONED_TABLES: tuple[str, ...] = ("organisations",)

# Run first in every migration's transaction (migrations/env.py): a versioned table's
# row trigger is deferred to COMMIT, and PostgreSQL refuses to ALTER, index or TRUNCATE a
# table with trigger events still pending, so a migration that writes a versioned table
# and then changes it would fail. Fired at once, the events are never pending.
MIGRATION_SETUP = "SET CONSTRAINTS ALL IMMEDIATE"


class TableVersion(Base):
    __tablename__ = "table_versions"

    table_name: Mapped[str] = mapped_column(String(63), primary_key=True)
    epoch: Mapped[uuid.UUID] = mapped_column(server_default=text("gen_random_uuid()"))
    counter: Mapped[int] = mapped_column(BigInteger, server_default=text("0"))
