"""Route dispatch that tries only the routes a path can match, in the router's order.

FastAPI's router tries its routes one by one (three Python calls and a regex each): with
172 routes, `/healthz`, registered after the API, spent 1.8 million
instructions a request of 2.2 million (bench/asgi_cost.py under callgrind), every API
request paying for the routes before its own. A route's regex is anchored and starts
with its literal text, so a path can only match a route whose first `DEPTH` path
segments it shares, and only one with as many segments (a parameter matches no slash,
but a `path` one); the routes are indexed by those segments and that count. The
candidates of a path keep the router's order, with the routes that cannot be indexed
(a mount, a parameter within the first segments, a `path` parameter) among them, so the
first full match, else the first partial match (405), is the route the router itself
would choose. Anything else (no match: slash redirect, 404; lifespan; websockets) is the
router's own code.
"""

from __future__ import annotations

from fastapi.routing import APIRoute, APIRouter, _apply_router_form_limits, _update_scope
from fastapi.telemetry._api import _route_selected
from starlette._utils import get_route_path
from starlette.convertors import PathConvertor
from starlette.routing import BaseRoute, Match, Mount, Route
from starlette.types import ASGIApp, Receive, Scope, Send

# ("", "api", "v1", "members") for /api/v1/members/{member_id}.
DEPTH = 4

# The first `DEPTH` segments, and how many slashes the path has: a parameter other than
# a `path` one matches no slash, so a route's paths all have its template's count (an
# organisation's ranking path has 8 candidates where it had 31, its route the 6th tried,
# not the 23rd).
Key = tuple[tuple[str, ...], int]


def _path_key(path: str) -> Key:
    return tuple(path.split("/", DEPTH)[:DEPTH]), path.count("/")


def _route_key(route: BaseRoute) -> Key | None:
    """The first segments and the slash count of every path this route matches, or None
    if unknown."""
    if not isinstance(route, Route) or type(route).matches not in (
        Route.matches,
        APIRoute.matches,
    ):
        return None
    if any(isinstance(c, PathConvertor) for c in route.param_convertors.values()):
        return None  # a `path` parameter matches slashes
    literal, brace, _ = route.path_format.partition("{")
    if not brace:
        return _path_key(literal)  # the whole path, matched exactly
    complete = literal.split("/")[:-1]  # the last piece may continue into the parameter
    if len(complete) < DEPTH:
        return None
    return tuple(complete[:DEPTH]), route.path_format.count("/")


class RouteIndex:
    """The router's dispatch for HTTP requests, over the routes the path can match."""

    def __init__(self, router: APIRouter) -> None:
        if router.middleware_stack != router.app:
            raise TypeError("the route index replaces the router's dispatch, not middleware")
        self.router = router
        self.fallback: ASGIApp = router.middleware_stack
        self._version = (-1, -1)
        self._keyed: dict[Key, tuple[BaseRoute, ...]] = {}
        self._unkeyed: tuple[BaseRoute, ...] = ()

    def _candidates(self, path: str) -> tuple[BaseRoute, ...]:
        # Routes added through the router's methods bump its version; a list appended to
        # directly changes its length. Included routers are never indexed (tried always).
        version = (self.router._routes_version, len(self.router.routes))
        if version != self._version:
            keys = [_route_key(route) for route in self.router.routes]
            pairs = list(zip(keys, self.router.routes, strict=True))
            self._keyed = {
                key: tuple(r for k, r in pairs if k is None or k == key)
                for key in set(keys)
                if key is not None
            }
            self._unkeyed = tuple(r for k, r in pairs if k is None)
            self._version = version
        return self._keyed.get(_path_key(path), self._unkeyed)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.fallback(scope, receive, send)
            return
        chosen: tuple[BaseRoute, Scope] | None = None
        for route in self._candidates(get_route_path(scope)):
            match, child_scope = route.matches(scope)
            if match == Match.FULL:
                chosen = (route, child_scope)
                break
            if match == Match.PARTIAL and chosen is None:
                chosen = (route, child_scope)
        if chosen is None:
            await self.fallback(scope, receive, send)
            return
        route, child_scope = chosen
        # What the router does with the route it chose.
        _apply_router_form_limits(scope, self.router.form_limits)
        if "router" not in scope:
            scope["router"] = self.router
        _update_scope(scope, child_scope)
        _route_selected(
            scope=scope,
            path=getattr(route, "path_format", None),
            mount=isinstance(route, Mount),
        )
        await route.handle(scope, receive, send)
