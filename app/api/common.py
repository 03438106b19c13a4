"""Router factory and small helpers shared by every resource router."""

from __future__ import annotations

import inspect
from collections.abc import Callable
from typing import Annotated, Any

from fastapi import APIRouter, Header, Query

from app.api.routing import DangjianRoute
from app.errors import PROBLEM_RESPONSES

API_PREFIX = "/api/v1"

LimitQuery = Annotated[
    int | None, Query(ge=1, le=500, description="Page size (default 50, max 500).")
]
CursorQuery = Annotated[str | None, Query(description="`next_cursor` of the previous page.")]
TotalQuery = Annotated[bool, Query(description="Also count all matching rows.")]
SortQuery = Annotated[str | None, Query(description="Comma-separated fields, `-` for descending.")]
IfMatch = Annotated[
    str | None, Header(alias="If-Match", description="The `ETag` you read; 412 if it changed.")
]


def make_router(tag: str) -> APIRouter:
    return APIRouter(tags=[tag], route_class=DangjianRoute, responses=PROBLEM_RESPONSES)


def doc(fn: Callable[..., Any]) -> str:
    """A service function's docstring, shown to admins as the operation description."""
    return inspect.getdoc(fn) or ""
