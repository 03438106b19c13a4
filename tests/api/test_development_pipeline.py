"""The development pipeline of a subtree (stages, overdue timing flags, the year's
admissions against the plan a higher organisation set) and the admission plans."""

from __future__ import annotations

from datetime import date

import pytest
from support import admission_meeting, record_steps

V = "/api/v1"
TODAY = date(2026, 11, 24)


pytestmark = pytest.mark.usefixtures("frozen_today")  # every test on `TODAY`


async def _pipeline(api, token, org_id, **params):
    return await api.client.get(
        f"{V}/organisations/{org_id}/development-pipeline", params=params, headers=api.auth(token)
    )


async def _set_plan(api, token, org_id, year, planned):
    return await api.client.put(
        f"{V}/organisations/{org_id}/admission-plans/{year}",
        json={"planned": planned},
        headers=api.auth(token),
    )


async def _admit(api, token, branch_id, held_on="2026-11-10"):
    """A candidate admitted to probation by the branch's general meeting on `held_on`."""
    member = await api.member(
        token,
        branch_id,
        status="candidate",
        applied_on="2024-01-01",
        activist_on="2024-03-01",
        candidate_on="2025-04-01",
    )
    meeting_id = await admission_meeting(api, token, branch_id, member["id"], held_on)
    await record_steps(api, token, member["id"], "probationary", held_on)
    r = await api.client.post(
        f"{V}/members/{member['id']}/transitions",
        json={"to_status": "probationary", "effective_date": held_on, "meeting_id": meeting_id},
        headers=api.auth(token),
    )
    assert r.status_code == 201, r.text
    return member, meeting_id


async def _setup_town_a(api, county):
    branch = county.branch_a["id"]
    token = county.admin_a
    # Applicants: one applied three weeks ago, one three months ago and never talked to.
    await api.member(token, branch, status="applicant", applied_on="2026-11-02")
    await api.member(token, branch, status="applicant", applied_on="2026-08-20")
    await api.member(
        token, branch, status="activist", applied_on="2025-01-01", activist_on="2025-03-01"
    )
    # Admitted by the general meeting this year: the year's one admission.
    await _admit(api, token, branch)
    # A record created already probationary (建档), joined four months ago and not yet
    # approved above: approval overdue, and no admission of this year's ledger.
    await api.member(token, branch, status="probationary", joined_on="2026-07-20")


def _by(items, key):
    return {item[key]: item["count"] for item in items}


async def test_the_pipeline_counts_each_stage_the_overdue_flags_and_the_admissions_against_plan(
    api, county
):
    await _setup_town_a(api, county)
    await _admit(api, county.admin_b, county.branch_b["id"])  # another subtree
    await api.member(
        county.admin_b, county.branch_b["id"], status="applicant", applied_on="2026-01-05"
    )
    assert (
        await _set_plan(api, county.county_admin, county.town_a["id"], 2026, 5)
    ).status_code == 200

    r = await _pipeline(api, county.admin_a, county.town_a["id"])
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["as_of"] == "2026-11-24"
    assert [s["status"] for s in body["stages"]] == [
        "applicant", "activist", "candidate", "probationary"
    ]  # fmt: skip
    assert _by(body["stages"], "status") == {
        "applicant": 2, "activist": 1, "candidate": 0, "probationary": 2
    }  # fmt: skip
    assert body["stages"][0]["label_zh"] == "入党申请人"
    assert _by(body["overdue_flags"], "flag") == {
        "applicant.talk_overdue": 1,
        "admission.approval_overdue": 1,
        "admission.approval_expired": 0,
        "probation.ending": 0,
        "probation.due": 0,
    }
    assert body["admissions"] == {"year": 2026, "planned": 5, "admitted": 1, "remaining": 4}


async def test_the_pipeline_of_one_branch_counts_that_branch_only(api, county):
    await _setup_town_a(api, county)
    second_branch = await api.org(county.admin_b, county.town_b["id"], "branch")
    await _admit(api, county.admin_b, county.branch_b["id"])
    await _admit(api, county.admin_b, second_branch["id"])
    body = (await _pipeline(api, county.admin_b, county.town_b["id"])).json()
    assert _by(body["stages"], "status")["probationary"] == 2
    assert _by(body["stages"], "status")["applicant"] == 0
    assert body["admissions"] == {"year": 2026, "planned": None, "admitted": 2, "remaining": None}
    # The county sees both towns together.
    whole = (await _pipeline(api, county.county_admin, county.county["id"])).json()
    assert whole["admissions"]["admitted"] == 3
    assert _by(whole["stages"], "status")["probationary"] == 4


async def test_admissions_of_another_year_are_counted_for_that_year_only(api, county):
    await _setup_town_a(api, county)
    await _set_plan(api, county.county_admin, county.town_a["id"], 2025, 3)
    body = (await _pipeline(api, county.admin_a, county.town_a["id"], year=2025)).json()
    assert body["admissions"] == {"year": 2025, "planned": 3, "admitted": 0, "remaining": 3}
    ahead = (await _pipeline(api, county.admin_a, county.town_a["id"], year=2027)).json()
    assert ahead["admissions"]["admitted"] == 0


async def test_admissions_beyond_the_plan_leave_nothing_remaining(api, county):
    await _setup_town_a(api, county)
    await _set_plan(api, county.county_admin, county.town_a["id"], 2026, 0)
    body = (await _pipeline(api, county.admin_a, county.town_a["id"])).json()
    assert body["admissions"] == {"year": 2026, "planned": 0, "admitted": 1, "remaining": 0}


async def test_another_subtree_gets_404_for_the_pipeline_and_the_plans(api, county):
    await _setup_town_a(api, county)
    await _set_plan(api, county.county_admin, county.town_a["id"], 2026, 5)
    r = await _pipeline(api, county.admin_b, county.town_a["id"])
    assert r.status_code == 404, r.text
    r = await api.client.get(
        f"{V}/organisations/{county.town_a['id']}/admission-plans/2026",
        headers=api.auth(county.admin_b),
    )
    assert r.status_code == 404
    r = await _set_plan(api, county.admin_b, county.branch_a["id"], 2026, 9)
    assert r.status_code == 404
    # Town B's own pipeline holds nothing of town A's.
    body = (await _pipeline(api, county.admin_b, county.town_b["id"])).json()
    assert sum(s["count"] for s in body["stages"]) == 0
    assert sum(o["count"] for o in body["overdue_flags"]) == 0
    assert body["admissions"]["admitted"] == 0


async def test_the_member_role_may_not_read_the_pipeline(api, county):
    member = await api.member(county.admin_a, county.branch_a["id"])
    _, token = await api.user(county.admin_a, "member", county.branch_a["id"], member["id"])
    r = await _pipeline(api, token, county.branch_a["id"])
    assert r.status_code == 403


# Plans


async def test_a_plan_is_set_by_a_higher_organisation_and_read_back(api, county):
    r = await _set_plan(api, county.county_admin, county.town_a["id"], 2026, 5)
    assert r.status_code == 200, r.text
    assert r.json()["planned"] == 5 and r.json()["year"] == 2026
    r = await api.client.get(
        f"{V}/organisations/{county.town_a['id']}/admission-plans/2026",
        headers=api.auth(county.admin_a),
    )
    assert r.status_code == 200 and r.json()["planned"] == 5
    # The town sets its branch's plan.
    assert (await _set_plan(api, county.admin_a, county.branch_a["id"], 2026, 2)).status_code == 200


async def test_an_organisation_does_not_set_its_own_plan(api, county):
    r = await _set_plan(api, county.admin_a, county.town_a["id"], 2026, 50)
    assert r.status_code == 403, r.text
    assert r.json()["code"] == "admission_plan.own_organisation"


async def test_a_branch_secretary_does_not_set_plans(api, county):
    _, secretary = await api.user(county.county_admin, "branch_secretary", county.town_a["id"])
    r = await _set_plan(api, secretary, county.branch_a["id"], 2026, 2)
    assert r.status_code == 403


async def test_a_plan_not_set_is_404(api, county):
    r = await api.client.get(
        f"{V}/organisations/{county.town_a['id']}/admission-plans/2027",
        headers=api.auth(county.admin_a),
    )
    assert r.status_code == 404
    assert r.json()["code"] == "admission_plan.not_found"


async def test_setting_a_plan_again_replaces_it_and_audits_before_and_after(api, county):
    await _set_plan(api, county.county_admin, county.town_a["id"], 2026, 5)
    r = await _set_plan(api, county.county_admin, county.town_a["id"], 2026, 7)
    assert r.json()["planned"] == 7
    events = await api.client.get(
        f"{V}/audit-events",
        params={"resource_id": county.town_a["id"], "resource": "organisation", "limit": 500},
        headers=api.auth(county.county_admin),
    )
    assert events.status_code == 200, events.text
    set_events = [e for e in events.json()["items"] if e["action"] == "admission_plan.set"]
    assert sorted(((e["before"], e["after"]) for e in set_events), key=str) == sorted(
        [
            (None, {"year": 2026, "planned": 5}),
            ({"year": 2026, "planned": 5}, {"year": 2026, "planned": 7}),
        ],
        key=str,
    )


async def test_a_plan_is_a_whole_number_not_below_zero(api, county):
    r = await _set_plan(api, county.county_admin, county.town_a["id"], 2026, -1)
    assert r.status_code == 422
    r = await _set_plan(api, county.county_admin, county.town_a["id"], 1999, 1)
    assert r.status_code == 422


async def test_the_pipeline_admits_exactly_the_members_the_ledger_counts_as_admitted(api, county):
    # This year's admission, another then suspended (changed again after it), and a
    # member whose only changes are years old (not read into Python, not an admission).
    await _setup_town_a(api, county)
    branch = await api.org(county.county_admin, county.town_a["id"], "branch")
    member, _ = await _admit(api, county.admin_a, branch["id"])
    await api.transitions(county.admin_a, member["id"], [("suspended", "2026-11-20")])
    old = await api.member(county.admin_a, county.branch_a["id"], joined_on="2010-07-01")
    await api.transitions(
        county.admin_a, old["id"], [("suspended", "2024-03-01"), ("full", "2024-09-01")]
    )
    pipeline = (await _pipeline(api, county.admin_a, county.town_a["id"])).json()
    r = await api.client.get(
        f"{V}/organisations/{county.town_a['id']}/member-changes",
        params={"as_of": str(TODAY), "limit": 200},
        headers=api.auth(county.admin_a),
    )
    assert r.status_code == 200, r.text
    admitted = [t["count"] for t in r.json()["by_reason"] if t["reason"] == "admission"]
    assert pipeline["admissions"]["admitted"] == sum(admitted) == 2
