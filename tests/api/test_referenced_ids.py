"""Every id a write references is loaded through the one scope check.

For each id field of each write body (the table below), another subtree's id and a
random id get the same answer: 404 with the resource's `<resource>.not_found` code
and the field named in `errors`, so no answer tells which ids exist elsewhere.
The same request with an id from the caller's own subtree passes that check.
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from typing import Any

import pytest
from support import new_id_number, unique

V = "/api/v1"
TODAY = date(2026, 11, 24)


pytestmark = pytest.mark.usefixtures("frozen_today")  # every test on `TODAY`


async def _ok(api, method: str, url: str, token: str, body: Any) -> dict[str, Any]:
    r = await api.client.request(method, V + url, json=body, headers=api.auth(token))
    assert r.status_code in (200, 201), r.text
    result: dict[str, Any] = r.json()
    return result


async def _meeting(api, token: str, org_id: str, **fields: Any) -> dict[str, Any]:
    body = {"org_id": org_id, "type": "general_meeting", "held_on": "2026-11-01", "topic": "学习"}
    return await _ok(api, "POST", "/meetings", token, {**body, **fields})


async def _world(api, county) -> dict[str, Any]:
    """Town A (the caller's, admin_a) and town B (another subtree), each with the same kinds
    of records: members, a party group, a community with a branch, meetings, rules."""
    ca, a = county.county_admin, county.admin_a
    w: dict[str, Any] = {}
    for side, town, branch in (
        ("a", county.town_a, county.branch_a),
        ("b", county.town_b, county.branch_b),
    ):
        community = await api.org(ca, town["id"], "committee", unit_category=7)
        cbranch = await api.org(ca, community["id"], "branch", unit_category=7)
        w[f"town_{side}"] = town["id"]
        w[f"branch_{side}"] = branch["id"]
        w[f"group_{side}"] = (await api.org(ca, branch["id"], "group"))["id"]
        w[f"community_{side}"] = community["id"]
        w[f"cbranch_{side}"] = cbranch["id"]
        w[f"member_{side}"] = (await api.member(ca, branch["id"]))["id"]
        w[f"meeting_{side}"] = (await _meeting(api, ca, branch["id"]))["id"]
        rule = {"org_id": town["id"], "code": unique("R"), "name": "学习", "category": "bonus"}
        w[f"rule_{side}"] = (await _ok(api, "POST", "/point-rules", ca, {**rule, "points": 5}))[
            "id"
        ]
    w["member_a2"] = (await api.member(ca, county.branch_a["id"]))["id"]
    w["grid_a"] = (
        await _ok(
            api,
            "POST",
            "/grids",
            a,
            {"code": unique("G"), "name": "网格", "kind": "urban", "org_id": w["community_a"]},
        )
    )["id"]
    # An episode of town B's member that names town A's branch as its host (inflow).
    outflow = {
        "member_id": w["member_b"],
        "destination_area": "440305",
        "reason": "务工",
        "expected_months": 6,
        "certificate_no": unique("C"),
        "location_consent": False,
        "host_org_id": w["branch_a"],
    }
    w["episode_to_a"] = (await _ok(api, "POST", "/mobile-episodes", county.admin_b, outflow))["id"]
    # A held general meeting, finalized, for amendments.
    held = await _meeting(api, a, county.branch_a["id"])
    present = [{"member_id": x["member_id"], "presence": "present"} for x in held["attendance"]]
    await _ok(api, "PUT", f"/meetings/{held['id']}/attendance", a, present)
    await _ok(api, "POST", f"/meetings/{held['id']}/finalize", a, None)
    w["finalized_a"] = held["id"]
    return w


@dataclass(frozen=True)
class Case:
    name: str
    method: str
    url: Callable[[dict[str, Any]], str]
    body: Callable[[dict[str, Any], str], Any]  # (world, the id under test) -> body
    field: str
    code: str
    other: str  # the world key of another subtree's id
    mine: str  # the world key of an id of the caller's subtree


def _member_body(w: dict[str, Any], **fields: Any) -> dict[str, Any]:
    return {
        "name": "李四",
        "id_number": new_id_number(),
        "org_id": w["branch_a"],
        "status": "full",
        "category": "employed",
        **fields,
    }


def _rule_body(w: dict[str, Any], org: str, **fields: Any) -> dict[str, Any]:
    return {
        "org_id": org,
        "code": unique("R"),
        "name": "细则",
        "category": "bonus",
        "points": 2,
        **fields,
    }


def _user_body(**fields: Any) -> dict[str, Any]:
    name = unique("u").replace("-", "_")
    return {"username": name, "password": "correct horse battery", **fields}


def _lecture(**fields: Any) -> dict[str, Any]:
    return {"type": "party_lecture", "held_on": "2026-12-01", "topic": "党课", **fields}


ORG, MEMBER, MEETING = "organisation.not_found", "member.not_found", "meeting.not_found"
RULE = "points.rule_not_found"

CASES = [
    Case("POST /organisations parent_id", "POST", lambda w: "/organisations",
         lambda w, v: {"code": unique("O"), "name": "新支部", "type": "branch", "parent_id": v},
         "parent_id", ORG, "town_b", "town_a"),
    Case("POST /organisations/{id}/leaders member_id", "POST",
         lambda w: f"/organisations/{w['branch_a']}/leaders",
         lambda w, v: {"member_id": v, "role": "committee_member", "started_on": "2026-01-01"},
         "member_id", MEMBER, "member_b", "member_a"),
    Case("POST /members org_id", "POST", lambda w: "/members",
         lambda w, v: _member_body(w, org_id=v), "org_id", ORG, "branch_b", "branch_a"),
    Case("POST /members group_id", "POST", lambda w: "/members",
         lambda w, v: _member_body(w, group_id=v), "group_id", ORG, "group_b", "group_a"),
    Case("PATCH /members/{id} group_id", "PATCH", lambda w: f"/members/{w['member_a2']}",
         lambda w, v: {"group_id": v}, "group_id", ORG, "group_b", "group_a"),
    Case("POST /members/{id}/transitions meeting_id", "POST",
         lambda w: f"/members/{w['member_a2']}/transitions",
         lambda w, v: {"to_status": "left", "effective_date": "2026-11-20", "meeting_id": v},
         "meeting_id", MEETING, "meeting_b", "meeting_a"),
    Case("POST /members/{id}/disciplines org_id", "POST",
         lambda w: f"/members/{w['member_a2']}/disciplines",
         lambda w, v: {"kind": "warning", "org_id": v, "decided_on": "2026-11-20",
                       "document_number": unique("纪")},
         "org_id", ORG, "branch_b", "branch_a"),
    Case("POST /members/{id}/rewards org_id", "POST",
         lambda w: f"/members/{w['member_a2']}/rewards",
         lambda w, v: {"title": "优秀共产党员", "level": "basic", "org_id": v,
                       "awarded_on": "2026-07-01", "document_number": unique("表")},
         "org_id", ORG, "town_b", "town_a"),
    Case("POST /members/{id}/development-steps responsible_ids", "POST",
         lambda w: f"/members/{w['member_a2']}/development-steps",
         lambda w, v: {"step": "committee_talk", "done_on": "2026-11-20",
                       "responsible_ids": [v]},
         "responsible_ids", MEMBER, "member_b", "member_a"),
    Case("POST /form-number-ranges org_id", "POST", lambda w: "/form-number-ranges",
         lambda w, v: {"org_id": v, "prefix": unique("F"), "first_number": 1,
                       "last_number": 9},
         "org_id", ORG, "branch_b", "branch_a"),
    Case("POST /users org_id", "POST", lambda w: "/users",
         lambda w, v: _user_body(role="branch_secretary", org_id=v),
         "org_id", ORG, "branch_b", "branch_a"),
    Case("POST /users member_id", "POST", lambda w: "/users",
         lambda w, v: _user_body(role="member", org_id=w["branch_a"], member_id=v),
         "member_id", MEMBER, "member_b", "member_a"),
    Case("POST /meetings org_id", "POST", lambda w: "/meetings",
         lambda w, v: _lecture(org_id=v),
         "org_id", ORG, "branch_b", "branch_a"),
    Case("POST /meetings host_id", "POST", lambda w: "/meetings",
         lambda w, v: {"org_id": w["branch_a"], "type": "party_lecture", "held_on": "2026-12-01",
                       "topic": "党课", "host_id": v},
         "host_id", MEMBER, "member_b", "member_a"),
    Case("POST /meetings recorder_id", "POST", lambda w: "/meetings",
         lambda w, v: {"org_id": w["branch_a"], "type": "party_lecture", "held_on": "2026-12-01",
                       "topic": "党课", "recorder_id": v},
         "recorder_id", MEMBER, "member_b", "member_a"),
    Case("POST /meetings expected_member_ids", "POST", lambda w: "/meetings",
         lambda w, v: {"org_id": w["branch_a"], "type": "party_lecture", "held_on": "2026-12-01",
                       "topic": "党课", "expected_member_ids": [w["member_a"], v]},
         "expected_member_ids", MEMBER, "member_b", "member_a2"),
    Case("PATCH /meetings/{id} host_id", "PATCH", lambda w: f"/meetings/{w['meeting_a']}",
         lambda w, v: {"host_id": v}, "host_id", MEMBER, "member_b", "member_a"),
    Case("PATCH /meetings/{id} recorder_id", "PATCH", lambda w: f"/meetings/{w['meeting_a']}",
         lambda w, v: {"recorder_id": v}, "recorder_id", MEMBER, "member_b", "member_a"),
    Case("PUT /meetings/{id}/attendance member_id", "PUT",
         lambda w: f"/meetings/{w['meeting_a']}/attendance",
         lambda w, v: [{"member_id": v, "presence": "present"}],
         "member_id", MEMBER, "member_b", "member_a"),
    Case("POST /meetings/{id}/votes member_id", "POST",
         lambda w: f"/meetings/{w['meeting_a']}/votes",
         lambda w, v: {"kind": "decision", "subject": "表决", "ayes": 0, "nays": 0, "member_id": v},
         "member_id", MEMBER, "member_b", "member_a"),
    Case("POST /meetings/{id}/sign-ins member_id", "POST",
         lambda w: f"/meetings/{w['meeting_a']}/sign-ins",
         lambda w, v: {"member_id": v}, "member_id", MEMBER, "member_b", "member_a"),
    Case("POST /meetings/{id}/leave-requests member_id", "POST",
         lambda w: f"/meetings/{w['meeting_a']}/leave-requests",
         lambda w, v: {"reason": "出差", "member_id": v}, "member_id", MEMBER, "member_b",
         "member_a"),
    Case("POST /meetings/{id}/amendments member_id", "POST",
         lambda w: f"/meetings/{w['finalized_a']}/amendments",
         lambda w, v: {"field": "attendance", "reason": "补记",
                       "value": [{"member_id": v, "presence": "present"}]},
         "value", MEMBER, "member_b", "member_a"),
    Case("POST /grids org_id", "POST", lambda w: "/grids",
         lambda w, v: {"code": unique("G"), "name": "网格", "kind": "urban", "org_id": v},
         "org_id", ORG, "community_b", "community_a"),
    Case("POST /grids covering_org_id", "POST", lambda w: "/grids",
         lambda w, v: {"code": unique("G"), "name": "网格", "kind": "urban",
                       "org_id": w["community_a"], "covering_org_id": v},
         "covering_org_id", ORG, "cbranch_b", "cbranch_a"),
    Case("POST /grids leader_id", "POST", lambda w: "/grids",
         lambda w, v: {"code": unique("G"), "name": "网格", "kind": "urban",
                       "org_id": w["community_a"], "leader_id": v},
         "leader_id", MEMBER, "member_b", "member_a"),
    Case("PATCH /grids/{id} covering_org_id", "PATCH", lambda w: f"/grids/{w['grid_a']}",
         lambda w, v: {"covering_org_id": v}, "covering_org_id", ORG, "cbranch_b", "cbranch_a"),
    Case("PATCH /grids/{id} leader_id", "PATCH", lambda w: f"/grids/{w['grid_a']}",
         lambda w, v: {"leader_id": v}, "leader_id", MEMBER, "member_b", "member_a"),
    Case("PUT /grids/{id}/members member_ids", "PUT", lambda w: f"/grids/{w['grid_a']}/members",
         lambda w, v: {"member_ids": [v]}, "member_ids", MEMBER, "member_b", "member_a"),
    Case("PUT /grids/{id}/members member_id", "PUT", lambda w: f"/grids/{w['grid_a']}/members",
         lambda w, v: {"member_ids": [w["member_a"]],
                       "central_households": [{"member_id": v, "households": ["1栋101"]}]},
         "central_households", MEMBER, "member_b", "member_a"),
    Case("POST /mobile-episodes/{id}/inflow host_org_id", "POST",
         lambda w: f"/mobile-episodes/{w['episode_to_a']}/inflow",
         lambda w, v: {"host_org_id": v}, "host_org_id", ORG, "branch_b", "branch_a"),
    Case("POST /organisations/{id}/move new_parent_id", "POST",
         lambda w: f"/organisations/{w['group_a']}/move",
         lambda w, v: {"new_parent_id": v}, "new_parent_id", ORG, "branch_b", "branch_a"),
    Case("POST /transfers member_id", "POST", lambda w: "/transfers",
         lambda w, v: {"member_id": v, "to_org_id": w["cbranch_a"], "reason": "工作调动"},
         "member_id", MEMBER, "member_b", "member_a"),
    Case("POST /mobile-episodes member_id", "POST", lambda w: "/mobile-episodes",
         lambda w, v: {"member_id": v, "destination_area": "440305", "reason": "务工",
                       "expected_months": 6, "certificate_no": unique("C"),
                       "location_consent": False},
         "member_id", MEMBER, "member_b", "member_a"),
    Case("POST /dues/payments member_id", "POST", lambda w: "/dues/payments",
         lambda w, v: {"member_id": v, "months": ["2026-10"], "amount_fen": 0,
                       "paid_on": "2026-11-01"},
         "member_id", MEMBER, "member_b", "member_a"),
    Case("POST /point-schemes org_id", "POST", lambda w: "/point-schemes",
         lambda w, v: {"org_id": v, "year": 2031, "base": 100}, "org_id", ORG, "town_b", "town_a"),
    Case("POST /point-rules org_id", "POST", lambda w: "/point-rules",
         lambda w, v: _rule_body(w, v), "org_id", ORG, "town_b", "town_a"),
    Case("POST /point-rules parent_rule_id", "POST", lambda w: "/point-rules",
         lambda w, v: _rule_body(w, w["branch_a"], parent_rule_id=v),
         "parent_rule_id", RULE, "rule_b", "rule_a"),
    Case("POST /point-entries member_id", "POST", lambda w: "/point-entries",
         lambda w, v: {"member_id": v, "rule_id": w["rule_a"], "occurred_on": "2026-11-01",
                       "source_key": unique("s")},
         "member_id", MEMBER, "member_b", "member_a"),
    Case("POST /point-entries rule_id", "POST", lambda w: "/point-entries",
         lambda w, v: {"member_id": w["member_a"], "rule_id": v, "occurred_on": "2026-11-01",
                       "source_key": unique("s")},
         "rule_id", RULE, "rule_b", "rule_a"),
    Case("POST /organisations/{id}/points/review-grades member_id", "POST",
         lambda w: f"/organisations/{w['branch_a']}/points/review-grades",
         lambda w, v: {"year": 2026, "grades": [{"member_id": v, "grade": "qualified"}]},
         "grades", MEMBER, "member_b", "member_a"),
    Case("POST /webhooks org_id", "POST", lambda w: "/webhooks",
         lambda w, v: {"org_id": v, "url": "https://receiver.invalid/hook", "event_types": ["*"]},
         "org_id", ORG, "town_b", "town_a"),
]  # fmt: skip


async def _send(api, token: str, case: Case, w: dict[str, Any], value: str) -> tuple[int, Any]:
    r = await api.client.request(
        case.method, V + case.url(w), json=case.body(w, value), headers=api.auth(token)
    )
    return r.status_code, r.json() if r.content else None


async def test_every_id_field_of_every_write_answers_another_subtree_and_a_random_id_alike(
    api, county
):
    w = await _world(api, county)
    wrong: list[str] = []
    for case in CASES:
        answers = []
        for value in (w[case.other], str(uuid.uuid4())):
            status, body = await _send(api, county.admin_a, case, w, value)
            fields = [e["field"] for e in (body or {}).get("errors") or []]
            answers.append((status, (body or {}).get("code"), fields))
        expected = (404, case.code, [case.field])
        if answers != [expected, expected]:
            wrong.append(f"{case.name}: other subtree {answers[0]}, random {answers[1]}")
    assert wrong == [], "\n".join(wrong)


async def test_an_id_of_your_own_subtree_passes_the_same_check(api, county):
    """The control: the table's requests are refused for the id, not for the request."""
    w = await _world(api, county)
    wrong: list[str] = []
    for case in CASES:
        status, body = await _send(api, county.admin_a, case, w, w[case.mine])
        fields = [e["field"] for e in (body or {}).get("errors") or []]
        if status == 404 or case.field in fields:
            wrong.append(f"{case.name}: {status} {body}")
    assert wrong == [], "\n".join(wrong)


async def test_an_amendment_value_has_the_type_of_the_field_it_corrects(api, county):
    w = await _world(api, county)
    url = f"{V}/meetings/{w['finalized_a']}/amendments"
    a = api.auth(county.admin_a)
    for body in (
        {"field": "attendance", "value": 3, "reason": "更正"},
        {"field": "attendance", "value": "全部出席", "reason": "更正"},
        {"field": "attendance", "value": [{"member_id": w["member_a"]}], "reason": "更正"},
        {"field": "topic", "value": ["不是文本"], "reason": "更正"},
        {"field": "minutes", "value": {"text": "x"}, "reason": "更正"},
        {"field": "state", "value": "planned", "reason": "更正"},
    ):
        r = await api.client.post(url, json=body, headers=a)
        assert r.status_code == 422, (body, r.text)
        assert r.json()["code"] == "request.validation_failed"
    entry = {"member_id": w["member_a"], "presence": "excused", "reason": "出差"}
    r = await api.client.post(
        url, json={"field": "attendance", "value": [entry], "reason": "补记请假"}, headers=a
    )
    assert r.status_code == 201, r.text
    assert r.json()["value"] == [entry]
    meeting = (await api.client.get(f"{V}/meetings/{w['finalized_a']}", headers=a)).json()
    assert meeting["amended"]["attendance"] == [entry]


async def test_corrected_attendance_names_only_members_of_the_meeting_or_its_organisation(
    api, county
):
    w = await _world(api, county)
    elsewhere = await api.member(county.county_admin, w["cbranch_a"])  # town A, another branch
    r = await api.client.post(
        f"{V}/meetings/{w['finalized_a']}/amendments",
        json={
            "field": "attendance",
            "value": [{"member_id": elsewhere["id"], "presence": "present"}],
            "reason": "补记",
        },
        headers=api.auth(county.admin_a),
    )
    assert r.status_code == 422, r.text
    assert r.json()["code"] == "meeting.member_not_in_org"
    assert [e["field"] for e in r.json()["errors"]] == ["value"]


async def test_a_transition_stores_no_meeting_of_another_subtree(api, county):
    w = await _world(api, county)
    url = f"{V}/members/{w['member_a2']}/transitions"
    body = {"to_status": "left", "effective_date": "2026-11-20", "meeting_id": w["meeting_b"]}
    r = await api.client.post(url, json=body, headers=api.auth(county.admin_a))
    assert r.status_code == 404, r.text
    timeline = await api.client.get(
        f"{V}/members/{w['member_a2']}/timeline", headers=api.auth(county.admin_a)
    )
    assert all(e["kind"] != "left" for e in timeline.json()["events"])
    member = await api.client.get(f"{V}/members/{w['member_a2']}", headers=api.auth(county.admin_a))
    assert member.json()["status"] == "full"


# References the domain lets cross subtrees: any branch receives a transfer, any branch may
# be a mobile member's intended host, a member lives and reports in any community.
CROSS_TREE = [
    Case("POST /transfers to_org_id", "POST", lambda w: "/transfers",
         lambda w, v: {"member_id": w["member_a"], "to_org_id": v, "reason": "工作调动"},
         "to_org_id", ORG, "branch_b", "cbranch_a"),
    Case("POST /mobile-episodes host_org_id", "POST", lambda w: "/mobile-episodes",
         lambda w, v: {"member_id": w["member_a"], "destination_area": "440305", "reason": "务工",
                       "expected_months": 6, "certificate_no": unique("C"),
                       "location_consent": False, "host_org_id": v},
         "host_org_id", ORG, "branch_b", "cbranch_a"),
    Case("POST /members residence_community_id", "POST", lambda w: "/members",
         lambda w, v: _member_body(w, residence_community_id=v),
         "residence_community_id", ORG, "community_b", "community_a"),
    Case("PATCH /members/{id} residence_community_id", "PATCH",
         lambda w: f"/members/{w['member_a']}",
         lambda w, v: {"residence_community_id": v},
         "residence_community_id", ORG, "community_b", "community_a"),
    Case("POST /members/{id}/community-report community_org_id", "POST",
         lambda w: f"/members/{w['member_a2']}/community-report",
         lambda w, v: {"community_org_id": v},
         "community_org_id", ORG, "community_b", "community_a"),
]  # fmt: skip


@pytest.mark.parametrize("case", CROSS_TREE, ids=lambda c: c.name)
async def test_a_cross_tree_reference_takes_any_subtree_and_a_random_id_is_404_naming_it(
    api, county, case
):
    w = await _world(api, county)
    status, body = await _send(api, county.admin_a, case, w, str(uuid.uuid4()))
    assert (status, body["code"], [e["field"] for e in body["errors"]]) == (
        404,
        case.code,
        [case.field],
    )
    status, body = await _send(api, county.admin_a, case, w, w[case.other])
    assert status in (200, 201), body


def _uuid_fields(schema: dict[str, Any], schemas: dict[str, Any], name: str | None = None):
    """The names of every uuid-valued property in a request body schema, nested included."""
    while "$ref" in schema:
        schema = schemas[schema["$ref"].rsplit("/", 1)[-1]]
    if schema.get("format") == "uuid" and name:
        yield name
    for key in ("anyOf", "oneOf", "allOf"):
        for part in schema.get(key, []):
            yield from _uuid_fields(part, schemas, name)
    if "items" in schema:
        yield from _uuid_fields(schema["items"], schemas, name)
    for prop, sub in schema.get("properties", {}).items():
        yield from _uuid_fields(sub, schemas, prop)
    for ref in schema.get("discriminator", {}).get("mapping", {}).values():
        yield from _uuid_fields({"$ref": ref}, schemas, name)


def test_the_tables_cover_every_id_field_of_every_write_body_in_the_openapi(app):
    """A new write body with an id field fails here until a case above tries it."""
    document = app.openapi()
    schemas = document["components"]["schemas"]
    in_bodies = set()
    for path, operations in document["paths"].items():
        for method, operation in operations.items():
            content = operation.get("requestBody", {}).get("content", {})
            for media in content.values():
                for field in _uuid_fields(media["schema"], schemas):
                    url = re.sub(r"\{[^}]+\}", "{id}", path.removeprefix(V))
                    in_bodies.add(f"{method.upper()} {url} {field}")
    tried = {case.name for case in CASES + CROSS_TREE}
    assert in_bodies - tried == set(), "id fields no case tries"
    assert tried - in_bodies == set(), "cases naming fields the API does not have"


# Which kind of record each uuid query parameter names: another subtree's one is tried.
QUERY_ID_KINDS = {
    "within": "org",
    "org_id": "org",
    "parent_id": "org",
    "group_id": "org",
    "member_id": "member",
}


async def test_every_id_in_a_query_answers_another_subtree_and_a_random_id_alike(api, county, app):
    """`?org_id=`, `?member_id=`, `?within=`, ... on every GET: 404 naming the parameter
    for an id of another subtree and for a random one, never an empty 200."""
    other_county = await api.county()
    other = {
        "org": other_county.branch_a["id"],
        "member": (await api.member(other_county.county_admin, other_county.branch_a["id"]))["id"],
    }
    document = app.openapi()
    tried = []
    for path, operations in document["paths"].items():
        get = operations.get("get")
        if get is None or "{" in path:
            continue
        params = get.get("parameters", [])
        values = {"kind": "members", "month": "2026-11", "year": "2026"}
        required = {
            p["name"]: values.get(p["name"], county.branch_a["id"])
            for p in params
            if p.get("required") and p["in"] == "query"
        }
        for p in params:
            schema = p.get("schema", {})
            formats = {schema.get("format")} | {s.get("format") for s in schema.get("anyOf", [])}
            if p["in"] != "query" or "uuid" not in formats:
                continue
            kind = QUERY_ID_KINDS[p["name"]]  # a new id parameter needs a kind here
            for value in (other[kind], str(uuid.uuid4())):
                r = await api.client.get(
                    path,
                    params={**required, p["name"]: value},
                    headers=api.auth(county.admin_a),
                )
                body = r.json()
                assert r.status_code == 404, (path, p["name"], r.text)
                assert [e["field"] for e in body["errors"]] == [p["name"]], (path, body)
            tried.append((path, p["name"]))
    assert len(tried) >= 8, tried
