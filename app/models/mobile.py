"""Mobile members (流动党员): outflow/inflow episodes and check-ins."""

from __future__ import annotations

import uuid
from datetime import date, datetime

from sqlalchemy import (
    Boolean,
    CheckConstraint,
    ColumnElement,
    Date,
    DateTime,
    ForeignKey,
    Index,
    LargeBinary,
    SmallInteger,
    String,
    func,
    text,
)
from sqlalchemy.orm import Mapped, mapped_column

from app.models.base import Base, Timestamped, UUIDPk, Versioned, one_of, org_path_column
from app.models.enums import CheckInKind, EpisodeState, ReportedBy
from app.models.sql import in_text_each

# An episode is open (the member is away) in these states: one open episode per member.
OPEN_EPISODE_STATES = (EpisodeState.registered.value, EpisodeState.hosted.value)


def episode_open() -> ColumnElement[bool]:
    """SQL: the episode is open. The states are written into the statement's text, not
    bound: a cached generic plan can then prove the predicate of the partial index
    `uq_mobile_episodes_one_open_per_member` as a custom plan does. With the states
    bound, a table whose column statistics are missing (`reltuples` set by a VACUUM,
    no ANALYZE yet) made the generic plan of the member read look 17 times dearer, and
    PostgreSQL re-planned it on every call (1.3 ms instead of 0.3, bench/RESULTS.md)."""
    return MobileEpisode.state.in_(in_text_each(OPEN_EPISODE_STATES))


class MobileEpisode(UUIDPk, Versioned, Timestamped, Base):
    __tablename__ = "mobile_episodes"

    member_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("members.id", ondelete="RESTRICT"), index=True, nullable=False
    )
    home_org_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("organisations.id", ondelete="RESTRICT"), nullable=False
    )
    home_path: Mapped[str] = org_path_column()
    # The intended host (named at outflow) or the host that registered the inflow.
    host_org_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("organisations.id", ondelete="RESTRICT")
    )
    host_path: Mapped[str | None] = org_path_column(nullable=True)
    destination_area: Mapped[str] = mapped_column(String(6), nullable=False)
    reason: Mapped[str] = mapped_column(String(500), nullable=False)
    expected_months: Mapped[int] = mapped_column(SmallInteger, nullable=False)
    contact_enc: Mapped[bytes | None] = mapped_column(LargeBinary)
    certificate_no: Mapped[str] = mapped_column(String(64), nullable=False, index=True)
    location_consent: Mapped[bool] = mapped_column(Boolean, nullable=False)
    state: Mapped[str] = mapped_column(String(16), nullable=False)
    started_on: Mapped[date] = mapped_column(Date, nullable=False)
    hosted_on: Mapped[date | None] = mapped_column(Date)
    ended_on: Mapped[date | None] = mapped_column(Date)
    last_contact_on: Mapped[date] = mapped_column(Date, nullable=False)

    __table_args__ = (
        # The orders its list offers (`?sort=`), walked page by page (test_list_order_indexes).
        Index("ix_mobile_episodes_started_on_id", "started_on", "id"),
        CheckConstraint(one_of("state", EpisodeState), name="state_known"),
        CheckConstraint("destination_area ~ '^[1-8][0-9]{5}$'", name="area_code_form"),
        Index(
            "uq_mobile_episodes_one_open_per_member",
            "member_id",
            unique=True,
            postgresql_where=text("state IN ('registered','hosted')"),
        ),
        Index(
            "ix_mobile_episodes_home_path",
            "home_path",
            postgresql_ops={"home_path": "text_pattern_ops"},
        ),
        Index(
            "ix_mobile_episodes_host_path",
            "host_path",
            postgresql_ops={"host_path": "text_pattern_ops"},
        ),
    )


class MobileCheckIn(UUIDPk, Base):
    __tablename__ = "mobile_check_ins"

    episode_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("mobile_episodes.id", ondelete="CASCADE"), index=True, nullable=False
    )
    kind: Mapped[str] = mapped_column(String(16), nullable=False)
    occurred_on: Mapped[date] = mapped_column(Date, nullable=False)
    note: Mapped[str | None] = mapped_column(String(1000))
    # An area code (never coordinates), kept only with consent and purged after retention.
    area: Mapped[str | None] = mapped_column(String(6))
    reported_by: Mapped[str] = mapped_column(String(8), nullable=False)
    actor_id: Mapped[uuid.UUID | None] = mapped_column()
    recorded_at: Mapped[datetime] = mapped_column(
        DateTime(timezone=True), server_default=func.now(), nullable=False
    )

    __table_args__ = (
        CheckConstraint(one_of("kind", CheckInKind), name="kind_known"),
        CheckConstraint(one_of("reported_by", ReportedBy), name="reporter_known"),
        CheckConstraint("area IS NULL OR area ~ '^[1-8][0-9]{5}$'", name="area_code_form"),
    )
