"""Meeting sign-in (签到) with a rotating code, and leave requests (请假)."""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import (
    Boolean,
    CheckConstraint,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    String,
    func,
)
from sqlalchemy.orm import Mapped, mapped_column

from app.models.base import Base, UUIDPk, one_of
from app.models.enums import LeaveState


class MeetingSignInWindow(Base):
    """Sign-in opened for a meeting: the per-meeting secret the rotating codes are derived
    from (no table of codes), the start the early/late bounds are measured from."""

    __tablename__ = "meeting_sign_in_windows"

    meeting_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("meetings.id", ondelete="CASCADE"), primary_key=True
    )
    secret: Mapped[bytes] = mapped_column(LargeBinary, nullable=False)
    starts_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), nullable=False)
    code_seconds: Mapped[int] = mapped_column(Integer, nullable=False)
    opened_by: Mapped[uuid.UUID | None] = mapped_column()
    opened_at: Mapped[datetime] = mapped_column(
        DateTime(timezone=True), server_default=func.now(), nullable=False
    )


class MeetingSignIn(Base):
    """A member's sign-in: when, whether late, and who recorded it (a proxy for another)."""

    __tablename__ = "meeting_sign_ins"

    meeting_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("meetings.id", ondelete="CASCADE"), primary_key=True
    )
    member_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("members.id", ondelete="RESTRICT"), primary_key=True, index=True
    )
    signed_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), nullable=False)
    late: Mapped[bool] = mapped_column(Boolean, nullable=False)
    proxy: Mapped[bool] = mapped_column(Boolean, nullable=False)
    recorded_by: Mapped[uuid.UUID | None] = mapped_column()


class MeetingLeaveRequest(UUIDPk, Base):
    """A member's request for leave from a meeting; approved, it is attendance `excused`."""

    __tablename__ = "meeting_leave_requests"

    meeting_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("meetings.id", ondelete="CASCADE"), nullable=False
    )
    member_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("members.id", ondelete="RESTRICT"), index=True, nullable=False
    )
    reason: Mapped[str] = mapped_column(String(500), nullable=False)
    state: Mapped[str] = mapped_column(String(16), nullable=False)
    requested_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), nullable=False)
    decided_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    decided_by: Mapped[uuid.UUID | None] = mapped_column()
    note: Mapped[str | None] = mapped_column(String(500))

    __table_args__ = (
        CheckConstraint(one_of("state", LeaveState), name="state_known"),
        Index("ix_meeting_leave_requests_meeting", "meeting_id", "requested_at"),
        # One open or approved request per member and meeting; a rejected one may be retried.
        Index(
            "uq_meeting_leave_requests_live",
            "meeting_id",
            "member_id",
            unique=True,
            postgresql_where="state <> 'rejected'",
        ),
    )


class WechatIdentity(UUIDPk, Base):
    """A user's WeChat mini-program identity: the openid (and unionid) as keyed blind
    indexes for lookup and PII-cipher blobs, never in clear."""

    __tablename__ = "wechat_identities"

    user_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("users.id", ondelete="CASCADE"), unique=True, nullable=False
    )
    openid_index: Mapped[bytes] = mapped_column(LargeBinary, unique=True, nullable=False)
    openid_enc: Mapped[bytes] = mapped_column(LargeBinary, nullable=False)
    unionid_index: Mapped[bytes | None] = mapped_column(LargeBinary, unique=True)
    unionid_enc: Mapped[bytes | None] = mapped_column(LargeBinary)
    bound_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), nullable=False)


class WechatBindingCode(Base):
    """A one-time code an administrator issues so a user binds WeChat without a password
    login; stored as its SHA-256."""

    __tablename__ = "wechat_binding_codes"

    code_hash: Mapped[bytes] = mapped_column(LargeBinary, primary_key=True)
    user_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("users.id", ondelete="CASCADE"), index=True, nullable=False
    )
    issued_by: Mapped[uuid.UUID | None] = mapped_column()
    expires_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), nullable=False)
    used_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
