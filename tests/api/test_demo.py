"""The demo county: realistic, idempotent, with one working login per role."""

from __future__ import annotations

from app.db import get_sessionmaker
from app.devtools.demo import DEMO_PASSWORD, load_demo


async def test_demo_loads_once_and_every_login_works(api):
    async with get_sessionmaker()() as session, session.begin():
        first = await load_demo(session)
    async with get_sessionmaker()() as session, session.begin():
        second = await load_demo(session)
    assert first.created is True
    assert second.created is False
    assert (second.organisations, second.members) == (first.organisations, first.members)
    assert 1300 <= first.members <= 1700
    roles = {role for _, role, _ in first.logins}
    assert roles == {"system_admin", "org_admin", "branch_secretary", "member", "auditor"}

    token = await api.token("county_admin", DEMO_PASSWORD)
    me = (await api.client.get("/api/v1/auth/me", headers=api.auth(token))).json()
    stats = await api.client.get(
        f"/api/v1/organisations/{me['org_id']}/stats", headers=api.auth(token)
    )
    by_status = stats.json()["by_status"]
    assert set(by_status) == {
        "applicant",
        "activist",
        "candidate",
        "probationary",
        "full",
        "suspended",
        "left",
        "deceased",
    }
    assert set(stats.json()["by_category"]) == {
        "employed",
        "retired",
        "self_employed",
        "farmer",
        "student",
        "unemployed",
        "other",
    }
    for username, _, _ in first.logins:
        assert await api.token(username, DEMO_PASSWORD)

    # The member login sees exactly one record, its own, unmasked.
    member_token = await api.token("member_user", DEMO_PASSWORD)
    own = await api.client.get("/api/v1/members", headers=api.auth(member_token))
    assert len(own.json()["items"]) == 1
    assert own.json()["items"][0]["pii_masked"] is False
    # The auditor sees the county masked.
    auditor = await api.token("auditor", DEMO_PASSWORD)
    listed = await api.client.get("/api/v1/members", headers=api.auth(auditor))
    assert all(m["pii_masked"] for m in listed.json()["items"])
