"""Requests served by each route's compiled dependency plan (`app.api.solver`): the same
arguments, answers and refusals as FastAPI's own `solve_dependencies`, FastAPI's handler
for everything the plan does not serve."""

from __future__ import annotations

import itertools
import uuid
from collections.abc import Callable, Iterator
from datetime import date
from typing import Any

import fastapi.routing
import httpx
import pytest
import sqlalchemy
from fastapi import BackgroundTasks, Depends, FastAPI
from fastapi.dependencies.utils import _get_param_aliases, request_params_to_args
from fastapi.routing import APIRoute
from sqlalchemy.ext.asyncio import AsyncSession
from starlette.datastructures import Headers, QueryParams
from starlette.requests import Request
from starlette.responses import Response

from app import clock
from app.api import solver, solver_params
from app.api.deps import get_today
from app.api.routing import Deferred
from app.services import principals

V = "/api/v1"

# The routes that must be served by their plan: the hot ones.
HOT = {
    ("GET", "/api/v1/members/{member_id}"),
    ("GET", "/api/v1/members"),
    ("GET", "/api/v1/organisations/{org_id}/tree"),
    ("GET", "/api/v1/organisations/{org_id}/points/ranking"),
    ("GET", "/api/v1/organisations/{org_id}/meeting-compliance"),
    ("GET", "/healthz"),
    ("POST", "/api/v1/point-entries"),
}

# Every route FastAPI's handler serves, and why.
FASTAPI_SERVES = {
    ("GET", "/docs"): "made by FastAPI before the app's route class is set",
    ("GET", "/docs/oauth2-redirect"): "made by FastAPI before the app's route class is set",
    ("POST", "/api/v1/auth/token"): "form body",
    ("POST", "/api/v1/members/{owner_id}/attachments"): "form body",
    ("POST", "/api/v1/development-steps/{owner_id}/attachments"): "form body",
    ("POST", "/api/v1/meetings/{owner_id}/attachments"): "form body",
    ("POST", "/api/v1/imports"): "form body",
}

_source_keys = itertools.count()


def _routes(app: Any) -> dict[tuple[str, str], APIRoute]:
    return {
        (method, route.path): route
        for route in app.routes
        if isinstance(route, APIRoute)
        for method in route.methods
    }


def _why_fastapi_serves(route: APIRoute) -> str | None:
    found = getattr(route, "solver", None)
    if found is None:
        return "made by FastAPI before the app's route class is set"
    return None if found.plan is not None else found.reason


def test_every_route_has_a_plan_or_a_stated_reason_and_the_hot_routes_have_plans(app):
    reasons = {key: _why_fastapi_serves(route) for key, route in _routes(app).items()}
    served_by_fastapi = {key: why for key, why in reasons.items() if why is not None}
    assert served_by_fastapi == FASTAPI_SERVES
    assert all(reasons[key] is None for key in HOT)
    assert len(reasons) - len(served_by_fastapi) > 150  # the plan serves nearly all


def _samples(group: solver_params.Group) -> Iterator[Any]:
    """What a request may carry for a group's keys: nothing, one value, two values."""
    keys = [key for field in group.fields for _, key in _get_param_aliases(field)]
    for values in ([], ["1"], ["x"], [""], [str(uuid.uuid4())], ["2026-05", "3"], ["true"]):
        pairs = [(key, value) for key in keys for value in values]
        if group.source == "query_params":
            yield QueryParams(pairs)
        elif group.source == "headers":
            yield Headers(raw=[(k.lower().encode(), v.encode()) for k, v in pairs])
        else:
            yield dict(pairs)


def test_the_plan_reads_every_parameter_of_every_route_as_fastapi_reads_it(app):
    # Each sample read twice: the second time a text (or an absence) validated before is
    # served from the parameter's known values; a mutable value is never shared.
    compared = 0
    for route in _routes(app).values():
        plan = getattr(route, "solver", None) and route.solver.plan
        for group in (g for step in plan.steps for g in step.params) if plan else ():
            for received in _samples(group):
                expected, errors = request_params_to_args(group.fields, received)
                first = solver_params.read(group, received)
                again = solver_params.read(group, received)
                assert first == again == (None if errors else expected)
                for name, value in (again or {}).items():
                    if isinstance(value, list | dict | set):
                        assert value is not first[name], (route.path, name)
                compared += 1
    assert compared > 500


@pytest.fixture
def solving(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """The names of FastAPI's `solve_dependencies` calls' endpoints, as they happen: an
    empty list after a request means its plan served it."""
    calls: list[str] = []
    original = fastapi.routing.solve_dependencies

    async def counted(**kwargs: Any) -> Any:
        calls.append(getattr(kwargs["dependant"].call, "__name__", "?"))
        return await original(**kwargs)

    monkeypatch.setattr(fastapi.routing, "solve_dependencies", counted)
    return calls


@pytest.fixture
def principal_reads(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """One entry per time a request's principal was read from the database."""
    reads: list[str] = []
    original = principals.principal_from_access_token

    async def counted(*args: Any, **kwargs: Any) -> Any:
        reads.append("read")
        return await original(*args, **kwargs)

    monkeypatch.setattr(principals, "principal_from_access_token", counted)
    return reads


def _comparable(value: Any) -> Any:
    """A value as both ways of solving must give it: the request's session, request and
    response by kind (each request has its own), a loaded row by its identity."""
    if isinstance(value, AsyncSession | Request):
        return type(value).__name__
    if isinstance(value, Response):
        return ("response", value.status_code, value.headers.raw)
    if isinstance(value, Deferred):
        return ("deferred", type(value.error).__name__, value.error.code)
    state = sqlalchemy.inspect(value, raiseerr=False)
    if state is not None and getattr(state, "mapper", None) is not None:
        return (type(value).__name__, state.identity)
    return value


@pytest.fixture
def received(app, monkeypatch: pytest.MonkeyPatch) -> Callable[[str, str], list[dict[str, Any]]]:
    """Record the keyword arguments a route's endpoint receives, request by request."""

    def record(method: str, path: str) -> list[dict[str, Any]]:
        dependant = _routes(app)[(method, path)].dependant
        endpoint = dependant.call
        assert endpoint is not None
        calls: list[dict[str, Any]] = []

        async def recording(**kwargs: Any) -> Any:
            calls.append({name: _comparable(value) for name, value in kwargs.items()})
            return await endpoint(**kwargs)

        monkeypatch.setattr(dependant, "call", recording)
        return calls

    return record


@pytest.fixture
def fastapi_serving(monkeypatch: pytest.MonkeyPatch) -> Callable[[bool], None]:
    """Switch every request over to FastAPI's own handler (as a traced request is)."""
    return lambda on: monkeypatch.setattr(solver, "_fastapi_serves", lambda request: on)


async def _rule(api, county) -> str:
    r = await api.client.post(
        f"{V}/point-rules",
        json={
            "org_id": county.county["id"],
            "code": f"SOLVER-{next(_source_keys)}-{uuid.uuid4().hex[:6]}",
            "name": "志愿服务",
            "category": "bonus",
            "points": 2,
            "needs_approval": False,
        },
        headers=api.auth(county.county_admin),
    )
    assert r.status_code == 201, r.text
    return str(r.json()["id"])


async def _requests(api, county) -> list[tuple[str, str, str, dict[str, Any]]]:
    """(method, route path, URL, JSON body or None): the hot routes and a sample of others
    (a sub-response's header and status, two deferred loaders), each valid."""
    member = await api.member(county.county_admin, county.branch_a["id"])
    org = county.county["id"]
    entry = {
        "member_id": member["id"],
        "rule_id": await _rule(api, county),
        "occurred_on": "2026-06-01",
        "source_key": f"solver-{uuid.uuid4().hex}",
    }
    notice = {"kind": "admission", "starts_on": "2026-09-28", "ends_on": "2026-10-09"}
    one = f"{V}/members/{member['id']}"
    return [
        ("GET", "/api/v1/members/{member_id}", one, None),
        ("GET", "/api/v1/members", f"{V}/members?within={org}&limit=50&status=full", None),
        ("GET", "/api/v1/organisations/{org_id}/tree", f"{V}/organisations/{org}/tree", None),
        (
            "GET",
            "/api/v1/organisations/{org_id}/points/ranking",
            f"{V}/organisations/{org}/points/ranking?limit=20",
            None,
        ),
        (
            "GET",
            "/api/v1/organisations/{org_id}/meeting-compliance",
            f"{V}/organisations/{org}/meeting-compliance?year=2026&quarter=2",
            None,
        ),
        ("GET", "/healthz", "/healthz", None),
        ("POST", "/api/v1/point-entries", f"{V}/point-entries", entry),
        (
            "GET",
            "/api/v1/members/{member_id}/dues/assessment",
            f"{one}/dues/assessment?month=2026-05",
            None,
        ),
        (
            "GET",
            "/api/v1/organisations/{org_id}/development-pipeline",
            f"{V}/organisations/{org}/development-pipeline",
            None,
        ),
        ("POST", "/api/v1/members/{member_id}/notices", f"{one}/notices", notice),
    ]


async def _send(api, county, method: str, url: str, body: Any) -> Any:
    return await api.client.request(method, url, json=body, headers=api.auth(county.county_admin))


async def test_the_plan_gives_each_endpoint_the_arguments_fastapi_solves_for_it(
    api, county, received, solving, fastapi_serving
):
    for method, route, url, body in await _requests(api, county):
        calls = received(method, route)
        solving.clear()
        planned = await _send(api, county, method, url, body)
        assert solving == [], (route, "served by FastAPI's handler")
        fastapi_serving(True)
        solved = await _send(api, county, method, url, body)
        fastapi_serving(False)
        assert solving, (route, "the comparison was not served by FastAPI")
        assert len(calls) == 2, route
        assert calls[0] == calls[1], route
        if method == "GET":  # a POST's second sending meets the first one's write
            assert planned.status_code == solved.status_code, (route, planned.text)
            assert planned.content == solved.content, route
            assert _headers(planned) == _headers(solved), route


def _headers(response: Any) -> dict[str, str]:
    return {k: v for k, v in response.headers.items() if k != "x-request-id"}


async def test_a_sub_response_header_and_the_route_status_are_answered_as_fastapi_does(
    api, county, solving
):
    member = await api.member(county.county_admin, county.branch_a["id"])
    r = await api.client.post(
        f"{V}/members/{member['id']}/notices",
        json={"kind": "admission", "starts_on": "2026-09-28", "ends_on": "2026-10-09"},
        headers=api.auth(county.admin_a),
    )
    assert solving == []
    assert r.status_code == 201, r.text
    assert r.headers["location"] == f"{V}/members/{member['id']}/notices"
    assert r.json()["working_days"] == 5


async def _both_ways(api, token, fastapi_serving, url: str) -> tuple[Any, Any]:
    planned = await api.client.get(url, headers=api.auth(token))
    fastapi_serving(True)
    solved = await api.client.get(url, headers=api.auth(token))
    fastapi_serving(False)
    return planned, solved


@pytest.mark.parametrize(
    ("path", "field"),
    [
        ("/members/not-a-uuid", "member_id"),
        ("/members/01a23c29-dfbb-76e6-8c1f-c3d5bcdb417", "member_id"),
        ("/members?status=bogus", "status"),
        ("/members?limit=100000", "limit"),
        ("/members?within=nope", "within"),
        ("/organisations/{org}/points/ranking?limit=501", "limit"),
        ("/organisations/{org}/meeting-compliance?quarter=5", "quarter"),
        ("/organisations/{org}/tree?depth=-1", "depth"),
    ],
)
async def test_bad_input_on_a_planned_route_is_fastapis_422_with_each_dependency_run_once(
    api, county, fastapi_serving, principal_reads, path, field
):
    url = V + path.format(org=county.county["id"])
    planned, solved = await _both_ways(api, county.county_admin, fastapi_serving, url)
    assert planned.status_code == 422, planned.text
    assert planned.json()["errors"][0]["field"].split(".")[0] == field
    assert planned.content == solved.content
    # FastAPI reads the principal before it answers 422; the plan had run nothing.
    assert principal_reads == ["read", "read"]


async def test_a_uuid_not_in_canonical_form_is_still_accepted_as_fastapi_accepts_it(
    api, county, fastapi_serving
):
    member = await api.member(county.county_admin, county.branch_a["id"])
    compact = uuid.UUID(member["id"]).hex.upper()
    planned, solved = await _both_ways(
        api, county.county_admin, fastapi_serving, f"{V}/members/{compact}"
    )
    assert planned.status_code == 200, planned.text
    assert planned.json()["id"] == member["id"]
    assert planned.content == solved.content


async def test_bad_input_is_422_before_the_404_of_a_path_resource_out_of_scope(
    api, county, fastapi_serving
):
    member = await api.member(county.county_admin, county.branch_b["id"])
    for url, status in (
        (f"{V}/members/{member['id']}/dues/assessment?month=2026-5", 422),
        (f"{V}/members/{member['id']}/dues/assessment?month=2026-05", 404),
        (f"{V}/organisations/{county.town_b['id']}/development-pipeline?year=1999", 422),
        (f"{V}/organisations/{county.town_b['id']}/development-pipeline?year=2026", 404),
    ):
        planned, solved = await _both_ways(api, county.admin_a, fastapi_serving, url)
        assert planned.status_code == status, (url, planned.text)
        assert planned.content == solved.content, url


async def test_a_body_that_is_not_valid_json_gets_fastapis_answer(api, county, fastapi_serving):
    answers = []
    for fastapi_only in (False, True):
        fastapi_serving(fastapi_only)
        r = await api.client.post(
            f"{V}/point-entries",
            content=b'{"member_id": ',
            headers=api.auth(county.county_admin, **{"Content-Type": "application/json"}),
        )
        answers.append((r.status_code, r.content))
    fastapi_serving(False)
    assert answers[0] == answers[1]
    assert answers[0][0] == 422


async def test_dependency_overrides_set_after_the_app_was_made_are_honoured(
    app, api, county, received
):
    member = await api.member(county.county_admin, county.branch_a["id"])
    calls = received("GET", "/api/v1/members/{member_id}")
    url = f"{V}/members/{member['id']}"
    app.dependency_overrides[get_today] = lambda: date(2020, 2, 29)
    try:
        await api.client.get(url, headers=api.auth(county.county_admin))
        app.dependency_overrides[get_today] = lambda: date(2021, 3, 1)
        await api.client.get(url, headers=api.auth(county.county_admin))
    finally:
        app.dependency_overrides.pop(get_today, None)
    await api.client.get(url, headers=api.auth(county.county_admin))
    assert [call["today"] for call in calls] == [
        date(2020, 2, 29),
        date(2021, 3, 1),
        clock.today(),  # the app's day (China), not the machine's
    ]


async def test_a_dependency_two_others_use_runs_once_per_request(
    app, api, county, principal_reads, solving
):
    # `get_principal` is a dependency of the staff principal and of the visible
    # organisation: it reads the principal once. `get_today`, overridden, runs once too.
    days: list[date] = []
    app.dependency_overrides[get_today] = lambda: days.append(date(2026, 5, 1)) or days[-1]
    try:
        r = await api.client.get(
            f"{V}/organisations/{county.county['id']}/grid-coverage",
            headers=api.auth(county.county_admin),
        )
    finally:
        app.dependency_overrides.pop(get_today, None)
    assert r.status_code == 200, r.text
    assert solving == []
    assert principal_reads == ["read"]
    assert days == [date(2026, 5, 1)]


async def _post_from_a_client_gone(app, token: str) -> tuple[int, bytes]:
    """POST /point-entries straight through ASGI, the client gone before its body came."""
    sent: list[dict[str, Any]] = []
    scope = {
        "type": "http",
        "asgi": {"version": "3.0"},
        "http_version": "1.1",
        "method": "POST",
        "scheme": "http",
        "path": f"{V}/point-entries",
        "raw_path": f"{V}/point-entries".encode(),
        "query_string": b"",
        "root_path": "",
        "headers": [
            (b"host", b"test"),
            (b"content-type", b"application/json"),
            (b"authorization", f"Bearer {token}".encode()),
        ],
        "client": ("127.0.0.1", 1),
        "server": ("test", 80),
    }

    async def receive() -> dict[str, Any]:
        return {"type": "http.disconnect"}

    async def send(message: dict[str, Any]) -> None:
        sent.append(message)

    await app(scope, receive, send)
    start = next(m for m in sent if m["type"] == "http.response.start")
    body = b"".join(m.get("body", b"") for m in sent if m["type"] == "http.response.body")
    return start["status"], body


async def test_a_body_that_could_not_be_read_gets_fastapis_answer(
    app, api, county, fastapi_serving
):
    planned = await _post_from_a_client_gone(app, county.county_admin)
    fastapi_serving(True)
    solved = await _post_from_a_client_gone(app, county.county_admin)
    fastapi_serving(False)
    assert planned == solved
    assert planned[0] == 400


def _small_app(ran: list[str]) -> Any:
    """An app of two routes (annotations resolved in this module's globals, as FastAPI
    resolves them): one whose dependency sets the sub-response's header and
    status and adds background tasks, one with a generator dependency."""
    small = FastAPI()
    small.router.route_class = solver.SolvedRoute

    async def accepted(response: Response, tasks: BackgroundTasks) -> str:
        response.headers["X-Dependency"] = "set"
        response.status_code = 202
        tasks.add_task(ran.append, "dependency")
        return "accepted"

    async def held() -> Any:
        yield "held"

    @small.get("/tasks")
    async def with_tasks(
        tasks: BackgroundTasks, how: str = Depends(accepted), n: int = 1
    ) -> dict[str, Any]:
        tasks.add_task(ran.append, f"endpoint {n}")
        return {"how": how, "n": n}

    @small.get("/held")
    async def with_generator(value: str = Depends(held)) -> dict[str, str]:
        return {"value": value}

    return small


async def test_background_tasks_and_a_sub_responses_status_are_kept_as_fastapi_keeps_them(
    solving, fastapi_serving
):
    answers = []
    for fastapi_only in (False, True):
        fastapi_serving(fastapi_only)
        ran: list[str] = []
        small = _small_app(ran)
        transport = httpx.ASGITransport(app=small)
        async with httpx.AsyncClient(transport=transport, base_url="http://t") as client:
            solving.clear()
            r = await client.get("/tasks?n=2")
            answers.append((r.status_code, r.headers["x-dependency"], r.json(), ran, list(solving)))
            held = await client.get("/held")
            assert held.json() == {"value": "held"}
        reasons = {route.path: route.solver.reason for route in _routes(small).values()}
        assert reasons["/held"] is not None and "generator" in reasons["/held"]
        assert reasons["/tasks"] is None
    fastapi_serving(False)
    planned, solved = answers
    assert planned[:4] == solved[:4]
    assert planned[:4] == (202, "set", {"how": "accepted", "n": 2}, ["dependency", "endpoint 2"])
    assert planned[4] == [] and solved[4] == ["with_tasks"]
