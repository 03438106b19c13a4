"""Member lifecycle: the transition graph, its timing rules, flags and the timeline."""

from __future__ import annotations

from datetime import date

import pytest
from support import admission_meeting, record_steps

TODAY = date(2026, 11, 24)


async def _transition(api, token, member_id, to_status, on, *, steps=False, **extra):
    """Record the transition; with `steps`, after the steps it needs (a test not about them)."""
    if steps:
        await record_steps(api, token, member_id, to_status, str(on))
    return await api.client.post(
        f"/api/v1/members/{member_id}/transitions",
        json={"to_status": to_status, "effective_date": str(on), **extra},
        headers=api.auth(token),
    )


async def test_a_member_walks_the_whole_path_to_full_membership(api, county, frozen_today):
    token = county.county_admin
    member = await api.member(
        token, county.branch_a["id"], status="applicant", applied_on="2022-03-01", category="farmer"
    )
    mid = member["id"]
    steps = [
        ("activist", date(2022, 6, 1), "became_activist"),
        ("candidate", date(2023, 6, 1), "became_candidate"),
        ("probationary", date(2023, 10, 1), "admitted"),
        ("full", date(2024, 10, 1), "became_full"),
        ("suspended", date(2025, 5, 1), "suspended"),
        ("full", date(2025, 9, 1), "restored"),
        ("deceased", date(2026, 1, 5), "deceased"),
    ]
    admission = await admission_meeting(api, token, county.branch_a["id"], mid, "2023-10-01")
    for to_status, on, kind in steps:
        extra = {"meeting_id": admission} if to_status == "probationary" else {}
        r = await _transition(
            api, token, mid, to_status, on, steps=True, reason="支部大会决议", **extra
        )
        assert r.status_code == 201, (to_status, r.text)
        assert r.json()["kind"] == kind
        assert r.json()["to_status"] == to_status
    record = (await api.client.get(f"/api/v1/members/{mid}", headers=api.auth(token))).json()
    assert record["status"] == "deceased"
    assert record["joined_on"] == "2023-10-01"
    assert record["full_on"] == "2024-10-01"
    timeline = (
        await api.client.get(f"/api/v1/members/{mid}/timeline", headers=api.auth(token))
    ).json()
    transitions = [e for e in timeline["events"] if e["kind"] == "transition"]
    assert [e["summary"].split(" -> ")[1] for e in transitions] == [s for s, _, _ in steps]
    assert all(e["data"]["recorded_by"] for e in transitions)


@pytest.mark.parametrize(
    ("start", "to_status"),
    [
        ("applicant", "candidate"),
        ("applicant", "full"),
        ("activist", "probationary"),
        ("candidate", "full"),
        ("full", "probationary"),
        ("full", "activist"),
        ("suspended", "probationary"),
        ("left", "full"),
        ("deceased", "left"),
    ],
)
async def test_transitions_outside_the_graph_are_409(api, county, frozen_today, start, to_status):
    dates = {
        "applied_on": "2020-01-01",
        "activist_on": "2020-03-01",
        "candidate_on": "2021-04-01",
        "joined_on": "2021-08-01",
        "full_on": "2022-08-01",
    }
    member = await api.member(county.county_admin, county.branch_a["id"], status=start, **dates)
    r = await _transition(api, county.county_admin, member["id"], to_status, TODAY)
    assert r.status_code == 409
    assert r.json()["code"] == "lifecycle.transition_not_allowed"


async def test_candidate_needs_a_year_as_activist(api, county, frozen_today):
    member = await api.member(
        county.county_admin,
        county.branch_a["id"],
        status="activist",
        applied_on="2025-01-10",
        activist_on="2025-03-01",
    )
    r = await _transition(api, county.county_admin, member["id"], "candidate", date(2026, 2, 28))
    assert r.status_code == 409
    assert r.json()["code"] == "lifecycle.activist_period_too_short"
    r = await _transition(
        api, county.county_admin, member["id"], "candidate", date(2026, 3, 1), steps=True
    )
    assert r.status_code == 201


async def test_full_membership_needs_a_year_of_probation(api, county, frozen_today):
    member = await api.member(
        county.county_admin, county.branch_a["id"], status="probationary", joined_on="2025-12-01"
    )
    frozen_today["day"] = date(2026, 12, 1)
    r = await _transition(api, county.county_admin, member["id"], "full", date(2026, 11, 30))
    assert r.status_code == 409
    assert r.json()["code"] == "lifecycle.probation_not_complete"
    r = await _transition(
        api, county.county_admin, member["id"], "full", date(2026, 12, 1), steps=True
    )
    assert r.status_code == 201


async def test_probation_is_extended_once_by_six_to_twelve_months(api, county, frozen_today):
    member = await api.member(
        county.county_admin, county.branch_a["id"], status="probationary", joined_on="2025-10-01"
    )
    mid = member["id"]
    r = await _transition(api, county.county_admin, mid, "probationary", TODAY, extension_months=3)
    assert r.status_code == 422
    assert r.json()["code"] == "lifecycle.extension_length_invalid"
    r = await _transition(api, county.county_admin, mid, "probationary", TODAY, extension_months=6)
    assert r.status_code == 201
    assert r.json()["kind"] == "probation_extended"
    r = await _transition(api, county.county_admin, mid, "probationary", TODAY, extension_months=6)
    assert r.status_code == 409
    assert r.json()["code"] == "lifecycle.extension_already_used"
    # The extension moves the end of probation: 2025-10-01 + 18 months.
    frozen_today["day"] = date(2027, 4, 1)
    r = await _transition(api, county.county_admin, mid, "full", date(2027, 3, 31))
    assert r.json()["code"] == "lifecycle.probation_not_complete"
    assert (
        await _transition(api, county.county_admin, mid, "full", date(2027, 4, 1), steps=True)
    ).status_code == 201


async def test_probation_can_be_cancelled(api, county, frozen_today):
    member = await api.member(
        county.county_admin, county.branch_a["id"], status="probationary", joined_on="2026-03-01"
    )
    r = await _transition(
        api, county.county_admin, member["id"], "left", TODAY, reason="取消预备党员资格"
    )
    assert r.status_code == 201
    assert r.json()["kind"] == "probation_cancelled"


async def test_future_and_backdated_effective_dates_are_refused(api, county, frozen_today):
    member = await api.member(
        county.county_admin, county.branch_a["id"], status="applicant", applied_on="2026-05-01"
    )
    r = await _transition(api, county.county_admin, member["id"], "activist", date(2026, 12, 1))
    assert r.json()["code"] == "lifecycle.effective_date_in_future"
    r = await _transition(api, county.county_admin, member["id"], "activist", date(2026, 4, 1))
    assert r.json()["code"] == "lifecycle.effective_date_before_previous"


async def test_auditor_cannot_record_transitions_and_siblings_see_404(api, county, frozen_today):
    member = await api.member(county.county_admin, county.branch_a["id"])
    _, auditor = await api.user(county.county_admin, "auditor", county.county["id"])
    r = await _transition(api, auditor, member["id"], "suspended", TODAY)
    assert r.status_code == 403
    r = await _transition(api, county.admin_b, member["id"], "suspended", TODAY)
    assert r.status_code == 404
    r = await api.client.get(
        f"/api/v1/members/{member['id']}/timeline", headers=api.auth(county.admin_b)
    )
    assert r.status_code == 404


async def _flags(api, county, member_id):
    r = await api.client.get(f"/api/v1/members/{member_id}", headers=api.auth(county.county_admin))
    return set(r.json()["flags"])


async def _flag_list(api, token, within, flag, as_of=None):
    params = {"within": within, "flag": flag, "limit": 500}
    if as_of:
        params["as_of"] = as_of
    r = await api.client.get("/api/v1/members", params=params, headers=api.auth(token))
    assert r.status_code == 200, r.text
    return {m["id"] for m in r.json()["items"]}


async def test_talk_is_flagged_overdue_a_month_after_application(api, county, frozen_today):
    member = await api.member(
        county.county_admin, county.branch_a["id"], status="applicant", applied_on="2026-10-20"
    )
    frozen_today["day"] = date(2026, 11, 20)
    assert "applicant.talk_overdue" not in await _flags(api, county, member["id"])
    frozen_today["day"] = date(2026, 11, 21)
    assert "applicant.talk_overdue" in await _flags(api, county, member["id"])
    listed = await _flag_list(
        api, county.county_admin, county.county["id"], "applicant.talk_overdue"
    )
    assert member["id"] in listed
    await api.client.patch(
        f"/api/v1/members/{member['id']}",
        json={"talked_on": "2026-11-01"},
        headers=api.auth(county.county_admin),
    )
    assert "applicant.talk_overdue" not in await _flags(api, county, member["id"])


async def test_admission_approval_is_flagged_at_three_and_six_months(api, county, frozen_today):
    member = await api.member(
        county.county_admin, county.branch_a["id"], status="probationary", joined_on="2026-05-01"
    )
    frozen_today["day"] = date(2026, 8, 1)
    assert not {"admission.approval_overdue", "admission.approval_expired"} & await _flags(
        api, county, member["id"]
    )
    frozen_today["day"] = date(2026, 8, 2)
    assert "admission.approval_overdue" in await _flags(api, county, member["id"])
    frozen_today["day"] = date(2026, 11, 2)
    flags = await _flags(api, county, member["id"])
    assert "admission.approval_expired" in flags
    assert "admission.approval_overdue" not in flags


async def test_probation_ending_and_due_flags(api, county, frozen_today):
    member = await api.member(
        county.county_admin,
        county.branch_b["id"],
        status="probationary",
        joined_on="2025-12-10",
        admission_approved_on="2026-01-10",
    )
    frozen_today["day"] = date(2026, 11, 20)
    assert "probation.ending" in await _flags(api, county, member["id"])
    frozen_today["day"] = date(2026, 12, 10)
    assert "probation.due" in await _flags(api, county, member["id"])
    # The list uses as_of too, and a sibling subtree never shows the member.
    due = await _flag_list(api, county.admin_b, county.town_b["id"], "probation.due", "2026-12-10")
    assert member["id"] in due
    r = await api.client.get(
        "/api/v1/members",
        params={"flag": "probation.due", "as_of": "2026-12-10", "limit": 500},
        headers=api.auth(county.admin_a),
    )
    assert member["id"] not in {m["id"] for m in r.json()["items"]}


async def test_lost_contact_suggests_suspension_and_long_suspension_suggests_left(
    api, county, frozen_today
):
    member = await api.member(
        county.county_admin, county.branch_a["id"], lost_contact_since="2026-05-01"
    )
    assert "contact.lost" in await _flags(api, county, member["id"])
    r = await _transition(api, county.county_admin, member["id"], "suspended", date(2026, 11, 2))
    assert r.status_code == 201
    assert "suspension.left_suggested" not in await _flags(api, county, member["id"])
    frozen_today["day"] = date(2028, 11, 2)
    assert "suspension.left_suggested" in await _flags(api, county, member["id"])


async def test_unknown_flag_is_422(api, county):
    r = await api.client.get(
        "/api/v1/members", params={"flag": "nope"}, headers=api.auth(county.county_admin)
    )
    assert r.status_code == 422
    assert r.json()["code"] == "member.flag_unknown"


async def test_an_applicant_recorded_without_an_application_date_does_not_advance_but_may_leave(
    api, county, frozen_today
):
    from sqlalchemy import text

    from app.db import get_sessionmaker

    member = await api.member(
        county.county_admin, county.branch_a["id"], status="applicant", applied_on="2022-03-01"
    )
    # A record from before the date was required (written directly, as old data was).
    async with get_sessionmaker()() as session, session.begin():
        await session.execute(
            text("UPDATE members SET applied_on = NULL WHERE id = :id"), {"id": member["id"]}
        )
    r = await _transition(api, county.county_admin, member["id"], "activist", date(2022, 6, 1))
    assert r.status_code == 409
    assert r.json()["code"] == "member.applied_on_required"
    r = await _transition(api, county.county_admin, member["id"], "left", date(2022, 6, 1))
    assert r.status_code == 201, r.text
