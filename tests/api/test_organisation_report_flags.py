"""Report-only flags also on the organisation they concern (its health): members with 6
months of dues unpaid and mobile members past their expected months for their branch,
双报到 registrations not reviewed this year for the community."""

from __future__ import annotations

from datetime import date

TODAY = date(2026, 6, 15)

V = "/api/v1"


async def _health_flags(api, token, org_id):
    r = await api.client.get(f"{V}/organisations/{org_id}/health", headers=api.auth(token))
    assert r.status_code == 200, r.text
    return {f["code"]: f["value"] for f in r.json()["flags"]}


async def test_a_branch_counts_its_members_with_six_months_of_dues_unpaid(
    api, county, frozen_today
):
    branch = await api.org(county.county_admin, county.town_a["id"], "branch")
    await api.member(county.county_admin, branch["id"], category="farmer")
    await api.member(
        county.county_admin,
        branch["id"],
        category="farmer",
        status="probationary",
        joined_on="2026-01-31",
    )
    # Five owed months only (admitted in February): not counted.
    await api.member(
        county.county_admin,
        branch["id"],
        category="farmer",
        status="probationary",
        joined_on="2026-02-01",
    )
    flags = await _health_flags(api, county.admin_a, branch["id"])
    assert flags["dues.six_months_unpaid"] == 2
    # The flag concerns the member's own branch, not the township above it.
    assert "dues.six_months_unpaid" not in await _health_flags(
        api, county.county_admin, county.town_a["id"]
    )
    other = await api.county()
    r = await api.client.get(
        f"{V}/organisations/{branch['id']}/health", headers=api.auth(other.county_admin)
    )
    assert r.status_code == 404


async def test_a_community_counts_its_registrations_not_reviewed_this_year(
    api, county, frozen_today
):
    community = await api.org(
        county.county_admin, county.town_a["id"], "committee", unit_category=7
    )
    member = await api.member(county.county_admin, county.branch_a["id"], category="employed")
    r = await api.client.post(
        f"{V}/members/{member['id']}/community-report",
        json={"community_org_id": community["id"]},
        headers=api.auth(county.admin_a),
    )
    assert r.status_code == 201, r.text
    report = r.json()
    frozen_today["day"] = date(2026, 12, 31)  # registered this year: not due yet
    assert "community_report.review_due" not in await _health_flags(
        api, county.county_admin, community["id"]
    )
    frozen_today["day"] = date(2027, 1, 1)
    flags = await _health_flags(api, county.county_admin, community["id"])
    assert flags["community_report.review_due"] == 1
    r = await api.client.post(
        f"{V}/community-reports/{report['id']}/review",
        json={"year": 2027, "status": "passed"},
        headers=api.auth(county.county_admin),
    )
    assert r.status_code in (200, 201), r.text
    assert "community_report.review_due" not in await _health_flags(
        api, county.county_admin, community["id"]
    )
