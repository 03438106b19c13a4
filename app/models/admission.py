"""Admission records: the holiday calendar, public notices (公示), 志愿书 numbers and the
steps of the admission record (发展党员全程纪实)."""

from __future__ import annotations

import uuid
from datetime import date

from sqlalchemy import (
    CheckConstraint,
    Date,
    ForeignKey,
    Integer,
    String,
    UniqueConstraint,
    Uuid,
)
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.orm import Mapped, mapped_column

from app.models.base import Base, Timestamped, UUIDPk, one_of, org_path_column
from app.models.enums import CalendarDayKind, DevelopmentStepCode, FormNumberState, NoticeKind


class CalendarDay(Timestamped, Base):
    """A day that departs from the week: a holiday, or a weekend day worked (调休)."""

    __tablename__ = "calendar_days"

    day: Mapped[date] = mapped_column(Date, primary_key=True)
    kind: Mapped[str] = mapped_column(String(16), nullable=False)
    name: Mapped[str] = mapped_column(String(50), nullable=False)

    __table_args__ = (CheckConstraint(one_of("kind", CalendarDayKind), name="kind_known"),)


class AdmissionNotice(UUIDPk, Timestamped, Base):
    """A public notice (公示) on a member before admission or full membership."""

    __tablename__ = "admission_notices"

    member_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("members.id", ondelete="RESTRICT"), index=True, nullable=False
    )
    kind: Mapped[str] = mapped_column(String(24), nullable=False)
    starts_on: Mapped[date] = mapped_column(Date, nullable=False)
    ends_on: Mapped[date] = mapped_column(Date, nullable=False)
    working_days: Mapped[int] = mapped_column(Integer, nullable=False)
    recorded_by: Mapped[uuid.UUID | None] = mapped_column()

    __table_args__ = (
        CheckConstraint(one_of("kind", NoticeKind), name="kind_known"),
        CheckConstraint("ends_on >= starts_on", name="ends_after_start"),
    )


class FormNumberRange(UUIDPk, Timestamped, Base):
    """A range of 入党志愿书 numbers issued to an organisation: prefix, first and last."""

    __tablename__ = "form_number_ranges"

    org_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("organisations.id", ondelete="RESTRICT"), index=True, nullable=False
    )
    org_path: Mapped[str] = org_path_column()
    prefix: Mapped[str] = mapped_column(String(20), nullable=False)
    first_number: Mapped[int] = mapped_column(Integer, nullable=False)
    last_number: Mapped[int] = mapped_column(Integer, nullable=False)
    issued_by: Mapped[uuid.UUID | None] = mapped_column()

    __table_args__ = (
        CheckConstraint("first_number >= 0 AND last_number >= first_number", name="ordered"),
    )


class FormNumber(UUIDPk, Timestamped, Base):
    """A number of a range once spent: used for a member on a date, or voided with a reason."""

    __tablename__ = "form_numbers"

    range_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("form_number_ranges.id", ondelete="RESTRICT"), nullable=False
    )
    number: Mapped[int] = mapped_column(Integer, nullable=False)
    state: Mapped[str] = mapped_column(String(8), nullable=False)
    member_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("members.id", ondelete="RESTRICT"), index=True
    )
    used_on: Mapped[date | None] = mapped_column(Date)
    reason: Mapped[str | None] = mapped_column(String(500))
    recorded_by: Mapped[uuid.UUID | None] = mapped_column()

    __table_args__ = (
        UniqueConstraint("range_id", "number", name="uq_form_numbers_range_number"),
        CheckConstraint(one_of("state", FormNumberState), name="state_known"),
        CheckConstraint(
            "(state = 'used') = (member_id IS NOT NULL AND used_on IS NOT NULL) "
            "AND (state = 'void') = (reason IS NOT NULL)",
            name="used_or_void",
        ),
    )


class DevelopmentStepRecord(UUIDPk, Timestamped, Base):
    """One step of a member's admission record (全程纪实): its day, the people responsible
    (member ids), the result and notes; `hours` for training. The catalogue version it
    was recorded under is kept with it."""

    __tablename__ = "development_steps"

    member_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("members.id", ondelete="RESTRICT"), index=True, nullable=False
    )
    step: Mapped[str] = mapped_column(String(32), nullable=False)
    done_on: Mapped[date] = mapped_column(Date, nullable=False)
    responsible_ids: Mapped[list[uuid.UUID]] = mapped_column(
        ARRAY(Uuid), nullable=False, default=list
    )
    result: Mapped[str | None] = mapped_column(String(200))
    notes: Mapped[str | None] = mapped_column(String(2000))
    hours: Mapped[int | None] = mapped_column(Integer)
    catalogue_version: Mapped[str] = mapped_column(String(16), nullable=False)
    recorded_by: Mapped[uuid.UUID | None] = mapped_column()

    __table_args__ = (
        CheckConstraint(one_of("step", DevelopmentStepCode), name="step_known"),
        CheckConstraint("hours IS NULL OR hours > 0", name="hours_positive"),
    )


class AdmissionPlan(Timestamped, Base):
    """The number of members an organisation is to admit in a year (发展党员计划), set by
    an organisation above it."""

    __tablename__ = "admission_plans"

    org_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("organisations.id", ondelete="RESTRICT"), primary_key=True
    )
    year: Mapped[int] = mapped_column(Integer, primary_key=True)
    planned: Mapped[int] = mapped_column(Integer, nullable=False)
    set_by: Mapped[uuid.UUID | None] = mapped_column()

    __table_args__ = (
        CheckConstraint("planned >= 0", name="planned_not_negative"),
        CheckConstraint("year BETWEEN 2000 AND 2100", name="year_in_range"),
    )
