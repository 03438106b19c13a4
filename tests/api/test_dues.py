"""Dues through the API: assessment, payments and their refusals, reliefs, arrears."""

from __future__ import annotations

from datetime import date

import pytest

TODAY = date(2026, 11, 24)
PAY = "/api/v1/dues/payments"


pytestmark = pytest.mark.usefixtures("frozen_today")  # every test on `TODAY`


async def _assess(api, token, member_id, month="2026-11"):
    r = await api.client.get(
        f"/api/v1/members/{member_id}/dues/assessment",
        params={"month": month},
        headers=api.auth(token),
    )
    assert r.status_code == 200, r.text
    return r.json()


async def _pay(api, token, member_id, months, amount, paid_on="2026-11-20"):
    return await api.client.post(
        PAY,
        json={"member_id": member_id, "months": months, "amount_fen": amount, "paid_on": paid_on},
        headers=api.auth(token),
    )


@pytest.mark.parametrize(
    ("category", "base_fen", "amount_fen", "rate"),
    [
        ("employed", 300_000, 1500, "0.005"),
        ("employed", 300_001, 3000, "0.01"),
        ("employed", 500_000, 5000, "0.01"),
        ("employed", 500_001, 7500, "0.015"),
        ("employed", 1_000_000, 15000, "0.015"),
        ("employed", 1_000_001, 20000, "0.02"),
        ("retired", 500_000, 2500, "0.005"),
        ("retired", 500_001, 5000, "0.01"),
        ("farmer", None, 50, None),
        ("student", None, 20, None),
        ("unemployed", None, 20, None),
        ("on_relief", None, 20, None),
        ("on_relief", 900_000, 20, None),
    ],
)
async def test_assessment_at_bracket_boundaries(api, county, category, base_fen, amount_fen, rate):
    member = await api.member(
        county.county_admin, county.branch_a["id"], category=category, dues_base_fen=base_fen
    )
    a = await _assess(api, county.admin_a, member["id"])
    assert a["amount_fen"] == amount_fen
    assert a["rate"] == rate
    assert a["due"] is True


async def test_probationary_members_pay_from_the_month_of_admission(api, county):
    member = await api.member(
        county.county_admin,
        county.branch_a["id"],
        status="probationary",
        joined_on="2026-09-15",
        category="student",
    )
    assert (await _assess(api, county.admin_a, member["id"], "2026-08"))["due"] is False
    assert (await _assess(api, county.admin_a, member["id"], "2026-09"))["amount_fen"] == 20


async def test_payment_is_recorded_and_a_month_cannot_be_paid_twice(api, county):
    member = await api.member(county.county_admin, county.branch_a["id"], category="farmer")
    r = await _pay(api, county.admin_a, member["id"], ["2026-10", "2026-11"], 100)
    assert r.status_code == 201, r.text
    assert r.json()["months"] == ["2026-10", "2026-11"]
    r = await _pay(api, county.admin_a, member["id"], ["2026-11"], 50)
    assert r.status_code == 409
    assert r.json()["code"] == "dues.month_already_paid"


async def test_back_payment_covers_at_most_six_months(api, county):
    member = await api.member(county.county_admin, county.branch_a["id"], category="farmer")
    r = await _pay(api, county.admin_a, member["id"], ["2026-04"], 50)
    assert r.status_code == 409
    assert r.json()["code"] == "dues.back_payment_too_old"
    r = await _pay(api, county.admin_a, member["id"], ["2026-05"], 50)
    assert r.status_code == 201


async def test_amount_below_the_assessment_is_refused_and_above_it_is_a_voluntary_extra(
    api, county
):
    member = await api.member(
        county.county_admin, county.branch_a["id"], category="employed", dues_base_fen=400_000
    )
    r = await _pay(api, county.admin_a, member["id"], ["2026-11"], 3999)
    assert r.status_code == 422
    assert r.json()["code"] == "dues.amount_below_assessment"
    assert "4000" in r.json()["detail"]
    r = await _pay(api, county.admin_a, member["id"], ["2026-11"], 4000)
    assert r.status_code == 201, r.text
    assert (r.json()["assessed_fen"], r.json()["voluntary_extra_fen"]) == (4000, 0)
    r = await _pay(api, county.admin_a, member["id"], ["2026-10"], 10000)
    assert r.status_code == 201, r.text
    assert (r.json()["amount_fen"], r.json()["voluntary_extra_fen"]) == (10000, 6000)


async def test_prepayment_covers_twelve_months_ahead_and_not_thirteen(api, county):
    member = await api.member(county.county_admin, county.branch_a["id"], category="farmer")
    r = await _pay(api, county.admin_a, member["id"], ["2027-12"], 50)
    assert r.status_code == 422
    assert r.json()["code"] == "dues.prepayment_too_far"
    r = await _pay(api, county.admin_a, member["id"], ["2026-11", "2026-12", "2027-11"], 150)
    assert r.status_code == 201, r.text
    assert r.json()["months"] == ["2026-11", "2026-12", "2027-11"]
    assert r.json()["prepaid_months"] == ["2026-12", "2027-11"]


async def test_prepaid_months_and_a_voluntary_extra_leave_no_arrears_when_the_months_come(
    api, county
):
    branch = await api.org(county.county_admin, county.town_a["id"], "branch")
    member = await api.member(county.county_admin, branch["id"], category="farmer")
    months = [f"2026-{m:02d}" for m in range(5, 12)]
    assert (await _pay(api, county.admin_a, member["id"], months, 50 * 7)).status_code == 201
    ahead = ["2026-12", "2027-01", "2027-02", "2027-03"]
    r = await _pay(api, county.admin_a, member["id"], ahead, 400)
    assert r.status_code == 201, r.text
    body = r.json()
    assert (body["prepaid_months"], body["assessed_fen"]) == (ahead, 200)
    assert body["voluntary_extra_fen"] == 200
    r = await api.client.get(
        f"/api/v1/organisations/{branch['id']}/dues/arrears",
        params={"months": 11, "as_of": "2027-03-31"},
        headers=api.auth(county.admin_a),
    )
    assert r.status_code == 200, r.text
    assert r.json()["window"] == ["2026-05", "2027-03"]
    assert r.json()["items"] == []


async def test_members_without_a_base_are_refused(api, county):
    employed = await api.member(county.county_admin, county.branch_a["id"], category="employed")
    r = await api.client.get(
        f"/api/v1/members/{employed['id']}/dues/assessment", headers=api.auth(county.admin_a)
    )
    assert r.status_code == 409
    assert r.json()["code"] == "dues.base_missing"


async def test_approved_exemption_makes_a_month_free(api, county):
    member = await api.member(county.county_admin, county.branch_a["id"], category="farmer")
    r = await api.client.post(
        f"/api/v1/members/{member['id']}/dues/reliefs",
        json={
            "kind": "exemption",
            "from_month": "2026-10",
            "to_month": "2026-12",
            "approval_ref": "青党发〔2026〕7号",
            "approved_on": "2026-09-30",
        },
        headers=api.auth(county.admin_a),
    )
    assert r.status_code == 201, r.text
    a = await _assess(api, county.admin_a, member["id"], "2026-11")
    assert (a["amount_fen"], a["relief"]) == (0, "exemption")
    assert (await _pay(api, county.admin_a, member["id"], ["2026-11"], 0)).status_code == 201


async def test_arrears_list_flags_six_consecutive_unpaid_months(api, county):
    branch = await api.org(county.county_admin, county.town_a["id"], "branch")
    lapsed = await api.member(county.county_admin, branch["id"], category="farmer", name="欠费")
    payer = await api.member(county.county_admin, branch["id"], category="farmer", name="按时")
    months = [f"2026-{m:02d}" for m in range(5, 12)]
    assert (
        await _pay(api, county.admin_a, payer["id"], months, 50 * len(months))
    ).status_code == 201
    await _pay(api, county.admin_a, lapsed["id"], ["2026-05"], 50)
    r = await api.client.get(
        f"/api/v1/organisations/{branch['id']}/dues/arrears",
        params={"months": 7},
        headers=api.auth(county.admin_a),
    )
    assert r.status_code == 200, r.text
    rows = {row["member_id"]: row for row in r.json()["items"]}
    assert set(rows) == {lapsed["id"]}
    assert rows[lapsed["id"]]["unpaid_months"] == months[1:]
    assert rows[lapsed["id"]]["flags"] == ["dues.six_months_unpaid"]
    # Siblings see nothing of it.
    r = await api.client.get(
        f"/api/v1/organisations/{branch['id']}/dues/arrears", headers=api.auth(county.admin_b)
    )
    assert r.status_code == 404


async def test_siblings_cannot_assess_or_pay_for_a_member(api, county):
    member = await api.member(county.county_admin, county.branch_a["id"], category="farmer")
    r = await api.client.get(
        f"/api/v1/members/{member['id']}/dues/assessment", headers=api.auth(county.admin_b)
    )
    assert r.status_code == 404
    r = await _pay(api, county.admin_b, member["id"], ["2026-11"], 50)
    assert r.status_code == 404


async def test_months_owed_before_a_suspension_can_be_paid_and_later_ones_are_not_due(api, county):
    member = await api.member(county.county_admin, county.branch_a["id"], category="farmer")
    r = await api.client.post(
        f"/api/v1/members/{member['id']}/transitions",
        json={"to_status": "suspended", "effective_date": "2026-09-10", "reason": "失联"},
        headers=api.auth(county.county_admin),
    )
    assert r.status_code == 201, r.text
    # Full on some days of September: owed; suspended all of October: not.
    assert (await _assess(api, county.admin_a, member["id"], "2026-09"))["due"] is True
    october = await _assess(api, county.admin_a, member["id"], "2026-10")
    assert october["due"] is False
    r = await _pay(api, county.admin_a, member["id"], ["2026-08", "2026-09"], 100)
    assert r.status_code == 201, r.text
    r = await _pay(api, county.admin_a, member["id"], ["2026-10"], 50)
    assert r.status_code == 409
    assert r.json()["code"] == "dues.month_not_due"


async def test_the_months_owed_before_leaving_can_be_paid_and_the_months_after_are_not_due(
    api, county
):
    member = await api.member(county.county_admin, county.branch_a["id"], category="farmer")
    r = await api.client.post(
        f"/api/v1/members/{member['id']}/transitions",
        json={"to_status": "left", "effective_date": "2026-10-05", "reason": "自行脱党"},
        headers=api.auth(county.county_admin),
    )
    assert r.status_code == 201, r.text
    r = await _pay(api, county.admin_a, member["id"], ["2026-11"], 50)
    assert r.status_code == 409
    assert r.json()["code"] == "dues.month_not_due"
    r = await _pay(api, county.admin_a, member["id"], ["2026-09", "2026-10"], 100)
    assert r.status_code == 201, r.text


async def test_five_consecutive_unpaid_months_are_listed_but_not_flagged(api, county):
    branch = await api.org(county.county_admin, county.town_a["id"], "branch")
    member = await api.member(county.county_admin, branch["id"], category="farmer")
    paid = ["2026-05", "2026-11"]
    assert (await _pay(api, county.admin_a, member["id"], paid, 100)).status_code == 201
    r = await api.client.get(
        f"/api/v1/organisations/{branch['id']}/dues/arrears",
        params={"months": 7},
        headers=api.auth(county.admin_a),
    )
    assert r.status_code == 200, r.text
    (row,) = r.json()["items"]
    assert row["unpaid_months"] == [f"2026-{m:02d}" for m in range(6, 11)]
    assert (row["longest_unpaid_run"], row["flags"]) == (5, [])


async def test_arrears_of_a_suspended_member_are_the_months_owed_before_the_suspension(api, county):
    branch = await api.org(county.county_admin, county.town_a["id"], "branch")
    member = await api.member(county.county_admin, branch["id"], category="farmer")
    r = await api.client.post(
        f"/api/v1/members/{member['id']}/transitions",
        json={"to_status": "suspended", "effective_date": "2026-09-10", "reason": "失联"},
        headers=api.auth(county.county_admin),
    )
    assert r.status_code == 201, r.text
    r = await api.client.get(
        f"/api/v1/organisations/{branch['id']}/dues/arrears",
        params={"months": 7},
        headers=api.auth(county.admin_a),
    )
    assert r.status_code == 200, r.text
    rows = {row["member_id"]: row for row in r.json()["items"]}
    assert rows[member["id"]]["unpaid_months"] == [f"2026-{m:02d}" for m in range(5, 10)]
    assert rows[member["id"]]["flags"] == []


WINDOW = [f"{y}-{m:02d}" for y, m in [(2025, 12), *((2026, m) for m in range(1, 12))]]
# (member fields, transitions (to_status, effective_date), months owed in `WINDOW`)
HISTORIES = {
    "no history: the current status throughout": ({}, [], WINDOW),
    "suspended mid-September: September owed, October not": (
        {},
        [("suspended", "2026-09-10")],
        WINDOW[:10],
    ),
    "suspended on 1 October: suspended all October": (
        {},
        [("suspended", "2026-10-01")],
        WINDOW[:10],
    ),
    "suspended in March, restored in June: April and May not owed": (
        {},
        [("suspended", "2026-03-20"), ("full", "2026-06-10")],
        [m for m in WINDOW if m not in ("2026-04", "2026-05")],
    ),
    "restored on 1 April: March not owed, April owed": (
        {},
        [("suspended", "2026-02-10"), ("full", "2026-04-01")],
        [m for m in WINDOW if m != "2026-03"],
    ),
    "left in October: October owed, November not": ({}, [("left", "2026-10-05")], WINDOW[:11]),
    "admitted on 15 September: from September": (
        {"status": "probationary", "joined_on": "2026-09-15"},
        [],
        WINDOW[9:],
    ),
}


@pytest.mark.parametrize("case", HISTORIES)
async def test_the_assessment_and_the_arrears_report_owe_the_same_months_for_each_history(
    api, county, case
):
    fields, transitions, owed = HISTORIES[case]
    branch = await api.org(county.county_admin, county.town_a["id"], "branch")
    member = await api.member(county.county_admin, branch["id"], category="farmer", **fields)
    await api.transitions(county.county_admin, member["id"], transitions)
    assessed = [await _assess(api, county.admin_a, member["id"], m) for m in WINDOW]
    assert [m for m, a in zip(WINDOW, assessed, strict=True) if a["due"]] == owed
    r = await api.client.get(
        f"/api/v1/organisations/{branch['id']}/dues/arrears",
        params={"months": len(WINDOW)},
        headers=api.auth(county.admin_a),
    )
    assert r.status_code == 200, r.text
    (row,) = r.json()["items"]
    assert row["unpaid_months"] == owed


async def test_a_month_not_owed_says_why(api, county):
    admitted = await api.member(
        county.county_admin,
        county.branch_a["id"],
        status="probationary",
        joined_on="2026-09-15",
        category="student",
    )
    before = await _assess(api, county.admin_a, admitted["id"], "2026-08")
    assert (before["due"], before["note"]) == (False, "before admission as a probationary member")
    suspended = await api.member(county.county_admin, county.branch_a["id"], category="farmer")
    await api.transitions(county.county_admin, suspended["id"], [("suspended", "2026-09-10")])
    october = await _assess(api, county.admin_a, suspended["id"], "2026-10")
    assert (october["due"], october["note"]) == (False, "suspended members owe no dues")
