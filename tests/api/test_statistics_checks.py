"""GET /organisations/{id}/statistics/checks (逻辑校验) through HTTP: the failed rules with
their records and links, fixed records passing, a secretary satisfying the branch rule,
and another subtree answered 404."""

from __future__ import annotations

V = "/api/v1"
AS_OF = {"as_of": "2026-06-30"}


async def _checks(api, token, org_id, **params):
    r = await api.client.get(
        f"{V}/organisations/{org_id}/statistics/checks",
        params={**AS_OF, **params},
        headers=api.auth(token),
    )
    assert r.status_code == 200, r.text
    return {c["code"]: c for c in r.json()["failed"]}, r.json()


async def test_a_counted_member_without_education_or_ethnicity_is_listed_with_a_link(api, county):
    member = await api.member(county.admin_a, county.branch_a["id"], joined_on="2015-07-01")
    failed, body = await _checks(api, county.admin_a, county.town_a["id"])
    assert not body["passed"] and "statistics.education_missing" in body["checked"]
    for code in ("statistics.education_missing", "statistics.ethnicity_missing"):
        assert failed[code]["count"] == 1 and failed[code]["message_en"]
        assert failed[code]["records"] == [
            {
                "kind": "member_record",
                "id": member["id"],
                "name": member["name"],
                "link": f"/api/v1/members/{member['id']}",
            }
        ]
    r = await api.client.patch(
        f"{V}/members/{member['id']}",
        json={"education": "21", "ethnicity": "01"},
        headers=api.auth(county.admin_a),
    )
    assert r.status_code == 200, r.text
    failed, _ = await _checks(api, county.admin_a, county.town_a["id"])
    assert "statistics.education_missing" not in failed
    assert "statistics.ethnicity_missing" not in failed
    assert "statistics.totals_disagree" not in failed


async def test_a_member_not_yet_joined_on_the_day_is_not_checked(api, county):
    await api.member(county.admin_a, county.branch_a["id"], joined_on="2026-06-01")
    failed, _ = await _checks(api, county.admin_a, county.town_a["id"], as_of="2026-05-31")
    assert "statistics.education_missing" not in failed
    failed, _ = await _checks(api, county.admin_a, county.town_a["id"], as_of="2026-06-01")
    assert failed["statistics.education_missing"]["count"] == 1


async def test_a_branch_without_a_secretary_fails_until_one_serves(api, county):
    failed, _ = await _checks(api, county.admin_a, county.town_a["id"])
    records = failed["statistics.branch_without_secretary"]["records"]
    assert [r["id"] for r in records] == [county.branch_a["id"]]
    member = await api.member(
        county.admin_a,
        county.branch_a["id"],
        joined_on="2015-07-01",
        education="21",
        ethnicity="01",
    )
    r = await api.client.post(
        f"{V}/organisations/{county.branch_a['id']}/leaders",
        json={"member_id": member["id"], "role": "secretary", "started_on": "2026-01-01"},
        headers=api.auth(county.county_admin),
    )
    assert r.status_code == 201, r.text
    failed, body = await _checks(api, county.admin_a, county.town_a["id"])
    assert "statistics.branch_without_secretary" not in failed
    assert body["passed"] is True, body
    before, _ = await _checks(api, county.admin_a, county.town_a["id"], as_of="2025-12-31")
    assert "statistics.branch_without_secretary" in before


async def test_the_checks_of_another_subtree_answer_404(api, county):
    r = await api.client.get(
        f"{V}/organisations/{county.branch_b['id']}/statistics/checks",
        params=AS_OF,
        headers=api.auth(county.admin_a),
    )
    assert r.status_code == 404
