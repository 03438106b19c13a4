"""An award of a rule item the process knows is one statement that writes the line only
while its checks hold; one of an item not known yet reads the member and the item
unlocked first (`services/points/awards.py`, `create_entry`). Either way every refusal
answers its error and leaves nothing behind, no ledger line, no change-feed event, no
audit row; what it writes is what `append_entry` writes (approved or pending, signed
points, the audit record); a member changed after the read is checked as it is at the
write, an item changed or capped since it was read is read again, locked."""

from __future__ import annotations

import itertools
import uuid

import pytest
from sqlalchemy import text
from support import drain_changes

from app.db import get_engine, get_sessionmaker
from app.services.points import awards, caps

_keys = itertools.count()


def _key() -> str:
    return f"refusal-{next(_keys)}-{id(object())}"


async def _rule(api, token, org_id, **fields):
    payload = {"org_id": org_id, "code": _key(), "name": "学习", "category": "bonus"}
    payload |= {"points": 2, "needs_approval": False, **fields}
    r = await api.client.post("/api/v1/point-rules", json=payload, headers=api.auth(token))
    assert r.status_code == 201, r.text
    return r.json()


async def _award(api, token, member_id, rule_id, **extra):
    body = {"member_id": member_id, "rule_id": rule_id, "occurred_on": "2026-11-01"}
    body |= {"source_key": _key(), **extra}
    return await api.client.post("/api/v1/point-entries", json=body, headers=api.auth(token))


async def _written(member_id: str) -> tuple[int, int]:
    """The member's ledger lines and the audit rows about its points."""
    async with get_sessionmaker()() as session:
        lines = await session.scalar(
            text("SELECT count(*) FROM point_entries WHERE member_id = :m"), {"m": member_id}
        )
        audited = await session.scalar(
            text(
                "SELECT count(*) FROM audit_events WHERE resource = 'member'"
                " AND resource_id = :m AND action LIKE 'points.%'"
            ),
            {"m": member_id},
        )
    return lines, audited


@pytest.mark.parametrize("known", [False, True], ids=["item-not-known", "item-known"])
@pytest.mark.parametrize("needs_approval", [False, True])
async def test_refused_awards_answer_their_error_and_write_nothing(
    api, county, needs_approval, known
):
    """The same answers whether the item is read with the member first (not known to the
    process yet) or the write checks the member itself (known: an award of it before)."""
    token = county.county_admin
    member = await api.member(token, county.branch_a["id"])
    activist = await api.member(token, county.branch_a["id"], status="activist")
    county_id = county.county["id"]
    approval = {"needs_approval": needs_approval}
    plain = await _rule(api, token, county_id, **approval)
    evidence = await _rule(api, token, county_id, **approval, needs_evidence=True)
    elsewhere = await _rule(api, token, county.branch_b["id"], **approval)
    inactive = await _rule(api, token, county_id, **approval)
    if known:  # each item awarded once before, to a member it applies to
        for rule, org in ((plain, "branch_a"), (evidence, "branch_a"), (elsewhere, "branch_b")):
            primer = await api.member(token, getattr(county, org)["id"])
            r = await _award(api, token, primer["id"], rule["id"], evidence="签到表")
            assert r.status_code == 201, r.text
        r = await _award(api, token, primer["id"], inactive["id"])
        assert r.status_code == 201, r.text  # known while active, deactivated below
    r = await api.client.patch(
        f"/api/v1/point-rules/{inactive['id']}", json={"active": False}, headers=api.auth(token)
    )
    assert r.status_code == 200, r.text
    _, cursor = await drain_changes(api, token)
    refusals = [
        (member["id"], evidence["id"], 422, "points.evidence_required"),
        (member["id"], elsewhere["id"], 422, "points.rule_not_applicable"),
        (member["id"], inactive["id"], 409, "points.rule_inactive"),
        (activist["id"], plain["id"], 409, "points.member_not_scored"),
        (activist["id"], inactive["id"], 409, "points.member_not_scored"),  # member first
        (str(uuid.uuid4()), plain["id"], 404, "member.not_found"),
    ]
    for member_id, rule_id, status, code in refusals:
        refused = await _award(api, token, member_id, rule_id)
        assert refused.status_code == status, refused.text
        assert refused.json()["code"] == code
    # Out of the caller's sight: the member as absent (404), whatever it would write.
    hidden = await _award(api, county.admin_b, member["id"], plain["id"])
    assert hidden.status_code == 404, hidden.text
    assert hidden.json()["code"] == "member.not_found"
    # A member's claim names the claimant, or the member is as absent.
    claimant = await api.member(token, county.branch_a["id"])
    _, own = await api.user(county.admin_a, "member", county.branch_a["id"], claimant["id"])
    not_theirs = await _award(api, own, member["id"], plain["id"])
    assert not_theirs.status_code == 404, not_theirs.text
    assert not_theirs.json()["code"] == "member.not_found"
    for someone in (member, activist):
        assert await _written(someone["id"]) == (0, 0)
    changes, _ = await drain_changes(api, token, cursor)
    assert not [c for c in changes if c["resource"] == "point_entry"]


async def _known(api, token, org_id, **fields) -> dict:
    """A rule item this process knows: awarded once (to a member made for it)."""
    rule = await _rule(api, token, org_id, **fields)
    primer = await api.member(token, org_id)
    r = await _award(api, token, primer["id"], rule["id"])
    assert r.status_code == 201, r.text
    assert caps.known_rule(uuid.UUID(rule["id"])) is not None
    return rule


async def test_an_item_changed_since_it_became_known_is_awarded_as_it_is_now(api, county):
    token = county.county_admin
    rule = await _known(api, token, county.branch_a["id"])
    r = await api.client.patch(
        f"/api/v1/point-rules/{rule['id']}", json={"points": 5}, headers=api.auth(token)
    )
    assert r.status_code == 200, r.text
    member = await api.member(token, county.branch_a["id"])
    awarded = await _award(api, token, member["id"], rule["id"])
    assert awarded.status_code == 201, awarded.text
    assert awarded.json()["points"] == 5
    assert awarded.json()["rule_version"] == r.json()["version"] == rule["version"] + 1


async def test_an_item_moved_since_it_became_known_is_checked_where_it_is_now(api, county):
    """The item and the member moved together (their organisation moved) since the item
    became known: the write refuses (not the path it knew), the read finds both anew."""
    token = county.county_admin
    rule = await _known(api, token, county.branch_a["id"])
    member = await api.member(token, county.branch_a["id"])
    async with get_engine().begin() as conn:  # as a subtree move rewrites both paths
        for table, row in (("point_rules", rule["id"]), ("members", member["id"])):
            await conn.execute(
                text(
                    f"UPDATE {table} SET org_path = (SELECT path FROM organisations"  # noqa: S608  # constant names
                    " WHERE id = :o) WHERE id = :id"
                ),
                {"id": row, "o": county.branch_b["id"]},
            )
    r = await _award(api, token, member["id"], rule["id"])
    assert r.status_code == 201, r.text
    assert await _written(member["id"]) == (1, 1)


@pytest.mark.parametrize(
    ("change", "code"),
    [("active = false", "points.rule_inactive"), ("cap_month = 1", "points.cap_exceeded")],
    ids=["deactivated", "capped"],
)
async def test_a_known_item_changed_without_a_new_version_is_checked_as_it_is(
    api, county, change, code
):
    """A change that keeps the item's version (a bulk write): the write still refuses an
    item no longer active or now capped (2 points against a cap of 1), and the read
    answers why."""
    token = county.county_admin
    rule = await _known(api, token, county.branch_a["id"])  # 2 points
    member = await api.member(token, county.branch_a["id"])
    async with get_engine().begin() as conn:
        await conn.execute(
            text(f"UPDATE point_rules SET {change} WHERE id = :r"),  # noqa: S608  # constant text
            {"r": rule["id"]},
        )
    r = await _award(api, token, member["id"], rule["id"])
    assert r.status_code == 409, r.text
    assert r.json()["code"] == code
    assert await _written(member["id"]) == (0, 0)


async def test_a_known_item_awarded_on_a_login_ended_since_is_refused_401(api, county):
    rule = await _known(api, county.county_admin, county.branch_a["id"])
    member = await api.member(county.county_admin, county.branch_a["id"])
    user, _ = await api.user(county.county_admin, "org_admin", county.county["id"])
    login = await api.login(user["username"])
    token = login["access_token"]
    first = await _award(api, token, member["id"], rule["id"])
    assert first.status_code == 201, first.text  # the login's principal is known now
    r = await api.client.post(
        "/api/v1/auth/logout",
        json={"refresh_token": login["refresh_token"]},
        headers=api.auth(token),
    )
    assert r.status_code == 204, r.text
    refused = await _award(api, token, member["id"], rule["id"])
    assert refused.status_code == 401, refused.text
    assert await _written(member["id"]) == (1, 1)


@pytest.mark.parametrize("needs_approval", [False, True])
async def test_an_award_writes_the_line_append_entry_writes(api, county, needs_approval):
    token = county.county_admin
    member = await api.member(token, county.branch_a["id"])
    deduction = {"category": "deduction", "points": 3, "needs_approval": needs_approval}
    rule = await _rule(api, token, county.county["id"], **deduction)
    r = await _award(api, token, member["id"], rule["id"], note="迟到", evidence="签到表")
    assert r.status_code == 201, r.text
    entry = r.json()
    assert entry["points"] == -3 and entry["category"] == "deduction"
    assert entry["state"] == ("pending" if needs_approval else "approved")
    assert (entry["note"], entry["evidence"]) == ("迟到", "签到表")
    async with get_sessionmaker()() as session:
        row = (
            await session.execute(
                text(
                    "SELECT created_by IS NOT NULL, decided_by IS NOT NULL,"
                    " decided_at IS NOT NULL, created_by = decided_by, year, org_path"
                    " FROM point_entries WHERE id = :id"
                ),
                {"id": entry["id"]},
            )
        ).one()
        after = await session.scalar(
            text("SELECT after FROM audit_events WHERE resource_id = :m AND action = :a"),
            {"m": member["id"], "a": "points.awarded"},
        )
    decided = not needs_approval
    assert tuple(row[:3]) == (True, decided, decided)
    assert row[3] is (True if decided else None)
    assert row[4] == 2026 and row[5]
    assert after == {"entry_id": entry["id"], "points": -3, "source_key": entry["source_key"]}


def _changed_after_the_read(monkeypatch, sql: str, **values) -> list[bool]:
    """`sql` committed by another connection right after the award's first (unlocked)
    read: what a concurrent writer may do between the award's two statements. Returns
    the `lock` of each read the award made."""
    reads: list[bool] = []
    read = awards.read_for_award

    async def read_then_change(session, principal, member_id, rule_id, lock=True):
        found = await read(session, principal, member_id, rule_id, lock)
        reads.append(lock)
        if len(reads) == 1:
            async with get_engine().begin() as conn:
                await conn.execute(text(sql), values)
        return found

    monkeypatch.setattr(awards, "read_for_award", read_then_change)
    return reads


async def test_a_member_suspended_between_the_read_and_the_write_is_not_scored(
    api, county, monkeypatch
):
    token = county.county_admin
    member = await api.member(token, county.branch_a["id"])
    rule = await _rule(api, token, county.county["id"])
    reads = _changed_after_the_read(
        monkeypatch, "UPDATE members SET status = 'suspended' WHERE id = :m", m=member["id"]
    )
    r = await _award(api, token, member["id"], rule["id"])
    assert r.status_code == 409, r.text
    assert r.json()["code"] == "points.member_not_scored"
    assert reads == [False]  # the write checked the member as it is now, and said why
    assert await _written(member["id"]) == (0, 0)


@pytest.mark.parametrize("needs_approval", [False, True])
async def test_a_member_moved_between_the_read_and_the_write_is_scored_at_its_new_place(
    api, county, monkeypatch, needs_approval
):
    token = county.county_admin
    member = await api.member(token, county.branch_a["id"])
    rule = await _rule(api, token, county.county["id"], needs_approval=needs_approval)
    moved_to = county.branch_b
    reads = _changed_after_the_read(
        monkeypatch,
        "UPDATE members SET org_id = :o, org_path = (SELECT path FROM organisations"
        " WHERE id = :o) WHERE id = :m",
        m=member["id"],
        o=moved_to["id"],
    )
    r = await _award(api, token, member["id"], rule["id"])
    assert r.status_code == 201, r.text
    assert reads == [False]  # the write checked the member where it is now
    async with get_sessionmaker()() as session:
        path, now = (
            await session.execute(
                text(
                    "SELECT e.org_path, m.org_path FROM point_entries AS e"
                    " JOIN members AS m ON m.id = e.member_id WHERE e.id = :e"
                ),
                {"e": r.json()["id"]},
            )
        ).one()
        branch_b = await session.scalar(
            text("SELECT path FROM organisations WHERE id = :o"), {"o": moved_to["id"]}
        )
    assert path == now == branch_b
    assert await _written(member["id"]) == (1, 1)


async def test_a_cap_set_between_the_read_and_the_write_is_checked(api, county, monkeypatch):
    token = county.county_admin
    member = await api.member(token, county.branch_a["id"])
    rule = await _rule(api, token, county.county["id"], points=2)
    reads = _changed_after_the_read(
        monkeypatch, "UPDATE point_rules SET cap_month = 1 WHERE id = :r", r=rule["id"]
    )
    r = await _award(api, token, member["id"], rule["id"])
    assert r.status_code == 409, r.text
    assert r.json()["code"] == "points.cap_exceeded"
    assert reads == [False, True]
    assert await _written(member["id"]) == (0, 0)


async def test_a_replayed_source_key_answers_the_line_it_wrote(api, county):
    token = county.county_admin
    member = await api.member(token, county.branch_a["id"])
    rule = await _rule(api, token, county.county["id"])
    first = await _award(api, token, member["id"], rule["id"], source_key="replayed")
    again = await _award(api, token, member["id"], rule["id"], source_key="replayed")
    assert (first.status_code, again.status_code) == (201, 200)
    assert again.json() == first.json()
    assert await _written(member["id"]) == (1, 1)
