"""Problem details (RFC 9457): the one response every refusal answers, and the handlers
that turn domain errors, validation errors, HTTP errors and database failures into it."""

from __future__ import annotations

import logging
from typing import Any

import orjson
from asyncpg import InterfaceError, PostgresError
from fastapi import FastAPI, Request, Response
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from sqlalchemy.exc import DBAPIError
from sqlalchemy.exc import TimeoutError as PoolTimeoutError
from sqlalchemy.orm.exc import StaleDataError
from starlette.exceptions import HTTPException as StarletteHTTPException

from app.errors import DangjianError, ErrorCode, database_error
from app.i18n import Language, Text, localized_detail, negotiate, validation_message

log = logging.getLogger("dangjian")

PROBLEM_BASE = "https://dangjian.dev/problems/"


class OrjsonResponse(JSONResponse):
    """JSON rendered by orjson (handles dates, UUIDs and non-ASCII text natively)."""

    def render(self, content: Any) -> bytes:
        return orjson.dumps(content)


def _language(request: Request) -> Language:
    return negotiate(request.query_params.get("lang"), request.headers.get("accept-language", ""))


def problem_response(
    request: Request,
    status: int,
    code: ErrorCode,
    detail: Text | None = None,
    errors: list[dict[str, Any]] | None = None,
    headers: dict[str, str] | None = None,
) -> OrjsonResponse:
    lang = _language(request)
    body: dict[str, Any] = {
        "type": PROBLEM_BASE + code,
        "title": code.message(lang),
        "status": status,
        "detail": localized_detail(detail, code, lang),
        "code": code,
        "instance": request.url.path,
    }
    if errors is not None:
        # A field's own code (ours, or the validator's `value.*`) keeps its message
        # unless the catalogue has it in the caller's language.
        body["errors"] = [
            {**e, "message": known.message(lang)}
            if (known := ErrorCode.known(e["code"])) is not None
            else e
            for e in errors
        ]
    return OrjsonResponse(
        body,
        status_code=status,
        media_type="application/problem+json",
        headers={**(headers or {}), "Content-Language": "en" if lang == "en" else "zh-CN"},
    )


# Pydantic's own refusals that one of our codes names (a lone surrogate in JSON text).
_VALIDATOR_CODES = {"string_unicode": ErrorCode.request_text_invalid}


async def domain_error(request: Request, exc: DangjianError) -> Response:
    return problem_response(request, exc.status, exc.code, exc.detail, exc.errors, exc.headers)


async def validation_error(request: Request, exc: RequestValidationError) -> Response:
    lang = _language(request)
    errors = []
    for err in exc.errors():
        loc = [str(p) for p in err.get("loc", ())]
        # The first element says where the value came from (body, query, path, header).
        field = ".".join(loc[1:]) if len(loc) > 1 else ".".join(loc)
        # A refused key may hold a lone surrogate, which has no UTF-8 form to answer.
        field = field.encode("utf-8", "backslashreplace").decode()
        errors.append(
            {
                "field": field,
                # Our own checks raise with an ErrorCode as the error type.
                "code": _VALIDATOR_CODES.get(err.get("type", ""))
                or ErrorCode.known(err.get("type"))
                or f"value.{err.get('type', 'invalid')}",
                "message": validation_message(err, lang),
            }
        )
    malformed = any(e["code"] == "value.json_invalid" for e in errors)
    # The messages are already in the caller's language.
    joined = "; ".join(f"{e['field']}: {e['message']}" for e in errors)
    return problem_response(
        request,
        422,
        ErrorCode.request_malformed if malformed else ErrorCode.request_validation_failed,
        Text(zh=joined, en=joined),
        errors,
    )


async def http_error(request: Request, exc: StarletteHTTPException) -> Response:
    code = {
        404: ErrorCode.request_not_found,
        405: ErrorCode.request_method_not_allowed,
    }.get(exc.status_code, ErrorCode.request_malformed)
    # Starlette's words ("Not Found") are English: zh-CN callers read the title's.
    detail = Text(zh=code.zh, en=str(exc.detail))
    return problem_response(request, exc.status_code, code, detail, headers=dict(exc.headers or {}))


def concurrent_update(request: Request) -> Response:
    # Another write changed the row between this request's read and its versioned
    # UPDATE. A request that named the version it read (If-Match) has had its
    # precondition fail, exactly as if it had arrived after that write: 412, not 409.
    if request.headers.get("if-match", "*").strip() != "*":
        return problem_response(request, 412, ErrorCode.precondition_failed)
    return problem_response(request, 409, ErrorCode.conflict_concurrent_update)


async def stale(request: Request, exc: StaleDataError) -> Response:
    return concurrent_update(request)


async def database(request: Request, exc: Exception) -> Response:
    # Services check rules first; this answers what the database refused past them
    # (a race, a named constraint), through SQLAlchemy or on the driver connection.
    error = database_error(exc)
    if error is None:
        log.exception("database error")
        return problem_response(request, 500, ErrorCode.internal_error)
    if error.status == 503:
        log.warning("database unavailable", extra={"error": repr(exc)[:300]})
        return problem_response(request, 503, error.code, headers=error.headers)
    log.info("database refused a write", extra={"error": str(exc), "code": error.code})
    if error.code is ErrorCode.conflict_concurrent_update:
        return concurrent_update(request)
    return problem_response(request, error.status, error.code, errors=error.errors)


async def unexpected(request: Request, exc: Exception) -> Response:
    log.exception("unhandled error")
    return problem_response(request, 500, ErrorCode.internal_error)


# What the database, its driver or the pool raise, refusals and outages alike: one
# mapping (`database_error`) answers them all.
DATABASE_FAILURES: tuple[type[Exception], ...] = (
    DBAPIError,
    PostgresError,
    InterfaceError,
    ConnectionError,
    TimeoutError,
    PoolTimeoutError,
)


def install_error_handlers(app: FastAPI) -> None:
    app.add_exception_handler(DangjianError, domain_error)  # type: ignore[arg-type]
    app.add_exception_handler(RequestValidationError, validation_error)  # type: ignore[arg-type]
    app.add_exception_handler(StarletteHTTPException, http_error)  # type: ignore[arg-type]
    app.add_exception_handler(StaleDataError, stale)  # type: ignore[arg-type]
    for raised in DATABASE_FAILURES:
        app.add_exception_handler(raised, database)
    app.add_exception_handler(Exception, unexpected)
