"""The outbox: events written in the same transaction as the change they describe.

Consumers (the points engine, later the change feed and webhooks) read them in
order. `xact_id` is the writing transaction, so a reader can avoid the sequence
gap of a bigserial read while an older transaction is still open.
"""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import BigInteger, DateTime, Identity, Index, Integer, String, func, text
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import Mapped, mapped_column

from app.models.base import Base, org_path_column


class OutboxEvent(Base):
    __tablename__ = "outbox_events"

    id: Mapped[int] = mapped_column(BigInteger, Identity(), primary_key=True)
    xact_id: Mapped[int] = mapped_column(
        BigInteger, server_default=text("pg_current_xact_id()::text::bigint"), nullable=False
    )
    event_type: Mapped[str] = mapped_column(String(64), nullable=False)
    resource: Mapped[str] = mapped_column(String(64), nullable=False)
    resource_id: Mapped[uuid.UUID] = mapped_column(nullable=False)
    org_path: Mapped[str] = org_path_column()
    payload: Mapped[dict[str, Any]] = mapped_column(JSONB, nullable=False)
    occurred_at: Mapped[datetime] = mapped_column(
        DateTime(timezone=True), server_default=func.now(), nullable=False
    )

    version: Mapped[int | None] = mapped_column(Integer)
    # The other side of two-sided records (a transfer's receiver, a mobile member's host).
    alt_path: Mapped[str | None] = org_path_column(nullable=True)

    __table_args__ = (
        Index("ix_outbox_events_type_id", "event_type", "id"),
        # The change feed reads in (transaction, id) order.
        Index("ix_outbox_events_xact_id", "xact_id", "id"),
    )
