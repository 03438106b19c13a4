"""Ethnicity and education from their code lists on create, update and import paths;
credit codes checked on organisations."""

from __future__ import annotations

from support import new_id_number

V = "/api/v1"


async def _create(api, county, **fields):
    body = {
        "name": "王五",
        "id_number": new_id_number(),
        "org_id": county.branch_a["id"],
        "status": "full",
        "category": "employed",
        **fields,
    }
    return await api.client.post(f"{V}/members", json=body, headers=api.auth(county.admin_a))


async def test_a_member_takes_ethnicity_and_education_by_code_or_label(api, county):
    r = await _create(api, county, ethnicity="03", education="大学本科毕业")
    assert r.status_code == 201, r.text
    assert (r.json()["ethnicity"], r.json()["education"]) == ("回族", "大学本科毕业")


async def test_a_value_outside_the_code_lists_is_refused_naming_the_field(api, county):
    for field, value, code in (
        ("ethnicity", "57", "member.ethnicity_unknown"),
        ("ethnicity", "汉", "member.ethnicity_unknown"),
        ("education", "学士", "member.education_unknown"),
    ):
        r = await _create(api, county, **{field: value})
        assert r.status_code == 422, r.text
        assert r.json()["errors"][0] == {**r.json()["errors"][0], "field": field, "code": code}


async def test_an_update_is_checked_against_the_code_lists(api, county):
    member = await api.member(county.admin_a, county.branch_a["id"])
    url = f"{V}/members/{member['id']}"
    r = await api.client.patch(url, json={"ethnicity": "火星族"}, headers=api.auth(county.admin_a))
    assert r.status_code == 422 and r.json()["errors"][0]["field"] == "ethnicity"
    r = await api.client.patch(url, json={"education": "31"}, headers=api.auth(county.admin_a))
    assert r.status_code == 200 and r.json()["education"] == "大学专科毕业"


async def test_an_organisation_credit_code_needs_its_check_character(api, county):
    body = {"code": "X1", "name": "支部", "type": "branch", "parent_id": county.town_a["id"]}
    headers = api.auth(county.county_admin)
    r = await api.client.post(
        f"{V}/organisations",
        json={**body, "code": "CC-BAD", "unit_credit_code": "91350100M000100Y44"},
        headers=headers,
    )
    assert (
        r.status_code == 422 and r.json()["errors"][0]["code"] == "organisation.credit_code_invalid"
    )
    r = await api.client.post(
        f"{V}/organisations",
        json={**body, "code": "CC-OK", "unit_credit_code": "91350100M000100Y43"},
        headers=headers,
    )
    assert r.status_code == 201, r.text
    r = await api.client.patch(
        f"{V}/organisations/{r.json()['id']}",
        json={"unit_credit_code": "9144030071526726XA"},
        headers={**headers, "If-Match": r.headers["etag"]},
    )
    assert r.status_code == 422
