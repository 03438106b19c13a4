"""Meeting sign-in (签到) with a rotating code, proxy sign-in, and leave requests (请假)."""

from __future__ import annotations

from datetime import timedelta

from app import clock

M = "/api/v1/meetings"


async def _setup(api, county, members=3):
    admin = county.admin_a
    branch = county.branch_a["id"]
    people = [await api.member(admin, branch) for _ in range(members)]
    _, member_token = await api.user(admin, "member", branch, member_id=people[0]["id"])
    meeting = await _meeting(api, admin, branch)
    return admin, people, member_token, meeting


async def _meeting(api, token, org_id, **extra):
    r = await api.client.post(
        M,
        json={
            "org_id": org_id,
            "type": "general_meeting",
            "held_on": clock.today().isoformat(),
            "topic": "学习",
            **extra,
        },
        headers=api.auth(token),
    )
    assert r.status_code == 201, r.text
    return r.json()


async def _open(api, token, meeting_id, starts_at=None):
    body = {"starts_at": starts_at.isoformat()} if starts_at is not None else {}
    return await api.client.post(
        f"{M}/{meeting_id}/sign-in/open", json=body, headers=api.auth(token)
    )


async def _code(api, token, meeting_id) -> str:
    r = await api.client.get(f"{M}/{meeting_id}/sign-in/code", headers=api.auth(token))
    assert r.status_code == 200, r.text
    return str(r.json()["code"])


async def _sign_in(api, token, meeting_id, code=None, member_id=None):
    body = {"code": code} if code is not None else {}
    if member_id is not None:
        body["member_id"] = member_id
    return await api.client.post(f"{M}/{meeting_id}/sign-ins", json=body, headers=api.auth(token))


async def _presence(api, admin, meeting_id):
    r = await api.client.get(f"{M}/{meeting_id}", headers=api.auth(admin))
    return {a["member_id"]: (a["presence"], a["reason"]) for a in r.json()["attendance"]}


async def test_a_member_signs_in_with_the_live_code_and_is_present(api, county, now):
    admin, people, member, meeting = await _setup(api, county)
    opened = await _open(api, admin, meeting["id"])
    assert opened.status_code == 200, opened.text
    code = opened.json()["code"]
    assert opened.json()["qr_content"].endswith(code)
    r = await _sign_in(api, member, meeting["id"], code)
    assert r.status_code == 201, r.text
    assert r.json()["member_id"] == people[0]["id"]
    assert (r.json()["late"], r.json()["proxy"]) == (False, False)
    assert (await _presence(api, admin, meeting["id"]))[people[0]["id"]] == ("present", None)
    again = await _sign_in(api, member, meeting["id"], code)
    assert (again.status_code, again.json()["code"]) == (409, "sign_in.repeated")


async def test_the_code_rotates_and_the_previous_code_is_accepted_but_an_older_one_is_not(
    api, county, now
):
    admin, people, member, meeting = await _setup(api, county)
    await _open(api, admin, meeting["id"])
    first = await _code(api, admin, meeting["id"])
    now.move(seconds=30)  # the policy's default period
    second = await _code(api, admin, meeting["id"])
    assert first != second
    ok = await _sign_in(api, member, meeting["id"], first)  # the previous window's code
    assert ok.status_code == 201, ok.text
    _, other = await api.user(admin, "member", county.branch_a["id"], member_id=people[1]["id"])
    now.move(seconds=30)  # `first` is now two windows old: expired
    r = await _sign_in(api, other, meeting["id"], first)
    assert (r.status_code, r.json()["code"]) == (422, "sign_in.code_expired")
    assert r.json()["errors"][0]["field"] == "code"


async def test_a_code_of_another_meeting_is_refused(api, county, now):
    admin, _, member, meeting = await _setup(api, county)
    other = await _meeting(api, admin, county.branch_a["id"], topic="另一次")
    await _open(api, admin, meeting["id"])
    await _open(api, admin, other["id"])
    r = await _sign_in(api, member, meeting["id"], await _code(api, admin, other["id"]))
    assert (r.status_code, r.json()["code"]) == (422, "sign_in.code_invalid")
    none = await _sign_in(api, member, meeting["id"])
    assert (none.status_code, none.json()["code"]) == (422, "sign_in.code_invalid")


async def test_the_code_period_is_the_policy_of_the_meetings_organisation(api, county, now):
    admin, _, _, meeting = await _setup(api, county)
    r = await api.client.put(
        f"/api/v1/organisations/{county.town_a['id']}/policies",
        json={"values": {"sign_in_code_seconds": 60}},
        headers=api.auth(county.county_admin),
    )
    assert r.status_code == 200, r.text
    opened = (await _open(api, admin, meeting["id"])).json()
    assert opened["code_seconds"] == 60
    for bad in (29, 61):
        r = await api.client.put(
            f"/api/v1/organisations/{county.town_a['id']}/policies",
            json={"values": {"sign_in_code_seconds": bad}},
            headers=api.auth(county.county_admin),
        )
        assert (r.status_code, r.json()["code"]) == (422, "policy.value_invalid")


async def test_a_sign_in_after_the_late_bound_is_flagged_late(api, county, now):
    admin, people, _, meeting = await _setup(api, county)
    tokens_ = [
        (await api.user(admin, "member", county.branch_a["id"], member_id=p["id"]))[1]
        for p in people[1:]
    ]
    await _open(api, admin, meeting["id"], starts_at=now.at)
    now.move(minutes=10)  # the default late bound itself: on time
    r = await _sign_in(api, tokens_[0], meeting["id"], await _code(api, admin, meeting["id"]))
    assert (r.status_code, r.json()["late"]) == (201, False)
    now.move(seconds=1)
    r = await _sign_in(api, tokens_[1], meeting["id"], await _code(api, admin, meeting["id"]))
    assert (r.status_code, r.json()["late"]) == (201, True)
    listed = await api.client.get(f"{M}/{meeting['id']}/sign-ins", headers=api.auth(admin))
    assert [(x["member_id"], x["late"]) for x in listed.json()["items"]] == [
        (people[1]["id"], False),
        (people[2]["id"], True),
    ]
    mine = await api.client.get(f"{M}/{meeting['id']}/sign-ins", headers=api.auth(tokens_[0]))
    assert [x["member_id"] for x in mine.json()["items"]] == [people[1]["id"]]


async def test_sign_in_opens_the_policys_minutes_before_the_start(api, county, now):
    admin, _, member, meeting = await _setup(api, county)
    await _open(api, admin, meeting["id"], starts_at=now.at + timedelta(minutes=30, seconds=1))
    r = await _sign_in(api, member, meeting["id"], await _code(api, admin, meeting["id"]))
    assert (r.status_code, r.json()["code"]) == (409, "sign_in.too_early")
    now.move(seconds=1)  # 30 minutes before the start: open
    r = await _sign_in(api, member, meeting["id"], await _code(api, admin, meeting["id"]))
    assert (r.status_code, r.json()["late"]) == (201, False)


async def test_sign_in_closes_the_policys_minutes_after_the_start(api, county, now):
    admin, people, member, meeting = await _setup(api, county)
    _, second = await api.user(admin, "member", county.branch_a["id"], member_id=people[1]["id"])
    opened = await _open(api, admin, meeting["id"], starts_at=now.at - timedelta(minutes=120))
    assert opened.json()["closes_at"].startswith(now.at.strftime("%Y-%m-%dT%H:%M:%S"))
    r = await _sign_in(api, member, meeting["id"], await _code(api, admin, meeting["id"]))
    assert (r.status_code, r.json()["late"]) == (201, True)  # the close itself
    now.move(seconds=1)
    r = await _sign_in(api, second, meeting["id"], await _code(api, admin, meeting["id"]))
    assert (r.status_code, r.json()["code"]) == (409, "sign_in.closed")


async def test_sign_in_before_it_is_opened_is_refused(api, county, now):
    admin, _, member, meeting = await _setup(api, county)
    r = await _sign_in(api, member, meeting["id"], "12345678")
    assert (r.status_code, r.json()["code"]) == (409, "sign_in.not_open")
    r = await api.client.get(f"{M}/{meeting['id']}/sign-in/code", headers=api.auth(admin))
    assert (r.status_code, r.json()["code"]) == (409, "sign_in.not_open")


async def test_a_secretary_signs_in_for_a_member_recorded_as_proxy(api, county, now):
    admin, people, _, meeting = await _setup(api, county)
    await _open(api, admin, meeting["id"])
    r = await _sign_in(api, admin, meeting["id"], member_id=people[1]["id"])
    assert r.status_code == 201, r.text
    assert (r.json()["member_id"], r.json()["proxy"]) == (people[1]["id"], True)
    assert (await _presence(api, admin, meeting["id"]))[people[1]["id"]] == ("present", None)
    audit = await api.client.get(
        "/api/v1/audit-events",
        params={"resource": "meeting", "resource_id": meeting["id"]},
        headers=api.auth(county.county_admin),
    )
    assert "meeting.signed_in" in [e["action"] for e in audit.json()["items"]]
    missing = await _sign_in(api, admin, meeting["id"])
    assert missing.status_code == 422


async def test_a_member_signs_in_only_themself_and_neither_opens_nor_reads_the_code(
    api, county, now
):
    admin, people, member, meeting = await _setup(api, county)
    await _open(api, admin, meeting["id"])
    code = await _code(api, admin, meeting["id"])
    r = await _sign_in(api, member, meeting["id"], code, member_id=people[1]["id"])
    assert (r.status_code, r.json()["code"]) == (404, "member.not_found")
    r = await _open(api, member, meeting["id"])
    assert (r.status_code, r.json()["code"]) == (403, "sign_in.not_host")
    r = await api.client.get(f"{M}/{meeting['id']}/sign-in/code", headers=api.auth(member))
    assert (r.status_code, r.json()["code"]) == (403, "sign_in.not_host")


async def test_the_host_member_opens_sign_in(api, county, now):
    admin = county.admin_a
    branch = county.branch_a["id"]
    host = await api.member(admin, branch)
    _, host_token = await api.user(admin, "member", branch, member_id=host["id"])
    meeting = await _meeting(api, admin, branch, host_id=host["id"])
    r = await _open(api, host_token, meeting["id"])
    assert r.status_code == 200, r.text


async def test_a_member_not_expected_at_the_meeting_gets_404(api, county, now):
    admin, _, _, meeting = await _setup(api, county)
    newcomer = await api.member(admin, county.branch_a["id"])
    _, token = await api.user(admin, "member", county.branch_a["id"], member_id=newcomer["id"])
    await _open(api, admin, meeting["id"])
    code = await _code(api, admin, meeting["id"])
    r = await _sign_in(api, token, meeting["id"], code)
    assert (r.status_code, r.json()["code"]) == (404, "meeting.not_found")
    r = await _sign_in(api, admin, meeting["id"], member_id=newcomer["id"])
    assert (r.status_code, r.json()["code"]) == (422, "sign_in.not_expected")


async def test_another_subtree_gets_404_on_every_sign_in_and_leave_route(api, county, now):
    admin, people, member, meeting = await _setup(api, county)
    leave = await api.client.post(
        f"{M}/{meeting['id']}/leave-requests", json={"reason": "出差"}, headers=api.auth(member)
    )
    rid = leave.json()["id"]
    await _open(api, admin, meeting["id"], starts_at=now.at + timedelta(hours=1))
    other = county.admin_b
    base = f"{M}/{meeting['id']}"
    for method, url, body in (
        ("POST", f"{base}/sign-in/open", {}),
        ("GET", f"{base}/sign-in/code", None),
        ("POST", f"{base}/sign-ins", {"member_id": people[1]["id"]}),
        ("GET", f"{base}/sign-ins", None),
        ("POST", f"{base}/leave-requests", {"reason": "病假", "member_id": people[1]["id"]}),
        ("GET", f"{base}/leave-requests", None),
        ("POST", f"{base}/leave-requests/{rid}/approve", {}),
        ("POST", f"{base}/leave-requests/{rid}/reject", {}),
    ):
        r = await api.client.request(method, url, json=body, headers=api.auth(other))
        assert (r.status_code, r.json()["code"]) == (404, "meeting.not_found"), url


# --- Leave requests (请假) ---------------------------------------------------------------


async def _ask(api, token, meeting_id, reason="出差", **extra):
    return await api.client.post(
        f"{M}/{meeting_id}/leave-requests",
        json={"reason": reason, **extra},
        headers=api.auth(token),
    )


async def test_an_approved_leave_request_is_attendance_excused_with_its_reason(api, county):
    admin, people, member, meeting = await _setup(api, county)
    r = await _ask(api, member, meeting["id"], "外出务工")
    assert r.status_code == 201, r.text
    assert (r.json()["member_id"], r.json()["state"]) == (people[0]["id"], "pending")
    decided = await api.client.post(
        f"{M}/{meeting['id']}/leave-requests/{r.json()['id']}/approve",
        json={},
        headers=api.auth(admin),
    )
    assert (decided.status_code, decided.json()["state"]) == (200, "approved")
    assert (await _presence(api, admin, meeting["id"]))[people[0]["id"]] == ("excused", "外出务工")
    again = await api.client.post(
        f"{M}/{meeting['id']}/leave-requests/{r.json()['id']}/reject",
        json={},
        headers=api.auth(admin),
    )
    assert (again.status_code, again.json()["code"]) == (409, "leave.already_decided")
    twice = await _ask(api, member, meeting["id"])
    assert (twice.status_code, twice.json()["code"]) == (409, "leave.already_requested")


async def test_a_rejected_leave_request_changes_no_attendance_and_may_be_asked_again(api, county):
    admin, people, member, meeting = await _setup(api, county)
    r = await _ask(api, member, meeting["id"])
    decided = await api.client.post(
        f"{M}/{meeting['id']}/leave-requests/{r.json()['id']}/reject",
        json={"note": "会议重要"},
        headers=api.auth(admin),
    )
    assert (decided.json()["state"], decided.json()["note"]) == ("rejected", "会议重要")
    assert (await _presence(api, admin, meeting["id"]))[people[0]["id"]] == (None, None)
    assert (await _ask(api, member, meeting["id"])).status_code == 201


async def test_a_member_sees_only_their_own_leave_requests_and_cannot_decide(api, county):
    admin, people, member, meeting = await _setup(api, county)
    mine = (await _ask(api, member, meeting["id"])).json()
    theirs = (await _ask(api, admin, meeting["id"], "病假", member_id=people[1]["id"])).json()
    r = await api.client.get(
        f"{M}/{meeting['id']}/leave-requests",
        params={"include_total": True},
        headers=api.auth(member),
    )
    assert [x["id"] for x in r.json()["items"]] == [mine["id"]]
    assert r.json()["total"] == 1
    listed = await api.client.get(f"{M}/{meeting['id']}/leave-requests", headers=api.auth(admin))
    assert [x["id"] for x in listed.json()["items"]] == [mine["id"], theirs["id"]]
    r = await api.client.post(
        f"{M}/{meeting['id']}/leave-requests/{mine['id']}/approve",
        json={},
        headers=api.auth(member),
    )
    assert (r.status_code, r.json()["code"]) == (403, "sign_in.not_host")
    r = await api.client.post(
        f"{M}/{meeting['id']}/leave-requests/{theirs['id']}/approve",
        json={},
        headers=api.auth(member),
    )
    assert (r.status_code, r.json()["code"]) == (404, "leave.not_found")
    r = await _ask(api, member, meeting["id"], member_id=people[1]["id"])
    assert (r.status_code, r.json()["code"]) == (404, "member.not_found")


async def test_leave_is_asked_before_the_meeting_starts(api, county, now):
    admin, people, member, meeting = await _setup(api, county)
    await _open(api, admin, meeting["id"], starts_at=now.at + timedelta(seconds=1))
    assert (await _ask(api, member, meeting["id"])).status_code == 201
    now.move(seconds=1)  # the start itself
    r = await _ask(api, admin, meeting["id"], member_id=people[1]["id"])
    assert (r.status_code, r.json()["code"]) == (409, "leave.too_late")
    past = await api.client.post(
        M,
        json={
            "org_id": county.branch_a["id"],
            "type": "general_meeting",
            "held_on": (clock.today() - timedelta(days=1)).isoformat(),
            "topic": "学习",
        },
        headers=api.auth(admin),
    )
    r = await _ask(api, member, past.json()["id"])
    assert (r.status_code, r.json()["code"]) == (409, "leave.too_late")


async def test_a_member_signed_in_asks_no_leave(api, county, now):
    admin, _, member, meeting = await _setup(api, county)
    await _open(api, admin, meeting["id"], starts_at=now.at + timedelta(minutes=5))
    await _sign_in(api, member, meeting["id"], await _code(api, admin, meeting["id"]))
    r = await _ask(api, member, meeting["id"])
    assert (r.status_code, r.json()["code"]) == (409, "leave.signed_in")


async def test_sign_ins_and_approved_leave_score_points_when_the_meeting_is_finalized(
    api, county, now
):
    for category, points, trigger in (
        ("bonus", 2, "meeting.present"),
        ("deduction", 3, "meeting.absent"),
    ):
        r = await api.client.post(
            "/api/v1/point-rules",
            json={
                "org_id": county.county["id"],
                "code": f"R{trigger}",
                "name": "出席会议",
                "category": category,
                "points": points,
                "needs_approval": False,
                "trigger": trigger,
            },
            headers=api.auth(county.county_admin),
        )
        assert r.status_code == 201, r.text
    admin = county.admin_a
    branch = await api.org(county.county_admin, county.town_a["id"], "branch")
    people = [await api.member(admin, branch["id"]) for _ in range(4)]
    _, signer = await api.user(admin, "member", branch["id"], member_id=people[0]["id"])
    _, asker = await api.user(admin, "member", branch["id"], member_id=people[1]["id"])
    meeting = await _meeting(api, admin, branch["id"], type="theme_day")
    leave = await _ask(api, asker, meeting["id"], "病假")
    await api.client.post(
        f"{M}/{meeting['id']}/leave-requests/{leave.json()['id']}/approve",
        json={},
        headers=api.auth(admin),
    )
    await _open(api, admin, meeting["id"], starts_at=now.at + timedelta(minutes=5))
    assert (
        await _sign_in(api, signer, meeting["id"], await _code(api, admin, meeting["id"]))
    ).status_code == 201
    assert (await _sign_in(api, admin, meeting["id"], member_id=people[2]["id"])).status_code == 201
    entries = [{"member_id": people[3]["id"], "presence": "absent"}]
    r = await api.client.put(
        f"{M}/{meeting['id']}/attendance", json=entries, headers=api.auth(admin)
    )
    assert r.status_code == 200, r.text
    r = await api.client.post(f"{M}/{meeting['id']}/finalize", headers=api.auth(admin))
    assert r.status_code == 200, r.text
    totals = []
    for person in people:
        r = await api.client.get(
            f"/api/v1/members/{person['id']}/points",
            params={"year": clock.today().year},
            headers=api.auth(admin),
        )
        totals.append(r.json()["total"])
    assert totals == [2, 0, 2, -3]


async def test_a_leave_request_is_not_approved_once_the_member_signed_in(api, county, now):
    admin, people, member, meeting = await _setup(api, county)
    asked = await _ask(api, member, meeting["id"])
    await _open(api, admin, meeting["id"], starts_at=now.at)
    await _sign_in(api, member, meeting["id"], await _code(api, admin, meeting["id"]))
    r = await api.client.post(
        f"{M}/{meeting['id']}/leave-requests/{asked.json()['id']}/approve",
        json={},
        headers=api.auth(admin),
    )
    assert (r.status_code, r.json()["code"]) == (409, "leave.signed_in")
    assert (await _presence(api, admin, meeting["id"]))[people[0]["id"]] == ("present", None)


async def test_a_pending_leave_request_is_a_to_do_of_the_branch_until_decided(api, county):
    admin, people, member, meeting = await _setup(api, county)
    asked = await _ask(api, member, meeting["id"], "外出务工")
    assert asked.status_code == 201, asked.text

    async def leave_todos(token):
        r = await api.client.get(
            "/api/v1/todos", params={"kind": "leave_to_decide"}, headers=api.auth(token)
        )
        assert r.status_code == 200, r.text
        return [
            (t["code"], t["due_on"], t["link"]["resource"], t["link"]["id"], t["subject"])
            for t in r.json()["items"]
        ]

    expected = ("leave.pending", meeting["held_on"], "meeting", meeting["id"], people[0]["name"])
    assert await leave_todos(admin) == [expected]
    assert await leave_todos(county.admin_b) == []  # another township's meeting
    assert await leave_todos(member) == []  # the member asked; the branch decides
    decided = await api.client.post(
        f"{M}/{meeting['id']}/leave-requests/{asked.json()['id']}/approve",
        json={},
        headers=api.auth(admin),
    )
    assert decided.status_code == 200, decided.text
    assert await leave_todos(admin) == []
