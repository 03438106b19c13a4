"""Discipline (党纪处分) and rewards (表彰) recorded on a member."""

from __future__ import annotations

import uuid
from datetime import date

from sqlalchemy import CheckConstraint, Date, ForeignKey, SmallInteger, String
from sqlalchemy.orm import Mapped, mapped_column

from app.models.base import Base, Timestamped, UUIDPk, Versioned, one_of
from app.models.enums import DisciplineKind, DisciplineOutcome, RewardLevel


class Discipline(UUIDPk, Versioned, Timestamped, Base):
    """A disciplinary decision: kind, deciding organisation, date and document number.

    留党察看 (`probation`) has a period of 1 or 2 years, `ends_on` the day after it, and
    ends with an outcome (restored or expelled) recorded with its date and document.
    """

    __tablename__ = "member_disciplines"

    member_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("members.id", ondelete="RESTRICT"), index=True, nullable=False
    )
    kind: Mapped[str] = mapped_column(String(24), nullable=False)
    org_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("organisations.id", ondelete="RESTRICT"), nullable=False
    )
    decided_on: Mapped[date] = mapped_column(Date, nullable=False)
    document_number: Mapped[str] = mapped_column(String(100), nullable=False)
    reason: Mapped[str | None] = mapped_column(String(500))
    period_years: Mapped[int | None] = mapped_column(SmallInteger)
    ends_on: Mapped[date | None] = mapped_column(Date)
    outcome: Mapped[str | None] = mapped_column(String(16))
    concluded_on: Mapped[date | None] = mapped_column(Date)
    conclusion_document: Mapped[str | None] = mapped_column(String(100))
    recorded_by: Mapped[uuid.UUID | None] = mapped_column()

    __table_args__ = (
        CheckConstraint(one_of("kind", DisciplineKind), name="kind_known"),
        CheckConstraint(one_of("outcome", DisciplineOutcome, nullable=True), name="outcome_known"),
        CheckConstraint(
            "(kind = 'probation') = (period_years IS NOT NULL AND ends_on IS NOT NULL)",
            name="probation_has_period",
        ),
        CheckConstraint("period_years IS NULL OR period_years IN (1, 2)", name="period_1_or_2"),
        CheckConstraint(
            "(outcome IS NULL) = (concluded_on IS NULL) "
            "AND (outcome IS NULL OR kind = 'probation')",
            name="outcome_only_for_probation",
        ),
    )


class Reward(UUIDPk, Timestamped, Base):
    """A reward (表彰): title, level, date, granting organisation, document number."""

    __tablename__ = "member_rewards"

    member_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("members.id", ondelete="RESTRICT"), index=True, nullable=False
    )
    title: Mapped[str] = mapped_column(String(200), nullable=False)
    level: Mapped[str] = mapped_column(String(16), nullable=False)
    awarded_on: Mapped[date] = mapped_column(Date, nullable=False)
    org_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("organisations.id", ondelete="RESTRICT"), nullable=False
    )
    document_number: Mapped[str] = mapped_column(String(100), nullable=False)
    recorded_by: Mapped[uuid.UUID | None] = mapped_column()

    __table_args__ = (CheckConstraint(one_of("level", RewardLevel), name="level_known"),)
