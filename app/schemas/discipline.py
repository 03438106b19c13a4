"""Discipline (党纪处分) and reward (表彰) schemas."""

from __future__ import annotations

import uuid
from datetime import date, datetime

from pydantic import Field

from app.models.enums import DisciplineKind, DisciplineOutcome, RewardLevel
from app.schemas.common import Day, InputModel, ReadModel


class DisciplineCreate(InputModel):
    kind: DisciplineKind
    # The deciding organisation: the member's own or one above it, in your scope;
    # never a temporary branch.
    org_id: uuid.UUID
    decided_on: Day
    document_number: str = Field(min_length=1, max_length=100)
    reason: str | None = Field(default=None, max_length=500)
    period_years: int | None = Field(default=None, ge=1, le=2)  # 留党察看 only


class DisciplineConclusion(InputModel):
    outcome: DisciplineOutcome
    concluded_on: Day
    document_number: str = Field(min_length=1, max_length=100)


class DisciplineRead(ReadModel):
    id: uuid.UUID
    member_id: uuid.UUID
    kind: DisciplineKind
    org_id: uuid.UUID
    decided_on: date
    document_number: str
    reason: str | None
    period_years: int | None
    ends_on: date | None
    outcome: DisciplineOutcome | None
    concluded_on: date | None
    conclusion_document: str | None
    version: int
    created_at: datetime


class RewardCreate(InputModel):
    title: str = Field(min_length=1, max_length=200)
    level: RewardLevel
    awarded_on: Day
    org_id: uuid.UUID  # the granting organisation, in your scope
    document_number: str = Field(min_length=1, max_length=100)


class RewardRead(ReadModel):
    id: uuid.UUID
    member_id: uuid.UUID
    title: str
    level: RewardLevel
    awarded_on: date
    org_id: uuid.UUID
    document_number: str
    created_at: datetime
