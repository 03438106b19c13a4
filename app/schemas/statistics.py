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
    by_degree: list[StatRow] = Field(description="学位 (GB/T 6864 first level).")
    by_post: list[StatRow] = Field(description="工作岗位 (the statistics' post codes).")
    by_new_social_stratum: list[StatRow] = Field(description="新社会阶层; unknown: none.")
    by_hardship: list[StatRow] = Field(description="困难情况; unknown: none recorded.")
    by_contact: list[StatRow] = Field(description="失联: lost contact on or before as_of.")


class OrganisationTables(BaseModel):
    total: int = Field(description="Organisations counted in the table.")
    by_type: list[StatRow]
    by_unit_category: list[StatRow]
    with_committee: int
    without_committee: int
    by_term_status: list[StatRow]
    by_unit_type: list[StatRow] = Field(description="党组织所在单位: the unit's legal type.")
    by_economic_type: list[StatRow] = Field(description="The unit's economic type.")
    by_unit_size: list[StatRow] = Field(description="The unit's size (企业规模).")


class MeetingIndicator(BaseModel):
    key: str = Field(description="The meeting type.")
    label_zh: str
    label_en: str
    required: int = Field(description="Sub-periods (months, quarters, the year) required.")
    held: int = Field(description="Sub-periods with a finalized meeting.")
    overdue: int = Field(description="Organisations with a sub-period ended without one.")
    rate: float | None = Field(description="held / required; null when none is required.")


class MeetingTables(BaseModel):
    period: str
    rate: float | None
    by_type: list[MeetingIndicator]


class PointsTables(BaseModel):
    year: int
    ranked: int = Field(description="Members ranked (probationary and full).")
    by_grade: list[StatRow]


class StatisticsTables(BaseModel):
    org_id: uuid.UUID
    as_of: date
    members: MemberTables
    new_members: MemberTables
    organisations: OrganisationTables
    meetings: MeetingTables = Field(
        description="Meeting compliance (三会一课) of the year to as_of (as meeting-compliance)."
    )
    points: PointsTables = Field(description="The points year's members by grade (积分等次).")


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


class StatisticsChecks(BaseModel):
    org_id: uuid.UUID
    as_of: date
    checked: list[str]
    passed: bool
    failed: list[FailedCheck]
