"""The statistics workbook (党内统计年报): the tables of `statistics_tables` and the year's
增减 ledger laid out as the annual tables, one sheet each, with a native bar chart of
the members by age band, and the meetings and points indicators. Every cell goes
through `cells.xlsx_row` (formula neutralising, characters XLSX cannot hold).

The figures are computed first (the database's work, on the request's session); the
file is then written by openpyxl in write-only mode (each sheet's rows go to a
temporary file as they are appended) in a thread of its own and streamed as it is
written (`streaming.stream_written`): memory holds the figures and a few chunks, and
the event loop stays free while openpyxl works."""

from __future__ import annotations

import io
from collections.abc import AsyncIterator, Sequence
from dataclasses import dataclass
from datetime import date
from functools import partial

from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.chart import BarChart, Reference
from openpyxl.styles import Font
from openpyxl.worksheet._write_only import WriteOnlyWorksheet
from openpyxl.worksheet.worksheet import Worksheet
from sqlalchemy.ext.asyncio import AsyncSession

from app.models.enums import LABELS, MemberChangeReason
from app.models.organisation import Organisation
from app.schemas.statistics import MemberTables, StatisticsTables, StatRow
from app.services.integration.imports import cells
from app.services.integration.imports.streaming import stream_written
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


def append_row(sheet: Worksheet | WriteOnlyWorksheet, *row: object, bold: bool = False) -> None:
    """Append one row through `cells.xlsx_row`, bold if asked, to a worksheet of either
    mode. The writer of every report workbook (the statistics, the member's record
    binder)."""
    values = cells.xlsx_row(row)
    if bold:
        values = [_bold(sheet, value) for value in values]
    sheet.append(values)


def _bold(sheet: Worksheet | WriteOnlyWorksheet, value: object) -> object:
    if value is None:
        return None
    cell = WriteOnlyCell(sheet, value)
    cell.font = BOLD
    return cell


class _Sheet:
    """A write-only sheet and how many rows it has (write-only sheets do not say)."""

    def __init__(self, workbook: Workbook, title: str) -> None:
        self.sheet: WriteOnlyWorksheet = workbook.create_sheet(title)
        self.rows = 0

    def add(self, *row: object, bold: bool = False) -> int:
        """Append a row (`append_row`); its row number."""
        append_row(self.sheet, *row, bold=bold)
        self.rows += 1
        return self.rows


def _heading(sheet: _Sheet, title: str, org: str, as_of: date) -> None:
    sheet.add(title, bold=True)
    sheet.add("党组织", org, "统计基准日", as_of.isoformat())
    sheet.add()


def _block(sheet: _Sheet, title: str, rows: Sequence[StatRow]) -> tuple[int, int]:
    """A titled table of (code, label, count) with its total; the first and last data row."""
    sheet.add(title, bold=True)
    first = sheet.add("代码", "项目", "人数/个数", bold=True) + 1
    for row in rows:
        sheet.add(row.key, row.label_zh, row.count)
    last = sheet.rows
    sheet.add("", "合计", sum(r.count for r in rows), bold=True)
    sheet.add()
    return first, last


def _members_sheet(
    sheet: _Sheet, title: str, tables: MemberTables, org: str, as_of: date
) -> dict[str, tuple[int, int]]:
    _heading(sheet, title, org, as_of)
    sheet.add("党员总数", tables.total, bold=True)
    sheet.add()
    return {name: _block(sheet, label, getattr(tables, name)) for name, label in MEMBER_BLOCKS}


def _age_chart(sheet: WriteOnlyWorksheet, first: int, last: int) -> None:
    if last < first:
        return  # no member: no bars to draw
    chart = BarChart()
    chart.title = "党员年龄结构"
    chart.y_axis.title = "人数"
    chart.add_data(Reference(sheet, min_col=3, min_row=first, max_row=last), titles_from_data=False)
    chart.set_categories(Reference(sheet, min_col=2, min_row=first, max_row=last))
    chart.legend = None
    sheet.add_chart(chart, "F4")


def _organisations_sheet(sheet: _Sheet, tables: StatisticsTables, org: str) -> None:
    orgs = tables.organisations
    _heading(sheet, "党组织基本情况", org, tables.as_of)
    sheet.add("党组织总数", orgs.total, bold=True)
    sheet.add()
    _block(sheet, "按组织类别", orgs.by_type)
    _block(sheet, "按单位类别", orgs.by_unit_category)
    sheet.add("设委员情况（党小组除外）", bold=True)
    sheet.add("设委员", orgs.with_committee)
    sheet.add("未设委员", orgs.without_committee)
    sheet.add()
    _block(sheet, "按换届情况", orgs.by_term_status)
    _block(sheet, "按所在单位类型", orgs.by_unit_type)
    _block(sheet, "按所在单位经济类型", orgs.by_economic_type)
    _block(sheet, "按所在单位规模", orgs.by_unit_size)


def _indicators_sheet(sheet: _Sheet, tables: StatisticsTables, org: str) -> None:
    """三会一课 compliance per meeting type and the points year's members by grade."""
    meetings, points = tables.meetings, tables.points
    _heading(sheet, "组织生活和党员积分情况", org, tables.as_of)
    sheet.add(f"三会一课落实情况（{meetings.period}）", bold=True)
    sheet.add("会议类型", "项目", "应开次数", "已开次数", "逾期组织数", "落实率", bold=True)
    for row in meetings.by_type:
        sheet.add(row.key, row.label_zh, row.required, row.held, row.overdue, row.rate)
    required = sum(r.required for r in meetings.by_type)
    held = sum(r.held for r in meetings.by_type)
    overdue = sum(r.overdue for r in meetings.by_type)
    sheet.add("", "合计", required, held, overdue, meetings.rate, bold=True)
    sheet.add()
    sheet.add(f"{points.year}年度参与积分排名党员数", points.ranked, bold=True)
    sheet.add()
    _block(sheet, "按积分等次", points.by_grade)


def _changes_sheet(sheet: _Sheet, changes: MemberChanges, org: str) -> None:
    sheet.add("党员增减情况", bold=True)
    sheet.add("党组织", org, "统计期", f"{changes.date_from} 至 {changes.date_to}")
    sheet.add()
    sheet.add("期初党员数", changes.count_at_start, bold=True)
    sheet.add("增加", "原因", "人数", bold=True)
    for total in changes.by_reason:
        if total.direction == "added":
            sheet.add("", LABELS[MemberChangeReason][total.reason], total.count)
    sheet.add("", "增加合计", changes.added, bold=True)
    sheet.add("减少", "原因", "人数", bold=True)
    for total in changes.by_reason:
        if total.direction == "removed":
            sheet.add("", LABELS[MemberChangeReason][total.reason], total.count)
    sheet.add("", "减少合计", changes.removed, bold=True)
    sheet.add("期末党员数", changes.count_at_end, bold=True)


@dataclass(frozen=True, slots=True)
class Figures:
    """What the workbook shows: the organisation's name, the day, the tables and the
    增减 ledger from 1 January."""

    org: str
    as_of: date
    tables: StatisticsTables
    changes: MemberChanges


def write_workbook(figures: Figures, out: io.RawIOBase) -> None:
    """The workbook of `figures` written into `out` (openpyxl's write-only mode)."""
    org, as_of, tables = figures.org, figures.as_of, figures.tables
    workbook = Workbook(write_only=True)
    members = _Sheet(workbook, "党员基本情况")
    blocks = _members_sheet(members, "党员基本情况", tables.members, org, as_of)
    _age_chart(members.sheet, *blocks["by_age_band"])
    _members_sheet(_Sheet(workbook, "发展党员"), "当年发展党员", tables.new_members, org, as_of)
    _organisations_sheet(_Sheet(workbook, "党组织基本情况"), tables, org)
    _changes_sheet(_Sheet(workbook, "党员增减情况"), figures.changes, org)
    _indicators_sheet(_Sheet(workbook, "组织生活和积分"), tables, org)
    workbook.save(out)


async def statistics_workbook(
    session: AsyncSession, org: Organisation, as_of: date
) -> AsyncIterator[bytes]:
    """The statistics of the subtree as of `as_of` as an XLSX workbook laid out as the
    annual tables: members (党员基本情况, with a bar chart of the age bands), the year's
    new members (发展党员), organisations (党组织基本情况) and the 增减 ledger from 1
    January to `as_of` (党员增减情况), the meetings and points indicators
    (组织生活和积分). The figures are those of the JSON tables (the tree and the member
    details as they stood on `as_of`), computed before the first byte; the file is
    streamed as it is written."""
    subtree = await load_subtree(session, org, changed_only=True, since=year_before(as_of))
    tables = await statistics_tables(session, org, as_of, subtree)
    changes = await member_changes(session, org, as_of.replace(month=1, day=1), as_of, subtree)
    return stream_written(partial(write_workbook, Figures(org.name, as_of, tables, changes)))
