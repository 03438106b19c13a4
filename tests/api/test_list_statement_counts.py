"""No N+1 on any list: every GET route that answers a list (a page with `items` or a JSON
array, enumerated from the app's OpenAPI) sends as many SQL statements for five rows
as for one.

Each list has a `Lister` below: `setup` builds what the list hangs on (in the test's
own county) and `add` adds one row to it. The test reads the list after one `add` and
again after four more, checks the list did grow by four (a seeder that adds nothing
would prove nothing) and compares the statement counts. A new list route without a
`Lister` fails `test_every_list_route_has_a_lister`.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

import pytest
from support import Api, County, counting, unique

from app import clock

V = "/api/v1"


@dataclass
class Ctx:
    api: Api
    county: County
    url: str = ""
    token: str = ""
    params: dict[str, Any] = field(default_factory=dict)
    data: dict[str, Any] = field(default_factory=dict)


async def _ok(api: Api, method: str, url: str, token: str, body: Any = None) -> Any:
    r = await api.client.request(method, V + url, json=body, headers=api.auth(token))
    assert r.status_code in (200, 201), r.text
    return r.json()


async def _member(c: Ctx, org_id: str | None = None, **fields: Any) -> dict[str, Any]:
    return await c.api.member(c.county.county_admin, org_id or c.county.branch_a["id"], **fields)


async def _meeting(c: Ctx, org_id: str) -> dict[str, Any]:
    body = {"org_id": org_id, "type": "general_meeting", "held_on": "2026-11-01", "topic": "学习"}
    result: dict[str, Any] = await _ok(c.api, "POST", "/meetings", c.county.admin_a, body)
    return result


async def _rule(c: Ctx, org_id: str, **fields: Any) -> dict[str, Any]:
    body = {"org_id": org_id, "code": unique("R"), "name": "学习", "category": "bonus"}
    result: dict[str, Any] = await _ok(
        c.api, "POST", "/point-rules", c.county.county_admin, {"points": 2, **body, **fields}
    )
    return result


async def _community(c: Ctx) -> tuple[dict[str, Any], dict[str, Any]]:
    ca = c.county.county_admin
    community = await c.api.org(ca, c.county.town_a["id"], "committee", unit_category=7)
    branch = await c.api.org(ca, community["id"], "branch", unit_category=7)
    return community, branch


Step = Callable[[Ctx], Awaitable[None]]


async def _nothing(c: Ctx) -> None:
    return None


@dataclass(frozen=True)
class Lister:
    setup: Step
    add: Step
    # Undoes what would outlive the test (webhooks the worker would go on delivering to).
    teardown: Step = _nothing


# --- setups and adds, one pair per list route -------------------------------------------


async def _audit_setup(c: Ctx) -> None:
    c.token, c.params = c.county.admin_a, {"within": c.county.town_a["id"], "resource": "member"}


async def _add_member(c: Ctx) -> None:
    await _member(c)


async def _changes_setup(c: Ctx) -> None:
    c.token, c.params = c.county.admin_a, {"limit": 200}


async def _services_setup(c: Ctx) -> None:
    community, _ = await _community(c)
    await _rule(c, c.county.county["id"], trigger="service.hours", cap_year=40, points=1)
    member = await _member(c, category="employed")
    report = await _ok(
        c.api,
        "POST",
        f"/members/{member['id']}/community-report",
        c.county.admin_a,
        {"community_org_id": community["id"]},
    )
    _, c.data["member_token"] = await c.api.user(
        c.county.admin_a, "member", c.county.branch_a["id"], member["id"]
    )
    c.url, c.token = f"/community-reports/{report['id']}/services", c.county.admin_a


async def _add_service(c: Ctx) -> None:
    day = clock.today().isoformat()
    body = {"occurred_on": day, "hours": "1.5", "description": "社区清洁"}
    await _ok(c.api, "POST", c.url, c.data["member_token"], body)


async def _grids_setup(c: Ctx) -> None:
    c.data["community"], _ = await _community(c)
    c.token, c.params = c.county.admin_a, {"within": c.county.town_a["id"]}


async def _add_grid(c: Ctx) -> None:
    body = {"code": unique("G"), "name": "网格", "kind": "urban"}
    await _ok(c.api, "POST", "/grids", c.token, {**body, "org_id": c.data["community"]["id"]})


async def _meetings_setup(c: Ctx) -> None:
    await _member(c)
    c.token, c.params = c.county.admin_a, {"within": c.county.town_a["id"]}


async def _add_meeting(c: Ctx) -> None:
    await _meeting(c, c.county.branch_a["id"])


async def _leave_requests_setup(c: Ctx) -> None:
    branch = await c.api.org(c.county.admin_a, c.county.town_a["id"], "branch")
    c.data["members"] = [await _member(c, branch["id"]) for _ in range(5)]
    body = {"org_id": branch["id"], "type": "general_meeting", "held_on": "2030-01-01"}
    meeting = await _ok(c.api, "POST", "/meetings", c.county.admin_a, {**body, "topic": "学习"})
    c.url, c.token = f"/meetings/{meeting['id']}/leave-requests", c.county.admin_a


async def _add_leave_request(c: Ctx) -> None:
    member = c.data["members"].pop()
    await _ok(c.api, "POST", c.url, c.token, {"reason": "出差", "member_id": member["id"]})


async def _sign_ins_setup(c: Ctx) -> None:
    await _leave_requests_setup(c)
    meeting_url = c.url.removesuffix("/leave-requests")
    await _ok(c.api, "POST", f"{meeting_url}/sign-in/open", c.token, {})
    c.url = f"{meeting_url}/sign-ins"


async def _add_sign_in(c: Ctx) -> None:
    member = c.data["members"].pop()
    await _ok(c.api, "POST", c.url, c.token, {"member_id": member["id"]})


async def _members_setup(c: Ctx) -> None:
    c.token, c.params = c.county.admin_a, {"within": c.county.town_a["id"]}


async def _member_meetings_setup(c: Ctx) -> None:
    member = await _member(c)
    c.url, c.token = f"/members/{member['id']}/meetings", c.county.admin_a


async def _mobile_setup(c: Ctx) -> None:
    c.token, c.params = c.county.admin_a, {"within": c.county.town_a["id"]}


async def _add_episode(c: Ctx) -> None:
    member = await _member(c)
    body = {
        "member_id": member["id"],
        "destination_area": "440305",
        "reason": "务工",
        "expected_months": 6,
        "certificate_no": unique("C"),
        "location_consent": False,
        "host_org_id": c.county.branch_b["id"],
    }
    await _ok(c.api, "POST", "/mobile-episodes", c.county.admin_a, body)


async def _organisations_setup(c: Ctx) -> None:
    c.token, c.params = c.county.admin_a, {"within": c.county.town_a["id"]}


async def _add_group(c: Ctx) -> None:
    await c.api.org(c.county.county_admin, c.county.branch_a["id"], "group")


async def _arrears_setup(c: Ctx) -> None:
    c.url, c.token = f"/organisations/{c.county.branch_a['id']}/dues/arrears", c.county.admin_a
    c.params = {"months": 7}


async def _add_farmer(c: Ctx) -> None:
    await _member(c, category="farmer")


async def _reporting_setup(c: Ctx) -> None:
    c.url = f"/organisations/{c.county.branch_a['id']}/community-reporting/members"
    c.token = c.county.admin_a


async def _add_employed(c: Ctx) -> None:
    await _member(c, category="employed")


async def _leaders_setup(c: Ctx) -> None:
    c.url, c.token = f"/organisations/{c.county.branch_a['id']}/leaders", c.county.admin_a


async def _add_leader(c: Ctx) -> None:
    member = await _member(c)
    body = {"member_id": member["id"], "role": "committee_member", "started_on": "2026-01-01"}
    await _ok(c.api, "POST", c.url, c.token, body)


async def _member_records_setup(c: Ctx) -> None:
    member = await _member(c, joined_on="2015-01-01", status="full")
    c.data["member"] = member
    c.token = c.county.admin_a


async def _disciplines_setup(c: Ctx) -> None:
    await _member_records_setup(c)
    c.url = f"/members/{c.data['member']['id']}/disciplines"


async def _add_discipline(c: Ctx) -> None:
    body = {
        "kind": "warning",
        "org_id": c.county.branch_a["id"],
        "decided_on": "2026-01-01",
        "document_number": unique("纪"),
    }
    await _ok(c.api, "POST", c.url, c.token, body)


async def _notices_setup(c: Ctx) -> None:
    await _member_records_setup(c)
    c.url = f"/members/{c.data['member']['id']}/notices"


async def _add_notice(c: Ctx) -> None:
    body = {"kind": "admission", "starts_on": "2026-09-28", "working_days": 5}
    await _ok(c.api, "POST", c.url, c.token, body)


async def _steps_setup(c: Ctx) -> None:
    await _member_records_setup(c)
    c.url = f"/members/{c.data['member']['id']}/development-steps"


async def _add_step(c: Ctx) -> None:
    await _ok(c.api, "POST", c.url, c.token, {"step": "activist_review", "done_on": "2026-01-01"})


async def _member_attachments_setup(c: Ctx) -> None:
    await _member_records_setup(c)
    c.url = f"/members/{c.data['member']['id']}/attachments"


async def _step_attachments_setup(c: Ctx) -> None:
    member = await _member(c, status="applicant", applied_on="2026-10-01")
    c.token = c.county.admin_a
    url = f"/members/{member['id']}/development-steps"
    step = await _ok(c.api, "POST", url, c.token, {"step": "talk", "done_on": "2026-10-20"})
    c.url = f"/development-steps/{step['id']}/attachments"


async def _meeting_attachments_setup(c: Ctx) -> None:
    c.token = c.county.admin_a
    c.url = f"/meetings/{(await _meeting(c, c.county.branch_a['id']))['id']}/attachments"


async def _add_attachment(c: Ctx) -> None:
    png = b"\x89PNG\r\n\x1a\n" + bytes(range(256))
    r = await c.api.client.post(
        V + c.url, files={"file": ("p.png", png, "image/png")}, headers=c.api.auth(c.token)
    )
    assert r.status_code == 201, r.text


async def _calendar_setup(c: Ctx) -> None:
    # Year 2097: no other test reads it; each added day is the next day of January.
    c.url, c.token, c.params = "/calendar-days", c.api.admin_token, {"year": 2097}
    c.data["next_day"] = 1


async def _add_calendar_day(c: Ctx) -> None:
    day = f"2097-01-{c.data['next_day']:02d}"
    c.data["next_day"] += 1
    await _ok(c.api, "PUT", f"/calendar-days/{day}", c.token, {"kind": "holiday", "name": "测"})


async def _rewards_setup(c: Ctx) -> None:
    await _member_records_setup(c)
    c.url = f"/members/{c.data['member']['id']}/rewards"


async def _add_reward(c: Ctx) -> None:
    body = {
        "title": "优秀共产党员",
        "level": "county",
        "org_id": c.county.branch_a["id"],
        "awarded_on": "2026-07-01",
        "document_number": unique("表"),
    }
    await _ok(c.api, "POST", c.url, c.token, body)


async def _member_changes_setup(c: Ctx) -> None:
    c.url = f"/organisations/{c.county.branch_a['id']}/member-changes"
    c.token, c.params = c.county.admin_a, {"from": "2026-01-01"}


async def _add_recorded_member(c: Ctx) -> None:
    await _member(c, joined_on="2026-02-01")


async def _check_records_setup(c: Ctx) -> None:
    # Members recorded without an education fail the rule; the list pages all of them.
    rule = "statistics.education_missing"
    c.url = f"/organisations/{c.county.branch_a['id']}/statistics/checks/{rule}/records"
    c.token, c.params = c.county.admin_a, {"include_total": "true"}


async def _ranking_setup(c: Ctx) -> None:
    c.url = f"/organisations/{c.county.branch_a['id']}/points/ranking"
    c.token, c.params = c.county.admin_a, {"year": 2026}


async def _entries_setup(c: Ctx) -> None:
    c.data["rule"] = await _rule(c, c.county.town_a["id"])
    c.token, c.params = c.county.admin_a, {"within": c.county.town_a["id"]}


async def _add_entry(c: Ctx) -> None:
    member = await _member(c)
    body = {
        "member_id": member["id"],
        "rule_id": c.data["rule"]["id"],
        "occurred_on": "2026-11-01",
        "source_key": unique("s"),
    }
    await _ok(c.api, "POST", "/point-entries", c.token, body)


async def _rules_setup(c: Ctx) -> None:
    c.token, c.params = c.county.admin_a, {"org_id": c.county.town_a["id"]}


async def _add_rule(c: Ctx) -> None:
    await _rule(c, c.county.town_a["id"])


async def _transfers_setup(c: Ctx) -> None:
    c.token, c.params = c.county.admin_a, {"within": c.county.town_a["id"]}


async def _add_transfer(c: Ctx) -> None:
    member = await _member(c)
    body = {"member_id": member["id"], "to_org_id": c.county.branch_b["id"], "reason": "工作调动"}
    await _ok(c.api, "POST", "/transfers", c.county.admin_a, body)


async def _todos_setup(c: Ctx) -> None:
    c.token, c.params = c.county.admin_a, {"kind": ["member_flagged", "transfer_to_accept"]}


async def _add_todo(c: Ctx) -> None:
    # An applicant whose talk (谈话) is long overdue: one member flag, one to-do.
    await _member(c, status="applicant", applied_on="2020-01-01")


async def _change_requests_setup(c: Ctx) -> None:
    member = await _member(c)
    _, c.data["member_token"] = await c.api.user(
        c.county.admin_a, "member", c.county.branch_a["id"], member_id=member["id"]
    )
    c.token = c.county.admin_a if c.url.startswith("/member-") else c.data["member_token"]


async def _add_change_request(c: Ctx) -> None:
    body = {"residence": unique("住址")}
    await _ok(c.api, "POST", "/me/change-requests", c.data["member_token"], body)


async def _notifications_setup(c: Ctx) -> None:
    c.token = c.county.admin_a
    c.data["user_id"] = (await _ok(c.api, "GET", "/auth/me", c.county.admin_a))["id"]


async def _add_notification(c: Ctx) -> None:
    import uuid

    from app.config import get_settings
    from app.db import get_sessionmaker
    from app.services import notifications

    message = notifications.Message(kind="meeting_due", title=unique("提醒"), body="正文")
    async with get_sessionmaker()() as session, session.begin():
        user_id = uuid.UUID(c.data["user_id"])
        await notifications.notify(session, get_settings(), user_id, message)


async def _users_setup(c: Ctx) -> None:
    c.token = c.county.admin_a


async def _add_user(c: Ctx) -> None:
    await c.api.user(c.county.admin_a, "org_admin", c.county.branch_a["id"])


async def _webhooks_setup(c: Ctx) -> None:
    c.token = c.county.admin_a


async def _add_webhook(c: Ctx) -> None:
    body = {
        "org_id": c.county.town_a["id"],
        "url": "https://receiver.invalid/hook",
        "event_types": ["member.created"],
    }
    c.data["hook"] = await _ok(c.api, "POST", "/webhooks", c.county.admin_a, body)
    c.data.setdefault("hooks", []).append(c.data["hook"]["id"])


async def _delete_webhooks(c: Ctx) -> None:
    """Unsubscribing drops the pending deliveries: other tests' worker runs skip them."""
    for hook_id in c.data.get("hooks", []):
        r = await c.api.client.delete(
            f"{V}/webhooks/{hook_id}", headers=c.api.auth(c.county.admin_a)
        )
        assert r.status_code == 204, r.text


async def _deliveries_setup(c: Ctx) -> None:
    await _add_webhook(c)
    c.url, c.token = f"/webhooks/{c.data['hook']['id']}/deliveries", c.county.admin_a


async def _add_delivery(c: Ctx) -> None:
    from app.db import get_sessionmaker
    from app.services.integration import webhooks

    await _member(c)
    # Fan out the whole backlog: the worker's database holds the events of every earlier
    # test, and one pass takes at most a batch of them (500), oldest first, often with
    # no delivery among them.
    while True:
        async with get_sessionmaker()() as session, session.begin():
            if await webhooks.fan_out(session) == 0:
                break


LISTERS: dict[str, Lister] = {
    "/api/v1/audit-events": Lister(_audit_setup, _add_member),
    "/api/v1/changes": Lister(_changes_setup, _add_member),
    "/api/v1/community-reports/{report_id}/services": Lister(_services_setup, _add_service),
    "/api/v1/grids": Lister(_grids_setup, _add_grid),
    "/api/v1/meetings": Lister(_meetings_setup, _add_meeting),
    "/api/v1/me/change-requests": Lister(_change_requests_setup, _add_change_request),
    "/api/v1/me/notifications": Lister(_notifications_setup, _add_notification),
    "/api/v1/member-change-requests": Lister(_change_requests_setup, _add_change_request),
    "/api/v1/meetings/{meeting_id}/leave-requests": Lister(
        _leave_requests_setup, _add_leave_request
    ),
    "/api/v1/meetings/{meeting_id}/sign-ins": Lister(_sign_ins_setup, _add_sign_in),
    "/api/v1/members": Lister(_members_setup, _add_member),
    "/api/v1/members/{member_id}/disciplines": Lister(_disciplines_setup, _add_discipline),
    "/api/v1/members/{member_id}/meetings": Lister(_member_meetings_setup, _add_meeting),
    "/api/v1/members/{member_id}/rewards": Lister(_rewards_setup, _add_reward),
    "/api/v1/members/{member_id}/notices": Lister(_notices_setup, _add_notice),
    "/api/v1/members/{member_id}/development-steps": Lister(_steps_setup, _add_step),
    "/api/v1/members/{owner_id}/attachments": Lister(_member_attachments_setup, _add_attachment),
    "/api/v1/development-steps/{owner_id}/attachments": Lister(
        _step_attachments_setup, _add_attachment
    ),
    "/api/v1/meetings/{owner_id}/attachments": Lister(_meeting_attachments_setup, _add_attachment),
    "/api/v1/calendar-days": Lister(_calendar_setup, _add_calendar_day),
    "/api/v1/mobile-episodes": Lister(_mobile_setup, _add_episode),
    "/api/v1/organisations": Lister(_organisations_setup, _add_group),
    "/api/v1/organisations/{org_id}/dues/arrears": Lister(_arrears_setup, _add_farmer),
    "/api/v1/organisations/{org_id}/community-reporting/members": Lister(
        _reporting_setup, _add_employed
    ),
    "/api/v1/organisations/{org_id}/leaders": Lister(_leaders_setup, _add_leader),
    "/api/v1/organisations/{org_id}/member-changes": Lister(
        _member_changes_setup, _add_recorded_member
    ),
    "/api/v1/organisations/{org_id}/points/ranking": Lister(_ranking_setup, _add_member),
    "/api/v1/organisations/{org_id}/statistics/checks/{check}/records": Lister(
        _check_records_setup, _add_member
    ),
    "/api/v1/point-entries": Lister(_entries_setup, _add_entry),
    "/api/v1/point-rules": Lister(_rules_setup, _add_rule),
    "/api/v1/todos": Lister(_todos_setup, _add_todo),
    "/api/v1/transfers": Lister(_transfers_setup, _add_transfer),
    "/api/v1/users": Lister(_users_setup, _add_user),
    "/api/v1/webhooks": Lister(_webhooks_setup, _add_webhook, _delete_webhooks),
    "/api/v1/webhooks/{webhook_id}/deliveries": Lister(
        _deliveries_setup, _add_delivery, _delete_webhooks
    ),
}


# Lists known to send more statements as they grow (N+1), each with what it costs.
# The router builds each row's view with its own queries (`service.view` per item): with
# the page's 3 statements, 4 more per row (7 for 1 row, 23 for 5). Fixing them means a
# batched view per page in services/mobile.py and services/transfers.py.
def _list_routes(app: Any) -> set[str]:
    """GET routes whose 200 answer is a JSON array or a page object with `items`."""
    spec = app.openapi()
    schemas = spec["components"]["schemas"]
    found = set()
    for path, operations in spec["paths"].items():
        get = operations.get("get")
        if get is None:
            continue
        content = get["responses"].get("200", {}).get("content", {})
        schema = content.get("application/json", {}).get("schema")
        if schema is None:
            continue
        if "$ref" in schema:
            schema = schemas[schema["$ref"].rsplit("/", 1)[-1]]
        if schema.get("type") == "array" or "items" in schema.get("properties", {}):
            found.add(path)
    return found


def test_every_list_route_has_a_lister(app):
    routes = _list_routes(app)
    assert len(routes) >= 18
    assert routes == set(LISTERS), (routes - set(LISTERS), set(LISTERS) - routes)


def _rows(body: Any) -> list[Any]:
    rows = body if isinstance(body, list) else body["items"]
    assert isinstance(rows, list)
    return rows


async def _read(c: Ctx) -> tuple[int, int]:
    with counting() as statements:
        r = await c.api.client.get(V + c.url, params=c.params, headers=c.api.auth(c.token))
    assert r.status_code == 200, r.text
    return len(statements), len(_rows(r.json()))


@pytest.mark.parametrize("route", sorted(LISTERS))
async def test_a_list_costs_the_same_statements_for_one_row_or_five(api, county, route):
    lister = LISTERS[route]
    c = Ctx(api, county, url=route.removeprefix(V))
    try:
        await lister.setup(c)
        assert "{" not in c.url, f"the setup of {route} must fill in the path"
        await lister.add(c)
        await _read(c)  # the caller's login known, statements prepared: counted as it runs hot
        one, rows_one = await _read(c)
        for _ in range(4):
            await lister.add(c)
        five, rows_five = await _read(c)
    finally:
        await lister.teardown(c)
    assert rows_five - rows_one >= 4, f"{route}: the list grew {rows_one} -> {rows_five}"
    assert five == one, f"{route}: {one} statements for {rows_one} rows, {five} for {rows_five}"
