"""Where each kind of to-do comes from: one function per kind, each calling the service
that owns the rule (transfers, ledger, compliance, lifecycle flags, arrears, terms,
mobile contact state) and turning what it finds into `Todo` items."""

from __future__ import annotations

import uuid
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import date, timedelta

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from app.models.enums import ChangeRequestState, EntryState, TodoKind, TodoSeverity, TransferState
from app.models.lifecycle import Transfer
from app.models.member import Member
from app.models.mobile import MobileEpisode
from app.models.organisation import Organisation
from app.pagination import MAX_LIMIT
from app.security.scope import Principal
from app.services import compliance, lifecycle, mobile, transfers
from app.services.meetings import leave
from app.services.members import change_requests, list_members
from app.services.members.records import require_member_writer
from app.services.mobile.episodes import contact_state_sql
from app.services.organisations.terms import term_flags, term_years
from app.services.points import is_own_entry, list_entries
from app.services.points.schemes import require_points_admin
from app.services.policies import effective_policies
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


Source = Callable[[AsyncSession, Principal, date], Awaitable[list[Todo]]]


async def _names(session: AsyncSession, member_ids: set[uuid.UUID]) -> dict[uuid.UUID, str]:
    if not member_ids:
        return {}
    rows = await session.execute(select(Member.id, Member.name).where(Member.id.in_(member_ids)))
    return {i: n for i, n in rows.all()}


async def transfers_to_accept(session: AsyncSession, p: Principal, today: date) -> list[Todo]:
    """Pending transfers addressed to my subtree (`transfers.list_transfers`), overdue
    after the sender's `transfer_overdue_months` (`transfers.overdue_sql`)."""
    transfers.require_transfer_decider(p)
    found: list[Transfer] = []
    cursor = None
    while True:
        page = await transfers.list_transfers(
            session, p, within_path=None, state=TransferState.pending, overdue=None,
            today=today, limit=MAX_LIMIT, cursor=cursor,
        )  # fmt: skip
        found += [t for t in page.items if p.scope.covers(t.to_path)]
        if page.next_cursor is None:
            break
        cursor = page.next_cursor
    if not found:
        return []
    rows = await session.execute(
        select(Transfer.id, transfers.due_on_sql(), transfers.overdue_sql(today)).where(
            Transfer.id.in_([t.id for t in found])
        )
    )
    judged = {i: (due, late) for i, due, late in rows.all()}
    names = await _names(session, {t.member_id for t in found})
    return [
        Todo(
            TodoKind.transfer_to_accept,
            "transfer.pending",
            TodoSeverity.error if judged[t.id][1] else TodoSeverity.warning,
            judged[t.id][0],
            names.get(t.member_id, ""),
            "transfer",
            t.id,
        )
        for t in found
    ]


async def claims_to_approve(session: AsyncSession, p: Principal, today: date) -> list[Todo]:
    """Pending ledger entries in my subtree I may decide (`points.list_entries`; never an
    entry I entered nor one scoring myself: the ledger's four-eyes rule)."""
    require_points_admin(p)
    out: list[Todo] = []
    cursor = None
    while True:
        page = await list_entries(
            session, p, within_path=None, member_id=None, state=EntryState.pending,
            year=None, limit=MAX_LIMIT, cursor=cursor,
        )  # fmt: skip
        mine = [e for e in page.items if not is_own_entry(p, e)]
        names = await _names(session, {e.member_id for e in mine})
        out += [
            Todo(
                TodoKind.claim_to_approve,
                "points.pending",
                TodoSeverity.info,
                None,
                names.get(e.member_id, ""),
                "point_entry",
                e.id,
            )
            for e in mine
        ]
        if page.next_cursor is None:
            return out
        cursor = page.next_cursor


async def change_requests_to_decide(session: AsyncSession, p: Principal, today: date) -> list[Todo]:
    """Pending member change requests of my subtree (`change_requests.list_change_requests`),
    for those who correct records (`require_member_writer`), never my own."""
    require_member_writer(p)
    out: list[Todo] = []
    cursor = None
    while True:
        page = await change_requests.list_change_requests(
            session, p, state=ChangeRequestState.pending, member_id=None, limit=MAX_LIMIT,
            cursor=cursor, sort=None, include_total=False,
        )  # fmt: skip
        mine = [r for r in page.items if r.member_id != p.member_id]
        names = await _names(session, {r.member_id for r in mine})
        out += [
            Todo(
                TodoKind.change_request_to_decide,
                "change_request.pending",
                TodoSeverity.info,
                None,
                names.get(r.member_id, ""),
                "member_change_request",
                r.id,
            )
            for r in mine
        ]
        if page.next_cursor is None:
            return out
        cursor = page.next_cursor


async def leave_to_decide(session: AsyncSession, p: Principal, today: date) -> list[Todo]:
    """Pending leave requests for meetings I host or, as a secretary or administrator,
    of my subtree (`meetings.leave.leave_to_decide`); due by the meeting's day."""
    found = await leave.leave_to_decide(session, p)
    names = await _names(session, {r.member_id for r, _ in found})
    return [
        Todo(
            TodoKind.leave_to_decide,
            "leave.pending",
            TodoSeverity.warning,
            meeting.held_on,
            names.get(r.member_id, ""),
            "meeting",
            meeting.id,
        )
        for r, meeting in found
    ]


def _periods(today: date) -> dict[str, compliance.Period]:
    quarter = (today.month - 1) // 3 + 1
    return {
        "monthly": compliance.period_for(today.year, None, today.month),
        "quarterly": compliance.period_for(today.year, quarter, None),
        "yearly": compliance.period_for(today.year, None, None),
    }


async def meetings_due(session: AsyncSession, p: Principal, today: date) -> list[Todo]:
    """Meetings each organisation owes by its cadence (`compliance.meeting_compliance`):
    the current month's, quarter's or year's slot not yet filled (due at its end), and
    slots of this year already over without a meeting (missed)."""
    out: dict[tuple[str, str], Todo] = {}  # one per organisation, type and due/missed
    for cadence, period in _periods(today).items():
        report = await compliance.meeting_compliance(
            session, p.org_path, year=today.year,
            quarter=int(period.label[-1]) if cadence == "quarterly" else None,
            month=today.month if cadence == "monthly" else None, as_of=today,
        )  # fmt: skip
        for row in report.rows:
            if row.cadence == cadence and row.held < row.required:
                out[(row.org_id, row.type)] = Todo(
                    TodoKind.meeting_due, f"meeting.{row.type}", TodoSeverity.warning,
                    period.end - timedelta(days=1), row.org_name, "organisation",
                    uuid.UUID(row.org_id),
                )  # fmt: skip
            if cadence == "yearly" and row.missing:
                out[(row.org_id, row.type + ".missed")] = Todo(
                    TodoKind.meeting_due, f"meeting.{row.type}.missed", TodoSeverity.error,
                    None, row.org_name, "organisation", uuid.UUID(row.org_id),
                )  # fmt: skip
    return list(out.values())


async def _flagged(
    session: AsyncSession, p: Principal, today: date, codes: list[str]
) -> list[tuple[str, str, uuid.UUID]]:
    """(flag code, member name, member id) for each of `codes` raised on a member in scope
    (`members.list_members(flag=...)` finds them, `lifecycle.flags_for` names the flags)."""
    out: list[tuple[str, str, uuid.UUID]] = []
    cursor = None
    while True:
        page = await list_members(
            session, p, org_id=None, within=None, group_id=None, status=None, category=None,
            flag=codes, q=None, id_number=None, today=today,
            sort=None, limit=MAX_LIMIT, cursor=cursor, include_total=False,
        )  # fmt: skip
        raised = await lifecycle.flags_for(session, [m.id for m in page.items], today)
        out += [
            (code, m.name, m.id)
            for m in page.items
            for code in raised.get(m.id, [])
            if code in codes
        ]
        if page.next_cursor is None:
            return out
        cursor = page.next_cursor


async def members_flagged(session: AsyncSession, p: Principal, today: date) -> list[Todo]:
    """One to-do per raised member flag (`lifecycle.FLAG_CODES`) but the unpaid-dues one,
    which is a `dues_arrears` to-do."""
    codes = [c for c in lifecycle.FLAG_CODES if c != UNPAID_FLAG]
    return [
        Todo(TodoKind.member_flagged, code, TodoSeverity.warning, None, name, "member", member)
        for code, name, member in await _flagged(session, p, today, codes)
    ]


async def dues_arrears(session: AsyncSession, p: Principal, today: date) -> list[Todo]:
    """Members with six consecutive months of dues unpaid (the member flag
    `dues.six_months_unpaid`, one SQL rule in `services/unpaid_dues.py`)."""
    return [
        Todo(TodoKind.dues_arrears, code, TodoSeverity.error, None, name, "member", member)
        for code, name, member in await _flagged(session, p, today, [UNPAID_FLAG])
    ]


async def terms_ending(session: AsyncSession, p: Principal, today: date) -> list[Todo]:
    """Organisations of my subtree whose term ends within the warning window or has
    expired (`organisations.terms.term_flags`, each by its own effective policy)."""
    orgs = list(
        (
            await session.scalars(
                select(Organisation).where(
                    p.scope.filter(Organisation.path),
                    Organisation.dissolved_on.is_(None),
                    Organisation.term_started_on.is_not(None),
                )
            )
        ).all()
    )
    policies = await effective_policies(session, p.org_path, [(o.id, o.path) for o in orgs])
    out = []
    for org in orgs:
        policy = policies[org.id]
        ends_on, flags = term_flags(
            org.term_started_on, term_years(org, policy), today, int(policy["term_warning_days"])
        )
        out += [
            Todo(
                TodoKind.term_ending,
                f.code,
                TodoSeverity(f.severity),
                ends_on,
                org.name,
                "organisation",
                org.id,
            )
            for f in flags
            if f.code in ("term.ending_soon", "term.expired")
        ]
    return out


async def check_ins_overdue(session: AsyncSession, p: Principal, today: date) -> list[Todo]:
    """Open episodes of my subtree (a member: their own) whose check-in is past the home
    organisation's cadence or lost contact (`mobile.contact_state_sql`)."""
    found: list[MobileEpisode] = []
    cursor = None
    while True:
        page = await mobile.list_episodes(
            session, p, within_path=None, state=None, contact=None, overdue=True,
            today=today, limit=MAX_LIMIT, cursor=cursor,
        )  # fmt: skip
        found += page.items
        if page.next_cursor is None:
            break
        cursor = page.next_cursor
    if not found:
        return []
    rows = await session.execute(
        select(MobileEpisode.id, contact_state_sql(today)).where(
            MobileEpisode.id.in_([e.id for e in found])
        )
    )
    states = dict(rows.all())
    names = await _names(session, {e.member_id for e in found})
    return [
        Todo(
            TodoKind.check_in_overdue,
            f"mobile.{states[e.id]}",
            TodoSeverity.error if states[e.id] == "lost_contact" else TodoSeverity.warning,
            None,
            names.get(e.member_id, ""),
            "mobile_episode",
            e.id,
        )
        for e in found
    ]


SOURCES: dict[TodoKind, Source] = {
    TodoKind.transfer_to_accept: transfers_to_accept,
    TodoKind.claim_to_approve: claims_to_approve,
    TodoKind.change_request_to_decide: change_requests_to_decide,
    TodoKind.leave_to_decide: leave_to_decide,
    TodoKind.meeting_due: meetings_due,
    TodoKind.member_flagged: members_flagged,
    TodoKind.dues_arrears: dues_arrears,
    TodoKind.term_ending: terms_ending,
    TodoKind.check_in_overdue: check_ins_overdue,
}
# A member user acts on its own check-ins only; the rest are the branch's work.
MEMBER_KINDS = (TodoKind.check_in_overdue,)
