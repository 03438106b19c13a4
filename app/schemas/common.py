"""Shared schema pieces: problem details, pages."""

from __future__ import annotations

from typing import Generic, TypeVar

from pydantic import BaseModel, ConfigDict, Field

from app.errors import ErrorCode

T = TypeVar("T")


class InputModel(BaseModel):
    """Request bodies: unknown fields are refused, so server-owned fields cannot be set."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)


class ReadModel(BaseModel):
    model_config = ConfigDict(from_attributes=True)


class FieldError(BaseModel):
    field: str
    code: str
    message: str


class Problem(BaseModel):
    """RFC 9457 problem details with a stable machine `code`."""

    type: str = Field(examples=["https://dangjian.dev/problems/member.id_number_invalid"])
    title: str
    status: int
    detail: str | None = None
    code: ErrorCode = Field(examples=[ErrorCode.member_id_number_invalid])
    instance: str | None = None
    errors: list[FieldError] | None = None


class Page(BaseModel, Generic[T]):
    items: list[T]
    next_cursor: str | None = None
    total: int | None = Field(default=None, description="Only with `include_total=true`.")
