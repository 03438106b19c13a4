"""Organisation (党组织) schemas."""

from __future__ import annotations

import uuid
from datetime import date, datetime
from typing import Literal

from pydantic import BaseModel, Field

from app.models.enums import LeaderRole, OrgType
from app.schemas.common import SMALLINT_MAX, Day, InputModel, ReadModel

CODE_PATTERN = r"^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$"


class OrganisationCreate(InputModel):
    code: str = Field(pattern=CODE_PATTERN, description="Unique, stable unified code (统一编码).")
    name: str = Field(min_length=1, max_length=200)
    type: OrgType
    parent_id: uuid.UUID | None = Field(
        description="`null` for a root organisation (system administrators only)."
    )
    unit_category: int | None = Field(
        default=None,
        ge=1,
        le=9,
        description="1 国企 2 非公 3 农村 4 党政机关 5 学校 "
        "6 其他事业 7 街道社区 8 社会组织 9 其他",
    )
    unit_credit_code: str | None = Field(default=None, pattern=r"^[0-9A-HJ-NPQRTUWXY]{18}$")
    unit_count: int | None = Field(
        default=None, ge=1, le=SMALLINT_MAX, description="Units a joint branch covers."
    )
    founded_on: Day | None = None
    term_started_on: Day | None = Field(default=None, description="Start of the current term.")
    contact_person: str | None = Field(default=None, max_length=100)
    contact_phone: str | None = Field(default=None, max_length=20)
    division_code: str | None = Field(default=None, pattern=r"^[0-9]{6}$")
    unit_type: str | None = Field(default=None, max_length=32)
    economic_type: str | None = Field(default=None, max_length=32)
    unit_size: str | None = Field(default=None, max_length=32)
    national_id: str | None = Field(default=None, min_length=1, max_length=64)
    may_approve_probationary: bool = Field(default=False)


class OrganisationUpdate(InputModel):
    name: str | None = Field(default=None, min_length=1, max_length=200)
    unit_category: int | None = Field(default=None, ge=1, le=9)
    unit_credit_code: str | None = Field(default=None, pattern=r"^[0-9A-HJ-NPQRTUWXY]{18}$")
    unit_count: int | None = Field(default=None, ge=1, le=SMALLINT_MAX)
    founded_on: Day | None = None
    term_started_on: Day | None = None
    contact_person: str | None = Field(default=None, max_length=100)
    contact_phone: str | None = Field(default=None, max_length=20)
    division_code: str | None = Field(default=None, pattern=r"^[0-9]{6}$")
    unit_type: str | None = Field(default=None, max_length=32)
    economic_type: str | None = Field(default=None, max_length=32)
    unit_size: str | None = Field(default=None, max_length=32)
    national_id: str | None = Field(default=None, min_length=1, max_length=64)
    may_approve_probationary: bool | None = None


class OrganisationRead(ReadModel):
    id: uuid.UUID
    code: str
    name: str
    type: OrgType
    parent_id: uuid.UUID | None
    unit_category: int | None
    unit_credit_code: str | None
    unit_count: int | None
    contact_person: str | None
    contact_phone: str | None = None
    division_code: str | None
    unit_type: str | None
    economic_type: str | None
    unit_size: str | None
    may_approve_probationary: bool
    national_id: str | None
    depth: int
    founded_on: date | None
    term_started_on: date | None
    dissolved_on: date | None
    version: int
    created_at: datetime
    updated_at: datetime


class OrganisationMove(InputModel):
    new_parent_id: uuid.UUID


class TreeNode(BaseModel):
    id: uuid.UUID
    code: str
    name: str
    type: OrgType
    depth: int
    dissolved_on: date | None
    children: list[TreeNode] = Field(default_factory=list)
    has_more_children: bool = Field(
        default=False, description="True when children exist below the requested depth."
    )


class LeaderCreate(InputModel):
    member_id: uuid.UUID
    role: LeaderRole
    started_on: Day
    ended_on: Day | None = None


class LeaderRead(ReadModel):
    id: uuid.UUID
    org_id: uuid.UUID
    member_id: uuid.UUID
    member_name: str
    role: LeaderRole
    started_on: date
    ended_on: date | None
    current: bool = Field(description="Today lies within [started_on, ended_on] (inclusive).")
    version: int


class HealthFlag(BaseModel):
    code: str = Field(examples=["branch.committee_required"])
    severity: Literal["info", "warning", "error"]
    message: str
    value: int | str | None = None
    threshold: int | str | None = None


class OrganisationHealth(BaseModel):
    org_id: uuid.UUID
    as_of: date
    full_members: int
    members: int
    committee_size: int
    has_secretary: bool
    term_ends_on: date | None
    flags: list[HealthFlag]


class OrganisationStats(BaseModel):
    org_id: uuid.UUID
    as_of: date
    organisations: int = Field(description="Organisations in the subtree, itself included.")
    members: int = Field(description="Current members (not left or deceased) in the subtree.")
    by_status: dict[str, int]
    by_category: dict[str, int]
    by_gender: dict[str, int]
    by_age_band: dict[str, int]
    by_education: dict[str, int]
    by_org_type: dict[str, int]
