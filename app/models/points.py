"""Points (积分制): yearly schemes, versioned rule items, an append-only ledger."""

from __future__ import annotations

import uuid
from datetime import date, datetime
from typing import Any

from sqlalchemy import (
    Boolean,
    CheckConstraint,
    Date,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    SmallInteger,
    String,
    UniqueConstraint,
    func,
    text,
)
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import Mapped, mapped_column

from app.models.base import Base, Timestamped, UUIDPk, Versioned, one_of, org_path_column
from app.models.enums import EntrySource, EntryState, Grade, PointCategory


class PointScheme(UUIDPk, Versioned, Timestamped, Base):
    """An organisation's yearly scheme; the nearest ancestor's applies to a member."""

    __tablename__ = "point_schemes"

    org_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("organisations.id", ondelete="CASCADE"), nullable=False
    )
    org_path: Mapped[str] = org_path_column()
    year: Mapped[int] = mapped_column(SmallInteger, nullable=False)
    base: Mapped[int] = mapped_column(Integer, nullable=False)
    # [{"min": 96, "label": "五星"}, ...]
    grade_bands: Mapped[list[dict[str, Any]]] = mapped_column(JSONB, nullable=False, default=list)

    __table_args__ = (UniqueConstraint("org_id", "year", name="uq_point_schemes_org_year"),)


class PointRule(UUIDPk, Versioned, Timestamped, Base):
    """A rule item (积分细则). Each change is kept as a PointRuleVersion."""

    __tablename__ = "point_rules"

    org_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("organisations.id", ondelete="CASCADE"), index=True, nullable=False
    )
    org_path: Mapped[str] = org_path_column()
    parent_rule_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("point_rules.id", ondelete="RESTRICT")
    )
    code: Mapped[str] = mapped_column(String(64), nullable=False)
    name: Mapped[str] = mapped_column(String(200), nullable=False)
    category: Mapped[str] = mapped_column(String(16), nullable=False)
    points: Mapped[int] = mapped_column(Integer, nullable=False)
    cap_month: Mapped[int | None] = mapped_column(Integer)
    cap_year: Mapped[int | None] = mapped_column(Integer)
    needs_approval: Mapped[bool] = mapped_column(Boolean, nullable=False, default=True)
    needs_evidence: Mapped[bool] = mapped_column(Boolean, nullable=False, default=False)
    # Automatic scoring: "meeting.present", "meeting.absent", "service.hours", ...
    trigger: Mapped[str | None] = mapped_column(String(32))
    active: Mapped[bool] = mapped_column(Boolean, nullable=False, default=True)

    __table_args__ = (
        UniqueConstraint("org_id", "code", name="uq_point_rules_org_code"),
        CheckConstraint(one_of("category", PointCategory), name="category_known"),
        CheckConstraint("points > 0", name="points_positive"),
        CheckConstraint("cap_month IS NULL OR cap_month > 0", name="cap_month_positive"),
        CheckConstraint("cap_year IS NULL OR cap_year > 0", name="cap_year_positive"),
        Index(
            "ix_point_rules_org_path", "org_path", postgresql_ops={"org_path": "text_pattern_ops"}
        ),
    )


class PointRuleVersion(Base):
    __tablename__ = "point_rule_versions"

    rule_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("point_rules.id", ondelete="CASCADE"), primary_key=True
    )
    version: Mapped[int] = mapped_column(Integer, primary_key=True)
    snapshot: Mapped[dict[str, Any]] = mapped_column(JSONB, nullable=False)
    recorded_at: Mapped[datetime] = mapped_column(
        DateTime(timezone=True), server_default=func.now(), nullable=False
    )


class PointEntry(UUIDPk, Timestamped, Base):
    """One ledger line. Never edited except for its state; corrections reverse it."""

    __tablename__ = "point_entries"

    member_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("members.id", ondelete="RESTRICT"), nullable=False
    )
    org_path: Mapped[str] = org_path_column()
    rule_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("point_rules.id", ondelete="RESTRICT"), index=True, nullable=False
    )
    rule_version: Mapped[int] = mapped_column(Integer, nullable=False)
    category: Mapped[str] = mapped_column(String(16), nullable=False)
    points: Mapped[int] = mapped_column(Integer, nullable=False)
    occurred_on: Mapped[date] = mapped_column(Date, nullable=False)
    year: Mapped[int] = mapped_column(SmallInteger, nullable=False)
    source: Mapped[str] = mapped_column(String(16), nullable=False)
    # The source of the points (a form's key, a meeting, a service record): unique per
    # member, so one source never scores the same member twice and a subtree's keys say
    # nothing about another's.
    source_key: Mapped[str] = mapped_column(String(200), nullable=False)
    state: Mapped[str] = mapped_column(String(16), nullable=False)
    note: Mapped[str | None] = mapped_column(String(500))
    evidence: Mapped[str | None] = mapped_column(String(500))
    created_by: Mapped[uuid.UUID | None] = mapped_column()
    decided_by: Mapped[uuid.UUID | None] = mapped_column()
    decided_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    decision_reason: Mapped[str | None] = mapped_column(String(500))
    reverses_entry_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("point_entries.id", ondelete="RESTRICT")
    )

    __table_args__ = (
        # The orders its list offers (`?sort=`), walked page by page (test_list_order_indexes).
        Index("ix_point_entries_created_at_id", "created_at", "id"),
        CheckConstraint(one_of("state", EntryState), name="state_known"),
        CheckConstraint(one_of("source", EntrySource), name="source_known"),
        UniqueConstraint("member_id", "source_key"),
        Index("ix_point_entries_member_year", "member_id", "year", "state"),
        # The entries of a year dated after a day (`ranking.points_dated_after`): what a
        # kept year total holds that the points as of that day do not.
        Index("ix_point_entries_year_occurred_on", "year", "occurred_on"),
        Index(
            "ix_point_entries_org_path_year",
            "org_path",
            "year",
            postgresql_ops={"org_path": "text_pattern_ops"},
        ),
    )


class ReviewGrade(Base):
    """A democratic-review grade (民主评议等次) confirmed by a person."""

    __tablename__ = "review_grades"

    member_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("members.id", ondelete="CASCADE"), primary_key=True
    )
    year: Mapped[int] = mapped_column(SmallInteger, primary_key=True)
    grade: Mapped[str] = mapped_column(String(32), nullable=False)
    suggested: Mapped[str | None] = mapped_column(String(32))
    confirmed_by: Mapped[uuid.UUID | None] = mapped_column()
    confirmed_at: Mapped[datetime] = mapped_column(
        DateTime(timezone=True), server_default=func.now(), nullable=False
    )

    __table_args__ = (
        CheckConstraint(
            one_of("grade", Grade),
            name="grade_known",
        ),
    )


class PointTotal(Base):
    """Approved points per member and year (积分合计), for rankings.

    Kept by database triggers (migration 0012), never by the application: every
    INSERT, UPDATE or DELETE on `point_entries` adds the change in approved points,
    and every UPDATE on `members` carries a changed `org_path` over, so a subtree's
    totals are one index range like its members.
    """

    __tablename__ = "point_totals"

    member_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("members.id", ondelete="CASCADE"), primary_key=True
    )
    year: Mapped[int] = mapped_column(SmallInteger, primary_key=True)
    org_path: Mapped[str] = org_path_column()
    points: Mapped[int] = mapped_column(Integer, nullable=False)

    __table_args__ = (
        Index(
            "ix_point_totals_org_path_year",
            "org_path",
            "year",
            postgresql_include=["member_id", "points"],
        ),
        # A year's totals in ranking order: a ranking's top places are read from the head
        # of this walk, whatever the subtree's size (ranking.TOP_SQL).
        Index(
            "ix_point_totals_year_points",
            "year",
            text("points DESC"),
            "member_id",
            postgresql_include=["org_path"],
        ),
    )
