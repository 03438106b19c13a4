"""To-dos (待办): computed from the rules the services own, for each principal's subtree;
the list holds exactly the situations set up, and nothing of another subtree."""

from __future__ import annotations

import uuid
from datetime import date

import pytest
from support import counting, unique

from app.models.enums import Role
from app.security.scope import Principal
from app.services.todos import listing
from app.services.todos.sources import SQL_SOURCES

TODAY = date(2026, 11, 24)
T = "/api/v1/todos"
NOT_MEETINGS = [
    "transfer_to_accept",
    "claim_to_approve",
    "change_request_to_decide",
    "member_flagged",
    "dues_arrears",
    "term_ending",
    "check_in_overdue",
]


pytestmark = pytest.mark.usefixtures("frozen_today")  # every test on `TODAY`


async def _post(api, token, path, body, expect=201):
    r = await api.client.post(f"/api/v1{path}", json=body, headers=api.auth(token))
    assert r.status_code == expect, r.text
    return r.json()


async def _situations(api, county):
    """One of each situation in branch A (town A's subtree), and a member of branch B
    sent to branch A."""
    admin, branch = county.admin_a, county.branch_a["id"]
    # Recently admitted: owes two months, no flag, no arrears.
    recent = {"status": "probationary", "joined_on": "2026-10-01", "dues_base_fen": 300_000}
    claimant = await api.member(admin, branch, name="申报人", **recent)
    _, claimant_token = await api.user(admin, "member", branch, member_id=claimant["id"])
    rule = await _post(
        api,
        admin,
        "/point-rules",
        {"org_id": branch, "code": unique("R"), "name": "志愿服务", "category": "bonus",
         "points": 2, "needs_approval": True},
    )  # fmt: skip
    claim = await _post(
        api,
        claimant_token,
        "/point-entries",
        {"member_id": claimant["id"], "rule_id": rule["id"], "occurred_on": "2026-11-01",
         "source_key": unique("k")},
    )  # fmt: skip
    # The claimant asks to correct their residence: the branch decides.
    change = await _post(api, claimant_token, "/me/change-requests", {"residence": "新住址"})
    # An applicant whose talk (谈话) is overdue: a member flag.
    applicant = await api.member(admin, branch, name="申请人", status="applicant",
                                 applied_on="2026-06-01")  # fmt: skip
    # A full member who paid nothing this year and went out in June without checking in.
    absent = await api.member(
        admin, branch, name="外出者", joined_on="2010-07-01", dues_base_fen=300_000
    )
    _, absent_token = await api.user(admin, "member", branch, member_id=absent["id"])
    episode = await _post(
        api,
        admin,
        "/mobile-episodes",
        {"member_id": absent["id"], "destination_area": "440305", "reason": "外出务工",
         "expected_months": 12, "certificate_no": unique("CERT"), "started_on": "2026-06-01",
         "location_consent": False},
    )  # fmt: skip
    # Branch A's term (3 years by default) ends within the 90-day warning.
    r = await api.client.patch(
        f"/api/v1/organisations/{branch}",
        json={"term_started_on": "2024-01-10"},
        headers=api.auth(admin),
    )
    assert r.status_code == 200, r.text
    # A member of branch B sent to branch A: awaiting A's acceptance.
    mover = await api.member(county.admin_b, county.branch_b["id"], name="转入者",
                             status="probationary", joined_on="2026-10-01")  # fmt: skip
    transfer = await _post(
        api,
        county.admin_b,
        "/transfers",
        {"member_id": mover["id"], "to_org_id": branch, "reason": "工作调动"},
    )
    return {
        "claim": claim,
        "applicant": applicant,
        "absent": absent,
        "absent_token": absent_token,
        "episode": episode,
        "transfer": transfer,
        "claimant_token": claimant_token,
        "change": change,
    }


def _due(transfer) -> str:
    """A transfer is due three months (the default policy) after the day it was sent."""
    from datetime import datetime

    from app.clock import local_date
    from app.services.lifecycle import add_months

    sent = local_date(datetime.fromisoformat(transfer["created_at"]))
    return add_months(sent, 3).isoformat()


def _seen(body):
    return {
        (t["kind"], t["code"], t["severity"], t["due_on"], t["link"]["resource"], t["link"]["id"])
        for t in body["items"]
    }


async def test_the_to_do_list_holds_exactly_the_situations_set_up(api, county):
    s = await _situations(api, county)
    branch = county.branch_a["id"]
    r = await api.client.get(
        T, params={"kind": NOT_MEETINGS, "limit": 500}, headers=api.auth(county.admin_a)
    )
    assert r.status_code == 200, r.text
    assert _seen(r.json()) == {
        ("transfer_to_accept", "transfer.pending", "warning", _due(s["transfer"]), "transfer",
         s["transfer"]["id"]),
        ("claim_to_approve", "points.pending", "info", None, "point_entry", s["claim"]["id"]),
        ("change_request_to_decide", "change_request.pending", "info", None,
         "member_change_request", s["change"]["id"]),
        ("member_flagged", "applicant.talk_overdue", "warning", None, "member",
         s["applicant"]["id"]),
        ("dues_arrears", "dues.six_months_unpaid", "error", None, "member", s["absent"]["id"]),
        ("check_in_overdue", "mobile.overdue", "warning", None, "mobile_episode",
         s["episode"]["id"]),
        ("term_ending", "term.ending_soon", "warning", "2027-01-10", "organisation", branch),
    }  # fmt: skip
    # The counts agree with the list, per kind.
    r = await api.client.get(f"{T}/counts", headers=api.auth(county.admin_a))
    counts = r.json()["by_kind"]
    assert {k: counts[k] for k in NOT_MEETINGS} == dict.fromkeys(NOT_MEETINGS, 1)
    assert r.json()["total"] == sum(counts.values())


async def test_another_subtree_sees_none_of_these_and_the_sender_does_not_accept(api, county):
    s = await _situations(api, county)
    r = await api.client.get(T, params={"limit": 500}, headers=api.auth(county.admin_b))
    assert r.status_code == 200
    ids = {t["link"]["id"] for t in r.json()["items"]}
    for key in ("claim", "applicant", "absent", "episode", "transfer", "change"):
        assert s[key]["id"] not in ids
    assert county.branch_a["id"] not in ids


async def test_a_member_sees_only_their_own_overdue_check_in(api, county):
    s = await _situations(api, county)
    r = await api.client.get(T, headers=api.auth(s["absent_token"]))
    assert _seen(r.json()) == {
        ("check_in_overdue", "mobile.overdue", "warning", None, "mobile_episode",
         s["episode"]["id"])
    }  # fmt: skip
    r = await api.client.get(T, headers=api.auth(s["claimant_token"]))
    assert r.json()["items"] == []
    # Checking in clears it.
    await _post(api, s["absent_token"], "/me/check-ins",
                {"kind": "report", "occurred_on": "2026-11-24"})  # fmt: skip
    r = await api.client.get(T, headers=api.auth(s["absent_token"]))
    assert r.json()["items"] == []


async def test_a_meeting_due_this_month_leaves_the_list_once_held(api, county):
    branch = county.branch_a["id"]
    params = {"kind": "meeting_due", "limit": 500}
    r = await api.client.get(T, params=params, headers=api.auth(county.admin_a))
    due = {t["code"]: t for t in r.json()["items"] if t["link"]["id"] == branch}
    # Party lectures are quarterly by default: due by the quarter's last day.
    assert due["meeting.party_lecture"]["due_on"] == "2026-12-31"
    assert due["meeting.party_lecture"]["severity"] == "warning"
    # The quarters already over without one were missed (error, no date to meet).
    assert due["meeting.party_lecture.missed"]["severity"] == "error"
    m = await _post(
        api,
        county.admin_a,
        "/meetings",
        {"org_id": branch, "type": "party_lecture", "held_on": "2026-11-20", "topic": "党课"},
    )
    await _post(api, county.admin_a, f"/meetings/{m['id']}/finalize", None, 200)
    r = await api.client.get(T, params=params, headers=api.auth(county.admin_a))
    codes = {t["code"] for t in r.json()["items"] if t["link"]["id"] == branch}
    assert "meeting.party_lecture" not in codes
    assert "meeting.party_lecture.missed" in codes


async def test_to_dos_page_with_a_cursor_in_due_order(api, county):
    await _situations(api, county)
    seen, cursor = [], None
    while True:
        params = {"limit": 2, "include_total": "true", **({"cursor": cursor} if cursor else {})}
        r = await api.client.get(T, params=params, headers=api.auth(county.admin_a))
        assert r.status_code == 200, r.text
        body = r.json()
        seen += body["items"]
        cursor = body["next_cursor"]
        if cursor is None:
            break
    assert len(seen) == body["total"]
    dated = [t["due_on"] for t in seen if t["due_on"]]
    assert dated == sorted(dated)
    assert seen[-1]["due_on"] is None  # undated last
    r = await api.client.get(T, params={"cursor": "bogus"}, headers=api.auth(county.admin_a))
    assert r.status_code == 422


async def test_an_entry_i_entered_is_not_mine_to_approve_and_an_auditor_decides_nothing(
    api, county
):
    admin, branch = county.admin_a, county.branch_a["id"]
    member = await api.member(admin, branch, status="probationary", joined_on="2026-10-01")
    rule = await _post(
        api,
        admin,
        "/point-rules",
        {"org_id": branch, "code": unique("R"), "name": "志愿服务", "category": "bonus",
         "points": 2, "needs_approval": True},
    )  # fmt: skip
    entry = await _post(
        api,
        admin,
        "/point-entries",
        {"member_id": member["id"], "rule_id": rule["id"], "occurred_on": "2026-11-01",
         "source_key": unique("k")},
    )  # fmt: skip
    params = {"kind": "claim_to_approve"}
    r = await api.client.get(T, params=params, headers=api.auth(admin))
    assert r.json()["items"] == []  # four eyes: the one who entered it does not approve it
    r = await api.client.get(T, params=params, headers=api.auth(county.county_admin))
    assert [t["link"]["id"] for t in r.json()["items"]] == [entry["id"]]
    _, auditor = await api.user(county.county_admin, "auditor", county.town_a["id"])
    r = await api.client.get(T, params=params, headers=api.auth(auditor))
    assert r.status_code == 200 and r.json()["items"] == []


async def _pages(api, token, size):
    seen, cursor = [], None
    while True:
        params = {"limit": size, **({"cursor": cursor} if cursor else {})}
        r = await api.client.get(T, params=params, headers=api.auth(token))
        assert r.status_code == 200, r.text
        assert len(r.json()["items"]) <= size
        seen += r.json()["items"]
        cursor = r.json()["next_cursor"]
        if cursor is None:
            return seen


async def test_pages_of_any_size_concatenate_to_the_whole_list_and_the_counts_count_it(api, county):
    await _situations(api, county)
    admin, branch = county.admin_a, county.branch_a["id"]
    # Two namesakes ask leave for one meeting: two items with one link, both listed once.
    twins = [await api.member(admin, branch, name="同名") for _ in range(2)]
    meeting = await _post(
        api,
        admin,
        "/meetings",
        {"org_id": branch, "type": "general_meeting", "held_on": "2026-12-20", "topic": "学习"},
    )
    for twin in twins:
        await _post(
            api,
            admin,
            f"/meetings/{meeting['id']}/leave-requests",
            {"reason": "出差", "member_id": twin["id"]},
        )
    r = await api.client.get(
        T, params={"limit": 500, "include_total": "true"}, headers=api.auth(admin)
    )
    whole = r.json()["items"]
    assert r.json()["next_cursor"] is None and r.json()["total"] == len(whole)
    kinds = {t["kind"] for t in whole}
    assert {"meeting_due", "leave_to_decide", "dues_arrears", "transfer_to_accept"} <= kinds
    r = await api.client.get(f"{T}/counts", headers=api.auth(admin))
    counts = r.json()
    assert counts["total"] == len(whole)
    assert counts["by_kind"] == {k: sum(t["kind"] == k for t in whole) for k in counts["by_kind"]}
    assert counts["by_kind"]["leave_to_decide"] == 2
    for size in (1, 4, 9):
        assert await _pages(api, admin, size) == whole, size
    # A page skips a kind whose items all come after a full page: where each kind's items
    # start is read off its select (`listing._least`); none of its items comes before.
    principal = Principal(None, "a", Role.org_admin, uuid.uuid4(), "/1/", None)
    starts = {
        kind: listing._least(kind, source(principal, TODAY)) for kind, source in SQL_SOURCES.items()
    }
    rank = {"error": 0, "warning": 1, "info": 2}
    for t in whole:
        if t["kind"] in starts:
            due = date.fromisoformat(t["due_on"]) if t["due_on"] else date.max
            assert (due, rank[t["severity"]], t["kind"]) >= starts[t["kind"]], t
    assert {t["kind"] for t in whole} >= set(starts)


async def test_a_kind_whose_items_all_come_after_a_full_page_is_not_queried(api, county):
    """The flagged members (every member's flags evaluated in the subtree, undated) are
    not read for a page that dated to-dos fill; they are for a page they reach."""
    await _situations(api, county)

    async def flag_statements(limit: int) -> int:
        with counting() as statements:
            r = await api.client.get(T, params={"limit": limit}, headers=api.auth(county.admin_a))
        assert r.status_code == 200, r.text
        return sum(") AS flagged" in s for s in statements)  # members_flagged's subquery

    assert await flag_statements(1) == 0
    assert await flag_statements(500) == 1


async def test_a_member_with_two_flags_is_two_flagged_items_and_the_counts_say_so(api, county):
    """The flagged members' count adds up each flag's members (`members_flagged_count`),
    one item per flag of a member: a member carrying two counts twice, as listed."""
    admin = county.admin_a
    both = await api.member(
        county.county_admin, county.branch_a["id"], status="probationary", joined_on="2020-01-01"
    )
    r = await api.client.get(T, params={"limit": 500}, headers=api.auth(admin))
    flagged = [t for t in r.json()["items"] if t["kind"] == "member_flagged"]
    own = [t["code"] for t in flagged if t["link"]["id"] == both["id"]]
    assert len(own) == 2, own
    r = await api.client.get(f"{T}/counts", headers=api.auth(admin))
    assert r.json()["by_kind"]["member_flagged"] == len(flagged)
