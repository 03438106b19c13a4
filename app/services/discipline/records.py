"""Discipline (党纪处分): 警告, 严重警告, 撤销党内职务, 留党察看 (1 or 2 years), 开除党籍.

Recorded with the deciding organisation (the member's own or one above it, in the
caller's scope, never a temporary branch), the date and the document number.
Expulsion, immediate or ending a 留党察看, ends membership through the lifecycle's
one transition writer (`left`).
"""

from __future__ import annotations

import uuid
from datetime import date

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from app.errors import Conflict, ErrorCode, Unprocessable
from app.models.discipline import Discipline
from app.models.enums import (
    PARTY_MEMBER_STATUSES,
    DisciplineKind,
    DisciplineOutcome,
    MemberStatus,
    OrgType,
    Role,
)
from app.models.member import Member
from app.models.organisation import Organisation
from app.schemas.discipline import DisciplineConclusion, DisciplineCreate
from app.security.scope import Principal, is_under, load_visible, not_found, require_role
from app.services import lifecycle
from app.services.integration import audit, changes
from app.services.lifecycle.periods import add_months

AUDITED = (
    "kind",
    "org_id",
    "decided_on",
    "document_number",
    "period_years",
    "ends_on",
    "outcome",
    "concluded_on",
    "conclusion_document",
)


def probation_ends_on(decided_on: date, period_years: int) -> date:
    """The first day after a 留党察看 of `period_years` decided on `decided_on`."""
    return add_months(decided_on, 12 * period_years)


def require_discipline_writer(principal: Principal) -> None:
    require_role(principal, Role.org_admin, Role.branch_secretary)


def _check_past(field: str, day: date, today: date) -> None:
    if day > today:
        raise Unprocessable.field(field, ErrorCode.discipline_date_in_future)


async def deciding_organisation(
    session: AsyncSession, principal: Principal, member: Member, org_id: uuid.UUID
) -> Organisation:
    """The deciding organisation: in scope (else 404 naming `org_id`), the member's own or
    above it (422), not a temporary branch (409)."""
    org = await load_visible(session, principal, Organisation, org_id, field="org_id")
    if org.type == OrgType.temporary_branch:
        raise Conflict(ErrorCode.discipline_temporary_branch)
    if not is_under(member.org_path, org.path):
        raise Unprocessable.field("org_id", ErrorCode.discipline_org_not_above_member)
    return org


async def _open_probation(session: AsyncSession, member_id: uuid.UUID) -> Discipline | None:
    return await session.scalar(
        select(Discipline).where(
            Discipline.member_id == member_id,
            Discipline.kind == DisciplineKind.probation,
            Discipline.outcome.is_(None),
        )
    )


async def _expel(
    session: AsyncSession,
    principal: Principal,
    member: Member,
    day: date,
    document_number: str,
    today: date,
) -> None:
    await lifecycle.record_transition(
        session,
        principal,
        member,
        lifecycle.TransitionRequest(
            to_status=MemberStatus.left,
            effective_date=day,
            reason=f"开除党籍 expelled ({document_number})",
            meeting_id=None,
            extension_months=None,
        ),
        today,
    )


async def record_discipline(
    session: AsyncSession,
    principal: Principal,
    member: Member,
    data: DisciplineCreate,
    today: date,
) -> Discipline:
    """Record a disciplinary decision (党纪处分) taken by the deciding organisation.

    Only full and probationary members are disciplined (409
    `discipline.member_not_eligible`). 留党察看 (`probation`) needs `period_years` 1 or 2
    and no other kind takes one (422 `discipline.period_invalid`); while it lasts the
    member attends meetings without a vote, and it ends with an outcome (rights_restored or
    expelled); a second one is refused while one is open. 开除党籍 (`expulsion`) records
    the member as `left` on the decision's date. A temporary branch cannot discipline.
    """
    require_discipline_writer(principal)
    await deciding_organisation(session, principal, member, data.org_id)
    _check_past("decided_on", data.decided_on, today)
    if member.status not in PARTY_MEMBER_STATUSES:
        raise Conflict(ErrorCode.discipline_member_not_eligible)
    is_probation = data.kind is DisciplineKind.probation
    if is_probation != (data.period_years is not None):
        raise Unprocessable.field("period_years", ErrorCode.discipline_period_invalid)
    if await _open_probation(session, member.id) is not None:
        raise Conflict(ErrorCode.discipline_probation_open)
    discipline = Discipline(
        member_id=member.id,
        kind=data.kind.value,
        org_id=data.org_id,
        decided_on=data.decided_on,
        document_number=data.document_number,
        reason=data.reason,
        period_years=data.period_years,
        ends_on=probation_ends_on(data.decided_on, data.period_years)
        if data.period_years
        else None,
        recorded_by=principal.user_id,
    )
    session.add(discipline)
    await session.flush()
    if data.kind is DisciplineKind.expulsion:
        await _expel(session, principal, member, data.decided_on, data.document_number, today)
    await changes.record_event(
        session,
        member,
        changes.DomainEvent.member_disciplined,
        {"discipline_id": str(discipline.id)},
    )
    audit.record(
        session,
        principal,
        "member.disciplined",
        "member",
        member.id,
        member.org_path,
        after=audit.snapshot(discipline, AUDITED),
    )
    return discipline


async def get_discipline(
    session: AsyncSession, member: Member, discipline_id: uuid.UUID, *, lock: bool = False
) -> Discipline:
    """One of the member's disciplines (404 otherwise: the member was loaded in scope)."""
    discipline = await session.get(Discipline, discipline_id, with_for_update=lock or None)
    if discipline is None or discipline.member_id != member.id:
        raise not_found(ErrorCode.discipline_not_found)
    return discipline


async def conclude_discipline(
    session: AsyncSession,
    principal: Principal,
    member: Member,
    discipline_id: uuid.UUID,
    data: DisciplineConclusion,
    today: date,
) -> Discipline:
    """End a 留党察看: rights restored once its period is over (on or after `ends_on`),
    or expelled at any time during it (the member is recorded as `left`).

    Only a 留党察看 takes an outcome (409 `discipline.not_probation`), once (409
    `discipline.already_concluded`).
    """
    require_discipline_writer(principal)
    discipline = await get_discipline(session, member, discipline_id, lock=True)
    if discipline.kind != DisciplineKind.probation:
        raise Conflict(ErrorCode.discipline_not_probation)
    if discipline.outcome is not None:
        raise Conflict(ErrorCode.discipline_already_concluded)
    _check_past("concluded_on", data.concluded_on, today)
    if data.concluded_on < discipline.decided_on:
        raise Unprocessable.field("concluded_on", ErrorCode.discipline_conclusion_before_decision)
    assert discipline.ends_on is not None
    if data.outcome is DisciplineOutcome.rights_restored and data.concluded_on < discipline.ends_on:
        raise Conflict(ErrorCode.discipline_period_not_served)
    before = audit.snapshot(discipline, AUDITED)
    discipline.outcome = data.outcome.value
    discipline.concluded_on = data.concluded_on
    discipline.conclusion_document = data.document_number
    await session.flush()
    if data.outcome is DisciplineOutcome.expelled:
        await _expel(session, principal, member, data.concluded_on, data.document_number, today)
    await changes.record_event(
        session,
        member,
        changes.DomainEvent.member_discipline_concluded,
        {"discipline_id": str(discipline.id), "outcome": data.outcome.value},
    )
    audit.record(
        session,
        principal,
        "member.discipline_concluded",
        "member",
        member.id,
        member.org_path,
        before=before,
        after=audit.snapshot(discipline, AUDITED),
    )
    return discipline


async def list_disciplines(session: AsyncSession, member: Member) -> list[Discipline]:
    rows = await session.scalars(
        select(Discipline)
        .where(Discipline.member_id == member.id)
        .order_by(Discipline.decided_on, Discipline.id)
    )
    return list(rows.all())
