"""Admission to probation is the branch general meeting's decision: the passed vote is
the event; a transition entered by hand names that meeting or is refused."""

from __future__ import annotations

from datetime import date

import pytest
from support import record_steps

M = "/api/v1/meetings"
TODAY = date(2026, 11, 24)


pytestmark = pytest.mark.usefixtures("frozen_today")  # every test on `TODAY`


async def _candidate(api, county, org_id):
    return await api.member(
        county.county_admin,
        org_id,
        status="candidate",
        applied_on="2024-01-01",
        activist_on="2024-03-01",
        candidate_on="2025-04-01",
    )


async def _meeting_with_vote(api, county, org_id, ayes, **vote):
    r = await api.client.post(
        M,
        json={"org_id": org_id, "type": "general_meeting", "held_on": "2026-11-10", "topic": "t"},
        headers=api.auth(county.admin_a),
    )
    assert r.status_code == 201, r.text
    meeting = r.json()
    entries = [{"member_id": a["member_id"], "presence": "present"} for a in meeting["attendance"]]
    r = await api.client.put(
        f"{M}/{meeting['id']}/attendance", json=entries, headers=api.auth(county.admin_a)
    )
    assert r.status_code == 200, r.text
    r = await api.client.post(
        f"{M}/{meeting['id']}/votes",
        json={"kind": "decision", "subject": "接收预备党员", "ayes": ayes, "nays": 0, **vote},
        headers=api.auth(county.admin_a),
    )
    assert r.status_code == 201, r.text
    return meeting, r.json()


async def _admit(api, county, member_id, on="2026-11-10", **extra):
    return await api.client.post(
        f"/api/v1/members/{member_id}/transitions",
        json={"to_status": "probationary", "effective_date": on, **extra},
        headers=api.auth(county.admin_a),
    )


async def _branch(api, county, voters):
    branch = await api.org(county.county_admin, county.town_a["id"], "branch")
    for _ in range(voters):
        await api.member(county.county_admin, branch["id"])
    return branch


async def test_an_admission_entered_without_its_general_meeting_is_refused(api, county):
    branch = await _branch(api, county, 3)
    candidate = await _candidate(api, county, branch["id"])
    r = await _admit(api, county, candidate["id"])
    assert r.status_code == 409 and r.json()["code"] == "lifecycle.admission_vote_required"


async def test_an_admission_naming_the_meeting_of_its_passed_vote_is_recorded(api, county):
    branch = await _branch(api, county, 3)
    candidate = await _candidate(api, county, branch["id"])
    # Two ayes of three entitled: more than half, passed; the vote names no status, so the
    # secretary records the transition by hand, naming the meeting.
    meeting, vote = await _meeting_with_vote(
        api, county, branch["id"], ayes=2, member_id=candidate["id"]
    )
    assert vote["passed"] is True and vote["transition_id"] is None
    await record_steps(api, county.admin_a, candidate["id"], "probationary", "2026-11-10")
    r = await _admit(api, county, candidate["id"], meeting_id=meeting["id"])
    assert r.status_code == 201, r.text
    assert r.json()["kind"] == "admitted"


async def test_an_admission_naming_a_meeting_whose_vote_failed_is_refused(api, county):
    branch = await _branch(api, county, 4)
    candidate = await _candidate(api, county, branch["id"])
    meeting, vote = await _meeting_with_vote(
        api, county, branch["id"], ayes=2, member_id=candidate["id"]
    )
    assert vote["passed"] is False  # two of four entitled is not more than half
    r = await _admit(api, county, candidate["id"], meeting_id=meeting["id"])
    assert r.status_code == 409 and r.json()["code"] == "lifecycle.admission_vote_not_passed"


async def test_an_admission_naming_another_members_vote_or_another_day_is_refused(api, county):
    branch = await _branch(api, county, 3)
    candidate = await _candidate(api, county, branch["id"])
    other = await _candidate(api, county, branch["id"])
    meeting, _ = await _meeting_with_vote(api, county, branch["id"], ayes=3, member_id=other["id"])
    r = await _admit(api, county, candidate["id"], meeting_id=meeting["id"])
    assert r.status_code == 409 and r.json()["code"] == "lifecycle.admission_vote_not_passed"
    meeting, _ = await _meeting_with_vote(
        api, county, branch["id"], ayes=3, member_id=candidate["id"]
    )
    r = await _admit(api, county, candidate["id"], on="2026-11-11", meeting_id=meeting["id"])
    assert r.status_code == 409 and r.json()["code"] == "lifecycle.admission_vote_not_passed"


async def test_an_admission_naming_another_branchs_general_meeting_is_refused(api, county):
    home = await _branch(api, county, 3)
    elsewhere = await _branch(api, county, 3)
    candidate = await _candidate(api, county, home["id"])
    meeting, _ = await _meeting_with_vote(
        api, county, elsewhere["id"], ayes=3, member_id=candidate["id"]
    )
    r = await _admit(api, county, candidate["id"], meeting_id=meeting["id"])
    assert r.status_code == 409 and r.json()["code"] == "lifecycle.admission_vote_not_passed"


async def test_a_passed_vote_naming_the_status_admits_another_branchs_member_never(api, county):
    home = await _branch(api, county, 3)
    elsewhere = await _branch(api, county, 3)
    candidate = await _candidate(api, county, home["id"])
    r = await api.client.post(
        M,
        json={"org_id": elsewhere["id"], "type": "general_meeting", "held_on": "2026-11-10"}
        | {"topic": "t"},
        headers=api.auth(county.admin_a),
    )
    meeting = r.json()
    entries = [{"member_id": a["member_id"], "presence": "present"} for a in meeting["attendance"]]
    await api.client.put(
        f"{M}/{meeting['id']}/attendance", json=entries, headers=api.auth(county.admin_a)
    )
    r = await api.client.post(
        f"{M}/{meeting['id']}/votes",
        json={"kind": "decision", "subject": "接收", "ayes": 3, "nays": 0}
        | {"member_id": candidate["id"], "to_status": "probationary"},
        headers=api.auth(county.admin_a),
    )
    assert r.status_code == 409 and r.json()["code"] == "lifecycle.admission_vote_not_passed"
