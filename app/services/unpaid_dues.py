"""Unpaid dues (连续 6 个月不交党费): the one definition of a month owed, and owed and
unpaid, which the member's flag (`lifecycle/flags.py`), the arrears report
(`dues/arrears.py`) and a member's assessment and statement (`dues/assessment.py`,
`months_owed`) all read. Kept apart from the packages, which import each other's
neighbours: this module imports only models.

A month is owed when the member held a due status (probationary or full) on some day of
it and it is not before the month of admission; it is unpaid when no payment covers it
and no approved exemption (免交) covers it.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import date

from sqlalchemy import (
    ColumnElement,
    Date,
    Integer,
    TableValuedAlias,
    and_,
    column,
    exists,
    func,
    literal,
    literal_column,
    or_,
    select,
    true,
)
from sqlalchemy.dialects.postgresql import array
from sqlalchemy.ext.asyncio import AsyncSession

from app.models.enums import PARTY_MEMBER_STATUS_VALUES, ReliefKind
from app.models.lifecycle import DuesPaymentMonth, DuesRelief, MemberTransition
from app.models.member import Member
from app.models.sql import in_text, in_text_each

# Six consecutive months owed and unpaid are flagged for the branch to act on.
CONSECUTIVE_UNPAID_FLAG = 6
# The member flag (and arrears row flag) this rule raises.
UNPAID_FLAG = "dues.six_months_unpaid"


def _next_month(month: date) -> date:
    return date(month.year + month.month // 12, month.month % 12 + 1, 1)


def months_ending(month: date, count: int) -> list[date]:
    """`count` calendar months ending with `month`'s, oldest first."""
    out = [month.replace(day=1)]
    while len(out) < count:
        first = out[0]
        out.insert(0, date(first.year - (first.month == 1), (first.month - 2) % 12 + 1, 1))
    return out


def _joined_by(month: date | ColumnElement[date]) -> ColumnElement[bool]:
    """The member row's admission is not after `month` (a first day), or is unrecorded."""
    m = Member
    first = literal(month) if isinstance(month, date) else month
    return or_(m.joined_on.is_(None), func.date_trunc("month", m.joined_on) <= first)


def held_on(day: ColumnElement[date]) -> ColumnElement[str]:
    """The status the member row held at the end of `day`: the last transition's effective
    on or before it (those of one day in the order recorded), before any the first
    transition's `from`; with no history, the current status. The SQL face of the
    statuses `lifecycle.membership.history_of` walks for the statistics:
    tests/api/test_status_on_a_day.py holds the two equal on every day of a year."""
    t = MemberTransition
    m = Member
    last_to = (
        select(t.to_status)
        .where(t.member_id == m.id, t.effective_date <= day)
        .order_by(t.effective_date.desc(), t.recorded_at.desc())
        .limit(1)
        .correlate_except(t)
        .scalar_subquery()
    )
    first_from = (
        select(t.from_status)
        .where(t.member_id == m.id)
        .order_by(t.effective_date, t.recorded_at)
        .limit(1)
        .correlate_except(t)
        .scalar_subquery()
    )
    return func.coalesce(last_to, first_from, m.status)


def _due_status_in(start: ColumnElement[date], end: ColumnElement[date]) -> ColumnElement[bool]:
    """The member row held a due status on some day of the month from `start` (its first
    day) to `end` (the next month's first day): a literal month, or each month of a set
    (`unpaid_run_flag`, `months_owed`): the status held on its first day
    (`held_on`: a transition on the first day holds for the whole month), or a
    transition inside the month into a due status."""
    t = MemberTransition
    entered = (
        exists()
        .where(
            t.member_id == Member.id,
            t.effective_date > start,
            t.effective_date < end,
            t.to_status.in_(PARTY_MEMBER_STATUS_VALUES),
        )
        .correlate_except(t)
    )
    return or_(held_on(start).in_(PARTY_MEMBER_STATUS_VALUES), entered)


def _month_owed(first: ColumnElement[date], nxt: ColumnElement[date]) -> ColumnElement[bool]:
    """The member row owed the month from `first` to `nxt` (the next first day): admitted
    by then (or admission unrecorded) and holding a due status on some day of it."""
    return and_(_joined_by(first), _due_status_in(first, nxt))


def _each_month(months: list[date]) -> TableValuedAlias:
    """`months` (first days) as rows of `owed_month` (`first`, and `next`: the next
    month's first day), for a rule applied to each month in one subquery (`unnest`)."""
    firsts = array(months, type_=Date)
    nexts = array([_next_month(m) for m in months], type_=Date)
    return (
        func.unnest(firsts, nexts)
        .table_valued(column("first", Date()), column("next", Date()))
        .render_derived(name="owed_month")
    )


def _due_status_in_each(months: list[date]) -> ColumnElement[bool]:
    """`_due_status_in` of every one of `months` (first days), as one subquery over the
    months (`_each_month`) rather than one copy per month: the statement's plan stays
    small (each copy is three subplans the executor sets up on every call, run or not)."""
    each = _each_month(months)
    return ~exists().select_from(each).where(~_due_status_in(each.c.first, each.c.next))


@dataclass(frozen=True, slots=True)
class MonthOwed:
    """Whether a member owed a month, and why not when not."""

    owed: bool
    admitted: bool  # admitted by the month, or the admission date unrecorded
    status_at_end: str  # the status held at the end of the month's last day


async def months_owed(
    session: AsyncSession, member_id: uuid.UUID, months: list[date]
) -> dict[date, MonthOwed]:
    """Which of `months` (first days) the member owed, by the one rule the flag and the
    arrears report read (`month_owed_and_unpaid` without the payments): one statement
    for all of them. The member must exist."""
    each = _each_month(months)
    last_day = each.c.next - literal_column("1", Integer)
    rows = await session.execute(
        select(
            each.c.first,
            _month_owed(each.c.first, each.c.next),
            _joined_by(each.c.first),
            held_on(last_day),
        )
        .select_from(Member)
        .join(each, true())
        .where(Member.id == member_id)
    )
    return {
        first: MonthOwed(owed, admitted, status) for first, owed, admitted, status in rows.all()
    }


def _paid_or_exempt(months: list[date]) -> ColumnElement[bool]:
    """A payment or an approved exemption covers one of `months` (first days) of the
    member row: one probe of each table for all of them."""
    m = Member
    return or_(
        exists().where(DuesPaymentMonth.member_id == m.id, DuesPaymentMonth.month.in_(months)),
        exists().where(
            DuesRelief.member_id == m.id,
            DuesRelief.kind == ReliefKind.exemption,
            or_(*(and_(DuesRelief.from_month <= x, DuesRelief.to_month >= x) for x in months)),
        ),
    )


def month_owed_and_unpaid(month: date) -> ColumnElement[bool]:
    """The member row's `month` (a first day) was owed and is neither paid nor exempt:
    admitted by then, holding a due status on some day of it, and no payment nor
    exemption covering it."""
    owed = _month_owed(literal(month), literal(_next_month(month)))
    return and_(owed, ~_paid_or_exempt([month]))


def unpaid_run_candidates(today: date) -> ColumnElement[bool]:
    """SQL over a member row: a due member whose latest month paid
    (`Member.dues_paid_through`, kept by triggers) is none of the six months ending with
    this one: before the first, after the last (paid ahead), or none. Every member
    `unpaid_run_flag` flags is one (none of the six is paid), and few others, so the
    flag's list and count start from `ix_members_dues_paid_through` where few owe.

    The statuses and months are written into the statement's text: a cached generic
    plan proves the index's predicate and weighs its range from the statistics (where
    many owe, walking the subtree and testing each member is cheaper, and chosen)."""
    months = months_ending(today, CONSECUTIVE_UNPAID_FLAG)
    paid = Member.dues_paid_through
    return and_(
        Member.status.in_(in_text_each(PARTY_MEMBER_STATUS_VALUES)),
        or_(paid.is_(None), paid < in_text(months[0], Date), paid > in_text(months[-1], Date)),
    )


def unpaid_run_flag(today: date) -> ColumnElement[bool]:
    """`dues.six_months_unpaid` on the member: a due member whose six months ending with
    this month were each owed and unpaid (`month_owed_and_unpaid` of each).

    Written so the database probes each table once per member, not once per month: no
    payment or exemption covers any of the six, admitted by the first of them (the
    earliest month is the binding one), and, only for a member with a recorded status
    history, a due status in each month (with no history the held status is the current
    one, already a due status here)."""
    months = months_ending(today, CONSECUTIVE_UNPAID_FLAG)
    history = exists().where(MemberTransition.member_id == Member.id)
    return and_(
        Member.status.in_(PARTY_MEMBER_STATUS_VALUES),
        _joined_by(months[0]),
        ~_paid_or_exempt(months),
        or_(~history, _due_status_in_each(months)),
    )
