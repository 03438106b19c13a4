"""The OpenAPI document, written for the people who read it (zh-CN, and en on request).

FastAPI generates the skeleton from the routes and models; this module adds what it
cannot know, from one table each: operation ids and summaries (`app.api.operations`),
field descriptions (`app.api.glossary`), enum value labels (`app.models.enums.LABELS`),
the statuses, headers and media types each operation really answers with, and the
problem schema. `build(app, "zh")` is `/openapi.json`; `build(app, "en")` is
`/openapi.en.json`.
"""

from __future__ import annotations

import copy
from enum import StrEnum
from typing import Any

from fastapi import FastAPI
from fastapi.dependencies.models import Dependant
from fastapi.encoders import jsonable_encoder
from fastapi.openapi.utils import get_openapi
from fastapi.routing import APIRoute

from app.api.common import API_PREFIX
from app.api.deps import get_principal, oauth2_scheme
from app.api.enum_labels import label
from app.api.glossary import FIELDS
from app.api.glossary_en import FIELDS_EN, PARAMETERS_EN
from app.api.glossary_parameters import PARAMETERS
from app.api.glossary_translations import TRANSLATIONS
from app.api.operations import DOCUMENT_DESCRIPTION, OPERATIONS, TAGS
from app.error_codes import ErrorCode
from app.models.enums import LABELS
from app.schemas.common import Problem


def operation_id(route: APIRoute) -> str:
    """The stable, readable id (`listMembers`) of a route, from the operations table."""
    if not route.include_in_schema:
        return route.name  # the docs pages themselves
    try:
        return OPERATIONS[route.name].operation_id
    except KeyError:
        raise KeyError(f"route {route.name!r} is not in app/api/operations.py") from None


_ENUMS: dict[str, type[StrEnum]] = {enum.__name__: enum for enum in LABELS}
_ERROR_CODE_LABELS = {code.value: f"{code.zh} / {code.en}" for code in ErrorCode}

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
DOCX = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
_CSV = {"schema": {"type": "string"}}
_BINARY = {"schema": {"type": "string", "format": "binary"}}
# Operations answering with a file (or plain text) rather than JSON.
FILE_RESPONSES: dict[str, dict[str, Any]] = {
    "imports_template": {"text/csv": _CSV, XLSX: _BINARY},
    "exports_get": {"text/csv": _CSV, XLSX: _BINARY},
    "organisations_statistics_xlsx": {XLSX: _BINARY},
    "members_development_record_xlsx": {XLSX: _BINARY},
    "ops_metrics": {"text/plain": _CSV},
    # The allowed types of the settings; by default these.
    "attachments_download": {
        media: _BINARY for media in ("application/pdf", "image/jpeg", "image/png", DOCX, XLSX)
    },
}

_PROBLEM = {"application/problem+json": {"schema": {"$ref": "#/components/schemas/Problem"}}}
_PROBLEMS: dict[int, tuple[str, str]] = {
    400: ("请求体无法解析", "The body could not be parsed"),
    401: ("未登录或令牌无效", "Missing or invalid token"),
    403: ("当前角色无权执行此操作", "The role may not do this"),
    404: ("不存在或不在您的管辖范围内", "Not found or outside your scope"),
    409: ("与规则或当前状态冲突", "Conflict with a rule or the current state"),
    412: ("If-Match 与当前版本不符", "If-Match did not match the current version"),
    422: ("参数校验失败", "Validation failed"),
    429: ("请求过于频繁，请在 Retry-After 秒后重试", "Too many requests: retry after Retry-After"),
    503: ("数据库暂不可用，请在 Retry-After 秒后重试", "The database is unavailable: retry later"),
}
_HEADERS: dict[str, tuple[str, str, dict[str, Any]]] = {
    "ETag": ("资源当前版本，修改时放入 If-Match", "The version; send it as If-Match", {}),
    "Location": ("新建资源的地址", "The created resource", {}),
    "Retry-After": ("建议的重试等待秒数", "Seconds to wait before retrying", {}),
    "Idempotent-Replayed": (
        "true 表示这是同一 Idempotency-Key 的首次响应的重放",
        "true when this replays the first response to the same Idempotency-Key",
        {"enum": ["true"]},
    ),
}
_SUCCESS = {"zh": "成功", "en": "Successful response"}


def _statuses(path: str, method: str, op: dict[str, Any]) -> list[int]:
    """The problem statuses an operation can answer with."""
    params = {p["name"] for p in op.get("parameters", [])}
    api = path.startswith(API_PREFIX)
    login = path in (f"{API_PREFIX}/auth/token", f"{API_PREFIX}/auth/refresh")
    statuses = [422]  # any query may hold text no column stores
    if "requestBody" in op:
        statuses.append(400)
    if login:
        # Sign-in and refresh load nothing by id and change no record's state.
        statuses += [401, 503]
    elif api:
        # 409 on reads too: a record's state may refuse one (an assessment without a base).
        statuses += [401, 403, 404, 409, 503]
    if "If-Match" in params:
        statuses.append(412)
    if path == f"{API_PREFIX}/auth/token":
        statuses.append(429)
    if path == "/readyz":
        statuses.append(503)
    return sorted(set(statuses))


def _header(name: str, lang: str) -> dict[str, Any]:
    zh, en, extra = _HEADERS[name]
    return {"description": zh if lang == "zh" else en, "schema": {"type": "string", **extra}}


def _has_version(schema: dict[str, Any], components: dict[str, Any]) -> bool:
    ref = schema.get("$ref", "")
    target = components.get(ref.rsplit("/", 1)[-1], {}) if ref else schema
    return "version" in target.get("properties", {})


def _responses(
    path: str, method: str, name: str, op: dict[str, Any], components: dict[str, Any], lang: str
) -> None:
    responses = op["responses"]
    for code in [c for c in responses if c.isdigit() and int(c) >= 400]:
        del responses[code]
    for status in _statuses(path, method, op):
        zh, en = _PROBLEMS[status]
        entry: dict[str, Any] = {"description": zh if lang == "zh" else en, "content": _PROBLEM}
        if status in (429, 503):
            entry["headers"] = {"Retry-After": _header("Retry-After", lang)}
        if status == 412:
            entry["headers"] = {"ETag": _header("ETag", lang)}
        responses[str(status)] = copy.deepcopy(entry)
    params = {p["name"] for p in op.get("parameters", [])}
    for code, response in responses.items():
        if not code.startswith("2"):
            continue
        if response.get("description") == "Successful Response":
            response["description"] = _SUCCESS[lang]
        if name in FILE_RESPONSES:
            response["content"] = copy.deepcopy(FILE_RESPONSES[name])
        headers = response.setdefault("headers", {})
        schema = response.get("content", {}).get("application/json", {}).get("schema", {})
        if _has_version(schema, components) and method != "delete":
            headers["ETag"] = _header("ETag", lang)
        if code == "201":
            headers["Location"] = _header("Location", lang)
        if "Idempotency-Key" in params:
            headers["Idempotent-Replayed"] = _header("Idempotent-Replayed", lang)
        if not headers:
            del response["headers"]


def _label_enums(node: Any, lang: str) -> None:
    """`x-enum-descriptions` and `x-enum-varnames` on every enum, named or inline."""
    if isinstance(node, dict):
        values = node.get("enum")
        if isinstance(values, list) and "x-enum-descriptions" not in node:
            enum = _ENUMS.get(node.get("title", ""))
            if node.get("title") == "ErrorCode":
                node["x-enum-descriptions"] = [_ERROR_CODE_LABELS[v] for v in values]
                node["x-enum-varnames"] = [str(v).replace(".", "_") for v in values]
            else:
                node["x-enum-descriptions"] = [label(str(v), enum, lang) for v in values]
                node["x-enum-varnames"] = [_varname(str(v)) for v in values]
        for value in node.values():
            _label_enums(value, lang)
    elif isinstance(node, list):
        for value in node:
            _label_enums(value, lang)


def _varname(value: str) -> str:
    """A name for generated code: `meeting.absent` → `meeting_absent`, `-held_on` →
    `held_on_desc`."""
    if value.startswith("-"):
        value = value[1:] + "_desc"
    return value.replace(".", "_").replace("-", "_")


def _describe(spec: dict[str, Any], name: str, names: dict[str, str], lang: str) -> None:
    """Describe a property or parameter in `lang`: in zh-CN its own (English) text
    translated or the glossary's; in en its own text or the English glossary's."""
    own = spec.get("description")
    fields = FIELDS if lang == "zh" else FIELDS_EN
    if own:
        text = TRANSLATIONS.get(own) if lang == "zh" else own
    else:
        text = names.get(name) or fields.get(name)
    if text is not None:
        spec["description"] = text
    inner = spec.get("schema", {})
    if lang == "zh" and inner.get("description") in TRANSLATIONS:
        inner["description"] = TRANSLATIONS[inner["description"]]


def _describe_fields(components: dict[str, Any], lang: str) -> None:
    for schema in components.values():
        for prop, spec in schema.get("properties", {}).items():
            _describe(spec, prop, {}, lang)


def _rename(document: dict[str, Any], old: str, new: str) -> None:
    components = document["components"]["schemas"]
    if old not in components:
        return
    components[new] = components.pop(old)
    components[new]["title"] = new
    before, after = f"#/components/schemas/{old}", f"#/components/schemas/{new}"

    def walk(node: Any) -> None:
        if isinstance(node, dict):
            if node.get("$ref") == before:
                node["$ref"] = after
            for value in node.values():
                walk(value)
        elif isinstance(node, list):
            for value in node:
                walk(value)

    walk(document)


def _resolves(dependant: Dependant, call: Any) -> bool:
    return any(d.call is call or _resolves(d, call) for d in dependant.dependencies)


def _declare_sign_in(app: FastAPI, schema: dict[str, Any]) -> None:
    """The bearer sign-in (`deps.oauth2_scheme`) on every operation that resolves the
    caller (`deps.get_principal`, directly or through another dependency), which reads
    the header itself rather than through a security dependency."""
    name = type(oauth2_scheme).__name__
    signed = {
        (method.lower(), route.path_format)
        for route in app.routes
        if isinstance(route, APIRoute) and _resolves(route.dependant, get_principal)
        for method in route.methods or ()
    }
    for path, ops in schema["paths"].items():
        for method, op in ops.items():
            if (method, path) in signed:
                op["security"] = [{name: []}]
    if signed:
        schemes = schema.setdefault("components", {}).setdefault("securitySchemes", {})
        schemes[name] = jsonable_encoder(oauth2_scheme.model, by_alias=True, exclude_none=True)


def _skeleton(app: FastAPI) -> dict[str, Any]:
    schema = get_openapi(
        title=app.title, version=app.version, description=app.description, routes=app.routes
    )
    _declare_sign_in(app, schema)
    components = schema.setdefault("components", {}).setdefault("schemas", {})
    components["Problem"] = Problem.model_json_schema(ref_template="#/components/schemas/{model}")
    for name, sub in components["Problem"].pop("$defs", {}).items():
        components.setdefault(name, sub)
    # FastAPI's own 422 body, which this API never sends (422 is a Problem).
    components.pop("HTTPValidationError", None)
    components.pop("ValidationError", None)
    for name in [n for n in components if n.startswith("Page_") and n.endswith("_")]:
        # `Page[MemberRead]` is generated as `Page_MemberRead_`: call it `MemberPage`.
        _rename(schema, name, name[5:-1].removesuffix("Read") + "Page")
    _rename(schema, "Body_importFile", "ImportUpload")
    _rename(schema, "Body_login", "LoginForm")
    uploads = ["ImportUpload"]
    for name in [n for n in components if n.startswith("Body_upload")]:
        # `uploadMeetingAttachment`'s form is generated as `Body_uploadMeetingAttachment`.
        uploads.append(name.removeprefix("Body_upload") + "Upload")
        _rename(schema, name, uploads[-1])
    for form in uploads:
        upload = components.get(form, {}).get("properties", {}).get("file")
        if upload is not None:  # a file part, not a string field
            upload.pop("contentMediaType", None)
            upload["format"] = "binary"
    return schema


def build(app: FastAPI, lang: str) -> dict[str, Any]:
    """The whole document in `lang` ("zh" or "en")."""
    document = _skeleton(app)
    components = document["components"]["schemas"]
    names = {
        (method, route.path): route.name
        for route in app.routes
        if isinstance(route, APIRoute)
        for method in route.methods or ()
    }
    for path, ops in document["paths"].items():
        for method, op in ops.items():
            name = names[(method.upper(), path)]
            entry = OPERATIONS[name]
            op["summary"] = entry.zh if lang == "zh" else entry.en
            if lang == "zh":
                op["description"] = entry.zh_description
            else:
                op.setdefault("description", entry.en)
            if method == "post" and not path.startswith(f"{API_PREFIX}/auth/"):
                op.setdefault("parameters", []).append(
                    {
                        "name": "Idempotency-Key",
                        "in": "header",
                        "required": False,
                        "description": "安全重试：同一键、同一请求体重放首次响应；"
                        "同一键不同请求体返回 422。"
                        if lang == "zh"
                        else "Retry safely: a replay with the same key and body returns the "
                        "first response; the same key with another body is 422.",
                        "schema": {"type": "string", "minLength": 1, "maxLength": 255},
                    }
                )
            for param in op.get("parameters", []):
                _describe(param, param["name"], PARAMETERS if lang == "zh" else PARAMETERS_EN, lang)
            _responses(path, method, name, op, components, lang)
    _describe_fields(components, lang)
    _label_enums(document, lang)
    document["info"]["description"] = DOCUMENT_DESCRIPTION[0 if lang == "zh" else 1]
    document["tags"] = [
        {"name": tag, "description": zh if lang == "zh" else en} for tag, (zh, en) in TAGS.items()
    ]
    return document
