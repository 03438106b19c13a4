"""Points (积分) schemas."""

from __future__ import annotations

import uuid
from datetime import date, datetime
from typing import Literal

from pydantic import BaseModel, Field

from app.models.enums import EntryState, Grade, PointCategory
from app.schemas.common import INT32_MAX, Day, InputModel, Year

Trigger = Literal["meeting.present", "meeting.absent", "service.hours"]


class GradeBand(InputModel):
    min: int = Field(ge=-INT32_MAX, le=INT32_MAX)
    label: str = Field(min_length=1, max_length=32, examples=["五星"])


class SchemeCreate(InputModel):
    org_id: uuid.UUID
    year: Year
    base: int = Field(ge=0, le=1000, examples=[100])
    grade_bands: list[GradeBand] = Field(default_factory=list)


class SchemeRead(BaseModel):
    id: uuid.UUID
    org_id: uuid.UUID
    year: int
    base: int
    grade_bands: list[GradeBand]
    version: int


# Who approves what (审核), as services/points/awards.py `create_entry` enforces it.
NEEDS_APPROVAL = (
    "true: awards and claims under this item are pending until an administrator approves "
    "them, never the one who entered them nor the member they score (four eyes); false: they "
    "are approved at once. Automatic scoring (meetings, service hours) is approved at once "
    "either way."
)


class RuleCreate(InputModel):
    org_id: uuid.UUID
    code: str = Field(pattern=r"^[A-Za-z0-9._-]{1,64}$")
    name: str = Field(min_length=1, max_length=200)
    category: PointCategory
    points: int = Field(gt=0, le=1000, description="Magnitude; deductions subtract it.")
    cap_month: int | None = Field(default=None, gt=0, le=INT32_MAX)
    cap_year: int | None = Field(default=None, gt=0, le=INT32_MAX)
    needs_approval: bool = Field(default=True, description=NEEDS_APPROVAL)
    needs_evidence: bool = False
    trigger: Trigger | None = Field(default=None, description="Scores automatically on an event.")
    parent_rule_id: uuid.UUID | None = Field(
        default=None, description="An ancestor's item this one refines, within its caps."
    )


class RuleUpdate(InputModel):
    name: str | None = Field(default=None, min_length=1, max_length=200)
    points: int | None = Field(default=None, gt=0, le=1000)
    cap_month: int | None = Field(default=None, gt=0, le=INT32_MAX)
    cap_year: int | None = Field(default=None, gt=0, le=INT32_MAX)
    needs_approval: bool | None = Field(default=None, description=NEEDS_APPROVAL)
    needs_evidence: bool | None = None
    active: bool | None = None


class RuleRead(BaseModel):
    id: uuid.UUID
    org_id: uuid.UUID
    parent_rule_id: uuid.UUID | None
    code: str
    name: str
    category: PointCategory
    points: int
    cap_month: int | None
    cap_year: int | None
    needs_approval: bool = Field(description=NEEDS_APPROVAL)
    needs_evidence: bool
    trigger: Trigger | None
    active: bool
    version: int


class EntryCreate(InputModel):
    member_id: uuid.UUID
    rule_id: uuid.UUID
    occurred_on: Day
    source_key: str = Field(
        min_length=1, max_length=200, description="Unique per source: the same source scores once."
    )
    note: str | None = Field(default=None, max_length=500)
    evidence: str | None = Field(default=None, max_length=500)


class EntryDecision(InputModel):
    reason: str = Field(min_length=1, max_length=500)


class EntryRead(BaseModel):
    id: uuid.UUID
    member_id: uuid.UUID
    rule_id: uuid.UUID
    rule_version: int
    category: PointCategory
    points: int
    occurred_on: date
    source: str
    source_key: str
    state: EntryState
    note: str | None
    evidence: str | None
    decision_reason: str | None
    reverses_entry_id: uuid.UUID | None
    created_at: datetime


class BalanceRead(BaseModel):
    member_id: uuid.UUID
    year: int
    base: int
    total: int
    grade: str | None
    by_category: dict[str, int]
    entries: list[EntryRead]


class RankItem(BaseModel):
    member_id: uuid.UUID
    name: str
    total: int
    rank: int
    grade: str | None
    below_lowest_band: bool
    suggested_review_grade: Grade | None = Field(
        description=(
            "A suggestion for the democratic review (excellent: within the best third of "
            "the member's own branch); a person confirms."
        )
    )


class Ranking(BaseModel):
    year: int
    items: list[RankItem]
    me: RankItem | None
    next_cursor: str | None = Field(default=None, description="Always null: one page.")


class GradeEntry(InputModel):
    member_id: uuid.UUID
    grade: Grade


class GradesConfirm(InputModel):
    year: Year
    grades: list[GradeEntry] = Field(min_length=1)


class GradesConfirmed(BaseModel):
    year: int
    confirmed: int
