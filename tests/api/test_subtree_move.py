"""Moving an organisation (调整隶属关系) takes every record of its subtree along.

Every table that files a record under an organisation path is registered through
`org_path_column()`; the move rewrites exactly those columns. The first test keeps
the registry honest against the metadata, the second moves a community with data
of every kind and reads it as both township admins and as the database.
"""

from __future__ import annotations

import asyncio
import csv
import io
import uuid
from datetime import date

import pytest
from sqlalchemy import String, text
from support import drain_changes, new_id_number, unique

from app.db import get_sessionmaker
from app.models import Base, org_path_columns
from app.models.enums import Role
from app.security.scope import Principal
from app.services import organisations

TODAY = date(2026, 11, 24)
# Columns named like a path that hold something else; each says what.
NOT_ORGANISATION_PATHS = {
    ("idempotency_records", "path"): "the request's URL path, replayed on retries",
    ("organisation_placements", "path"): (
        "history: where an organisation sat from valid_from to valid_to; a move closes "
        "its rows and opens new ones, it must never rewrite them"
    ),
    # Kept member counts: keyed by the path at the time of counting, never rewritten; a
    # move is recorded as -1 under the old path and +1 under the new (migration 0030).
    ("member_stat_rollups", "path"): "a subtree's counts at the snapshot",
    ("member_stat_deltas", "org_path"): "a member's path when the change was recorded",
}


pytestmark = pytest.mark.usefixtures("frozen_today")  # every test on `TODAY`


def test_every_path_column_in_the_schema_is_registered_for_subtree_moves():
    registered = {(c.table.name, c.name) for c in org_path_columns()}
    named_like_paths = {
        (table.name, column.name)
        for table in Base.metadata.sorted_tables
        for column in table.columns
        if column.name.endswith("path") and isinstance(column.type, String)
    }
    unregistered = named_like_paths - registered - set(NOT_ORGANISATION_PATHS)
    assert not unregistered, f"path columns a move would forget: {sorted(unregistered)}"
    assert registered <= named_like_paths
    # Every registered column shares the collation the prefix indexes rely on.
    assert {c.type.collation for c in org_path_columns()} == {"C"}


async def _post(api, token, url, payload, expect=201):
    r = await api.client.post(url, json=payload, headers=api.auth(token))
    assert r.status_code == expect, r.text
    return r.json()


async def _moved_community_with_data_of_every_kind(api, county):
    """A community under township A with records in every path-carrying table,
    on both sides of the two-sided ones, then moved under township B."""
    admin = county.county_admin
    city = await api.county()  # an unrelated county: the far side of transfers and episodes
    community = await api.org(
        admin, county.town_a["id"], "committee", unit_category=7, name="幸福社区党委"
    )
    branch = await api.org(admin, community["id"], "branch", unit_category=7, name="幸福支部")
    _, community_admin = await api.user(admin, "org_admin", community["id"])
    members = [
        await api.member(admin, branch["id"], category="employed", dues_base_fen=500000)
        for _ in range(4)
    ]
    stayer, mover, traveller, reporter = members
    meeting = await _post(
        api,
        community_admin,
        "/api/v1/meetings",
        {
            "org_id": branch["id"],
            "type": "general_meeting",
            "held_on": "2026-11-10",
            "topic": "学习",
        },
    )
    attendance = [
        {"member_id": a["member_id"], "presence": "present"} for a in meeting["attendance"]
    ]
    r = await api.client.put(
        f"/api/v1/meetings/{meeting['id']}/attendance",
        json=attendance,
        headers=api.auth(community_admin),
    )
    assert r.status_code == 200, r.text
    r = await api.client.post(
        f"/api/v1/meetings/{meeting['id']}/finalize", headers=api.auth(community_admin)
    )
    assert r.status_code == 200, r.text
    await _post(
        api,
        community_admin,
        "/api/v1/point-schemes",
        {
            "org_id": branch["id"],
            "year": 2026,
            "base": 100,
            "grade_bands": [{"min": 60, "label": "合格"}],
        },
    )
    rule = await _post(
        api,
        community_admin,
        "/api/v1/point-rules",
        {
            "org_id": branch["id"],
            "code": unique("R"),
            "name": "志愿服务",
            "category": "bonus",
            "points": 2,
            "needs_approval": False,
        },
    )
    entry = await _post(
        api,
        community_admin,
        "/api/v1/point-entries",
        {
            "member_id": stayer["id"],
            "rule_id": rule["id"],
            "occurred_on": "2026-11-01",
            "source_key": unique("src"),
        },
    )
    grid = await _post(
        api,
        community_admin,
        "/api/v1/grids",
        {
            "code": unique("G"),
            "name": "一网格",
            "kind": "urban",
            "org_id": community["id"],
            "households": 300,
        },
    )
    outgoing = await _post(
        api,
        admin,
        "/api/v1/transfers",
        {"member_id": mover["id"], "to_org_id": city.branch_a["id"], "reason": "工作调动"},
    )
    stranger = await api.member(city.county_admin, city.branch_a["id"])
    incoming = await _post(
        api,
        city.admin_a,
        "/api/v1/transfers",
        {"member_id": stranger["id"], "to_org_id": branch["id"], "reason": "工作调动"},
    )
    episode = await _post(
        api,
        community_admin,
        "/api/v1/mobile-episodes",
        {
            "member_id": traveller["id"],
            "destination_area": "440305",
            "reason": "外出务工",
            "expected_months": 12,
            "contact": "13812348000",
            "certificate_no": unique("CERT"),
            "location_consent": True,
            "host_org_id": city.branch_a["id"],
            "started_on": "2026-03-01",
        },
    )
    visitor = await api.member(city.county_admin, city.branch_b["id"])
    hosted = await _post(
        api,
        city.admin_b,
        "/api/v1/mobile-episodes",
        {
            "member_id": visitor["id"],
            "destination_area": "110101",
            "reason": "外出务工",
            "expected_months": 6,
            "contact": "13812348001",
            "certificate_no": unique("CERT"),
            "location_consent": True,
            "host_org_id": branch["id"],
            "started_on": "2026-04-01",
        },
    )
    report = await _post(
        api,
        community_admin,
        f"/api/v1/members/{reporter['id']}/community-report",
        {"community_org_id": community["id"]},
    )
    payment = await _post(
        api,
        community_admin,
        "/api/v1/dues/payments",
        {
            "member_id": stayer["id"],
            "months": ["2026-11"],
            "amount_fen": 5000,
            "paid_on": "2026-11-20",
        },
    )
    await _post(
        api,
        community_admin,
        "/api/v1/webhooks",
        {"org_id": community["id"], "url": "https://receiver.invalid/hook", "event_types": ["*"]},
    )
    # A range of 志愿书 numbers issued to the community.
    await _post(
        api,
        admin,
        "/api/v1/form-number-ranges",
        {"org_id": community["id"], "prefix": unique("ZY"), "first_number": 1, "last_number": 9},
    )
    # A member's own correction request, filed under the member's branch.
    _, stayer_token = await api.user(admin, "member", branch["id"], member_id=stayer["id"])
    await _post(api, stayer_token, "/api/v1/me/change-requests", {"residence": "新住址"})
    rows = io.StringIO()
    csv.writer(rows).writerows(
        [
            ["姓名", "公民身份号码", "所在党组织编码", "党员状态", "人员类别"],
            ["导入者", new_id_number(), branch["code"], "正式党员", "在职"],
        ]
    )
    r = await api.client.post(
        "/api/v1/imports",
        params={"kind": "members"},
        files={"file": ("m.csv", rows.getvalue().encode())},
        headers=api.auth(community_admin),
    )
    assert r.status_code in (201, 202), r.text
    async with get_sessionmaker()() as session:
        old_path = await session.scalar(
            text("SELECT path FROM organisations WHERE id = :id"), {"id": community["id"]}
        )
    moved = await _post(
        api,
        admin,
        f"/api/v1/organisations/{community['id']}/move",
        {"new_parent_id": county.town_b["id"]},
        expect=200,
    )
    assert moved["parent_id"] == county.town_b["id"]
    return {
        "old_path": old_path,
        "community": community,
        "branch": branch,
        "stayer": stayer,
        "rule": rule,
        "reads": {
            "organisations": community["id"],
            "members": stayer["id"],
            "meetings": meeting["id"],
            "point-entries": entry["id"],
            "point-rules": rule["id"],
            "grids": grid["id"],
            "transfers": outgoing["id"],
            "mobile-episodes": episode["id"],
            "community-reports": report["id"],
        },
        "incoming": incoming,
        "hosted": hosted,
        "payment": payment,
    }


async def test_a_moved_community_takes_every_kind_of_record_to_its_new_township(api, county):
    moved = await _moved_community_with_data_of_every_kind(api, county)
    old_path = moved["old_path"]

    # The database: no registered column still files anything under the old path,
    # and every registered column holds a record of the moved community.
    async with get_sessionmaker()() as session:
        new_path = await session.scalar(
            text("SELECT path FROM organisations WHERE id = :id"),
            {"id": moved["community"]["id"]},
        )
        assert new_path != old_path
        for column in org_path_columns():
            table, name = column.table.name, column.name
            # The move's own change event stays filed under the place it left as well.
            keep = " AND event_type <> 'organisation.moved'" if table == "outbox_events" else ""
            left = await session.scalar(
                text(f"SELECT count(*) FROM {table} WHERE {name} LIKE :p{keep}"),  # noqa: S608
                {"p": old_path + "%"},
            )
            assert left == 0, f"{table}.{name} still files {left} rows under the old path"
            arrived = await session.scalar(
                text(f"SELECT count(*) FROM {table} WHERE {name} LIKE :p"),  # noqa: S608
                {"p": new_path + "%"},
            )
            assert arrived > 0, f"the test made no {table}.{name} row: add one"

    # The old township's admin sees none of it; the new township's admin sees all.
    for collection, record_id in moved["reads"].items():
        url = f"/api/v1/{collection}/{record_id}"
        old = await api.client.get(url, headers=api.auth(county.admin_a))
        assert old.status_code == 404, (url, old.text)
        new = await api.client.get(url, headers=api.auth(county.admin_b))
        assert new.status_code == 200, (url, new.text)
    for collection in ("meetings", "point-entries", "grids", "transfers", "mobile-episodes"):
        ids = moved["reads"][collection]
        seen_a = await api.client.get(
            f"/api/v1/{collection}", params={"limit": 200}, headers=api.auth(county.admin_a)
        )
        assert ids not in {x["id"] for x in seen_a.json()["items"]}, collection
        seen_b = await api.client.get(
            f"/api/v1/{collection}", params={"limit": 200}, headers=api.auth(county.admin_b)
        )
        assert ids in {x["id"] for x in seen_b.json()["items"]}, collection
    for side in ("incoming", "hosted"):
        url = "transfers" if side == "incoming" else "mobile-episodes"
        record = moved[side]["id"]
        b = await api.client.get(f"/api/v1/{url}/{record}", headers=api.auth(county.admin_b))
        assert b.status_code == 200, (side, b.text)
        a = await api.client.get(f"/api/v1/{url}/{record}", headers=api.auth(county.admin_a))
        assert a.status_code == 404, side

    # Reports under the new township count the branch: the meeting is held there,
    # the member ranks there, and the branch's own rule still applies to its member.
    town_b = county.town_b["id"]
    compliance = await api.client.get(
        f"/api/v1/organisations/{town_b}/meeting-compliance",
        params={"year": 2026, "quarter": 4},
        headers=api.auth(county.admin_b),
    )
    assert compliance.status_code == 200, compliance.text
    row = next(
        r
        for r in compliance.json()["rows"]
        if r["org_id"] == moved["branch"]["id"] and r["type"] == "general_meeting"
    )
    assert row["held"] == 1, row
    ranking = await api.client.get(
        f"/api/v1/organisations/{town_b}/points/ranking",
        params={"year": 2026},
        headers=api.auth(county.admin_b),
    )
    assert ranking.status_code == 200, ranking.text
    assert moved["stayer"]["id"] in {r["member_id"] for r in ranking.json()["items"]}
    award = await api.client.post(
        "/api/v1/point-entries",
        json={
            "member_id": moved["stayer"]["id"],
            "rule_id": moved["rule"]["id"],
            "occurred_on": "2026-11-02",
            "source_key": unique("src"),
        },
        headers=api.auth(county.admin_b),
    )
    assert award.status_code == 201, award.text
    ranking_a = await api.client.get(
        f"/api/v1/organisations/{county.town_a['id']}/points/ranking",
        params={"year": 2026},
        headers=api.auth(county.admin_a),
    )
    assert moved["stayer"]["id"] not in {r["member_id"] for r in ranking_a.json()["items"]}
    audit_a = await api.client.get(
        "/api/v1/audit-events", params={"limit": 200}, headers=api.auth(county.admin_a)
    )
    assert audit_a.status_code == 200
    assert moved["stayer"]["id"] not in {e.get("resource_id") for e in audit_a.json()["items"]}


async def test_writes_racing_a_move_wait_for_it_and_store_the_new_path(api, county):
    """A meeting planned and a due paid while a move of their branch is in flight wait
    for the move (it holds the rows they copy paths from) and file under the new path."""
    branch = await api.org(county.county_admin, county.town_a["id"], "branch")
    member = await api.member(county.county_admin, branch["id"], dues_base_fen=500000)
    console = Principal(None, "console", Role.system_admin, uuid.UUID(api.root_id), "/", None)
    maker = get_sessionmaker()
    async with maker() as session:
        transaction = await session.begin()
        org = await organisations.get_visible(session, console, uuid.UUID(branch["id"]))
        await organisations.move_organisation(session, console, org, uuid.UUID(county.town_b["id"]))
        new_path = org.path
        headers = api.auth(county.county_admin)
        meeting = asyncio.create_task(
            api.client.post(
                "/api/v1/meetings",
                json={
                    "org_id": branch["id"],
                    "type": "general_meeting",
                    "held_on": "2026-11-10",
                    "topic": "学习",
                },
                headers=headers,
            )
        )
        payment = asyncio.create_task(
            api.client.post(
                "/api/v1/dues/payments",
                json={
                    "member_id": member["id"],
                    "months": ["2026-11"],
                    "amount_fen": 5000,
                    "paid_on": "2026-11-20",
                },
                headers=headers,
            )
        )
        await asyncio.sleep(0.5)
        assert not meeting.done() and not payment.done(), "a write did not wait for the move"
        await transaction.commit()
    planned, paid = await meeting, await payment
    assert planned.status_code == 201, planned.text
    assert paid.status_code == 201, paid.text
    async with maker() as session:
        stored = await session.scalar(
            text("SELECT org_path FROM meetings WHERE id = :id"), {"id": planned.json()["id"]}
        )
        assert stored == new_path
        stored = await session.scalar(
            text("SELECT org_path FROM dues_payments WHERE member_id = :id"), {"id": member["id"]}
        )
        assert stored == new_path


async def test_both_parents_change_feeds_tell_of_the_move(api, county):
    """The old parent's integrators learn the branch left; the new parent's that it came."""
    branch = await api.org(county.county_admin, county.town_a["id"], "branch")
    _, cursor_a = await drain_changes(api, county.admin_a)
    _, cursor_b = await drain_changes(api, county.admin_b)
    r = await api.client.post(
        f"/api/v1/organisations/{branch['id']}/move",
        json={"new_parent_id": county.town_b["id"]},
        headers=api.auth(county.county_admin),
    )
    assert r.status_code == 200, r.text
    for token, cursor in ((county.admin_a, cursor_a), (county.admin_b, cursor_b)):
        seen, _ = await drain_changes(api, token, cursor)
        moved = [c for c in seen if c["event_type"] == "organisation.moved"]
        assert [(c["resource_id"], c["action"]) for c in moved] == [(branch["id"], "moved")]
