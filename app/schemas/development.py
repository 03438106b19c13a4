"""Admission record (全程纪实) schemas: the step catalogue and a member's steps."""

from __future__ import annotations

import uuid
from datetime import date
from typing import Literal

from pydantic import Field

from app.models.enums import DevelopmentStepCode, MemberStatus
from app.schemas.common import Day, InputModel, ReadModel


class DevelopmentStepCreate(InputModel):
    step: DevelopmentStepCode
    done_on: Day
    # The people responsible (谈话人, 培养联系人, 考察人...): member ids in your scope.
    responsible_ids: list[uuid.UUID] = Field(default_factory=list, max_length=20)
    result: str | None = Field(default=None, max_length=200)
    notes: str | None = Field(default=None, max_length=2000)
    training_hours: int | None = Field(default=None, ge=1, le=1000)


class DevelopmentStepRead(ReadModel):
    """A step of the member's record: recorded here (`record`) or read from the record
    that is the step (`member` dates, the `notice`, the `form_number`)."""

    step: DevelopmentStepCode
    stage: int
    done_on: date
    source: Literal["record", "member", "notice", "form_number"]
    id: uuid.UUID | None
    responsible_ids: list[uuid.UUID]
    result: str | None
    notes: str | None
    training_hours: int | None
    notice_ends_on: date | None
    form_number: str | None


class CatalogueStep(ReadModel):
    step: DevelopmentStepCode
    name: str
    name_en: str
    follows: list[DevelopmentStepCode]
    gates: MemberStatus | None
    repeats: bool
    responsible_min: int
    responsible_max: int
    evidence_from: str | None


class CatalogueStage(ReadModel):
    number: int
    name: str
    name_en: str
    steps: list[CatalogueStep]


class DevelopmentCatalogue(ReadModel):
    catalogue_version: str
    stages: list[CatalogueStage]
