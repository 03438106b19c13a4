"""Admission record: 公示 periods on the holiday calendar, 志愿书 numbers used once."""

from __future__ import annotations

import asyncio

from support import unique

V = "/api/v1"


async def _notice(api, token, member_id, **body):
    return await api.client.post(
        f"{V}/members/{member_id}/notices",
        json={"kind": "admission", **body},
        headers=api.auth(token),
    )


def _prefix() -> str:
    return unique("P")


async def _range(api, token, org_id, prefix, first=1, last=10):
    return await api.client.post(
        f"{V}/form-number-ranges",
        json={"org_id": org_id, "prefix": prefix, "first_number": first, "last_number": last},
        headers=api.auth(token),
    )


async def _use(api, token, member_id, prefix, number, used_on="2026-11-02"):
    return await api.client.post(
        f"{V}/members/{member_id}/form-number",
        json={"prefix": prefix, "number": number, "used_on": used_on},
        headers=api.auth(token),
    )


async def _void(api, token, org_id, prefix, number, reason="填写错误"):
    return await api.client.post(
        f"{V}/organisations/{org_id}/form-numbers/void",
        json={"prefix": prefix, "number": number, "reason": reason},
        headers=api.auth(token),
    )


# 公示


async def test_a_notice_of_five_working_days_across_the_national_day_is_accepted(api, county):
    member = await api.member(county.county_admin, county.branch_a["id"])
    # Mon 28 Sep .. Fri 9 Oct 2026: 3 days before 国庆, 2 after (1-7 Oct are holidays).
    r = await _notice(
        api, county.admin_a, member["id"], starts_on="2026-09-28", ends_on="2026-10-09"
    )
    assert r.status_code == 201, r.text
    assert r.json()["working_days"] == 5
    listed = await api.client.get(
        f"{V}/members/{member['id']}/notices", headers=api.auth(county.admin_a)
    )
    assert [n["ends_on"] for n in listed.json()["items"]] == ["2026-10-09"]


async def test_a_notice_one_working_day_short_is_refused(api, county):
    member = await api.member(county.county_admin, county.branch_a["id"])
    # Ten calendar days, eight weekdays, but only four working days over 国庆.
    r = await _notice(
        api, county.admin_a, member["id"], starts_on="2026-09-28", ends_on="2026-10-08"
    )
    assert r.status_code == 422, r.text
    assert r.json()["errors"][0]["code"] == "notice.period_too_short"
    assert r.json()["errors"][0]["field"] == "ends_on"


async def test_a_notice_given_in_working_days_gets_its_last_day_from_the_calendar(api, county):
    member = await api.member(county.county_admin, county.branch_a["id"])
    r = await _notice(api, county.admin_a, member["id"], starts_on="2026-09-28", working_days=5)
    assert r.status_code == 201, r.text
    assert r.json()["ends_on"] == "2026-10-09"
    short = await _notice(api, county.admin_a, member["id"], starts_on="2026-09-28", working_days=4)
    assert short.status_code == 422
    assert short.json()["errors"][0]["code"] == "notice.period_too_short"


async def test_a_notice_gives_its_end_or_its_working_days_not_both(api, county):
    member = await api.member(county.county_admin, county.branch_a["id"])
    both = await _notice(
        api,
        county.admin_a,
        member["id"],
        starts_on="2026-09-28",
        ends_on="2026-10-09",
        working_days=5,
    )
    neither = await _notice(api, county.admin_a, member["id"], starts_on="2026-09-28")
    for r in (both, neither):
        assert r.status_code == 422
        assert r.json()["errors"][0]["code"] == "notice.period_ambiguous"


async def test_notices_of_another_subtree_are_not_found(api, county):
    member = await api.member(county.county_admin, county.branch_a["id"])
    r = await _notice(api, county.admin_b, member["id"], starts_on="2026-09-28", working_days=5)
    assert r.status_code == 404
    listed = await api.client.get(
        f"{V}/members/{member['id']}/notices", headers=api.auth(county.admin_b)
    )
    assert listed.status_code == 404


async def test_only_the_top_admin_keeps_the_calendar_and_notices_follow_it(api, county):
    day = "2099-06-01"  # a Monday, far from any seeded or other test's day
    body = {"kind": "holiday", "name": "测试假日"}
    refused = await api.client.put(
        f"{V}/calendar-days/{day}", json=body, headers=api.auth(county.county_admin)
    )
    assert refused.status_code == 403
    member = await api.member(county.county_admin, county.branch_a["id"])
    before = await _notice(api, county.admin_a, member["id"], starts_on=day, working_days=5)
    assert before.json()["ends_on"] == "2099-06-05"
    r = await api.client.put(
        f"{V}/calendar-days/{day}", json=body, headers=api.auth(api.admin_token)
    )
    assert r.status_code == 200, r.text
    try:
        listed = await api.client.get(
            f"{V}/calendar-days", params={"year": 2099}, headers=api.auth(county.admin_a)
        )
        assert [d["day"] for d in listed.json()["items"]] == [day]
        after = await _notice(api, county.admin_a, member["id"], starts_on=day, working_days=5)
        assert after.json()["ends_on"] == "2099-06-08"
    finally:
        gone = await api.client.delete(
            f"{V}/calendar-days/{day}", headers=api.auth(api.admin_token)
        )
        assert gone.status_code == 204


async def test_the_2026_calendar_is_seeded(api, county):
    listed = await api.client.get(
        f"{V}/calendar-days", params={"year": 2026}, headers=api.auth(county.admin_a)
    )
    days = {d["day"]: d["kind"] for d in listed.json()["items"]}
    assert days["2026-10-01"] == "holiday" and days["2026-10-10"] == "workday"


# 志愿书 numbers


async def test_a_committee_issues_a_range_to_a_branch_below_it_and_ranges_never_overlap(
    api, county
):
    prefix = _prefix()
    r = await _range(api, county.admin_a, county.branch_a["id"], prefix, 1, 10)
    assert r.status_code == 201, r.text
    overlap = await _range(api, county.admin_b, county.branch_b["id"], prefix, 10, 20)
    assert overlap.status_code == 409
    assert overlap.json()["code"] == "form_number.range_overlaps"
    adjacent = await _range(api, county.admin_b, county.branch_b["id"], prefix, 11, 20)
    assert adjacent.status_code == 201, adjacent.text
    reversed_ = await _range(api, county.admin_a, county.branch_a["id"], _prefix(), 5, 4)
    assert reversed_.json()["errors"][0]["code"] == "form_number.range_reversed"


async def test_a_range_is_not_issued_to_another_subtree(api, county):
    r = await _range(api, county.admin_a, county.branch_b["id"], _prefix())
    assert r.status_code == 404, r.text


async def test_a_number_is_used_once_and_a_void_number_never(api, county):
    prefix = _prefix()
    await _range(api, county.admin_a, county.town_a["id"], prefix, 1, 10)
    first = await api.member(county.county_admin, county.branch_a["id"])
    second = await api.member(county.county_admin, county.branch_a["id"])
    r = await _use(api, county.admin_a, first["id"], prefix, 3)
    assert r.status_code == 201, r.text
    again = await _use(api, county.admin_a, second["id"], prefix, 3)
    assert again.status_code == 409 and again.json()["code"] == "form_number.used"
    assert (await _void(api, county.admin_a, county.branch_a["id"], prefix, 3)).json()["code"] == (
        "form_number.used"
    )
    v = await _void(api, county.admin_a, county.branch_a["id"], prefix, 4)
    assert v.status_code == 201, v.text
    voided = await _use(api, county.admin_a, second["id"], prefix, 4)
    assert voided.status_code == 409 and voided.json()["code"] == "form_number.voided"
    twice = await _use(api, county.admin_a, first["id"], prefix, 5)
    assert twice.json()["code"] == "form_number.member_has_number"


async def test_a_number_outside_the_range_or_issued_elsewhere_is_not_usable(api, county):
    prefix = _prefix()
    await _range(api, county.admin_b, county.branch_b["id"], prefix, 1, 10)
    await _range(api, county.admin_a, county.branch_a["id"], prefix, 11, 20)
    member = await api.member(county.county_admin, county.branch_a["id"])
    for number in (5, 21):  # in town B's range; past the last number of A's
        r = await _use(api, county.admin_a, member["id"], prefix, number)
        assert r.status_code == 422, r.text
        assert r.json()["errors"][0]["code"] == "form_number.not_issued"
    last = await _use(api, county.admin_a, member["id"], prefix, 20)
    assert last.status_code == 201, last.text


async def test_the_report_counts_used_void_and_free_in_the_subtree_only(api, county):
    prefix = _prefix()
    await _range(api, county.admin_a, county.branch_a["id"], prefix, 1, 10)
    await _range(api, county.admin_b, county.branch_b["id"], prefix, 11, 15)
    member = await api.member(county.county_admin, county.branch_a["id"])
    await _use(api, county.admin_a, member["id"], prefix, 1)
    await _void(api, county.admin_a, county.branch_a["id"], prefix, 2, "污损")
    r = await api.client.get(
        f"{V}/organisations/{county.town_a['id']}/form-numbers", headers=api.auth(county.admin_a)
    )
    assert r.status_code == 200, r.text
    report = r.json()
    assert (report["used"], report["void"], report["free"]) == (1, 1, 8)
    [only] = report["ranges"]
    assert [(n["number"], n["state"]) for n in only["numbers"]] == [(1, "used"), (2, "void")]
    county_wide = await api.client.get(
        f"{V}/organisations/{county.county['id']}/form-numbers",
        headers=api.auth(county.county_admin),
    )
    assert county_wide.json()["free"] == 13
    other = await api.client.get(
        f"{V}/organisations/{county.town_a['id']}/form-numbers", headers=api.auth(county.admin_b)
    )
    assert other.status_code == 404
    void_elsewhere = await _void(api, county.admin_b, county.branch_a["id"], prefix, 3)
    assert void_elsewhere.status_code == 404


async def test_a_subtree_may_lengthen_the_notice_but_not_below_five_working_days(api, county):
    url = f"{V}/organisations/{county.town_a['id']}/policies"
    headers = api.auth(county.county_admin)
    below = await api.client.put(
        url, json={"values": {"notice_min_working_days": 4}}, headers=headers
    )
    assert below.status_code == 422, below.text
    r = await api.client.put(url, json={"values": {"notice_min_working_days": 6}}, headers=headers)
    assert r.status_code == 200, r.text
    member = await api.member(county.county_admin, county.branch_a["id"])
    five = await _notice(api, county.admin_a, member["id"], starts_on="2026-09-28", working_days=5)
    assert five.json()["errors"][0]["code"] == "notice.period_too_short"
    six = await _notice(api, county.admin_a, member["id"], starts_on="2026-09-28", working_days=6)
    assert six.status_code == 201 and six.json()["ends_on"] == "2026-10-10"  # the 调休 Saturday


async def test_two_requests_for_the_same_number_at_once_spend_it_once(api, county):
    prefix = _prefix()
    await _range(api, county.admin_a, county.branch_a["id"], prefix, 1, 10)
    first = await api.member(county.county_admin, county.branch_a["id"])
    second = await api.member(county.county_admin, county.branch_a["id"])
    answers = await asyncio.gather(
        _use(api, county.admin_a, first["id"], prefix, 7),
        _use(api, county.admin_a, second["id"], prefix, 7),
    )
    assert sorted(r.status_code for r in answers) == [201, 409], [r.text for r in answers]
