"""Mobile members: outflow to another subtree, inflow, check-ins, contact duty, privacy."""

from __future__ import annotations

from datetime import date

import pytest
from support import unique

from app.api.deps import get_today
from app.db import get_sessionmaker

E = "/api/v1/mobile-episodes"


@pytest.fixture
def clock(app):
    current = {"day": date(2026, 3, 1)}
    app.dependency_overrides[get_today] = lambda: current["day"]
    yield current
    app.dependency_overrides.pop(get_today, None)


async def _outflow(api, token, member_id, **extra):
    payload = {
        "member_id": member_id,
        "destination_area": "440305",
        "reason": "外出务工",
        "expected_months": 12,
        "contact": "13812348000",
        "certificate_no": unique("CERT"),
        "location_consent": True,
        **extra,
    }
    return await api.client.post(E, json=payload, headers=api.auth(token))


async def test_outflow_inflow_check_ins_and_contact_states(api, county, clock):
    city = await api.county()  # another subtree: the host city community
    host_branch = city.branch_a
    member = await api.member(county.county_admin, county.branch_a["id"])
    r = await _outflow(
        api, county.admin_a, member["id"], host_org_id=host_branch["id"], started_on="2026-03-01"
    )
    assert r.status_code == 201, r.text
    episode = r.json()
    assert episode["state"] == "registered"
    assert episode["contact"] == "13812348000"  # the home side reads it (audited)
    # The host sees the episode, masked contact, home branch only by code and name.
    seen = await api.client.get(f"{E}/{episode['id']}", headers=api.auth(city.admin_a))
    assert seen.status_code == 200
    host_view = seen.json()
    assert host_view["contact"] == "138****8000"
    assert host_view["home_org"]["id"] is None
    assert host_view["home_org"]["code"] == county.branch_a["code"]
    assert member["id_number"] not in seen.text
    assert (
        await api.client.get(f"/api/v1/members/{member['id']}", headers=api.auth(city.admin_a))
    ).status_code == 404
    r = await api.client.post(
        f"{E}/{episode['id']}/inflow",
        json={"host_org_id": host_branch["id"]},
        headers=api.auth(city.admin_a),
    )
    assert r.status_code == 200, r.text
    assert r.json()["state"] == "hosted"
    # Check-ins from both sides.
    clock["day"] = date(2026, 3, 20)
    for token in (county.admin_a, city.admin_a):
        r = await api.client.post(
            f"{E}/{episode['id']}/check-ins",
            json={"kind": "report", "occurred_on": "2026-03-15", "area": "440305"},
            headers=api.auth(token),
        )
        assert r.status_code == 201, r.text
    detail = (await api.client.get(f"{E}/{episode['id']}", headers=api.auth(county.admin_a))).json()
    assert [c["reported_by"] for c in detail["check_ins"]] == ["home", "host"]
    assert detail["contact_state"] == "on_track"
    # A month and a half later the duty of contact is overdue; six months later, lost.
    clock["day"] = date(2026, 5, 1)
    listed = await api.client.get(E, params={"overdue": "true"}, headers=api.auth(county.admin_a))
    assert [e["contact_state"] for e in listed.json()["items"] if e["id"] == episode["id"]] == [
        "overdue"
    ]
    clock["day"] = date(2026, 9, 16)
    detail = (await api.client.get(f"{E}/{episode['id']}", headers=api.auth(county.admin_a))).json()
    assert detail["contact_state"] == "lost_contact"
    record = await api.client.get(
        f"/api/v1/members/{member['id']}", headers=api.auth(county.admin_a)
    )
    assert "contact.lost" in record.json()["flags"]
    stats = await api.client.get(f"{E}/stats", headers=api.auth(county.admin_a))
    assert stats.json()["lost_contact"] == 1
    assert stats.json()["by_destination_province"] == {"44": 1}
    # A third subtree sees nothing.
    third = await api.county()
    assert (
        await api.client.get(f"{E}/{episode['id']}", headers=api.auth(third.admin_a))
    ).status_code == 404
    listed = await api.client.get(E, params={"limit": 500}, headers=api.auth(third.county_admin))
    assert episode["id"] not in {e["id"] for e in listed.json()["items"]}
    assert (await api.client.get(f"{E}/stats", headers=api.auth(third.county_admin))).json()[
        "lost_contact"
    ] == 0
    timeline = await api.client.get(
        f"/api/v1/members/{member['id']}/timeline", headers=api.auth(county.admin_a)
    )
    assert [e for e in timeline.json()["events"] if e["kind"] == "mobile_episode"]


async def test_a_host_finds_an_unnamed_episode_by_certificate_number(api, county, clock):
    city = await api.county()
    member = await api.member(county.county_admin, county.branch_a["id"])
    episode = (
        await _outflow(api, county.admin_a, member["id"], certificate_no="CERT-0001-X")
    ).json()
    assert (
        await api.client.get(f"{E}/{episode['id']}", headers=api.auth(city.admin_a))
    ).status_code == 404
    r = await api.client.post(
        f"{E}/{episode['id']}/inflow",
        json={"host_org_id": city.branch_a["id"]},
        headers=api.auth(city.admin_a),
    )
    assert r.status_code == 404
    found = await api.client.get(
        E, params={"certificate_no": "CERT-0001-X"}, headers=api.auth(city.admin_a)
    )
    assert [e["id"] for e in found.json()["items"]] == [episode["id"]]
    r = await api.client.post(
        f"{E}/{episode['id']}/inflow",
        json={"host_org_id": city.branch_a["id"], "certificate_no": "CERT-0001-X"},
        headers=api.auth(city.admin_a),
    )
    assert r.status_code == 200


async def test_location_without_consent_is_refused(api, county, clock):
    member = await api.member(county.county_admin, county.branch_a["id"])
    episode = (
        await _outflow(
            api, county.admin_a, member["id"], location_consent=False, started_on="2026-02-01"
        )
    ).json()
    r = await api.client.post(
        f"{E}/{episode['id']}/check-ins",
        json={"kind": "study", "occurred_on": "2026-02-10", "area": "440305"},
        headers=api.auth(county.admin_a),
    )
    assert r.status_code == 422
    assert r.json()["code"] == "mobile.location_without_consent"
    r = await api.client.post(
        f"{E}/{episode['id']}/check-ins",
        json={"kind": "study", "occurred_on": "2026-02-10"},
        headers=api.auth(county.admin_a),
    )
    assert r.status_code == 201


async def test_area_codes_must_be_gb_t_2260(api, county, clock):
    member = await api.member(county.county_admin, county.branch_a["id"])
    r = await _outflow(api, county.admin_a, member["id"], destination_area="990305")
    assert r.status_code == 422
    assert r.json()["code"] == "mobile.area_code_invalid"


async def test_one_open_episode_and_no_outflow_during_a_transfer(api, county, clock):
    member = await api.member(county.county_admin, county.branch_a["id"])
    assert (await _outflow(api, county.admin_a, member["id"])).status_code == 201
    r = await _outflow(api, county.admin_a, member["id"])
    assert r.json()["code"] == "mobile.already_open"
    other = await api.member(county.county_admin, county.branch_a["id"])
    await api.client.post(
        "/api/v1/transfers",
        json={"member_id": other["id"], "to_org_id": county.branch_b["id"], "reason": "调动"},
        headers=api.auth(county.admin_a),
    )
    r = await _outflow(api, county.admin_a, other["id"])
    assert r.status_code == 409
    assert r.json()["code"] == "mobile.transfer_pending"


async def test_return_closes_and_an_accepted_transfer_ends_the_episode(api, county, clock):
    a = await api.member(county.county_admin, county.branch_a["id"])
    episode = (await _outflow(api, county.admin_a, a["id"])).json()
    r = await api.client.post(
        f"{E}/{episode['id']}/return", json={}, headers=api.auth(county.admin_a)
    )
    assert r.json()["state"] == "returned"
    b = await api.member(county.county_admin, county.branch_a["id"])
    second = (await _outflow(api, county.admin_a, b["id"])).json()
    transfer = (
        await api.client.post(
            "/api/v1/transfers",
            json={"member_id": b["id"], "to_org_id": county.branch_b["id"], "reason": "应转尽转"},
            headers=api.auth(county.admin_a),
        )
    ).json()
    await api.client.post(
        f"/api/v1/transfers/{transfer['id']}/accept", headers=api.auth(county.admin_b)
    )
    detail = await api.client.get(f"{E}/{second['id']}", headers=api.auth(county.admin_a))
    assert detail.json()["state"] == "transferred"


async def test_old_locations_are_purged(api, county, clock):
    from app.services.mobile import purge_locations

    member = await api.member(county.county_admin, county.branch_a["id"])
    episode = (await _outflow(api, county.admin_a, member["id"], started_on="2025-01-01")).json()
    for day in ("2025-01-10", "2026-02-10"):
        r = await api.client.post(
            f"{E}/{episode['id']}/check-ins",
            json={"kind": "report", "occurred_on": day, "area": "440305"},
            headers=api.auth(county.admin_a),
        )
        assert r.status_code == 201
    async with get_sessionmaker()() as session, session.begin():
        purged = await purge_locations(session, date(2026, 3, 1))
    assert purged >= 1
    detail = (await api.client.get(f"{E}/{episode['id']}", headers=api.auth(county.admin_a))).json()
    assert [c["area"] for c in detail["check_ins"]] == [None, "440305"]


async def test_contact_duty_follows_the_home_policy_in_the_item_the_list_and_the_stats(
    api, county, clock
):
    # The home township asks for a check-in every two months; the county keeps one.
    r = await api.client.put(
        f"/api/v1/organisations/{county.town_a['id']}/policies",
        json={"values": {"mobile_check_in_months": 2}},
        headers=api.auth(county.county_admin),
    )
    assert r.status_code == 200, r.text
    member = await api.member(county.county_admin, county.branch_a["id"])
    r = await _outflow(api, county.admin_a, member["id"], started_on="2026-03-01")
    assert r.status_code == 201, r.text
    episode = r.json()

    async def seen_by_county():
        headers = api.auth(county.county_admin)
        listed = await api.client.get(E, params={"overdue": "true"}, headers=headers)
        item = await api.client.get(f"{E}/{episode['id']}", headers=headers)
        stats = await api.client.get(E + "/stats", headers=headers)
        return (
            episode["id"] in {e["id"] for e in listed.json()["items"]},
            item.json()["contact_state"],
            stats.json()["overdue"],
        )

    clock["day"] = date(2026, 5, 1)  # two months since the last contact: not yet late
    assert await seen_by_county() == (False, "on_track", 0)
    clock["day"] = date(2026, 5, 2)
    assert await seen_by_county() == (True, "overdue", 1)


async def test_six_months_silent_to_the_day_is_lost_contact_for_the_episode_and_the_member(
    api, county, clock
):
    member = await api.member(county.county_admin, county.branch_a["id"])
    r = await _outflow(api, county.admin_a, member["id"], started_on="2026-03-01")
    assert r.status_code == 201, r.text
    episode = r.json()
    headers = api.auth(county.admin_a)

    async def seen():
        item = await api.client.get(f"{E}/{episode['id']}", headers=headers)
        record = await api.client.get(f"/api/v1/members/{member['id']}", headers=headers)
        return item.json()["contact_state"], "contact.lost" in record.json()["flags"]

    clock["day"] = date(2026, 8, 31)
    assert await seen() == ("overdue", False)
    clock["day"] = date(2026, 9, 1)
    assert await seen() == ("lost_contact", True)


async def test_the_lost_contact_list_holds_exactly_the_members_whose_record_raises_the_flag(
    api, county, clock
):
    """`?flag=contact.lost` finds members as a set of ids (lost by record, silent on an
    open episode: `flags._filter_forms`); the record tests the row. Both agree."""
    ca, branch = county.county_admin, county.branch_a["id"]
    by_record = await api.member(ca, branch, lost_contact_since="2026-05-01")
    lately = await api.member(ca, branch, lost_contact_since="2026-10-01")
    silent, back, in_touch = [await api.member(ca, branch) for _ in range(3)]
    episodes = {}
    for m in (silent, back, in_touch):
        r = await _outflow(api, county.admin_a, m["id"], started_on="2026-03-01")
        assert r.status_code == 201, r.text
        episodes[m["id"]] = r.json()["id"]
    r = await api.client.post(
        f"{E}/{episodes[back['id']]}/return", json={}, headers=api.auth(county.admin_a)
    )
    assert r.status_code == 200, r.text
    clock["day"] = date(2026, 10, 20)
    r = await api.client.post(
        f"{E}/{episodes[in_touch['id']]}/check-ins",
        json={"kind": "report", "occurred_on": "2026-10-20", "note": "在外务工"},
        headers=api.auth(county.admin_a),
    )
    assert r.status_code == 201, r.text
    clock["day"] = date(2026, 11, 24)
    headers = api.auth(county.admin_a)
    r = await api.client.get(
        "/api/v1/members",
        params={"flag": "contact.lost", "within": branch, "limit": 500},
        headers=headers,
    )
    assert r.status_code == 200, r.text
    listed = {m["id"] for m in r.json()["items"]}
    shown = set()
    for m in (by_record, lately, silent, back, in_touch):
        record = await api.client.get(f"/api/v1/members/{m['id']}", headers=headers)
        if "contact.lost" in record.json()["flags"]:
            shown.add(m["id"])
    assert listed == shown == {by_record["id"], silent["id"]}
