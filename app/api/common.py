"""Router factory and small helpers shared by every resource router."""

from __future__ import annotations

import inspect
import uuid
from collections.abc import Callable
from typing import Annotated, Any

import orjson
from fastapi import APIRouter, Header, Query, Response

from app.api.routing import DangjianRoute

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
    """A resource's router; the problem statuses each operation answers with are
    documented by `app.api.openapi`."""
    return APIRouter(tags=[tag], route_class=DangjianRoute)


def doc(fn: Callable[..., Any]) -> str:
    """A service function's docstring, shown to admins as the operation description."""
    return inspect.getdoc(fn) or ""


def _json_default(value: Any) -> Any:
    # asyncpg's own UUID type (a uuid.UUID that orjson does not take as one).
    if isinstance(value, uuid.UUID):
        return str(value)
    raise TypeError(f"not JSON serializable: {type(value).__name__}")


def json_response(
    content: Any, status_code: int = 200, headers: dict[str, str] | None = None
) -> Response:
    """JSON written by orjson from plain values, for hot endpoints that build their body.

    The endpoint declares `response_model` for the documented schema; FastAPI then
    neither validates nor re-serializes the body (a test checks it against the model).
    Dates, UUIDs and UTC times come out as pydantic writes them (`...Z`).
    """
    body = orjson.dumps(content, default=_json_default, option=orjson.OPT_UTC_Z)
    return Response(body, status_code, headers, media_type="application/json")
