"""The 增减 ledger (党员增减): every change that adds a member to, or removes one from,
a subtree's count, derived from the recorded transitions, transfers and disciplines.

A change counts for the subtree when the member was counted there at the end of the
previous step and is not after it, or the other way round (one definition:
`services/lifecycle/membership.py`). A transfer between two organisations of the
subtree moves no one in or out of it; seen from either organisation it is a
transfer out of one and into the other. The totals reconcile by construction:
count at start + added - removed = count at end.
"""

from __future__ import annotations

import uuid
from collections.abc import Set as AbstractSet
from dataclasses import dataclass
from datetime import date, timedelta

from sqlalchemy import and_, func, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from app.id_sets import among
from app.models.discipline import Discipline
from app.models.enums import (
    DisciplineKind,
    DisciplineOutcome,
    MemberChangeDirection,
    MemberChangeReason,
)
from app.models.member import Member
from app.models.organisation import Organisation
from app.security.scope import Principal, under
from app.services.lifecycle.membership import (
    RECORDED,
    TRANSFER,
    MemberHistory,
    Place,
    Step,
    counted_by,
    has_transitions,
    recorded_since,
    subtree_histories,
    unchanged,
    unchanged_counted_on,
)
from app.services.organisations.placements import Trees, load_trees

R = MemberChangeReason
ADDED, REMOVED = MemberChangeDirection.added, MemberChangeDirection.removed

# A transition's kind, when it moves a member into or out of the count.
REASON_OF_KIND: dict[str, MemberChangeReason] = {
    RECORDED: R.recorded,
    "admitted": R.admission,
    "restored": R.restoration,
    "suspended": R.suspended,
    "deceased": R.deceased,
    "probation_cancelled": R.probation_cancelled,
    "left": R.left,
}

# Which way each reason moves the count (`other` goes either way).
DIRECTION: dict[MemberChangeReason, MemberChangeDirection | None] = {
    R.admission: ADDED,
    R.recorded: ADDED,
    R.restoration: ADDED,
    R.transfer_in: ADDED,
    R.transfer_out: REMOVED,
    R.deceased: REMOVED,
    R.expelled: REMOVED,
    R.left: REMOVED,
    R.probation_cancelled: REMOVED,
    R.suspended: REMOVED,
    R.reorganised: None,
    R.other: None,
}


@dataclass(frozen=True)
class MemberChange:
    on: date
    member_id: uuid.UUID
    name: str
    reason: MemberChangeReason
    direction: MemberChangeDirection
    org_id: uuid.UUID  # the organisation the member joined (added) or left (removed)
    counterpart_org_id: uuid.UUID | None  # the other side of a transfer


@dataclass(frozen=True)
class ReasonTotal:
    reason: MemberChangeReason
    direction: MemberChangeDirection
    count: int


@dataclass(frozen=True)
class MemberChanges:
    date_from: date
    date_to: date
    count_at_start: int
    added: int
    removed: int
    count_at_end: int
    by_reason: list[ReasonTotal]
    entries: list[MemberChange]


def _change(
    history: MemberHistory, step: Step, inside: AbstractSet[uuid.UUID]
) -> MemberChange | None:
    def counted(place: Place) -> bool:
        return place.counted and place.org_id in inside

    was, now = counted(step.before), counted(step.after)
    if was == now:
        return None
    direction = ADDED if now else REMOVED
    counterpart = None
    if step.kind == TRANSFER and step.before.counted and step.after.counted:
        reason = R.transfer_in if now else R.transfer_out
        counterpart = step.before.org_id if now else step.after.org_id
    else:
        reason = REASON_OF_KIND.get(step.kind, R.other)
    org_id = step.after.org_id if now else step.before.org_id
    return MemberChange(
        step.on, history.member_id, history.name, reason, direction, org_id, counterpart
    )


async def _expulsions(
    session: AsyncSession, members: set[uuid.UUID]
) -> set[tuple[uuid.UUID, date]]:
    """(member, day) of each 开除党籍: a decision of that kind or a 留党察看 ending in it."""
    rows = await session.execute(
        select(Discipline.member_id, Discipline.decided_on, Discipline.concluded_on).where(
            among(Discipline.member_id, members),
            or_(
                Discipline.kind == DisciplineKind.expulsion,
                and_(
                    Discipline.outcome == DisciplineOutcome.expelled,
                    Discipline.concluded_on.is_not(None),
                ),
            ),
        )
    )
    # An expulsion decision has no conclusion; a 留党察看 ends on its conclusion day.
    return {(member_id, concluded or decided) for member_id, decided, concluded in rows.all()}


def _totals(entries: list[MemberChange]) -> list[ReasonTotal]:
    counts: dict[tuple[MemberChangeReason, MemberChangeDirection], int] = {}
    for reason, direction in DIRECTION.items():
        for d in (direction,) if direction else (ADDED, REMOVED):
            counts[(reason, d)] = 0
    for e in entries:
        counts[(e.reason, e.direction)] += 1
    return [ReasonTotal(r, d, n) for (r, d), n in counts.items()]


@dataclass(frozen=True)
class Ledger:
    count_at_start: int
    count_at_end: int
    entries: list[MemberChange]


def ledger(histories: list[MemberHistory], trees: Trees, date_from: date, date_to: date) -> Ledger:
    """The changes of the subtree from `date_from` to `date_to` (both included) and
    the counts at the start of the first day and the end of the last: each step
    against the subtree's organisations of its day, and on each day a move changed
    them, the members counted at the organisations that moved in or out
    (`reorganised`)."""

    def counted(h: MemberHistory, day: date) -> bool:
        place = h.place_on(day)
        return place.counted and place.org_id in trees.inside_on(day)

    day_before = date_from - timedelta(days=1)
    entries = [
        change
        for h in histories
        for step in h.steps
        if date_from <= step.on <= date_to
        and (change := _change(h, step, trees.inside_on(step.on)))
    ]
    for day in trees.changes_between(day_before, date_to):
        entries += _reorganised(histories, trees, day)
    return Ledger(
        count_at_start=sum(counted(h, day_before) for h in histories),
        count_at_end=sum(counted(h, date_to) for h in histories),
        entries=entries,
    )


def _moved_entry(
    on: date, member_id: uuid.UUID, name: str, org_id: uuid.UUID, trees: Trees
) -> MemberChange:
    """A member counted at `org_id` when a move on `on` took it into or out of the
    subtree (隶属关系调整)."""
    direction = ADDED if org_id in trees.inside_on(on) else REMOVED
    return MemberChange(on, member_id, name, R.reorganised, direction, org_id, None)


def _reorganised(histories: list[MemberHistory], trees: Trees, day: date) -> list[MemberChange]:
    """The members counted at the end of the day before `day` at an organisation that
    a move on `day` took into or out of the subtree."""
    moved = trees.inside_on(day) ^ trees.inside_on(day - timedelta(days=1))
    places = ((h, h.place_on(day - timedelta(days=1))) for h in histories)
    return [
        _moved_entry(day, h.member_id, h.name, place.org_id, trees)
        for h, place in places
        if place.counted and place.org_id in moved
    ]


def admitted_between(
    histories: list[MemberHistory], trees: Trees, date_from: date, date_to: date
) -> set[uuid.UUID]:
    """The members admitted (发展党员: the `admission` changes of the ledger) to the
    subtree's organisations from `date_from` to `date_to`, both included: what the
    statistics' new members and the development pipeline's admissions count."""
    found = ledger(histories, trees, date_from, date_to)
    return {e.member_id for e in found.entries if e.reason is R.admission}


@dataclass(frozen=True)
class Subtree:
    """A subtree's organisations and the history of everyone who was ever in it: what
    the ledger and the statistics of one request read (loaded once for both)."""

    histories: list[MemberHistory]
    # The subtree's organisations: today's (`tree.now`) and, when loaded `since` a
    # day, as they stood on each day from then on.
    tree: Trees
    # Set when `histories` holds only the members with a recorded change since
    # `quiet_since`: the others (`membership.unchanged(quiet_since)`) are counted in SQL,
    # on `quiet_since` and the days after it.
    quiet_since: date | None = None


async def load_tree(session: AsyncSession, org: Organisation, since: date | None = None) -> Trees:
    """The subtree's organisations today and, with `since`, as they stood on each day
    from `since` on (`placements.load_trees`), without the members' histories."""
    inside = frozenset(
        await session.scalars(select(Organisation.id).where(under(Organisation.path, org.path)))
    )
    return await load_trees(session, org, inside, since)


async def load_subtree(
    session: AsyncSession, org: Organisation, changed_only: bool = False, since: date | None = None
) -> Subtree:
    """The subtree's organisations and histories: everyone's, or with `changed_only`
    those of the members with an accepted transfer or a transition effective after
    `since` (the rest is left to SQL aggregation, what a province's tables need: a
    member admitted through the system years ago is counted there too); with `since`,
    the subtree as it stood on each day from `since` on (`placements.load_trees`) and
    the members of the organisations it held then."""
    if changed_only and since is None:
        raise ValueError("changed_only needs the first day read (since)")
    trees = await load_tree(session, org, since)
    histories = await subtree_histories(session, org.path, changed_only, trees.formerly, since)
    return Subtree(histories, trees, since if changed_only else None)


async def _unchanged_counts(
    session: AsyncSession, trees: Trees, quiet: date, day_before: date, date_to: date
) -> tuple[int, int]:
    """The records without a recorded change since `quiet` counted at the end of
    `day_before` and of `date_to` (one statement when the subtree held the same
    organisations both days)."""
    start_where, end_where = trees.where_on(day_before), trees.where_on(date_to)
    if start_where == end_where:
        start, end = (
            await session.execute(
                select(
                    func.count().filter(counted_by(day_before)),
                    func.count().filter(counted_by(date_to)),
                ).where(unchanged_counted_on(end_where, date_to), unchanged(quiet))
            )
        ).one()
        return int(start), int(end)
    counts = [
        await session.scalar(
            select(func.count()).where(unchanged_counted_on(where, day), unchanged(quiet))
        )
        for where, day in ((start_where, day_before), (end_where, date_to))
    ]
    return int(counts[0] or 0), int(counts[1] or 0)


async def _unchanged_ledger(
    session: AsyncSession, trees: Trees, quiet: date, date_from: date, date_to: date
) -> Ledger:
    """The ledger of the records without a recorded change since `quiet` (on or before
    the day before `date_from`): each counted one without transitions is added (建档) on
    the day it is counted from; counted at the start when that day is before (one with
    transitions, all before the period, was counted before it); moved in or out with
    its organisation (`reorganised`)."""
    since = recorded_since()
    day_before = date_from - timedelta(days=1)
    if quiet > day_before:
        raise ValueError("the histories were read from a day after the ledger's start")
    start, end = await _unchanged_counts(session, trees, quiet, day_before, date_to)
    moves = trees.changes_between(day_before, date_to)
    firsts = [date_from, *(d for d in moves if d > date_from)]
    lasts = [*(d - timedelta(days=1) for d in firsts[1:]), date_to]
    entries: list[MemberChange] = []
    for first, last in zip(firsts, lasts, strict=True):
        rows = await session.execute(
            select(since, Member.id, Member.name, Member.org_id).where(
                unchanged_counted_on(trees.where_on(first), last),
                unchanged(quiet),
                ~has_transitions(),
                since >= first,
            )
        )
        entries += [
            MemberChange(on, member_id, name, R.recorded, ADDED, org_id, None)
            for on, member_id, name, org_id in rows.all()
        ]
    for day in moves:
        moved = trees.inside_on(day) ^ trees.inside_on(day - timedelta(days=1))
        members = await session.execute(
            select(Member.id, Member.name, Member.org_id).where(
                unchanged_counted_on(moved, day - timedelta(days=1)), unchanged(quiet)
            )
        )
        entries += [_moved_entry(day, *member, trees) for member in members.all()]
    return Ledger(start, end, entries)


async def member_changes(
    session: AsyncSession,
    org: Organisation,
    date_from: date,
    date_to: date,
    subtree: Subtree | None = None,
) -> MemberChanges:
    """The 增减 ledger of the organisation's subtree from `from` to `to` (both days
    included): each member added (发展党员 admission, 恢复党籍 restoration, 转入 transfer
    in, 建档 a record created already a member) or removed (转出 transfer out, 死亡,
    开除党籍, 出党, 取消预备党员资格, 停止党籍), or moved in or out with their
    organisation (隶属关系调整: a move of a subtree), each day counted against the
    tree as it stood that day, with the count at the start of `from`,
    the count at the end of `to`, and the totals per reason. Counted members are
    probationary and full members; a transfer within the subtree is no change for it."""
    day_before = date_from - timedelta(days=1)
    subtree = subtree or await load_subtree(session, org, changed_only=True, since=day_before)
    found = ledger(subtree.histories, subtree.tree, date_from, date_to)
    if subtree.quiet_since is not None:
        rest = await _unchanged_ledger(
            session, subtree.tree, subtree.quiet_since, date_from, date_to
        )
        found = Ledger(
            found.count_at_start + rest.count_at_start,
            found.count_at_end + rest.count_at_end,
            found.entries + rest.entries,
        )
    expelled = await _expulsions(
        session, {e.member_id for e in found.entries if e.reason is R.left}
    )
    entries = [
        MemberChange(**{**e.__dict__, "reason": R.expelled})
        if e.reason is R.left and (e.member_id, e.on) in expelled
        else e
        for e in found.entries
    ]
    entries.sort(key=lambda e: (e.on, e.direction, e.member_id))
    added = sum(e.direction is ADDED for e in entries)
    return MemberChanges(
        date_from=date_from,
        date_to=date_to,
        count_at_start=found.count_at_start,
        added=added,
        removed=len(entries) - added,
        count_at_end=found.count_at_end,
        by_reason=_totals(entries),
        entries=entries,
    )


async def shown_counterparts(
    session: AsyncSession, principal: Principal, entries: list[MemberChange]
) -> list[MemberChange]:
    """The entries with the other side of a transfer named only when it lies in the
    principal's scope (as a transfer shows an outside receiver by code and name only)."""
    ids = {e.counterpart_org_id for e in entries if e.counterpart_org_id is not None}
    rows = await session.execute(
        select(Organisation.id, Organisation.path).where(among(Organisation.id, ids))
    )
    seen = {org_id for org_id, path in rows.all() if principal.scope.covers(path)}
    return [
        e
        if e.counterpart_org_id is None or e.counterpart_org_id in seen
        else MemberChange(**{**e.__dict__, "counterpart_org_id": None})
        for e in entries
    ]
