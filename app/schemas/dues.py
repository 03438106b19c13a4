"""Dues (党费) schemas; money is integer fen."""

from __future__ import annotations

import uuid
from datetime import date
from decimal import Decimal

from pydantic import BaseModel, Field

from app.models.enums import MemberCategory, ReliefKind
from app.schemas.common import INT64_MAX, Day, InputModel

MONTH = r"^\d{4}-(0[1-9]|1[0-2])$"


class Assessment(BaseModel):
    member_id: uuid.UUID
    month: str = Field(examples=["2026-11"])
    category: MemberCategory
    base_fen: int | None
    rate: Decimal | None = Field(description="0.005 = 0.5 %; null for fixed amounts.")
    amount_fen: int
    due: bool
    note: str | None
    relief: ReliefKind | None


class PaymentCreate(InputModel):
    member_id: uuid.UUID
    months: list[str] = Field(min_length=1, max_length=12, examples=[["2026-10", "2026-11"]])
    amount_fen: int = Field(ge=0, le=INT64_MAX)
    paid_on: Day


class PaymentRead(BaseModel):
    id: uuid.UUID
    member_id: uuid.UUID
    months: list[str]
    prepaid_months: list[str] = Field(
        description="The months after the payment's own month: paid ahead (预交)."
    )
    amount_fen: int
    assessed_fen: int = Field(description="The sum of the months' assessments.")
    voluntary_extra_fen: int = Field(
        description="amount_fen above the assessment: voluntary extra dues (自愿多交)."
    )
    paid_on: date


class ReliefCreate(InputModel):
    kind: ReliefKind
    monthly_fen: int | None = Field(
        default=None, ge=0, le=INT64_MAX, description="Reduced amount (reduction)."
    )
    from_month: str = Field(pattern=MONTH)
    to_month: str = Field(pattern=MONTH)
    approval_ref: str = Field(min_length=1, max_length=200, description="Approval document number.")
    approved_on: Day


class ReliefRead(BaseModel):
    id: uuid.UUID
    member_id: uuid.UUID
    kind: ReliefKind
    monthly_fen: int | None
    from_month: str
    to_month: str
    approval_ref: str
    approved_on: date


class ArrearsRow(BaseModel):
    member_id: uuid.UUID
    name: str
    org_id: uuid.UUID
    unpaid_months: list[str]
    longest_unpaid_run: int
    flags: list[str] = Field(
        description="`dues.six_months_unpaid` for 6 consecutive unpaid months."
    )


class ArrearsPage(BaseModel):
    as_of: date
    window: list[str] = Field(description="First and last month considered.")
    items: list[ArrearsRow]
    next_cursor: str | None
