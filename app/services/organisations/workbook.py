"""The statistics workbook (党内统计年报): the tables of `statistics_tables` and the year's
增减 ledger laid out as the annual tables, one sheet each, with a native bar chart of
the members by age band, and the meetings and points indicators. Every cell goes
through `cells.xlsx_row` (formula neutralising, characters XLSX cannot hold)."""

from __future__ import annotations

import io
from collections.abc import Sequence
from datetime import date

from openpyxl import Workbook
from openpyxl.chart import BarChart, Reference
from openpyxl.styles import Font
from openpyxl.worksheet.worksheet import Worksheet
from sqlalchemy.ext.asyncio import AsyncSession

from app.models.enums import LABELS, MemberChangeReason
from app.models.organisation import Organisation
from app.schemas.statistics import MemberTables, StatisticsTables, StatRow
from app.services.integration.imports import cells
from app.services.organisations.member_changes import (
    MemberChanges,
    load_subtree,
    member_changes,
)
from app.services.organisations.stats import statistics_tables, year_before

BOLD = Font(bold=True)
MEMBER_BLOCKS = (
    ("by_gender", "按性别"),
    ("by_ethnicity", "按民族"),
    ("by_age_band", "按年龄"),
    ("by_education", "按学历"),
    ("by_category", "按类别（职业）"),
    ("by_joining_period", "按入党时间"),
    ("by_degree", "按学位"),
    ("by_post", "按工作岗位"),
    ("by_new_social_stratum", "按新社会阶层"),
    ("by_hardship", "按困难情况"),
    ("by_contact", "按失联情况"),
)


def append_row(sheet: Worksheet, *row: object, bold: bool = False) -> int:
    """Append one row through `cells.xlsx_row`, bold if asked; its row number. The
    writer of every report workbook (the statistics, the member's record binder)."""
    sheet.append(cells.xlsx_row(row))
    if bold:
        for cell in sheet[sheet.max_row]:
            cell.font = BOLD
    return int(sheet.max_row)


def _heading(sheet: Worksheet, title: str, org: Organisation, as_of: date) -> None:
    append_row(sheet, title, bold=True)
    append_row(sheet, "党组织", org.name, "统计基准日", as_of.isoformat())
    append_row(sheet)


def _block(sheet: Worksheet, title: str, rows: Sequence[StatRow]) -> tuple[int, int]:
    """A titled table of (code, label, count) with its total; the first and last data row."""
    append_row(sheet, title, bold=True)
    append_row(sheet, "代码", "项目", "人数/个数", bold=True)
    first = int(sheet.max_row) + 1
    for row in rows:
        append_row(sheet, row.key, row.label_zh, row.count)
    last = int(sheet.max_row)
    append_row(sheet, "", "合计", sum(r.count for r in rows), bold=True)
    append_row(sheet)
    return first, last


def _members_sheet(
    sheet: Worksheet, title: str, tables: MemberTables, org: Organisation, as_of: date
) -> dict[str, tuple[int, int]]:
    _heading(sheet, title, org, as_of)
    append_row(sheet, "党员总数", tables.total, bold=True)
    append_row(sheet)
    return {name: _block(sheet, label, getattr(tables, name)) for name, label in MEMBER_BLOCKS}


def _age_chart(sheet: Worksheet, first: int, last: int) -> None:
    if last < first:
        return  # no member: no bars to draw
    chart = BarChart()
    chart.title = "党员年龄结构"
    chart.y_axis.title = "人数"
    chart.add_data(Reference(sheet, min_col=3, min_row=first, max_row=last), titles_from_data=False)
    chart.set_categories(Reference(sheet, min_col=2, min_row=first, max_row=last))
    chart.legend = None
    sheet.add_chart(chart, "F4")


def _organisations_sheet(sheet: Worksheet, tables: StatisticsTables, org: Organisation) -> None:
    orgs = tables.organisations
    _heading(sheet, "党组织基本情况", org, tables.as_of)
    append_row(sheet, "党组织总数", orgs.total, bold=True)
    append_row(sheet)
    _block(sheet, "按组织类别", orgs.by_type)
    _block(sheet, "按单位类别", orgs.by_unit_category)
    append_row(sheet, "设委员情况（党小组除外）", bold=True)
    append_row(sheet, "设委员", orgs.with_committee)
    append_row(sheet, "未设委员", orgs.without_committee)
    append_row(sheet)
    _block(sheet, "按换届情况", orgs.by_term_status)
    _block(sheet, "按所在单位类型", orgs.by_unit_type)
    _block(sheet, "按所在单位经济类型", orgs.by_economic_type)
    _block(sheet, "按所在单位规模", orgs.by_unit_size)


def _indicators_sheet(sheet: Worksheet, tables: StatisticsTables, org: Organisation) -> None:
    """三会一课 compliance per meeting type and the points year's members by grade."""
    meetings, points = tables.meetings, tables.points
    _heading(sheet, "组织生活和党员积分情况", org, tables.as_of)
    append_row(sheet, f"三会一课落实情况（{meetings.period}）", bold=True)
    append_row(sheet, "会议类型", "项目", "应开次数", "已开次数", "逾期组织数", "落实率", bold=True)
    for row in meetings.by_type:
        append_row(sheet, row.key, row.label_zh, row.required, row.held, row.overdue, row.rate)
    required = sum(r.required for r in meetings.by_type)
    held = sum(r.held for r in meetings.by_type)
    overdue = sum(r.overdue for r in meetings.by_type)
    append_row(sheet, "", "合计", required, held, overdue, meetings.rate, bold=True)
    append_row(sheet)
    append_row(sheet, f"{points.year}年度参与积分排名党员数", points.ranked, bold=True)
    append_row(sheet)
    _block(sheet, "按积分等次", points.by_grade)


def _changes_sheet(sheet: Worksheet, changes: MemberChanges, org: Organisation) -> None:
    append_row(sheet, "党员增减情况", bold=True)
    append_row(sheet, "党组织", org.name, "统计期", f"{changes.date_from} 至 {changes.date_to}")
    append_row(sheet)
    append_row(sheet, "期初党员数", changes.count_at_start, bold=True)
    append_row(sheet, "增加", "原因", "人数", bold=True)
    for total in changes.by_reason:
        if total.direction == "added":
            append_row(sheet, "", LABELS[MemberChangeReason][total.reason], total.count)
    append_row(sheet, "", "增加合计", changes.added, bold=True)
    append_row(sheet, "减少", "原因", "人数", bold=True)
    for total in changes.by_reason:
        if total.direction == "removed":
            append_row(sheet, "", LABELS[MemberChangeReason][total.reason], total.count)
    append_row(sheet, "", "减少合计", changes.removed, bold=True)
    append_row(sheet, "期末党员数", changes.count_at_end, bold=True)


async def statistics_workbook(session: AsyncSession, org: Organisation, as_of: date) -> bytes:
    """The statistics of the subtree as of `as_of` as an XLSX workbook laid out as the
    annual tables: members (党员基本情况, with a bar chart of the age bands), the year's
    new members (发展党员), organisations (党组织基本情况) and the 增减 ledger from 1
    January to `as_of` (党员增减情况), the meetings and points indicators
    (组织生活和积分). The figures are those of the JSON tables."""
    subtree = await load_subtree(session, org, changed_only=True, since=year_before(as_of))
    tables = await statistics_tables(session, org, as_of, subtree)
    changes = await member_changes(session, org, as_of.replace(month=1, day=1), as_of, subtree)
    workbook = Workbook()
    members = workbook.active
    assert isinstance(members, Worksheet)  # a new workbook's one sheet
    members.title = "党员基本情况"
    blocks = _members_sheet(members, "党员基本情况", tables.members, org, as_of)
    _age_chart(members, *blocks["by_age_band"])
    _members_sheet(
        workbook.create_sheet("发展党员"), "当年发展党员", tables.new_members, org, as_of
    )
    _organisations_sheet(workbook.create_sheet("党组织基本情况"), tables, org)
    _changes_sheet(workbook.create_sheet("党员增减情况"), changes, org)
    _indicators_sheet(workbook.create_sheet("组织生活和积分"), tables, org)
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()
