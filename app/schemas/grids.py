"""Grid (网格) and community reporting (双报到) schemas."""

from __future__ import annotations

import uuid
from datetime import date
from decimal import Decimal

from pydantic import BaseModel, Field

from app.models.enums import CommunityReportState, GridKind, ReviewStatus, ServiceRecordState
from app.schemas.common import INT32_MAX, Day, InputModel, Year


class Building(InputModel):
    name: str = Field(min_length=1, max_length=100)
    households: int = Field(ge=0, le=INT32_MAX)


class GridCreate(InputModel):
    code: str = Field(pattern=r"^[A-Za-z0-9._-]{1,64}$")
    name: str = Field(min_length=1, max_length=200)
    kind: GridKind
    org_id: uuid.UUID = Field(description="The community-level organisation the grid belongs to.")
    covering_org_id: uuid.UUID | None = None
    boundary: str | None = Field(default=None, max_length=1000)
    households: int = Field(default=0, ge=0, le=INT32_MAX)
    population: int = Field(default=0, ge=0, le=INT32_MAX)
    buildings: list[Building] = Field(default_factory=list)
    leader_id: uuid.UUID | None = Field(default=None, description="The grid leader (网格长).")


class GridUpdate(InputModel):
    name: str | None = Field(default=None, min_length=1, max_length=200)
    covering_org_id: uuid.UUID | None = None
    boundary: str | None = Field(default=None, max_length=1000)
    households: int | None = Field(default=None, ge=0, le=INT32_MAX)
    population: int | None = Field(default=None, ge=0, le=INT32_MAX)
    buildings: list[Building] | None = None
    leader_id: uuid.UUID | None = None


class GridRead(BaseModel):
    id: uuid.UUID
    code: str
    name: str
    kind: GridKind
    org_id: uuid.UUID
    covering_org_id: uuid.UUID | None
    boundary: str | None
    households: int
    population: int
    buildings: list[Building]
    leader_id: uuid.UUID | None
    version: int


class CentralHousehold(InputModel):
    member_id: uuid.UUID
    households: list[str] = Field(min_length=1, description="Households served (党员中心户).")


class GridMembers(InputModel):
    member_ids: list[uuid.UUID]
    central_households: list[CentralHousehold] = Field(default_factory=list)


class ResidentRead(BaseModel):
    member_id: uuid.UUID
    served_households: list[str]


class GridDetail(GridRead):
    residents: list[ResidentRead]


class Coverage(BaseModel):
    as_of: date
    out_of_range: list[uuid.UUID]
    uncovered: list[uuid.UUID]
    without_leader: list[uuid.UUID]
    unassigned_members: list[uuid.UUID]
    totals: dict[str, int]


class ReportCreate(InputModel):
    community_org_id: uuid.UUID


class ReportRead(BaseModel):
    id: uuid.UUID
    member_id: uuid.UUID
    community_org_id: uuid.UUID
    registered_on: date
    state: CommunityReportState
    review_year: int | None
    review_status: ReviewStatus | None
    version: int


class ServiceCreate(InputModel):
    occurred_on: Day
    hours: Decimal = Field(gt=0, le=24, decimal_places=1)
    description: str = Field(min_length=1, max_length=1000)


class ServiceRead(BaseModel):
    id: uuid.UUID
    occurred_on: date
    hours: Decimal
    description: str
    state: ServiceRecordState


class ReviewCreate(InputModel):
    year: Year
    status: ReviewStatus


class ReportingSummary(BaseModel):
    year: int
    target_hours: int
    employed_members: int
    registered_members: int
    unregistered_members: int
    under_target_members: int
    confirmed_hours: Decimal


class ReportingMemberRead(BaseModel):
    member_id: uuid.UUID
    name: str
    org_id: uuid.UUID
    registered: bool
    confirmed_hours: Decimal
