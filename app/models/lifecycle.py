"""Member lifecycle records: status transitions, transfers (组织关系转接) and dues (党费)."""

from __future__ import annotations

import uuid
from datetime import date, datetime

from sqlalchemy import (
    BigInteger,
    CheckConstraint,
    Date,
    DateTime,
    ForeignKey,
    Index,
    SmallInteger,
    String,
    UniqueConstraint,
    func,
    text,
)
from sqlalchemy.orm import Mapped, mapped_column

from app.models.base import Base, Timestamped, UUIDPk, Versioned, one_of, org_path_column
from app.models.enums import ReliefKind, TransferState


class MemberTransition(UUIDPk, Base):
    """One status change, with who recorded it, when it took effect and why."""

    __tablename__ = "member_transitions"

    member_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("members.id", ondelete="CASCADE"), index=True, nullable=False
    )
    from_status: Mapped[str] = mapped_column(String(16), nullable=False)
    to_status: Mapped[str] = mapped_column(String(16), nullable=False)
    kind: Mapped[str] = mapped_column(String(32), nullable=False)
    effective_date: Mapped[date] = mapped_column(Date, nullable=False)
    reason: Mapped[str | None] = mapped_column(String(500))
    meeting_id: Mapped[uuid.UUID | None] = mapped_column()
    extension_months: Mapped[int | None] = mapped_column(SmallInteger)
    actor_id: Mapped[uuid.UUID | None] = mapped_column()
    actor_username: Mapped[str | None] = mapped_column(String(64))
    recorded_at: Mapped[datetime] = mapped_column(
        DateTime(timezone=True), server_default=func.now(), nullable=False
    )


class Transfer(UUIDPk, Versioned, Timestamped, Base):
    """A transfer of a member's organisational relationship to another organisation."""

    __tablename__ = "transfers"

    member_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("members.id", ondelete="RESTRICT"), index=True, nullable=False
    )
    from_org_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("organisations.id", ondelete="RESTRICT"), nullable=False
    )
    to_org_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("organisations.id", ondelete="RESTRICT"), nullable=False
    )
    # Both sides' paths, so either side's subtree filter finds the transfer by index.
    from_path: Mapped[str] = org_path_column()
    to_path: Mapped[str] = org_path_column()
    state: Mapped[str] = mapped_column(String(16), nullable=False, default="pending")
    reason: Mapped[str] = mapped_column(String(500), nullable=False)
    dues_paid_until: Mapped[str | None] = mapped_column(String(7))
    created_by: Mapped[uuid.UUID | None] = mapped_column()
    decided_by: Mapped[uuid.UUID | None] = mapped_column()
    decided_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    decision_reason: Mapped[str | None] = mapped_column(String(500))

    __table_args__ = (
        # The orders its list offers (`?sort=`), walked page by page (test_list_order_indexes).
        Index("ix_transfers_created_at_id", "created_at", "id"),
        CheckConstraint(one_of("state", TransferState), name="state_known"),
        Index(
            "uq_transfers_one_pending_per_member",
            "member_id",
            unique=True,
            postgresql_where=text("state = 'pending'"),
        ),
        Index(
            "ix_transfers_from_path", "from_path", postgresql_ops={"from_path": "text_pattern_ops"}
        ),
        Index("ix_transfers_to_path", "to_path", postgresql_ops={"to_path": "text_pattern_ops"}),
    )


class DuesRelief(UUIDPk, Timestamped, Base):
    """An approved hardship reduction or exemption (减免) for a span of months."""

    __tablename__ = "dues_reliefs"

    member_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("members.id", ondelete="CASCADE"), index=True, nullable=False
    )
    kind: Mapped[str] = mapped_column(String(16), nullable=False)
    monthly_fen: Mapped[int | None] = mapped_column(BigInteger)
    from_month: Mapped[date] = mapped_column(Date, nullable=False)
    to_month: Mapped[date] = mapped_column(Date, nullable=False)
    approval_ref: Mapped[str] = mapped_column(String(200), nullable=False)
    approved_on: Mapped[date] = mapped_column(Date, nullable=False)
    approved_by: Mapped[uuid.UUID | None] = mapped_column()

    __table_args__ = (
        CheckConstraint(one_of("kind", ReliefKind), name="kind_known"),
        CheckConstraint("to_month >= from_month", name="month_order"),
        CheckConstraint(
            "(kind = 'reduction') = (monthly_fen IS NOT NULL)", name="reduction_has_amount"
        ),
    )


class DuesPayment(UUIDPk, Timestamped, Base):
    """A payment covering one or more months."""

    __tablename__ = "dues_payments"

    member_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("members.id", ondelete="RESTRICT"), index=True, nullable=False
    )
    org_path: Mapped[str] = org_path_column()
    amount_fen: Mapped[int] = mapped_column(BigInteger, nullable=False)
    paid_on: Mapped[date] = mapped_column(Date, nullable=False)
    recorded_by: Mapped[uuid.UUID | None] = mapped_column()

    __table_args__ = (CheckConstraint("amount_fen >= 0", name="amount_positive"),)


class DuesPaymentMonth(Base):
    """A month a payment covers; the primary key forbids paying a month twice."""

    __tablename__ = "dues_payment_months"

    member_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("members.id", ondelete="CASCADE"), primary_key=True
    )
    month: Mapped[date] = mapped_column(Date, primary_key=True)
    payment_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("dues_payments.id", ondelete="CASCADE"), index=True, nullable=False
    )
    amount_fen: Mapped[int] = mapped_column(BigInteger, nullable=False)

    __table_args__ = (
        UniqueConstraint("payment_id", "month", name="uq_dues_payment_months_payment_month"),
    )
