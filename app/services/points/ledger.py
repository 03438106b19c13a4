"""The append-only points ledger: the one writer of entries (the same source never scores
twice), approval, rejection and reversing entries.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import date, datetime
from typing import Any, NamedTuple

from sqlalchemy.ext.asyncio import AsyncSession

from app import clock, db
from app.errors import Conflict, ErrorCode, Unprocessable
from app.i18n import Text
from app.models.base import new_uuid
from app.models.enums import EntrySource, EntryState, MemberStatus, PointCategory, Role, label_zh
from app.models.points import PointEntry
from app.security.scope import (
    Principal,
    not_found,
)
from app.services.integration import audit, changes
from app.services.points.approval import decide, locked_in_state
from app.services.points.caps import (
    CappedItem,
    RuleView,
    applicable_rule,
    chain_caps,
    chain_ctes,
    check_caps,
    lock_member,
    read_for_award,
)
from app.services.points.rows import ENTRY_COLUMNS, EntryRow
from app.services.points.schemes import require_points_admin

# --- Ledger ----------------------------------------------------------------------------------


class EntryRequest(NamedTuple):
    member_id: uuid.UUID
    rule_id: uuid.UUID
    occurred_on: date
    source_key: str
    note: str | None
    evidence: str | None


async def create_entry(
    session: AsyncSession, principal: Principal, req: EntryRequest
) -> tuple[EntryRow, bool]:
    """Award or deduct points (积分登记), or claim them for yourself (申报).

    Who approves what (审核):
    - the rule item's `needs_approval` decides, for awards and claims alike: `false`,
      the entry is approved at once (caps checked now); `true`, it is `pending`
      until approved;
    - an administrator (org_admin, branch_secretary) whose scope covers the member
      approves or rejects a pending entry, never the person who entered it nor the
      member it scores (four eyes: 403 `points.own_entry_not_approvable`); a member's
      own claim is thus approved by their branch secretary or above;
    - automatic scoring (finalized meetings, recorded service hours) is approved at
      once: the finalized record is the approved act.
    The same `source_key` never scores a member twice: a retry returns the existing
    entry (created=False), also under concurrency; keys are the member's own, other
    members may use the same. Caps per month and per year hold over the item and
    every item refining it, checked whenever an entry becomes approved.
    """
    claim = principal.role is Role.member
    if not claim:
        require_points_admin(principal)
    source = EntrySource.claim if claim else EntrySource.manual
    # A request that has written nothing yet reads unlocked, then writes the line only
    # while the member is as read (`_write_entry`'s `as_read`): two statements, each a
    # transaction of its own. An entry approved at once under a capped item, or a member
    # changed in between, is read again locked, in a transaction (caps need the lock
    # before they are counted).
    optimistic = not db.transaction_open(session) and req.rule_id not in _CAPPED
    while True:
        read = await read_for_award(
            session, principal, req.member_id, req.rule_id, lock=not optimistic
        )
        member_id, member_path, status = _scored_member(principal, claim, read.member)
        rule = applicable_rule(principal, member_path, read.rule)
        if rule.needs_evidence and not req.evidence:
            raise Unprocessable.field("evidence", ErrorCode.points_evidence_required)
        as_read = status if optimistic else None
        _remember(req.rule_id, read.approve and bool(read.capped))
        if as_read is None or not (read.approve and read.capped):
            try:
                return await append_entry(
                    session,
                    principal,
                    member_id,
                    member_path,
                    rule,
                    req,
                    source=source,
                    approve=read.approve,
                    locked=read.approve,
                    capped=read.capped,
                    as_read=as_read,
                )
            except _Changed:
                pass
        optimistic = False


def _scored_member(
    principal: Principal, claim: bool, member: tuple[uuid.UUID, str, str] | None
) -> tuple[uuid.UUID, str, str]:
    """The member an award names: 404 unless the caller's scope covers it (a claim: is
    it), 409 unless its status is scored."""
    if (
        member is None
        or not principal.scope.covers(member[1])
        or (claim and principal.member_id != member[0])
    ):
        raise not_found(ErrorCode.member_not_found, "member_id")
    status = member[2]
    if status not in (MemberStatus.full, MemberStatus.probationary):
        raise Conflict(
            ErrorCode.points_member_not_scored,
            Text(
                zh=f"{label_zh(MemberStatus, status)}不计分",
                en=f"{status} members are not scored",
            ),
        )
    return member


# Rule items last read with a capped chain (an entry approved at once): their awards are
# read locked at once (the caps need it), not read unlocked first. A hint per process,
# bounded; a wrong one costs a statement, never a check (`_write_entry` checks the caps).
_CAPPED: set[uuid.UUID] = set()
_CAPPED_MAX = 4096


def _remember(rule_id: uuid.UUID, capped: bool) -> None:
    if not capped:
        _CAPPED.discard(rule_id)
    elif len(_CAPPED) < _CAPPED_MAX:
        _CAPPED.add(rule_id)


class _Changed(Exception):
    """The member of an award written `as_read` changed since it was read (its path or
    status), or the item's chain has a cap now: nothing was written."""


_ENTRY_BY_SOURCE_SQL = (
    f"SELECT {ENTRY_COLUMNS} FROM point_entries WHERE member_id = $1 AND source_key = $2"  # noqa: S608  # constant columns
)


# ON CONFLICT: the source key had already scored the member (a replay, or a concurrent
# retry that inserted first): nothing is written. The line's change-feed event is
# written by the same statement, and, when it can be (`audit.event_values`), its audit
# row too (parameters $19...).
def _insert_entry(source: str | None = None) -> str:
    """The line's INSERT: its values ($1...$18), written once per row of `source`."""
    values = ", ".join(f"${n}" for n in range(1, 19))
    rows = f"VALUES ({values})" if source is None else f"SELECT {values} FROM {source}"  # noqa: S608  # constant text
    return (
        "INSERT INTO point_entries (id, member_id, org_path, rule_id, rule_version, "
        "category, points, occurred_on, year, source, source_key, state, note, evidence, "
        f"created_by, decided_by, decided_at, reverses_entry_id) {rows} "
        f"ON CONFLICT (member_id, source_key) DO NOTHING RETURNING {ENTRY_COLUMNS}"
    )


_EVENTS = changes.created_events_cte(PointEntry, "line")
_INSERT_ENTRY_SQL = f"WITH line AS ({_insert_entry()}), {_EVENTS} SELECT * FROM line"  # noqa: S608  # constant text
_AUDITED = audit.event_cte("line", 19)
_INSERT_AUDITED_ENTRY_SQL = (
    f"WITH line AS ({_insert_entry()}), {_EVENTS}, {_AUDITED} SELECT * FROM line"  # noqa: S608  # constant text
)
_AS_READ = 19 + audit.EVENT_PARAMETERS  # the member's status as read, after the event's


def _insert_as_read_sql(approve: bool) -> str:
    """The audited line written only while its member ($2) is at the path ($3) and in
    the status (`_AS_READ`) it was read with, locked as `caps.read_for_award` locks it,
    and for a line approved at once while no item of the rule's ($4) chain has a cap
    (locked FOR SHARE, after the member): its last column says whether that held."""
    lock = "FOR UPDATE" if approve else "FOR KEY SHARE"
    member = (
        "SELECT id FROM members WHERE id = $2 AND org_path = $3 "  # noqa: S608  # constant text
        f"AND status = ${_AS_READ} {lock}"
    )
    if not approve:
        return (
            f"WITH ok AS ({member}), line AS ({_insert_entry('ok')}), {_EVENTS}, {_AUDITED}"  # noqa: S608  # constant text
            " SELECT line.*, EXISTS (SELECT FROM ok) FROM (SELECT) AS one LEFT JOIN line ON true"
        )
    chain = chain_ctes("SELECT id, parent_rule_id FROM point_rules WHERE id = $4")
    return (
        f"WITH RECURSIVE m AS ({member}), {chain}, ok AS (SELECT FROM m WHERE NOT EXISTS ("  # noqa: S608  # constant text
        "SELECT FROM chain_caps AS c WHERE c.id IS NOT NULL AND m.id IS NOT NULL"
        " AND (c.cap_month IS NOT NULL OR c.cap_year IS NOT NULL))),"
        f" line AS ({_insert_entry('ok')}), {_EVENTS}, {_AUDITED}"
        " SELECT line.*, EXISTS (SELECT FROM ok) FROM (SELECT) AS one LEFT JOIN line ON true"
    )


_INSERT_AS_READ_SQL = {approve: _insert_as_read_sql(approve) for approve in (True, False)}


async def _write_entry(
    session: AsyncSession,
    member_id: uuid.UUID,
    member_path: str,
    rule_id: uuid.UUID,
    rule_version: int,
    category: str,
    points: int,
    occurred_on: date,
    source: str,
    source_key: str,
    state: str,
    note: str | None,
    evidence: str | None,
    created_by: uuid.UUID | None,
    decided_by: uuid.UUID | None,
    decided_at: datetime | None,
    reverses_entry_id: uuid.UUID | None = None,
    *,
    entry_id: uuid.UUID | None = None,
    audited: tuple[Any, ...] | None = None,
    as_read: str | None = None,
) -> EntryRow | None:
    """The one writer of ledger lines: inserts one (a UUID v7 id) and its change-feed
    event in one statement, on the driver connection. None when the source key had
    already scored (nothing written). `audited`: its audit event's values
    (`audit.event_values`), written with it. `as_read`: the member's status as the
    caller read it, unlocked: the line is written, a transaction of its own unless one
    is open, only while the member is as read (`_insert_as_read_sql`), else `_Changed`."""
    if as_read is not None and audited is None:
        raise _Changed  # its event must wait for the transaction's other events
    record = await (db.fetchrow if as_read is None else db.fetchrow_own)(
        session,
        _insert_sql(audited is not None, as_read is not None, state == EntryState.approved),
        entry_id or new_uuid(),
        member_id,
        member_path,
        rule_id,
        rule_version,
        category,
        points,
        occurred_on,
        occurred_on.year,
        source,
        source_key,
        state,
        note,
        evidence,
        created_by,
        decided_by,
        decided_at,
        reverses_entry_id,
        *(audited or ()),
        *(() if as_read is None else (as_read,)),
    )
    if as_read is not None and not record[-1]:
        raise _Changed
    record = record[:-1] if as_read is not None else record
    return None if record is None or record[0] is None else EntryRow.from_record(record)


def _insert_sql(audited: bool, as_read: bool, approved: bool) -> str:
    if as_read:
        return _INSERT_AS_READ_SQL[approved]
    return _INSERT_AUDITED_ENTRY_SQL if audited else _INSERT_ENTRY_SQL


def signed_points(category: str, points: int, units: int = 1) -> int:
    """An entry's points: the item's magnitude `units` times, negative for a deduction."""
    return (-points if category == PointCategory.deduction else points) * units


async def _replay_or_caps(
    session: AsyncSession,
    req: EntryRequest,
    member_id: uuid.UUID,
    rule: RuleView,
    signed: int,
    capped: Sequence[CappedItem] | None,
) -> EntryRow | None:
    """Before an entry is written approved: with caps to count (the caller holds the
    member's lock), a replay of the source key is answered first (its points already
    count, so its caps would refuse it), then the caps are checked (409). The existing
    line of a replay, else None."""
    capped = await chain_caps(session, rule.id) if capped is None else capped
    if not capped:
        return None
    existing = await db.fetchrow(session, _ENTRY_BY_SOURCE_SQL, member_id, req.source_key)
    if existing is not None:
        return _same_source(existing, req)
    probe = PointEntry(
        member_id=member_id, points=signed, occurred_on=req.occurred_on, year=req.occurred_on.year
    )
    await check_caps(session, probe, rule.id, capped)
    return None


async def append_entry(
    session: AsyncSession,
    principal: Principal | None,
    member_id: uuid.UUID,
    member_path: str,
    rule: RuleView,
    req: EntryRequest,
    *,
    source: str,
    approve: bool,
    units: int = 1,
    locked: bool = False,
    capped: Sequence[CappedItem] | None = None,
    as_read: str | None = None,
) -> tuple[EntryRow, bool]:
    """Append one ledger line on the driver connection; returns its columns and whether
    it is new (False: the source key had scored the member already, found by the insert,
    ON CONFLICT DO NOTHING, or before caps are counted). `locked`: the caller holds the
    member's lock; `capped`: the chain's capped items, read locked; `as_read`: the
    member's status read unlocked instead (`_write_entry`)."""
    actor = principal.user_id if principal else None
    signed = signed_points(rule.category, rule.points, units)
    state, decided_by, decided_at = "pending", None, None
    if approve:
        if not locked:
            await lock_member(session, member_id)
        replay = await _replay_or_caps(session, req, member_id, rule, signed, capped)
        if replay is not None:
            return replay, False
        state, decided_by, decided_at = "approved", actor, clock.utcnow()
    entry_id, action, after = _event(source, signed, req.source_key)
    audited = audit.event_values(
        session, principal, action, "member", member_id, member_path, after=after
    )
    entry = await _write_entry(
        session,
        member_id,
        member_path,
        rule.id,
        rule.version,
        rule.category,
        signed,
        req.occurred_on,
        source,
        req.source_key,
        state,
        req.note,
        req.evidence,
        actor,
        decided_by,
        decided_at,
        entry_id=entry_id,
        audited=audited,
        as_read=as_read,
    )
    if entry is None:
        return await _replayed(session, member_id, req), False
    if audited is None:  # events recorded before this one wait for the commit: so does it
        audit.record(session, principal, action, "member", member_id, member_path, after=after)
    return entry, True


def _event(source: str, points: int, source_key: str) -> tuple[uuid.UUID, str, dict[str, Any]]:
    """A new ledger line's id and its audit event: `points.awarded` or `points.claimed`,
    and what it records."""
    entry_id = new_uuid()
    action = "points.claimed" if source == EntrySource.claim else "points.awarded"
    return entry_id, action, {"entry_id": str(entry_id), "points": points, "source_key": source_key}


async def _replayed(session: AsyncSession, member_id: uuid.UUID, req: EntryRequest) -> EntryRow:
    """The line the source key wrote when the insert found it (ON CONFLICT DO NOTHING)."""
    existing = await db.fetchrow_own(session, _ENTRY_BY_SOURCE_SQL, member_id, req.source_key)
    assert existing is not None
    return _same_source(existing, req)


def _same_source(record: Sequence[object], req: EntryRequest) -> EntryRow:
    """The member's entry from this source: a replay of it, or 409 for another rule."""
    existing = EntryRow.from_record(record)
    if existing.rule_id != req.rule_id:
        raise Conflict(
            ErrorCode.points_source_key_used,
            Text(
                zh="该来源键已按另一条规则为该党员计分",
                en="this source key scored the member by another rule",
            ),
        )
    return existing


async def reverse_entry(
    session: AsyncSession, principal: Principal, entry: PointEntry, reason: str
) -> PointEntry:
    """Correct an approved entry (冲正): it stops counting and a reversing line records why.

    The ledger is append-only: the original stays, marked `reversed`, and a new line
    with the opposite points documents the correction.
    """
    await locked_in_state(session, principal, entry, EntryState.approved)
    await decide(session, principal, entry, "reversed", reason)
    now = clock.utcnow()
    line = await _write_entry(
        session,
        entry.member_id,
        entry.org_path,
        entry.rule_id,
        entry.rule_version,
        entry.category,
        -entry.points,
        entry.occurred_on,
        "reversal",
        f"reversal:{entry.id}",
        "reversed",
        reason,
        None,
        principal.user_id,
        principal.user_id,
        now,
        entry.id,
    )
    if line is None:  # a reversal of this entry exists: it was reversed before
        raise Conflict(
            ErrorCode.points_entry_not_approved,
            Text(zh="该积分记录已冲销", en="the entry is reversed"),
        )
    reversal = await session.get(PointEntry, line.id)
    assert reversal is not None
    return reversal
