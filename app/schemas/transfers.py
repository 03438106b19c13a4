"""Transfer (组织关系转接) schemas."""

from __future__ import annotations

import uuid
from datetime import datetime

from pydantic import BaseModel, Field

from app.models.enums import TransferState
from app.schemas.common import InputModel


class TransferCreate(InputModel):
    member_id: uuid.UUID
    to_org_id: uuid.UUID = Field(description="The receiving branch, anywhere in the tree.")
    reason: str = Field(min_length=1, max_length=500)


class TransferDecision(InputModel):
    reason: str = Field(min_length=1, max_length=500)


class TransferCancel(InputModel):
    reason: str | None = Field(default=None, max_length=500)


class OrgRef(BaseModel):
    """An organisation as the other side sees it: code and name; the id only within scope."""

    id: uuid.UUID | None
    code: str
    name: str


class TransferRead(BaseModel):
    id: uuid.UUID
    member_id: uuid.UUID
    member_name: str
    from_org: OrgRef
    to_org: OrgRef
    state: TransferState
    reason: str
    dues_paid_until: str | None = Field(description="Month (YYYY-MM) dues are paid up to.")
    overdue: bool = Field(description="Pending longer than the policy allows (default 3 months).")
    decision_reason: str | None
    created_at: datetime
    decided_at: datetime | None
    version: int
