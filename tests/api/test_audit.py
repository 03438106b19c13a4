"""Audit trail: every write recorded with before/after, readable only within scope."""

from __future__ import annotations

import contextlib

import pytest
from sqlalchemy import select
from support import unique

from app.db import get_sessionmaker
from app.models.audit import AuditEvent
from app.models.enums import AuditResource
from app.services.integration import audit

AUDIT = "/api/v1/audit-events"


async def test_writes_record_actor_and_before_after(api, county):
    r = await api.client.patch(
        f"/api/v1/organisations/{county.branch_a['id']}",
        json={"name": "改名支部"},
        headers=api.auth(county.admin_a),
    )
    assert r.status_code == 200
    events = await api.client.get(
        AUDIT,
        params={"resource_id": county.branch_a["id"], "resource": "organisation"},
        headers=api.auth(county.county_admin),
    )
    updated = [e for e in events.json()["items"] if e["action"] == "organisation.updated"]
    assert len(updated) == 1
    assert updated[0]["before"]["name"] == "甲村党支部"
    assert updated[0]["after"]["name"] == "改名支部"
    assert updated[0]["actor_username"]


async def test_a_failed_write_leaves_no_audit_event(api, county):
    before = await api.client.get(
        AUDIT,
        params={"within": county.town_a["id"], "limit": 500},
        headers=api.auth(county.county_admin),
    )
    r = await api.client.delete(
        f"/api/v1/organisations/{county.town_a['id']}", headers=api.auth(county.county_admin)
    )
    assert r.status_code == 409
    after = await api.client.get(
        AUDIT,
        params={"within": county.town_a["id"], "limit": 500},
        headers=api.auth(county.county_admin),
    )
    assert after.json()["items"] == before.json()["items"]


async def test_sibling_admin_sees_no_audit_events_of_the_other_subtree(api, county):
    await api.member(county.county_admin, county.branch_a["id"])
    r = await api.client.get(AUDIT, params={"limit": 500}, headers=api.auth(county.admin_b))
    assert r.status_code == 200
    visible = {e["resource_id"] for e in r.json()["items"]}
    assert county.branch_a["id"] not in visible
    assert county.town_a["id"] not in visible
    r = await api.client.get(
        AUDIT, params={"within": county.town_a["id"]}, headers=api.auth(county.admin_b)
    )
    assert r.status_code == 404


async def test_auditor_reads_audit_events_but_a_branch_secretary_cannot(api, county):
    _, auditor = await api.user(county.county_admin, "auditor", county.county["id"])
    assert (await api.client.get(AUDIT, headers=api.auth(auditor))).status_code == 200
    _, secretary = await api.user(county.admin_a, "branch_secretary", county.branch_a["id"])
    assert (await api.client.get(AUDIT, headers=api.auth(secretary))).status_code == 403


async def test_audit_events_follow_their_transaction_and_savepoints(api):
    marker = unique("audit")
    maker = get_sessionmaker()
    async with maker() as session, session.begin():
        audit.record(session, None, "test.before_savepoint", "member", marker, None)
        with contextlib.suppress(RuntimeError):
            async with session.begin_nested():
                audit.record(session, None, "test.in_rolled_back_savepoint", "member", marker, None)
                raise RuntimeError
        async with session.begin_nested():
            audit.record(session, None, "test.in_released_savepoint", "member", marker, None)
    async with maker() as session:
        await session.execute(select(1))
        audit.record(session, None, "test.in_rolled_back_transaction", "member", marker, None)
        await session.rollback()
        audit.record(session, None, "test.after_rollback", "member", marker, None)
        await session.commit()
    async with maker() as session:
        audit.record(session, None, "test.never_committed", "member", marker, None)
    async with maker() as session:
        actions = set(
            (
                await session.scalars(
                    select(AuditEvent.action).where(AuditEvent.resource_id == marker)
                )
            ).all()
        )
    assert actions == {"test.before_savepoint", "test.in_released_savepoint", "test.after_rollback"}


async def test_the_resource_filter_offers_the_writers_names_with_labels_and_refuses_others(
    api, app, county
):
    await api.member(county.county_admin, county.branch_a["id"])
    r = await api.client.get(
        AUDIT, params={"resource": "member", "limit": 500}, headers=api.auth(county.county_admin)
    )
    assert r.status_code == 200
    assert r.json()["items"] and {e["resource"] for e in r.json()["items"]} == {"member"}
    r = await api.client.get(
        AUDIT, params={"resource": "members"}, headers=api.auth(county.county_admin)
    )
    assert r.status_code == 422
    assert r.json()["errors"][0]["field"] == "resource"
    (param,) = [
        p for p in app.openapi()["paths"][AUDIT]["get"]["parameters"] if p["name"] == "resource"
    ]
    schema = app.openapi()["components"]["schemas"]["AuditResource"]
    assert "AuditResource" in str(param["schema"])
    assert schema["enum"] == [r.value for r in AuditResource]
    assert schema["x-enum-descriptions"][0] == "党员"


def test_the_audit_writer_refuses_a_resource_name_not_in_the_list():
    with pytest.raises(ValueError):
        audit.record(None, None, "x.done", "members", None, None)  # type: ignore[arg-type]
