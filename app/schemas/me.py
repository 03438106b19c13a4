"""The member's own surface (`/me`): shapes that group what the member reads of itself."""

from __future__ import annotations

import uuid
from datetime import date, datetime
from typing import Any

from pydantic import BaseModel, Field

from app.models.enums import ChangeRequestState, LeaderRole, MemberCategory, ReliefKind
from app.schemas.common import INT64_MAX, InputModel
from app.schemas.meetings import MemberMeeting
from app.schemas.organisations import OrganisationRead
from app.schemas.points import BalanceRead, EntryRead


class MyLeader(BaseModel):
    """A current leader of my organisation as every member may know it (公示): the seat
    and the name, never the member record behind it."""

    role: LeaderRole
    member_name: str
    started_on: date
    ended_on: date | None


class MyOrganisation(BaseModel):
    organisation: OrganisationRead
    leaders: list[MyLeader]


class MyMeetings(BaseModel):
    member_id: uuid.UUID
    attendance_rate: float | None = Field(description="Present / finalized meetings expected.")
    upcoming: list[MemberMeeting]
    attended: list[MemberMeeting]
    absent: list[MemberMeeting]


class MyDuesMonth(BaseModel):
    month: str = Field(examples=["2026-11"])
    category: MemberCategory
    due: bool
    assessed_fen: int
    paid_fen: int | None
    owed_fen: int
    relief: ReliefKind | None
    note: str | None


class MyDues(BaseModel):
    member_id: uuid.UUID
    year: int
    months: list[MyDuesMonth]
    owed_fen: int


class MyPoints(BalanceRead):
    claims: list[EntryRead]


class ChangeRequestCreate(InputModel):
    """What a member may ask to correct in their record; status goes through the
    lifecycle and the organisation through transfers, never through a request."""

    name: str | None = Field(default=None, min_length=1, max_length=100)
    ethnicity: str | None = Field(default=None, max_length=32)
    education: str | None = Field(default=None, max_length=32)
    phone: str | None = Field(default=None, max_length=20)
    work_unit: str | None = Field(default=None, max_length=200)
    residence: str | None = Field(default=None, max_length=200)
    dues_base_fen: int | None = Field(default=None, ge=0, le=INT64_MAX)
    reason: str | None = Field(default=None, max_length=500)


class ChangeRequestDecision(InputModel):
    reason: str = Field(min_length=1, max_length=500)


class ChangeRequestRead(BaseModel):
    id: uuid.UUID
    member_id: uuid.UUID
    changes: dict[str, Any]
    reason: str | None
    state: ChangeRequestState
    decided_at: datetime | None
    decision_reason: str | None
    created_at: datetime
