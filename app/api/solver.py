"""Requests served without FastAPI's generic dependency solving.

Per request, FastAPI's `solve_dependencies` walks the endpoint's dependency tree
generically (cache keys, scope checks, generator checks, a parameter pass per
dependant): 236 k instructions of the member read's 1.71 M, paid by every endpoint for
the walk alone. `SolvedRoute` compiles the tree once into a `Plan`, the calls in the
order FastAPI makes them, each dependency once (as FastAPI's per-request cache has it),
and per request makes those calls with plain arguments, then does what FastAPI's
handler does once the values are solved, with FastAPI's own functions
(`serialize_response`, `_build_response_args`).

What keeps it exact: the plan serves only what it serves as FastAPI does; anything else
is FastAPI's handler.
- A tree with something the plan does not do (a form body, a generator dependency,
  security scopes, a streamed answer, ...) has no plan: FastAPI serves the route
  (`Solver.reason` says why).
- A request is checked whole before the first call: every parameter of the tree is
  validated by FastAPI's own fields (`request_params_to_args`, `request_body_to_args`),
  and a JSON body is read only when sent as `application/json`. If anything fails, or
  the body is anything else, FastAPI's handler serves the request from the start: its
  422 (and the dependencies it runs before answering it, such as `get_principal`'s
  401) is exactly what it was, and no dependency ran twice, since none ran yet.
- When all parameters are valid, FastAPI too would call every dependency in that
  order, validation having no effect of its own; a dependency that raises stops both
  alike. The deferred refusals (`routing.Deferred`) are raised by the endpoint itself.
- `dependency_overrides` are looked up per request, as FastAPI does: a change of them
  (tests set them after the app was made) gets a plan compiled for it.
- While a request is traced (FastAPI's telemetry), FastAPI serves it, spans and all.
"""

from __future__ import annotations

from collections.abc import Callable, Coroutine, Hashable
from dataclasses import dataclass
from typing import Any

from fastapi import params
from fastapi._compat import ModelField, Undefined
from fastapi.background import BackgroundTasks
from fastapi.datastructures import DefaultPlaceholder
from fastapi.dependencies.models import (
    Dependant,
    _get_cache_key,
    _get_oauth_scopes,
    _is_async_gen_callable,
    _is_coroutine_callable,
    _is_gen_callable,
)
from fastapi.dependencies.utils import get_dependant, request_body_to_args
from fastapi.routing import (
    APIRoute,
    _build_response_args,
    _effective_route_context_var,
    _extract_endpoint_context,
    run_endpoint_function,
    serialize_response,
)
from fastapi.telemetry._api import _get_request_telemetry
from fastapi.utils import is_body_allowed_for_status_code
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import Response
from starlette.types import Message

from app.api import solver_params

Handler = Callable[[Request], Coroutine[Any, Any, Response]]

# Where FastAPI reads each kind of parameter from: a dependant's field list, and the
# request's attribute `request_params_to_args` is given.
_SOURCES = (
    ("path_params", "path_params"),
    ("query_params", "query_params"),
    ("header_params", "headers"),
    ("cookie_params", "cookies"),
)


class Unsupported(Exception):
    """Something in a route that only FastAPI's handler serves; the message says what."""


@dataclass(frozen=True, slots=True)
class Step:
    """One call of a plan: a dependency (or, last, the endpoint) and its arguments'
    sources, in the order FastAPI builds its keyword arguments."""

    dependant: Dependant
    is_coroutine: bool
    inputs: tuple[tuple[str, int], ...]  # named sub-dependencies: (argument, step index)
    params: tuple[solver_params.Group, ...]  # path, query, header, cookie parameters
    body_params: list[ModelField]
    specials: tuple[tuple[str, str], ...]  # (argument, "request"/"background"/"response")


@dataclass(frozen=True, slots=True)
class Plan:
    """A route's dependency tree, flattened: the steps in FastAPI's calling order."""

    steps: tuple[Step, ...]
    needs_background: bool
    needs_response: bool


class _Solved:
    """What `_build_response_args` reads of FastAPI's solved result."""

    __slots__ = ("background_tasks", "response")

    def __init__(self, background_tasks: BackgroundTasks | None, response: Response) -> None:
        self.background_tasks = background_tasks
        self.response = response


def _sub_response() -> Response:
    """The response a dependency's `response: Response` parameter gets, made as FastAPI
    makes it: no content length, no status until one is set."""
    response = Response()
    del response.headers["content-length"]
    response.status_code = None  # type: ignore[assignment]  # FastAPI's own "not set"
    return response


# The sub-response of a plan where nothing takes one: never handed out, never changed.
_UNTOUCHED = _sub_response()


def _refusal(sub: Dependant, used: Dependant) -> str | None:
    """Why a dependency (`sub` as declared, `used` after overrides) needs FastAPI."""
    if not sub.use_cache:
        return f"{used.call!r}: use_cache=False"
    if _is_gen_callable(used.call) or _is_async_gen_callable(used.call):
        return f"{used.call!r}: generator dependency"
    return _node_refusal(used)


def _node_refusal(node: Dependant) -> str | None:
    """Why a dependant (or the endpoint) needs FastAPI, whatever it depends on."""
    if node.security_scopes_param_name or _get_oauth_scopes(dependant=node):
        return f"{node.call!r}: security scopes"
    if node.websocket_param_name:
        return f"{node.call!r}: websocket"
    if node.concurrency is not None:
        return f"{node.call!r}: concurrency limit"
    return None


def _step(node: Dependant, inputs: list[tuple[str, int]]) -> Step:
    """A dependant's call, its arguments in the order `solve_dependencies` sets them."""
    specials: list[tuple[str, str]] = []
    if node.http_connection_param_name:
        specials.append((node.http_connection_param_name, "request"))
    if node.request_param_name:
        specials.append((node.request_param_name, "request"))
    if node.background_tasks_param_name:
        specials.append((node.background_tasks_param_name, "background"))
    if node.response_param_name:
        specials.append((node.response_param_name, "response"))
    return Step(
        dependant=node,
        is_coroutine=_is_coroutine_callable(node.call),
        inputs=tuple(inputs),
        params=tuple(
            solver_params.group(getattr(node, kind), source)
            for kind, source in _SOURCES
            if getattr(node, kind)
        ),
        body_params=node.body_params,
        specials=tuple(specials),
    )


def compile_plan(root: Dependant, overrides: dict[Any, Any] | None = None) -> Plan:
    """The plan of an endpoint's tree under `overrides`; `Unsupported` if it has none.

    Mirrors `solve_dependencies`: a dependency's own dependencies come first; with any
    override set, each dependency is rebuilt from its (possibly replaced) callable as
    FastAPI rebuilds it; a value is cached under the declared dependency's key."""
    steps: list[Step] = []
    done: dict[Hashable, int] = {}

    def visit(node: Dependant) -> Step:
        inputs: list[tuple[str, int]] = []
        for sub in node.dependencies:
            used = sub
            if overrides:
                used = get_dependant(
                    path=sub.path or "",
                    call=overrides.get(sub.call, sub.call),  # type: ignore[arg-type]
                    name=sub.name,
                    parent_oauth_scopes=_get_oauth_scopes(dependant=sub),
                    scope=sub.scope,
                    concurrency=sub.concurrency,
                )
            refusal = _refusal(sub, used)
            if refusal:
                raise Unsupported(refusal)
            key = _get_cache_key(dependant=sub, uses_scopes_cache={})
            if key not in done:
                steps.append(visit(used))
                done[key] = len(steps) - 1
            if sub.name is not None:
                inputs.append((sub.name, done[key]))
        return _step(node, inputs)

    refusal = _node_refusal(root)
    if refusal:
        raise Unsupported(refusal)
    steps.append(visit(root))
    kinds = {kind for step in steps for _, kind in step.specials}
    return Plan(tuple(steps), "background" in kinds, "response" in kinds)


def _route_refusal(route: Any) -> str | None:
    """Why a route as a whole needs FastAPI's handler, whatever its dependencies."""
    if route.body_field is not None and isinstance(route.body_field.field_info, params.Form):
        return "form body"
    call = route.dependant.call
    if _is_gen_callable(call) or _is_async_gen_callable(call):
        return "streamed (generator) endpoint"
    if getattr(route, "stream_item_field", None) is not None:
        return "streamed items"
    return None


def _fastapi_serves(request: Request) -> bool:
    """Whether FastAPI serves this request whatever the plan: a traced request (its
    spans and telemetry data are made by FastAPI's handler)."""
    return _get_request_telemetry() is not None


class _Unread(Exception):
    """The body could not be read; FastAPI's handler is to answer for it."""

    def __init__(self, error: Exception) -> None:
        super().__init__(error)
        self.error = error


async def _json_body(request: Request) -> Any:
    """The request's JSON body as FastAPI decodes it, or `Undefined` when it is anything
    but a non-empty body sent as `application/json` that decodes (FastAPI's handler then
    reads the body the request holds, and decides)."""
    if request.headers.get("content-type") != "application/json":
        return Undefined
    try:
        received = await request.body()
    except Exception as error:
        raise _Unread(error) from error
    if not received:
        return Undefined
    try:
        return await request.json()
    except Exception:  # not JSON, not UTF-8, too deep: FastAPI decodes it again, answers
        return Undefined


def _replaying(error: Exception) -> Callable[[], Coroutine[Any, Any, Message]]:
    """A `receive` that fails as reading the body failed, for FastAPI to answer it."""

    async def receive() -> Message:
        raise error

    return receive


async def _arguments(plan: Plan, request: Request, body: Any, embed: bool) -> list[Any] | None:
    """Each step's parameter values, validated by FastAPI's own fields; None as soon as
    one does not validate."""
    found: list[Any] = []
    for step in plan.steps:
        values: dict[str, Any] = {}
        for group in step.params:
            read = solver_params.read(group, getattr(request, group.source))
            if read is None:
                return None
            values.update(read)
        if step.body_params:
            valid, errors = await request_body_to_args(step.body_params, body, embed)
            if errors:
                return None
            values.update(valid)
        found.append(values)
    return found


async def _run(plan: Plan, arguments: list[Any], specials: dict[str, Any]) -> Any:
    """Make the plan's calls; the endpoint's answer."""
    results: list[Any] = []
    last = len(plan.steps) - 1
    for index, step in enumerate(plan.steps):
        kwargs = {name: results[source] for name, source in step.inputs}
        kwargs.update(arguments[index])
        for name, kind in step.specials:
            kwargs[name] = specials[kind]
        call = step.dependant.call
        assert call is not None
        if index == last:
            if step.is_coroutine:
                return await call(**kwargs)
            return await run_endpoint_function(
                dependant=step.dependant, values=kwargs, is_coroutine=False
            )
        if step.is_coroutine:
            results.append(await call(**kwargs))
        else:
            results.append(await run_in_threadpool(call, **kwargs))
    raise AssertionError("a plan ends with its endpoint")


class Solver:
    """A route's request handler: its plan where it has one, FastAPI's handler else."""

    def __init__(self, route: Any, fastapi_handler: Handler) -> None:
        self.route = route
        self.fastapi_handler = fastapi_handler
        self.reason = self.route_reason = _route_refusal(route)
        self.is_coroutine = _is_coroutine_callable(route.dependant.call)
        self.plan: Plan | None = None
        if self.reason is None:
            try:
                self.plan = compile_plan(route.dependant)
            except Unsupported as unsupported:
                self.reason = str(unsupported)
        self._overridden: tuple[Any, Plan | None] = ((), None)
        self.response_class = route.response_class
        if isinstance(self.response_class, DefaultPlaceholder):
            self.response_class = self.response_class.value
        # FastAPI's fast serialization: a response model and no response class chosen.
        self.dump_json = route.response_field is not None and isinstance(
            route.response_class, DefaultPlaceholder
        )

    def current_plan(self) -> Plan | None:
        """The plan under the dependency overrides set now (None: FastAPI serves)."""
        provider = self.route.dependency_overrides_provider
        overrides = getattr(provider, "dependency_overrides", None) if provider else None
        if not overrides:
            return self.plan
        if self.route_reason is not None:
            return None
        key = tuple(overrides.items())
        if self._overridden[0] != key:
            try:
                plan: Plan | None = compile_plan(self.route.dependant, overrides)
            except Unsupported:
                plan = None
            self._overridden = (key, plan)
        return self._overridden[1]

    async def handle(self, request: Request) -> Response:
        plan = self.current_plan()
        if plan is None or _fastapi_serves(request):
            return await self.fastapi_handler(request)
        body: Any = Undefined
        if self.route.body_field is not None:
            try:
                body = await _json_body(request)
            except _Unread as unread:
                return await self.fastapi_handler(Request(request.scope, _replaying(unread.error)))
            if body is Undefined:
                return await self.fastapi_handler(request)
        arguments = await _arguments(plan, request, body, self.route._embed_body_fields)
        if arguments is None:
            return await self.fastapi_handler(request)
        specials: dict[str, Any] = {
            "request": request,
            "background": BackgroundTasks() if plan.needs_background else None,
            "response": _sub_response() if plan.needs_response else _UNTOUCHED,
        }
        raw = await _run(plan, arguments, specials)
        if isinstance(raw, Response):
            if raw.background is None:
                raw.background = specials["background"]
            return raw
        return await self._serialized(request, raw, specials)

    async def _serialized(self, request: Request, raw: Any, specials: dict[str, Any]) -> Response:
        """A non-Response answer made into one as FastAPI's handler makes it."""
        route = self.route
        sub_response: Response = specials["response"]
        response_args = _build_response_args(
            status_code=route.status_code,
            solved_result=_Solved(specials["background"], sub_response),
        )
        endpoint_ctx = _extract_endpoint_context(route.dependant.call)
        if route.dependant.path:
            mount_path = request.scope.get("root_path", "").rstrip("/")
            endpoint_ctx["path"] = f"{request.method} {mount_path}{route.dependant.path}"
        content = await serialize_response(
            field=route.response_field,
            response_content=raw,
            include=route.response_model_include,
            exclude=route.response_model_exclude,
            by_alias=route.response_model_by_alias,
            exclude_unset=route.response_model_exclude_unset,
            exclude_defaults=route.response_model_exclude_defaults,
            exclude_none=route.response_model_exclude_none,
            is_coroutine=self.is_coroutine,
            endpoint_ctx=endpoint_ctx,
            dump_json=self.dump_json,
        )
        if self.dump_json:
            response = Response(content=content, media_type="application/json", **response_args)
        else:
            response = self.response_class(content, **response_args)
        if not is_body_allowed_for_status_code(response.status_code):
            response.body = b""
        response.headers.raw.extend(sub_response.headers.raw)
        return response


class SolvedRoute(APIRoute):
    """An API route served by its `Solver`: its plan, or FastAPI's handler."""

    solver: Solver

    def get_route_handler(self) -> Handler:
        fastapi_handler = super().get_route_handler()
        # A route included through a router is built for its inclusion, as FastAPI's
        # own `get_route_handler` picks it.
        context = _effective_route_context_var.get()
        if context is not None and context.original_route is self:
            return Solver(context, fastapi_handler).handle
        self.solver = Solver(self, fastapi_handler)
        return self.solver.handle
