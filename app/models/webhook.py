"""Webhook subscriptions and deliveries; the fan-out cursor over the outbox."""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import (
    BigInteger,
    Boolean,
    CheckConstraint,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    String,
    UniqueConstraint,
    func,
)
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.orm import Mapped, mapped_column

from app.models.base import Base, Timestamped, UUIDPk, one_of, org_path_column
from app.models.enums import DeliveryState


class WebhookSubscription(UUIDPk, Timestamped, Base):
    __tablename__ = "webhook_subscriptions"

    org_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("organisations.id", ondelete="CASCADE"), index=True, nullable=False
    )
    org_path: Mapped[str] = org_path_column()
    url: Mapped[str] = mapped_column(String(2000), nullable=False)
    event_types: Mapped[list[str]] = mapped_column(ARRAY(String(64)), nullable=False)
    secret_enc: Mapped[bytes] = mapped_column(LargeBinary, nullable=False)
    active: Mapped[bool] = mapped_column(Boolean, nullable=False, default=True)
    created_by: Mapped[uuid.UUID | None] = mapped_column()


class WebhookDelivery(UUIDPk, Base):
    __tablename__ = "webhook_deliveries"

    subscription_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("webhook_subscriptions.id", ondelete="CASCADE"), nullable=False
    )
    event_id: Mapped[int] = mapped_column(
        BigInteger, ForeignKey("outbox_events.id", ondelete="CASCADE"), nullable=False
    )
    # Ordering key: deliveries of one resource go out in event order.
    resource_id: Mapped[uuid.UUID] = mapped_column(nullable=False)
    seq_xact: Mapped[int] = mapped_column(BigInteger, nullable=False)
    state: Mapped[str] = mapped_column(String(16), nullable=False, default="pending")
    attempts: Mapped[int] = mapped_column(Integer, nullable=False, default=0)
    next_attempt_at: Mapped[datetime] = mapped_column(
        DateTime(timezone=True), server_default=func.now(), nullable=False
    )
    last_status: Mapped[int | None] = mapped_column(Integer)
    last_error: Mapped[str | None] = mapped_column(String(500))
    delivered_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    created_at: Mapped[datetime] = mapped_column(
        DateTime(timezone=True), server_default=func.now(), nullable=False
    )

    __table_args__ = (
        UniqueConstraint("subscription_id", "event_id", name="uq_webhook_deliveries_sub_event"),
        CheckConstraint(one_of("state", DeliveryState), name="state_known"),
        Index("ix_webhook_deliveries_due", "state", "next_attempt_at"),
        Index(
            "ix_webhook_deliveries_order", "subscription_id", "resource_id", "seq_xact", "event_id"
        ),
    )


class OutboxCursor(Base):
    """Where a consumer of the outbox got to: (xact_id, id) of the last event taken."""

    __tablename__ = "outbox_cursors"

    consumer: Mapped[str] = mapped_column(String(64), primary_key=True)
    xact_id: Mapped[int] = mapped_column(BigInteger, nullable=False, default=0)
    event_id: Mapped[int] = mapped_column(BigInteger, nullable=False, default=0)
