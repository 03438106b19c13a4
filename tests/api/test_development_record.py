"""A member's development record (纪实档案) as a printable XLSX binder: its sections
hold the member's own records, PII masked as the member read masks it, the export
audited; a member of another subtree is 404."""

from __future__ import annotations

import io
from datetime import date

import pytest
from openpyxl import load_workbook
from support import admission_meeting, record_steps, unique

V = "/api/v1"
TODAY = date(2026, 11, 24)


pytestmark = pytest.mark.usefixtures("frozen_today")  # every test on `TODAY`


async def _binder(api, token, member_id):
    return await api.client.get(
        f"{V}/members/{member_id}/development-record.xlsx", headers=api.auth(token)
    )


def _rows(content: bytes) -> list[tuple]:
    sheet = load_workbook(io.BytesIO(content)).active
    out = []
    for row in sheet.iter_rows(values_only=True):
        cells = list(row)
        while cells and cells[-1] is None:
            cells.pop()
        out.append(tuple(cells))
    return out


def _section(rows: list[tuple], title: str) -> list[tuple]:
    """The data rows of a section: after its title and header, up to the blank row."""
    start = rows.index((title,)) + 2
    end = rows.index((), start) if () in rows[start:] else len(rows)
    return rows[start:end]


def _profile(rows: list[tuple]) -> dict:
    return {row[0]: row[1] if len(row) > 1 else None for row in rows}


async def _admitted_member(api, county):
    token, branch = county.admin_a, county.branch_a["id"]
    member = await api.member(
        token,
        branch,
        name="李四",
        status="candidate",
        applied_on="2024-01-01",
        activist_on="2024-03-01",
        candidate_on="2025-04-01",
        phone="13800138000",
    )
    r = await api.client.post(
        f"{V}/members/{member['id']}/notices",
        json={"kind": "admission", "starts_on": "2026-09-28", "ends_on": "2026-10-09"},
        headers=api.auth(token),
    )
    assert r.status_code == 201, r.text
    prefix = unique("P")
    r = await api.client.post(
        f"{V}/form-number-ranges",
        json={"org_id": branch, "prefix": prefix, "first_number": 1, "last_number": 9},
        headers=api.auth(county.county_admin),
    )
    assert r.status_code == 201, r.text
    r = await api.client.post(
        f"{V}/members/{member['id']}/form-number",
        json={"prefix": prefix, "number": 3, "used_on": "2026-10-12"},
        headers=api.auth(token),
    )
    assert r.status_code == 201, r.text
    meeting_id = await admission_meeting(api, token, branch, member["id"], "2026-11-10")
    await record_steps(api, token, member["id"], "probationary", "2026-11-10")
    r = await api.client.post(
        f"{V}/members/{member['id']}/transitions",
        json={
            "to_status": "probationary",
            "effective_date": "2026-11-10",
            "meeting_id": meeting_id,
        },
        headers=api.auth(token),
    )
    assert r.status_code == 201, r.text
    return member, prefix


async def test_the_binder_holds_each_section_of_the_members_record(api, county):
    member, prefix = await _admitted_member(api, county)
    r = await _binder(api, county.admin_a, member["id"])
    assert r.status_code == 200, r.text
    assert r.headers["content-type"].startswith(
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    )
    rows = _rows(r.content)
    assert rows[0] == ("党员发展纪实档案",)
    assert rows[1] == ("姓名", "李四", "制表日期", "2026-11-24")
    profile = _profile(_section(rows, "一、基本情况"))
    assert profile["姓名"] == "李四"
    assert profile["当前状态"] == "预备党员"
    assert profile["所在党组织"] == "甲村党支部"
    assert profile["递交入党申请书日期"].date() == date(2024, 1, 1)
    # The administrator holds PII rights: the ID number as recorded.
    full = await api.client.get(f"{V}/members/{member['id']}", headers=api.auth(county.admin_a))
    assert profile["公民身份号码"] == full.json()["id_number"]
    assert "*" not in profile["公民身份号码"]
    timeline = _section(rows, "二、发展历程")
    assert ("递交入党申请书 applied") in [event[1] for event in timeline]
    assert _section(rows, "三、入党志愿书") == [(f"{prefix}3", _midnight(2026, 10, 12))]
    assert _section(rows, "四、公示") == [
        ("接收预备党员公示", _midnight(2026, 9, 28), _midnight(2026, 10, 9), 5)
    ]
    (vote,) = _section(rows, "五、表决会议")
    assert vote[:3] == ("接收为预备党员", _midnight(2026, 11, 10), "支部党员大会")
    assert _section(rows, "六、党纪处分") == [("（无）",)]
    steps = {row[1]: row for row in _section(rows, "七、发展程序")}
    # Recorded steps and the records that are steps (the 公示, the 志愿书 number) alike.
    assert steps["递交入党申请书"][:3] == (1, "递交入党申请书", _midnight(2024, 1, 1))
    assert steps["接收预备党员公示"][2] == _midnight(2026, 9, 28)
    assert steps["发放入党志愿书"][2] == _midnight(2026, 10, 12)
    assert steps["支部大会讨论接收"][2] == _midnight(2026, 11, 10)
    assert {"政治审查", "集中培训", "上级党委预审"} <= set(steps)


def _midnight(*ymd: int):
    from datetime import datetime

    return datetime(*ymd)


async def test_the_binder_lists_a_discipline(api, county):
    member = await api.member(county.admin_a, county.branch_a["id"])
    r = await api.client.post(
        f"{V}/members/{member['id']}/disciplines",
        json={
            "kind": "warning",
            "org_id": county.branch_a["id"],
            "decided_on": "2026-03-01",
            "document_number": "纪字〔2026〕1号",
        },
        headers=api.auth(county.admin_a),
    )
    assert r.status_code == 201, r.text
    rows = _rows((await _binder(api, county.admin_a, member["id"])).content)
    (row,) = _section(rows, "六、党纪处分")
    assert row[:3] == ("警告", _midnight(2026, 3, 1), "纪字〔2026〕1号")


async def test_an_auditor_gets_the_binder_with_the_id_number_and_phone_masked(api, county):
    member, _ = await _admitted_member(api, county)
    _, auditor = await api.user(county.county_admin, "auditor", county.town_a["id"])
    r = await _binder(api, auditor, member["id"])
    assert r.status_code == 200, r.text
    profile = _profile(_section(_rows(r.content), "一、基本情况"))
    masked = await api.client.get(f"{V}/members/{member['id']}", headers=api.auth(auditor))
    assert masked.json()["pii_masked"] is True
    assert profile["公民身份号码"] == masked.json()["id_number"]
    assert profile["联系电话"] == masked.json()["phone"]
    assert "*" in profile["公民身份号码"] and "*" in profile["联系电话"]


async def test_the_export_is_audited(api, county):
    member = await api.member(county.admin_a, county.branch_a["id"])
    assert (await _binder(api, county.admin_a, member["id"])).status_code == 200
    events = await api.client.get(
        f"{V}/audit-events",
        params={"resource_id": member["id"], "resource": "member", "limit": 500},
        headers=api.auth(county.county_admin),
    )
    actions = [e["action"] for e in events.json()["items"]]
    assert actions.count("export.member_record") == 1
    assert "member.pii_read" in actions  # the unmasked profile, as the member read audits it


async def test_a_member_of_another_subtree_is_404(api, county):
    member = await api.member(county.admin_a, county.branch_a["id"])
    r = await _binder(api, county.admin_b, member["id"])
    assert r.status_code == 404
    assert r.json()["code"] == "member.not_found"
    events = await api.client.get(
        f"{V}/audit-events",
        params={"resource_id": member["id"], "resource": "member", "limit": 500},
        headers=api.auth(county.county_admin),
    )
    assert "export.member_record" not in [e["action"] for e in events.json()["items"]]


async def test_a_member_user_reads_its_own_binder_and_no_other(api, county):
    me = await api.member(county.admin_a, county.branch_a["id"], name="王五")
    other = await api.member(county.admin_a, county.branch_a["id"])
    _, token = await api.user(county.admin_a, "member", county.branch_a["id"], me["id"])
    r = await _binder(api, token, me["id"])
    assert r.status_code == 200, r.text
    assert _profile(_section(_rows(r.content), "一、基本情况"))["姓名"] == "王五"
    assert (await _binder(api, token, other["id"])).status_code == 404
