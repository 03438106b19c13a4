"""Kept member counts (`GET /organisations/{id}/stats` without scanning the subtree).

A snapshot (`member_stat_snapshots`, one row per day it answers for) is a set of
rollups: for every organisation's subtree *path*, the members by status, category,
gender, education and the age band on that day. It is built in one statement by
`dangjian worker` (or `dangjian stats-snapshot`), never by the application's writers.
Every change to a member after the snapshot is a pair of rows in `member_stat_deltas`,
written by a trigger on `members` (migration 0030), whatever wrote the member.

Both path columns hold the path *as it was* when the row was written, and are
deliberately not registered for subtree moves (`org_path_column`): a rollup counts
the members filed under a path at the snapshot; a move rewrites `members.org_path`,
which the trigger records as -1 under the old path and +1 under the new one, so the
old ancestors lose the branch and the new ones gain it without touching a rollup.
"""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import BigInteger, Date, DateTime, Index, Integer, String, func
from sqlalchemy.orm import Mapped, mapped_column

from app.models.base import Base

# The path type of `org_path_column`, without its registration (see the module doc).
_PATH = String(1024, collation="C")


class MemberStatSnapshot(Base):
    """A day the rollups answer for (the age bands are those of that day). Each build
    writes new snapshots (new ids) and deletes the old ones, so its rollups never share
    a key with the rows it deletes: neither the unique checks of the insert nor the
    reads walk the dead rows of the previous build until vacuum removes them."""

    __tablename__ = "member_stat_snapshots"

    id: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=True)
    day: Mapped[date] = mapped_column(Date, nullable=False, unique=True)
    built_at: Mapped[datetime] = mapped_column(
        DateTime(timezone=True), server_default=func.now(), nullable=False
    )
    # Member records counted, and deltas folded into it, for the operator.
    members: Mapped[int] = mapped_column(Integer, nullable=False)
    folded: Mapped[int] = mapped_column(Integer, nullable=False)


class MemberStatRollup(Base):
    """Members of the subtree at `path` with these values, in a snapshot (its day)."""

    __tablename__ = "member_stat_rollups"

    # The snapshot's id; no foreign key: the build writes tens of thousands of rows
    # per snapshot in the transaction that made it, and deletes them with it.
    snapshot_id: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    path: Mapped[str] = mapped_column(_PATH, primary_key=True)
    status: Mapped[str] = mapped_column(String(16), primary_key=True)
    category: Mapped[str] = mapped_column(String(16), primary_key=True)
    gender: Mapped[str] = mapped_column(String(8), primary_key=True)
    education: Mapped[str] = mapped_column(String(32), primary_key=True)
    band: Mapped[str] = mapped_column(String(8), primary_key=True)
    n: Mapped[int] = mapped_column(Integer, nullable=False)


class MemberStatDelta(Base):
    """+1 (a member's values now) or -1 (its values before) since the snapshot: the
    member's counted columns as they are on `members` (education may be NULL)."""

    __tablename__ = "member_stat_deltas"

    id: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=True)
    org_path: Mapped[str] = mapped_column(_PATH, nullable=False)
    status: Mapped[str] = mapped_column(String(16), nullable=False)
    category: Mapped[str] = mapped_column(String(16), nullable=False)
    gender: Mapped[str] = mapped_column(String(8), nullable=False)
    education: Mapped[str | None] = mapped_column(String(32))
    birth_date: Mapped[date] = mapped_column(Date, nullable=False)
    n: Mapped[int] = mapped_column(Integer, nullable=False)

    __table_args__ = (
        Index(
            "ix_member_stat_deltas_org_path",
            "org_path",
            postgresql_include=["status", "category", "gender", "education", "birth_date", "n"],
        ),
    )
