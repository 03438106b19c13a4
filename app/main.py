"""create_app(): routers, middleware, problem-details error handlers, offline docs."""

from __future__ import annotations

import asyncio
import gc
import logging
import re
import time
import uuid
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from typing import Any
from urllib.parse import parse_qsl

import orjson
from asyncpg import InterfaceError, PostgresError
from fastapi import APIRouter, FastAPI, Request, Response
from fastapi.exceptions import RequestValidationError
from fastapi.openapi.docs import get_redoc_html
from fastapi.responses import HTMLResponse, JSONResponse, RedirectResponse
from fastapi.routing import APIRoute
from fastapi_offline import FastAPIOffline
from fastapi_offline.core import _STATIC_PATH as OFFLINE_DOCS_STATIC
from prometheus_client import CONTENT_TYPE_LATEST, Counter, Histogram, generate_latest
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError
from sqlalchemy.exc import TimeoutError as PoolTimeoutError
from sqlalchemy.orm.exc import StaleDataError
from starlette.datastructures import MutableHeaders
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.middleware.cors import CORSMiddleware
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from app import __version__
from app.api import (
    audit,
    auth,
    discipline,
    dues,
    grids,
    imports,
    integration,
    meetings,
    members,
    mobile,
    organisations,
    points,
    policies,
    sign_in,
    transfers,
    users,
    wechat,
)
from app.api.common import API_PREFIX
from app.api.openapi import build as build_openapi
from app.api.openapi import operation_id
from app.api.operations import DOCUMENT_DESCRIPTION
from app.config import get_settings
from app.db import get_engine, get_sessionmaker
from app.errors import DangjianError, ErrorCode, database_error
from app.i18n import Language, Text, localized_detail, negotiate, validation_message
from app.logging import configure_logging, request_id_var
from app.schemas.common import storable_text
from app.services.users import bootstrap_admin

log = logging.getLogger("dangjian")

REQUESTS = Counter("dangjian_requests_total", "HTTP requests", ["method", "route", "status"])
LATENCY = Histogram("dangjian_request_seconds", "Request latency", ["method", "route"])

PROBLEM_BASE = "https://dangjian.dev/problems/"

GC_THRESHOLDS = (2_000, 20, 50)  # CPython defaults: (700, 10, 10)


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
    detail: str | Text | None = None,
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


def _install_error_handlers(app: FastAPI) -> None:
    @app.exception_handler(DangjianError)
    async def domain_error(request: Request, exc: DangjianError) -> Response:
        return problem_response(request, exc.status, exc.code, exc.detail, exc.errors, exc.headers)

    @app.exception_handler(RequestValidationError)
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

    @app.exception_handler(StarletteHTTPException)
    async def http_error(request: Request, exc: StarletteHTTPException) -> Response:
        code = {
            404: ErrorCode.request_not_found,
            405: ErrorCode.request_method_not_allowed,
        }.get(exc.status_code, ErrorCode.request_malformed)
        return problem_response(
            request, exc.status_code, code, str(exc.detail), headers=dict(exc.headers or {})
        )

    def concurrent_update(request: Request) -> Response:
        # Another write changed the row between this request's read and its versioned
        # UPDATE. A request that named the version it read (If-Match) has had its
        # precondition fail, exactly as if it had arrived after that write: 412, not 409.
        if request.headers.get("if-match", "*").strip() != "*":
            return problem_response(request, 412, ErrorCode.precondition_failed)
        return problem_response(request, 409, ErrorCode.conflict_concurrent_update)

    @app.exception_handler(StaleDataError)
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

    # What the database, its driver or the pool raise, refusals and outages alike: one
    # mapping (`database_error`) answers them all.
    for raised in (
        DBAPIError,
        PostgresError,
        InterfaceError,
        ConnectionError,
        TimeoutError,
        PoolTimeoutError,
    ):
        app.add_exception_handler(raised, database)

    @app.exception_handler(Exception)
    async def unexpected(request: Request, exc: Exception) -> Response:
        log.exception("unhandled error")
        return problem_response(request, 500, ErrorCode.internal_error)


# A percent-encoded character that `storable_text` refuses: NUL or another C0 control
# character but tab (%09), line feed (%0A) and carriage return (%0D).
_ENCODED_CONTROL = re.compile(rb"%(?:0[0-8bBcCeEfF]|1[0-9a-fA-F])")


def _unstorable_query(scope: Scope) -> str | None:
    """The first query parameter (or the path) holding text no column stores, or None.

    Decoded query values never hold a lone surrogate (undecodable bytes become U+FFFD),
    so only an encoded control character is looked for, with one scan of the raw bytes."""
    if not storable_text(scope["path"]):
        return "path"
    query: bytes = scope.get("query_string", b"")
    if _ENCODED_CONTROL.search(query) is None:
        return None
    for name, value in parse_qsl(query.decode("latin-1"), keep_blank_values=True):
        if not (storable_text(name) and storable_text(value)):
            return name.encode("utf-8", "backslashreplace").decode()
    return None


class RequestContextMiddleware:
    """Request id, metrics and one log line per request, as plain ASGI.

    Starlette's `BaseHTTPMiddleware` runs the app in a task group behind memory
    streams; measured on `GET /members/{id}` that wrapper was a fifth of the CPU
    of the whole request, so this middleware only wraps `send`.
    """

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        request_id = ""
        for name, value in scope["headers"]:
            if name == b"x-request-id":
                request_id = value.decode("latin-1")
                break
        # uuid4: a request id is a random correlation tag, never a key that orders rows.
        request_id = (request_id or uuid.uuid4().hex)[:64]
        status = 500
        started = time.perf_counter()

        async def send_with_id(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
                headers = MutableHeaders(scope=message)
                headers["X-Request-ID"] = request_id
            await send(message)

        token = request_id_var.set(request_id)
        try:
            refused = _unstorable_query(scope)
            if refused is not None:
                response = problem_response(
                    Request(scope),
                    422,
                    ErrorCode.request_validation_failed,
                    errors=[
                        {
                            "field": refused,
                            "code": ErrorCode.request_text_invalid,
                            "message": ErrorCode.request_text_invalid.en,
                        }
                    ],
                )
                await response(scope, receive, send_with_id)
                return
            await self.app(scope, receive, send_with_id)
        finally:
            elapsed = time.perf_counter() - started
            route = scope.get("route")
            route_path = route.path if isinstance(route, APIRoute) else "unmatched"
            REQUESTS.labels(scope["method"], route_path, status).inc()
            LATENCY.labels(scope["method"], route_path).observe(elapsed)
            log.info(
                "request",
                extra={
                    "method": scope["method"],
                    "path": scope["path"],
                    "status": status,
                    "duration_ms": round(elapsed * 1000, 2),
                },
            )
            request_id_var.reset(token)


def _custom_openapi(app: FastAPI) -> Callable[[], dict[str, Any]]:
    def openapi() -> dict[str, Any]:
        if not app.openapi_schema:
            app.openapi_schema = build_openapi(app, "zh")
        return app.openapi_schema

    return openapi


@asynccontextmanager
async def lifespan(app: FastAPI) -> AsyncIterator[None]:
    settings = get_settings()
    if settings.bootstrap_admin_user and settings.bootstrap_admin_password:
        async with get_sessionmaker()() as session, session.begin():
            created = await bootstrap_admin(
                session, settings.bootstrap_admin_user, settings.bootstrap_admin_password
            )
        if created is not None:
            log.info("bootstrap system_admin created", extra={"username": created.username})
    # Everything loaded at start-up (modules, mappers, compiled schemas) lives as long as
    # the process: move it out of the collector's sight, and collect the young
    # generation less often. Reports allocate thousands of short-lived objects per
    # request, and each full collection otherwise walks the whole start-up heap.
    gc.collect()
    gc.freeze()
    gc.set_threshold(*GC_THRESHOLDS)
    yield
    await get_engine().dispose()


DESCRIPTION = DOCUMENT_DESCRIPTION[0]


def _mount(app: FastAPI, router: APIRouter, prefix: str) -> None:
    """Register a module's routes on the app itself, under `prefix`.

    What `include_router` would document, but flat: FastAPI 0.165 matches an included
    router's routes through a per-router indirection (each request walks every router and
    matches the chosen one twice), measured at 140-390 us a request with 93 routes; a
    flat list costs 70-160 us. Each route keeps everything its decorator and router gave
    it (tags, responses, status, model, route class); the OpenAPI document is unchanged
    (a test compares it), and the app's dependency overrides apply as before.
    """
    for route in router.routes:
        if not isinstance(route, APIRoute):
            raise TypeError(f"{prefix}: only API routes are mounted, not {route!r}")
        app.router.add_api_route(
            prefix + route.path,
            route.endpoint,
            response_model=route.response_model,
            status_code=route.status_code,
            tags=route.tags,
            dependencies=route.dependencies,
            summary=route.summary,
            description=route.description,
            response_description=route.response_description,
            responses=route.responses,
            deprecated=route.deprecated,
            methods=route.methods,
            operation_id=route.operation_id,
            response_model_include=route.response_model_include,
            response_model_exclude=route.response_model_exclude,
            response_model_by_alias=route.response_model_by_alias,
            response_model_exclude_unset=route.response_model_exclude_unset,
            response_model_exclude_defaults=route.response_model_exclude_defaults,
            response_model_exclude_none=route.response_model_exclude_none,
            include_in_schema=route.include_in_schema,
            response_class=route.response_class,
            name=route.name,
            route_class_override=type(route),
            callbacks=route.callbacks,
            openapi_extra=route.openapi_extra,
        )


def create_app() -> FastAPI:
    settings = get_settings()
    configure_logging(settings.log_level, settings.log_json)
    app = FastAPIOffline(
        title="Dangjian 智慧党建 API",
        version=__version__,
        description=DESCRIPTION,
        generate_unique_id_function=operation_id,
        lifespan=lifespan,
        # No badge fetched from validator.swagger.io: the docs load nothing from outside.
        swagger_ui_parameters={"persistAuthorization": True, "validatorUrl": None},
        redoc_url=None,
    )
    routers = (
        auth,
        users,
        organisations,
        policies,
        members,
        discipline,
        transfers,
        dues,
        mobile,
        meetings,
        sign_in,
        points,
        grids,
        integration,
        imports,
        wechat,
    )
    for module in (*routers, audit):
        _mount(app, module.router, API_PREFIX)
    _install_ops(app)
    _install_docs(app)
    _install_error_handlers(app)
    # Outermost last: CORS answers preflights before anything else looks at the request;
    # the method override is inside the request context, so logs and metrics see PATCH.
    app.add_middleware(MethodOverrideMiddleware)
    app.add_middleware(RequestContextMiddleware)
    origins = settings.cors_origin_list()
    if origins:
        app.add_middleware(
            CORSMiddleware,
            allow_origins=origins,
            allow_credentials=False,
            allow_methods=["GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"],
            allow_headers=CORS_ALLOWED_HEADERS,
            expose_headers=CORS_EXPOSED_HEADERS,
            max_age=600,
        )
    app.openapi = _custom_openapi(app)  # type: ignore[method-assign]  # FastAPI's documented override
    english: dict[str, Any] = {}

    @app.get("/openapi.en.json", include_in_schema=False)
    async def openapi_en() -> Response:
        """The same document with English summaries and descriptions."""
        if not english:
            english.update(build_openapi(app, "en"))
        return OrjsonResponse(english)

    return app


# What a browser on another origin may send and read (CORS, `DANGJIAN_CORS_ORIGINS`).
CORS_ALLOWED_HEADERS = [
    "Authorization",
    "Content-Type",
    "Accept-Language",
    "If-Match",
    "Idempotency-Key",
    "X-HTTP-Method-Override",
    "X-Request-ID",
]
CORS_EXPOSED_HEADERS = [
    "ETag",
    "Location",
    "Idempotent-Replayed",
    "Retry-After",
    "Content-Language",
    "X-Request-ID",
]

METHOD_OVERRIDE_HEADER = b"x-http-method-override"


class MethodOverrideMiddleware:
    """`POST` with `X-HTTP-Method-Override: PATCH` is served as that PATCH.

    WeChat mini-programs (`wx.request`) cannot send PATCH. Only PATCH may be named, and
    only on a POST: the request then is a PATCH in every respect (route, `If-Match`,
    audit; no `Idempotency-Key` replay, as for any PATCH). Anything else carrying the
    header is refused with 422 rather than silently served as something else.
    """

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http":
            override = next((v for k, v in scope["headers"] if k == METHOD_OVERRIDE_HEADER), None)
            if override is not None:
                if scope["method"] == "POST" and override.strip().upper() == b"PATCH":
                    # In place: the request context outside logs the route it reached.
                    scope["method"] = "PATCH"
                else:
                    response = problem_response(
                        Request(scope), 422, ErrorCode.request_method_override_invalid
                    )
                    await response(scope, receive, send)
                    return
        await self.app(scope, receive, send)


# ReDoc's bundle shows a "by Redocly" logo fetched from their CDN; served without it.
_REDOC_CDN_LOGO = "https://cdn.redoc.ly/redoc/logo-mini.svg"
REDOC_JS_PATH = "/docs-assets/redoc.standalone.js"


def _install_docs(app: FastAPI) -> None:
    redoc_js: bytes | None = None

    @app.get("/", include_in_schema=False)
    async def root() -> RedirectResponse:
        return RedirectResponse("/docs")

    @app.get("/redoc", include_in_schema=False)
    async def redoc(request: Request) -> HTMLResponse:
        root_path = request.scope.get("root_path", "")
        return get_redoc_html(
            openapi_url=f"{root_path}{app.openapi_url}",
            title=app.title + " - ReDoc",
            redoc_js_url=f"{root_path}{REDOC_JS_PATH}",
            with_google_fonts=False,
            redoc_favicon_url=f"{root_path}/static-offline-docs/favicon.png",
        )

    @app.get(REDOC_JS_PATH, include_in_schema=False)
    async def redoc_bundle() -> Response:
        nonlocal redoc_js
        if redoc_js is None:
            text = (OFFLINE_DOCS_STATIC / "redoc.standalone.js").read_text(encoding="utf-8")
            # An image that fails to load is hidden by ReDoc itself (its onError).
            redoc_js = text.replace(_REDOC_CDN_LOGO, "data:,").encode()
        return Response(
            redoc_js,
            media_type="text/javascript",
            headers={"Cache-Control": "public, max-age=86400"},
        )


def _install_ops(app: FastAPI) -> None:
    @app.get("/healthz", tags=["operations"], name="ops_healthz")
    async def healthz() -> dict[str, str]:
        """Liveness: the process answers."""
        return {"status": "ok"}

    @app.get(
        "/readyz",
        tags=["operations"],
        name="ops_readyz",
        response_model=dict[str, str],
    )
    async def readyz(request: Request) -> Response:
        """Readiness: the database answers (503 while it does not; recovers by itself)."""
        try:
            # A frozen server accepts and never answers: the probe has a deadline.
            async with asyncio.timeout(get_settings().db_connect_timeout_seconds):
                async with get_engine().connect() as conn:
                    await conn.execute(text("SELECT 1"))
        except Exception as exc:  # any driver or network failure means "not ready"
            log.warning("database unreachable", extra={"error": str(exc)})
            return problem_response(
                request, 503, ErrorCode.ops_database_unreachable, str(exc)[:200] or None
            )
        return OrjsonResponse({"status": "ready"})

    @app.get("/metrics", tags=["operations"], name="ops_metrics", include_in_schema=True)
    async def metrics() -> Response:
        """Prometheus metrics: request counts and latency by route."""
        return Response(generate_latest(), media_type=CONTENT_TYPE_LATEST)
