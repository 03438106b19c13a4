"""Notifications (通知): messages to users, kept as an in-app inbox with read receipts,
and their deliveries through the channels (email, WeChat subscribe message)."""

from __future__ import annotations

import uuid
from datetime import date, datetime

from sqlalchemy import (
    CheckConstraint,
    Date,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    String,
    UniqueConstraint,
    func,
)
from sqlalchemy.orm import Mapped, mapped_column

from app.models.base import Base, UUIDPk, one_of
from app.models.enums import DeliveryState, NotificationChannel


class Notification(UUIDPk, Base):
    """One message to one user. A reminder carries its item key and day: (user, item,
    day) is unique, so no item is reminded twice the same day, whatever the workers do."""

    __tablename__ = "notifications"

    user_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("users.id", ondelete="CASCADE"), nullable=False
    )
    kind: Mapped[str] = mapped_column(String(64), nullable=False)
    title: Mapped[str] = mapped_column(String(200), nullable=False)
    body: Mapped[str] = mapped_column(String(2000), nullable=False)
    resource: Mapped[str | None] = mapped_column(String(32))
    resource_id: Mapped[uuid.UUID | None] = mapped_column()
    due_on: Mapped[date | None] = mapped_column(Date)
    item_key: Mapped[str | None] = mapped_column(String(200))
    day: Mapped[date | None] = mapped_column(Date)
    created_at: Mapped[datetime] = mapped_column(
        DateTime(timezone=True), server_default=func.now(), nullable=False
    )
    read_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))

    __table_args__ = (
        UniqueConstraint("user_id", "item_key", "day", name="uq_notifications_user_item_day"),
        Index("ix_notifications_inbox", "user_id", "created_at", "id"),
    )


class NotificationDelivery(UUIDPk, Base):
    """One notification through one channel: claimed by the worker with SKIP LOCKED,
    retried with backoff, failed for good after the last attempt (the error kept)."""

    __tablename__ = "notification_deliveries"

    notification_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("notifications.id", ondelete="CASCADE"), nullable=False
    )
    channel: Mapped[str] = mapped_column(String(16), nullable=False)
    state: Mapped[str] = mapped_column(String(16), nullable=False, default="pending")
    attempts: Mapped[int] = mapped_column(Integer, nullable=False, default=0)
    next_attempt_at: Mapped[datetime] = mapped_column(
        DateTime(timezone=True), server_default=func.now(), nullable=False
    )
    last_error: Mapped[str | None] = mapped_column(String(500))
    delivered_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))

    __table_args__ = (
        UniqueConstraint("notification_id", "channel", name="uq_notification_deliveries_channel"),
        CheckConstraint(one_of("state", DeliveryState), name="state_known"),
        CheckConstraint(one_of("channel", NotificationChannel), name="channel_known"),
        Index("ix_notification_deliveries_due", "state", "next_attempt_at"),
    )


class NotificationAddress(Base):
    """Where a user wants email reminders (set by the user through `/me`), as a
    PII-cipher blob."""

    __tablename__ = "notification_addresses"

    user_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("users.id", ondelete="CASCADE"), primary_key=True
    )
    email_enc: Mapped[bytes] = mapped_column(LargeBinary, nullable=False)
