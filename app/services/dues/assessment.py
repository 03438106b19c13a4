"""Which months a member owes dues and how much: from the day the general meeting admits a
probationary member, by status history, less approved reliefs.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from app.errors import Conflict, ErrorCode, Unprocessable
from app.i18n import Text
from app.models.enums import MemberCategory, MemberStatus, ReliefKind
from app.models.lifecycle import DuesRelief, MemberTransition
from app.models.member import Member
from app.models.organisation import Organisation
from app.services.dues.brackets import DuesBaseMissing, monthly_amount_fen
from app.services.lifecycle import add_months
from app.services.policies import effective_policy

DUE_STATUSES = (MemberStatus.probationary, MemberStatus.full)


def parse_month(raw: str, field: str = "month") -> date:
    try:
        year, month = raw.split("-")
        if len(year) != 4 or len(month) != 2:
            raise ValueError(raw)
        return date(int(year), int(month), 1)
    except ValueError as exc:
        raise Unprocessable.field(
            field,
            ErrorCode.dues_month_invalid,
            Text(zh="月份格式为 YYYY-MM", en="months are YYYY-MM"),
        ) from exc


def month_index(day: date) -> int:
    return day.year * 12 + day.month - 1


@dataclass(frozen=True)
class Assessment:
    member_id: uuid.UUID
    month: date
    category: MemberCategory
    base_fen: int | None
    rate: Decimal | None
    amount_fen: int
    due: bool
    note: str | None
    relief: str | None


# (effective date, from status, to status) of a member's transitions, oldest first.
StatusChange = tuple[date, MemberStatus, MemberStatus]


def statuses_in_month(
    current: MemberStatus, history: Sequence[StatusChange], month: date
) -> list[MemberStatus]:
    """The statuses a member held on some day of `month` (its first day), oldest first.

    Before the first transition the member held its `from` status; a transition
    effective on the month's first day replaces the earlier status for the whole month.
    Without history the current status holds throughout.
    """
    next_month = add_months(month, 1)
    held = history[0][1] if history else current
    inside: list[MemberStatus] = []
    for effective, _, to in history:
        if effective <= month:
            held = to
        elif effective < next_month:
            inside.append(to)
    return [held, *inside]


def due_in_month(
    current: MemberStatus, history: Sequence[StatusChange], joined_on: date | None, month: date
) -> tuple[bool, str | None]:
    """Whether a month is owed: probationary or full on some day of it, and not before
    the month of admission (入党) when that date is known. With the reason if not."""
    if joined_on is not None and month < joined_on.replace(day=1):
        return False, "before admission as a probationary member"
    held = statuses_in_month(current, history, month)
    if not any(s in DUE_STATUSES for s in held):
        return False, f"{held[-1].value} members owe no dues"
    return True, None


async def status_histories(
    session: AsyncSession, member_ids: Sequence[uuid.UUID]
) -> dict[uuid.UUID, list[StatusChange]]:
    """Each member's status changes, oldest first, from one query."""
    out: dict[uuid.UUID, list[StatusChange]] = {}
    if not member_ids:
        return out
    rows = await session.execute(
        select(
            MemberTransition.member_id,
            MemberTransition.effective_date,
            MemberTransition.from_status,
            MemberTransition.to_status,
        )
        .where(MemberTransition.member_id.in_(member_ids))
        .order_by(MemberTransition.effective_date, MemberTransition.recorded_at)
    )
    for member_id, day, before, after in rows.all():
        out.setdefault(member_id, []).append((day, MemberStatus(before), MemberStatus(after)))
    return out


async def status_history(session: AsyncSession, member_id: uuid.UUID) -> list[StatusChange]:
    return (await status_histories(session, [member_id])).get(member_id, [])


async def load_reliefs(session: AsyncSession, member_id: uuid.UUID) -> list[DuesRelief]:
    return list(
        (await session.scalars(select(DuesRelief).where(DuesRelief.member_id == member_id))).all()
    )


async def assess(
    session: AsyncSession,
    member: Member,
    month: date,
    *,
    reliefs: list[DuesRelief] | None = None,
    history: list[StatusChange] | None = None,
) -> Assessment:
    """Assess a member's dues for a month (党费测算), applying approved reductions and exemptions.

    A month is owed when the member was probationary or full on some day of it (the
    status of that month, from the transitions history, not today's): a probationary
    member from the month the general meeting admitted them; months before a
    suspension stay owed. Employed and self-employed members need a declared base
    (`dues_base_fen`), retired members their pension as the base.
    """
    category = MemberCategory(member.category)
    status = MemberStatus(member.status)
    if history is None:
        history = await status_history(session, member.id)
    org = await session.get(Organisation, member.org_id)
    assert org is not None
    policy = await effective_policy(session, org)
    try:
        amount, rate = monthly_amount_fen(
            category,
            member.dues_base_fen,
            farmer_fen=int(policy["dues_farmer_monthly_fen"]),
            rounding=str(policy["dues_rounding"]),
        )
    except DuesBaseMissing as exc:
        raise Conflict(
            ErrorCode.dues_base_missing,
            Text(
                zh="请先登记党员申报的月缴费基数 (dues_base_fen)",
                en="record the member's declared monthly base (dues_base_fen)",
            ),
        ) from exc
    due, note = due_in_month(status, history, member.joined_on, month)
    relief_kind = None
    for relief in reliefs if reliefs is not None else await load_reliefs(session, member.id):
        if relief.from_month <= month <= relief.to_month:
            relief_kind = relief.kind
            amount = 0 if relief.kind == ReliefKind.exemption else int(relief.monthly_fen or 0)
            note = f"{relief.kind} approved ({relief.approval_ref})"
    return Assessment(
        member_id=member.id,
        month=month,
        category=category,
        base_fen=member.dues_base_fen,
        rate=rate,
        amount_fen=amount if due else 0,
        due=due,
        note=note,
        relief=relief_kind,
    )
