"""create_app(): routers, middleware, the error handlers (app/api/problems.py), offline docs."""

from __future__ import annotations

import asyncio
import functools
import gc
import logging
import re
import sys
import time
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from typing import Any
from urllib.parse import parse_qsl

import uuid_utils
from fastapi import APIRouter, FastAPI, Request, Response
from fastapi.openapi.docs import get_redoc_html
from fastapi.responses import HTMLResponse, RedirectResponse
from fastapi.routing import APIRoute
from fastapi_offline import FastAPIOffline
from fastapi_offline.core import _STATIC_PATH as OFFLINE_DOCS_STATIC
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest
from sqlalchemy import text
from starlette.middleware.cors import CORSMiddleware
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from app import __version__
from app.api import (
    admission,
    attachments,
    audit,
    auth,
    change_requests,
    discipline,
    dues,
    grids,
    imports,
    integration,
    me,
    meetings,
    members,
    mobile,
    notifications,
    organisations,
    points,
    policies,
    sign_in,
    statistics,
    todos,
    transfers,
    users,
    wechat,
)
from app.api.common import API_PREFIX
from app.api.deps import forwarded_scheme
from app.api.openapi import build as build_openapi
from app.api.openapi import operation_id
from app.api.operations import DOCUMENT_DESCRIPTION
from app.api.problems import OrjsonResponse, install_error_handlers, problem_response
from app.api.route_index import RouteIndex
from app.api.solver import SolvedRoute
from app.config import get_settings
from app.db import get_engine, get_sessionmaker
from app.errors import ErrorCode
from app.i18n import Text
from app.logging import configure_logging, request_id_var
from app.metrics import LATENCY, REQUESTS
from app.schemas.common import storable_text
from app.services.users import bootstrap_admin

log = logging.getLogger("dangjian")


GC_THRESHOLDS = (2_000, 20, 50)  # CPython defaults: (700, 10, 10)
# How long a thread may hold the GIL while another waits for it (CPython: 5 ms). Exports
# encode in a thread; each time the event loop comes back from a socket it waits for the
# GIL, up to this long, several times per request. At 1 ms, the loop's lag during a
# province XLSX export: p50 12 -> 6 ms, p99 35-48 -> 24-27 ms, the export no slower
# (bench/RESULTS.md).
GIL_SWITCH_INTERVAL = 0.001


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


# A metric's child per label values, kept: `labels()` checks and locks on every call.
# Bounded: methods x route templates (or "unmatched") x statuses.
_request_metrics = functools.cache(REQUESTS.labels)
_latency_metric = functools.cache(LATENCY.labels)


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
        # uuid4: a request id is a random correlation tag, never a key that orders rows;
        # uuid_utils' draws from a user-space generator (the standard library's reads the
        # kernel's, a system call per request: ten times the cost, for no secret).
        request_id = (request_id or uuid_utils.uuid4().hex)[:64]
        status = 500
        started = time.perf_counter()

        async def send_with_id(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
                # MutableHeaders' assignment without its object: drop any, append ours.
                message["headers"] = [
                    *(h for h in message.get("headers", ()) if h[0].lower() != b"x-request-id"),
                    (b"x-request-id", request_id.encode("latin-1")),
                ]
            await send(message)

        token = request_id_var.set(request_id)
        forwarded_scheme(scope, get_settings())
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
            _request_metrics(scope["method"], route_path, status).inc()
            _latency_metric(scope["method"], route_path).observe(elapsed)
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
    sys.setswitchinterval(GIL_SWITCH_INTERVAL)
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
        telemetry={
            "tracing": settings.otel_enabled,
            "metrics": settings.otel_enabled,
            "logs": settings.otel_enabled,
        },
    )
    routers = (
        auth,
        users,
        organisations,
        policies,
        members,
        change_requests,
        discipline,
        admission,
        attachments,
        transfers,
        dues,
        mobile,
        meetings,
        sign_in,
        points,
        grids,
        statistics,
        integration,
        imports,
        me,
        todos,
        notifications,
        wechat,
    )
    # The app's own routes (probes, metrics, documents) are served by their solved plans
    # too; the API's routes are `DangjianRoute`s, solved as well.
    app.router.route_class = SolvedRoute
    for module in (*routers, audit):
        _mount(app, module.router, API_PREFIX)
    _install_ops(app)
    _install_docs(app)
    install_error_handlers(app)
    # Outermost last: CORS answers preflights before anything else looks at the request;
    # the method override is inside the request context, so logs and metrics see PATCH.
    app.add_middleware(MethodOverrideMiddleware)
    app.add_middleware(RequestContextMiddleware)
    _install_cors(app, settings.cors_origin_list())
    app.openapi = _custom_openapi(app)  # type: ignore[method-assign]  # FastAPI's documented override
    _install_english_openapi(app)
    app.router.middleware_stack = RouteIndex(app.router)
    return app


def _install_cors(app: FastAPI, origins: list[str]) -> None:
    """Let the listed browser origins call the API; none listed, no CORS headers at all."""
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


def _install_english_openapi(app: FastAPI) -> None:
    """Serve /openapi.en.json, built once on first request."""
    english: dict[str, Any] = {}

    @app.get("/openapi.en.json", include_in_schema=False)
    async def openapi_en() -> Response:
        """The same document with English summaries and descriptions."""
        if not english:
            english.update(build_openapi(app, "en"))
        return OrjsonResponse(english)


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
            code = ErrorCode.ops_database_unreachable
            # The driver's words are English: zh-CN callers read the title's.
            detail = Text(zh=code.zh, en=str(exc)[:200] or code.en)
            return problem_response(request, 503, code, detail)
        return OrjsonResponse({"status": "ready"})

    @app.get("/metrics", tags=["operations"], name="ops_metrics", include_in_schema=True)
    async def metrics() -> Response:
        """Prometheus metrics: request counts and latency by route."""
        return Response(generate_latest(), media_type=CONTENT_TYPE_LATEST)
