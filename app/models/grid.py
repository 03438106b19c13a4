"""Grids (网格化党建) and community reporting of employed members (双报到)."""

from __future__ import annotations

import uuid
from datetime import date, datetime
from typing import Any

from sqlalchemy import (
    CheckConstraint,
    Date,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    SmallInteger,
    String,
    func,
    text,
)
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import Mapped, mapped_column

from app.models.base import Base, Timestamped, UUIDPk, Versioned, one_of, org_path_column
from app.models.enums import (
    CommunityReportState,
    GridKind,
    ReviewStatus,
    ServiceRecordState,
)


class Grid(UUIDPk, Versioned, Timestamped, Base):
    __tablename__ = "grids"

    code: Mapped[str] = mapped_column(String(64), unique=True, nullable=False)
    name: Mapped[str] = mapped_column(String(200), nullable=False)
    kind: Mapped[str] = mapped_column(String(8), nullable=False)
    org_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("organisations.id", ondelete="RESTRICT"), index=True, nullable=False
    )
    org_path: Mapped[str] = org_path_column()
    covering_org_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("organisations.id", ondelete="SET NULL")
    )
    boundary: Mapped[str | None] = mapped_column(String(1000))
    households: Mapped[int] = mapped_column(Integer, nullable=False, default=0)
    population: Mapped[int] = mapped_column(Integer, nullable=False, default=0)
    buildings: Mapped[list[dict[str, Any]]] = mapped_column(JSONB, nullable=False, default=list)
    leader_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("members.id", ondelete="SET NULL")
    )

    __table_args__ = (
        CheckConstraint(one_of("kind", GridKind), name="kind_known"),
        CheckConstraint("households >= 0 AND population >= 0", name="counts_positive"),
        Index("ix_grids_org_path", "org_path", postgresql_ops={"org_path": "text_pattern_ops"}),
    )


class GridResident(Base):
    """A member assigned to the grid they live in: at most one grid per member."""

    __tablename__ = "grid_residents"

    member_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("members.id", ondelete="CASCADE"), primary_key=True
    )
    grid_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("grids.id", ondelete="CASCADE"), index=True, nullable=False
    )
    # 党员中心户: the households this member serves, if they are a central household.
    served_households: Mapped[list[str]] = mapped_column(JSONB, nullable=False, default=list)


class CommunityReport(UUIDPk, Versioned, Timestamped, Base):
    """An employed member's registration with the community where they live (双报到)."""

    __tablename__ = "community_reports"

    member_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("members.id", ondelete="CASCADE"), index=True, nullable=False
    )
    member_path: Mapped[str] = org_path_column()
    community_org_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("organisations.id", ondelete="RESTRICT"), nullable=False
    )
    community_path: Mapped[str] = org_path_column()
    registered_on: Mapped[date] = mapped_column(Date, nullable=False)
    state: Mapped[str] = mapped_column(String(8), nullable=False, default="active")
    review_year: Mapped[int | None] = mapped_column(SmallInteger)
    review_status: Mapped[str | None] = mapped_column(String(16))
    reviewed_on: Mapped[date | None] = mapped_column(Date)

    __table_args__ = (
        CheckConstraint(one_of("state", CommunityReportState), name="state_known"),
        CheckConstraint(one_of("review_status", ReviewStatus, nullable=True), name="review_known"),
        Index(
            "uq_community_reports_one_active",
            "member_id",
            unique=True,
            postgresql_where=text("state = 'active'"),
        ),
        Index(
            "ix_community_reports_member_path",
            "member_path",
            postgresql_ops={"member_path": "text_pattern_ops"},
        ),
        Index(
            "ix_community_reports_community_path",
            "community_path",
            postgresql_ops={"community_path": "text_pattern_ops"},
        ),
    )


class ServiceRecord(UUIDPk, Base):
    """Volunteer service logged by the member and confirmed by the community."""

    __tablename__ = "service_records"

    report_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("community_reports.id", ondelete="CASCADE"), index=True, nullable=False
    )
    occurred_on: Mapped[date] = mapped_column(Date, nullable=False)
    # Tenths of an hour: 2.5 hours is 25.
    tenths: Mapped[int] = mapped_column(Integer, nullable=False)
    description: Mapped[str] = mapped_column(String(1000), nullable=False)
    state: Mapped[str] = mapped_column(String(16), nullable=False, default="pending")
    decided_by: Mapped[uuid.UUID | None] = mapped_column()
    decided_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    recorded_at: Mapped[datetime] = mapped_column(
        DateTime(timezone=True), server_default=func.now(), nullable=False
    )

    __table_args__ = (
        CheckConstraint(one_of("state", ServiceRecordState), name="state_known"),
        CheckConstraint("tenths > 0 AND tenths <= 240", name="tenths_range"),
    )
