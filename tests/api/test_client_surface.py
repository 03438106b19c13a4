"""What a browser SPA and a WeChat mini-program meet: CORS from settings, every PATCH
reachable as `POST` + `X-HTTP-Method-Override: PATCH`, `/` leading to the docs, and docs
that load nothing from another host."""

from __future__ import annotations

import re
from collections.abc import Awaitable, Callable
from typing import Any

import httpx
import pytest
from fastapi.routing import APIRoute
from httpx import ASGITransport
from support import Api, County, unique

from app.config import get_settings
from app.main import create_app

V = "/api/v1"
SPA = "http://localhost:5173"
OVERRIDE = {"X-HTTP-Method-Override": "PATCH"}


# --- CORS -----------------------------------------------------------------------------


@pytest.fixture
async def cors_client(monkeypatch: pytest.MonkeyPatch):
    """An app started with DANGJIAN_CORS_ORIGINS naming the SPA's development origin."""
    monkeypatch.setattr(get_settings(), "cors_origins", f"{SPA}, https://dj.example.cn")
    app = create_app()
    async with httpx.AsyncClient(transport=ASGITransport(app=app), base_url="http://test") as c:
        yield c


def _preflight(origin: str, method: str = "PATCH") -> dict[str, str]:
    return {
        "Origin": origin,
        "Access-Control-Request-Method": method,
        "Access-Control-Request-Headers": "authorization,content-type,if-match,"
        "x-http-method-override,idempotency-key",
    }


async def test_a_preflight_from_a_configured_origin_is_allowed_without_credentials(cors_client):
    r = await cors_client.options(f"{V}/members/x", headers=_preflight(SPA))
    assert r.status_code == 200, r.text
    assert r.headers["access-control-allow-origin"] == SPA
    assert "access-control-allow-credentials" not in r.headers
    methods = {m.strip() for m in r.headers["access-control-allow-methods"].split(",")}
    assert {"GET", "POST", "PUT", "PATCH", "DELETE"} <= methods
    allowed = r.headers["access-control-allow-headers"].lower()
    for header in ("authorization", "if-match", "idempotency-key", "x-http-method-override"):
        assert header in allowed


async def test_a_cross_origin_response_exposes_the_headers_a_client_reads(cors_client):
    r = await cors_client.get("/healthz", headers={"Origin": SPA})
    assert r.headers["access-control-allow-origin"] == SPA
    exposed = {h.strip().lower() for h in r.headers["access-control-expose-headers"].split(",")}
    assert {"etag", "location", "idempotent-replayed", "retry-after"} <= exposed


async def test_an_origin_not_configured_gets_no_cors_headers(cors_client):
    r = await cors_client.options(f"{V}/members/x", headers=_preflight("https://evil.example"))
    assert "access-control-allow-origin" not in r.headers
    r = await cors_client.get("/healthz", headers={"Origin": "https://evil.example"})
    assert r.status_code == 200
    assert "access-control-allow-origin" not in r.headers


async def test_without_configured_origins_there_is_no_cors_at_all(api):
    assert get_settings().cors_origins == ""
    r = await api.client.options(f"{V}/members", headers=_preflight(SPA, "POST"))
    assert "access-control-allow-origin" not in r.headers
    r = await api.client.get("/healthz", headers={"Origin": SPA})
    assert "access-control-allow-origin" not in r.headers


# --- PATCH as a mini-program sends it ------------------------------------------------------

Maker = Callable[[Api, County], Awaitable[tuple[str, str]]]


async def _created(api: Api, token: str, path: str, body: dict[str, Any]) -> str:
    r = await api.client.post(V + path, json=body, headers=api.auth(token))
    assert r.status_code == 201, r.text
    return str(r.json()["id"])


async def _user(api: Api, county: County) -> tuple[str, str]:
    user, _ = await api.user(county.county_admin, "branch_secretary", county.branch_a["id"])
    return f"{V}/users/{user['id']}", county.county_admin


async def _member(api: Api, county: County) -> tuple[str, str]:
    member = await api.member(county.county_admin, county.branch_a["id"])
    return f"{V}/members/{member['id']}", county.county_admin


async def _organisation(api: Api, county: County) -> tuple[str, str]:
    org = await api.org(county.county_admin, county.town_a["id"], "branch")
    return f"{V}/organisations/{org['id']}", county.county_admin


async def _grid(api: Api, county: County) -> tuple[str, str]:
    community = await api.org(
        county.county_admin, county.town_a["id"], "committee", unit_category=7
    )
    body = {"code": unique("G"), "name": "网格", "kind": "urban", "org_id": community["id"]}
    return f"{V}/grids/{await _created(api, county.admin_a, '/grids', body)}", county.admin_a


async def _meeting(api: Api, county: County) -> tuple[str, str]:
    body = {
        "org_id": county.branch_a["id"],
        "type": "general_meeting",
        "held_on": "2026-11-01",
        "topic": "学习",
    }
    meeting = await _created(api, county.county_admin, "/meetings", body)
    return f"{V}/meetings/{meeting}", county.county_admin


async def _rule(api: Api, county: County) -> tuple[str, str]:
    body = {
        "org_id": county.town_a["id"],
        "code": unique("R"),
        "name": "学习",
        "category": "bonus",
        "points": 5,
    }
    rule = await _created(api, county.county_admin, "/point-rules", body)
    return f"{V}/point-rules/{rule}", county.county_admin


# Every PATCH route: how to make a thing to update, and two updates that differ.
PATCHES: dict[str, tuple[Maker, dict[str, Any], dict[str, Any]]] = {
    "/users/{user_id}": (_user, {"active": False}, {"active": True}),
    "/members/{member_id}": (_member, {"name": "李四"}, {"name": "王五"}),
    "/organisations/{org_id}": (_organisation, {"name": "一支部"}, {"name": "二支部"}),
    "/grids/{grid_id}": (_grid, {"name": "东网格"}, {"name": "西网格"}),
    "/meetings/{meeting_id}": (_meeting, {"topic": "学习党章"}, {"topic": "民主评议"}),
    "/point-rules/{rule_id}": (_rule, {"name": "志愿服务"}, {"name": "理论学习"}),
}


def test_every_patch_route_is_covered_by_the_override_test(app):
    patch_routes = {
        route.path.removeprefix(V)
        for route in app.routes
        if isinstance(route, APIRoute) and "PATCH" in route.methods
    }
    assert patch_routes == set(PATCHES)


async def _audit_events(api: Api, county: County) -> dict[int, str]:
    """The county's audit trail so far (id: action), writes only: reading a member's PII
    is audited too, and the test reads in between."""
    r = await api.client.get(
        f"{V}/audit-events",
        params={"within": county.county["id"], "limit": 500},
        headers=api.auth(api.admin_token),
    )
    assert r.status_code == 200, r.text
    return {
        e["id"]: e["action"] for e in r.json()["items"] if not e["action"].endswith(".pii_read")
    }


def _new_actions(before: dict[int, str], after: dict[int, str]) -> list[str]:
    return [after[i] for i in sorted(set(after) - set(before))]


@pytest.mark.parametrize("route", sorted(PATCHES))
async def test_post_with_method_override_is_the_same_update_as_patch(api, county, route):
    make, first, second = PATCHES[route]
    field = next(iter(second))
    url, token = await make(api, county)
    before = await api.client.get(url, headers=api.auth(token))
    assert before.status_code == 200, before.text
    stale = before.headers["etag"]
    audit_before = await _audit_events(api, county)

    patched = await api.client.patch(
        url, json=first, headers=api.auth(token, **{"If-Match": stale})
    )
    assert patched.status_code == 200, patched.text
    after_patch = await _audit_events(api, county)
    patch_actions = _new_actions(audit_before, after_patch)

    overridden = await api.client.post(
        url,
        json=second,
        headers=api.auth(token, **OVERRIDE, **{"If-Match": patched.headers["etag"]}),
    )
    assert overridden.status_code == 200, overridden.text
    assert overridden.json()[field] == second[field]
    assert set(overridden.json()) == set(patched.json())
    assert overridden.headers["etag"] not in (stale, patched.headers["etag"])
    reread = await api.client.get(url, headers=api.auth(token))
    assert reread.json()[field] == second[field]
    # The same audit trail as the PATCH wrote.
    after_override = await _audit_events(api, county)
    assert _new_actions(after_patch, after_override) == patch_actions != []

    # A stale If-Match fails the same way in both forms.
    as_patch = await api.client.patch(
        url, json=first, headers=api.auth(token, **{"If-Match": stale})
    )
    as_post = await api.client.post(
        url, json=first, headers=api.auth(token, **OVERRIDE, **{"If-Match": stale})
    )
    assert as_patch.status_code == as_post.status_code == 412
    assert as_patch.json()["code"] == as_post.json()["code"]


async def test_an_overridden_patch_is_not_replayed_by_idempotency_key(api, county):
    """A PATCH is applied as sent (If-Match guards it), not replayed: the override too."""
    url, token = await _member(api, county)
    headers = api.auth(token, **OVERRIDE, **{"Idempotency-Key": unique("K")})
    one = await api.client.post(url, json={"name": "李四"}, headers=headers)
    two = await api.client.post(url, json={"name": "王五"}, headers=headers)
    assert (one.status_code, two.status_code) == (200, 200)
    assert "idempotent-replayed" not in two.headers
    assert two.json()["name"] == "王五"


@pytest.mark.parametrize(
    ("method", "override"),
    [("POST", "DELETE"), ("POST", "PUT"), ("POST", "GET"), ("GET", "PATCH"), ("PUT", "PATCH")],
)
async def test_the_override_names_only_patch_and_only_on_post(api, county, method, override):
    url, token = await _member(api, county)
    r = await api.client.request(
        method,
        url,
        json={"name": "李四"},
        headers=api.auth(token, **{"X-HTTP-Method-Override": override}),
    )
    assert r.status_code == 422, r.text
    assert r.json()["code"] == "request.method_override_invalid"
    assert r.json()["title"] == "X-HTTP-Method-Override 只能在 POST 请求中取值 PATCH"
    still = await api.client.get(url, headers=api.auth(token))
    assert still.status_code == 200 and still.json()["name"] == "张三"


async def test_the_override_is_case_insensitive(api, county):
    url, token = await _member(api, county)
    r = await api.client.post(
        url, json={"name": "李四"}, headers=api.auth(token, **{"X-HTTP-Method-Override": "patch"})
    )
    assert r.status_code == 200, r.text


# --- Docs ---------------------------------------------------------------------------------


async def test_the_root_redirects_to_the_docs(api):
    r = await api.client.get("/")
    assert r.status_code in (302, 307)
    assert r.headers["location"] == "/docs"


_URL = re.compile(r"https?://([^/\"'\s)]+)")


@pytest.mark.parametrize("page", ["/docs", "/redoc"])
async def test_the_docs_load_nothing_from_another_host(api, page):
    r = await api.client.get(page)
    assert r.status_code == 200
    assert "text/html" in r.headers["content-type"]
    assert _URL.findall(r.text) == []
    # Every script and stylesheet the page names is served here.
    for asset in re.findall(r'(?:src|href)="([^"]+)"', r.text):
        assert asset.startswith("/"), asset
        served = await api.client.get(asset)
        assert served.status_code == 200, asset
        # No asset fetches an image or font from a CDN (ReDoc's bundle has a logo URL).
        assert "cdn.redoc.ly" not in served.text
        assert "fonts.googleapis.com" not in served.text


async def test_swagger_ui_asks_no_outside_validator(api):
    r = await api.client.get("/docs")
    assert '"validatorUrl": null' in r.text
