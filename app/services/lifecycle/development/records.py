"""A member's admission record (全程纪实): the recorded steps and, read with them, the
existing records that are steps themselves (the member's dates, the 公示, the 志愿书
number), so nothing is entered twice.

`steps_of` is the one reader: the gates, the member's step list and any report read a
member's steps through it.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from datetime import date
from typing import Literal

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from app.errors import Conflict, ErrorCode, Unprocessable
from app.i18n import Text
from app.models.admission import (
    AdmissionNotice,
    DevelopmentStepRecord,
    FormNumber,
    FormNumberRange,
)
from app.models.enums import DevelopmentStepCode, FormNumberState, MemberStatus, NoticeKind, Role
from app.models.member import Member
from app.models.organisation import Organisation
from app.schemas.development import DevelopmentStepCreate
from app.security.scope import Principal, load_all_visible, require_role
from app.services.integration import audit
from app.services.lifecycle.development.catalogue import BY_CODE, CATALOGUE_VERSION, STEPS
from app.services.lifecycle.development.order import step_missing
from app.services.policies import effective_policy

C = DevelopmentStepCode
Source = Literal["record", "member", "notice", "form_number"]
AUDITED = ("step", "done_on", "responsible_ids", "result", "notes", "hours")

# Steps whose evidence is a dated field of the member (set by the transition or the
# member's record); a recorded step is accepted beside it for talk, application and approval.
MEMBER_DATES: dict[DevelopmentStepCode, str] = {
    C.application: "applied_on",
    C.talk: "talked_on",
    C.activist_decision: "activist_on",
    C.candidate_decision: "candidate_on",
    C.admission_vote: "joined_on",
    C.approval: "admission_approved_on",
    C.full_vote: "full_on",
}
# Steps that are another record (the transition, the notice, the number): never entered here.
RECORDED_ELSEWHERE = frozenset(
    {
        C.activist_decision,
        C.candidate_decision,
        C.admission_vote,
        C.full_vote,
        C.notice,
        C.form_issued,
    }
)


@dataclass(frozen=True)
class StepEntry:
    """One step of a member's record, recorded here or read from the record that is it."""

    step: DevelopmentStepCode
    stage: int
    done_on: date
    source: Source
    id: uuid.UUID | None = None  # the step record's or the notice's / number's id
    responsible_ids: list[uuid.UUID] = field(default_factory=list)
    result: str | None = None
    notes: str | None = None
    training_hours: int | None = None
    notice_ends_on: date | None = None  # a 公示's last day
    form_number: str | None = None  # the 志愿书 number, with its prefix


def _order(entry: StepEntry) -> tuple[int, date]:
    return (STEPS.index(BY_CODE[entry.step]), entry.done_on)


async def _evidence(session: AsyncSession, member: Member) -> list[StepEntry]:
    entries = [
        StepEntry(code, BY_CODE[code].stage, day, "member")
        for code, name in MEMBER_DATES.items()
        if (day := getattr(member, name)) is not None
    ]
    notices = await session.scalars(
        select(AdmissionNotice).where(
            AdmissionNotice.member_id == member.id, AdmissionNotice.kind == NoticeKind.admission
        )
    )
    entries += [
        StepEntry(C.notice, 4, n.starts_on, "notice", n.id, notice_ends_on=n.ends_on)
        for n in notices
    ]
    numbers = await session.execute(
        select(FormNumber, FormNumberRange.prefix)
        .join(FormNumberRange, FormNumberRange.id == FormNumber.range_id)
        .where(FormNumber.member_id == member.id, FormNumber.state == FormNumberState.used)
    )
    for number, prefix in numbers:
        assert number.used_on is not None
        label = f"{prefix}{number.number}"
        entries.append(StepEntry(C.form_issued, 4, number.used_on, "form_number", number.id,
                                 form_number=label))  # fmt: skip
    return entries


async def steps_of(session: AsyncSession, member: Member) -> list[StepEntry]:
    """Every step of the member's admission record known so far, in catalogue order then
    by date: the recorded steps and the existing records that are steps."""
    records = await session.scalars(
        select(DevelopmentStepRecord).where(DevelopmentStepRecord.member_id == member.id)
    )
    entries = [
        StepEntry(
            C(r.step),
            BY_CODE[C(r.step)].stage,
            r.done_on,
            "record",
            r.id,
            list(r.responsible_ids),
            r.result,
            r.notes,
            r.hours,
        )
        for r in records
    ]
    entries += await _evidence(session, member)
    return sorted(entries, key=_order)


def _refuse_field(name: str, code: ErrorCode, zh: str, en: str) -> Unprocessable:
    return Unprocessable.field(name, code, Text(zh=zh, en=en))


async def _check_responsible(
    session: AsyncSession, principal: Principal, member: Member, data: DevelopmentStepCreate
) -> None:
    """The people named are members in scope (404 naming the field otherwise), as many as
    the step takes; a contact (培养联系人) is a full member and not the member."""
    people = await load_all_visible(
        session, principal, Member, data.responsible_ids, field="responsible_ids"
    )
    low, high = BY_CODE[data.step].responsible
    if not low <= len(people) <= high:
        raise _refuse_field(
            "responsible_ids", ErrorCode.lifecycle_step_responsible_invalid,
            f"该步骤须指定 {low} 至 {high} 名负责人", f"the step names {low} to {high} people",
        )  # fmt: skip
    if data.step is C.contacts_assigned and any(
        p.status != MemberStatus.full or p.id == member.id for p in people
    ):
        raise _refuse_field(
            "responsible_ids", ErrorCode.lifecycle_step_responsible_invalid,
            "培养联系人须为正式党员", "contacts are full members",
        )  # fmt: skip


async def _check_training(session: AsyncSession, member: Member, hours: int | None) -> None:
    """Training lasts at least the subtree's `development_training_min_hours` (24: 3 days)."""
    org = await session.get(Organisation, member.org_id)
    assert org is not None
    minimum = int((await effective_policy(session, org))["development_training_min_hours"])
    if hours is None or hours < minimum:
        raise _refuse_field(
            "training_hours", ErrorCode.lifecycle_step_hours_too_few,
            f"集中培训不少于 {minimum} 个学时", f"training lasts at least {minimum} hours",
        )  # fmt: skip


async def _check_once(session: AsyncSession, member: Member, step: DevelopmentStepCode) -> None:
    if step in RECORDED_ELSEWHERE:
        raise Conflict(
            ErrorCode.lifecycle_step_recorded_elsewhere,
            Text(
                zh="该步骤由状态变动、公示或志愿书编号记录，无须另行登记",
                en="this step is the transition, the notice or the form number itself",
            ),
        )
    if BY_CODE[step].repeats:
        return
    again = await session.scalar(
        select(DevelopmentStepRecord.id).where(
            DevelopmentStepRecord.member_id == member.id, DevelopmentStepRecord.step == step
        )
    )
    if again is not None:
        raise Conflict(ErrorCode.lifecycle_step_already_recorded)


async def _check_follows(
    session: AsyncSession, member: Member, step: DevelopmentStepCode, day: date
) -> None:
    """A step that gates no transition (full-membership approval, filing: both after the
    last one) is checked when it is recorded, as a gate checks the others: the steps it
    follows done by its `day`, else 409 `lifecycle.step_missing` naming the first not done
    (so never after it)."""
    entry = BY_CODE[step]
    if entry.gates is not None or not entry.after:
        return
    done = {e.step for e in await steps_of(session, member) if e.done_on <= day}
    for before in entry.after:
        if before not in done:
            raise step_missing(before, day)


async def record_step(
    session: AsyncSession,
    principal: Principal,
    member: Member,
    data: DevelopmentStepCreate,
    today: date,
) -> DevelopmentStepRecord:
    """Record a step of the member's admission record (全程纪实): its day, the people
    responsible (member ids in scope), the result and notes.

    Not in the future (422 `lifecycle.effective_date_in_future`); once per member except
    reviews (409 `lifecycle.step_already_recorded`); never a step that is another record
    (409 `lifecycle.step_recorded_elsewhere`: the transitions, the 公示, the 志愿书 number);
    contacts are 1-2 full members (422 `lifecycle.step_responsible_invalid`); training
    gives its hours, at least the policy's (422 `lifecycle.step_hours_too_few`); a step
    that gates no transition (full-membership approval, filing) after the steps it follows
    (409 `lifecycle.step_missing`).
    """
    require_role(principal, Role.org_admin, Role.branch_secretary)
    # The member is locked: two requests never both pass the once-only check.
    await session.refresh(member, with_for_update=True)
    if data.done_on > today:
        raise _refuse_field(
            "done_on", ErrorCode.lifecycle_effective_date_in_future,
            "日期不能晚于今天", "the date is in the future",
        )  # fmt: skip
    await _check_once(session, member, data.step)
    await _check_follows(session, member, data.step, data.done_on)
    await _check_responsible(session, principal, member, data)
    if data.step is C.training:
        await _check_training(session, member, data.training_hours)
    row = DevelopmentStepRecord(
        member_id=member.id,
        step=data.step.value,
        done_on=data.done_on,
        responsible_ids=list(dict.fromkeys(data.responsible_ids)),
        result=data.result,
        notes=data.notes,
        hours=data.training_hours,
        catalogue_version=CATALOGUE_VERSION,
        recorded_by=principal.user_id,
    )
    session.add(row)
    await session.flush()
    audit.record(
        session, principal, "member.development_step_recorded", "member", member.id,
        member.org_path, after=audit.snapshot(row, AUDITED),
    )  # fmt: skip
    return row
