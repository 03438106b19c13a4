"""A member's development record as a printable binder (发展党员纪实档案): one XLSX sheet
laid out for A4 portrait, one titled section after another.

Each section is one function from the record to its rows, named once in `SECTIONS`:
adding a section to the binder is one entry there. Every cell goes through the
statistics workbook's writer (`workbook.append_row`: formula neutralising, characters
XLSX cannot hold). The profile is the member read's own rendering (ID number and phone
masked unless the reader holds PII rights, an unmasked read audited as the member
read audits it); the export itself is audited as `export.member_record`.
"""

from __future__ import annotations

import io
import uuid
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any

from openpyxl import Workbook
from openpyxl.worksheet.worksheet import Worksheet
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from app.models.enums import (
    LABELS,
    DevelopmentStepCode,
    DisciplineKind,
    DisciplineOutcome,
    Gender,
    MeetingType,
    MemberStatus,
    NoticeKind,
    label_zh,
)
from app.models.lifecycle import MemberTransition
from app.models.meeting import Meeting
from app.models.member import Member
from app.models.organisation import Organisation
from app.security.scope import Principal
from app.services.admission.notices import list_notices
from app.services.admission.numbers import number_of
from app.services.code_lists import EDUCATIONS, ETHNICITIES
from app.services.discipline.records import list_disciplines
from app.services.integration import audit
from app.services.lifecycle.development.records import steps_of
from app.services.lifecycle.timeline import member_timeline
from app.services.members.access import render
from app.services.members.rows import MemberRow
from app.services.organisations.workbook import append_row

TITLE = "党员发展纪实档案"
NONE = "（无）"
Rows = list[tuple[Any, ...]]


@dataclass(frozen=True)
class Record:
    """What every section reads: the member, the reader and the day."""

    session: AsyncSession
    principal: Principal
    member: Member
    today: date


@dataclass(frozen=True)
class Section:
    title: str
    header: tuple[str, ...]
    rows: Callable[[Record], Awaitable[Rows]]


def _label(enum: type[Any], value: str | None) -> str | None:
    return None if value is None else LABELS[enum].get(value, value)


async def profile(record: Record) -> Rows:
    """基本情况: the member read's fields, masked as the member read masks them."""
    member = record.member
    rendered = await render(record.session, record.principal, [MemberRow.of(member)], record.today)
    shown = rendered[0]
    org = await record.session.get(Organisation, member.org_id)
    return [
        ("姓名", shown["name"]),
        ("性别", _label(Gender, shown["gender"])),
        ("出生日期", shown["birth_date"]),
        ("民族", ETHNICITIES.get(shown["ethnicity"] or "", shown["ethnicity"])),
        ("学历", EDUCATIONS.get(shown["education"] or "", shown["education"])),
        ("公民身份号码", shown["id_number"]),
        ("联系电话", shown["phone"]),
        ("工作单位", shown["work_unit"]),
        ("所在党组织", org.name if org else None),
        ("当前状态", _label(MemberStatus, shown["status"])),
        ("递交入党申请书日期", shown["applied_on"]),
        ("谈话日期", shown["talked_on"]),
        ("确定为入党积极分子日期", shown["activist_on"]),
        ("列为发展对象日期", shown["candidate_on"]),
        ("接收为预备党员日期", shown["joined_on"]),
        ("上级党委审批日期", shown["admission_approved_on"]),
        ("转为正式党员日期", shown["full_on"]),
    ]


async def timeline(record: Record) -> Rows:
    """发展历程: the member's timeline (milestones, status changes, transfers and the rest)."""
    events = await member_timeline(record.session, record.member)
    return [(e.on, e.summary) for e in events]


async def form_number(record: Record) -> Rows:
    """入党志愿书: its number and the day it was issued to the member."""
    found = await number_of(record.session, record.member)
    if found is None:
        return []
    issued, spent = found
    return [(f"{issued.prefix}{spent.number}", spent.used_on)]


async def notices(record: Record) -> Rows:
    """公示: each public notice, its period and working days."""
    return [
        (_label(NoticeKind, n.kind), n.starts_on, n.ends_on, n.working_days)
        for n in await list_notices(record.session, record.member)
    ]


async def votes(record: Record) -> Rows:
    """表决会议: the meetings that voted the admission and the full membership."""
    rows = await record.session.execute(
        select(MemberTransition.kind, Meeting.held_on, Meeting.type, Meeting.topic)
        .join(Meeting, Meeting.id == MemberTransition.meeting_id)
        .where(
            MemberTransition.member_id == record.member.id,
            MemberTransition.kind.in_(("admitted", "became_full")),
        )
        .order_by(MemberTransition.effective_date, MemberTransition.recorded_at)
    )
    decided = {"admitted": "接收为预备党员", "became_full": "转为正式党员"}
    return [
        (decided[kind], held_on, _label(MeetingType, kind_of_meeting), topic)
        for kind, held_on, kind_of_meeting, topic in rows
    ]


async def disciplines(record: Record) -> Rows:
    """党纪处分: each decision, its document and its outcome."""
    return [
        (
            _label(DisciplineKind, d.kind),
            d.decided_on,
            d.document_number,
            d.ends_on,
            _label(DisciplineOutcome, d.outcome),
        )
        for d in await list_disciplines(record.session, record.member)
    ]


async def development_steps(record: Record) -> Rows:
    """发展程序: every step of the admission record (the catalogue's order), recorded here
    or read from the record that is the step, with the names of the people responsible."""
    entries = await steps_of(record.session, record.member)
    people = {i for e in entries for i in e.responsible_ids}
    names: dict[uuid.UUID, str] = {}
    if people:
        found = await record.session.execute(
            select(Member.id, Member.name).where(Member.id.in_(people))
        )
        names = {row.id: row.name for row in found}
    return [
        (
            e.stage,
            label_zh(DevelopmentStepCode, e.step),
            e.done_on,
            "、".join(names.get(i, str(i)) for i in e.responsible_ids) or None,
            e.result,
            e.notes,
        )
        for e in entries
    ]


SECTIONS: tuple[Section, ...] = (
    Section("一、基本情况", ("项目", "内容"), profile),
    Section("二、发展历程", ("日期", "事项"), timeline),
    Section("三、入党志愿书", ("编号", "发放日期"), form_number),
    Section("四、公示", ("类别", "开始日期", "结束日期", "工作日数"), notices),
    Section("五、表决会议", ("事项", "会议日期", "会议类型", "议题"), votes),
    Section("六、党纪处分", ("处分", "决定日期", "文号", "察看期满", "结果"), disciplines),
    Section("七、发展程序", ("阶段", "步骤", "日期", "负责人", "结果", "备注"), development_steps),
)


def _write(sheet: Worksheet, section: Section, rows: Sequence[tuple[Any, ...]]) -> None:
    append_row(sheet, section.title, bold=True)
    append_row(sheet, *section.header, bold=True)
    for row in rows or [(NONE,)]:
        append_row(sheet, *row)
    append_row(sheet)


def _print_setup(sheet: Worksheet) -> None:
    for column, width in zip("ABCDE", (24, 40, 16, 16, 16), strict=True):
        sheet.column_dimensions[column].width = width
    sheet.page_setup.paperSize = sheet.PAPERSIZE_A4
    sheet.page_setup.orientation = sheet.ORIENTATION_PORTRAIT
    sheet.page_setup.fitToWidth = 1
    sheet.page_setup.fitToHeight = 0
    sheet.sheet_properties.pageSetUpPr.fitToPage = True


async def development_record(
    session: AsyncSession, principal: Principal, member: Member, today: date
) -> bytes:
    """The member's development record (纪实档案) as an XLSX binder, one section after
    another: 基本情况 (the member read's fields, ID number and phone masked unless you
    hold PII rights), 发展历程 (the timeline), 入党志愿书 (its number), 公示 (the public
    notices), 表决会议 (the meetings that voted the admission and the full membership)
    and 党纪处分. An empty section says （无）. The export is audited
    (`export.member_record`), and an unmasked profile as the member read is."""
    record = Record(session, principal, member, today)
    workbook = Workbook()
    sheet = workbook.active
    assert isinstance(sheet, Worksheet)  # a new workbook's one sheet
    sheet.title = TITLE
    append_row(sheet, TITLE, bold=True)
    append_row(sheet, "姓名", member.name, "制表日期", today.isoformat())
    append_row(sheet)
    for section in SECTIONS:
        _write(sheet, section, await section.rows(record))
    _print_setup(sheet)
    audit.record(
        session, principal, "export.member_record", "member", member.id, member.org_path,
        after={"format": "xlsx"},
    )  # fmt: skip
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()
