"""WeChat mini-program identity against a local server with jscode2session's contract."""

from __future__ import annotations

import logging

from support import APP_ID, SECRET, unique

from app.config import get_settings
from app.db import get_sessionmaker

A = "/api/v1/auth"


async def _member_user(api, county):
    member = await api.member(county.admin_a, county.branch_a["id"])
    return await api.user(county.admin_a, "member", county.branch_a["id"], member_id=member["id"])


async def _login(api, code, binding_code=None):
    body = {"code": code, **({"binding_code": binding_code} if binding_code else {})}
    return await api.client.post(f"{A}/wechat", json=body)


async def _bind(api, token, code):
    return await api.client.post(f"{A}/wechat/bind", json={"code": code}, headers=api.auth(token))


async def _me(api, token):
    r = await api.client.get(f"{A}/me", headers=api.auth(token))
    assert r.status_code == 200, r.text
    return r.json()


async def test_a_bound_wechat_signs_in_as_its_user(api, county, wechat):
    user, token = await _member_user(api, county)
    openid = unique("openid")
    r = await _bind(api, token, wechat.code_for(openid, unique("union")))
    assert r.status_code == 200, r.text
    assert r.json()["unionid_bound"] is True
    r = await _login(api, wechat.code_for(openid))
    assert r.status_code == 200, r.text
    assert (await _me(api, r.json()["access_token"]))["id"] == user["id"]
    query = wechat.requests[-1]
    assert (query["appid"], query["secret"], query["grant_type"]) == (
        [APP_ID],
        [SECRET],
        ["authorization_code"],
    )


async def test_an_unbound_wechat_gets_a_clear_problem(api, county, wechat):
    r = await _login(api, wechat.code_for(unique("openid")))
    assert (r.status_code, r.json()["code"]) == (401, "wechat.not_bound")
    assert "绑定" in r.json()["detail"]


async def test_an_invalid_or_used_login_code_is_refused(api, county, wechat):
    _, token = await _member_user(api, county)
    openid = unique("openid")
    code = wechat.code_for(openid)
    assert (await _bind(api, token, code)).status_code == 200
    r = await _login(api, code)  # used already
    assert (r.status_code, r.json()["code"]) == (401, "wechat.code_invalid")
    r = await _login(api, "busy")
    assert (r.status_code, r.json()["code"]) == (503, "wechat.unavailable")


async def test_wechat_login_is_off_without_an_app_id(api, county, wechat, monkeypatch):
    monkeypatch.setattr(get_settings(), "wechat_app_id", None)
    r = await _login(api, "anything")
    assert (r.status_code, r.json()["code"]) == (403, "wechat.not_configured")


async def test_a_user_binds_one_wechat_and_a_wechat_one_user(api, county, wechat):
    _, first = await _member_user(api, county)
    _, second = await _member_user(api, county)
    openid = unique("openid")
    assert (await _bind(api, first, wechat.code_for(openid))).status_code == 200
    r = await _bind(api, first, wechat.code_for(unique("openid")))
    assert (r.status_code, r.json()["code"]) == (409, "wechat.already_bound")
    r = await _bind(api, second, wechat.code_for(openid))
    assert (r.status_code, r.json()["code"]) == (409, "wechat.already_bound")


async def test_a_unionid_binds_one_user(api, county, wechat):
    _, first = await _member_user(api, county)
    _, second = await _member_user(api, county)
    union = unique("union")
    assert (await _bind(api, first, wechat.code_for(unique("o"), union))).status_code == 200
    r = await _bind(api, second, wechat.code_for(unique("o"), union))
    assert (r.status_code, r.json()["code"]) == (409, "wechat.already_bound")


async def test_an_administrators_binding_code_binds_once(api, county, wechat):
    user, _ = await _member_user(api, county)
    r = await api.client.post(
        f"/api/v1/users/{user['id']}/wechat-binding-codes", headers=api.auth(county.admin_a)
    )
    assert r.status_code == 201, r.text
    binding = r.json()["binding_code"]
    openid = unique("openid")
    r = await _login(api, wechat.code_for(openid), binding)
    assert r.status_code == 200, r.text
    assert (await _me(api, r.json()["access_token"]))["id"] == user["id"]
    r = await _login(api, wechat.code_for(unique("openid")), binding)
    assert (r.status_code, r.json()["code"]) == (401, "wechat.binding_code_invalid")
    r = await _login(api, wechat.code_for(unique("openid")), "NOSUCHCODE")
    assert (r.status_code, r.json()["code"]) == (401, "wechat.binding_code_invalid")
    r = await _login(api, wechat.code_for(openid))  # bound now: no code needed
    assert r.status_code == 200, r.text


async def test_another_subtree_cannot_issue_a_binding_code_or_unbind(api, county, wechat):
    user, token = await _member_user(api, county)
    await _bind(api, token, wechat.code_for(unique("openid")))
    for method, url in (
        ("POST", f"/api/v1/users/{user['id']}/wechat-binding-codes"),
        ("DELETE", f"/api/v1/users/{user['id']}/wechat"),
    ):
        r = await api.client.request(method, url, headers=api.auth(county.admin_b))
        assert (r.status_code, r.json()["code"]) == (404, "user.not_found"), url
    _, other_member = await _member_user(api, county)
    r = await api.client.delete(
        f"/api/v1/users/{user['id']}/wechat", headers=api.auth(other_member)
    )
    assert (r.status_code, r.json()["code"]) == (404, "user.not_found")


async def test_the_user_or_an_administrator_unbinds(api, county, wechat):
    user, token = await _member_user(api, county)
    openid = unique("openid")
    await _bind(api, token, wechat.code_for(openid))
    r = await api.client.delete(f"{A}/wechat", headers=api.auth(token))
    assert r.status_code == 204, r.text
    r = await _login(api, wechat.code_for(openid))
    assert (r.status_code, r.json()["code"]) == (401, "wechat.not_bound")
    r = await api.client.delete(f"{A}/wechat", headers=api.auth(token))
    assert (r.status_code, r.json()["code"]) == (404, "wechat.no_binding")
    await _bind(api, token, wechat.code_for(openid))
    r = await api.client.delete(
        f"/api/v1/users/{user['id']}/wechat", headers=api.auth(county.admin_a)
    )
    assert r.status_code == 204, r.text
    r = await _login(api, wechat.code_for(openid))
    assert (r.status_code, r.json()["code"]) == (401, "wechat.not_bound")


async def test_neither_the_openid_nor_the_session_key_is_answered_logged_or_stored(
    api, county, wechat, caplog
):
    caplog.set_level(logging.DEBUG)
    user, token = await _member_user(api, county)
    openid, union = unique("openid"), unique("union")
    answers = [await _bind(api, token, wechat.code_for(openid, union))]
    answers.append(await _login(api, wechat.code_for(openid)))
    answers.append(await _login(api, wechat.code_for(unique("openid"))))  # unbound
    answers.append(
        await api.client.get(
            "/api/v1/audit-events",
            params={"resource": "user", "resource_id": user["id"]},
            headers=api.auth(county.county_admin),
        )
    )
    assert any(e["action"] == "user.wechat_bound" for e in answers[-1].json()["items"])
    secrets_ = [openid, union, *wechat.session_keys, SECRET]
    for r in answers:
        assert not any(s in r.text for s in secrets_), r.text
    logged = caplog.text + " ".join(str(rec.__dict__) for rec in caplog.records)
    assert "/api/v1/auth/wechat" in logged  # the request log was captured: a leak would show
    assert not any(s in logged for s in secrets_)
    async with get_sessionmaker()() as session:
        from sqlalchemy import text

        rows = (await session.execute(text("SELECT * FROM wechat_identities"))).all()
    stored = repr(rows)
    assert rows and openid not in stored and union not in stored
    assert openid.encode() not in b"".join(
        bytes(v) for row in rows for v in row if isinstance(v, bytes | memoryview)
    )
