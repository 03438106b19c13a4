"""The change feed's event types are one closed catalogue: each one is served by
`GET /changes` with its documented action and may be subscribed to; the domain events
(公示, 处分, 表彰, attachments) reach the feed through the HTTP API."""

from __future__ import annotations

import uuid
from datetime import date

from support import drain_changes, unique

from app.db import get_sessionmaker
from app.models.organisation import Organisation
from app.services.integration import changes

TODAY = date(2026, 11, 24)

V = "/api/v1"
PDF = b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n1 0 obj <<>> endobj\n" + b"x" * 3000 + b"\n%%EOF\n"


async def _events_of(api, token, cursor, resource_id):
    served, _ = await drain_changes(api, token, cursor)
    return [c["event_type"] for c in served if c["resource_id"] == resource_id]


async def test_every_catalogued_event_type_is_served_by_the_feed_with_its_action(api, county):
    _, cursor = await drain_changes(api, county.admin_a)
    written = {event_type: uuid.uuid4() for event_type in changes.EVENT_TYPES}
    async with get_sessionmaker()() as session, session.begin():
        path = (await session.get(Organisation, county.branch_a["id"])).path
        await changes.write(
            session,
            [
                {
                    "event_type": event_type,
                    "resource": changes.EVENT_TYPES[event_type][0].value,
                    "resource_id": ident,
                    "org_path": path,
                    "alt_path": None,
                    "version": None,
                    "payload": {},
                }
                for event_type, ident in written.items()
            ],
        )
    served, _ = await drain_changes(api, county.admin_a, cursor)
    by_id = {c["resource_id"]: c for c in served}
    for event_type, ident in written.items():
        change = by_id[str(ident)]
        resource, action = event_type.split(".")
        assert (change["event_type"], change["resource"], change["action"]) == (
            event_type,
            resource,
            action,
        )


async def test_every_catalogued_event_type_may_be_subscribed_to(api, county):
    r = await api.client.post(
        f"{V}/webhooks",
        json={
            "org_id": county.town_a["id"],
            "url": "https://receiver.invalid/all",
            "event_types": list(changes.EVENT_TYPES),
        },
        headers=api.auth(county.admin_a),
    )
    assert r.status_code == 201, r.text
    assert r.json()["event_types"] == sorted(changes.EVENT_TYPES)


async def test_a_state_change_of_a_resource_without_a_state_is_not_an_event_type(api, county):
    r = await api.client.post(
        f"{V}/webhooks",
        json={
            "org_id": county.town_a["id"],
            "url": "https://receiver.invalid/grid",
            "event_types": ["grid.state_changed"],
        },
        headers=api.auth(county.admin_a),
    )
    assert r.status_code == 422
    assert r.json()["code"] == "webhook.event_type_unknown"


async def test_a_notice_a_discipline_its_conclusion_and_a_reward_are_on_the_feed(
    api, county, frozen_today
):
    member = await api.member(county.county_admin, county.branch_a["id"])
    _, cursor = await drain_changes(api, county.admin_a)
    notice = await api.client.post(
        f"{V}/members/{member['id']}/notices",
        json={"kind": "admission", "starts_on": "2026-09-28", "ends_on": "2026-10-09"},
        headers=api.auth(county.admin_a),
    )
    assert notice.status_code == 201, notice.text
    discipline = await api.client.post(
        f"{V}/members/{member['id']}/disciplines",
        json={
            "kind": "probation",
            "period_years": 1,
            "org_id": county.branch_a["id"],
            "decided_on": "2025-06-01",
            "document_number": unique("纪字"),
        },
        headers=api.auth(county.admin_a),
    )
    assert discipline.status_code == 201, discipline.text
    concluded = await api.client.post(
        f"{V}/members/{member['id']}/disciplines/{discipline.json()['id']}/conclusion",
        json={
            "outcome": "rights_restored",
            "concluded_on": "2026-06-01",
            "document_number": unique("决"),
        },
        headers=api.auth(county.admin_a),
    )
    assert concluded.status_code == 200, concluded.text
    reward = await api.client.post(
        f"{V}/members/{member['id']}/rewards",
        json={
            "title": "优秀共产党员",
            "level": "county",
            "awarded_on": "2026-07-01",
            "org_id": county.county["id"],
            "document_number": unique("县委"),
        },
        headers=api.auth(county.county_admin),
    )
    assert reward.status_code == 201, reward.text
    served, _ = await drain_changes(api, county.admin_a, cursor)
    domain = [
        (c["event_type"], c["action"])
        for c in served
        if c["resource_id"] == member["id"] and c["event_type"] in set(changes.DomainEvent)
    ]
    assert domain == [
        ("member.notice_recorded", "notice_recorded"),
        ("member.disciplined", "disciplined"),
        ("member.discipline_concluded", "discipline_concluded"),
        ("member.rewarded", "rewarded"),
    ]
    others, _ = await drain_changes(api, county.admin_b, cursor)
    assert member["id"] not in {c["resource_id"] for c in others}


async def test_adding_and_deleting_a_file_are_events_of_its_owner(api, county):
    member = await api.member(county.admin_a, county.branch_a["id"])
    meeting = await api.client.post(
        f"{V}/meetings",
        json={
            "org_id": county.branch_a["id"],
            "type": "theme_day",
            "held_on": "2026-11-02",
            "topic": "主题党日",
        },
        headers=api.auth(county.admin_a),
    )
    assert meeting.status_code == 201, meeting.text
    for path, ident, resource in (
        (f"members/{member['id']}", member["id"], "member"),
        (f"meetings/{meeting.json()['id']}", meeting.json()["id"], "meeting"),
    ):
        _, cursor = await drain_changes(api, county.admin_a)
        added = await api.client.post(
            f"{V}/{path}/attachments",
            files={"file": ("纪实.pdf", PDF, "application/pdf")},
            headers=api.auth(county.admin_a),
        )
        assert added.status_code == 201, added.text
        deleted = await api.client.delete(
            f"{V}/attachments/{added.json()['id']}", headers=api.auth(county.admin_a)
        )
        assert deleted.status_code == 204, deleted.text
        assert await _events_of(api, county.admin_a, cursor, ident) == [
            f"{resource}.attachment_added",
            f"{resource}.attachment_deleted",
        ]
