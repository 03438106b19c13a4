"""Membership history: which organisation counts a member on which day.

The one definition of "member of organisation X on day D" for the 增减 ledger and the
statistics: at the end of day D the member's status (from the recorded transitions)
is one of `COUNTED` and the member's organisation (from the accepted transfers) lies
in X's subtree. 党内统计 counts probationary and full members (预备党员、正式党员); a
suspended member (停止党籍) is no longer counted until restored.

Before the first recorded transition a member holds the status the first transition
left (or the record's status when none was recorded), from the joined date (入党) or,
without one, the day the record was created (建档). Before the first accepted transfer
the member is at the organisation that transfer came from (or the record's current
organisation when none was accepted). Changes on the same day apply in the order they
were recorded.
"""

from __future__ import annotations

import uuid
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from sqlalchemy import (
    ARRAY,
    ColumnElement,
    Select,
    Uuid,
    and_,
    any_,
    bindparam,
    exists,
    func,
    or_,
    select,
    union,
)
from sqlalchemy.ext.asyncio import AsyncSession

from app.clock import local_date, local_date_sql
from app.id_sets import among
from app.models.enums import PARTY_MEMBER_STATUS_VALUES, TransferState
from app.models.lifecycle import MemberTransition, Transfer
from app.models.member import Member
from app.security.scope import under, under_any

COUNTED = frozenset(PARTY_MEMBER_STATUS_VALUES)

# The step kind of a record that was created already counted (no transition brought it in).
RECORDED = "recorded"
TRANSFER = "transfer"


@dataclass(frozen=True, slots=True)
class Place:
    """Where a member stands: counted or not, and at which organisation."""

    counted: bool
    org_id: uuid.UUID


@dataclass(frozen=True, slots=True)
class Step:
    """One recorded change of a member's place, effective on `on`."""

    on: date
    at: datetime
    kind: str  # a transition's kind, `transfer` or `recorded`
    before: Place
    after: Place


@dataclass(frozen=True, slots=True)
class MemberFacts:
    """What the ledger and the statistics read of a member record."""

    id: uuid.UUID
    name: str
    status: str
    org_id: uuid.UUID
    joined_on: date | None
    created_at: datetime
    gender: str
    ethnicity: str | None
    birth_date: date
    education: str | None
    category: str
    full_on: date | None = None
    degree: str | None = None
    post: str | None = None
    new_social_stratum: str | None = None
    hardship: str | None = None
    lost_contact_since: date | None = None


FACT_COLUMNS = (
    Member.id,
    Member.name,
    Member.status,
    Member.org_id,
    Member.joined_on,
    Member.created_at,
    Member.gender,
    Member.ethnicity,
    Member.birth_date,
    Member.education,
    Member.category,
    Member.full_on,
    Member.degree,
    Member.post,
    Member.new_social_stratum,
    Member.hardship,
    Member.lost_contact_since,
)


@dataclass(frozen=True, slots=True)
class Transition:
    from_status: str
    to_status: str
    kind: str
    effective_date: date
    recorded_at: datetime


@dataclass(frozen=True, slots=True)
class Move:
    from_org_id: uuid.UUID
    to_org_id: uuid.UUID
    moment: datetime  # when the receiver accepted


@dataclass(slots=True)
class MemberHistory:
    member: MemberFacts
    first: Place
    steps: list[Step] = field(default_factory=list)

    @property
    def member_id(self) -> uuid.UUID:
        return self.member.id

    @property
    def name(self) -> str:
        return self.member.name

    def place_on(self, day: date) -> Place:
        """The member's place at the end of `day`."""
        place = self.first
        for step in self.steps:
            if step.on > day:
                break
            place = step.after
        return place


@dataclass(frozen=True, slots=True)
class _Change:
    on: date
    at: datetime
    kind: str
    status: str | None  # the status after a transition
    org_id: uuid.UUID | None  # the organisation after a transfer


def history_of(
    member: MemberFacts, transitions: list[Transition], moves: list[Move]
) -> MemberHistory:
    """The member's places, from the record, its transitions and its accepted transfers."""
    if not transitions and not moves:  # most records: as created
        history = MemberHistory(member, Place(False, member.org_id))
        if member.status in COUNTED:
            since = member.joined_on or local_date(member.created_at)
            after = Place(True, member.org_id)
            history.steps.append(Step(since, member.created_at, RECORDED, history.first, after))
        return history
    transitions.sort(key=lambda t: (t.effective_date, t.recorded_at))
    moves.sort(key=lambda t: t.moment)
    status = transitions[0].from_status if transitions else member.status
    org_id = moves[0].from_org_id if moves else member.org_id
    changes = [
        _Change(t.effective_date, t.recorded_at, t.kind, t.to_status, None) for t in transitions
    ]
    for t in moves:
        changes.append(_Change(local_date(t.moment), t.moment, TRANSFER, None, t.to_org_id))
    changes.sort(key=lambda c: (c.on, c.at))
    history = MemberHistory(member, Place(False, org_id))
    if status in COUNTED:
        since = member.joined_on or local_date(member.created_at)
        if changes:
            since = min(since, changes[0].on)
        history.steps.append(
            Step(since, member.created_at, RECORDED, history.first, Place(True, org_id))
        )
    place = history.steps[-1].after if history.steps else history.first
    for c in changes:
        status = c.status or status
        after = Place(status in COUNTED, c.org_id or place.org_id)
        history.steps.append(Step(c.on, c.at, c.kind, place, after))
        place = after
    return history


def _change_sources(since: date | None) -> tuple[Select[Any], Select[Any]]:
    """The changes `history_of` walks after `since`, each as a select of `member_id`:
    the transitions effective after it (every transition without it) and the accepted
    transfers. `unchanged` is a record with neither; `subtree_histories` reads the
    others: one definition of the partition both sides rely on."""
    transitions = select(MemberTransition.member_id)
    if since is not None:
        transitions = transitions.where(MemberTransition.effective_date > since)
    transfers = select(Transfer.member_id).where(Transfer.state == TransferState.accepted)
    return transitions, transfers


def unchanged(since: date | None = None) -> ColumnElement[bool]:
    """SQL: the member record has no accepted transfer and no recorded transition (with
    `since`, none effective after that day), so on `since` and every day after it
    `history_of` places it where the record stands: its status, at its organisation
    (counted from `counted_by`). Without `since` its history is the record as created
    (`history_of`'s first case). `subtree_histories(changed_only=True, since=...)`
    loads exactly the other records (`_change_sources`)."""
    transitions, transfers = _change_sources(since)
    return and_(
        ~transitions.where(MemberTransition.member_id == Member.id).exists(),
        ~transfers.where(Transfer.member_id == Member.id).exists(),
    )


def has_transitions() -> ColumnElement[bool]:
    """SQL: the member record has a recorded transition."""
    return exists().where(MemberTransition.member_id == Member.id)


def counted_by(day: date) -> ColumnElement[bool]:
    """SQL, for an `unchanged(since)` record with a counted status and a `day` not
    before `since`: counted by the end of `day`: since its joined date (or else the
    local day the record was created), or, with transitions (all on or before `since`),
    since before `day` whatever those dates (`history_of` counts it from its first
    change at the latest)."""
    return or_(recorded_since() <= day, has_transitions())


# Where a subtree's members are: under its path (the tree as it is today) or at one of
# a set of organisations (the subtree as it was on a past day, before a move).
Where = str | frozenset[uuid.UUID]


def placed(where: Where) -> ColumnElement[bool]:
    """SQL: the member record is at an organisation of `where`."""
    if isinstance(where, str):
        return under(Member.org_path, where)
    return among(Member.org_id, where)


def unchanged_counted_on(where: Where, day: date) -> ColumnElement[bool]:
    """SQL, for an `unchanged(since)` record and a `day` not before `since`: counted by
    the subtree `where` at the end of `day` (`history_of`'s rule: a counted status, at
    an organisation of the subtree, counted by then: `counted_by`)."""
    return and_(
        placed(where),
        Member.status.in_(COUNTED),
        counted_by(day),
    )


def counted_on(
    where: Where, as_of: date, changed: Sequence[uuid.UUID], since: date | None = None
) -> ColumnElement[bool]:
    """SQL: a member the subtree `where` counts at the end of `as_of` (the tables'
    population): a record unchanged since `since` counted by `unchanged_counted_on`, or
    one of `changed`, the members with a recorded change counted that day by their
    histories."""
    as_created = and_(unchanged_counted_on(where, as_of), unchanged(since))
    if not changed:
        return as_created
    ids = bindparam("changed", list(changed), type_=ARRAY(Uuid()))
    return or_(as_created, Member.id == any_(ids))


def recorded_since() -> ColumnElement[date]:
    """SQL: the day an unchanged counted record is counted from (`local_date` of
    `created_at` when it has no joined date)."""
    return func.coalesce(Member.joined_on, local_date_sql(Member.created_at))


def _subtree_member_ids(
    path: str, changed_only: bool, formerly: frozenset[uuid.UUID], since: date | None
) -> Select[uuid.UUID]:
    """SQL: the ids of `subtree_histories`' members."""
    moved = select(Transfer.member_id).where(
        Transfer.state == TransferState.accepted,
        or_(
            under_any(Transfer.from_path, Transfer.to_path, path),
            among(Transfer.from_org_id, formerly),
            among(Transfer.to_org_id, formerly),
        )
        if formerly
        else under_any(Transfer.from_path, Transfer.to_path, path),
    )
    here = or_(placed(path), placed(formerly)) if formerly else placed(path)
    ids = select(Member.id).where(or_(here, Member.id.in_(moved)))
    if not changed_only:
        return ids
    # Read from the changes' side: the few records that have any.
    return ids.where(Member.id.in_(union(*_change_sources(since))))


async def subtree_histories(
    session: AsyncSession,
    path: str,
    changed_only: bool = False,
    formerly: frozenset[uuid.UUID] = frozenset(),
    since: date | None = None,
) -> list[MemberHistory]:
    """The history of every member who is, or ever was, at an organisation of the
    subtree at `path` (or at one of the organisations `formerly` in it, moved out
    since): the members there now and those transferred in or out of it; with
    `changed_only`, of those among them with an accepted transfer or a recorded
    transition (effective after `since`, when given): the others are counted in SQL
    (`unchanged(since)`, `unchanged_counted_on`). Four statements, whatever the
    subtree's size."""
    ids = _subtree_member_ids(path, changed_only, formerly, since)
    members = [
        MemberFacts(*row)
        for row in await session.execute(select(*FACT_COLUMNS).where(Member.id.in_(ids)))
    ]
    transitions: dict[uuid.UUID, list[Transition]] = defaultdict(list)
    for member_id, from_status, to_status, kind, on, recorded_at in await session.execute(
        select(
            MemberTransition.member_id,
            MemberTransition.from_status,
            MemberTransition.to_status,
            MemberTransition.kind,
            MemberTransition.effective_date,
            MemberTransition.recorded_at,
        ).where(MemberTransition.member_id.in_(ids))
    ):
        transitions[member_id].append(Transition(from_status, to_status, kind, on, recorded_at))
    moves: dict[uuid.UUID, list[Move]] = defaultdict(list)
    for member_id, from_org, to_org, decided_at, updated_at in await session.execute(
        select(
            Transfer.member_id,
            Transfer.from_org_id,
            Transfer.to_org_id,
            Transfer.decided_at,
            Transfer.updated_at,
        ).where(Transfer.member_id.in_(ids), Transfer.state == TransferState.accepted)
    ):
        moves[member_id].append(Move(from_org, to_org, decided_at or updated_at))
    return [history_of(m, transitions[m.id], moves[m.id]) for m in members]
