"""Schemathesis over the published OpenAPI, bounded and deterministic (issue 18).

Every operation gets schemathesis' coverage-phase cases (boundary values, missing and
wrongly typed parameters and bodies, valid and invalid; an even sample of at most
COVERAGE_PER_OPERATION) and EXAMPLES_PER_OPERATION fuzzed valid and invalid requests
with a fixed seed, sent as a county admin through the ASGI app to real PostgreSQL.
Each response must: not be a server error, use a documented status code and content
type, declare its documented headers, and conform to the documented schema.
"""

from __future__ import annotations

from typing import Any

import httpx
import schemathesis
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis.errors import Unsatisfiable
from schemathesis.checks import not_a_server_error
from schemathesis.core.failures import FailureGroup
from schemathesis.generation import GenerationMode
from schemathesis.generation.drivers import CoverageGenerator
from schemathesis.generation.feedback import NO_FEEDBACK
from schemathesis.generation.overrides import Override
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
    status_code_conformance,
)
from support import Api, County

# Fuzzed requests per operation and mode (valid, invalid).
EXAMPLES_PER_OPERATION = 3
# Coverage-phase cases per operation: an even sample of the 5-120 it generates.
COVERAGE_PER_OPERATION = 10
CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
]
# Login and refresh are sent from an address of their own: the failed logins they make
# count against that (username, address) and that address only, never against the
# address every other test logs in from.
OWN_ADDRESS = {"/api/v1/auth/token", "/api/v1/auth/refresh"}
# Transport options of `requests` that httpx has no use for.
_REQUESTS_ONLY = {"allow_redirects", "verify", "timeout", "cert", "proxies", "stream"}


def _bytes(value: Any) -> Any:
    return value if isinstance(value, bytes | str) else str(value).encode()


def _files(files: Any) -> Any:
    """Multipart parts as httpx sends them: a generated part may be a bare number."""
    items = files.items() if isinstance(files, dict) else files
    out = []
    for name, part in items:
        if isinstance(part, tuple):
            out.append((name, (part[0], _bytes(part[1]), *part[2:])))
        else:
            out.append((name, _bytes(part)))
    return out


def _request(case: Any, headers: dict[str, str]) -> dict[str, Any]:
    """The case as httpx request arguments."""
    kwargs: dict[str, Any] = case.as_transport_kwargs(base_url="http://test", headers=headers)
    for key in _REQUESTS_ONLY:
        kwargs.pop(key, None)
    if not kwargs.get("cookies"):
        kwargs.pop("cookies", None)
    if isinstance(kwargs.get("data"), bytes | str):
        kwargs["content"] = kwargs.pop("data")
    if kwargs.get("files") is not None:
        kwargs["files"] = _files(kwargs["files"])
    else:
        kwargs.pop("files", None)
    return kwargs


def _coverage(schema: Any, operation: Any, fixed: dict[str, str]) -> list[Any]:
    """The coverage phase's cases (deterministic), evenly sampled down to the bound."""
    names = {p.name for p in operation.path_parameters}
    cases = list(
        CoverageGenerator(
            operation=operation,
            generation_modes=[GenerationMode.POSITIVE, GenerationMode.NEGATIVE],
            generation_config=schema.config.generation_for(operation=operation, phase="coverage"),
            auth_storage=None,
            override=Override(path_parameters={k: v for k, v in fixed.items() if k in names}),
            feedback=NO_FEEDBACK,
        )
    )
    step = max(1, len(cases) // COVERAGE_PER_OPERATION)
    return cases[::step][:COVERAGE_PER_OPERATION]


def _generate(operation: Any, mode: GenerationMode, fixed: dict[str, str]) -> list[Any]:
    """EXAMPLES_PER_OPERATION cases, the same on every run (derandomized)."""
    names = {p.name for p in operation.path_parameters}
    strategy = operation.as_strategy(
        generation_mode=mode,
        path_parameters={k: v for k, v in fixed.items() if k in names} or None,
    )
    cases: list[Any] = []

    @given(case=strategy)
    @settings(
        max_examples=EXAMPLES_PER_OPERATION,
        derandomize=True,
        database=None,
        deadline=None,
        phases=[Phase.generate],
        suppress_health_check=list(HealthCheck),
    )
    def collect(case: Any) -> None:
        if len(cases) < EXAMPLES_PER_OPERATION:
            cases.append(case)

    try:
        collect()
    except Unsatisfiable:  # nothing to make invalid (an operation without inputs)
        return []
    return cases


async def test_schemathesis_finds_no_server_error_and_no_undocumented_answer(
    app: Any, api: Api, client: httpx.AsyncClient, county: County
) -> None:
    schema = schemathesis.openapi.from_dict(app.openapi())
    member = await api.member(county.county_admin, county.branch_a["id"])
    # Real ids for the most common path parameters, so requests get past the 404.
    fixed = {"org_id": county.branch_a["id"], "member_id": member["id"]}
    token = {"Authorization": f"Bearer {county.county_admin}"}
    failures: list[str] = []
    sent = 0
    transport = httpx.ASGITransport(app=app, client=("192.0.2.18", 40000))
    async with httpx.AsyncClient(transport=transport, base_url="http://test") as elsewhere:
        for result in schema.get_all_operations():
            operation = result.ok()
            sender = elsewhere if operation.path in OWN_ADDRESS else client
            cases = _coverage(schema, operation, fixed)
            for mode in (GenerationMode.POSITIVE, GenerationMode.NEGATIVE):
                cases += _generate(operation, mode, fixed)
            for case in cases:
                response = await sender.request(**_request(case, token))
                sent += 1
                response.request.read()  # a multipart body streams: schemathesis reads it
                try:
                    case.validate_response(response, checks=CHECKS)
                except FailureGroup as exc:
                    lines = [line for line in str(exc).splitlines() if line.strip()][1:8]
                    label = case.meta.phase.name.value if case.meta else ""
                    failures.append(f"{case.method} {case.path} [{label}]: " + " | ".join(lines))
    print(f"schemathesis: {sent} requests")
    assert sent > 0
    assert failures == [], "\n".join(failures)
