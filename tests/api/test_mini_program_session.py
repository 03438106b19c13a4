"""A scripted mini-program session (issue 21's check), one member from first login to
dues: bind WeChat, sign in to a meeting with its live code (an expired code and another
meeting's code refused), ask for leave and have it approved, claim points, read my dues;
nothing of another member reachable on the way."""

from __future__ import annotations

from datetime import timedelta

from support import unique

from app import clock

V = "/api/v1"


async def _ok(api, method, url, token, body=None, expect=(200, 201)):
    r = await api.client.request(method, V + url, json=body, headers=api.auth(token))
    assert r.status_code in expect, (url, r.text)
    return r.json()


async def test_a_member_binds_wechat_signs_in_asks_leave_claims_points_and_reads_dues(
    api, county, wechat, now
):
    admin, branch = county.admin_a, county.branch_a["id"]
    fields = {"joined_on": "2010-07-01", "full_on": "2011-07-01", "dues_base_fen": 300_000}
    me = await api.member(admin, branch, name="小程序党员", **fields)
    other = await api.member(admin, branch, name=unique("他人"), **fields)
    _, password_token = await api.user(admin, "member", branch, member_id=me["id"])

    # 1. Bind WeChat once (after a password login), then log in with wx.login() codes only.
    openid = unique("openid")
    r = await api.client.post(
        f"{V}/auth/wechat/bind",
        json={"code": wechat.code_for(openid)},
        headers=api.auth(password_token),
    )
    assert r.status_code == 200, r.text
    r = await api.client.post(f"{V}/auth/wechat", json={"code": wechat.code_for(openid)})
    assert r.status_code == 200, r.text
    token = r.json()["access_token"]
    assert openid not in r.text
    assert (await _ok(api, "GET", "/me", token))["id"] == me["id"]

    # 2. Sign in to today's meeting with the code on the screen.
    today = clock.today().isoformat()
    body = {"org_id": branch, "type": "general_meeting", "held_on": today, "topic": "学习"}
    meeting = await _ok(api, "POST", "/meetings", admin, body)
    tomorrow = now.at + timedelta(days=1)
    later = {**body, "held_on": tomorrow.date().isoformat(), "topic": "另一次会议"}
    elsewhere = await _ok(api, "POST", "/meetings", admin, later)
    code = (await _ok(api, "POST", f"/meetings/{meeting['id']}/sign-in/open", admin, {}))["code"]
    starts = {"starts_at": tomorrow.isoformat()}
    await _ok(api, "POST", f"/meetings/{elsewhere['id']}/sign-in/open", admin, starts)
    foreign = (await _ok(api, "GET", f"/meetings/{elsewhere['id']}/sign-in/code", admin))["code"]
    sign_ins = f"{V}/meetings/{meeting['id']}/sign-ins"
    r = await api.client.post(sign_ins, json={"code": foreign}, headers=api.auth(token))
    assert (r.status_code, r.json()["code"]) == (422, "sign_in.code_invalid")
    now.move(seconds=60)  # two rotations later the first code has expired
    r = await api.client.post(sign_ins, json={"code": code}, headers=api.auth(token))
    assert (r.status_code, r.json()["code"]) == (422, "sign_in.code_expired")
    live = (await _ok(api, "GET", f"/meetings/{meeting['id']}/sign-in/code", admin))["code"]
    r = await api.client.post(sign_ins, json={"code": live}, headers=api.auth(token))
    assert r.status_code == 201, r.text

    # 3. Ask for leave from tomorrow's meeting; the secretary approves: excused, with reason.
    asked = await _ok(
        api, "POST", f"/meetings/{elsewhere['id']}/leave-requests", token, {"reason": "外出务工"}
    )
    url = f"/meetings/{elsewhere['id']}/leave-requests/{asked['id']}/approve"
    assert (await _ok(api, "POST", url, admin, {}))["state"] == "approved"
    attendance = (await _ok(api, "GET", f"/meetings/{elsewhere['id']}", admin))["attendance"]
    mine = {a["member_id"]: (a["presence"], a["reason"]) for a in attendance}
    assert mine[me["id"]] == ("excused", "外出务工")
    signed = (await _ok(api, "GET", f"/meetings/{meeting['id']}", admin))["attendance"]
    assert {a["member_id"]: a["presence"] for a in signed}[me["id"]] == "present"

    # 4. Claim points under a rule that needs approval: pending in my points.
    rule = {
        "org_id": branch, "code": unique("R"), "name": "志愿服务", "category": "bonus",
        "points": 2, "needs_approval": True,
    }  # fmt: skip
    rule = await _ok(api, "POST", "/point-rules", admin, rule)
    claim = {
        "member_id": me["id"], "rule_id": rule["id"], "occurred_on": today,
        "source_key": unique("claim"),
    }  # fmt: skip
    await _ok(api, "POST", "/point-entries", token, claim)
    points = await _ok(api, "GET", "/me/points", token)
    assert [(c["member_id"], c["state"]) for c in points["claims"]] == [(me["id"], "pending")]

    # 5. Read my dues after the branch records a payment: paid and owed per month.
    month = today[:7]
    payment = {"member_id": me["id"], "months": [month], "amount_fen": 1500, "paid_on": today}
    await _ok(api, "POST", "/dues/payments", admin, payment)
    dues = await _ok(api, "GET", "/me/dues", token)
    months = {m["month"]: m for m in dues["months"]}
    assert (months[month]["paid_fen"], months[month]["owed_fen"]) == (1500, 0)

    # Nothing of the other member on my surface.
    for path in ("/me", "/me/meetings", "/me/points", "/me/dues", "/me/timeline"):
        r = await api.client.get(V + path, headers=api.auth(token))
        assert r.status_code == 200, (path, r.text)
        assert other["id"] not in r.text and other["name"] not in r.text, path
