"""Meeting (三会一课) schemas."""

from __future__ import annotations

import uuid
from datetime import date, datetime
from typing import Annotated, Any, Literal

from pydantic import BaseModel, Field

from app.models.enums import MeetingState, MeetingType, MemberStatus, Presence, VoteKind
from app.schemas.common import INT32_MAX, Day, InputModel

# One type per meeting field, shared by planning, editing and amendments (更正).
Topic = Annotated[str, Field(min_length=1, max_length=500)]
Place = Annotated[str, Field(max_length=200)]
Record = Annotated[str, Field(max_length=100_000)]  # minutes, resolutions


class MeetingCreate(InputModel):
    org_id: uuid.UUID
    type: MeetingType
    held_on: Day
    topic: Topic
    place: Place | None = None
    host_id: uuid.UUID | None = None
    recorder_id: uuid.UUID | None = None
    expected_member_ids: list[uuid.UUID] | None = Field(
        default=None,
        description="Defaults to the group's members, the committee, or the branch's members.",
    )


class MeetingUpdate(InputModel):
    held_on: Day | None = None
    topic: Topic | None = None
    place: Place | None = None
    host_id: uuid.UUID | None = None
    recorder_id: uuid.UUID | None = None
    minutes: Record | None = None
    resolutions: Record | None = None


class AttendanceEntry(InputModel):
    member_id: uuid.UUID
    presence: Presence
    reason: str | None = Field(default=None, max_length=500)


class AttendanceRead(BaseModel):
    member_id: uuid.UUID
    presence: Presence | None
    reason: str | None
    has_vote: bool


class VoteCreate(InputModel):
    kind: VoteKind
    subject: str = Field(min_length=1, max_length=500)
    ayes: int = Field(ge=0, le=INT32_MAX)
    nays: int = Field(ge=0, le=INT32_MAX)
    abstentions: int = Field(default=0, ge=0, le=INT32_MAX)
    member_id: uuid.UUID | None = Field(
        default=None, description="With `to_status`: the member whose status the vote changes."
    )
    to_status: MemberStatus | None = None
    extension_months: int | None = Field(default=None, ge=6, le=12)


class VoteRead(BaseModel):
    id: uuid.UUID
    kind: VoteKind
    subject: str
    ayes: int
    nays: int
    abstentions: int
    voters_expected: int
    voters_present: int
    valid: bool
    invalid_reason: str | None
    passed: bool
    member_id: uuid.UUID | None
    to_status: MemberStatus | None
    transition_id: uuid.UUID | None


class _Amendment(InputModel):
    reason: str = Field(min_length=1, max_length=500)


class PlaceAmendment(_Amendment):
    field: Literal["place"]
    value: Place | None


class TopicAmendment(_Amendment):
    field: Literal["topic"]
    value: Topic


class MinutesAmendment(_Amendment):
    field: Literal["minutes"]
    value: Record | None


class ResolutionsAmendment(_Amendment):
    field: Literal["resolutions"]
    value: Record | None


class AttendanceAmendment(_Amendment):
    field: Literal["attendance"]
    value: list[AttendanceEntry] = Field(
        min_length=1,
        description="Corrected entries; each member must be an attendee or a member of the "
        "meeting's organisation that you can see.",
    )


# A correction (更正) is typed by the field it corrects: the value has that field's type.
AmendmentCreate = Annotated[
    PlaceAmendment | TopicAmendment | MinutesAmendment | ResolutionsAmendment | AttendanceAmendment,
    Field(discriminator="field"),
]


class AmendmentRead(BaseModel):
    id: uuid.UUID
    field: str
    value: Any
    reason: str
    actor_username: str | None
    recorded_at: datetime


class MeetingRead(BaseModel):
    id: uuid.UUID
    org_id: uuid.UUID
    type: MeetingType
    held_on: date
    place: str | None
    topic: str
    host_id: uuid.UUID | None
    recorder_id: uuid.UUID | None
    minutes: str | None = Field(description="As finalized: amendments never overwrite it.")
    resolutions: str | None
    state: MeetingState
    finalized_at: datetime | None
    attendance: list[AttendanceRead]
    votes: list[VoteRead]
    amendments: list[AmendmentRead]
    amended: dict[str, Any] = Field(description="Current values of amended fields (latest wins).")
    version: int


class MeetingSummary(BaseModel):
    id: uuid.UUID
    org_id: uuid.UUID
    type: MeetingType
    held_on: date
    topic: str
    state: MeetingState
    version: int


class MemberMeeting(MeetingSummary):
    presence: Presence | None
    reason: str | None


class MemberMeetings(BaseModel):
    member_id: uuid.UUID
    attendance_rate: float | None = Field(description="Present / finalized meetings expected.")
    items: list[MemberMeeting]
    next_cursor: str | None = Field(default=None, description="Always null: one page.")
    total: int | None = Field(default=None, description="Only with `include_total=true`.")


class ComplianceRow(BaseModel):
    org_id: uuid.UUID
    org_code: str
    org_name: str
    type: MeetingType
    cadence: str
    required: int
    held: int
    dates: list[date]
    attendance_rate: float | None
    overdue: bool
    missing: list[str] = Field(description="Sub-periods that ended without a finalized meeting.")


class Compliance(BaseModel):
    as_of: date
    period: str
    rate: float | None
    rows: list[ComplianceRow]
    totals: dict[str, dict[str, float | int | None]]
