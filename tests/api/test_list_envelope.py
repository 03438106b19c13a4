"""One list envelope everywhere (issue 19): every GET list route answers `items`,
`next_cursor` and (on request) `total`, and declares its `sort` orders as an enum.

The routes are enumerated from the committed OpenAPI document (a drift test keeps it
equal to the app's), the same way `test_list_statement_counts` finds its lists.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from support import Api, County, unique

from app.api.enum_labels import INLINE_LABELS
from app.models.enums import LABELS
from app.models.labels_en import LABELS_EN

ROOT = Path(__file__).resolve().parents[2]
DOCUMENT: dict[str, Any] = json.loads((ROOT / "openapi" / "openapi.json").read_text("utf-8"))
SCHEMAS: dict[str, Any] = DOCUMENT["components"]["schemas"]
V = "/api/v1"

# Lists where a count means nothing: the change feed is read after a `since` position
# (its end moves with every commit), the arrears page may hold fewer than `limit` rows,
# the ranking is the top `limit` places.
UNCOUNTED = {
    f"{V}/changes",
    f"{V}/organisations/{{org_id}}/dues/arrears",
    f"{V}/organisations/{{org_id}}/points/ranking",
}


def _resolve(schema: dict[str, Any]) -> dict[str, Any]:
    if "$ref" in schema:
        return SCHEMAS[schema["$ref"].rsplit("/", 1)[-1]]
    return schema


def _list_routes() -> dict[str, tuple[dict[str, Any], dict[str, Any]]]:
    """GET routes answering a list (a JSON array or an object with `items`): path to
    (operation, answer schema)."""
    found = {}
    for path, operations in DOCUMENT["paths"].items():
        get = operations.get("get")
        if get is None:
            continue
        schema = get["responses"].get("200", {}).get("content", {}).get("application/json", {})
        if "schema" not in schema:
            continue
        answer = _resolve(schema["schema"])
        if answer.get("type") == "array" or "items" in answer.get("properties", {}):
            found[path] = (get, answer)
    return found


def _query(op: dict[str, Any], name: str) -> dict[str, Any] | None:
    return next((p for p in op.get("parameters", []) if p["name"] == name), None)


def test_every_list_route_answers_the_envelope():
    routes = _list_routes()
    assert len(routes) >= 18
    for path, (_, answer) in routes.items():
        assert answer.get("type") == "object", f"{path} answers a bare array"
        properties = answer["properties"]
        assert properties["items"]["type"] == "array", path
        assert "items" in answer["required"], path
        cursor_types = {s.get("type") for s in properties["next_cursor"].get("anyOf", [])}
        assert cursor_types == {"string", "null"}, path
        if path not in UNCOUNTED:
            total_types = {s.get("type") for s in properties["total"].get("anyOf", [])}
            assert total_types == {"integer", "null"}, path


def test_every_list_route_declares_its_sort_orders_as_an_enum():
    for path, (op, _) in _list_routes().items():
        sort = _query(op, "sort")
        assert sort is not None, f"{path} has no sort parameter"
        schema = sort["schema"]
        assert schema["type"] == "string" and schema["enum"], path
        assert schema["default"] in schema["enum"], path
        assert len(schema["x-enum-descriptions"]) == len(schema["enum"]), path


def test_every_counted_list_takes_include_total():
    for path, (op, _) in _list_routes().items():
        flag = _query(op, "include_total")
        assert (flag is not None) == (path not in UNCOUNTED), path


def test_every_enum_value_has_an_english_label_that_is_not_its_code():
    assert set(LABELS_EN) == set(LABELS)
    for enum, labels in LABELS.items():
        english = LABELS_EN[enum]
        assert set(english) == set(labels), enum.__name__
        assert all(text[0].isupper() for text in english.values()), enum.__name__
    assert all(zh and en for zh, en in INLINE_LABELS.values())


async def test_the_english_document_labels_enums_in_english(client):
    english = (await client.get("/openapi.en.json")).json()
    status = english["components"]["schemas"]["MemberStatus"]
    labels = dict(zip(status["enum"], status["x-enum-descriptions"], strict=True))
    assert labels["full"] == "Full member"
    assert labels["candidate"] == "Candidate for admission"
    sort = _query(english["paths"][f"{V}/meetings"]["get"], "sort")
    assert sort is not None
    meetings = dict(zip(sort["schema"]["enum"], sort["schema"]["x-enum-descriptions"], strict=True))
    assert meetings["-held_on"] == "By meeting date (descending)"


# --- through the API ---------------------------------------------------------------------


async def _rule(api: Api, token: str, org_id: str) -> None:
    body = {"org_id": org_id, "code": unique("R"), "name": "学习", "category": "bonus"}
    r = await api.client.post(
        f"{V}/point-rules", json={**body, "points": 2}, headers=api.auth(token)
    )
    assert r.status_code == 201, r.text


async def test_a_whole_list_answers_the_envelope_and_counts_on_request(api, county: County):
    for _ in range(2):
        await _rule(api, county.county_admin, county.town_a["id"])
    url = f"{V}/point-rules"
    params = {"org_id": county.town_a["id"], "include_inherited": "false"}
    r = await api.client.get(url, params=params, headers=api.auth(county.admin_a))
    assert r.status_code == 200, r.text
    body = r.json()
    assert len(body["items"]) == 2 and body["next_cursor"] is None and body["total"] is None
    counted = {**params, "include_total": "true"}
    r = await api.client.get(url, params=counted, headers=api.auth(county.admin_a))
    assert r.json()["total"] == 2


async def test_a_whole_list_refuses_an_order_it_does_not_offer(api, county: County):
    url = f"{V}/point-rules"
    params = {"org_id": county.town_a["id"], "sort": "-scheme"}
    r = await api.client.get(url, params=params, headers=api.auth(county.admin_a))
    assert r.status_code == 422
    assert r.json()["errors"][0]["code"] == "pagination.sort_invalid"
    params["sort"] = "scheme"
    r = await api.client.get(url, params=params, headers=api.auth(county.admin_a))
    assert r.status_code == 200


async def test_a_whole_list_of_another_subtree_is_not_found(api, county: County):
    url = f"{V}/organisations/{county.town_b['id']}/leaders"
    r = await api.client.get(
        url, params={"include_total": "true"}, headers=api.auth(county.admin_a)
    )
    assert r.status_code == 404


async def test_a_paged_list_sorts_by_a_declared_order_and_counts(api, county: County):
    community = await api.org(
        county.county_admin, county.town_a["id"], "committee", unit_category=7
    )
    codes = sorted(unique("G") for _ in range(3))
    for code in codes:
        body = {"code": code, "name": "网格", "kind": "urban", "org_id": community["id"]}
        r = await api.client.post(f"{V}/grids", json=body, headers=api.auth(county.admin_a))
        assert r.status_code == 201, r.text
    params = {"within": community["id"], "sort": "-code", "include_total": "true", "limit": 2}
    r = await api.client.get(f"{V}/grids", params=params, headers=api.auth(county.admin_a))
    assert r.status_code == 200, r.text
    body = r.json()
    assert [g["code"] for g in body["items"]] == codes[::-1][:2]
    assert body["total"] == 3 and body["next_cursor"]
    params["cursor"] = body["next_cursor"]
    r = await api.client.get(f"{V}/grids", params=params, headers=api.auth(county.admin_a))
    assert [g["code"] for g in r.json()["items"]] == codes[:1]
    r = await api.client.get(
        f"{V}/grids", params={"sort": "name"}, headers=api.auth(county.admin_a)
    )
    assert r.status_code == 422 and r.json()["errors"][0]["code"] == "pagination.sort_invalid"


def test_the_member_flags_are_an_enum_of_the_flag_codes():
    from app.services.lifecycle import FLAG_CODES

    flag = _query(DOCUMENT["paths"][f"{V}/members"]["get"], "flag")
    assert flag is not None
    assert flag["schema"]["items"]["enum"] == list(FLAG_CODES)


def test_every_list_filter_with_fixed_values_is_an_enum():
    """No list filter takes free text where the values are fixed: each query parameter
    of a list is an id, a number, a date, a flag, free text searched (`q`, names,
    numbers) or an enum."""
    free_text = {"q", "id_number", "certificate_no", "since", "cursor", "actor"}
    free_text |= {"resource", "resource_id"}
    for path, (op, _) in _list_routes().items():
        for param in op.get("parameters", []):
            if param["in"] != "query" or param["name"] in free_text:
                continue
            schema = param["schema"]
            options = schema.get("anyOf", [schema])
            for option in options:
                inner = option.get("items", option)
                if inner.get("type") == "string" and "format" not in inner:
                    assert "enum" in inner, f"{path} ?{param['name']}= takes any string"
