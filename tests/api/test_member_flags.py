"""Flags raised from other records onto the member: a move suggests a transfer, a
留党察看 past its period awaits its outcome."""

from __future__ import annotations

from datetime import date

import pytest

V = "/api/v1"
TODAY = date(2026, 11, 24)


async def _flags(api, county, member_id):
    r = await api.client.get(f"{V}/members/{member_id}", headers=api.auth(county.county_admin))
    return set(r.json()["flags"])


async def _patch(api, county, member_id, **changes):
    r = await api.client.patch(
        f"{V}/members/{member_id}", json=changes, headers=api.auth(county.admin_a)
    )
    assert r.status_code == 200, r.text


async def test_a_changed_work_unit_or_residence_suggests_a_transfer(api, county, frozen_today):
    for field in ("work_unit", "residence"):
        member = await api.member(county.county_admin, county.branch_a["id"], **{field: "旧址"})
        assert "transfer.suggested" not in await _flags(api, county, member["id"])
        await _patch(api, county, member["id"], **{field: "旧址"})  # unchanged: no move
        assert "transfer.suggested" not in await _flags(api, county, member["id"])
        await _patch(api, county, member["id"], **{field: "新址"})
        assert "transfer.suggested" in await _flags(api, county, member["id"])
        r = await api.client.get(
            f"{V}/members",
            params={"flag": "transfer.suggested", "limit": 500},
            headers=api.auth(county.admin_a),
        )
        assert member["id"] in {m["id"] for m in r.json()["items"]}


async def test_filling_in_a_blank_work_unit_is_no_move(api, county, frozen_today):
    member = await api.member(county.county_admin, county.branch_a["id"])
    await _patch(api, county, member["id"], work_unit="县医院")
    assert "transfer.suggested" not in await _flags(api, county, member["id"])


async def test_a_transfer_started_after_the_move_answers_the_suggestion(api, county, frozen_today):
    member = await api.member(county.county_admin, county.branch_a["id"], work_unit="县医院")
    await _patch(api, county, member["id"], work_unit="市医院")
    r = await api.client.post(
        f"{V}/transfers",
        json={"member_id": member["id"], "to_org_id": county.branch_b["id"], "reason": "工作调动"},
        headers=api.auth(county.admin_a),
    )
    assert r.status_code == 201, r.text
    assert "transfer.suggested" not in await _flags(api, county, member["id"])


async def test_a_probation_past_its_period_without_an_outcome_is_flagged(api, county, frozen_today):
    member = await api.member(county.county_admin, county.branch_a["id"])
    r = await api.client.post(
        f"{V}/members/{member['id']}/disciplines",
        json={
            "kind": "probation",
            "period_years": 1,
            "org_id": county.branch_a["id"],
            "decided_on": "2025-11-25",
            "document_number": "纪〔2025〕1号",
        },
        headers=api.auth(county.admin_a),
    )
    assert r.status_code == 201, r.text
    assert "discipline.outcome_due" not in await _flags(api, county, member["id"])
    frozen_today["day"] = date(2026, 11, 25)  # ends_on: the period is over
    assert "discipline.outcome_due" in await _flags(api, county, member["id"])
    r = await api.client.post(
        f"{V}/members/{member['id']}/disciplines/{r.json()['id']}/conclusion",
        json={"outcome": "rights_restored", "concluded_on": "2026-11-25", "document_number": "纪2"},
        headers=api.auth(county.admin_a),
    )
    assert r.status_code == 200, r.text
    assert "discipline.outcome_due" not in await _flags(api, county, member["id"])


async def test_a_mobile_episode_past_its_expected_months_is_flagged(api, county, frozen_today):
    member = await api.member(county.county_admin, county.branch_a["id"])
    r = await api.client.post(
        f"{V}/mobile-episodes",
        json={
            "member_id": member["id"],
            "destination_area": "440305",
            "reason": "务工",
            "expected_months": 6,
            "certificate_no": "C-flag-1",
            "location_consent": False,
            "started_on": "2026-05-24",
        },
        headers=api.auth(county.admin_a),
    )
    assert r.status_code == 201, r.text
    started = date.fromisoformat(r.json()["started_on"])
    end = date(started.year + (started.month + 5) // 12, (started.month + 5) % 12 + 1, started.day)
    frozen_today["day"] = end  # exactly its expected months: not yet past them
    assert "mobile.expected_period_exceeded" not in await _flags(api, county, member["id"])
    frozen_today["day"] = date.fromordinal(end.toordinal() + 1)
    assert "mobile.expected_period_exceeded" in await _flags(api, county, member["id"])


async def test_a_community_registration_not_reviewed_this_year_is_flagged(
    api, county, frozen_today
):
    community = await api.org(
        county.county_admin, county.town_a["id"], "committee", unit_category=7
    )
    member = await api.member(county.county_admin, county.branch_a["id"], category="employed")
    r = await api.client.post(
        f"{V}/members/{member['id']}/community-report",
        json={"community_org_id": community["id"]},
        headers=api.auth(county.admin_a),
    )
    assert r.status_code == 201, r.text
    report = r.json()
    assert "community_report.review_due" not in await _flags(api, county, member["id"])
    frozen_today["day"] = date(2027, 1, 1)
    assert "community_report.review_due" in await _flags(api, county, member["id"])
    r = await api.client.post(
        f"{V}/community-reports/{report['id']}/review",
        json={"year": 2027, "status": "passed"},
        headers=api.auth(county.county_admin),
    )
    assert r.status_code in (200, 201), r.text
    assert "community_report.review_due" not in await _flags(api, county, member["id"])


async def test_a_post_held_since_before_a_removal_from_post_is_flagged(api, county, frozen_today):
    member = await api.member(county.county_admin, county.branch_a["id"])
    leaders = f"{V}/organisations/{county.branch_a['id']}/leaders"
    r = await api.client.post(
        leaders,
        json={"member_id": member["id"], "role": "propaganda_member", "started_on": "2024-01-01"},
        headers=api.auth(county.county_admin),
    )
    assert r.status_code == 201, r.text
    assert "discipline.post_still_held" not in await _flags(api, county, member["id"])
    r = await api.client.post(
        f"{V}/members/{member['id']}/disciplines",
        json={
            "kind": "removal_from_post",
            "org_id": county.town_a["id"],
            "decided_on": "2026-11-01",
            "document_number": "纪〔2026〕3号",
        },
        headers=api.auth(county.admin_a),
    )
    assert r.status_code == 201, r.text
    assert "discipline.post_still_held" in await _flags(api, county, member["id"])


async def _arrears_flagged(api, county, org_id, as_of):
    r = await api.client.get(
        f"{V}/organisations/{org_id}/dues/arrears",
        params={"months": 6, "as_of": as_of},
        headers=api.auth(county.admin_a),
    )
    assert r.status_code == 200, r.text
    return {i["member_id"]: i["flags"] for i in r.json()["items"]}


async def test_six_owed_months_unpaid_flag_the_member_as_the_arrears_report_does(
    api, county, frozen_today
):
    frozen_today["day"] = date(2026, 6, 15)
    branch = await api.org(county.county_admin, county.town_a["id"], "branch")
    six = await api.member(county.county_admin, branch["id"], category="farmer")
    # Admitted in February: January is not owed, so five months ending with June.
    five = await api.member(
        county.county_admin,
        branch["id"],
        category="farmer",
        status="probationary",
        joined_on="2026-02-01",
    )
    # Admitted on the last day of January: January is owed, six months.
    late_jan = await api.member(
        county.county_admin,
        branch["id"],
        category="farmer",
        status="probationary",
        joined_on="2026-01-31",
    )
    assert "dues.six_months_unpaid" in await _flags(api, county, six["id"])
    assert "dues.six_months_unpaid" in await _flags(api, county, late_jan["id"])
    assert "dues.six_months_unpaid" not in await _flags(api, county, five["id"])
    report = await _arrears_flagged(api, county, branch["id"], "2026-06-15")
    assert report[six["id"]] == report[late_jan["id"]] == ["dues.six_months_unpaid"]
    assert report[five["id"]] == []
    listed = await api.client.get(
        f"{V}/members",
        params={"flag": "dues.six_months_unpaid", "org_id": branch["id"], "limit": 50},
        headers=api.auth(county.admin_a),
    )
    assert {m["id"] for m in listed.json()["items"]} == {six["id"], late_jan["id"]}


async def test_one_paid_month_in_the_six_clears_the_unpaid_flag(api, county, frozen_today):
    frozen_today["day"] = date(2026, 6, 15)
    branch = await api.org(county.county_admin, county.town_a["id"], "branch")
    member = await api.member(county.county_admin, branch["id"], category="farmer")
    r = await api.client.post(
        f"{V}/dues/payments",
        json={"member_id": member["id"], "months": ["2026-01"], "amount_fen": 50}
        | {"paid_on": "2026-06-15"},
        headers=api.auth(county.admin_a),
    )
    assert r.status_code == 201, r.text
    assert "dues.six_months_unpaid" not in await _flags(api, county, member["id"])


# The month held suspended throughout: March (suspended 10 February, restored 20 April),
# or the first of the six, January, with the member restored on February's first day.
@pytest.mark.parametrize(
    ("suspended_on", "restored_on"), [("2026-02-10", "2026-04-20"), ("2025-12-10", "2026-02-01")]
)
async def test_a_month_suspended_throughout_breaks_the_six_even_after_the_member_is_restored(
    api, county, frozen_today, suspended_on, restored_on
):
    frozen_today["day"] = date(2026, 6, 15)
    branch = await api.org(county.county_admin, county.town_a["id"], "branch")
    gap = await api.member(county.county_admin, branch["id"], category="farmer")
    every = await api.member(county.county_admin, branch["id"], category="farmer")
    # A month held suspended all month was not owed; the months of the suspension's
    # start and end were owed on some of their days.
    steps = [("suspended", suspended_on), ("full", restored_on)]
    await api.transitions(county.county_admin, gap["id"], steps)
    assert "dues.six_months_unpaid" not in await _flags(api, county, gap["id"])
    assert "dues.six_months_unpaid" in await _flags(api, county, every["id"])
    report = await _arrears_flagged(api, county, branch["id"], "2026-06-15")
    assert (report[gap["id"]], report[every["id"]]) == ([], ["dues.six_months_unpaid"])
    r = await api.client.get(
        f"{V}/todos", params={"kind": "dues_arrears"}, headers=api.auth(county.admin_a)
    )
    listed = {t["link"]["id"] for t in r.json()["items"]}
    assert every["id"] in listed and gap["id"] not in listed
