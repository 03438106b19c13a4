"""Mobile member (流动党员) schemas."""

from __future__ import annotations

import uuid
from datetime import date

from pydantic import BaseModel, Field

from app.models.enums import CheckInKind, ContactState, EpisodeState, ReportedBy
from app.schemas.common import Day, InputModel
from app.schemas.transfers import OrgRef

AREA = r"^\d{6}$"


class OutflowCreate(InputModel):
    member_id: uuid.UUID
    destination_area: str = Field(pattern=AREA, description="GB/T 2260 area code, e.g. 440305.")
    reason: str = Field(min_length=1, max_length=500)
    expected_months: int = Field(ge=1, le=120)
    contact: str | None = Field(default=None, max_length=50, description="Stored encrypted.")
    certificate_no: str = Field(min_length=1, max_length=64, description="流动党员活动证 number.")
    location_consent: bool = Field(description="Consent to recording check-in area codes.")
    host_org_id: uuid.UUID | None = Field(default=None, description="The intended host branch.")
    started_on: Day | None = None


class InflowCreate(InputModel):
    host_org_id: uuid.UUID
    certificate_no: str | None = Field(
        default=None, description="Required unless the episode names your branch as host."
    )


class ReturnCreate(InputModel):
    returned_on: Day | None = None


class CheckInCreate(InputModel):
    kind: CheckInKind
    occurred_on: Day
    note: str | None = Field(default=None, max_length=1000)
    area: str | None = Field(default=None, pattern=AREA, description="Only with consent.")


class CheckInRead(BaseModel):
    id: uuid.UUID
    kind: CheckInKind
    occurred_on: date
    note: str | None
    area: str | None
    reported_by: ReportedBy


class EpisodeRead(BaseModel):
    id: uuid.UUID
    member_id: uuid.UUID
    member_name: str
    home_org_id: uuid.UUID | None = Field(description="Null for the host side: it sees code/name.")
    home_org: OrgRef
    host_org_id: uuid.UUID | None
    host_org: OrgRef | None
    destination_area: str
    reason: str
    expected_months: int
    contact: str | None = Field(description="Masked unless you are the home side or the member.")
    certificate_no: str
    location_consent: bool
    state: EpisodeState
    contact_state: ContactState
    started_on: date
    hosted_on: date | None
    ended_on: date | None
    last_contact_on: date
    version: int


class EpisodeDetail(EpisodeRead):
    check_ins: list[CheckInRead]


class MobileStats(BaseModel):
    as_of: date
    by_state: dict[str, int]
    by_destination_province: dict[str, int]
    on_track: int
    overdue: int
    lost_contact: int
