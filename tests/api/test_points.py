"""Points engine: schemes and capped items, claims, caps under concurrency, meetings,
rankings, and the ledger invariant."""

from __future__ import annotations

import asyncio
import itertools
from datetime import date

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import text
from support import drain_changes

from app.db import get_sessionmaker

TODAY = date(2026, 11, 24)

YEAR = 2026
_keys = itertools.count()


pytestmark = pytest.mark.usefixtures("frozen_today")  # every test on `TODAY`


def key(prefix="k"):
    return f"{prefix}-{next(_keys)}-{id(object())}"


async def _scheme(api, token, org_id, base=100, bands=None):
    r = await api.client.post(
        "/api/v1/point-schemes",
        json={
            "org_id": org_id,
            "year": YEAR,
            "base": base,
            "grade_bands": bands
            if bands is not None
            else [{"min": 96, "label": "五星"}, {"min": 60, "label": "一星"}],
        },
        headers=api.auth(token),
    )
    assert r.status_code == 201, r.text
    return r.json()


async def _rule(api, token, org_id, expect=201, **fields):
    payload = {
        "org_id": org_id,
        "code": key("R"),
        "name": "志愿服务",
        "category": "bonus",
        "points": 2,
        # Most tests award directly; tests of approval ask for it.
        "needs_approval": False,
    }
    payload.update(fields)
    r = await api.client.post("/api/v1/point-rules", json=payload, headers=api.auth(token))
    assert r.status_code == expect, r.text
    return r.json()


async def _entry(api, token, member_id, rule_id, occurred_on="2026-11-01", **extra):
    return await api.client.post(
        "/api/v1/point-entries",
        json={
            "member_id": member_id,
            "rule_id": rule_id,
            "occurred_on": occurred_on,
            "source_key": key(),
            **extra,
        },
        headers=api.auth(token),
    )


async def _balance(api, token, member_id):
    r = await api.client.get(
        f"/api/v1/members/{member_id}/points", params={"year": YEAR}, headers=api.auth(token)
    )
    assert r.status_code == 200, r.text
    return r.json()


async def _ledger_total(member_id):
    """Recompute from the ledger table, independently of the service; every caller
    also checks that the total kept by the database triggers (rankings) agrees."""
    async with get_sessionmaker()() as session:
        value = await session.scalar(
            text(
                "SELECT COALESCE(sum(points), 0) FROM point_entries "
                "WHERE member_id = :m AND year = :y AND state = 'approved'"
            ),
            {"m": member_id, "y": YEAR},
        )
        kept = await session.execute(
            text(
                "SELECT t.points, t.org_path = m.org_path FROM members AS m "
                "LEFT JOIN point_totals AS t ON t.member_id = m.id AND t.year = :y "
                "WHERE m.id = :m"
            ),
            {"m": member_id, "y": YEAR},
        )
    kept_points, same_path = kept.one()
    assert (kept_points or 0) == int(value), "point_totals disagrees with the ledger"
    assert kept_points is None or same_path, "point_totals has a stale org_path"
    return int(value)


async def test_township_refines_a_county_item_only_within_its_cap(api, county):
    await _scheme(api, county.county_admin, county.county["id"])
    parent = await _rule(api, county.county_admin, county.county["id"], points=2, cap_year=10)
    within = await _rule(
        api, county.admin_a, county.town_a["id"], parent_rule_id=parent["id"], points=1, cap_year=8
    )
    assert within["parent_rule_id"] == parent["id"]
    r = await api.client.post(
        "/api/v1/point-rules",
        json={
            "org_id": county.town_a["id"],
            "code": key("R"),
            "name": "超限",
            "category": "bonus",
            "points": 2,
            "cap_year": 12,
            "parent_rule_id": parent["id"],
        },
        headers=api.auth(county.admin_a),
    )
    assert r.status_code == 409
    assert r.json()["code"] == "points.cap_exceeds_parent"


async def test_a_claim_waits_for_approval_and_a_rejected_claim_never_counts(api, county):
    await _scheme(api, county.county_admin, county.county["id"], base=60)
    rule = await _rule(api, county.county_admin, county.county["id"], points=5, needs_approval=True)
    member = await api.member(county.county_admin, county.branch_a["id"])
    _, member_token = await api.user(county.admin_a, "member", county.branch_a["id"], member["id"])
    first = (await _entry(api, member_token, member["id"], rule["id"])).json()
    second = (await _entry(api, member_token, member["id"], rule["id"])).json()
    assert first["state"] == second["state"] == "pending"
    assert (await _balance(api, member_token, member["id"]))["total"] == 60
    _, secretary = await api.user(county.admin_a, "branch_secretary", county.branch_a["id"])
    r = await api.client.post(
        f"/api/v1/point-entries/{first['id']}/approve", headers=api.auth(secretary)
    )
    assert r.json()["state"] == "approved"
    r = await api.client.post(
        f"/api/v1/point-entries/{second['id']}/reject",
        json={"reason": "无佐证"},
        headers=api.auth(secretary),
    )
    assert r.json()["state"] == "rejected"
    balance = await _balance(api, member_token, member["id"])
    assert (balance["base"], balance["total"], balance["by_category"]["bonus"]) == (60, 65, 5)
    # A member cannot approve their own claim.
    third = (await _entry(api, member_token, member["id"], rule["id"])).json()
    r = await api.client.post(
        f"/api/v1/point-entries/{third['id']}/approve", headers=api.auth(member_token)
    )
    assert r.status_code == 403


async def test_the_same_source_never_scores_twice(api, county):
    rule = await _rule(api, county.county_admin, county.county["id"], points=3)
    member = await api.member(county.county_admin, county.branch_a["id"])
    payload = {
        "member_id": member["id"],
        "rule_id": rule["id"],
        "occurred_on": "2026-11-02",
        "source_key": key("src"),
    }
    results = await asyncio.gather(
        *[
            api.client.post("/api/v1/point-entries", json=payload, headers=api.auth(county.admin_a))
            for _ in range(8)
        ]
    )
    assert sorted(r.status_code for r in results).count(201) == 1
    assert len({r.json()["id"] for r in results}) == 1
    assert await _ledger_total(member["id"]) == 3


async def test_members_in_different_subtrees_use_the_same_source_key_independently(api, county):
    # A source key is the member's own: another subtree's use of it is neither refused
    # nor revealed.
    rule = await _rule(api, county.county_admin, county.county["id"], points=3)
    member_a = await api.member(county.county_admin, county.branch_a["id"])
    member_b = await api.member(county.county_admin, county.branch_b["id"])
    shared = key("shared")
    first = await _entry(api, county.admin_a, member_a["id"], rule["id"], source_key=shared)
    second = await _entry(api, county.admin_b, member_b["id"], rule["id"], source_key=shared)
    assert (first.status_code, second.status_code) == (201, 201), second.text
    assert first.json()["id"] != second.json()["id"]
    assert first.json()["source_key"] == second.json()["source_key"] == shared
    assert await _ledger_total(member_a["id"]) == 3
    assert await _ledger_total(member_b["id"]) == 3


async def test_a_source_key_scores_one_member_once_and_a_replay_returns_the_entry(api, county):
    rule = await _rule(api, county.county_admin, county.county["id"], points=3)
    other_rule = await _rule(api, county.county_admin, county.county["id"], points=5)
    member = await api.member(county.county_admin, county.branch_a["id"])
    source = key("once")
    first = await _entry(api, county.admin_a, member["id"], rule["id"], source_key=source)
    assert first.status_code == 201, first.text
    replay = await _entry(api, county.admin_a, member["id"], rule["id"], source_key=source)
    assert replay.status_code == 200
    assert replay.json() == first.json()
    reused = await _entry(api, county.admin_a, member["id"], other_rule["id"], source_key=source)
    assert reused.status_code == 409
    assert reused.json()["code"] == "points.source_key_used"
    assert await _ledger_total(member["id"]) == 3


async def test_an_award_writes_one_feed_event_and_one_audit_row_and_its_replay_neither(api, county):
    _, cursor = await drain_changes(api, county.admin_a)
    rule = await _rule(api, county.county_admin, county.county["id"], points=3)
    member = await api.member(county.county_admin, county.branch_a["id"])
    source = key("audited")
    first = await _entry(api, county.admin_a, member["id"], rule["id"], source_key=source)
    assert first.status_code == 201, first.text
    replay = await _entry(api, county.admin_a, member["id"], rule["id"], source_key=source)
    assert replay.status_code == 200, replay.text
    changes, _ = await drain_changes(api, county.admin_a, cursor)
    created = [c for c in changes if c["resource"] == "point_entry"]
    assert [(c["resource_id"], c["action"]) for c in created] == [(first.json()["id"], "created")]
    events = await api.client.get(
        "/api/v1/audit-events",
        params={"resource": "member", "resource_id": member["id"]},
        headers=api.auth(county.county_admin),
    )
    assert events.status_code == 200, events.text
    awarded = [e for e in events.json()["items"] if e["action"] == "points.awarded"]
    assert len(awarded) == 1, awarded
    assert awarded[0]["actor_username"]
    assert awarded[0]["after"] == {
        "entry_id": first.json()["id"],
        "points": 3,
        "source_key": source,
    }


async def test_an_award_answers_with_the_documented_entry_as_it_is_stored(api, county):
    # The POST writes its body from the inserted row (orjson, no model): it must be an
    # EntryRead field for field, equal to what GET returns, with Location pointing there.
    from app.schemas.points import EntryRead

    rule = await _rule(api, county.county_admin, county.county["id"], points=4)
    member = await api.member(county.county_admin, county.branch_a["id"])
    r = await _entry(api, county.admin_a, member["id"], rule["id"], note="扶贫帮困")
    assert r.status_code == 201, r.text
    body = r.json()
    assert set(body) == set(EntryRead.model_fields)
    assert EntryRead.model_validate(body).model_dump(mode="json") == body
    assert body["state"] == "approved" and body["points"] == 4 and body["note"] == "扶贫帮困"
    stored = await api.client.get(r.headers["location"], headers=api.auth(county.admin_a))
    assert stored.status_code == 200
    assert stored.json() == body
    again = await api.client.post(
        "/api/v1/point-entries",
        json={
            "member_id": member["id"],
            "rule_id": rule["id"],
            "occurred_on": "2026-11-01",
            "source_key": body["source_key"],
        },
        headers=api.auth(county.admin_a),
    )
    assert again.status_code == 200
    assert again.json() == body


async def test_fifty_parallel_awards_against_a_cap_of_ten_leave_exactly_ten(api, county):
    rule = await _rule(api, county.county_admin, county.county["id"], points=1, cap_year=10)
    member = await api.member(county.county_admin, county.branch_a["id"])
    results = await asyncio.gather(
        *[_entry(api, county.admin_a, member["id"], rule["id"]) for _ in range(50)]
    )
    codes = [r.status_code for r in results]
    assert codes.count(201) == 10
    assert codes.count(409) == 40
    assert {r.json()["code"] for r in results if r.status_code == 409} == {"points.cap_exceeded"}
    assert await _ledger_total(member["id"]) == 10
    assert (await _balance(api, county.admin_a, member["id"]))["by_category"]["bonus"] == 10


async def test_monthly_cap_resets_each_month(api, county):
    rule = await _rule(api, county.county_admin, county.county["id"], points=2, cap_month=2)
    member = await api.member(county.county_admin, county.branch_a["id"])
    assert (
        await _entry(api, county.admin_a, member["id"], rule["id"], "2026-10-03")
    ).status_code == 201
    assert (
        await _entry(api, county.admin_a, member["id"], rule["id"], "2026-10-20")
    ).status_code == 409
    assert (
        await _entry(api, county.admin_a, member["id"], rule["id"], "2026-11-03")
    ).status_code == 201


async def test_reversal_removes_the_points_and_leaves_a_trail(api, county):
    await _scheme(api, county.county_admin, county.county["id"], base=100)
    rule = await _rule(
        api, county.county_admin, county.county["id"], category="deduction", points=4
    )
    member = await api.member(county.county_admin, county.branch_a["id"])
    entry = (await _entry(api, county.admin_a, member["id"], rule["id"])).json()
    assert entry["points"] == -4
    assert (await _balance(api, county.admin_a, member["id"]))["total"] == 96
    r = await api.client.post(
        f"/api/v1/point-entries/{entry['id']}/reverse",
        json={"reason": "误扣"},
        headers=api.auth(county.admin_a),
    )
    assert r.status_code == 201
    assert r.json()["reverses_entry_id"] == entry["id"]
    balance = await _balance(api, county.admin_a, member["id"])
    assert balance["total"] == 100
    assert {e["state"] for e in balance["entries"]} == {"reversed"}
    assert len(balance["entries"]) == 2


async def test_finalizing_a_meeting_scores_attendance_once(api, county):
    await _rule(api, county.county_admin, county.county["id"], points=2, trigger="meeting.present")
    await _rule(
        api,
        county.county_admin,
        county.county["id"],
        category="deduction",
        points=3,
        trigger="meeting.absent",
    )
    branch = await api.org(county.county_admin, county.town_a["id"], "branch")
    a, b, c = [await api.member(county.county_admin, branch["id"]) for _ in range(3)]
    meeting = (
        await api.client.post(
            "/api/v1/meetings",
            json={
                "org_id": branch["id"],
                "type": "theme_day",
                "held_on": "2026-11-05",
                "topic": "主题党日",
            },
            headers=api.auth(county.admin_a),
        )
    ).json()
    await api.client.put(
        f"/api/v1/meetings/{meeting['id']}/attendance",
        json=[
            {"member_id": a["id"], "presence": "present"},
            {"member_id": b["id"], "presence": "absent"},
            {"member_id": c["id"], "presence": "excused", "reason": "病假"},
        ],
        headers=api.auth(county.admin_a),
    )
    headers = {**api.auth(county.admin_a), "Idempotency-Key": key("fin")}
    first = await api.client.post(f"/api/v1/meetings/{meeting['id']}/finalize", headers=headers)
    replay = await api.client.post(f"/api/v1/meetings/{meeting['id']}/finalize", headers=headers)
    again = await api.client.post(
        f"/api/v1/meetings/{meeting['id']}/finalize", headers=api.auth(county.admin_a)
    )
    assert (first.status_code, replay.status_code, again.status_code) == (200, 200, 409)
    assert [await _ledger_total(m["id"]) for m in (a, b, c)] == [2, -3, 0]


async def test_ranking_matches_a_recomputation_with_ties_and_my_rank(api, county):
    await _scheme(
        api,
        county.county_admin,
        county.county["id"],
        base=60,
        bands=[{"min": 70, "label": "优"}, {"min": 62, "label": "合格"}],
    )
    rule = await _rule(api, county.county_admin, county.county["id"], points=5)
    branch = await api.org(county.county_admin, county.town_a["id"], "branch")
    members = [await api.member(county.county_admin, branch["id"]) for _ in range(5)]
    awards = [3, 1, 1, 0, 2]
    for member, n in zip(members, awards, strict=True):
        for _ in range(n):
            assert (await _entry(api, county.admin_a, member["id"], rule["id"])).status_code == 201
    _, me_token = await api.user(county.admin_a, "member", branch["id"], members[4]["id"])
    r = await api.client.get(
        f"/api/v1/organisations/{branch['id']}/points/ranking",
        params={"year": YEAR, "limit": 10},
        headers=api.auth(me_token),
    )
    assert r.status_code == 200, r.text
    mine = r.json()  # a member user: its own place only
    assert [i["member_id"] for i in mine["items"]] == [members[4]["id"]]
    assert (mine["me"]["member_id"], mine["me"]["rank"]) == (members[4]["id"], 2)
    r = await api.client.get(
        f"/api/v1/organisations/{branch['id']}/points/ranking",
        params={"year": YEAR, "limit": 10},
        headers=api.auth(county.admin_a),
    )
    assert r.status_code == 200, r.text
    ranking = r.json()
    ranking["me"] = mine["me"]
    expected = {m["id"]: 60 + 5 * n for m, n in zip(members, awards, strict=True)}
    assert {i["member_id"]: i["total"] for i in ranking["items"]} == expected
    for item in ranking["items"]:
        assert item["total"] == 60 + await _ledger_total(item["member_id"])
    ranks = {i["member_id"]: i["rank"] for i in ranking["items"]}
    assert ranks[members[1]["id"]] == ranks[members[2]["id"]] == 3
    assert ranks[members[3]["id"]] == 5
    assert ranking["me"]["member_id"] == members[4]["id"]
    assert ranking["me"]["rank"] == 2
    below = [i for i in ranking["items"] if i["below_lowest_band"]]
    assert [i["member_id"] for i in below] == [members[3]["id"]]
    excellent = [i for i in ranking["items"] if i["suggested_review_grade"] == "excellent"]
    assert len(excellent) <= len(members) // 3


async def test_excellent_grades_are_capped_at_a_third_of_full_members(api, county):
    branch = await api.org(county.county_admin, county.town_a["id"], "branch")
    fulls = [await api.member(county.county_admin, branch["id"]) for _ in range(6)]
    prob = await api.member(
        county.county_admin, branch["id"], status="probationary", joined_on="2026-03-01"
    )
    url = f"/api/v1/organisations/{branch['id']}/points/review-grades"
    grades = [{"member_id": m["id"], "grade": "excellent"} for m in fulls[:3]]
    r = await api.client.post(
        url, json={"year": YEAR, "grades": grades}, headers=api.auth(county.admin_a)
    )
    assert r.json()["code"] == "points.excellent_over_third"
    r = await api.client.post(
        url, json={"year": YEAR, "grades": grades[:2]}, headers=api.auth(county.admin_a)
    )
    assert r.status_code == 200
    r = await api.client.post(
        url,
        json={"year": YEAR, "grades": [{"member_id": prob["id"], "grade": "qualified"}]},
        headers=api.auth(county.admin_a),
    )
    assert r.json()["code"] == "points.only_full_members_graded"


async def test_points_are_scoped(api, county):
    rule = await _rule(api, county.county_admin, county.county["id"], points=1)
    member = await api.member(county.county_admin, county.branch_a["id"])
    entry = (await _entry(api, county.admin_a, member["id"], rule["id"])).json()
    headers = api.auth(county.admin_b)
    assert (
        await api.client.get(f"/api/v1/point-entries/{entry['id']}", headers=headers)
    ).status_code == 404
    assert (
        await api.client.get(f"/api/v1/members/{member['id']}/points", headers=headers)
    ).status_code == 404
    assert (await _entry(api, county.admin_b, member["id"], rule["id"])).status_code == 404
    listed = await api.client.get("/api/v1/point-entries", params={"limit": 500}, headers=headers)
    assert entry["id"] not in {e["id"] for e in listed.json()["items"]}
    r = await api.client.get(
        f"/api/v1/organisations/{county.town_a['id']}/points/ranking", headers=headers
    )
    assert r.status_code == 404
    ranking = await api.client.get(
        f"/api/v1/organisations/{county.town_b['id']}/points/ranking", headers=headers
    )
    assert member["id"] not in {i["member_id"] for i in ranking.json()["items"]}


OPS = st.lists(
    st.tuples(
        st.sampled_from(["award", "deduct", "claim", "approve", "reject", "reverse"]),
        st.integers(min_value=0, max_value=20),
    ),
    min_size=1,
    max_size=25,
)


@settings(max_examples=15, deadline=None, suppress_health_check=list(HealthCheck))
@given(ops=OPS)
async def test_balance_always_equals_base_plus_approved_entries(api, ops):
    county = await api.county()
    await _scheme(api, county.county_admin, county.county["id"], base=100)
    bonus = await _rule(api, county.county_admin, county.county["id"], points=3, cap_year=30)
    minus = await _rule(
        api, county.county_admin, county.county["id"], category="deduction", points=2
    )
    # Claims go through a township refinement that needs approval; the county cap binds it.
    claimable = await _rule(
        api,
        county.admin_a,
        county.town_a["id"],
        points=3,
        cap_year=30,
        parent_rule_id=bonus["id"],
        needs_approval=True,
    )
    member = await api.member(county.county_admin, county.branch_a["id"])
    _, member_token = await api.user(county.admin_a, "member", county.branch_a["id"], member["id"])
    entries: list[str] = []
    for op, pick in ops:
        if op == "award":
            r = await _entry(api, county.admin_a, member["id"], bonus["id"])
        elif op == "deduct":
            r = await _entry(api, county.admin_a, member["id"], minus["id"])
        elif op == "claim":
            r = await _entry(api, member_token, member["id"], claimable["id"])
        elif entries:
            target = entries[pick % len(entries)]
            if op == "approve":
                r = await api.client.post(
                    f"/api/v1/point-entries/{target}/approve", headers=api.auth(county.admin_a)
                )
            else:
                r = await api.client.post(
                    f"/api/v1/point-entries/{target}/{op}",
                    json={"reason": "测试"},
                    headers=api.auth(county.admin_a),
                )
        else:
            continue
        assert r.status_code in (200, 201, 409), r.text
        if r.status_code == 201 and op in ("award", "deduct", "claim"):
            entries.append(r.json()["id"])
        balance = await _balance(api, county.admin_a, member["id"])
        assert balance["total"] == 100 + await _ledger_total(member["id"])
        approved = sum(e["points"] for e in balance["entries"] if e["state"] == "approved")
        assert balance["total"] == balance["base"] + approved
        assert balance["by_category"]["bonus"] <= 30


async def test_parallel_mixed_requests_keep_the_invariant(api, county):
    await _scheme(api, county.county_admin, county.county["id"], base=100)
    bonus = await _rule(api, county.county_admin, county.county["id"], points=2, cap_month=20)
    minus = await _rule(
        api, county.county_admin, county.county["id"], category="deduction", points=1
    )
    member = await api.member(county.county_admin, county.branch_a["id"])
    created = await asyncio.gather(
        *[
            _entry(api, county.admin_a, member["id"], (bonus if i % 3 else minus)["id"])
            for i in range(30)
        ]
    )
    ids = [r.json()["id"] for r in created if r.status_code == 201]
    await asyncio.gather(
        *[
            api.client.post(
                f"/api/v1/point-entries/{i}/reverse",
                json={"reason": "并发"},
                headers=api.auth(county.admin_a),
            )
            for i in ids[::4]
        ]
    )
    balance = await _balance(api, county.admin_a, member["id"])
    assert balance["total"] == 100 + await _ledger_total(member["id"])
    assert balance["by_category"]["bonus"] <= 20


async def test_new_entries_claims_and_reversals_reach_the_change_feed(api, county):
    _, cursor = await drain_changes(api, county.admin_a)
    rule = await _rule(api, county.county_admin, county.county["id"], points=2)
    member = await api.member(county.county_admin, county.branch_a["id"])
    entry = (await _entry(api, county.admin_a, member["id"], rule["id"])).json()
    reversal = await api.client.post(
        f"/api/v1/point-entries/{entry['id']}/reverse",
        json={"reason": "误录"},
        headers=api.auth(county.admin_a),
    )
    assert reversal.status_code == 201
    changes, _ = await drain_changes(api, county.admin_a, cursor)
    events = {(c["resource_id"], c["action"]) for c in changes if c["resource"] == "point_entry"}
    assert (entry["id"], "created") in events
    assert (entry["id"], "state_changed") in events
    assert (reversal.json()["id"], "created") in events


async def test_a_members_points_follow_them_when_their_branch_moves(api, county):
    await _scheme(api, county.county_admin, county.county["id"], base=100)
    rule = await _rule(api, county.county_admin, county.county["id"], points=7)
    member = await api.member(county.county_admin, county.branch_a["id"])
    assert (await _entry(api, county.admin_a, member["id"], rule["id"])).status_code == 201
    r = await api.client.post(
        f"/api/v1/organisations/{county.branch_a['id']}/move",
        json={"new_parent_id": county.town_b["id"]},
        headers=api.auth(county.county_admin),
    )
    assert r.status_code == 200, r.text
    assert await _ledger_total(member["id"]) == 7  # also: the kept total moved along
    ranking = await api.client.get(
        f"/api/v1/organisations/{county.town_b['id']}/points/ranking",
        params={"year": YEAR},
        headers=api.auth(county.admin_b),
    )
    assert ranking.status_code == 200, ranking.text
    totals = {row["member_id"]: row["total"] for row in ranking.json()["items"]}
    assert totals[member["id"]] == 107


async def _chain(api, county, points, **grandchild):
    """A county item capped at 10 a year, refined by township then by branch (each
    refinement's own cap no larger than its parent's)."""
    top = await _rule(api, county.county_admin, county.county["id"], points=points, cap_year=10)
    child = await _rule(
        api,
        county.admin_a,
        county.town_a["id"],
        points=points,
        cap_year=10,
        parent_rule_id=top["id"],
    )
    fields = {"points": points, "cap_year": 10, **grandchild}
    return top, await _rule(
        api, county.admin_a, county.branch_a["id"], parent_rule_id=child["id"], **fields
    )


async def test_a_county_cap_of_ten_holds_through_a_grandchild_item(api, county):
    top, grandchild = await _chain(api, county, points=2)
    member = await api.member(county.county_admin, county.branch_a["id"])
    for rule in (top, top, top, grandchild, grandchild):
        r = await _entry(api, county.admin_a, member["id"], rule["id"])
        assert r.status_code == 201, r.text
    assert await _ledger_total(member["id"]) == 10
    r = await _entry(api, county.admin_a, member["id"], grandchild["id"])
    assert r.status_code == 409
    assert r.json()["code"] == "points.cap_exceeded"
    assert await _ledger_total(member["id"]) == 10


async def test_two_approvals_racing_for_the_last_point_under_a_grandchild_one_wins(api, county):
    top, direct = await _chain(api, county, points=1)
    pending = await _rule(
        api,
        county.admin_a,
        county.branch_a["id"],
        points=1,
        cap_year=10,
        parent_rule_id=direct["parent_rule_id"],
        needs_approval=True,
    )
    member = await api.member(county.county_admin, county.branch_a["id"])
    for _ in range(9):
        assert (await _entry(api, county.admin_a, member["id"], top["id"])).status_code == 201
    first, second = [
        (await _entry(api, county.admin_a, member["id"], pending["id"])).json() for _ in range(2)
    ]
    assert first["state"] == second["state"] == "pending"
    _, other_admin = await api.user(county.county_admin, "org_admin", county.town_a["id"])
    results = await asyncio.gather(
        *(
            api.client.post(f"/api/v1/point-entries/{e['id']}/approve", headers=api.auth(token))
            for e, token in ((first, county.county_admin), (second, other_admin))
        )
    )
    assert sorted(r.status_code for r in results) == [200, 409]
    assert {r.json()["code"] for r in results if r.status_code == 409} == {"points.cap_exceeded"}
    assert await _ledger_total(member["id"]) == 10


async def test_an_award_under_needs_approval_waits_and_its_author_cannot_approve_it(api, county):
    rule = await _rule(api, county.county_admin, county.county["id"], points=4, needs_approval=True)
    member = await api.member(county.county_admin, county.branch_a["id"])
    r = await _entry(api, county.admin_a, member["id"], rule["id"])
    assert r.status_code == 201
    entry = r.json()
    assert entry["state"] == "pending"
    assert await _ledger_total(member["id"]) == 0
    own = await api.client.post(
        f"/api/v1/point-entries/{entry['id']}/approve", headers=api.auth(county.admin_a)
    )
    assert own.status_code == 403
    assert own.json()["code"] == "points.own_entry_not_approvable"
    other = await api.client.post(
        f"/api/v1/point-entries/{entry['id']}/approve", headers=api.auth(county.county_admin)
    )
    assert other.status_code == 200
    assert other.json()["state"] == "approved"
    assert await _ledger_total(member["id"]) == 4


async def test_a_claim_under_an_item_without_approval_is_approved_at_once(api, county):
    rule = await _rule(
        api, county.county_admin, county.county["id"], points=3, needs_approval=False
    )
    member = await api.member(county.county_admin, county.branch_a["id"])
    _, member_token = await api.user(county.admin_a, "member", county.branch_a["id"], member["id"])
    r = await _entry(api, member_token, member["id"], rule["id"])
    assert r.status_code == 201
    assert r.json()["state"] == "approved"
    assert await _ledger_total(member["id"]) == 3


async def test_excellent_share_is_counted_per_branch_when_graded_through_a_township(api, county):
    small = await api.org(county.county_admin, county.town_a["id"], "branch")
    large = await api.org(county.county_admin, county.town_a["id"], "branch")
    smalls = [await api.member(county.county_admin, small["id"]) for _ in range(3)]
    for _ in range(9):
        await api.member(county.county_admin, large["id"])
    url = f"/api/v1/organisations/{county.town_a['id']}/points/review-grades"
    # 2 of the small branch's 3 is over a third there, whatever the township's 12.
    two = [{"member_id": m["id"], "grade": "excellent"} for m in smalls[:2]]
    r = await api.client.post(
        url, json={"year": YEAR, "grades": two}, headers=api.auth(county.admin_a)
    )
    assert r.status_code == 409
    assert r.json()["code"] == "points.excellent_over_third"
    r = await api.client.post(
        url, json={"year": YEAR, "grades": two[:1]}, headers=api.auth(county.admin_a)
    )
    assert r.status_code == 200, r.text
    # Through the branch itself the earlier excellent grade still counts.
    r = await api.client.post(
        f"/api/v1/organisations/{small['id']}/points/review-grades",
        json={"year": YEAR, "grades": two[1:]},
        headers=api.auth(county.admin_a),
    )
    assert r.status_code == 409


async def test_suggested_excellent_is_a_third_of_each_branch_when_ranked_through_a_township(
    api, county
):
    await _scheme(api, county.county_admin, county.county["id"], base=100)
    rule = await _rule(api, county.county_admin, county.county["id"], points=1)
    three = await api.org(county.county_admin, county.town_a["id"], "branch")
    two = await api.org(county.county_admin, county.town_a["id"], "branch")
    nine = await api.org(county.county_admin, county.town_a["id"], "branch")
    best = [await api.member(county.county_admin, org["id"]) for org in (three,) * 3 + (two,) * 2]
    for member in best:  # the five best of the township sit in the two small branches
        assert (await _entry(api, county.admin_a, member["id"], rule["id"])).status_code == 201
    for _ in range(9):
        await api.member(county.county_admin, nine["id"])
    r = await api.client.get(
        f"/api/v1/organisations/{county.town_a['id']}/points/ranking",
        params={"year": YEAR, "limit": 100},
        headers=api.auth(county.admin_a),
    )
    assert r.status_code == 200, r.text
    excellent = {
        i["member_id"] for i in r.json()["items"] if i["suggested_review_grade"] == "excellent"
    }
    members = await api.client.get(
        "/api/v1/members",
        params={"within": county.town_a["id"], "limit": 500},
        headers=api.auth(county.admin_a),
    )
    branch_of = {m["id"]: m["org_id"] for m in members.json()["items"]}
    per_branch = {org["id"]: 0 for org in (three, two, nine)}
    for member_id in excellent:
        per_branch[branch_of[member_id]] += 1
    # floor(full / 3) in each: 3 full -> 1, 2 full -> 0, 9 full -> 3 (the township's
    # 14 would have given its 4 to the two small branches).
    assert per_branch == {three["id"]: 1, two["id"]: 0, nine["id"]: 3}


async def test_a_county_cap_of_ten_admits_the_tenth_point_and_refuses_the_eleventh_across_the_chain(
    api, county
):
    top, grandchild = await _chain(api, county, points=1)
    child_id = grandchild["parent_rule_id"]
    member = await api.member(county.county_admin, county.branch_a["id"])
    # 5 + 3 + 2: no refinement reaches its own cap of 10, only the county item's chain.
    for rule_id in [top["id"]] * 5 + [child_id] * 3 + [grandchild["id"]] * 2:
        r = await _entry(api, county.admin_a, member["id"], rule_id)
        assert r.status_code == 201, r.text
    assert await _ledger_total(member["id"]) == 10
    for rule_id in (grandchild["id"], child_id, top["id"]):
        r = await _entry(api, county.admin_a, member["id"], rule_id)
        assert r.status_code == 409
        assert r.json()["code"] == "points.cap_exceeded"
    assert await _ledger_total(member["id"]) == 10


async def test_two_awards_racing_for_the_last_point_under_a_grandchild_one_wins(api, county):
    top, grandchild = await _chain(api, county, points=1)
    member = await api.member(county.county_admin, county.branch_a["id"])
    for _ in range(9):
        assert (await _entry(api, county.admin_a, member["id"], top["id"])).status_code == 201
    _, other_admin = await api.user(county.county_admin, "org_admin", county.town_a["id"])
    results = await asyncio.gather(
        _entry(api, county.admin_a, member["id"], grandchild["id"]),
        _entry(api, other_admin, member["id"], grandchild["id"]),
    )
    assert sorted(r.status_code for r in results) == [201, 409]
    assert {r.json()["code"] for r in results if r.status_code == 409} == {"points.cap_exceeded"}
    assert await _ledger_total(member["id"]) == 10


async def test_a_lowered_county_cap_binds_the_refinements_at_once(api, county):
    top, grandchild = await _chain(api, county, points=1)
    member = await api.member(county.county_admin, county.branch_a["id"])
    for _ in range(3):
        r = await _entry(api, county.admin_a, member["id"], grandchild["id"])
        assert r.status_code == 201, r.text
    # Lowered from the bottom up (a refinement's cap never exceeds its parent's), the
    # county's new cap binds the next award through the whole chain.
    for rule_id, token in (
        (grandchild["id"], county.admin_a),
        (grandchild["parent_rule_id"], county.admin_a),
        (top["id"], county.county_admin),
    ):
        r = await api.client.patch(
            f"/api/v1/point-rules/{rule_id}", json={"cap_year": 3}, headers=api.auth(token)
        )
        assert r.status_code == 200, r.text
    r = await _entry(api, county.admin_a, member["id"], top["id"])
    assert r.status_code == 409
    assert r.json()["code"] == "points.cap_exceeded"


async def test_an_administrator_never_approves_points_that_score_their_own_member_record(
    api, county
):
    rule = await _rule(api, county.county_admin, county.county["id"], points=4, needs_approval=True)
    member = await api.member(county.county_admin, county.branch_a["id"])
    _, secretary = await api.user(
        county.admin_a, "branch_secretary", county.branch_a["id"], member["id"]
    )
    r = await _entry(api, county.admin_a, member["id"], rule["id"])
    assert r.status_code == 201
    entry = r.json()
    own = await api.client.post(
        f"/api/v1/point-entries/{entry['id']}/approve", headers=api.auth(secretary)
    )
    assert own.status_code == 403
    assert own.json()["code"] == "points.own_entry_not_approvable"
    assert await _ledger_total(member["id"]) == 0
    other = await api.client.post(
        f"/api/v1/point-entries/{entry['id']}/approve", headers=api.auth(county.county_admin)
    )
    assert other.status_code == 200
    assert await _ledger_total(member["id"]) == 4


async def test_a_county_cap_cannot_drop_below_a_refinements_cap(api, county):
    top = await _rule(api, county.county_admin, county.county["id"], points=1, cap_year=10)
    await _rule(
        api, county.admin_a, county.town_a["id"], points=1, cap_year=8, parent_rule_id=top["id"]
    )
    url = f"/api/v1/point-rules/{top['id']}"
    r = await api.client.patch(url, json={"cap_year": 7}, headers=api.auth(county.county_admin))
    assert r.status_code == 409
    assert r.json()["code"] == "points.cap_exceeds_parent"
    r = await api.client.patch(url, json={"cap_year": 8}, headers=api.auth(county.county_admin))
    assert r.status_code == 200, r.text


async def test_a_refinement_and_a_lowered_parent_cap_racing_never_both_pass(api, county):
    for _ in range(3):
        top = await _rule(api, county.county_admin, county.county["id"], points=1, cap_year=10)
        lower, refine = await asyncio.gather(
            api.client.patch(
                f"/api/v1/point-rules/{top['id']}",
                json={"cap_year": 5},
                headers=api.auth(county.county_admin),
            ),
            api.client.post(
                "/api/v1/point-rules",
                json={
                    "org_id": county.town_a["id"],
                    "code": key("R"),
                    "name": "细化",
                    "category": "bonus",
                    "points": 1,
                    "cap_year": 8,
                    "needs_approval": False,
                    "parent_rule_id": top["id"],
                },
                headers=api.auth(county.admin_a),
            ),
        )
        # Whichever comes second sees the first: a child cap of 8 under a parent of 5 never.
        codes = (lower.status_code, refine.status_code)
        assert codes in ((200, 409), (409, 201)), (lower.text, refine.text)
        loser = lower if codes[0] == 409 else refine
        assert loser.json()["code"] == "points.cap_exceeds_parent"
