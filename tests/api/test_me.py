"""The member's own surface (`/me`): each route answers the caller's own record and what
belongs to it, through the same rules as the resource routes; another member's data is
never reachable, and a user without a member record gets a clear 403."""

from __future__ import annotations

from datetime import date

import pytest
from support import unique

TODAY = date(2026, 11, 24)
ME = "/api/v1/me"
# A valid body for each /me route that takes one.
BODIES = {
    f"{ME}/check-ins": {"kind": "report", "occurred_on": "2026-11-01"},
    f"{ME}/change-requests": {"residence": "新住址"},
}


pytestmark = pytest.mark.usefixtures("frozen_today")  # every test on `TODAY`


async def _two_members(api, county):
    """Me (a member user) and another member of the same branch, each with a meeting,
    points, a payment and a mobile episode of their own."""
    admin, branch = county.admin_a, county.branch_a["id"]
    fields = {"joined_on": "2010-07-01", "full_on": "2011-07-01", "dues_base_fen": 300_000}
    me = await api.member(admin, branch, name="我自己", phone="13812348000", **fields)
    other_name = unique("他人")
    other = await api.member(admin, branch, name=other_name, phone="13912349000", **fields)
    _, token = await api.user(admin, "member", branch, member_id=me["id"])
    return admin, branch, me, other, other_name, token


async def _post(api, token, path, body, expect=201):
    r = await api.client.post(f"/api/v1{path}", json=body, headers=api.auth(token))
    assert r.status_code == expect, r.text
    return r.json()


async def test_my_record_is_mine_with_my_own_pii_and_nobody_elses(api, county):
    _, _, me, other, other_name, token = await _two_members(api, county)
    r = await api.client.get(ME, headers=api.auth(token))
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["id"] == me["id"]
    assert body["phone"] == "13812348000"  # a member reads their own record unmasked
    assert other["id"] not in r.text and other_name not in r.text
    assert r.headers["etag"] == f'"{me["version"]}"'


# The user's own inbox and address: every user has them, a member record or not.
USER_LEVEL = (f"{ME}/notifications", f"{ME}/notification-address")


async def test_a_user_without_a_member_record_gets_a_403_on_every_member_me_route(api, county, app):
    routes = [
        r
        for r in app.routes
        if (getattr(r, "path", "") in (ME,) or getattr(r, "path", "").startswith(ME + "/"))
        and not getattr(r, "path", "").startswith(USER_LEVEL)
    ]
    assert len(routes) >= 10
    for route in routes:
        for method in route.methods:
            r = await api.client.request(
                method,
                route.path,
                json=BODIES.get(route.path),
                headers=api.auth(county.admin_a),
            )
            assert r.status_code == 403, (route.path, r.text)
            assert r.json()["code"] == "me.no_member_record"


async def test_my_organisation_lists_its_current_leaders_by_seat_and_name(api, county):
    admin, branch, me, other, other_name, token = await _two_members(api, county)
    for who, role, start, end in (
        (other, "secretary", "2025-01-01", None),
        (me, "committee_member", "2020-01-01", "2024-12-31"),  # a past term: not shown
    ):
        payload = {"member_id": who["id"], "role": role, "started_on": start}
        if end:
            payload["ended_on"] = end
        await _post(api, admin, f"/organisations/{branch}/leaders", payload)
    r = await api.client.get(f"{ME}/organisation", headers=api.auth(token))
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["organisation"]["id"] == branch
    assert body["leaders"] == [
        {
            "role": "secretary",
            "member_name": other_name,
            "started_on": "2025-01-01",
            "ended_on": None,
        }
    ]
    assert other["id"] not in r.text  # the seat and the name, never the member record


async def test_my_meetings_split_into_upcoming_attended_and_absent(api, county):
    admin, branch, me, other, _, token = await _two_members(api, county)
    ids = {}
    for key, held_on in (("past", "2026-11-10"), ("missed", "2026-11-12"), ("next", "2026-12-01")):
        m = await _post(
            api,
            admin,
            "/meetings",
            {
                "org_id": branch,
                "type": "general_meeting",
                "held_on": held_on,
                "topic": key,
                "expected_member_ids": [me["id"], other["id"]],
            },
        )
        ids[key] = m["id"]
    await _put_attendance(api, admin, ids["past"], me, "present", other, "absent")
    await _put_attendance(api, admin, ids["missed"], me, "excused", other, "present", "出差")
    r = await api.client.get(f"{ME}/meetings", headers=api.auth(token))
    assert r.status_code == 200, r.text
    body = r.json()
    assert [m["id"] for m in body["upcoming"]] == [ids["next"]]
    assert [m["id"] for m in body["attended"]] == [ids["past"]]
    assert [(m["id"], m["presence"], m["reason"]) for m in body["absent"]] == [
        (ids["missed"], "excused", "出差")
    ]
    assert other["id"] not in r.text


async def _put_attendance(api, admin, meeting_id, me, mine, other, theirs, reason=None):
    rows = []
    for who, presence in ((me, mine), (other, theirs)):
        row = {"member_id": who["id"], "presence": presence}
        if presence == "excused":
            row["reason"] = reason
        rows.append(row)
    r = await api.client.put(
        f"/api/v1/meetings/{meeting_id}/attendance", json=rows, headers=api.auth(admin)
    )
    assert r.status_code == 200, r.text


async def test_my_points_show_my_entries_and_my_pending_claims_only(api, county):
    admin, branch, me, other, _, token = await _two_members(api, county)
    rule = await _post(
        api,
        admin,
        "/point-rules",
        {
            "org_id": branch,
            "code": unique("R"),
            "name": "志愿服务",
            "category": "bonus",
            "points": 2,
            "needs_approval": True,
        },
    )
    for who, tok in ((me, token), (other, admin)):
        await _post(
            api,
            tok,
            "/point-entries",
            {
                "member_id": who["id"],
                "rule_id": rule["id"],
                "occurred_on": "2026-11-01",
                "source_key": unique("k"),
            },
        )
    r = await api.client.get(f"{ME}/points", headers=api.auth(token))
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["member_id"] == me["id"]
    assert [(c["member_id"], c["state"]) for c in body["claims"]] == [(me["id"], "pending")]
    assert other["id"] not in r.text


async def test_my_dues_per_month_assessed_paid_and_owed(api, county):
    admin, _, me, other, _, token = await _two_members(api, county)
    for who in (me, other):
        await _post(
            api,
            admin,
            "/dues/payments",
            {
                "member_id": who["id"],
                "months": ["2026-10"],
                "amount_fen": 1500,
                "paid_on": "2026-10-20",
            },
        )
    r = await api.client.get(f"{ME}/dues", headers=api.auth(token))
    assert r.status_code == 200, r.text
    body = r.json()
    months = {m["month"]: m for m in body["months"]}
    assert sorted(months) == [f"2026-{m:02d}" for m in range(1, 12)]
    assert (months["2026-10"]["assessed_fen"], months["2026-10"]["paid_fen"]) == (1500, 1500)
    assert months["2026-10"]["owed_fen"] == 0
    assert (months["2026-11"]["paid_fen"], months["2026-11"]["owed_fen"]) == (None, 1500)
    assert body["owed_fen"] == 10 * 1500  # ten unpaid months of 2026 at 0.5 % of 3000 yuan
    assert other["id"] not in r.text
    r = await api.client.get(f"{ME}/dues", params={"year": 2027}, headers=api.auth(token))
    assert r.json()["months"] == []  # a year that has not begun has no month yet


async def test_i_check_in_on_my_own_episode_and_read_it_back(api, county):
    admin, _, me, other, _, token = await _two_members(api, county)
    r = await api.client.get(f"{ME}/mobile-episode", headers=api.auth(token))
    assert r.status_code == 404  # never went out
    assert r.json()["code"] == "mobile.not_found"
    episodes = {}
    for who in (me, other):
        episodes[who["id"]] = await _post(
            api,
            admin,
            "/mobile-episodes",
            {
                "member_id": who["id"],
                "destination_area": "440305",
                "reason": "外出务工",
                "expected_months": 12,
                "certificate_no": unique("CERT"),
                "started_on": "2026-06-01",
                "location_consent": False,
            },
        )
    row = await _post(api, token, "/me/check-ins", {"kind": "report", "occurred_on": "2026-11-20"})
    assert row["reported_by"] == "member"
    r = await api.client.get(f"{ME}/mobile-episode", headers=api.auth(token))
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["id"] == episodes[me["id"]]["id"]
    assert [c["occurred_on"] for c in body["check_ins"]] == ["2026-11-20"]
    assert other["id"] not in r.text and episodes[other["id"]]["id"] not in r.text
    # The other member's episode has no check-in of mine.
    r = await api.client.get(
        f"/api/v1/mobile-episodes/{episodes[other['id']]['id']}", headers=api.auth(admin)
    )
    assert r.json()["check_ins"] == []
    # A check-in outside the episode's dates is refused by the same rule.
    await _post(api, token, "/me/check-ins", {"kind": "report", "occurred_on": "2026-05-31"}, 422)


async def test_my_timeline_is_my_record_only(api, county):
    _, _, me, other, other_name, token = await _two_members(api, county)
    r = await api.client.get(f"{ME}/timeline", headers=api.auth(token))
    assert r.status_code == 200, r.text
    assert r.json()["member_id"] == me["id"]
    assert other["id"] not in r.text and other_name not in r.text


async def test_a_change_request_is_applied_only_when_the_branch_approves(api, county):
    admin, branch, me, other, _, token = await _two_members(api, county)
    # Status and organisation are never part of a request.
    for field, value in (("status", "left"), ("org_id", county.branch_b["id"])):
        await _post(api, token, "/me/change-requests", {field: value}, 422)
    await _post(api, token, "/me/change-requests", {}, 422)
    req = await _post(api, token, "/me/change-requests", {"residence": "新住址", "reason": "搬家"})
    assert req["state"] == "pending" and req["changes"] == {"residence": "新住址"}
    r = await api.client.get(f"/api/v1/members/{me['id']}", headers=api.auth(admin))
    assert r.json()["residence"] != "新住址"  # nothing changes before the decision
    # The branch's administrator sees it pending; another subtree does not.
    r = await api.client.get(
        "/api/v1/member-change-requests", params={"state": "pending"}, headers=api.auth(admin)
    )
    assert [x["id"] for x in r.json()["items"]] == [req["id"]]
    r = await api.client.get("/api/v1/member-change-requests", headers=api.auth(county.admin_b))
    assert r.json()["items"] == []
    path = f"/member-change-requests/{req['id']}"
    await _post(api, county.admin_b, f"{path}/approve", None, 404)
    await _post(api, token, f"{path}/approve", None, 403)  # a member decides nothing
    done = await _post(api, admin, f"{path}/approve", None, 200)
    assert done["state"] == "approved"
    r = await api.client.get(f"{ME}", headers=api.auth(token))
    assert r.json()["residence"] == "新住址"
    await _post(api, admin, f"{path}/approve", None, 409)  # decided once
    # A rejection keeps the record and tells the member why.
    req2 = await _post(api, token, "/me/change-requests", {"work_unit": "某公司"})
    done = await _post(
        api, admin, f"/member-change-requests/{req2['id']}/reject", {"reason": "请提供证明"}, 200
    )
    assert (done["state"], done["decision_reason"]) == ("rejected", "请提供证明")
    r = await api.client.get(f"{ME}/change-requests", headers=api.auth(token))
    assert {x["id"]: x["state"] for x in r.json()["items"]} == {
        req["id"]: "approved",
        req2["id"]: "rejected",
    }
    # Another member's request is never reachable through my token.
    _, other_token = await api.user(admin, "member", branch, member_id=other["id"])
    theirs = await _post(api, other_token, "/me/change-requests", {"phone": "13912340000"})
    r = await api.client.get(f"{ME}/change-requests", headers=api.auth(token))
    assert theirs["id"] not in r.text
    r = await api.client.get(f"/api/v1{path[:-36]}{theirs['id']}", headers=api.auth(token))
    assert r.status_code == 404
