"""Where each member-scale kind of to-do comes from: one function per kind, each a SQL
select built from the condition the owning service names (transfers, ledger, change
requests, leave, lifecycle flags, arrears, mobile contact state), so the list counts
and pages them in the database (`listing.py`), never item by item in Python.

Every select has the same labelled columns (`ITEM_COLUMNS`); a function raises
`Forbidden` (or returns None) when the principal's role does not act on its kind.
"""

from __future__ import annotations

import functools
import operator
import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any

from sqlalchemy import (
    BindParameter,
    Cast,
    ColumnElement,
    Date,
    Null,
    Select,
    String,
    case,
    cast,
    column,
    func,
    literal,
    null,
    select,
    true,
)

from app.models.change_request import MemberChangeRequest
from app.models.enums import (
    ChangeRequestState,
    ContactState,
    EntryState,
    TodoKind,
    TodoSeverity,
    TransferState,
)
from app.models.lifecycle import Transfer
from app.models.meeting import Meeting
from app.models.member import Member
from app.models.mobile import MobileEpisode
from app.models.points import PointEntry
from app.models.sign_in import MeetingLeaveRequest
from app.security.scope import Principal
from app.services import lifecycle, transfers
from app.services.meetings import leave
from app.services.members.records import require_member_writer
from app.services.mobile.episodes import contact_state_sql, listed_for, overdue_sql
from app.services.points import own_entry_sql
from app.services.points.schemes import require_points_admin
from app.services.unpaid_dues import UNPAID_FLAG


@dataclass(frozen=True)
class Todo:
    kind: TodoKind
    code: str  # the owning rule's stable code (a flag code, `term.expired`, ...)
    severity: TodoSeverity
    due_on: date | None  # None: the rule sets no date
    subject: str  # whom or what it is about (a member's or organisation's name)
    resource: str  # the linked resource type: transfer, point_entry, member, organisation, ...
    resource_id: uuid.UUID
    row_id: uuid.UUID  # the row the item stems from (a leave request: several per meeting)


# The columns of every source's select, in this order.
ITEM_COLUMNS = ("due_on", "severity", "subject", "code", "resource", "resource_id", "row_id")
# An ORM attribute or a Core expression (an attribute is not a ColumnElement to mypy).
Column = Any
SqlSource = Callable[[Principal, date], "Select[Any] | None"]


def _item(
    *,
    due_on: Column | None,
    severity: TodoSeverity | Column,
    subject: Column,
    code: str | Column,
    resource: str,
    resource_id: Column,
    row_id: Column | None = None,
    subject_required: bool = False,
) -> list[ColumnElement[Any]]:
    """A source's select columns, labelled `ITEM_COLUMNS`; `subject_required`: the
    subject is a NOT NULL column of the row itself (no outer join), ordered as it is,
    so an index on it can serve the page's order."""
    values: list[ColumnElement[Any]] = [
        cast(null(), Date) if due_on is None else cast(due_on, Date),
        literal(severity.value, String) if isinstance(severity, TodoSeverity) else severity,
        subject if subject_required else func.coalesce(subject, ""),
        literal(code, String) if isinstance(code, str) else code,
        literal(resource, String),
        resource_id,
        resource_id if row_id is None else row_id,
    ]
    return [v.label(name) for v, name in zip(values, ITEM_COLUMNS, strict=True)]


def fixed_by(stmt: Select[Any]) -> tuple[bool, TodoSeverity | None]:
    """What a source's select, as `_item` built it, fixes for every item it yields:
    whether it is undated (`due_on` NULL) and its severity if it has only one. Read off
    the select itself, so that the list's page knows where a kind's items can start
    without a second copy of each source's date and severity."""
    columns = {c.key: c for c in stmt.selected_columns}
    due_on, severity = (getattr(columns[k], "element", columns[k]) for k in ("due_on", "severity"))
    undated = isinstance(due_on, Cast) and isinstance(due_on.clause, Null)
    if isinstance(severity, BindParameter):
        return undated, TodoSeverity(str(severity.value))
    return undated, None


def transfers_to_accept(p: Principal, today: date) -> Select[Any]:
    """Pending transfers addressed to my subtree, overdue after the sender's
    `transfer_overdue_months` (`transfers.overdue_sql`, due by `transfers.due_on_sql`)."""
    transfers.require_transfer_decider(p)
    late = transfers.overdue_sql(today)
    return (
        select(
            *_item(
                due_on=transfers.due_on_sql(),
                severity=case((late, TodoSeverity.error.value), else_=TodoSeverity.warning.value),
                subject=Member.name,
                code="transfer.pending",
                resource="transfer",
                resource_id=Transfer.id,
            )
        )
        .select_from(Transfer)
        .outerjoin(Member, Member.id == Transfer.member_id)
        .where(Transfer.state == TransferState.pending, p.scope.filter(Transfer.to_path))
    )


def claims_to_approve(p: Principal, today: date) -> Select[Any]:
    """Pending ledger entries in my subtree I may decide (never an entry I entered nor
    one scoring myself: the ledger's four-eyes rule, `points.own_entry_sql`)."""
    require_points_admin(p)
    return (
        select(
            *_item(
                due_on=None,
                severity=TodoSeverity.info,
                subject=Member.name,
                code="points.pending",
                resource="point_entry",
                resource_id=PointEntry.id,
            )
        )
        .select_from(PointEntry)
        .outerjoin(Member, Member.id == PointEntry.member_id)
        .where(
            p.scope.filter(PointEntry.org_path),
            PointEntry.state == EntryState.pending,
            ~own_entry_sql(p),
        )
    )


def change_requests_to_decide(p: Principal, today: date) -> Select[Any]:
    """Pending member change requests of my subtree, for those who correct records
    (`require_member_writer`), never my own."""
    require_member_writer(p)
    stmt = (
        select(
            *_item(
                due_on=None,
                severity=TodoSeverity.info,
                subject=Member.name,
                code="change_request.pending",
                resource="member_change_request",
                resource_id=MemberChangeRequest.id,
            )
        )
        .select_from(MemberChangeRequest)
        .outerjoin(Member, Member.id == MemberChangeRequest.member_id)
        .where(
            p.scope.filter(MemberChangeRequest.org_path),
            MemberChangeRequest.state == ChangeRequestState.pending,
        )
    )
    if p.member_id is not None:
        stmt = stmt.where(MemberChangeRequest.member_id != p.member_id)
    return stmt


def leave_to_decide(p: Principal, today: date) -> Select[Any] | None:
    """Pending leave requests for meetings I host or, as a secretary or administrator,
    of my subtree (`meetings.leave.leave_to_decide`); due by the meeting's day."""
    mine = leave.leave_to_decide(p)
    if mine is None:
        return None
    return (
        select(
            *_item(
                due_on=Meeting.held_on,
                severity=TodoSeverity.warning,
                subject=Member.name,
                code="leave.pending",
                resource="meeting",
                resource_id=Meeting.id,
                row_id=MeetingLeaveRequest.id,
            )
        )
        .select_from(MeetingLeaveRequest)
        .join(Meeting, Meeting.id == MeetingLeaveRequest.meeting_id)
        .outerjoin(Member, Member.id == MeetingLeaveRequest.member_id)
        .where(mine)
    )


def _flagged(
    p: Principal, today: date, codes: Sequence[str], severity: TodoSeverity
) -> Select[Any]:
    """One item per flag of `codes` raised on a member in scope (`lifecycle.flag_filter`
    finds the members, `lifecycle.raised_flags` names their flags)."""
    flagged = (
        select(
            Member.id.label("id"),
            Member.name.label("name"),
            lifecycle.raised_flags(today, codes).label("raised"),
        )
        .where(p.scope.filter(Member.org_path), lifecycle.flag_filter(codes, today))
        .subquery("flagged")
    )
    code = func.unnest(flagged.c.raised).table_valued(column("code", String)).lateral("code")
    return select(
        *_item(
            due_on=None,
            severity=severity,
            subject=flagged.c.name,
            code=code.c.code,
            resource="member",
            resource_id=flagged.c.id,
        )
    ).select_from(flagged.join(code, true()))


# The member flags of `members_flagged`: all but the unpaid-dues one, a `dues_arrears`
# to-do.
MEMBER_FLAG_CODES = tuple(c for c in lifecycle.FLAG_CODES if c != UNPAID_FLAG)


def members_flagged(p: Principal, today: date) -> Select[Any]:
    """One to-do per raised member flag (`MEMBER_FLAG_CODES`)."""
    return _flagged(p, today, MEMBER_FLAG_CODES, TodoSeverity.warning)


def members_flagged_count(p: Principal, today: date) -> Select[Any]:
    """How many items `members_flagged` lists, counted flag by flag and added up (an item
    is one flag of one member): each flag's members in scope read as its member page
    reads them (`lifecycle.flag_filter`: from its index or its other table where few
    carry it), not every flag evaluated on every member in scope."""
    counts = [
        select(func.count())
        .select_from(Member)
        .where(p.scope.filter(Member.org_path), lifecycle.flag_filter([code], today))
        .scalar_subquery()
        for code in MEMBER_FLAG_CODES
    ]
    return select(functools.reduce(operator.add, counts))


def dues_arrears(p: Principal, today: date) -> Select[Any]:
    """Members with six consecutive months of dues unpaid (the member flag
    `dues.six_months_unpaid`, one SQL rule in `services/unpaid_dues.py`)."""
    return (
        select(
            *_item(
                due_on=None,
                severity=TodoSeverity.error,
                subject=Member.name,
                code=UNPAID_FLAG,
                resource="member",
                resource_id=Member.id,
                subject_required=True,
            )
        )
        .select_from(Member)
        .where(p.scope.filter(Member.org_path), lifecycle.flag_filter([UNPAID_FLAG], today))
    )


def check_ins_overdue(p: Principal, today: date) -> Select[Any]:
    """Open episodes of my subtree (a member: their own) whose check-in is past the home
    organisation's cadence or lost contact (`mobile.contact_state_sql`)."""
    state = contact_state_sql(today)
    return (
        select(
            *_item(
                due_on=None,
                severity=case(
                    (state == ContactState.lost_contact, TodoSeverity.error.value),
                    else_=TodoSeverity.warning.value,
                ),
                subject=Member.name,
                code=literal("mobile.", String) + state,
                resource="mobile_episode",
                resource_id=MobileEpisode.id,
            )
        )
        .select_from(MobileEpisode)
        .outerjoin(Member, Member.id == MobileEpisode.member_id)
        .where(listed_for(p), overdue_sql(today))
    )


# A kind counted otherwise than by counting its select's rows: one row, the count.
SQL_COUNTS: dict[TodoKind, Callable[[Principal, date], Select[Any]]] = {
    TodoKind.member_flagged: members_flagged_count
}

SQL_SOURCES: dict[TodoKind, SqlSource] = {
    TodoKind.transfer_to_accept: transfers_to_accept,
    TodoKind.claim_to_approve: claims_to_approve,
    TodoKind.change_request_to_decide: change_requests_to_decide,
    TodoKind.leave_to_decide: leave_to_decide,
    TodoKind.member_flagged: members_flagged,
    TodoKind.dues_arrears: dues_arrears,
    TodoKind.check_in_overdue: check_ins_overdue,
}
