"""The member's own surface (`/me`): shapes that group what the member reads of itself."""

from __future__ import annotations

import uuid
from datetime import date

from pydantic import BaseModel, Field

from app.models.enums import LeaderRole, MemberCategory, ReliefKind
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
