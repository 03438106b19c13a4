"""Party dues (党费), in integer fen, under the 2008 rules (中组发〔2008〕3号).

In service (and self-employed, on last quarter's average net income): base <= 3000
yuan 0.5 %, 3000-5000 1 %, 5000-10000 1.5 %, above 10000 2 % (upper bounds
inclusive). Retired, on the pension: <= 5000 0.5 %, above 1 %. Farmers pay a fixed
0.2-1 yuan (policy, default 0.5); students, the unemployed and people on relief 0.2.
Probationary members pay from the month the general meeting admits them.

A month is assessed with the member's status in that month, read from the lifecycle
transitions: it is due when the member was probationary or full on any day of it, so
months owed before a suspension (or leaving) can still be paid. A payment may exceed
the assessment: the difference is a voluntary extra (自愿多交), recorded on the payment
(`voluntary_extra_fen`), never a refusal. Months after the payment month are prepaid
(预交), at most `MAX_PREPAID_MONTHS` (12) ahead, assessed with today's status and base;
back payment covers at most `MAX_BACK_MONTHS` (6, DOMAIN).
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from decimal import ROUND_CEILING, ROUND_DOWN, ROUND_HALF_EVEN, ROUND_HALF_UP, Decimal

from sqlalchemy import select, text
from sqlalchemy.ext.asyncio import AsyncSession

from app.errors import Conflict, ErrorCode, Unprocessable
from app.i18n import Text
from app.models.enums import MemberCategory, MemberStatus, OrgType, ReliefKind, Role
from app.models.lifecycle import DuesPayment, DuesPaymentMonth, DuesRelief, MemberTransition
from app.models.member import Member
from app.models.organisation import Organisation
from app.security.scope import Principal, require_role, subtree_prefix
from app.services import audit
from app.services.lifecycle import add_months
from app.services.policies import effective_policy

# (inclusive upper bound in fen, rate); None: no upper bound.
SALARY_BRACKETS: tuple[tuple[int | None, Decimal], ...] = (
    (300_000, Decimal("0.005")),
    (500_000, Decimal("0.01")),
    (1_000_000, Decimal("0.015")),
    (None, Decimal("0.02")),
)
PENSION_BRACKETS: tuple[tuple[int | None, Decimal], ...] = (
    (500_000, Decimal("0.005")),
    (None, Decimal("0.01")),
)
MINIMUM_FEN = 20  # students, the unemployed, people on relief: 0.2 yuan a month
FARMER_RANGE_FEN = (20, 100)
ROUNDING = {
    "half_up": ROUND_HALF_UP,
    "half_even": ROUND_HALF_EVEN,
    "down": ROUND_DOWN,
    "up": ROUND_CEILING,
}
MAX_BACK_MONTHS = 6
# DOMAIN sets no prepayment limit; a year ahead bounds typing mistakes (a house limit).
MAX_PREPAID_MONTHS = 12
DUE_STATUSES = (MemberStatus.probationary, MemberStatus.full)
CONSECUTIVE_UNPAID_FLAG = 6


class DuesBaseMissing(ValueError):
    """The category's amount depends on a declared base that is not recorded."""


def bracket_rate(base_fen: int, brackets: tuple[tuple[int | None, Decimal], ...]) -> Decimal:
    for upper, rate in brackets:
        if upper is None or base_fen <= upper:
            return rate
    raise AssertionError("the last bracket is open")


def monthly_amount_fen(
    category: MemberCategory,
    base_fen: int | None,
    *,
    farmer_fen: int = 50,
    rounding: str = "half_up",
) -> tuple[int, Decimal | None]:
    """The monthly dues in fen and the rate applied (None for fixed amounts)."""
    if category is MemberCategory.farmer:
        return farmer_fen, None
    if category in (MemberCategory.student, MemberCategory.unemployed):
        return MINIMUM_FEN, None
    if category is MemberCategory.other and base_fen is None:
        return MINIMUM_FEN, None
    if base_fen is None:
        raise DuesBaseMissing(category.value)
    brackets = PENSION_BRACKETS if category is MemberCategory.retired else SALARY_BRACKETS
    rate = bracket_rate(base_fen, brackets)
    amount = (Decimal(base_fen) * rate).quantize(Decimal(1), rounding=ROUNDING[rounding])
    return int(amount), rate


def parse_month(raw: str, field: str = "month") -> date:
    try:
        year, month = raw.split("-")
        if len(year) != 4 or len(month) != 2:
            raise ValueError(raw)
        return date(int(year), int(month), 1)
    except ValueError as exc:
        raise Unprocessable.field(
            field, ErrorCode.dues_month_invalid, "months are YYYY-MM"
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


async def _reliefs(session: AsyncSession, member_id: uuid.UUID) -> list[DuesRelief]:
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
            ErrorCode.dues_base_missing, "record the member's declared monthly base (dues_base_fen)"
        ) from exc
    due, note = due_in_month(status, history, member.joined_on, month)
    relief_kind = None
    for relief in reliefs if reliefs is not None else await _reliefs(session, member.id):
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


async def record_payment(
    session: AsyncSession,
    principal: Principal,
    member: Member,
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
    """
    require_role(principal, Role.org_admin, Role.branch_secretary)
    org = await session.get(Organisation, member.org_id)
    if org is not None and org.type == OrgType.temporary_branch:
        raise Conflict(ErrorCode.dues_temporary_branch, "a temporary branch does not collect dues")
    if paid_on > today:
        raise Unprocessable.field(
            "paid_on", ErrorCode.dues_paid_on_in_future, "paid_on is in the future"
        )
    if not months:
        raise Unprocessable.field("months", ErrorCode.dues_months_empty, "name at least one month")
    parsed = sorted({parse_month(m, "months") for m in months})
    if len(parsed) != len(months):
        raise Unprocessable.field("months", ErrorCode.dues_month_repeated, "a month appears twice")
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
    # Lock the member so two payments for the same months cannot both pass the check.
    await session.refresh(member, with_for_update=True)
    already = (
        await session.scalars(
            select(DuesPaymentMonth.month).where(
                DuesPaymentMonth.member_id == member.id, DuesPaymentMonth.month.in_(parsed)
            )
        )
    ).all()
    if already:
        raise Conflict(
            ErrorCode.dues_month_already_paid,
            "already paid: " + ", ".join(f"{m:%Y-%m}" for m in sorted(already)),
        )
    reliefs = await _reliefs(session, member.id)
    history = await status_history(session, member.id)
    assessments = [
        await assess(session, member, m, reliefs=reliefs, history=history) for m in parsed
    ]
    not_due = [a for a in assessments if not a.due]
    if not_due:
        raise Conflict(ErrorCode.dues_month_not_due, f"{not_due[0].month:%Y-%m}: {not_due[0].note}")
    expected = sum(a.amount_fen for a in assessments)
    if amount_fen < expected:
        raise Unprocessable.field(
            "amount_fen",
            ErrorCode.dues_amount_below_assessment,
            Text(
                zh=f"这些月份应缴 {expected} 分",
                en=f"the assessment for these months is {expected} fen",
            ),
        )
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
    audit.record(
        session,
        principal,
        "dues.paid",
        "member",
        member.id,
        member.org_path,
        after={
            "payment_id": str(payment.id),
            "months": [f"{m:%Y-%m}" for m in parsed],
            "amount_fen": amount_fen,
            "voluntary_extra_fen": amount_fen - expected,
            "paid_on": paid_on.isoformat(),
        },
    )
    return payment


async def paid_months(session: AsyncSession, payment_id: uuid.UUID) -> tuple[list[str], int]:
    """A payment's months and the sum of their assessments (the rest is voluntary extra)."""
    rows = (
        await session.execute(
            select(DuesPaymentMonth.month, DuesPaymentMonth.amount_fen)
            .where(DuesPaymentMonth.payment_id == payment_id)
            .order_by(DuesPaymentMonth.month)
        )
    ).all()
    return [f"{m:%Y-%m}" for m, _ in rows], sum(int(a) for _, a in rows)


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
            "to_month", ErrorCode.dues_month_order, "to_month is before from_month"
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


# Months of the window a member neither paid nor was exempted from, per member, for the
# members who are due now or left a due status during or after the window; `arrears`
# keeps the months `due_in_month` says were owed (the status of each month).
ARREARS_SQL = text(
    """
    WITH months AS (
        SELECT d::date AS m
        FROM generate_series(CAST(:start AS date), CAST(:end AS date), interval '1 month') AS d
    )
    SELECT mem.id, mem.name, mem.org_id, mem.status, mem.joined_on,
           array_agg(months.m ORDER BY months.m) AS unpaid
    FROM members AS mem
    JOIN months ON mem.joined_on IS NULL OR months.m >= date_trunc('month', mem.joined_on)
    LEFT JOIN dues_payment_months AS paid
        ON paid.member_id = mem.id AND paid.month = months.m
    LEFT JOIN dues_reliefs AS relief
        ON relief.member_id = mem.id AND relief.kind = 'exemption'
        AND months.m BETWEEN relief.from_month AND relief.to_month
    WHERE mem.org_path LIKE :prefix
      AND (mem.status IN ('probationary', 'full') OR EXISTS (
          SELECT 1 FROM member_transitions AS t
          WHERE t.member_id = mem.id AND t.from_status IN ('probationary', 'full')
            AND t.effective_date >= CAST(:start AS date)))
      AND paid.member_id IS NULL
      AND relief.id IS NULL
      AND (CAST(:after AS uuid) IS NULL OR mem.id > CAST(:after AS uuid))
    GROUP BY mem.id, mem.name, mem.org_id, mem.status, mem.joined_on
    ORDER BY mem.id
    LIMIT :limit
    """
)


@dataclass(frozen=True)
class Arrears:
    member_id: uuid.UUID
    name: str
    org_id: uuid.UUID
    unpaid_months: list[date]
    longest_unpaid_run: int
    flagged: bool


def longest_run(months: list[date]) -> int:
    """The longest run of consecutive calendar months in a sorted list."""
    best = run = 0
    previous: int | None = None
    for month in months:
        index = month_index(month)
        run = run + 1 if previous is not None and index == previous + 1 else 1
        best = max(best, run)
        previous = index
    return best


async def arrears(
    session: AsyncSession,
    org: Organisation,
    *,
    as_of: date,
    window_months: int,
    after_member: uuid.UUID | None,
    limit: int,
) -> tuple[list[Arrears], uuid.UUID | None]:
    """Members of the subtree with unpaid months in the window ending with `as_of`'s month.

    Exempt months do not count, nor months the member did not owe (the status of each
    month, as in `assess`): a member suspended since September still owes August. Six
    consecutive unpaid months are flagged for the branch (`dues.six_months_unpaid`): a
    suggestion, never an automatic status change. A page may hold fewer than `limit`
    members (one whose candidate months were all not owed is left out).
    """
    end = as_of.replace(day=1)
    start = add_months(end, -(window_months - 1))
    rows = (
        await session.execute(
            ARREARS_SQL,
            {
                "start": start,
                "end": end,
                "prefix": subtree_prefix(org.path),
                "after": after_member,
                "limit": limit + 1,
            },
        )
    ).all()
    page = rows[:limit]
    histories = await status_histories(session, [row[0] for row in page])
    items = []
    for member_id, name, org_id, status, joined_on, unpaid in page:
        history = histories.get(member_id, [])
        owed = [
            m
            for m in sorted(unpaid)
            if due_in_month(MemberStatus(status), history, joined_on, m)[0]
        ]
        if not owed:
            continue
        run = longest_run(owed)
        items.append(Arrears(member_id, name, org_id, owed, run, run >= CONSECUTIVE_UNPAID_FLAG))
    next_after = page[-1][0] if len(rows) > limit else None
    return items, next_after
