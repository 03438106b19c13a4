"""Discipline (党纪处分) and rewards (表彰): who decides, 留党察看 and the vote, expulsion."""

from __future__ import annotations

from datetime import date

import pytest
from support import unique

TODAY = date(2026, 11, 24)
V = "/api/v1"


pytestmark = pytest.mark.usefixtures("frozen_today")  # every test on `TODAY`


def _body(org_id, kind="warning", **extra):
    return {
        "kind": kind,
        "org_id": org_id,
        "decided_on": "2026-03-01",
        "document_number": unique("纪字"),
        **extra,
    }


async def _discipline(api, token, member_id, body):
    return await api.client.post(
        f"{V}/members/{member_id}/disciplines", json=body, headers=api.auth(token)
    )


async def _member(api, county, **fields):
    return await api.member(county.county_admin, county.branch_a["id"], **fields)


async def test_each_kind_of_discipline_is_recorded_with_organisation_date_and_document(api, county):
    for kind in ("warning", "serious_warning", "removal_from_post"):
        member = await _member(api, county)
        r = await _discipline(api, county.admin_a, member["id"], _body(county.branch_a["id"], kind))
        assert r.status_code == 201, r.text
        assert r.json()["kind"] == kind and r.json()["ends_on"] is None
    listed = await api.client.get(
        f"{V}/members/{member['id']}/disciplines", headers=api.auth(county.admin_a)
    )
    assert [d["kind"] for d in listed.json()["items"]] == ["removal_from_post"]


async def test_a_higher_organisation_in_scope_may_decide(api, county):
    member = await _member(api, county)
    r = await _discipline(api, county.admin_a, member["id"], _body(county.town_a["id"]))
    assert r.status_code == 201, r.text


async def test_the_deciding_organisation_must_be_the_members_or_above_it(api, county):
    member = await _member(api, county)
    sibling = await api.org(county.county_admin, county.town_a["id"], "branch")
    r = await _discipline(api, county.admin_a, member["id"], _body(sibling["id"]))
    assert r.status_code == 422, r.text
    assert r.json()["errors"][0]["code"] == "discipline.org_not_above_member"


async def test_a_temporary_branch_cannot_discipline(api, county):
    temp = await api.org(county.county_admin, county.town_a["id"], "temporary_branch")
    member = await _member(api, county)  # a temporary branch's participants stay at home
    r = await _discipline(api, county.admin_a, member["id"], _body(temp["id"]))
    assert r.status_code == 409, r.text
    assert r.json()["code"] == "discipline.temporary_branch"


async def test_another_subtree_sees_neither_the_member_nor_the_deciding_organisation(api, county):
    member = await _member(api, county)
    r = await _discipline(api, county.admin_b, member["id"], _body(county.branch_b["id"]))
    assert r.status_code == 404
    r = await _discipline(api, county.admin_a, member["id"], _body(county.branch_b["id"]))
    assert r.status_code == 404 and r.json()["errors"][0]["field"] == "org_id"
    ok = await _discipline(api, county.admin_a, member["id"], _body(county.branch_a["id"]))
    for path in ("disciplines", "rewards"):
        r = await api.client.get(
            f"{V}/members/{member['id']}/{path}", headers=api.auth(county.admin_b)
        )
        assert r.status_code == 404
    r = await api.client.post(
        f"{V}/members/{member['id']}/disciplines/{ok.json()['id']}/conclusion",
        json={"outcome": "expelled", "concluded_on": "2026-04-01", "document_number": "x"},
        headers=api.auth(county.admin_b),
    )
    assert r.status_code == 404


async def test_probation_needs_a_period_of_one_or_two_years(api, county):
    member = await _member(api, county)
    org = county.branch_a["id"]
    for bad in ({}, {"period_years": 3}, {"period_years": 0}):
        r = await _discipline(api, county.admin_a, member["id"], _body(org, "probation", **bad))
        assert r.status_code == 422, (bad, r.text)
    r = await _discipline(api, county.admin_a, member["id"], _body(org, period_years=1))
    assert r.status_code == 422
    for years, ends in ((1, "2027-03-01"), (2, "2028-03-01")):
        m = await _member(api, county)
        r = await _discipline(
            api, county.admin_a, m["id"], _body(org, "probation", period_years=years)
        )
        assert r.status_code == 201, r.text
        assert r.json()["ends_on"] == ends


async def test_a_future_decision_is_refused_and_today_is_accepted(api, county):
    member = await _member(api, county)
    org = county.branch_a["id"]
    r = await _discipline(api, county.admin_a, member["id"], _body(org, decided_on="2026-11-25"))
    assert r.status_code == 422
    r = await _discipline(api, county.admin_a, member["id"], _body(org, decided_on="2026-11-24"))
    assert r.status_code == 201


async def test_expulsion_records_the_member_as_left_through_a_transition(api, county):
    member = await _member(api, county)
    r = await _discipline(
        api, county.admin_a, member["id"], _body(county.branch_a["id"], "expulsion")
    )
    assert r.status_code == 201, r.text
    got = await api.client.get(f"{V}/members/{member['id']}", headers=api.auth(county.admin_a))
    assert got.json()["status"] == "left"
    timeline = await api.client.get(
        f"{V}/members/{member['id']}/timeline", headers=api.auth(county.admin_a)
    )
    kinds = [e["kind"] for e in timeline.json()["events"]]
    assert "discipline" in kinds and "transition" in kinds
    r = await _discipline(api, county.admin_a, member["id"], _body(county.branch_a["id"]))
    assert r.status_code == 409 and r.json()["code"] == "discipline.member_not_eligible"


async def _probation(api, county, member, decided_on="2025-06-01", years=1):
    r = await _discipline(
        api,
        county.admin_a,
        member["id"],
        _body(county.branch_a["id"], "probation", period_years=years, decided_on=decided_on),
    )
    assert r.status_code == 201, r.text
    return r.json()


async def _conclude(api, county, member, discipline, outcome, on):
    return await api.client.post(
        f"{V}/members/{member['id']}/disciplines/{discipline['id']}/conclusion",
        json={"outcome": outcome, "concluded_on": on, "document_number": unique("决")},
        headers=api.auth(county.admin_a),
    )


async def test_rights_are_restored_from_the_day_the_period_ends_not_before(api, county):
    member = await _member(api, county)
    d = await _probation(api, county, member)  # ends 2026-06-01
    r = await _conclude(api, county, member, d, "rights_restored", "2026-05-31")
    assert r.status_code == 409 and r.json()["code"] == "discipline.period_not_served"
    r = await _conclude(api, county, member, d, "rights_restored", "2026-06-01")
    assert r.status_code == 200, r.text
    assert r.json()["outcome"] == "rights_restored"
    r = await _conclude(api, county, member, d, "expelled", "2026-06-02")
    assert r.status_code == 409 and r.json()["code"] == "discipline.already_concluded"


async def test_a_second_probation_waits_for_the_first_ones_outcome(api, county):
    member = await _member(api, county)
    await _probation(api, county, member)
    r = await _discipline(
        api, county.admin_a, member["id"], _body(county.branch_a["id"], "probation", period_years=1)
    )
    assert r.status_code == 409 and r.json()["code"] == "discipline.probation_open"


async def test_probation_ends_with_expulsion_during_its_period(api, county):
    member = await _member(api, county)
    d = await _probation(api, county, member, decided_on="2026-06-01")
    r = await _conclude(api, county, member, d, "expelled", "2026-09-01")
    assert r.status_code == 200, r.text
    got = await api.client.get(f"{V}/members/{member['id']}", headers=api.auth(county.admin_a))
    assert got.json()["status"] == "left"
    timeline = await api.client.get(
        f"{V}/members/{member['id']}/timeline", headers=api.auth(county.admin_a)
    )
    assert "discipline_concluded" in [e["kind"] for e in timeline.json()["events"]]


async def test_only_probation_takes_an_outcome(api, county):
    member = await _member(api, county)
    r = await _discipline(api, county.admin_a, member["id"], _body(county.branch_a["id"]))
    r = await _conclude(api, county, member, r.json(), "rights_restored", "2026-06-01")
    assert r.status_code == 409 and r.json()["code"] == "discipline.not_probation"


async def _general_meeting(api, county, held_on):
    r = await api.client.post(
        f"{V}/meetings",
        json={
            "org_id": county.branch_a["id"],
            "type": "general_meeting",
            "held_on": held_on,
            "topic": "学习",
        },
        headers=api.auth(county.admin_a),
    )
    assert r.status_code == 201, r.text
    return {a["member_id"]: a["has_vote"] for a in r.json()["attendance"]}


async def test_a_member_under_probation_attends_without_a_vote_for_its_period(api, county):
    member = await _member(api, county)
    await _probation(api, county, member, decided_on="2025-06-01")  # ends 2026-06-01
    assert (await _general_meeting(api, county, "2025-05-31"))[member["id"]] is True
    assert (await _general_meeting(api, county, "2025-06-01"))[member["id"]] is False
    assert (await _general_meeting(api, county, "2026-05-31"))[member["id"]] is False
    assert (await _general_meeting(api, county, "2026-06-01"))[member["id"]] is True


async def test_quorum_does_not_count_a_member_put_under_probation_after_planning(api, county):
    branch = await api.org(county.county_admin, county.town_a["id"], "branch")
    members = [await api.member(county.county_admin, branch["id"]) for _ in range(3)]
    r = await api.client.post(
        f"{V}/meetings",
        json={
            "org_id": branch["id"],
            "type": "general_meeting",
            "held_on": "2026-11-10",
            "topic": "t",
        },
        headers=api.auth(county.admin_a),
    )
    meeting = r.json()
    r = await _discipline(
        api,
        county.admin_a,
        members[0]["id"],
        _body(branch["id"], "probation", period_years=1, decided_on="2026-11-01"),
    )
    assert r.status_code == 201, r.text
    entries = [{"member_id": m["id"], "presence": "present"} for m in members[:2]]
    entries.append({"member_id": members[2]["id"], "presence": "absent"})
    r = await api.client.put(
        f"{V}/meetings/{meeting['id']}/attendance", json=entries, headers=api.auth(county.admin_a)
    )
    assert r.status_code == 200, r.text
    r = await api.client.post(
        f"{V}/meetings/{meeting['id']}/votes",
        json={"kind": "decision", "subject": "议题", "ayes": 1, "nays": 0},
        headers=api.auth(county.admin_a),
    )
    assert r.status_code == 201, r.text
    assert r.json()["voters_expected"] == 2 and r.json()["voters_present"] == 1


async def test_a_reward_is_recorded_and_shown_on_the_timeline(api, county):
    member = await _member(api, county)
    body = {
        "title": "优秀共产党员",
        "level": "county",
        "awarded_on": "2026-07-01",
        "org_id": county.county["id"],
        "document_number": "县委〔2026〕1号",
    }
    r = await api.client.post(
        f"{V}/members/{member['id']}/rewards", json=body, headers=api.auth(county.county_admin)
    )
    assert r.status_code == 201, r.text
    r = await api.client.post(
        f"{V}/members/{member['id']}/rewards", json=body, headers=api.auth(county.admin_a)
    )
    assert r.status_code == 404 and r.json()["errors"][0]["field"] == "org_id"
    timeline = await api.client.get(
        f"{V}/members/{member['id']}/timeline", headers=api.auth(county.admin_a)
    )
    assert "reward" in [e["kind"] for e in timeline.json()["events"]]


async def test_a_member_user_cannot_record_discipline(api, county):
    member = await _member(api, county)
    _, token = await api.user(county.admin_a, "member", county.branch_a["id"], member["id"])
    r = await _discipline(api, token, member["id"], _body(county.branch_a["id"]))
    assert r.status_code == 403


async def test_the_attendance_listing_shows_no_vote_for_a_member_put_under_probation_later(
    api, county
):
    branch = await api.org(county.county_admin, county.town_a["id"], "branch")
    members = [await api.member(county.county_admin, branch["id"]) for _ in range(2)]
    r = await api.client.post(
        f"{V}/meetings",
        json={"org_id": branch["id"], "type": "general_meeting", "held_on": "2026-11-10"}
        | {"topic": "t"},
        headers=api.auth(county.admin_a),
    )
    meeting = r.json()
    assert {a["has_vote"] for a in meeting["attendance"]} == {True}
    body = _body(branch["id"], "probation", period_years=1, decided_on="2026-11-10")
    assert (await _discipline(api, county.admin_a, members[0]["id"], body)).status_code == 201
    shown = await api.client.get(f"{V}/meetings/{meeting['id']}", headers=api.auth(county.admin_a))
    votes = {a["member_id"]: a["has_vote"] for a in shown.json()["attendance"]}
    assert votes == {members[0]["id"]: False, members[1]["id"]: True}
