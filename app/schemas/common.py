"""Shared schema pieces: problem details, pages, and the bounds every input obeys.

Inputs are refused (422) before they reach a service when a column could not store
them: text with NUL, another control character or a lone surrogate, a day outside
`MIN_DAY`..`MAX_DAY`, a year outside `MIN_YEAR`..`MAX_YEAR`, an integer beyond its column
(`INT32_MAX`, `SMALLINT_MAX`, `INT64_MAX`).
"""

from __future__ import annotations

import re
from datetime import date
from typing import Annotated, Any, Generic, TypeVar

from pydantic import BaseModel, ConfigDict, Field, field_validator
from pydantic_core import PydanticCustomError

from app.errors import ErrorCode

T = TypeVar("T")

# The documented ranges of every day and year a request names (query or body).
MIN_DAY = date(1900, 1, 1)
MAX_DAY = date(2200, 12, 31)
MIN_YEAR = MIN_DAY.year
MAX_YEAR = MAX_DAY.year
INT32_MAX = 2**31 - 1
SMALLINT_MAX = 2**15 - 1
INT64_MAX = 2**63 - 1

Day = Annotated[
    date, Field(ge=MIN_DAY, le=MAX_DAY, description=f"A day from {MIN_DAY} to {MAX_DAY}.")
]
Year = Annotated[int, Field(ge=MIN_YEAR, le=MAX_YEAR)]


# NUL and the other C0 control characters but tab and line breaks (no column, export or
# spreadsheet wants them; XLSX cannot hold them), and any surrogate: a `str` holding one
# has no UTF-8 form.
_UNSTORABLE = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff]")


def storable_text(value: str) -> bool:
    """False when `value` holds what no text column stores: NUL, another control character
    (tab, line feed and carriage return excepted), or a lone surrogate (which has no UTF-8
    form). The one text check: body fields, query strings, forms."""
    return _UNSTORABLE.search(value) is None


def _refuse_unstorable(value: Any) -> None:
    if isinstance(value, str):
        if not storable_text(value):
            raise PydanticCustomError(
                ErrorCode.request_text_invalid.value, ErrorCode.request_text_invalid.en
            )
    elif isinstance(value, list | tuple | set | frozenset):
        for item in value:
            _refuse_unstorable(item)
    elif isinstance(value, dict):
        for key, item in value.items():
            _refuse_unstorable(key)
            _refuse_unstorable(item)
    elif isinstance(value, BaseModel):
        pass  # a nested input model checks its own fields


class InputModel(BaseModel):
    """Request bodies: unknown fields are refused, so server-owned fields cannot be set;
    text that no column can store (NUL, control characters, lone surrogates) is refused
    in every field."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    @field_validator("*", mode="after")
    @classmethod
    def _storable_text(cls, value: Any) -> Any:
        _refuse_unstorable(value)
        return value


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
