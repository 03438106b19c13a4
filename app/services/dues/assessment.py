"""Which months a member owes dues and how much: from the day the general meeting admits a
probationary member, by status history, less approved reliefs.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from app.errors import Conflict, ErrorCode, Unprocessable
from app.i18n import Text
from app.models.enums import MemberCategory, ReliefKind
from app.models.lifecycle import DuesRelief
from app.models.member import Member
from app.models.organisation import Organisation
from app.services.dues.brackets import DuesBaseMissing, monthly_amount_fen
from app.services.policies import effective_policy
from app.services.unpaid_dues import MonthOwed, months_owed


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


def due_reason(owed: MonthOwed) -> tuple[bool, str | None]:
    """Whether a month is owed (`unpaid_dues.months_owed`: probationary or full on some
    day of it, and not before the month of admission (入党) when that date is known),
    with the reason if not."""
    if owed.owed:
        return True, None
    if not owed.admitted:
        return False, "before admission as a probationary member"
    return False, f"{owed.status_at_end} members owe no dues"


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
    owed: dict[date, MonthOwed] | None = None,
) -> Assessment:
    """Assess a member's dues for a month (党费测算), applying approved reductions and exemptions.

    A month is owed when the member was probationary or full on some day of it (the
    status of that month, from the transitions history, not today's): a probationary
    member from the month the general meeting admitted them; months before a
    suspension stay owed. Employed and self-employed members need a declared base
    (`dues_base_fen`), retired members their pension as the base.
    """
    category = MemberCategory(member.category)
    if owed is None:
        owed = await months_owed(session, member.id, [month])
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
    due, note = due_reason(owed[month])
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
