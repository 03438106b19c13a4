"""Recording payments (back payment covers at most 6 months) and hardship reliefs (an
approval record).
"""

from __future__ import annotations

import uuid
from datetime import date

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from app.errors import Conflict, ErrorCode, Unprocessable
from app.i18n import Text
from app.models.enums import OrgType, ReliefKind, Role
from app.models.lifecycle import DuesPayment, DuesPaymentMonth, DuesRelief
from app.models.member import Member
from app.models.organisation import Organisation
from app.security.scope import Principal, require_role
from app.services import members
from app.services.dues.assessment import (
    Assessment,
    assess,
    load_reliefs,
    month_index,
    parse_month,
)
from app.services.integration import audit
from app.services.unpaid_dues import months_owed

MAX_BACK_MONTHS = 6


# DOMAIN sets no prepayment limit; a year ahead bounds typing mistakes (a house limit).
MAX_PREPAID_MONTHS = 12


def payable_months(months: list[str], paid_on: date) -> list[date]:
    """The months a payment on `paid_on` may cover, parsed and sorted: at least one,
    none twice, back payment at most `MAX_BACK_MONTHS` (6) before the payment's month,
    prepayment at most `MAX_PREPAID_MONTHS` (12) after it."""
    if not months:
        raise Unprocessable.field(
            "months",
            ErrorCode.dues_months_empty,
            Text(zh="至少填写一个月份", en="name at least one month"),
        )
    parsed = sorted({parse_month(m, "months") for m in months})
    if len(parsed) != len(months):
        raise Unprocessable.field(
            "months", ErrorCode.dues_month_repeated, Text(zh="月份重复", en="a month appears twice")
        )
    paid_index = month_index(paid_on)
    for month in parsed:
        if month_index(month) - paid_index > MAX_PREPAID_MONTHS:
            raise Unprocessable.field(
                "months",
                ErrorCode.dues_prepayment_too_far,
                Text(
                    zh=f"{month:%Y-%m}：最多预交 {MAX_PREPAID_MONTHS} 个月",
                    en=f"{month:%Y-%m}: prepayment covers at most {MAX_PREPAID_MONTHS} months",
                ),
            )
        if paid_index - month_index(month) > MAX_BACK_MONTHS:
            raise Conflict(
                ErrorCode.dues_back_payment_too_old,
                Text(
                    zh=f"{month:%Y-%m}：最多补交 {MAX_BACK_MONTHS} 个月",
                    en=f"{month:%Y-%m}: back payment covers at most {MAX_BACK_MONTHS} months",
                ),
            )
    return parsed


async def _refuse_paid_twice(session: AsyncSession, member: Member, months: list[date]) -> None:
    # Lock the member so two payments for the same months cannot both pass the check.
    await session.refresh(member, with_for_update=True)
    already = (
        await session.scalars(
            select(DuesPaymentMonth.month).where(
                DuesPaymentMonth.member_id == member.id, DuesPaymentMonth.month.in_(months)
            )
        )
    ).all()
    if already:
        raise Conflict(
            ErrorCode.dues_month_already_paid,
            Text(
                zh="以下月份已缴纳：" + "、".join(f"{m:%Y-%m}" for m in sorted(already)),
                en="already paid: " + ", ".join(f"{m:%Y-%m}" for m in sorted(already)),
            ),
        )


def prepaid(months: list[date], paid_on: date) -> list[date]:
    """The months a payment on `paid_on` pays ahead (预交): those after its own month."""
    return [m for m in months if month_index(m) > month_index(paid_on)]


def _refuse_collection(org: Organisation | None, paid_on: date, today: date) -> None:
    if org is not None and org.type == OrgType.temporary_branch:
        raise Conflict(
            ErrorCode.dues_temporary_branch,
            Text(zh="临时党支部不收缴党费", en="a temporary branch does not collect dues"),
        )
    if paid_on > today:
        raise Unprocessable.field(
            "paid_on",
            ErrorCode.dues_paid_on_in_future,
            Text(zh="缴费日期 (paid_on) 不能晚于今天", en="paid_on is in the future"),
        )


async def _assess_owed(
    session: AsyncSession, member: Member, months: list[date]
) -> list[Assessment]:
    """Each month's assessment, with the member's status in that month; 409 for a month
    the member owes nothing for."""
    reliefs = await load_reliefs(session, member.id)
    owed = await months_owed(session, member.id, months)
    assessments = [await assess(session, member, m, reliefs=reliefs, owed=owed) for m in months]
    not_due = [a for a in assessments if not a.due]
    if not_due:
        raise Conflict(
            ErrorCode.dues_month_not_due,
            Text(
                zh=f"{not_due[0].month:%Y-%m} 无需缴纳党费",
                en=f"{not_due[0].month:%Y-%m}: {not_due[0].note}",
            ),
        )
    return assessments


def _refuse_below_assessment(amount_fen: int, expected: int) -> None:
    """At least the assessment; anything above it is a voluntary extra (自愿多交)."""
    if amount_fen < expected:
        raise Unprocessable.field(
            "amount_fen",
            ErrorCode.dues_amount_below_assessment,
            Text(
                zh=f"这些月份应缴 {expected} 分",
                en=f"the assessment for these months is {expected} fen",
            ),
        )


async def record_payment(
    session: AsyncSession,
    principal: Principal,
    member_id: uuid.UUID,
    months: list[str],
    amount_fen: int,
    paid_on: date,
    today: date,
) -> DuesPayment:
    """Record a dues payment (收缴党费) for one or more months.

    Months up to 12 after the payment's month are prepayment (预交); an amount above
    the assessment is a voluntary extra (自愿多交). Each month is assessed with the
    member's status in that month, so months owed before a suspension can be paid.
    Refused: a month already paid (`dues.month_already_paid`), a month more than 12
    after the payment's month (`dues.prepayment_too_far`), back payment beyond 6
    months (`dues.back_payment_too_old`), a month the member owes nothing for
    (`dues.month_not_due`), or an amount below the assessment
    (`dues.amount_below_assessment`; approved reductions and exemptions are applied).
    The member is one the principal may see (else 404 naming `member_id`).
    """
    member = await members.get_visible(
        session, principal, member_id, field="member_id", copies_path=True
    )
    require_role(principal, Role.org_admin, Role.branch_secretary)
    _refuse_collection(await session.get(Organisation, member.org_id), paid_on, today)
    parsed = payable_months(months, paid_on)
    await _refuse_paid_twice(session, member, parsed)
    assessments = await _assess_owed(session, member, parsed)
    expected = sum(a.amount_fen for a in assessments)
    _refuse_below_assessment(amount_fen, expected)
    payment = DuesPayment(
        member_id=member.id,
        org_path=member.org_path,
        amount_fen=amount_fen,
        paid_on=paid_on,
        recorded_by=principal.user_id,
    )
    session.add(payment)
    await session.flush()
    session.add_all(
        [
            DuesPaymentMonth(
                member_id=member.id, month=a.month, payment_id=payment.id, amount_fen=a.amount_fen
            )
            for a in assessments
        ]
    )
    await session.flush()
    after = {
        "payment_id": str(payment.id),
        "months": [f"{m:%Y-%m}" for m in parsed],
        "prepaid_months": [f"{m:%Y-%m}" for m in prepaid(parsed, paid_on)],
        "amount_fen": amount_fen,
        "voluntary_extra_fen": amount_fen - expected,
        "paid_on": paid_on.isoformat(),
    }
    audit.record(session, principal, "dues.paid", "member", member.id, member.org_path, after=after)
    return payment


async def paid_months(session: AsyncSession, payment_id: uuid.UUID) -> tuple[list[date], int]:
    """A payment's months and the sum of their assessments (the rest is voluntary extra)."""
    rows = (
        await session.execute(
            select(DuesPaymentMonth.month, DuesPaymentMonth.amount_fen)
            .where(DuesPaymentMonth.payment_id == payment_id)
            .order_by(DuesPaymentMonth.month)
        )
    ).all()
    return [m for m, _ in rows], sum(int(a) for _, a in rows)


async def add_relief(
    session: AsyncSession,
    principal: Principal,
    member: Member,
    *,
    kind: str,
    monthly_fen: int | None,
    from_month: str,
    to_month: str,
    approval_ref: str,
    approved_on: date,
) -> DuesRelief:
    """Record an approved hardship reduction or exemption (困难减免) for a span of months.

    A reduction names the reduced monthly amount; an exemption sets it to zero. The
    approval reference (document number) is required.
    """
    require_role(principal, Role.org_admin, Role.branch_secretary)
    start, end = parse_month(from_month, "from_month"), parse_month(to_month, "to_month")
    if end < start:
        raise Unprocessable.field(
            "to_month",
            ErrorCode.dues_month_order,
            Text(
                zh="结束月份 (to_month) 早于开始月份 (from_month)",
                en="to_month is before from_month",
            ),
        )
    if kind == ReliefKind.reduction and monthly_fen is None:
        raise Unprocessable.field("monthly_fen", ErrorCode.dues_reduction_amount_missing)
    if kind == ReliefKind.exemption and monthly_fen is not None:
        raise Unprocessable.field("monthly_fen", ErrorCode.dues_exemption_has_no_amount)
    relief = DuesRelief(
        member_id=member.id,
        kind=kind,
        monthly_fen=monthly_fen,
        from_month=start,
        to_month=end,
        approval_ref=approval_ref,
        approved_on=approved_on,
        approved_by=principal.user_id,
    )
    session.add(relief)
    await session.flush()
    audit.record(
        session,
        principal,
        f"dues.{kind}_approved",
        "member",
        member.id,
        member.org_path,
        after={
            "relief_id": str(relief.id),
            "from": from_month,
            "to": to_month,
            "ref": approval_ref,
        },
    )
    return relief
