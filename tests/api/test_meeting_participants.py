"""Mobile members take part at their host: listed at the host's meetings without a vote,
while their relationship (and vote) stays at home; a temporary branch lists its
participants through their episodes."""

from __future__ import annotations

from datetime import date

import pytest
from support import unique

from app.api.deps import get_today

M = "/api/v1/meetings"
E = "/api/v1/mobile-episodes"


@pytest.fixture
def clock(app):
    current = {"day": date(2026, 3, 1)}
    app.dependency_overrides[get_today] = lambda: current["day"]
    yield current
    app.dependency_overrides.pop(get_today, None)


async def _hosted(api, home, host_token, member_id, host_org_id):
    r = await api.client.post(
        E,
        json={
            "member_id": member_id,
            "destination_area": "440305",
            "reason": "外出务工",
            "expected_months": 12,
            "contact": "13812348000",
            "certificate_no": unique("CERT"),
            "location_consent": True,
            "host_org_id": host_org_id,
            "started_on": "2026-03-01",
        },
        headers=api.auth(home.admin_a),
    )
    assert r.status_code == 201, r.text
    episode = r.json()
    r = await api.client.post(
        f"{E}/{episode['id']}/inflow",
        json={"host_org_id": host_org_id},
        headers=api.auth(host_token),
    )
    assert r.status_code == 200, r.text
    return episode


async def _plan(api, token, org_id, held_on, **extra):
    r = await api.client.post(
        M,
        json={"org_id": org_id, "type": "general_meeting", "held_on": held_on, "topic": "学习"},
        headers=api.auth(token),
    )
    assert r.status_code == 201, r.text
    return r.json()


def _votes(meeting):
    return {a["member_id"]: a["has_vote"] for a in meeting["attendance"]}


async def test_a_hosted_mobile_member_is_listed_at_the_hosts_meetings_without_a_vote(
    api, county, clock
):
    city = await api.county()
    host = await api.org(city.county_admin, city.town_a["id"], "branch")
    locals_ = [await api.member(city.county_admin, host["id"]) for _ in range(2)]
    mobile = await api.member(county.county_admin, county.branch_a["id"])
    await _hosted(api, county, city.admin_a, mobile["id"], host["id"])  # hosted on 2026-03-01
    before = _votes(await _plan(api, city.admin_a, host["id"], "2026-02-28"))
    assert mobile["id"] not in before
    meeting = await _plan(api, city.admin_a, host["id"], "2026-03-01")
    assert _votes(meeting) == {locals_[0]["id"]: True, locals_[1]["id"]: True, mobile["id"]: False}
    # Attendance is recorded for the participant, but the vote counts the host's own only.
    entries = [{"member_id": m["id"], "presence": "present"} for m in [*locals_, mobile]]
    r = await api.client.put(
        f"{M}/{meeting['id']}/attendance", json=entries, headers=api.auth(city.admin_a)
    )
    assert r.status_code == 200, r.text
    r = await api.client.post(
        f"{M}/{meeting['id']}/votes",
        json={"kind": "decision", "subject": "议题", "ayes": 2, "nays": 0},
        headers=api.auth(city.admin_a),
    )
    assert r.status_code == 201, r.text
    assert (r.json()["voters_expected"], r.json()["voters_present"]) == (2, 2)
    # The relationship stays at home: the home branch still counts the member, with a vote.
    home = await _plan(api, county.admin_a, county.branch_a["id"], "2026-03-01")
    assert _votes(home)[mobile["id"]] is True


async def test_a_host_may_name_its_participant_but_not_another_subtrees_member(api, county, clock):
    city = await api.county()
    host = await api.org(city.county_admin, city.town_a["id"], "branch")
    local = await api.member(city.county_admin, host["id"])
    mobile = await api.member(county.county_admin, county.branch_a["id"])
    stranger = await api.member(county.county_admin, county.branch_a["id"])
    await _hosted(api, county, city.admin_a, mobile["id"], host["id"])
    r = await api.client.post(
        M,
        json={
            "org_id": host["id"],
            "type": "general_meeting",
            "held_on": "2026-03-05",
            "topic": "学习",
            "expected_member_ids": [local["id"], mobile["id"]],
        },
        headers=api.auth(city.admin_a),
    )
    assert r.status_code == 201, r.text
    assert _votes(r.json()) == {local["id"]: True, mobile["id"]: False}
    r = await api.client.post(
        M,
        json={
            "org_id": host["id"],
            "type": "general_meeting",
            "held_on": "2026-03-05",
            "topic": "学习",
            "expected_member_ids": [local["id"], stranger["id"]],
        },
        headers=api.auth(city.admin_a),
    )
    assert r.status_code == 404, r.text


async def test_a_temporary_branch_lists_its_participants_whose_relationship_stays_home(
    api, county, clock
):
    city = await api.county()
    temp = await api.org(city.county_admin, city.town_a["id"], "temporary_branch")
    mobile = await api.member(county.county_admin, county.branch_a["id"])
    episode = await _hosted(api, county, city.admin_a, mobile["id"], temp["id"])
    listed = await api.client.get(
        E, params={"within": temp["id"], "state": "hosted"}, headers=api.auth(city.admin_a)
    )
    assert [e["id"] for e in listed.json()["items"]] == [episode["id"]]
    meeting = await _plan(api, city.admin_a, temp["id"], "2026-03-02")
    assert _votes(meeting) == {mobile["id"]: False}
    record = await api.client.get(
        f"/api/v1/members/{mobile['id']}", headers=api.auth(county.admin_a)
    )
    assert record.json()["org_id"] == county.branch_a["id"]
