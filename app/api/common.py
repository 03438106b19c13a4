"""Router factory and small helpers shared by every resource router."""

from __future__ import annotations

import inspect
from collections.abc import Callable
from typing import Annotated, Any, TypeVar

from fastapi import APIRouter, Header, Query, Response

from app.api.routing import DangjianRoute
from app.errors import ErrorCode, Unprocessable
from app.i18n import Text
from app.jsonbody import encode
from app.pagination import Page as ServicePage
from app.schemas.common import Page

T = TypeVar("T")

API_PREFIX = "/api/v1"

LimitQuery = Annotated[
    int | None, Query(ge=1, le=500, description="Page size (default 50, max 500).")
]
CursorQuery = Annotated[str | None, Query(description="`next_cursor` of the previous page.")]
TotalQuery = Annotated[
    bool,
    Query(
        description="Also count all matching rows. Costly: the count reads every match "
        "(a page stops after its rows); ask on a first page only."
    ),
]


def sort_query(default: str, *fields: str) -> Any:
    """A list's `sort` parameter: one of its sortable `fields`, `-` in front for
    descending (ties broken by id), declared as an enum in the OpenAPI document; the
    server also takes several, comma-separated (`name,-created_at`)."""
    values = [v for f in fields for v in (f, f"-{f}")]
    if default not in values:
        values.insert(0, default)
    return Query(
        default,
        description="Sort order: a field, `-` in front for descending.",
        json_schema_extra={"enum": values},
    )


def whole_list_order(sort: str, only: str) -> None:
    """A list returned whole in one fixed order: `sort` may only name that order."""
    if sort != only:
        raise Unprocessable.field(
            "sort",
            ErrorCode.pagination_sort_invalid,
            Text(zh=f"此列表只按 {only} 排序", en=f"this list is only sorted by {only}"),
        )


def envelope(page: ServicePage[Any], items: list[T]) -> Page[T]:
    """A service's page in the one list envelope: its items as shaped for the answer
    (`items`, in the page's order), its cursor and total."""
    return Page(items=items, next_cursor=page.next_cursor, total=page.total)


def whole_page(items: list[T], include_total: bool) -> Page[T]:
    """A short list returned whole, in the one list envelope (no further page)."""
    return Page(items=items, next_cursor=None, total=len(items) if include_total else None)


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


def json_response(
    content: Any, status_code: int = 200, headers: dict[str, str] | None = None
) -> Response:
    """JSON written by orjson from plain values, for hot endpoints that build their body.

    The endpoint declares `response_model` for the documented schema; FastAPI then
    neither validates nor re-serializes the body (a test checks it against the model).
    Dates, UUIDs and UTC times come out as pydantic writes them (`...Z`).
    """
    return Response(encode(content), status_code, headers, media_type="application/json")
