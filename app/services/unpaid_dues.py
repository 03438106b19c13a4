"""Unpaid dues (连续 6 个月不交党费): the one definition of a month owed and unpaid, which
the member's flag (`lifecycle/flags.py`) and the arrears report (`dues/arrears.py`) both
read. Kept apart from both packages, which import each other's neighbours: this module
imports only models.

A month is owed when the member held a due status (probationary or full) on some day of
it and it is not before the month of admission; it is unpaid when no payment covers it
and no approved exemption (免交) covers it.
"""

from __future__ import annotations

from datetime import date

from sqlalchemy import ColumnElement, Date, and_, column, exists, func, literal, or_, select
from sqlalchemy.dialects.postgresql import array

from app.models.enums import MemberStatus, ReliefKind
from app.models.lifecycle import DuesPaymentMonth, DuesRelief, MemberTransition
from app.models.member import Member

# Six consecutive months owed and unpaid are flagged for the branch to act on.
CONSECUTIVE_UNPAID_FLAG = 6
# The member flag (and arrears row flag) this rule raises.
UNPAID_FLAG = "dues.six_months_unpaid"
DUE_STATUS_VALUES = (MemberStatus.probationary.value, MemberStatus.full.value)


def _next_month(month: date) -> date:
    return date(month.year + month.month // 12, month.month % 12 + 1, 1)


def months_ending(month: date, count: int) -> list[date]:
    """`count` calendar months ending with `month`'s, oldest first."""
    out = [month.replace(day=1)]
    while len(out) < count:
        first = out[0]
        out.insert(0, date(first.year - (first.month == 1), (first.month - 2) % 12 + 1, 1))
    return out


def _joined_by(month: date) -> ColumnElement[bool]:
    """The member row's admission is not after `month` (a first day), or is unrecorded."""
    m = Member
    return or_(m.joined_on.is_(None), func.date_trunc("month", m.joined_on) <= literal(month))


def _due_status_in(start: ColumnElement[date], end: ColumnElement[date]) -> ColumnElement[bool]:
    """The member row held a due status on some day of the month from `start` (its first
    day) to `end` (the next month's first day): a literal month, or each month of a set
    (`unpaid_run_flag`).

    The status held on the month's first day is the last transition's on or before it
    (or, before any, the first transition's `from`; with no history, the current
    status); a transition inside the month into a due status makes it owed too."""
    t = MemberTransition
    m = Member
    last_to = (
        select(t.to_status)
        .where(t.member_id == m.id, t.effective_date <= start)
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
    held = func.coalesce(last_to, first_from, m.status)
    entered = (
        exists()
        .where(
            t.member_id == m.id,
            t.effective_date > start,
            t.effective_date < end,
            t.to_status.in_(DUE_STATUS_VALUES),
        )
        .correlate_except(t)
    )
    return or_(held.in_(DUE_STATUS_VALUES), entered)


def _due_status_in_each(months: list[date]) -> ColumnElement[bool]:
    """`_due_status_in` of every one of `months` (first days), as one subquery over the
    months (`unnest`) rather than one copy per month: the statement's plan stays small
    (each copy is three subplans the executor sets up on every call, run or not)."""
    firsts = array(months, type_=Date)
    nexts = array([_next_month(m) for m in months], type_=Date)
    each = (
        func.unnest(firsts, nexts)
        .table_valued(column("first", Date()), column("next", Date()))
        .render_derived(name="owed_month")
    )
    return ~exists().select_from(each).where(~_due_status_in(each.c.first, each.c.next))


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
    owed = _due_status_in(literal(month), literal(_next_month(month)))
    return and_(_joined_by(month), owed, ~_paid_or_exempt([month]))


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
        Member.status.in_(DUE_STATUS_VALUES),
        _joined_by(months[0]),
        ~_paid_or_exempt(months),
        or_(~history, _due_status_in_each(months)),
    )
