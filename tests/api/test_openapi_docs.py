"""The OpenAPI document reads as documentation: Chinese summaries, descriptions, labels,
every status, header and media type an operation answers with (issue 19)."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

from app.api.glossary import FIELDS
from app.api.operations import TAGS
from app.error_codes import ErrorCode

ROOT = Path(__file__).resolve().parents[2]
HAN = re.compile(r"[\u4e00-\u9fff]")
DOCUMENT: dict[str, Any] = json.loads((ROOT / "openapi" / "openapi.json").read_text("utf-8"))
SCHEMAS: dict[str, Any] = DOCUMENT["components"]["schemas"]


def _operations(document: dict[str, Any] = DOCUMENT) -> list[tuple[str, str, dict[str, Any]]]:
    return [(p, m, op) for p, ops in document["paths"].items() for m, op in ops.items()]


def _enums(node: Any, where: str = "") -> list[tuple[str, dict[str, Any]]]:
    found = []
    if isinstance(node, dict):
        if isinstance(node.get("enum"), list):
            found.append((where, node))
        for key, value in node.items():
            found += _enums(value, f"{where}/{key}")
    elif isinstance(node, list):
        for i, value in enumerate(node):
            found += _enums(value, f"{where}/{i}")
    return found


def test_every_operation_has_a_chinese_summary_and_description():
    for path, method, op in _operations():
        assert HAN.search(op["summary"]), (method, path)
        assert HAN.search(op["description"]), (method, path)


def test_every_tag_is_described_in_chinese():
    used = {tag for _, _, op in _operations() for tag in op["tags"]}
    described = {tag["name"]: tag["description"] for tag in DOCUMENT["tags"]}
    assert used <= set(described)
    assert all(HAN.search(text) for text in described.values())
    assert set(described) == set(TAGS)


async def test_the_english_document_has_the_same_operations_in_english(client):
    english = (await client.get("/openapi.en.json")).json()
    zh = {(p, m): op for p, m, op in _operations()}
    en = {(p, m): op for p, m, op in _operations(english)}
    assert zh.keys() == en.keys()
    for key, op in en.items():
        assert op["operationId"] == zh[key]["operationId"]
        assert not HAN.search(op["summary"]), key
        assert op["description"] and op["description"] != zh[key]["description"], key
    assert not any(HAN.search(tag["description"]) for tag in english["tags"])
    described = [
        spec.get("description", "")
        for schema in english["components"]["schemas"].values()
        for spec in schema.get("properties", {}).values()
    ]
    assert all(described)
    assert not set(described) & set(FIELDS.values()), "the English document uses zh-CN text"


def test_schema_names_are_readable():
    assert "MemberPage" in SCHEMAS and "LoginForm" in SCHEMAS and "ImportUpload" in SCHEMAS
    assert not [name for name in SCHEMAS if not re.fullmatch(r"[A-Z][A-Za-z]+", name)]


def test_every_property_and_parameter_is_described_in_chinese():
    # Chinese text: not an English sentence with a Chinese term in brackets.
    untranslated = [
        spec["description"]
        for schema in SCHEMAS.values()
        for spec in schema.get("properties", {}).values()
        if re.search("[A-Za-z]+ [A-Za-z]+ [A-Za-z]+", spec.get("description", ""))
    ]
    assert untranslated == []
    undescribed = [
        f"{name}.{prop}"
        for name, schema in SCHEMAS.items()
        for prop, spec in schema.get("properties", {}).items()
        if not HAN.search(spec.get("description", ""))
    ] + [
        f"{method} {path} {param['name']}"
        for path, method, op in _operations()
        for param in op.get("parameters", [])
        if not HAN.search(param.get("description", ""))
    ]
    total = sum(len(schema.get("properties", {})) for schema in SCHEMAS.values())
    assert total > 700
    assert undescribed == []


def test_every_enum_labels_every_value():
    enums = _enums(DOCUMENT)
    assert len(enums) > 50
    for where, enum in enums:
        labels = enum.get("x-enum-descriptions")
        assert labels is not None and len(labels) == len(enum["enum"]), where
        assert all(isinstance(label, str) and label for label in labels), where
        assert len(enum["x-enum-varnames"]) == len(enum["enum"]), where
    status = SCHEMAS["MemberStatus"]
    assert (
        dict(zip(status["enum"], status["x-enum-descriptions"], strict=True))["full"] == "正式党员"
    )


def test_the_problem_code_is_the_catalogue_enum():
    assert SCHEMAS["Problem"]["properties"]["code"]["$ref"] == "#/components/schemas/ErrorCode"
    assert SCHEMAS["ErrorCode"]["enum"] == [code.value for code in ErrorCode]
    assert SCHEMAS["ErrorCode"]["x-enum-varnames"] == [code.name for code in ErrorCode]


def test_every_problem_status_is_declared_as_problem_json():
    for path, method, op in _operations():
        for status, response in op["responses"].items():
            if int(status) >= 400:
                assert list(response["content"]) == ["application/problem+json"], (path, status)
        if path.startswith("/api/v1/"):
            assert {"401", "422", "503"} <= set(op["responses"]), (method, path)
            # Sign-in and refresh load nothing by id and change no record's state.
            login = path in ("/api/v1/auth/token", "/api/v1/auth/refresh")
            assert ({"404", "409"} <= set(op["responses"])) is not login, (method, path)
        if "requestBody" in op:
            assert "400" in op["responses"], (method, path)
        names = {p["name"] for p in op.get("parameters", [])}
        assert ("If-Match" in names) == ("412" in op["responses"]), (method, path)
    assert "429" in DOCUMENT["paths"]["/api/v1/auth/token"]["post"]["responses"]


def test_response_headers_are_declared():
    for path, method, op in _operations():
        names = {p["name"] for p in op.get("parameters", [])}
        for status, response in op["responses"].items():
            headers = response.get("headers", {})
            if status == "201":
                assert "Location" in headers, (method, path)
            if status in ("429", "503"):
                assert "Retry-After" in headers, (method, path)
            if status.startswith("2") and "Idempotency-Key" in names:
                assert "Idempotent-Replayed" in headers, (method, path)
    member = DOCUMENT["paths"]["/api/v1/members/{member_id}"]
    assert "ETag" in member["get"]["responses"]["200"]["headers"]
    assert "ETag" in member["patch"]["responses"]["200"]["headers"]


def test_files_are_declared_with_their_media_types():
    paths = DOCUMENT["paths"]
    xlsx = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    template = paths["/api/v1/imports/template"]["get"]["responses"]["200"]["content"]
    assert set(template) == {"text/csv", xlsx}
    export = paths["/api/v1/exports"]["get"]["responses"]["200"]["content"]
    assert set(export) == {"text/csv", xlsx}
    assert export[xlsx]["schema"]["format"] == "binary"
    upload = paths["/api/v1/imports"]["post"]["requestBody"]["content"]["multipart/form-data"]
    assert upload["schema"]["$ref"] == "#/components/schemas/ImportUpload"
    assert SCHEMAS["ImportUpload"]["properties"]["file"]["format"] == "binary"
    for _, _, op in _operations():
        for response in op["responses"].values():
            for media in response.get("content", {}).values():
                assert media["schema"] != {}


def test_the_login_form_requires_only_username_and_password():
    form = SCHEMAS["LoginForm"]
    assert form["required"] == ["username", "password"]
    assert "scope" not in form["properties"]


def test_a_post_without_a_body_is_declared_204():
    for path, method, op in _operations():
        for status, response in op["responses"].items():
            if status == "204":
                assert "content" not in response, (method, path)
            if status in ("200", "201"):
                assert response.get("content"), (method, path)


async def test_the_root_redirects_to_the_documentation(client):
    r = await client.get("/")
    assert r.status_code == 307
    assert r.headers["location"] == "/docs"
