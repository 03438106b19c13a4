"""Member (党员) schemas. `id_number` and `phone` are masked unless the caller holds PII rights."""

from __future__ import annotations

import uuid
from datetime import date, datetime
from typing import Any

from pydantic import BaseModel, Field

from app.models.enums import Gender, MemberCategory, MemberStatus
from app.schemas.common import INT64_MAX, SMALLINT_MAX, Day, InputModel, ReadModel


class MemberFields(InputModel):
    ethnicity: str | None = Field(default=None, max_length=32, description="GB/T 3304, e.g. 汉族")
    education: str | None = Field(
        default=None, max_length=32, description="GB/T 4658, e.g. 大学本科"
    )
    degree: str | None = Field(default=None, max_length=32)
    post: str | None = Field(default=None, max_length=32)
    new_social_stratum: str | None = Field(default=None, max_length=32)
    hardship: str | None = Field(default=None, max_length=32)
    phone: str | None = Field(default=None, max_length=20)
    group_id: uuid.UUID | None = Field(
        default=None, description="Party group (党小组) in the branch."
    )
    applied_on: Day | None = None
    activist_on: Day | None = None
    candidate_on: Day | None = None
    joined_on: Day | None = Field(default=None, description="Became probationary (入党).")
    full_on: Day | None = Field(default=None, description="Became a full member (转正).")
    work_unit: str | None = Field(default=None, max_length=200)
    residence: str | None = Field(default=None, max_length=200)
    dues_base_fen: int | None = Field(
        default=None, ge=0, le=INT64_MAX, description="Declared monthly base, fen."
    )
    talked_on: Day | None = Field(default=None, description="Talk after the application (谈话).")
    admission_approved_on: Day | None = Field(
        default=None, description="Approval of the admission by the committee above."
    )
    lost_contact_since: Day | None = Field(
        default=None, description="Out of contact since (失去联系); 6+ months is flagged."
    )
    residence_community_id: uuid.UUID | None = Field(
        default=None, description="The community or village where the member lives (for grids)."
    )


class MemberCreate(MemberFields):
    name: str = Field(min_length=1, max_length=100)
    id_number: str = Field(min_length=15, max_length=20, description="18-digit resident ID.")
    org_id: uuid.UUID = Field(description="The member's branch (or joint branch).")
    status: MemberStatus
    category: MemberCategory
    gender: Gender | None = Field(
        default=None, description="Derived from the ID number if omitted."
    )
    birth_date: Day | None = Field(
        default=None, description="Derived from the ID number if omitted."
    )


class MemberUpdate(MemberFields):
    """Status goes through `/transitions` and the organisation through transfers."""

    name: str | None = Field(default=None, min_length=1, max_length=100)
    id_number: str | None = Field(default=None, min_length=15, max_length=20)
    category: MemberCategory | None = None


class MemberRead(ReadModel):
    id: uuid.UUID
    name: str
    id_number: str = Field(description="Masked (`110105********1234`) without PII rights.")
    gender: Gender
    birth_date: date
    ethnicity: str | None
    education: str | None
    degree: str | None
    post: str | None
    new_social_stratum: str | None
    hardship: str | None
    phone: str | None = Field(description="Masked (`138****8000`) without PII rights.")
    status: MemberStatus
    category: MemberCategory
    org_id: uuid.UUID
    group_id: uuid.UUID | None
    applied_on: date | None
    activist_on: date | None
    candidate_on: date | None
    joined_on: date | None
    full_on: date | None
    work_unit: str | None
    residence: str | None
    dues_base_fen: int | None
    talked_on: date | None
    admission_approved_on: date | None
    lost_contact_since: date | None
    residence_community_id: uuid.UUID | None
    status_since: date | None = Field(description="Effective date of the last status change.")
    probation_extension_months: int | None
    flags: list[str] = Field(description="Stable codes of date-driven warnings.")
    pii_masked: bool = Field(description="True when `id_number` and `phone` are masked.")
    version: int
    created_at: datetime
    updated_at: datetime


class TransitionCreate(InputModel):
    to_status: MemberStatus
    effective_date: Day
    reason: str | None = Field(default=None, max_length=500)
    meeting_id: uuid.UUID | None = Field(
        default=None, description="The meeting whose vote decided it (e.g. admission)."
    )
    extension_months: int | None = Field(
        default=None,
        ge=0,
        le=SMALLINT_MAX,
        description="Only for extending probation (to_status `probationary`): 6-12.",
    )


class TransitionRead(ReadModel):
    id: uuid.UUID
    member_id: uuid.UUID
    from_status: MemberStatus
    to_status: MemberStatus
    kind: str = Field(examples=["admitted", "became_full", "probation_extended", "restored"])
    effective_date: date
    reason: str | None
    meeting_id: uuid.UUID | None
    extension_months: int | None
    actor_username: str | None
    recorded_at: datetime


class TimelineEventRead(BaseModel):
    on: date
    kind: str = Field(examples=["milestone", "transition", "transfer", "dues_payment"])
    summary: str
    data: dict[str, Any]


class Timeline(BaseModel):
    member_id: uuid.UUID
    events: list[TimelineEventRead]
