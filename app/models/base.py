"""Declarative base: naming convention, UUID v7 keys, timestamps, optimistic versions."""

from __future__ import annotations

import uuid
from datetime import datetime
from enum import StrEnum
from typing import Any

import uuid_utils
from sqlalchemy import DateTime, Integer, MetaData, String, func
from sqlalchemy.orm import DeclarativeBase, Mapped, MappedColumn, declared_attr, mapped_column

NAMING_CONVENTION = {
    "ix": "ix_%(table_name)s_%(column_0_N_name)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


def new_uuid() -> uuid.UUID:
    """A UUID v7: time-ordered, so inserts land at the right edge of the index."""
    return uuid.UUID(bytes=uuid_utils.uuid7().bytes)


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)


# Marks a column that holds a materialized organisation path (`/1/5/7/`).
ORG_PATH = "org_path"


def org_path_column(*, nullable: bool = False) -> MappedColumn[Any]:
    """A copy of an organisation's materialized path, kept for subtree filters.

    Declaring every such column through here is what registers it: a subtree move
    rewrites exactly the columns `app.models.org_path_columns()` returns, so a path column
    declared any other way would keep the old path and leak the moved branch.
    "C" collation: byte order, so `LIKE 'prefix%'` uses a plain btree index.
    """
    return mapped_column(String(1024, collation="C"), nullable=nullable, info={ORG_PATH: True})


class UUIDPk:
    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=new_uuid)


class Timestamped:
    created_at: Mapped[datetime] = mapped_column(
        DateTime(timezone=True), server_default=func.now(), nullable=False
    )
    updated_at: Mapped[datetime] = mapped_column(
        DateTime(timezone=True), server_default=func.now(), onupdate=func.now(), nullable=False
    )


class Versioned:
    """`version` starts at 1 and is bumped by every UPDATE (SQLAlchemy optimistic locking)."""

    version: Mapped[int] = mapped_column(Integer, nullable=False, default=1)

    @declared_attr.directive
    def __mapper_args__(cls) -> dict[str, object]:  # noqa: N805  # declared_attr gets the class
        return {
            "version_id_col": cls.__table__.c.version,  # type: ignore[attr-defined]  # set once mapped
            # Fetch server-side values (updated_at) with RETURNING instead of lazy loads.
            "eager_defaults": True,
        }


def one_of(column: str, vocabulary: type[StrEnum], *, nullable: bool = False) -> str:
    """The CHECK text that keeps `column` inside `vocabulary` (the enum is the one list)."""
    values = ",".join(f"'{v.value}'" for v in vocabulary)
    check = f"{column} IN ({values})"
    return f"{column} IS NULL OR {check}" if nullable else check
