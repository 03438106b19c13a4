"""The national collection form's fields: a member's degree, post, new social stratum and
hardship from their code lists (create, update, import); an organisation's contact
(phone stored encrypted), 行政区划 code, unit details, approval right and national id."""

from __future__ import annotations

import csv
import io

from sqlalchemy import text
from support import new_id_number

from app.db import get_sessionmaker

V = "/api/v1"


async def _create(api, county, **fields):
    body = {
        "name": "赵六",
        "id_number": new_id_number(),
        "org_id": county.branch_a["id"],
        "status": "full",
        "category": "employed",
        **fields,
    }
    return await api.client.post(f"{V}/members", json=body, headers=api.auth(county.admin_a))


async def test_a_member_takes_degree_post_stratum_and_hardship_by_code_or_label(api, county):
    r = await _create(
        api, county, degree="4", post="党政机关公务员", new_social_stratum="3", hardship="1"
    )
    assert r.status_code == 201, r.text
    body = r.json()
    assert (body["degree"], body["post"], body["new_social_stratum"], body["hardship"]) == (
        "学士",
        "党政机关公务员",
        "自由职业人员",
        "生活困难",
    )
    r = await api.client.get(f"{V}/members/{body['id']}", headers=api.auth(county.admin_a))
    assert r.json()["degree"] == "学士"


async def test_a_national_member_field_outside_its_code_list_is_refused_naming_it(api, county):
    for field, value, code in (
        ("degree", "5", "member.degree_unknown"),
        ("degree", "本科", "member.degree_unknown"),
        ("post", "13", "member.post_unknown"),
        ("new_social_stratum", "5", "member.new_social_stratum_unknown"),
        ("hardship", "4", "member.hardship_unknown"),
    ):
        r = await _create(api, county, **{field: value})
        assert r.status_code == 422, (field, value, r.text)
        assert r.json()["errors"][0] == {**r.json()["errors"][0], "field": field, "code": code}


async def test_a_member_update_checks_and_clears_the_national_fields(api, county):
    member = await api.member(county.admin_a, county.branch_a["id"])
    url = f"{V}/members/{member['id']}"
    headers = api.auth(county.admin_a)
    r = await api.client.patch(url, json={"post": "宇航员"}, headers=headers)
    assert r.status_code == 422 and r.json()["errors"][0]["field"] == "post"
    r = await api.client.patch(url, json={"post": "12", "hardship": "9"}, headers=headers)
    assert r.status_code == 200 and (r.json()["post"], r.json()["hardship"]) == (
        "其他职业人员",
        "其他困难",
    )
    r = await api.client.patch(url, json={"hardship": None}, headers=headers)
    assert r.status_code == 200 and r.json()["hardship"] is None


async def test_a_member_of_another_subtree_cannot_be_given_national_fields(api, county):
    member = await api.member(county.admin_b, county.branch_b["id"])
    r = await api.client.patch(
        f"{V}/members/{member['id']}", json={"degree": "2"}, headers=api.auth(county.admin_a)
    )
    assert r.status_code == 404


async def test_an_import_reads_the_national_member_columns(api, county):
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(
        [
            "姓名",
            "公民身份号码",
            "所在党组织编码",
            "党员状态",
            "人员类别",
            "学位",
            "工作岗位",
            "新社会阶层",
            "困难情况",
        ]
    )
    writer.writerow(
        [
            "钱七",
            new_id_number(),
            county.branch_a["code"],
            "正式党员",
            "在职",
            "硕士",
            "05",
            "",
            "残疾",
        ]
    )
    writer.writerow(
        ["孙八", new_id_number(), county.branch_a["code"], "正式党员", "在职", "学位X", "", "", ""]
    )
    r = await api.client.post(
        f"{V}/imports",
        params={"kind": "members"},
        files={"file": ("m.csv", out.getvalue().encode("utf-8"))},
        headers=api.auth(county.admin_a),
    )
    assert r.status_code in (201, 202), r.text
    assert r.json()["created"] == 1
    assert [(e["field"], e["code"]) for e in r.json()["rejected"]] == [
        ("degree", "member.degree_unknown")
    ]
    r = await api.client.get(
        f"{V}/members", params={"org_id": county.branch_a["id"]}, headers=api.auth(county.admin_a)
    )
    (imported,) = [m for m in r.json()["items"] if m["name"] == "钱七"]
    assert (imported["degree"], imported["post"], imported["hardship"]) == (
        "硕士",
        "企业管理人员",
        "残疾",
    )


ORG_FIELDS = {
    "contact_person": "李书记",
    "contact_phone": "13900001111",
    "division_code": "350102",
    "unit_type": "3",
    "economic_type": "私有",
    "unit_size": "4",
    "may_approve_probationary": True,
    "national_id": "NAT-0001",
}


async def _org(api, county, **fields):
    body = {"name": "某公司党支部", "type": "branch", "parent_id": county.town_a["id"], **fields}
    return await api.client.post(
        f"{V}/organisations", json=body, headers=api.auth(county.county_admin)
    )


async def test_an_organisation_keeps_the_national_fields_with_its_phone_encrypted(api, county):
    r = await _org(api, county, code="NAT-1", **ORG_FIELDS)
    assert r.status_code == 201, r.text
    body = r.json()
    assert {k: body[k] for k in ORG_FIELDS} == {
        **ORG_FIELDS,
        "unit_type": "企业法人",
        "unit_size": "微型",
    }
    async with get_sessionmaker()() as session:
        stored = await session.scalar(
            text("SELECT contact_phone_enc FROM organisations WHERE code = 'NAT-1'")
        )
    assert stored is not None and b"13900001111" not in stored
    r = await api.client.get(f"{V}/organisations/{body['id']}", headers=api.auth(county.admin_a))
    assert r.json()["contact_phone"] == "13900001111"


async def test_a_new_organisation_may_not_approve_probationary_members_unless_told(api, county):
    r = await _org(api, county, code="NAT-2")
    assert r.status_code == 201 and r.json()["may_approve_probationary"] is False
    assert r.json()["division_code"] is None and r.json()["contact_phone"] is None


async def test_a_division_code_is_six_digits_under_a_province(api, county):
    for value, status in (
        ("350102", 201),
        ("810000", 201),
        ("990102", 422),
        ("35010", 422),
        ("3501020", 422),
    ):
        r = await _org(api, county, code=f"DIV-{value}", division_code=value)
        assert r.status_code == status, (value, r.text)
        if status == 422:
            assert r.json()["errors"][0]["field"] == "division_code"


async def test_organisation_code_lists_and_phone_are_checked_naming_the_field(api, county):
    for field, value, code in (
        ("unit_type", "6", "organisation.unit_type_unknown"),
        ("economic_type", "180", "organisation.economic_type_unknown"),
        ("unit_size", "巨型", "organisation.unit_size_unknown"),
        ("contact_phone", "12345", None),
    ):
        r = await _org(api, county, code=f"BAD-{field}", **{field: value})
        assert r.status_code == 422, (field, r.text)
        error = r.json()["errors"][0]
        assert error["field"] == field and (code is None or error["code"] == code)


async def test_a_national_id_belongs_to_one_organisation(api, county):
    assert (await _org(api, county, code="NID-1", national_id="N-42")).status_code == 201
    r = await _org(api, county, code="NID-2", national_id="N-42")
    assert r.status_code == 409 and r.json()["code"] == "organisation.national_id_taken"
    other = await _org(api, county, code="NID-3", national_id="N-43")
    r = await api.client.patch(
        f"{V}/organisations/{other.json()['id']}",
        json={"national_id": "N-42"},
        headers={**api.auth(county.county_admin), "If-Match": other.headers["etag"]},
    )
    assert r.status_code == 409


async def test_an_organisation_update_sets_and_clears_the_contact_phone(api, county):
    created = await _org(api, county, code="NAT-U", contact_phone="13900002222")
    url = f"{V}/organisations/{created.json()['id']}"
    headers = api.auth(county.county_admin)
    r = await api.client.patch(
        url,
        json={"contact_phone": None, "unit_size": "2", "may_approve_probationary": True},
        headers={**headers, "If-Match": created.headers["etag"]},
    )
    assert r.status_code == 200, r.text
    assert (r.json()["contact_phone"], r.json()["unit_size"]) == (None, "中型")
    assert r.json()["may_approve_probationary"] is True


async def test_an_organisation_of_another_subtree_cannot_be_given_national_fields(api, county):
    r = await api.client.patch(
        f"{V}/organisations/{county.branch_b['id']}",
        json={"division_code": "350102"},
        headers={**api.auth(county.admin_a), "If-Match": '"1"'},
    )
    assert r.status_code == 404


async def test_an_organisation_import_reads_the_national_columns_and_refuses_a_bad_one(api, county):
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(
        [
            "组织编码",
            "组织名称",
            "组织类别",
            "上级组织编码",
            "行政区划代码",
            "单位类型",
            "全国系统编号",
        ]
    )
    town = county.town_a["code"]
    writer.writerow(["IMP-NAT-1", "甲公司党支部", "党支部", town, "350102", "3", "N-IMP-1"])
    writer.writerow(["IMP-NAT-2", "乙公司党支部", "党支部", town, "990102", "", ""])
    r = await api.client.post(
        f"{V}/imports",
        params={"kind": "organisations"},
        files={"file": ("o.csv", out.getvalue().encode("utf-8"))},
        headers=api.auth(county.admin_a),
    )
    assert r.status_code in (201, 202), r.text
    assert r.json()["created"] == 1
    assert [(e["field"], e["code"]) for e in r.json()["rejected"]] == [
        ("division_code", "organisation.division_code_invalid")
    ]
    r = await api.client.get(
        f"{V}/organisations",
        params={"parent_id": county.town_a["id"]},
        headers=api.auth(county.admin_a),
    )
    (imported,) = [o for o in r.json()["items"] if o["code"] == "IMP-NAT-1"]
    assert (imported["division_code"], imported["unit_type"], imported["national_id"]) == (
        "350102",
        "企业法人",
        "N-IMP-1",
    )
