"""三会一课: planning, attendance, quorum, finalize/amend, compliance, member history."""

from __future__ import annotations

from datetime import date

import pytest
from support import record_steps

from app.db import get_sessionmaker
from app.schemas.meetings import Compliance, ComplianceRow

M = "/api/v1/meetings"
TODAY = date(2026, 11, 24)


pytestmark = pytest.mark.usefixtures("frozen_today")  # every test on `TODAY`


async def _branch(api, county, full, probationary=0, **fields):
    branch = await api.org(county.county_admin, county.town_a["id"], "branch", **fields)
    fulls = [await api.member(county.county_admin, branch["id"]) for _ in range(full)]
    probs = [
        await api.member(
            county.county_admin, branch["id"], status="probationary", joined_on="2026-06-01"
        )
        for _ in range(probationary)
    ]
    return branch, fulls, probs


async def _plan(api, token, org_id, type_="general_meeting", held_on="2026-11-10", **extra):
    r = await api.client.post(
        M,
        json={
            "org_id": org_id,
            "type": type_,
            "held_on": held_on,
            "topic": "学习会议精神",
            **extra,
        },
        headers=api.auth(token),
    )
    return r


async def _attend(api, token, meeting_id, present, others, presence="absent"):
    entries = [{"member_id": m["id"], "presence": "present"} for m in present]
    entries += [
        {
            "member_id": m["id"],
            "presence": presence,
            **({"reason": "出差"} if presence == "excused" else {}),
        }
        for m in others
    ]
    r = await api.client.put(f"{M}/{meeting_id}/attendance", json=entries, headers=api.auth(token))
    assert r.status_code == 200, r.text
    return r.json()


async def _vote(api, token, meeting_id, kind, ayes, nays=0, **extra):
    return await api.client.post(
        f"{M}/{meeting_id}/votes",
        json={"kind": kind, "subject": "议题", "ayes": ayes, "nays": nays, **extra},
        headers=api.auth(token),
    )


async def test_general_meeting_expects_the_branch_and_probationary_members_have_no_vote(
    api, county
):
    branch, fulls, probs = await _branch(api, county, 9, 2)
    r = await _plan(api, county.admin_a, branch["id"])
    assert r.status_code == 201, r.text
    attendance = {a["member_id"]: a for a in r.json()["attendance"]}
    assert set(attendance) == {m["id"] for m in fulls + probs}
    assert sum(a["has_vote"] for a in attendance.values()) == 9


async def test_without_quorum_a_decision_is_recorded_invalid(api, county):
    branch, fulls, probs = await _branch(api, county, 9, 2)
    meeting = (await _plan(api, county.admin_a, branch["id"])).json()
    await _attend(api, county.admin_a, meeting["id"], fulls[:4] + probs, fulls[4:])
    r = await _vote(api, county.admin_a, meeting["id"], "decision", ayes=4)
    assert r.status_code == 201
    vote = r.json()
    assert vote["valid"] is False
    assert vote["invalid_reason"] == "quorum.more_than_half_not_present"
    assert vote["passed"] is False
    assert (vote["voters_expected"], vote["voters_present"]) == (9, 4)


async def test_votes_wait_until_every_expected_attendee_has_a_presence(api, county):
    branch, fulls, _ = await _branch(api, county, 9, 2)
    meeting = (await _plan(api, county.admin_a, branch["id"])).json()
    await _attend(api, county.admin_a, meeting["id"], fulls[:6], fulls[6:])
    # The two probationary members were expected too: everyone needs a presence.
    r = await _vote(api, county.admin_a, meeting["id"], "decision", ayes=5)
    assert r.status_code == 409
    assert r.json()["code"] == "meeting.attendance_incomplete"


async def test_quorum_six_of_nine_decision_and_election(api, county):
    branch, fulls, probs = await _branch(api, county, 9, 2)
    meeting = (await _plan(api, county.admin_a, branch["id"])).json()
    await _attend(api, county.admin_a, meeting["id"], fulls[:6], fulls[6:] + probs, "excused")
    decision = (await _vote(api, county.admin_a, meeting["id"], "decision", ayes=5, nays=1)).json()
    assert (decision["valid"], decision["passed"]) == (True, True)
    # Ayes must exceed half of those who should attend (9), not of those present.
    narrow = (await _vote(api, county.admin_a, meeting["id"], "decision", ayes=4, nays=2)).json()
    assert (narrow["valid"], narrow["passed"]) == (True, False)
    election = (await _vote(api, county.admin_a, meeting["id"], "election", ayes=6)).json()
    assert election["valid"] is False
    assert election["invalid_reason"] == "quorum.election_needs_four_fifths"


async def test_more_votes_than_voters_present_is_422(api, county):
    branch, fulls, _ = await _branch(api, county, 3)
    meeting = (await _plan(api, county.admin_a, branch["id"])).json()
    await _attend(api, county.admin_a, meeting["id"], fulls[:2], fulls[2:])
    r = await _vote(api, county.admin_a, meeting["id"], "decision", ayes=2, nays=1)
    assert r.status_code == 422
    assert r.json()["code"] == "meeting.votes_exceed_present"


async def test_committee_meeting_refused_in_a_branch_without_committee(api, county):
    branch, _, _ = await _branch(api, county, 5)
    r = await _plan(api, county.admin_a, branch["id"], "committee_meeting")
    assert r.status_code == 409
    assert r.json()["code"] == "meeting.no_committee"


async def test_committee_meeting_counts_the_committee(api, county):
    branch, fulls, _ = await _branch(api, county, 8)
    for member, role in zip(
        fulls, ["secretary", "organisation_member", "propaganda_member"], strict=False
    ):
        r = await api.client.post(
            f"/api/v1/organisations/{branch['id']}/leaders",
            json={"member_id": member["id"], "role": role, "started_on": "2025-01-01"},
            headers=api.auth(county.admin_a),
        )
        assert r.status_code == 201
    r = await _plan(api, county.admin_a, branch["id"], "committee_meeting")
    assert r.status_code == 201, r.text
    meeting = r.json()
    assert {a["member_id"] for a in meeting["attendance"]} == {m["id"] for m in fulls[:3]}
    await _attend(api, county.admin_a, meeting["id"], fulls[:2], fulls[2:3])
    vote = (await _vote(api, county.admin_a, meeting["id"], "decision", ayes=2)).json()
    assert (vote["valid"], vote["passed"]) == (True, True)


async def test_group_meeting_only_in_a_party_group(api, county):
    branch, fulls, _ = await _branch(api, county, 3)
    r = await _plan(api, county.admin_a, branch["id"], "group_meeting")
    assert r.json()["code"] == "meeting.type_not_for_org"
    group = await api.org(county.admin_a, branch["id"], "group")
    r = await api.client.patch(
        f"/api/v1/members/{fulls[0]['id']}",
        json={"group_id": group["id"]},
        headers=api.auth(county.admin_a),
    )
    assert r.status_code == 200
    meeting = (await _plan(api, county.admin_a, group["id"], "group_meeting")).json()
    assert [a["member_id"] for a in meeting["attendance"]] == [fulls[0]["id"]]


async def test_a_passed_admission_vote_records_the_members_transition(api, county):
    branch, fulls, _ = await _branch(api, county, 5)
    candidate = await api.member(
        county.county_admin,
        branch["id"],
        status="candidate",
        applied_on="2024-01-01",
        activist_on="2024-03-01",
        candidate_on="2025-04-01",
    )
    meeting = (await _plan(api, county.admin_a, branch["id"])).json()
    await _attend(api, county.admin_a, meeting["id"], fulls, [])
    await record_steps(api, county.admin_a, candidate["id"], "probationary", meeting["held_on"])
    r = await _vote(
        api,
        county.admin_a,
        meeting["id"],
        "decision",
        ayes=5,
        member_id=candidate["id"],
        to_status="probationary",
    )
    assert r.status_code == 201, r.text
    assert r.json()["transition_id"]
    member = (
        await api.client.get(f"/api/v1/members/{candidate['id']}", headers=api.auth(county.admin_a))
    ).json()
    assert member["status"] == "probationary"
    assert member["joined_on"] == "2026-11-10"


async def test_finalize_locks_and_amendments_keep_the_original(api, county):
    branch, fulls, _ = await _branch(api, county, 3)
    meeting = (await _plan(api, county.admin_a, branch["id"])).json()
    url = f"{M}/{meeting['id']}"
    await api.client.patch(url, json={"minutes": "原始记录"}, headers=api.auth(county.admin_a))
    r = await api.client.post(f"{url}/finalize", headers=api.auth(county.admin_a))
    assert r.status_code == 409
    assert r.json()["code"] == "meeting.attendance_incomplete"
    await _attend(api, county.admin_a, meeting["id"], fulls, [])
    r = await api.client.post(f"{url}/finalize", headers=api.auth(county.admin_a))
    assert r.status_code == 200
    assert r.json()["state"] == "finalized"
    r = await api.client.patch(url, json={"minutes": "改写"}, headers=api.auth(county.admin_a))
    assert r.status_code == 409
    assert r.json()["code"] == "meeting.finalized"
    r = await api.client.post(
        f"{url}/amendments",
        json={"field": "minutes", "value": "更正后的记录", "reason": "笔误"},
        headers=api.auth(county.admin_a),
    )
    assert r.status_code == 201
    shown = (await api.client.get(url, headers=api.auth(county.admin_a))).json()
    assert shown["minutes"] == "原始记录"
    assert shown["amended"] == {"minutes": "更正后的记录"}
    assert shown["amendments"][0]["reason"] == "笔误"
    assert shown["amendments"][0]["actor_username"]


async def test_finalizing_twice_publishes_one_event(api, county):
    from sqlalchemy import func, select

    from app.models.outbox import OutboxEvent

    branch, fulls, _ = await _branch(api, county, 3)
    meeting = (await _plan(api, county.admin_a, branch["id"])).json()
    await _attend(api, county.admin_a, meeting["id"], fulls[:2], fulls[2:])
    first = await api.client.post(f"{M}/{meeting['id']}/finalize", headers=api.auth(county.admin_a))
    second = await api.client.post(
        f"{M}/{meeting['id']}/finalize", headers=api.auth(county.admin_a)
    )
    assert (first.status_code, second.status_code) == (200, 409)
    async with get_sessionmaker()() as session:
        events = await session.scalar(
            select(func.count()).where(
                OutboxEvent.resource_id == meeting["id"],
                OutboxEvent.event_type == "meeting.finalized",
            )
        )
    assert events == 1


async def test_meetings_are_scoped(api, county):
    branch, _, _ = await _branch(api, county, 3)
    meeting = (await _plan(api, county.admin_a, branch["id"])).json()
    assert (
        await api.client.get(f"{M}/{meeting['id']}", headers=api.auth(county.admin_b))
    ).status_code == 404
    listed = await api.client.get(M, params={"limit": 500}, headers=api.auth(county.admin_b))
    assert meeting["id"] not in {m["id"] for m in listed.json()["items"]}
    r = await _plan(api, county.admin_b, branch["id"])
    assert r.status_code == 404
    r = await api.client.get(
        f"/api/v1/organisations/{county.town_a['id']}/meeting-compliance",
        headers=api.auth(county.admin_b),
    )
    assert r.status_code == 404


async def _held(api, token, org_id, type_, held_on, attendees):
    meeting = (await _plan(api, token, org_id, type_, held_on)).json()
    assert "id" in meeting, meeting
    await _attend(api, token, meeting["id"], attendees, [])
    r = await api.client.post(f"{M}/{meeting['id']}/finalize", headers=api.auth(token))
    assert r.status_code == 200, r.text


async def test_compliance_names_exactly_the_branches_missing_lectures(api, county):
    token = county.admin_a
    town = await api.org(county.county_admin, county.town_a["id"], "committee")
    branches = []
    for _ in range(3):
        b = await api.org(token, town["id"], "branch")
        members = [await api.member(token, b["id"]) for _ in range(3)]
        branches.append((b, members))
    # Q3 2026: the first branch gives its lecture; the other two do not.
    await _held(api, token, branches[0][0]["id"], "party_lecture", "2026-08-15", branches[0][1])
    await _held(api, token, branches[1][0]["id"], "general_meeting", "2026-07-20", branches[1][1])
    r = await api.client.get(
        f"/api/v1/organisations/{town['id']}/meeting-compliance",
        params={"year": 2026, "quarter": 3},
        headers=api.auth(county.county_admin),
    )
    assert r.status_code == 200, r.text
    report = r.json()
    # The report is written straight from the service's dataclasses: it must still be
    # exactly the documented `Compliance` schema, field for field.
    assert set(report) == set(Compliance.model_fields)
    assert all(set(row) == set(ComplianceRow.model_fields) for row in report["rows"])
    assert Compliance.model_validate(report).model_dump(mode="json") == report
    lectures = {row["org_id"]: row for row in report["rows"] if row["type"] == "party_lecture"}
    assert {org for org, row in lectures.items() if row["overdue"]} == {
        branches[1][0]["id"],
        branches[2][0]["id"],
    }
    assert lectures[branches[0][0]["id"]]["dates"] == ["2026-08-15"]
    assert lectures[branches[0][0]["id"]]["attendance_rate"] == 1.0
    assert report["totals"]["party_lecture"] == {
        "required": 3,
        "held": 1,
        "overdue": 2,
        "rate": 0.3333,
    }
    themes = [row for row in report["rows"] if row["type"] == "theme_day"]
    assert all(
        row["required"] == 3 and row["missing"] == ["2026-07", "2026-08", "2026-09"]
        for row in themes
    )
    # Yearly meetings are not judged inside a quarter.
    assert not [row for row in report["rows"] if row["type"] == "life_meeting"]


async def test_current_quarter_is_not_overdue_before_it_ends(api, county):
    branch, _, _ = await _branch(api, county, 3)
    r = await api.client.get(
        f"/api/v1/organisations/{branch['id']}/meeting-compliance",
        params={"year": 2026, "quarter": 4},
        headers=api.auth(county.admin_a),
    )
    rows = {row["type"]: row for row in r.json()["rows"]}
    assert rows["party_lecture"]["overdue"] is False
    assert rows["theme_day"]["missing"] == ["2026-10"]


async def test_member_meetings_and_attendance_rate(api, county):
    branch, fulls, _ = await _branch(api, county, 3)
    await _held(api, county.admin_a, branch["id"], "theme_day", "2026-09-01", fulls)
    meeting = (await _plan(api, county.admin_a, branch["id"], "theme_day", "2026-10-01")).json()
    await _attend(api, county.admin_a, meeting["id"], fulls[1:], fulls[:1])
    await api.client.post(f"{M}/{meeting['id']}/finalize", headers=api.auth(county.admin_a))
    r = await api.client.get(
        f"/api/v1/members/{fulls[0]['id']}/meetings", headers=api.auth(county.admin_a)
    )
    assert r.json()["attendance_rate"] == 0.5
    assert [m["presence"] for m in r.json()["items"]] == ["absent", "present"]
    timeline = await api.client.get(
        f"/api/v1/members/{fulls[0]['id']}/timeline", headers=api.auth(county.admin_a)
    )
    assert len([e for e in timeline.json()["events"] if e["kind"] == "meeting"]) == 2


async def test_compliance_follows_the_cadence_each_subtree_inherits(api, county):
    # The county asks for monthly lectures (the default is quarterly); one branch sets
    # them back to quarterly for itself, and a branch of the other township inherits
    # the county's. Q1, as of the year's end: three slots where monthly, one otherwise.
    token = county.county_admin
    monthly = await api.org(token, county.town_a["id"], "branch")
    quarterly = await api.org(token, county.town_a["id"], "branch")
    default = await api.org(token, county.town_b["id"], "branch")
    for org, values in (
        (county.county, {"cadence_party_lecture": "monthly"}),
        (quarterly, {"cadence_party_lecture": "quarterly"}),
    ):
        r = await api.client.put(
            f"/api/v1/organisations/{org['id']}/policies",
            json={"values": values},
            headers=api.auth(token),
        )
        assert r.status_code == 200, r.text
    members = [await api.member(token, monthly["id"]) for _ in range(2)]
    await _held(api, token, monthly["id"], "party_lecture", "2026-02-10", members)
    r = await api.client.get(
        f"/api/v1/organisations/{county.county['id']}/meeting-compliance",
        params={"year": 2026, "quarter": 1, "as_of": "2026-12-31"},
        headers=api.auth(token),
    )
    assert r.status_code == 200, r.text
    lectures = {row["org_id"]: row for row in r.json()["rows"] if row["type"] == "party_lecture"}
    assert lectures[monthly["id"]]["cadence"] == "monthly"
    assert lectures[monthly["id"]]["required"] == 3
    assert lectures[monthly["id"]]["held"] == 1
    assert lectures[monthly["id"]]["missing"] == ["2026-01", "2026-03"]
    assert lectures[quarterly["id"]]["cadence"] == "quarterly"
    assert lectures[quarterly["id"]]["missing"] == ["2026-Q1"]
    # The county's override reaches the other township's branches too.
    assert lectures[default["id"]]["cadence"] == "monthly"
    assert lectures[default["id"]]["required"] == 3


async def test_election_with_five_ayes_of_ten_entitled_fails_and_six_passes(api, county):
    branch, fulls, _ = await _branch(api, county, 10)
    meeting = (await _plan(api, county.admin_a, branch["id"])).json()
    await _attend(api, county.admin_a, meeting["id"], fulls[:9], fulls[9:])
    five = (await _vote(api, county.admin_a, meeting["id"], "election", ayes=5, nays=4)).json()
    assert (five["valid"], five["passed"]) == (True, False)
    assert (five["voters_expected"], five["voters_present"]) == (10, 9)
    six = (await _vote(api, county.admin_a, meeting["id"], "election", ayes=6, nays=3)).json()
    assert (six["valid"], six["passed"]) == (True, True)


async def test_an_election_with_four_of_five_present_is_invalid_and_five_of_five_is_valid(
    api, county
):
    branch, fulls, _ = await _branch(api, county, 5)
    four = (await _plan(api, county.admin_a, branch["id"])).json()
    await _attend(api, county.admin_a, four["id"], fulls[:4], fulls[4:])
    vote = (await _vote(api, county.admin_a, four["id"], "election", ayes=4)).json()
    assert (vote["valid"], vote["invalid_reason"]) == (False, "quorum.election_needs_four_fifths")
    assert (vote["voters_expected"], vote["voters_present"]) == (5, 4)
    five = (await _plan(api, county.admin_a, branch["id"])).json()
    await _attend(api, county.admin_a, five["id"], fulls, [])
    vote = (await _vote(api, county.admin_a, five["id"], "election", ayes=3, nays=2)).json()
    assert (vote["valid"], vote["passed"]) == (True, True)
