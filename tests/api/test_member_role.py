"""The member role (API.md): its own record and what belongs to it, never another
member's, in any list, export, report or the change feed."""

from __future__ import annotations

import uuid
from datetime import date

import pytest
from fastapi.routing import APIRoute
from support import unique

TODAY = date(2026, 11, 24)
# Values for required query parameters, by name.
# What a member user may read (each reviewed against the rule): its own records, rows
# filtered to its own, and the organisation facts every member may know. Reports about
# other members by nature (stats, health, compliance, coverage, arrears) answer 403.
MEMBER_SURFACE = {
    "auth_me",
    "change_requests_get",
    "change_requests_list",
    "changes_list",
    "exports_get",
    "imports_template",
    "meetings_get",
    "meetings_leave_requests",
    "meetings_sign_ins",
    "meetings_list",
    "me_change_requests_list",
    "me_dues",
    "me_get",
    "me_meetings",
    "me_mobile_episode",
    "me_notification_address_get",
    "me_notifications_list",
    "me_notifications_unread",
    "me_organisation",
    "me_points",
    "me_timeline",
    "members_get",
    "members_list",
    "members_disciplines_list",
    "members_meetings",
    "members_rewards_list",
    "members_notices_list",
    "members_development_steps_list",
    "development_steps_catalogue",
    "members_attachments_list",
    "meetings_attachments_list",
    "development_steps_attachments_list",
    "calendar_days_list",
    "members_timeline",
    "members_development_record_xlsx",
    "mobile_list",
    "organisations_get",
    "organisations_leaders_list",
    "organisations_list",
    "organisations_tree",
    "points_balance",
    "points_entries_get",
    "points_entries_list",
    "points_ranking",
    "points_rules_get",
    "points_rules_list",
    "policies_get",
    "todos_counts",
    "todos_list",
}
QUERY = {
    "kind": "members",
    "month": "2026-11",
    "year": "2026",
    "format": "csv",
    "check": "statistics.education_missing",
}


pytestmark = pytest.mark.usefixtures("frozen_today")  # every test on `TODAY`


async def _branch_with_two_members(api, county):
    """A branch with me (bound to a member user) and another member with data of every
    kind the member role could see of its own: a meeting, points, dues."""
    admin = county.admin_a
    branch = county.branch_a["id"]
    me = await api.member(admin, branch, name="我自己", joined_on="2010-07-01")
    other_name = unique("他人")
    other = await api.member(admin, branch, name=other_name, joined_on="2010-07-01")
    _, member_token = await api.user(admin, "member", branch, member_id=me["id"])
    r = await api.client.post(
        "/api/v1/meetings",
        json={
            "org_id": branch,
            "type": "general_meeting",
            "held_on": "2026-11-10",
            "topic": "学习",
        },
        headers=api.auth(admin),
    )
    assert r.status_code == 201, r.text
    meeting = r.json()
    r = await api.client.put(
        f"/api/v1/meetings/{meeting['id']}/attendance",
        json=[
            {"member_id": me["id"], "presence": "present"},
            {"member_id": other["id"], "presence": "present"},
        ],
        headers=api.auth(admin),
    )
    assert r.status_code == 200, r.text
    r = await api.client.post(
        f"/api/v1/meetings/{meeting['id']}/votes",
        json={
            "kind": "decision",
            "subject": "表决",
            "ayes": 2,
            "nays": 0,
            "member_id": other["id"],
        },
        headers=api.auth(admin),
    )
    assert r.status_code == 201, r.text
    r = await api.client.post(
        f"/api/v1/organisations/{branch}/leaders",
        json={"member_id": other["id"], "role": "committee_member", "started_on": "2026-01-01"},
        headers=api.auth(admin),
    )
    assert r.status_code == 201, r.text
    r = await api.client.post(f"/api/v1/meetings/{meeting['id']}/finalize", headers=api.auth(admin))
    assert r.status_code == 200, r.text
    r = await api.client.post(
        "/api/v1/point-rules",
        json={
            "org_id": branch,
            "code": unique("R"),
            "name": "志愿服务",
            "category": "bonus",
            "points": 2,
        },
        headers=api.auth(admin),
    )
    assert r.status_code == 201, r.text
    rule = r.json()
    entries = {}
    for who in (me, other):
        r = await api.client.post(
            "/api/v1/point-entries",
            json={
                "member_id": who["id"],
                "rule_id": rule["id"],
                "occurred_on": "2026-11-01",
                "source_key": unique("k"),
            },
            headers=api.auth(admin),
        )
        assert r.status_code == 201, r.text
        entries[who["id"]] = r.json()
    ids = {
        "member_id": me["id"],
        "org_id": branch,
        "meeting_id": meeting["id"],
        "entry_id": entries[me["id"]]["id"],
        "rule_id": rule["id"],
    }
    return member_token, other, other_name, ids


def _get_routes(app):
    return [
        r
        for r in app.routes
        if isinstance(r, APIRoute) and "GET" in r.methods and r.path.startswith("/api/v1/")
    ]


async def test_a_member_user_sees_nothing_of_another_member_in_any_list_export_or_feed(
    api, county, app
):
    token, other, other_name, ids = await _branch_with_two_members(api, county)
    checked = []
    leaks = []
    for route in _get_routes(app):
        path = route.path
        for name in route.param_convertors:
            value = ids.get(name) or QUERY.get(name) or str(uuid.uuid4())
            path = path.replace("{" + name + "}", value)
        required = {
            q.name: ids.get(q.name) or QUERY[q.name]
            for q in route.dependant.query_params
            if q.field_info.is_required()
        }
        variants = [required]
        if route.name == "exports_get":
            variants = [{"kind": "members"}, {"kind": "organisations"}]
        for params in variants:
            r = await api.client.get(path, params=params, headers=api.auth(token))
            assert r.status_code < 500, (path, r.text)
            assert r.status_code != 422 or "within" in r.text, (path, params, r.text)
            if r.status_code == 200:
                checked.append(route.name)
                # My organisation's current leaders are public to its members (公示) by
                # seat and name; never their member record (its id).
                name_public = route.name == "me_organisation"
                if other["id"] in r.text or (other_name in r.text and not name_public):
                    leaks.append((route.name, params))
    assert leaks == [], leaks
    # Every route a member user reads is one reviewed for the rule; a new GET route
    # (an aggregate report, say) fails here until it is classified, or it answers 403/404.
    assert set(checked) <= MEMBER_SURFACE, " ".join(sorted(set(checked) - MEMBER_SURFACE))
    # The member's own surface answered: the test did read real bodies.
    assert {"members_list", "members_get", "points_balance", "exports_get", "changes_list"} <= set(
        checked
    )
    assert {"me_get", "me_organisation", "me_meetings", "me_points", "me_timeline"} <= set(checked)


async def test_a_member_users_export_and_change_feed_carry_only_its_own_record(api, county):
    token, other, _, ids = await _branch_with_two_members(api, county)
    r = await api.client.get("/api/v1/exports", params={"kind": "members"}, headers=api.auth(token))
    assert r.status_code == 200
    assert ids["member_id"] in r.text and other["id"] not in r.text
    r = await api.client.get("/api/v1/changes", params={"limit": 1000}, headers=api.auth(token))
    assert r.status_code == 200
    items = r.json()["items"]
    assert items and {c["resource_id"] for c in items} <= {ids["member_id"]}
