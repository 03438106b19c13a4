"""Meetings (三会一课 and organisational life): records, attendance, votes, amendments."""

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
    String,
    Text,
    func,
)
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import Mapped, mapped_column

from app.models.base import Base, Timestamped, UUIDPk, Versioned, one_of, org_path_column
from app.models.enums import MeetingState, MeetingType, Presence, VoteKind


class Meeting(UUIDPk, Versioned, Timestamped, Base):
    __tablename__ = "meetings"

    org_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("organisations.id", ondelete="RESTRICT"), index=True, nullable=False
    )
    org_path: Mapped[str] = org_path_column()
    type: Mapped[str] = mapped_column(String(32), nullable=False)
    held_on: Mapped[date] = mapped_column(Date, nullable=False)
    place: Mapped[str | None] = mapped_column(String(200))
    topic: Mapped[str] = mapped_column(String(500), nullable=False)
    host_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("members.id", ondelete="SET NULL"))
    recorder_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("members.id", ondelete="SET NULL")
    )
    minutes: Mapped[str | None] = mapped_column(Text)
    resolutions: Mapped[str | None] = mapped_column(Text)
    state: Mapped[str] = mapped_column(String(16), nullable=False, default="planned")
    finalized_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    finalized_by: Mapped[uuid.UUID | None] = mapped_column()

    __table_args__ = (
        # The orders its list offers (`?sort=`), walked page by page (test_list_order_indexes).
        Index("ix_meetings_held_on_id", "held_on", "id"),
        CheckConstraint(one_of("type", MeetingType), name="type_known"),
        CheckConstraint(one_of("state", MeetingState), name="state_known"),
        Index(
            "ix_meetings_org_path_held_on",
            "org_path",
            "held_on",
            postgresql_ops={"org_path": "text_pattern_ops"},
        ),
        Index("ix_meetings_org_type_held_on", "org_id", "type", "held_on"),
    )


class MeetingAttendee(Base):
    """An expected attendee and, once recorded, their presence."""

    __tablename__ = "meeting_attendees"

    meeting_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("meetings.id", ondelete="CASCADE"), primary_key=True
    )
    member_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("members.id", ondelete="RESTRICT"), primary_key=True, index=True
    )
    # Fixed when the attendee is listed: probationary members attend without a vote.
    has_vote: Mapped[bool] = mapped_column(Boolean, nullable=False)
    presence: Mapped[str | None] = mapped_column(String(16))
    reason: Mapped[str | None] = mapped_column(String(500))

    __table_args__ = (
        CheckConstraint(one_of("presence", Presence, nullable=True), name="presence_known"),
        CheckConstraint(
            "presence IS DISTINCT FROM 'excused' OR reason IS NOT NULL", name="excuse_reason"
        ),
    )


class MeetingVote(UUIDPk, Base):
    __tablename__ = "meeting_votes"

    meeting_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("meetings.id", ondelete="CASCADE"), index=True, nullable=False
    )
    kind: Mapped[str] = mapped_column(String(16), nullable=False)
    subject: Mapped[str] = mapped_column(String(500), nullable=False)
    ayes: Mapped[int] = mapped_column(Integer, nullable=False)
    nays: Mapped[int] = mapped_column(Integer, nullable=False)
    abstentions: Mapped[int] = mapped_column(Integer, nullable=False)
    voters_expected: Mapped[int] = mapped_column(Integer, nullable=False)
    voters_present: Mapped[int] = mapped_column(Integer, nullable=False)
    valid: Mapped[bool] = mapped_column(Boolean, nullable=False)
    invalid_reason: Mapped[str | None] = mapped_column(String(200))
    passed: Mapped[bool] = mapped_column(Boolean, nullable=False)
    member_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("members.id", ondelete="SET NULL")
    )
    to_status: Mapped[str | None] = mapped_column(String(16))
    transition_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("member_transitions.id", ondelete="SET NULL")
    )
    recorded_at: Mapped[datetime] = mapped_column(
        DateTime(timezone=True), server_default=func.now(), nullable=False
    )

    __table_args__ = (CheckConstraint(one_of("kind", VoteKind), name="kind_known"),)


class MeetingAmendment(UUIDPk, Base):
    """A correction to a finalized record: who, when, what and why; the original stays."""

    __tablename__ = "meeting_amendments"

    meeting_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("meetings.id", ondelete="CASCADE"), index=True, nullable=False
    )
    field: Mapped[str] = mapped_column(String(32), nullable=False)
    value: Mapped[Any] = mapped_column(JSONB, nullable=True)
    reason: Mapped[str] = mapped_column(String(500), nullable=False)
    actor_id: Mapped[uuid.UUID | None] = mapped_column()
    actor_username: Mapped[str | None] = mapped_column(String(64))
    recorded_at: Mapped[datetime] = mapped_column(
        DateTime(timezone=True), server_default=func.now(), nullable=False
    )
