"""zh-CN by default, English on request: every refusal a zh-CN caller can provoke with a
bad request (a missing field, a wrong type, a string too long, NUL, broken JSON, a bad
query value) answers in Chinese, never with pydantic's English; `Accept-Language: en`
or `?lang=en` answers the same refusals in English."""

from __future__ import annotations

import re
import uuid
from typing import Any

import pytest
from support import unique

from app.error_codes import ErrorCode
from app.i18n import GENERIC_ZH, ZH_TEMPLATES, Text, localized_detail, validation_message

PYDANTIC_ENGLISH = re.compile(
    r"Field required|Input should|String should|value is not|at least|at most|"
    r"Extra inputs|Value error|Invalid JSON|should have|should be|Unable to|Not Found|"
    r"Method Not Allowed|is in the future|unknown sort field",
    re.IGNORECASE,
)
CJK = re.compile(r"[\u4e00-\u9fff]")
WRITE_METHODS = ("post", "put", "patch")


def _resolve(schema: dict[str, Any], spec: dict[str, Any]) -> dict[str, Any]:
    while "$ref" in schema:
        schema = spec["components"]["schemas"][schema["$ref"].rsplit("/", 1)[1]]
    for key in ("anyOf", "oneOf"):
        if key in schema:
            branches = [b for b in schema[key] if b.get("type") != "null"]
            if branches:
                return _resolve(branches[0], spec)
    return schema


def _wrong(schema: dict[str, Any]) -> Any:
    """A value of the wrong kind for `schema`."""
    if "enum" in schema:
        return "no-such-value"
    kind = schema.get("type")
    fmt = schema.get("format")
    if kind == "string":
        return {"date": "2026-13-45", "uuid": "not-a-uuid", "date-time": "yesterday"}.get(
            fmt, 12345
        )
    if kind in ("integer", "number"):
        return "many"
    if kind == "boolean":
        return "maybe"
    if kind == "array":
        return "not a list"
    return "not an object"


def _path(template: str, operation: dict[str, Any]) -> str:
    for param in operation.get("parameters", []):
        if param["in"] == "path":
            value = "2026" if param["schema"].get("type") == "integer" else str(uuid.uuid4())
            template = template.replace("{" + param["name"] + "}", value)
    return template


def _bad_requests(spec: dict[str, Any]) -> list[tuple[str, str, dict[str, Any]]]:
    """(method, url, httpx request kwargs) for every malformed request we can derive."""
    out: list[tuple[str, str, dict[str, Any]]] = []
    for template, ops in spec["paths"].items():
        for method, op in ops.items():
            url = _path(template, op)
            for param in op.get("parameters", []):
                if param["in"] != "query":
                    continue
                schema = _resolve(param["schema"], spec)
                free_text = "format" not in schema and "enum" not in schema
                if schema.get("type") == "string" and free_text:
                    # Free text: only NUL is wrong.
                    out.append((method, url, {"params": {param["name"]: "a\x00b"}}))
                    continue
                out.append((method, url, {"params": {param["name"]: _wrong(schema)}}))
            if method not in WRITE_METHODS:
                continue
            content = op.get("requestBody", {}).get("content", {})
            if "application/json" not in content:
                if content:  # forms and uploads: the fields missing
                    out.append((method, url, {"data": {}}))
                continue
            body = _resolve(content["application/json"]["schema"], spec)
            out.append((method, url, {"content": b"{", "headers": _JSON}))
            out.append((method, url, {"json": []}))
            out.append((method, url, {"json": {}}))
            out.append((method, url, {"json": {"no_such_field": 1}}))
            for name, prop in body.get("properties", {}).items():
                prop = _resolve(prop, spec)
                out.append((method, url, {"json": {name: _wrong(prop)}}))
                if prop.get("type") == "string" and "enum" not in prop:
                    out.append((method, url, {"json": {name: "a\x00b"}}))
                    if "maxLength" in prop:
                        out.append((method, url, {"json": {name: "字" * (prop["maxLength"] + 1)}}))
                    if prop.get("minLength", 0) > 0:
                        out.append((method, url, {"json": {name: ""}}))
                if prop.get("type") in ("integer", "number"):
                    for bound in ("maximum", "exclusiveMaximum"):
                        if bound in prop:
                            out.append((method, url, {"json": {name: prop[bound] + 1}}))
                    for bound in ("minimum", "exclusiveMinimum"):
                        if bound in prop:
                            out.append((method, url, {"json": {name: prop[bound] - 1}}))
                    if prop.get("type") == "integer":
                        out.append((method, url, {"json": {name: 1.5}}))
    return out


_JSON = {"Content-Type": "application/json"}


async def _send(api, method: str, url: str, kwargs: dict[str, Any], lang: dict[str, str]):
    headers = {**api.auth(api.admin_token), **kwargs.pop("headers", {}), **lang}
    return await api.client.request(method.upper(), url, headers=headers, **kwargs)


def _texts(body: dict[str, Any]) -> list[str]:
    """What a person reads in a problem: title, detail and each field's message."""
    return [body["title"], body["detail"], *(e["message"] for e in body.get("errors", []))]


async def test_no_refusal_of_a_bad_request_speaks_english_in_zh_cn(api, app):
    spec = app.openapi()
    cases = _bad_requests(spec)
    assert len(cases) > 300  # every write route and query parameter, several ways each
    refused = 0
    for method, url, kwargs in cases:
        r = await _send(api, method, url, dict(kwargs), {})
        if r.status_code != 422:
            # Not refused as a bad request (a query value that happens to be fine, or an
            # id that does not exist): still in Chinese when it is a problem.
            if r.headers.get("content-type", "").startswith("application/problem+json"):
                for text in _texts(r.json()):
                    assert not PYDANTIC_ENGLISH.search(text), (method, url, kwargs, r.text)
            continue
        refused += 1
        body = r.json()
        assert r.headers["content-language"] == "zh-CN"
        assert not PYDANTIC_ENGLISH.search(r.text), (method, url, kwargs, r.text)
        for text in _texts(body):
            assert CJK.search(text), (method, url, kwargs, text)
    assert refused > 300


async def test_the_same_refusals_answer_in_english_on_request(api, app):
    cases = [c for c in _bad_requests(app.openapi()) if c[2].get("json") == {} and c[0] == "post"]
    assert len(cases) > 20
    for method, url, kwargs in cases:
        for lang in ({"Accept-Language": "en-US,en;q=0.9"}, {}):
            target = url + ("?lang=en" if not lang else "")
            r = await _send(api, method, target, dict(kwargs), lang)
            if r.status_code != 422:
                continue
            assert r.headers["content-language"] == "en"
            assert not CJK.search(r.text), (url, r.text)
            # pydantic's own English, as integrators know it.
            assert PYDANTIC_ENGLISH.search(r.text), (url, r.text)


async def test_a_missing_field_and_a_too_long_string_read_as_a_chinese_user_expects(api, county):
    r = await api.client.post(
        "/api/v1/members",
        json={"name": "张" * 200, "org_id": county.branch_a["id"]},
        headers=api.auth(county.county_admin),
    )
    assert r.status_code == 422
    messages = {e["field"]: (e["code"], e["message"]) for e in r.json()["errors"]}
    assert messages["id_number"] == ("value.missing", "必填项")
    assert messages["name"][0] == "value.string_too_long"
    assert re.fullmatch(r"长度不能超过 \d+ 个字符", messages["name"][1])
    assert r.json()["detail"].startswith(("name: ", "id_number: "))


async def test_a_domain_error_details_its_values_in_the_callers_language(api, county):
    url = "/api/v1/members?sort=no_such_field"
    zh = await api.client.get(url, headers=api.auth(county.county_admin))
    en = await api.client.get(url + "&lang=en", headers=api.auth(county.county_admin))
    assert zh.status_code == en.status_code == 422
    assert zh.json()["title"] == "排序字段无效"
    assert "no_such_field" in zh.json()["detail"] and "name" in zh.json()["detail"]
    assert CJK.search(zh.json()["detail"])
    assert "no_such_field" in en.json()["detail"]
    assert not CJK.search(en.json()["detail"])


async def test_a_header_refusal_details_the_rule_in_the_callers_language(api, county):
    headers = api.auth(county.county_admin, **{"Idempotency-Key": "k" * 256})
    body = {"code": unique("ORG"), "name": "x", "type": "branch", "parent_id": None}
    zh = await api.client.post("/api/v1/organisations", json=body, headers=headers)
    en = await api.client.post("/api/v1/organisations?lang=en", json=body, headers=headers)
    assert zh.status_code == en.status_code == 422
    assert zh.json()["code"] == "idempotency.key_invalid"
    assert zh.json()["detail"] == "长度须为 1-255 个字符"
    assert en.json()["detail"] == "1-255 characters"


def test_a_detail_is_answered_in_the_callers_language_or_as_the_title_when_absent():
    code = ErrorCode.idempotency_key_invalid
    words = Text(zh="长度须为 1-255 个字符", en="1-255 characters")
    assert localized_detail(words, code, "zh") == "长度须为 1-255 个字符"
    assert localized_detail(words, code, "en") == "1-255 characters"
    assert localized_detail(None, code, "zh") == code.message("zh")
    assert localized_detail(None, code, "en") == code.message("en")


@pytest.mark.parametrize(
    ("url", "params"),
    [
        ("/api/v1/members", {"cursor": "not-a-cursor"}),
        ("/api/v1/organisations", {"cursor": "eyJ2IjpbMV19"}),
    ],
)
async def test_a_refusal_with_the_raise_sites_own_words_has_no_english_in_zh_cn(
    api, county, url, params
):
    zh = await api.client.get(url, params=params, headers=api.auth(county.county_admin))
    en = await api.client.get(
        url, params={**params, "lang": "en"}, headers=api.auth(county.county_admin)
    )
    assert zh.status_code == en.status_code == 422
    assert zh.json()["code"] == "pagination.cursor_invalid"
    assert zh.json()["detail"] == "游标无效，或属于另一种排序"
    for text in _texts(zh.json()):
        assert CJK.search(text) and not re.search(r"[a-z]{3,}", text), text
    assert en.json()["detail"] == "the cursor is invalid or for another sort"


@pytest.mark.parametrize("lang", ["zh", "en"])
async def test_an_unknown_path_is_a_problem_in_the_callers_language(api, lang):
    r = await api.client.get(f"/api/v1/no-such-thing?lang={lang}")
    assert r.status_code == 404
    assert bool(CJK.search(r.json()["detail"])) is (lang == "zh")


def test_every_pydantic_error_type_has_a_chinese_message():
    from pydantic_core._pydantic_core import list_all_errors

    for error in list_all_errors():
        assert error["type"] in ZH_TEMPLATES, error["type"]


def test_an_unknown_error_type_or_missing_context_falls_back_to_a_chinese_message():
    assert validation_message({"type": "brand_new", "msg": "Brand new"}, "zh") == GENERIC_ZH
    assert validation_message({"type": "string_too_long", "msg": "x"}, "zh") == GENERIC_ZH
    assert validation_message({"type": "brand_new", "msg": "Brand new"}, "en") == "Brand new"
