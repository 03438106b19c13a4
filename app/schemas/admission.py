"""Admission record schemas: calendar days, public notices (公示), 志愿书 numbers, admission
plans (发展党员计划) and the development pipeline."""

from __future__ import annotations

import uuid
from datetime import date, datetime

from pydantic import Field

from app.models.enums import CalendarDayKind, FormNumberState, MemberStatus, NoticeKind
from app.schemas.common import Day, InputModel, ReadModel


class CalendarDayWrite(InputModel):
    kind: CalendarDayKind
    name: str = Field(min_length=1, max_length=50)


class CalendarDayRead(ReadModel):
    day: date
    kind: CalendarDayKind
    name: str


class NoticeCreate(InputModel):
    kind: NoticeKind
    starts_on: Day
    # One of the two: the last day, or how many working days the notice runs.
    ends_on: Day | None = None
    working_days: int | None = Field(default=None, ge=1, le=60)


class NoticeRead(ReadModel):
    id: uuid.UUID
    member_id: uuid.UUID
    kind: NoticeKind
    starts_on: date
    ends_on: date
    working_days: int
    created_at: datetime


class FormRangeCreate(InputModel):
    org_id: uuid.UUID  # the organisation the range is issued to, in your scope
    prefix: str = Field(default="", max_length=20, pattern=r"^[0-9A-Za-z-]*$")
    first_number: int = Field(ge=0, le=999_999_999)
    last_number: int = Field(ge=0, le=999_999_999)


class FormRangeRead(ReadModel):
    id: uuid.UUID
    org_id: uuid.UUID
    prefix: str
    first_number: int
    last_number: int
    created_at: datetime


class FormNumberUse(InputModel):
    prefix: str = Field(default="", max_length=20, pattern=r"^[0-9A-Za-z-]*$")
    number: int = Field(ge=0, le=999_999_999)
    used_on: Day


class FormNumberVoid(InputModel):
    prefix: str = Field(default="", max_length=20, pattern=r"^[0-9A-Za-z-]*$")
    number: int = Field(ge=0, le=999_999_999)
    reason: str = Field(min_length=1, max_length=500)


class FormNumberRead(ReadModel):
    range_id: uuid.UUID
    number: int
    state: FormNumberState
    member_id: uuid.UUID | None
    used_on: date | None
    reason: str | None


class FormRangeReport(ReadModel):
    range: FormRangeRead
    used: int
    void: int
    free: int
    numbers: list[FormNumberRead]


class FormNumberReport(ReadModel):
    org_id: uuid.UUID
    used: int
    void: int
    free: int
    ranges: list[FormRangeReport]


class AdmissionPlanWrite(InputModel):
    planned: int = Field(ge=0, le=100_000)


class AdmissionPlanRead(ReadModel):
    org_id: uuid.UUID
    year: int
    planned: int
    set_by: uuid.UUID | None
    updated_at: datetime


class PipelineStage(ReadModel):
    status: MemberStatus
    label_zh: str
    label_en: str
    count: int


class PipelineOverdue(ReadModel):
    flag: str
    label_zh: str
    label_en: str
    count: int


class PipelineAdmissions(ReadModel):
    year: int
    planned: int | None
    admitted: int
    remaining: int | None


class DevelopmentPipeline(ReadModel):
    org_id: uuid.UUID
    as_of: date
    stages: list[PipelineStage]
    overdue_flags: list[PipelineOverdue]
    admissions: PipelineAdmissions
