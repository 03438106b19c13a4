"""The import template: CSV (headers only) or XLSX (headers, one example row, a drop-down
of the Chinese labels for every enum column, the ID number column formatted as text so
Excel keeps all 18 digits)."""

from __future__ import annotations

import csv
import io
from datetime import date
from typing import Literal

from app.models.enums import LABELS
from app.services.id_numbers import make_id_number
from app.services.integration.imports.parsing import COLUMNS
from app.services.integration.imports.values import ENUM_FIELDS

TemplateFormat = Literal["csv", "xlsx"]

# Rows of the XLSX template that carry the drop-downs and the text format.
TEMPLATE_ROWS = 1000

EXAMPLES: dict[str, dict[str, object]] = {
    "members": {
        "name": "张三",
        "id_number": make_id_number("110105", date(1990, 1, 1), 123),
        "org_code": "（本支部的组织编码）",
        "status": LABELS[ENUM_FIELDS["status"]]["full"],
        "category": LABELS[ENUM_FIELDS["category"]]["employed"],
        "ethnicity": "汉族",
        "education": "大学本科",
        "degree": "学士",
        "post": "企业管理人员",
        "phone": "13800000000",
        "applied_on": "2012-03-01",
        "joined_on": "2014/7/1",
        "full_on": "2015年7月1日",
        "work_unit": "示例单位",
    },
    "organisations": {
        "code": "（新组织编码）",
        "name": "示例村党支部",
        "type": LABELS[ENUM_FIELDS["type"]]["branch"],
        "parent_code": "（上级组织编码）",
        "founded_on": "2007-07-01",
    },
}


def template(kind: str, fmt: TemplateFormat = "csv") -> bytes:
    """The template for `kind`: Chinese headers (English field names are accepted too)."""
    return _xlsx(kind) if fmt == "xlsx" else _csv(kind)


def _csv(kind: str) -> bytes:
    """UTF-8 with BOM (Excel opens it as UTF-8), the header row only."""
    out = io.StringIO()
    csv.writer(out).writerow([zh for _, zh in COLUMNS[kind]])
    return ("\ufeff" + out.getvalue()).encode("utf-8")


def _xlsx(kind: str) -> bytes:
    from openpyxl import Workbook
    from openpyxl.styles import Font
    from openpyxl.utils import get_column_letter
    from openpyxl.worksheet.datavalidation import DataValidation

    workbook = Workbook()
    sheet = workbook.active
    assert sheet is not None  # a new workbook has its sheet
    sheet.title = "导入模板"
    keys = [key for key, _ in COLUMNS[kind]]
    sheet.append([zh for _, zh in COLUMNS[kind]])
    sheet.append([EXAMPLES[kind].get(key) for key in keys])
    for index, key in enumerate(keys, start=1):
        letter = get_column_letter(index)
        sheet.cell(row=1, column=index).font = Font(bold=True)
        sheet.column_dimensions[letter].width = max(12, 2 * len(COLUMNS[kind][index - 1][1]) + 2)
        cells = f"{letter}2:{letter}{TEMPLATE_ROWS + 1}"
        if key in ENUM_FIELDS:
            labels = ",".join(LABELS[ENUM_FIELDS[key]].values())
            validation = DataValidation(type="list", formula1=f'"{labels}"', allow_blank=True)
            validation.error = "请从下拉列表中选择"
            validation.errorTitle = COLUMNS[kind][index - 1][1]
            sheet.add_data_validation(validation)
            validation.add(cells)
        if key == "id_number":
            for (cell,) in sheet.iter_rows(
                min_row=2, max_row=TEMPLATE_ROWS + 1, min_col=index, max_col=index
            ):
                cell.number_format = "@"
    sheet.freeze_panes = "A2"
    out = io.BytesIO()
    workbook.save(out)
    return out.getvalue()
