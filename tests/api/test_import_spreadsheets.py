"""Spreadsheets as branch secretaries make them: dates in the common Chinese forms and as
Excel dates, ID numbers stored as Excel numbers, Chinese labels or codes, every fault of
a row reported in Chinese under the file's own heading; the XLSX template; exports with
labels or codes that re-import unchanged. Files are real XLSX built with openpyxl."""

from __future__ import annotations

import csv
import io
import zipfile
from datetime import date, datetime

from openpyxl import Workbook, load_workbook
from support import new_id_number, unique

HEAD = ["姓名", "公民身份号码", "所在党组织编码", "党员状态", "人员类别", "入党日期", "转正日期"]


def _xlsx(rows, header=HEAD, id_format=None):
    book = Workbook()
    sheet = book.active
    sheet.append(header)
    for row in rows:
        sheet.append(row)
    if id_format:
        for (cell,) in sheet.iter_rows(min_row=2, min_col=2, max_col=2):
            cell.number_format = id_format
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


async def _import(api, token, content, filename="m.xlsx", headers=None, kind="members", **params):
    r = await api.client.post(
        "/api/v1/imports",
        params={"kind": kind, **params},
        files={"file": (filename, content)},
        headers={**api.auth(token), **(headers or {})},
    )
    assert r.status_code == 201, r.text
    return r.json()


async def _member(api, token, number):
    r = await api.client.get(
        "/api/v1/members", params={"id_number": number}, headers=api.auth(token)
    )
    assert r.status_code == 200, r.text
    return r.json()["items"]


async def test_dates_in_every_common_form_and_as_excel_dates_are_read_alike(api, county):
    code = county.branch_a["code"]
    forms = [
        ("2007-07-01", "2008-07-01"),
        ("2007/7/1", "2008/07/01"),
        ("2007年7月1日", "2008年7月1日"),
        ("2007.07.01", "2008.7.1"),
        (datetime(2007, 7, 1), date(2008, 7, 1)),  # Excel date cells
    ]
    numbers = [new_id_number(date(1980, 1, 1)) for _ in forms]
    rows = [
        [f"日期{i}", number, code, "正式党员", "在职", joined, full]
        for i, (number, (joined, full)) in enumerate(zip(numbers, forms, strict=True))
    ]
    report = await _import(api, county.admin_a, _xlsx(rows))
    assert (report["created"], report["rejected"]) == (len(forms), [])
    for number in numbers:
        (member,) = await _member(api, county.admin_a, number)
        assert (member["joined_on"], member["full_on"]) == ("2007-07-01", "2008-07-01")


async def test_an_excel_serial_number_in_a_date_column_is_read_as_its_date(api, county):
    """A date column not formatted as dates shows Excel's day serial (39264 is
    2007-07-01): an XLSX number there is that date; the same number in a CSV is text
    and stays refused."""
    code = county.branch_a["code"]
    number = new_id_number(date(1980, 1, 1))
    rows = [["序号日期", number, code, "正式党员", "在职", 39264, 39630.0]]
    report = await _import(api, county.admin_a, _xlsx(rows))
    assert (report["created"], report["rejected"]) == (1, [])
    (member,) = await _member(api, county.admin_a, number)
    assert (member["joined_on"], member["full_on"]) == ("2007-07-01", "2008-07-01")

    csv_file = f"{','.join(HEAD)}\n张三,{new_id_number()},{code},正式党员,在职,39264,\n"
    report = await _import(api, county.admin_a, csv_file.encode(), filename="m.csv")
    assert [(r["column"], r["code"], r["value"]) for r in report["rejected"]] == [
        ("入党日期", "import.date_invalid", "39264")
    ]


async def test_a_date_that_does_not_exist_or_has_no_known_form_is_refused_with_the_forms(
    api, county
):
    code = county.branch_a["code"]
    rows = [
        ["二月", new_id_number(), code, "正式党员", "在职", "2007/2/29", ""],
        ["月份", new_id_number(), code, "正式党员", "在职", "2007.13.01", ""],
        ["写法", new_id_number(), code, "正式党员", "在职", "07-7-1", ""],
        ["闰年", new_id_number(date(1980, 1, 1)), code, "正式党员", "在职", "2008/2/29", ""],
    ]
    report = await _import(api, county.admin_a, _xlsx(rows), dry_run="true")
    assert report["created"] == 1
    assert [(r["row"], r["column"], r["code"], r["value"]) for r in report["rejected"]] == [
        (2, "入党日期", "import.date_invalid", "2007/2/29"),
        (3, "入党日期", "import.date_invalid", "2007.13.01"),
        (4, "入党日期", "import.date_invalid", "07-7-1"),
    ]
    assert "2007年7月1日" in report["rejected"][0]["message"]


MARKER = 987654321


def _with_number_digits(content, digits):
    """The workbook with the number cell MARKER holding `digits`, as tools that write
    whole numbers digit for digit save it (openpyxl and Excel write an 18-digit number
    as a rounded float; some exporters do not)."""
    source = zipfile.ZipFile(io.BytesIO(content))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as patched:
        for info in source.infolist():
            data = source.read(info.filename)
            if info.filename.startswith("xl/worksheets/sheet"):
                assert f"<v>{MARKER}</v>".encode() in data
                data = data.replace(f"<v>{MARKER}</v>".encode(), f"<v>{digits}</v>".encode())
            patched.writestr(info.filename, data)
    return out.getvalue()


def _digits_only_id_number():
    number = new_id_number()
    while not number.isdigit():  # an X check character cannot be a number
        number = new_id_number()
    return number


async def test_id_numbers_stored_as_exact_excel_numbers_are_accepted(api, county):
    code = county.branch_a["code"]
    full = _digits_only_id_number()
    upgraded = new_id_number()
    legacy = upgraded[:6] + upgraded[8:17]  # 15 digits (19xx births): exact as a float too
    rows = [
        ["整数", MARKER, code, "正式党员", "在职", "", ""],
        ["旧号", float(legacy), code, "正式党员", "离退休", "", ""],
    ]
    content = _with_number_digits(_xlsx(rows, id_format="0"), full)
    report = await _import(api, county.admin_a, content)
    assert (report["created"], report["rejected"]) == (2, [])
    assert await _member(api, county.admin_a, full)
    assert await _member(api, county.admin_a, upgraded)


async def test_an_id_number_that_lost_digits_as_an_excel_number_says_to_format_it_as_text(
    api, county
):
    number = _digits_only_id_number()
    rounded = float(number)  # what Excel keeps: 15 significant digits, 1.1010519...e+17
    rows = [["张三", rounded, county.branch_a["code"], "正式党员", "在职", "", ""]]
    report = await _import(api, county.admin_a, _xlsx(rows))
    (fault,) = report["rejected"]
    assert (fault["column"], fault["code"]) == ("公民身份号码", "import.id_number_precision_lost")
    assert "文本" in fault["message"]
    assert fault["value"].endswith("e+17")  # the cell as read, echoed
    # The same cell written by Excel into a CSV: scientific notation, refused alike.
    csv_file = f"{','.join(HEAD)}\n张三,1.10105E+17,{county.branch_a['code']},正式党员,在职,,\n"
    report = await _import(api, county.admin_a, csv_file.encode(), filename="m.csv")
    assert [r["code"] for r in report["rejected"]] == ["import.id_number_precision_lost"]


async def test_a_row_reports_all_its_faults_in_chinese_under_the_files_headings(api, county):
    bad_row = ["", "12345", "NO-SUCH-ORG", "党员", "在职", "2007-07-32", ""]
    content = _xlsx([bad_row])
    report = await _import(api, county.admin_a, content, dry_run="true")
    faults = {r["column"]: r for r in report["rejected"]}
    assert {r["row"] for r in report["rejected"]} == {2}
    assert {c: (f["code"], f["value"]) for c, f in faults.items()} == {
        "姓名": ("import.value_missing", None),
        "所在党组织编码": ("import.org_unknown", "NO-SUCH-ORG"),
        "党员状态": ("import.status_unknown", "党员"),
        "入党日期": ("import.date_invalid", "2007-07-32"),
        "公民身份号码": ("import.value_invalid", "12345"),
    }
    assert faults["党员状态"]["field"] == "status"
    assert "正式党员" in faults["党员状态"]["message"]  # the labels it accepts
    for fault in report["rejected"]:
        assert fault["message"].isascii() is False, fault  # Chinese, not pydantic's English
    # In English on request, for the same stored job.
    job = await api.client.get(
        f"/api/v1/imports/{report['id']}", params={"lang": "en"}, headers=api.auth(county.admin_a)
    )
    english = {r["column"]: r["message"] for r in job.json()["rejected"]}
    assert english["入党日期"].startswith("not a valid date")
    assert english["所在党组织编码"] == "no such organisation in your scope"
    again = await _import(
        api, county.admin_a, content, dry_run="true", headers={"Accept-Language": "en"}
    )
    assert {r["message"] for r in again["rejected"]} == set(english.values())


async def test_a_file_with_english_headings_names_its_own_columns(api, county):
    header = ["name", "id_number", "org_code", "status", "category", "joined_on"]
    rows = [["张三", new_id_number(), county.branch_a["code"], "full", "employed", "昨天"]]
    report = await _import(api, county.admin_a, _xlsx(rows, header=header), dry_run="true")
    assert [(r["column"], r["field"]) for r in report["rejected"]] == [("joined_on", "joined_on")]


async def test_the_xlsx_template_has_an_example_drop_downs_and_a_text_id_column(api, county):
    r = await api.client.get(
        "/api/v1/imports/template",
        params={"kind": "members", "format": "xlsx"},
        headers=api.auth(county.admin_a),
    )
    assert r.status_code == 200, r.text
    assert r.headers["content-type"].startswith("application/vnd.openxmlformats")
    sheet = load_workbook(io.BytesIO(r.content)).worksheets[0]
    header = [c.value for c in sheet[1]]
    assert header[:5] == ["姓名", "公民身份号码", "所在党组织编码", "党员状态", "人员类别"]
    example = {h: c.value for h, c in zip(header, sheet[2], strict=True)}
    assert example["党员状态"] == "正式党员" and example["人员类别"] == "在职"
    assert isinstance(example["公民身份号码"], str) and len(example["公民身份号码"]) == 18
    assert sheet["B2"].number_format == "@" and sheet["B500"].number_format == "@"
    lists = {str(v.sqref): v.formula1 for v in sheet.data_validations.dataValidation}
    assert "正式党员" in lists["D2:D1001"] and "预备党员" in lists["D2:D1001"]
    assert "离退休" in lists["E2:E1001"]
    orgs = await api.client.get(
        "/api/v1/imports/template",
        params={"kind": "organisations", "format": "xlsx"},
        headers=api.auth(county.admin_a),
    )
    types = load_workbook(io.BytesIO(orgs.content)).worksheets[0].data_validations.dataValidation
    assert ["党支部" in v.formula1 for v in types] == [True]
    csv_template = await api.client.get(
        "/api/v1/imports/template", params={"kind": "members"}, headers=api.auth(county.admin_a)
    )
    assert csv_template.headers["content-type"].startswith("text/csv")


async def _export(api, county, **params):
    r = await api.client.get(
        "/api/v1/exports",
        params={"kind": "members", "within": county.branch_a["id"], **params},
        headers=api.auth(county.admin_a),
    )
    assert r.status_code == 200, r.text
    return r.content


async def test_exports_write_chinese_labels_or_codes_and_both_reimport_unchanged(api, county):
    await api.member(county.admin_a, county.branch_a["id"], name="标签", category="retired")
    rows = list(csv.reader(io.StringIO((await _export(api, county)).decode("utf-8-sig"))))
    assert rows[1][3:5] == ["正式党员", "离退休"]
    coded = await _export(api, county, labels="codes")
    assert list(csv.reader(io.StringIO(coded.decode("utf-8-sig"))))[1][3:5] == ["full", "retired"]
    sheet = load_workbook(io.BytesIO(await _export(api, county, format="xlsx"))).worksheets[0]
    assert [c.value for c in sheet[2]][3:5] == ["正式党员", "离退休"]
    for content, filename in ((coded, "m.csv"), (await _export(api, county), "m.csv")):
        again = await _import(api, county.admin_a, content, filename=filename)
        assert (again["created"], again["updated"], again["unchanged"]) == (0, 0, 1)
        assert again["rejected"] == []
    orgs = await api.client.get(
        "/api/v1/exports",
        params={"kind": "organisations", "within": county.town_a["id"]},
        headers=api.auth(county.admin_a),
    )
    assert "党支部" in orgs.content.decode("utf-8-sig")


async def test_a_fault_in_a_column_the_file_lacks_is_named_by_the_templates_heading(api, county):
    header = HEAD[:5]  # no 申请入党日期 column, which an applicant needs
    rows = [["申请人", new_id_number(), county.branch_a["code"], "入党申请人", "学生"]]
    report = await _import(api, county.admin_a, _xlsx(rows, header=header), dry_run="true")
    assert [(r["column"], r["field"], r["code"], r["value"]) for r in report["rejected"]] == [
        ("申请入党日期", "applied_on", "member.applied_on_required", None)
    ]
    assert report["rejected"][0]["message"].endswith("须填写递交入党申请书日期")


async def test_a_file_past_the_background_threshold_is_queued_and_the_worker_gives_the_same_report(
    api, county, monkeypatch
):
    import httpx

    from app import worker
    from app.services.integration.imports import jobs

    monkeypatch.setattr(jobs, "BACKGROUND_ROWS", 2)
    code = county.branch_a["code"]
    rows = [
        ["后台一", new_id_number(), code, "正式党员", "在职", "2007/7/1", ""],
        ["后台二", new_id_number(), code, "正式党员", "在职", "", ""],
        ["后台三", new_id_number(), code, "正式党员", "在职", "2007年7月32日", ""],
    ]
    r = await api.client.post(
        "/api/v1/imports",
        params={"kind": "members"},
        files={"file": ("m.xlsx", _xlsx(rows))},
        headers=api.auth(county.admin_a),
    )
    assert r.status_code == 202, r.text
    assert (r.json()["state"], r.json()["processed_rows"]) == ("running", 0)
    async with httpx.AsyncClient() as client:
        assert (await worker.run_once(client)).imported == 1
    job = await api.client.get(r.headers["Location"], headers=api.auth(county.admin_a))
    report = job.json()
    assert (report["state"], report["created"], report["processed_rows"]) == ("finished", 2, 3)
    assert [(f["row"], f["column"], f["value"]) for f in report["rejected"]] == [
        (4, "入党日期", "2007年7月32日")
    ]
    other = await api.client.get(r.headers["Location"], headers=api.auth(county.admin_b))
    assert other.status_code == 404


async def test_an_organisation_row_reports_all_its_faults_and_reads_dates_alike(api, county):
    header = ["组织编码", "组织名称", "组织类别", "上级组织编码", "成立日期"]
    good, bad = unique("ORGD"), unique("ORGE")
    rows = [
        [good, "新村党支部", "党支部", county.town_a["code"], "2007年7月1日"],
        [bad, "", "党组", county.town_a["code"], "2007/2/30"],
    ]
    report = await _import(
        api, county.admin_a, _xlsx(rows, header=header), kind="organisations", filename="o.xlsx"
    )
    assert report["created"] == 1
    assert {(r["row"], r["column"], r["code"], r["value"]) for r in report["rejected"]} == {
        (3, "组织名称", "import.value_missing", None),
        (3, "组织类别", "import.value_invalid", "党组"),
        (3, "成立日期", "import.date_invalid", "2007/2/30"),
    }
    exported = await api.client.get(
        "/api/v1/exports",
        params={"kind": "organisations", "within": county.town_a["id"], "labels": "codes"},
        headers=api.auth(county.admin_a),
    )
    line = next(x for x in exported.content.decode("utf-8-sig").splitlines() if good in x)
    assert line.startswith(f"{good},新村党支部,branch,{county.town_a['code']}")
    # 成立日期 and 本届开始日期 (the eighth and ninth columns).
    assert line.split(",")[7:9] == ["2007-07-01", ""]


async def test_the_templates_example_row_imports_once_its_branch_code_is_filled_in(api, county):
    r = await api.client.get(
        "/api/v1/imports/template",
        params={"kind": "members", "format": "xlsx"},
        headers=api.auth(county.admin_a),
    )
    book = load_workbook(io.BytesIO(r.content))
    sheet = book.worksheets[0]
    sheet["C2"] = county.branch_a["code"]
    out = io.BytesIO()
    book.save(out)
    report = await _import(api, county.admin_a, out.getvalue())
    assert (report["created"], report["rejected"]) == (1, [])
    (member,) = await _member(api, county.admin_a, sheet["B2"].value)
    assert (member["joined_on"], member["full_on"]) == ("2014-07-01", "2015-07-01")
