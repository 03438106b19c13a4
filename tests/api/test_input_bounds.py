"""Every input a column could not hold is a 422 problem with a stable code, never a 500:
text with NUL, another control character or a lone surrogate, forged cursors, days,
years and integers out of range. The endpoints are enumerated from the OpenAPI document,
so a new one is covered."""

from __future__ import annotations

import base64
import json
import uuid

import pytest

from app.schemas.common import MAX_DAY, MIN_DAY

API = "/api/v1"
QUERY = {"kind": "members", "month": "2026-11", "year": "2026", "format": "csv"}


def _get_operations(app, predicate):
    """(path, operation) of every GET under /api/v1 whose parameters satisfy `predicate`."""
    found = []
    for path, ops in app.openapi()["paths"].items():
        op = ops.get("get")
        if op is None or not path.startswith(API):
            continue
        params = op.get("parameters", [])
        if predicate(params):
            found.append((path, params))
    return found


def _query_params(params, name_or_format):
    return [
        p["name"]
        for p in params
        if p["in"] == "query"
        and (
            p["name"] == name_or_format
            or name_or_format in {s.get("format") for s in p["schema"].get("anyOf", [p["schema"]])}
        )
    ]


def _url(path, params, ids):
    for p in params:
        if p["in"] == "path":
            # An id not given is a random one; a path parameter of a closed vocabulary
            # (a check's code) its first value.
            default = p.get("schema", {}).get("enum", [str(uuid.uuid4())])[0]
            path = path.replace("{" + p["name"] + "}", ids.get(p["name"], default))
    return path


def _required(params, **extra):
    values = {p["name"]: QUERY[p["name"]] for p in params if p["in"] == "query" and p["required"]}
    return {**values, **extra}


def _forged(keys, values):
    """A cursor as a client could hand-make one (the unsigned form), with the given values."""
    payload = json.dumps({"k": keys, "v": values}).encode()
    return base64.urlsafe_b64encode(payload).decode().rstrip("=")


def test_every_paginated_list_is_enumerated(app):
    lists = _get_operations(app, lambda ps: _query_params(ps, "cursor"))
    assert len(lists) >= 9, [p for p, _ in lists]


async def test_a_hand_made_cursor_is_422_cursor_invalid_on_every_paginated_list(api, county, app):
    ids = {"org_id": county.county["id"]}
    lists = _get_operations(app, lambda ps: _query_params(ps, "cursor"))
    forgeries = [
        _forged(["id"], [["u", 12345]]),  # a uuid tag with a number
        _forged(["id"], [["v", "not-a-uuid"]]),  # a bare value of the wrong type
        _forged(["id"], [["v", 10**30]]),
        _forged(["id"], [["d", "99999-01-01"]]),
        "not base64 at all!",
    ]
    failures = []
    for path, params in lists:
        for cursor in forgeries:
            r = await api.client.get(
                _url(path, params, ids),
                params=_required(params, cursor=cursor),
                headers=api.auth(county.county_admin),
            )
            body = r.json() if r.headers["content-type"].endswith("json") else {}
            if r.status_code != 422 or body.get("code") != "pagination.cursor_invalid":
                failures.append((path, cursor, r.status_code, r.text[:200]))
    assert failures == []


async def test_a_cursor_the_server_issued_still_pages(api, county):
    for _ in range(3):
        await api.member(county.admin_a, county.branch_a["id"])
    r = await api.client.get(
        f"{API}/members", params={"limit": 1}, headers=api.auth(county.admin_a)
    )
    assert r.status_code == 200 and r.json()["next_cursor"]
    first = r.json()["items"][0]["id"]
    r = await api.client.get(
        f"{API}/members",
        params={"limit": 1, "cursor": r.json()["next_cursor"]},
        headers=api.auth(county.admin_a),
    )
    assert r.status_code == 200, r.text
    assert r.json()["items"][0]["id"] != first


async def test_a_change_feed_position_beyond_int64_is_422(api, county):
    since = base64.urlsafe_b64encode(f"{2**63}.1".encode()).decode()
    r = await api.client.get(
        f"{API}/changes", params={"since": since}, headers=api.auth(county.county_admin)
    )
    assert r.status_code == 422, r.text
    assert r.json()["errors"][0]["code"] == "pagination.cursor_invalid"


@pytest.mark.parametrize("day", ["0001-01-01", "9999-12-31", "1899-12-31", "2201-01-01"])
async def test_a_query_day_outside_the_documented_range_is_422_on_every_endpoint(
    api, county, app, day
):
    ids = {"org_id": county.county["id"]}
    operations = _get_operations(app, lambda ps: _query_params(ps, "date"))
    assert any(_query_params(ps, "as_of") for _, ps in operations)
    failures = []
    for path, params in operations:
        for name in _query_params(params, "date"):
            r = await api.client.get(
                _url(path, params, ids),
                params=_required(params, **{name: day}),
                headers=api.auth(county.county_admin),
            )
            if r.status_code != 422 or r.json()["errors"][0]["field"] != name:
                failures.append((path, name, r.status_code, r.text[:200]))
    assert failures == []


async def test_the_edges_of_the_documented_day_range_are_accepted(api, county):
    for day in (MIN_DAY, MAX_DAY):
        r = await api.client.get(
            f"{API}/organisations/{county.county['id']}/stats",
            params={"as_of": day.isoformat()},
            headers=api.auth(county.county_admin),
        )
        assert r.status_code == 200, r.text


@pytest.mark.parametrize("year", ["99999", "1899", "-1"])
async def test_a_year_outside_the_documented_range_is_422_on_every_endpoint(api, county, app, year):
    ids = {"org_id": county.county["id"]}
    operations = _get_operations(app, lambda ps: _query_params(ps, "year"))
    assert len(operations) >= 5
    failures = []
    for path, params in operations:
        r = await api.client.get(
            _url(path, params, ids),
            params=_required(params, year=year),
            headers=api.auth(county.county_admin),
        )
        if r.status_code != 422:
            failures.append((path, r.status_code, r.text[:200]))
    assert failures == []


async def test_a_day_out_of_range_in_a_body_is_422(api, county):
    r = await api.client.post(
        f"{API}/members",
        json={"org_id": county.branch_a["id"], "name": "张三", "joined_on": "0001-01-01"},
        headers=api.auth(county.admin_a),
    )
    assert r.status_code == 422, r.text
    assert "joined_on" in {e["field"] for e in r.json()["errors"]}


async def test_an_integer_beyond_its_column_is_422(api, county):
    r = await api.client.post(
        f"{API}/grids",
        json={
            "org_id": county.county["id"],
            "code": "G-big",
            "name": "大网格",
            "households": 2**31,
        },
        headers=api.auth(county.county_admin),
    )
    assert r.status_code == 422, r.text
    assert "households" in {e["field"] for e in r.json()["errors"]}


def test_every_integer_a_request_sends_is_bounded_and_every_body_is_an_input_model(app):
    """An unbounded integer could overflow its column (a 500 from the driver); a body
    model that is not an `InputModel` would let NUL through to the database."""
    schemas = app.openapi()["components"]["schemas"]
    unbounded = []
    open_models = []

    def walk(name, schema, seen):
        if "$ref" in schema:
            ref = schema["$ref"].rsplit("/", 1)[1]
            if ref not in seen:
                walk(ref, schemas[ref], seen | {ref})
            return
        for key in ("anyOf", "oneOf", "allOf"):
            for sub in schema.get(key, []):
                walk(name, sub, seen)
        low = {"minimum", "exclusiveMinimum"} & set(schema)
        if schema.get("type") == "integer" and not (low and "maximum" in schema):
            unbounded.append(name)
        if schema.get("properties") and schema.get("additionalProperties") is not False:
            open_models.append(name)  # not an InputModel: its text fields go unchecked
        for prop, sub in schema.get("properties", {}).items():
            walk(f"{name}.{prop}", sub, seen)
        if "items" in schema:
            walk(name + "[]", schema["items"], seen)

    for path, ops in app.openapi()["paths"].items():
        for method, op in ops.items():
            content = op.get("requestBody", {}).get("content", {})
            for media_type, media in content.items():
                before = len(open_models)
                walk(f"{method} {path}", media["schema"], frozenset())
                if media_type != "application/json":  # forms: checked where they are read
                    del open_models[before:]
            for p in op.get("parameters", []):
                walk(f"{method} {path} ?{p['name']}", p["schema"], frozenset())
    assert unbounded == [], unbounded
    assert open_models == [], open_models


async def test_nul_in_a_body_text_field_is_422_text_invalid(api, county):
    r = await api.client.post(
        f"{API}/members",
        json={"org_id": county.branch_a["id"], "name": "张\x00三"},
        headers=api.auth(county.admin_a),
    )
    assert r.status_code == 422, r.text
    assert {"field": "name", "code": "request.text_invalid"} in [
        {k: e[k] for k in ("field", "code")} for e in r.json()["errors"]
    ]


async def test_a_control_character_in_a_body_text_field_is_422_text_invalid(api, county):
    for name in ("张\x07三", "张\x01三", "张\x1f三", "张\x0b三"):
        r = await api.client.post(
            f"{API}/members",
            json={"org_id": county.branch_a["id"], "name": name},
            headers=api.auth(county.admin_a),
        )
        assert r.status_code == 422, (name, r.text)
        assert {"field": "name", "code": "request.text_invalid"} in [
            {k: e[k] for k in ("field", "code")} for e in r.json()["errors"]
        ]


async def test_a_control_character_in_a_query_string_is_422_but_a_tab_is_not(api, county):
    for q, status in (("张\x07", 422), ("张\x1b", 422), ("张\t三", 200), ("张\r\n", 200)):
        r = await api.client.get(
            f"{API}/members", params={"q": q}, headers=api.auth(county.admin_a)
        )
        assert r.status_code == status, (q, r.text)
        if status == 422:
            assert r.json()["errors"][0]["code"] == "request.text_invalid"


def test_storable_text_refuses_controls_but_tab_and_line_breaks():
    from app.schemas.common import storable_text

    for char in [*map(chr, range(0x20)), "\ud800", "\udfff"]:
        assert storable_text(f"a{char}b") == (char in "\t\n\r"), repr(char)
    for text in ("张三", "a b", "\x7f", "\u3000", "\U0001f600", ""):
        assert storable_text(text), repr(text)


async def test_a_lone_surrogate_in_a_body_text_field_is_422_text_invalid(api, county):
    body = b'{"org_id": "%s", "name": "\\ud800abc"}' % county.branch_a["id"].encode()
    r = await api.client.post(
        f"{API}/members",
        content=body,
        headers={**api.auth(county.admin_a), "Content-Type": "application/json"},
    )
    assert r.status_code == 422, r.text
    assert r.json()["errors"][0]["code"] == "request.text_invalid"


async def test_a_lone_surrogate_in_an_unknown_body_key_is_422_not_500(api, county):
    body = b'{"org_id": "%s", "name": "x", "\\udc80": 1}' % county.branch_a["id"].encode()
    r = await api.client.post(
        f"{API}/members",
        content=body,
        headers={**api.auth(county.admin_a), "Content-Type": "application/json"},
    )
    assert r.status_code == 422, r.text


async def test_nul_in_a_nested_body_text_is_422(api, county):
    member = await api.member(county.admin_a, county.branch_a["id"])
    r = await api.client.post(
        f"{API}/meetings",
        json={
            "org_id": county.branch_a["id"],
            "type": "general_meeting",
            "held_on": "2026-11-10",
            "topic": "学习\x00",
            "attendee_ids": [member["id"]],
        },
        headers=api.auth(county.admin_a),
    )
    assert r.status_code == 422, r.text


async def test_nul_in_a_query_string_is_422_text_invalid(api, county):
    r = await api.client.get(
        f"{API}/members", params={"q": "张\x00"}, headers=api.auth(county.admin_a)
    )
    assert r.status_code == 422, r.text
    assert r.headers["content-type"] == "application/problem+json"
    assert r.json()["errors"] == [
        {"field": "q", "code": "request.text_invalid", "message": r.json()["errors"][0]["message"]}
    ]


async def test_nul_in_the_login_form_is_422_text_invalid(api):
    for field in ("username", "password"):
        form = {"username": "admin", "password": "secret", field: "ad\x00min"}
        r = await api.client.post(f"{API}/auth/token", data=form)
        assert r.status_code == 422, r.text
        assert r.json()["errors"][0] == {
            "field": field,
            "code": "request.text_invalid",
            "message": r.json()["errors"][0]["message"],
        }
