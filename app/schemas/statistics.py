"""Party statistics (党内统计): the 增减 ledger."""

from __future__ import annotations

import uuid
from datetime import date
from typing import Literal

from pydantic import BaseModel, Field

from app.models.enums import MemberChangeDirection, MemberChangeReason


class MemberChangeRead(BaseModel):
    on: date
    member_id: uuid.UUID
    name: str
    reason: MemberChangeReason
    direction: MemberChangeDirection
    org_id: uuid.UUID
    counterpart_org_id: uuid.UUID | None


class MemberChangeTotal(BaseModel):
    reason: MemberChangeReason
    direction: MemberChangeDirection
    count: int
    label_zh: str
    label_en: str


class MemberChangesPage(BaseModel):
    org_id: uuid.UUID
    period_from: date
    period_to: date
    count_at_start: int
    added: int
    removed: int
    count_at_end: int
    by_reason: list[MemberChangeTotal]
    items: list[MemberChangeRead]
    next_cursor: str | None
    total: int | None


class StatRow(BaseModel):
    key: str
    label_zh: str
    label_en: str
    count: int


class MemberTables(BaseModel):
    total: int = Field(description="Members counted in the table.")
    by_gender: list[StatRow]
    by_ethnicity: list[StatRow]
    by_age_band: list[StatRow]
    by_education: list[StatRow]
    by_category: list[StatRow]
    by_joining_period: list[StatRow]
    by_degree: list[StatRow]
    by_post: list[StatRow]
    by_new_social_stratum: list[StatRow]
    by_hardship: list[StatRow]
    by_contact: list[StatRow]


class OrganisationTables(BaseModel):
    total: int = Field(description="Organisations counted in the table.")
    by_type: list[StatRow]
    by_unit_category: list[StatRow]
    with_committee: int
    without_committee: int
    by_term_status: list[StatRow]
    by_unit_type: list[StatRow]
    by_economic_type: list[StatRow]
    by_unit_size: list[StatRow]


class MeetingIndicator(BaseModel):
    key: str
    label_zh: str
    label_en: str
    required: int
    held: int
    overdue: int
    rate: float | None


class MeetingTables(BaseModel):
    period: str
    rate: float | None
    by_type: list[MeetingIndicator]


class PointsTables(BaseModel):
    year: int
    ranked: int
    by_grade: list[StatRow]


class StatisticsTables(BaseModel):
    org_id: uuid.UUID
    as_of: date
    members: MemberTables
    new_members: MemberTables
    organisations: OrganisationTables
    meetings: MeetingTables
    points: PointsTables


class CheckRecord(BaseModel):
    kind: Literal["member_record", "organisation_record", "statistics_table"]
    id: uuid.UUID | None
    name: str
    link: str | None


class FailedCheck(BaseModel):
    code: str
    message_zh: str
    message_en: str
    count: int
    records: list[CheckRecord]
    all_records: str | None


class StatisticsChecks(BaseModel):
    org_id: uuid.UUID
    as_of: date
    checked: list[str]
    passed: bool
    failed: list[FailedCheck]
