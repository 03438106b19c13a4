"""Bulk import and export: row-level reports, dry runs, atomic runs, idempotent
re-imports, and lossless round trips."""

from __future__ import annotations

import csv
import io
import re
import uuid
from datetime import date

from openpyxl import Workbook
from support import new_id_number, unique

from app.services.id_numbers import make_id_number

HEAD = ["姓名", "公民身份号码", "所在党组织编码", "党员状态", "人员类别", "联系电话", "入党日期"]


def _csv(rows, header=HEAD):
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(header)
    writer.writerows(rows)
    return out.getvalue().encode("utf-8")


async def _import(api, token, content, kind="members", filename="m.csv", **params):
    r = await api.client.post(
        "/api/v1/imports",
        params={"kind": kind, **{k: str(v).lower() for k, v in params.items()}},
        files={"file": (filename, content)},
        headers=api.auth(token),
    )
    assert r.status_code in (201, 202), r.text
    return r.json()


async def _count(api, token, org_id):
    r = await api.client.get(
        "/api/v1/members",
        params={"org_id": org_id, "include_total": "true", "limit": 1},
        headers=api.auth(token),
    )
    return r.json()["total"]


def _file(county):
    good = [new_id_number() for _ in range(3)]
    bad = good[0][:-1] + ("0" if good[0][-1] != "0" else "1")
    rows = [
        ["张一", good[0], county.branch_a["code"], "正式党员", "在职", "13800000001", "2010-07-01"],
        ["张二", good[1], county.branch_a["code"], "full", "farmer", "", ""],
        ["张三", good[2], county.branch_a["code"], "预备党员", "学生", "", "2026-01-05"],
        ["坏号", bad, county.branch_a["code"], "正式党员", "在职", "", ""],
        ["无组织", new_id_number(), "NO-SUCH-ORG", "正式党员", "在职", "", ""],
        ["重复", good[1], county.branch_a["code"], "正式党员", "在职", "", ""],
        ["越权", new_id_number(), county.branch_b["code"], "正式党员", "在职", "", ""],
    ]
    return _csv(rows), good


async def test_import_reports_bad_rows_dry_run_writes_nothing_and_reimport_changes_nothing(
    api, county
):
    content, _ = _file(county)
    dry = await _import(api, county.admin_a, content, dry_run=True)
    assert (dry["created"], dry["accepted"]) == (3, 3)
    rejected = {(r["row"], r["field"], r["code"]) for r in dry["rejected"]}
    assert rejected == {
        (5, "id_number", "member.id_number_checksum"),
        (6, "org_code", "import.org_unknown"),
        (7, "id_number", "import.duplicate_in_file"),
        (8, "org_code", "import.org_unknown"),  # another township: not in scope, not revealed
    }
    assert await _count(api, county.admin_a, county.branch_a["id"]) == 0
    atomic = await _import(api, county.admin_a, content, atomic=True)
    assert atomic["accepted"] == 0
    assert await _count(api, county.admin_a, county.branch_a["id"]) == 0
    real = await _import(api, county.admin_a, content)
    assert (real["created"], len(real["rejected"])) == (3, 4)
    assert await _count(api, county.admin_a, county.branch_a["id"]) == 3
    again = await _import(api, county.admin_a, content)
    assert (again["created"], again["updated"], again["unchanged"]) == (0, 0, 3)
    job = await api.client.get(f"/api/v1/imports/{again['id']}", headers=api.auth(county.admin_a))
    assert job.json()["state"] == "finished"
    assert (
        await api.client.get(f"/api/v1/imports/{again['id']}", headers=api.auth(county.admin_b))
    ).status_code == 404


async def test_imported_members_are_real_members_with_encrypted_ids(api, county):
    content, good = _file(county)
    await _import(api, county.admin_a, content)
    r = await api.client.get(
        "/api/v1/members", params={"id_number": good[0]}, headers=api.auth(county.admin_a)
    )
    member = r.json()["items"][0]
    assert member["name"] == "张一"
    assert member["status"] == "full"
    assert member["phone"] == "13800000001"
    changes = await api.client.get(
        "/api/v1/changes", params={"limit": 1000}, headers=api.auth(county.admin_a)
    )
    assert member["id"] in {c["resource_id"] for c in changes.json()["items"]}


async def test_legacy_fifteen_digit_numbers_are_upgraded_on_import(api, county):
    # Born 1950-03-03, sequence 123, written the old way: no century, no check character.
    legacy = "110105500303123"
    content = _csv([["老号", legacy, county.branch_a["code"], "正式党员", "离退休", "", ""]])
    report = await _import(api, county.admin_a, content)
    assert report["created"] == 1, report
    r = await api.client.get(
        "/api/v1/members",
        params={"id_number": make_id_number("110105", date(1950, 3, 3), 123)},
        headers=api.auth(county.admin_a),
    )
    assert len(r.json()["items"]) == 1


async def test_export_then_reimport_changes_nothing_csv_and_xlsx(api, county):
    content, _ = _file(county)
    await _import(api, county.admin_a, content)
    for fmt in ("csv", "xlsx"):
        r = await api.client.get(
            "/api/v1/exports",
            params={"kind": "members", "within": county.town_a["id"], "format": fmt},
            headers=api.auth(county.admin_a),
        )
        assert r.status_code == 200
        again = await _import(api, county.admin_a, r.content, filename=f"export.{fmt}")
        assert (again["created"], again["updated"], again["rejected"]) == (0, 0, [])
        assert again["unchanged"] == 3


async def test_export_is_scoped_and_masked_without_pii_rights(api, county):
    content, good = _file(county)
    await _import(api, county.admin_a, content)
    _, auditor = await api.user(county.county_admin, "auditor", county.county["id"])
    r = await api.client.get(
        "/api/v1/exports", params={"kind": "members"}, headers=api.auth(auditor)
    )
    assert good[0] not in r.text
    assert good[0][:6] + "********" + good[0][-4:] in r.text
    r = await api.client.get(
        "/api/v1/exports", params={"kind": "members"}, headers=api.auth(county.admin_b)
    )
    assert good[0][-4:] + "," not in r.text and "张一" not in r.text
    r = await api.client.get(
        "/api/v1/exports",
        params={"kind": "members", "within": county.town_a["id"]},
        headers=api.auth(county.admin_b),
    )
    assert r.status_code == 404


async def test_organisations_import_with_parents_in_the_same_file_is_idempotent(api, county):
    parent, child = unique("ORGP"), unique("ORGC")
    header = ["组织编码", "组织名称", "组织类别", "上级组织编码", "单位类别"]
    rows = [
        [child, "新村党支部", "党支部", parent, "3"],
        [parent, "新村党总支", "党总支", county.town_a["code"], "3"],
        [unique("BAD"), "错误", "党小组", county.town_a["code"], ""],
        [unique("OUT"), "越权", "党支部", county.town_b["code"], ""],
    ]
    book = Workbook()
    sheet = book.active
    sheet.append(header)
    for row in rows:
        sheet.append(row)
    buffer = io.BytesIO()
    book.save(buffer)
    report = await _import(
        api, county.admin_a, buffer.getvalue(), kind="organisations", filename="o.xlsx"
    )
    assert report["created"] == 2
    assert {(r["row"], r["code"]) for r in report["rejected"]} == {
        (4, "organisation.parent_type_invalid"),
        (5, "import.parent_unknown"),
    }
    again = await _import(
        api, county.admin_a, buffer.getvalue(), kind="organisations", filename="o.xlsx"
    )
    assert (again["created"], again["unchanged"]) == (0, 2)


async def test_template_lists_the_documented_headers(api, county):
    r = await api.client.get(
        "/api/v1/imports/template", params={"kind": "members"}, headers=api.auth(county.admin_a)
    )
    assert r.status_code == 200
    assert (
        r.content.decode("utf-8-sig").splitlines()[0].startswith("姓名,公民身份号码,所在党组织编码")
    )


async def test_a_file_without_required_columns_is_a_422(api, county):
    r = await api.client.post(
        "/api/v1/imports",
        params={"kind": "members"},
        files={"file": ("x.csv", "姓名\n张三\n".encode())},
        headers=api.auth(county.admin_a),
    )
    assert r.status_code == 422
    assert r.json()["code"] == "import.columns_missing"


async def _export(api, token, kind, within):
    r = await api.client.get(
        "/api/v1/exports", params={"kind": kind, "within": within}, headers=api.auth(token)
    )
    assert r.status_code == 200, r.text
    return r.content


async def _all_members(api, token, within):
    r = await api.client.get(
        "/api/v1/members",
        params={"within": within, "limit": 200},
        headers=api.auth(token),
    )
    assert r.status_code == 200, r.text
    return sorted((m["id"], m["status"], m["name"]) for m in r.json()["items"])


async def _members_with_ended_records(api, county):
    """Branch A: living members, a left and a deceased one, a person who left and
    rejoined (two records, one ID number), and an ended member of a dissolved branch."""
    token, branch = county.admin_a, county.branch_a["id"]
    await api.member(token, branch, name="在册", phone="13800000002", dues_base_fen=500000)
    await api.member(token, branch, name="预备", status="probationary", joined_on="2026-01-05")
    await api.member(token, branch, name="出党", status="left")
    await api.member(token, branch, name="去世", status="deceased", category="retired")
    again = new_id_number()
    await api.member(token, branch, name="重新入党", id_number=again, status="left")
    await api.member(token, branch, name="重新入党", id_number=again, status="full")
    closed = await api.org(token, county.town_a["id"], "branch", name="已撤销支部")
    await api.member(token, closed["id"], name="旧支部出党", status="left")
    r = await api.client.delete(f"/api/v1/organisations/{closed['id']}", headers=api.auth(token))
    assert r.status_code == 204, r.text
    content, _ = _file(county)
    report = await _import(api, token, content)
    assert report["created"] == 3


def _without_id_column(content):
    rows = list(csv.reader(io.StringIO(content.decode("utf-8-sig"))))
    assert rows[0][-1] == "系统编号"
    return _csv([row[:-1] for row in rows[1:]], header=rows[0][:-1])


async def test_reimporting_an_export_with_ended_members_three_times_changes_nothing(api, county):
    await _members_with_ended_records(api, county)
    before = await _all_members(api, county.admin_a, county.town_a["id"])
    assert {"left", "deceased"} <= {status for _, status, _ in before}
    exported = await _export(api, county.admin_a, "members", county.town_a["id"])
    # The export's own ids, then the same file without them (matched by ID number alone).
    for content in (exported, _without_id_column(exported)):
        for _ in range(3):
            again = await _import(api, county.admin_a, content)
            assert (again["created"], again["updated"], again["rejected"]) == (0, 0, [])
            assert again["unchanged"] == len(before)
            assert await _all_members(api, county.admin_a, county.town_a["id"]) == before
    orgs = await _export(api, county.admin_a, "organisations", county.town_a["id"])
    for _ in range(3):
        again = await _import(api, county.admin_a, orgs, kind="organisations")
        assert (again["created"], again["updated"], again["rejected"]) == (0, 0, [])


async def test_a_changed_row_of_an_export_updates_its_record_through_the_api_rules(api, county):
    await _members_with_ended_records(api, county)
    exported = await _export(api, county.admin_a, "members", county.town_a["id"])
    rows = list(csv.reader(io.StringIO(exported.decode("utf-8-sig"))))
    living = next(i for i, row in enumerate(rows) if row[0] == "在册")
    ended = next(i for i, row in enumerate(rows) if row[0] == "出党")
    rows[living][rows[0].index("工作单位")] = "新单位"
    rows[ended][rows[0].index("工作单位")] = "旧单位"
    report = await _import(api, county.admin_a, _csv(rows[1:], header=rows[0]))
    assert (report["created"], report["updated"]) == (0, 1)
    # An ended record is corrected by a system administrator only, as with PATCH.
    assert [(r["row"], r["code"]) for r in report["rejected"]] == [(ended + 1, "auth.forbidden")]


async def test_import_into_dissolved_branch_is_refused_like_the_api(api, county):
    closed = await api.org(county.admin_a, county.town_a["id"], "branch", name="撤销支部")
    r = await api.client.delete(
        f"/api/v1/organisations/{closed['id']}", headers=api.auth(county.admin_a)
    )
    assert r.status_code == 204, r.text
    number = new_id_number()
    r = await api.client.post(
        "/api/v1/members",
        json={
            "name": "张三",
            "id_number": number,
            "org_id": closed["id"],
            "status": "full",
            "category": "employed",
        },
        headers=api.auth(county.admin_a),
    )
    assert r.status_code == 409
    refused = r.json()["code"]
    content = _csv([["张三", number, closed["code"], "正式党员", "在职", "", ""]])
    report = await _import(api, county.admin_a, content)
    assert report["created"] == 0
    assert [(r["row"], r["field"], r["code"]) for r in report["rejected"]] == [
        (2, "org_code", refused)
    ]
    assert await _count(api, county.admin_a, closed["id"]) == 0


async def test_imported_rows_break_the_same_rules_as_the_api(api, county):
    """Rules the import once skipped: a name too long, a negative dues base, a gender
    column is not needed, a milestone out of order (the API's own codes)."""
    header = ["姓名", "公民身份号码", "所在党组织编码", "党员状态", "人员类别", "党费基数（分）"]
    code = county.branch_a["code"]
    content = _csv(
        [
            ["长" * 101, new_id_number(), code, "正式党员", "在职", ""],
            ["负数", new_id_number(), code, "正式党员", "在职", "-1"],
        ],
        header=header,
    )
    report = await _import(api, county.admin_a, content)
    assert {(r["row"], r["field"]) for r in report["rejected"]} == {
        (2, "name"),
        (3, "dues_base_fen"),
    }
    content = _csv([["顺序", new_id_number(), code, "正式党员", "在职", "", "2030-01-01"]])
    report = await _import(api, county.admin_a, content)
    assert [(r["field"], r["code"]) for r in report["rejected"]] == [
        ("joined_on", "member.date_in_future")
    ]


async def test_imported_members_have_time_ordered_ids(api, county):
    content, _ = _file(county)
    await _import(api, county.admin_a, content)
    ids = [uuid.UUID(m[0]) for m in await _all_members(api, county.admin_a, county.town_a["id"])]
    assert ids and {i.version for i in ids} == {7}


FORMULA_NAMES = ['=HYPERLINK("http://evil.example/","点我")', "+1", "-2", "@SUM(A1:A9)"]


async def _formula_members(api, county):
    org = await api.org(county.admin_a, county.town_a["id"], "branch")
    for name in FORMULA_NAMES:
        await api.member(county.admin_a, org["id"], name=name, work_unit="=1+1")
    return org


async def _export_within(api, county, org, fmt):
    r = await api.client.get(
        "/api/v1/exports",
        params={"kind": "members", "within": org["id"], "format": fmt},
        headers=api.auth(county.admin_a),
    )
    assert r.status_code == 200, r.text
    return r.content


async def test_exports_quote_every_cell_a_spreadsheet_would_run_as_a_formula(api, county):
    from openpyxl import load_workbook

    org = await _formula_members(api, county)
    text = (await _export_within(api, county, org, "csv")).decode("utf-8-sig")
    rows = list(csv.reader(io.StringIO(text)))
    names = sorted(row[0] for row in rows[1:])
    assert names == sorted("'" + name for name in FORMULA_NAMES)
    assert {row[14] for row in rows[1:]} == {"'=1+1"}
    assert not any(cell.startswith(("=", "+", "-", "@")) for row in rows for cell in row)

    workbook = load_workbook(io.BytesIO(await _export_within(api, county, org, "xlsx")))
    sheet = workbook.worksheets[0]
    cells = [cell for row in sheet.iter_rows(min_row=2) for cell in row]
    assert not [cell.coordinate for cell in cells if cell.data_type == "f"]
    names = sorted(row[0].value for row in sheet.iter_rows(min_row=2))
    assert names == sorted("'" + name for name in FORMULA_NAMES)


async def test_reimporting_a_quoted_export_restores_the_text_and_changes_nothing(api, county):
    org = await _formula_members(api, county)
    for fmt in ("csv", "xlsx"):
        content = await _export_within(api, county, org, fmt)
        again = await _import(api, county.admin_a, content, filename=f"export.{fmt}")
        assert (again["created"], again["updated"], again["rejected"]) == (0, 0, [])
        assert again["unchanged"] == len(FORMULA_NAMES)
    r = await api.client.get(
        "/api/v1/members", params={"org_id": org["id"]}, headers=api.auth(county.admin_a)
    )
    assert sorted(m["name"] for m in r.json()["items"]) == sorted(FORMULA_NAMES)


def test_only_text_starting_with_a_trigger_is_quoted_and_restore_undoes_exactly_that():
    from app.services.integration.imports.cells import neutralise, restore

    for text in ("=1", "+86 138", "-2", "@x", "\tx", "\rx"):
        assert neutralise(text) == "'" + text
        assert restore(neutralise(text)) == text
    # Numbers and dates are values, not formulas; plain text is untouched.
    assert neutralise(-2) == -2
    assert neutralise(date(2020, 1, 1)) == date(2020, 1, 1)
    for text in ("张三", "2020-01-01", "13800000000", "", "'quoted by its author"):
        assert neutralise(text) == text
        assert restore(text) == text


async def test_an_xlsx_export_of_a_name_stored_with_a_control_character_succeeds(api, county):
    """Text input refuses control characters; a row stored before that still exports:
    XLSX shows U+FFFD for the character, CSV keeps it."""
    from openpyxl import load_workbook
    from sqlalchemy import text

    from app.db import get_sessionmaker

    org = await api.org(county.admin_a, county.town_a["id"], "branch")
    member = await api.member(county.admin_a, org["id"], name="响铃")
    async with get_sessionmaker()() as session, session.begin():
        await session.execute(
            text("UPDATE members SET name = :name WHERE id = :id"),
            {"name": "响\x07铃\x1f", "id": member["id"]},
        )
    workbook = load_workbook(io.BytesIO(await _export_within(api, county, org, "xlsx")))
    names = [row[0].value for row in workbook.worksheets[0].iter_rows(min_row=2)]
    assert names == ["响\ufffd铃\ufffd"]
    text_csv = (await _export_within(api, county, org, "csv")).decode("utf-8-sig")
    assert [row[0] for row in csv.reader(io.StringIO(text_csv))][1:] == ["响\x07铃\x1f"]


def test_xlsx_cells_replace_exactly_what_openpyxl_refuses():
    from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE

    from app.services.integration.imports.cells import xlsx_row

    for code in [*range(0x80), 0xFFFD, 0x3000]:
        char = chr(code)
        expected = "\ufffd" if ILLEGAL_CHARACTERS_RE.search(char) else char
        assert xlsx_row([f"a{char}"]) == [f"a{expected}"], hex(code)
    assert xlsx_row(["=1\x07", 3]) == ["'=1\ufffd", 3]


async def test_an_imported_applicant_needs_the_application_date_and_eighteen_years_on_it(
    api, county
):
    header = ["姓名", "公民身份号码", "所在党组织编码", "党员状态", "人员类别", "申请入党日期"]
    born = date(2006, 6, 1)
    code = county.branch_a["code"]
    rows = [
        ["无日期", new_id_number(date(1990, 1, 1)), code, "入党申请人", "在职", ""],
        ["差一天", new_id_number(born), code, "入党申请人", "学生", "2024-05-31"],
        ["满十八", new_id_number(born), code, "入党申请人", "学生", "2024-06-01"],
    ]
    report = await _import(api, county.admin_a, _csv(rows, header), dry_run=True)
    assert report["accepted"] == 1
    rejected = {(r["row"], r["field"], r["code"]) for r in report["rejected"]}
    assert rejected == {
        (2, "applied_on", "member.applied_on_required"),
        (3, "applied_on", "member.under_age"),
    }


def _wrong_check_character(number: str) -> str:
    return number[:-1] + ("0" if number[-1] != "0" else "1")


CJK = re.compile(r"[\u4e00-\u9fff]")


async def test_a_row_failing_several_member_rules_lists_every_fault_under_its_column(api, county):
    bad_id = _wrong_check_character(new_id_number())
    header = ["姓名", "公民身份号码", "所在党组织编码", "党员状态", "人员类别", "联系电话", "学历"]
    rows = [
        ["多处错误", bad_id, county.branch_a["code"], "正式党员", "在职", "12345", "不存在的学历"]
    ]
    report = await _import(api, county.admin_a, _csv(rows, header), dry_run=True)
    assert report["accepted"] == 0
    faults = {(r["field"], r["column"], r["code"], r["value"]) for r in report["rejected"]}
    assert faults == {
        ("id_number", "公民身份号码", "member.id_number_checksum", bad_id),
        ("phone", "联系电话", "member.phone_invalid", "12345"),
        ("education", "学历", "member.education_unknown", "不存在的学历"),
    }
    assert all(CJK.search(r["message"]) for r in report["rejected"])


async def test_a_member_failing_several_rules_names_every_field_in_one_answer(api, county):
    bad_id = _wrong_check_character(new_id_number())
    r = await api.client.post(
        "/api/v1/members",
        json={
            "name": "多处错误",
            "id_number": bad_id,
            "org_id": county.branch_a["id"],
            "status": "full",
            "category": "employed",
            "joined_on": "2010-01-01",
            "phone": "12345",
            "education": "不存在的学历",
        },
        headers=api.auth(county.admin_a),
    )
    assert r.status_code == 422, r.text
    assert {(e["field"], e["code"]) for e in r.json()["errors"]} == {
        ("id_number", "member.id_number_checksum"),
        ("phone", "member.phone_invalid"),
        ("education", "member.education_unknown"),
    }


async def test_a_row_with_an_unreadable_cell_still_lists_the_other_cells_faults(api, county):
    bad_id = _wrong_check_character(new_id_number())
    header = ["姓名", "公民身份号码", "所在党组织编码", "党员状态", "人员类别", "联系电话"]
    rows = [["状态不明", bad_id, county.branch_a["code"], "不知道", "在职", "12345"]]
    report = await _import(api, county.admin_a, _csv(rows, header), dry_run=True)
    faults = {(r["column"], r["code"]) for r in report["rejected"]}
    assert ("公民身份号码", "member.id_number_checksum") in faults
    assert ("联系电话", "member.phone_invalid") in faults
    assert "党员状态" in {column for column, _ in faults}
