"""Meeting sign-in (签到), leave requests (请假) and WeChat identity schemas."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from typing import Annotated

from pydantic import AwareDatetime, BaseModel, Field

from app.models.enums import LeaveState
from app.schemas.common import MAX_DAY, MIN_DAY, InputModel

Moment = Annotated[
    AwareDatetime,
    Field(
        ge=datetime(MIN_DAY.year, 1, 1, tzinfo=UTC),
        le=datetime(MAX_DAY.year, 12, 31, tzinfo=UTC),
        description="A moment with its UTC offset, from 1900 to 2200.",
    ),
]
Reason = Annotated[str, Field(min_length=1, max_length=500)]


class SignInOpen(InputModel):
    starts_at: Moment | None = Field(
        default=None, description="When the meeting starts; default: now."
    )


class SignInCodeRead(BaseModel):
    meeting_id: uuid.UUID
    code: str
    qr_content: str
    code_seconds: int
    valid_until: datetime
    starts_at: datetime
    opens_at: datetime
    late_after: datetime
    closes_at: datetime


class SignInCreate(InputModel):
    code: str | None = Field(default=None, min_length=1, max_length=64)
    member_id: uuid.UUID | None = Field(
        default=None, description="For a proxy sign-in by a secretary; a member omits it."
    )


class SignInRead(BaseModel):
    meeting_id: uuid.UUID
    member_id: uuid.UUID
    signed_at: datetime
    late: bool
    proxy: bool


class LeaveRequestCreate(InputModel):
    reason: Reason
    member_id: uuid.UUID | None = Field(
        default=None, description="For a request a secretary files; a member omits it."
    )


class LeaveDecision(InputModel):
    note: str | None = Field(default=None, max_length=500)


class LeaveRequestRead(BaseModel):
    id: uuid.UUID
    meeting_id: uuid.UUID
    member_id: uuid.UUID
    reason: str
    state: LeaveState
    requested_at: datetime
    decided_at: datetime | None
    note: str | None


LoginCode = Annotated[str, Field(min_length=1, max_length=128)]


class WechatLogin(InputModel):
    code: LoginCode = Field(description="The mini-program's wx.login() code.")
    binding_code: str | None = Field(
        default=None,
        min_length=1,
        max_length=32,
        description="A binding code from an administrator, for a WeChat not yet bound.",
    )


class WechatBind(InputModel):
    code: LoginCode = Field(description="The mini-program's wx.login() code.")


class WechatBinding(BaseModel):
    bound_at: datetime
    unionid_bound: bool


class BindingCodeRead(BaseModel):
    binding_code: str
    expires_at: datetime
