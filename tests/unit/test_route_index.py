"""The route index chooses, for every path and method, the route the router's loop would."""

from __future__ import annotations

import uuid

from starlette.routing import BaseRoute, Match, Route
from starlette.types import Scope

from app.api.route_index import RouteIndex
from app.main import create_app

SAMPLES = {"uuid": str(uuid.UUID(int=7)), "int": "3", "float": "1.5"}


def _router_choice(routes: list[BaseRoute], scope: Scope) -> BaseRoute | None:
    """FastAPI's router: the first full match in order, else the first partial one."""
    partial = None
    for route in routes:
        match, _ = route.matches(scope)
        if match == Match.FULL:
            return route
        if match == Match.PARTIAL and partial is None:
            partial = route
    return partial


def _index_choice(index: RouteIndex, scope: Scope) -> BaseRoute | None:
    partial = None
    for route in index._candidates(scope["path"]):
        match, _ = route.matches(scope)
        if match == Match.FULL:
            return route
        if match == Match.PARTIAL and partial is None:
            partial = route
    return partial


def _paths(routes: list[BaseRoute]) -> set[str]:
    paths = {"/", "/nowhere", "/api/v1", "/api/v1/", "/api/v1/nowhere/x", "/static-offline-docs/x"}
    for route in routes:
        if not isinstance(route, Route):
            continue
        path = route.path_format
        for name, convertor in route.param_convertors.items():
            kind = type(convertor).__name__.removesuffix("Convertor").lower()
            path = path.replace("{" + name + "}", SAMPLES.get(kind, "x-y"))
        paths |= {path, path + "/", path + "/extra", path.rstrip("/") + "x"}
    return paths


def test_every_path_and_method_reaches_the_route_the_router_would_choose() -> None:
    app = create_app()
    index = app.router.middleware_stack
    assert isinstance(index, RouteIndex)
    routes = app.router.routes
    checked = 0
    for path in sorted(_paths(routes)):
        for method in ("GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"):
            scope: Scope = {"type": "http", "path": path, "root_path": "", "method": method}
            assert _index_choice(index, scope) is _router_choice(routes, scope), (method, path)
            checked += 1
    assert checked > 7 * len(routes)
