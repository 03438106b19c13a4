"""The append-only points ledger: the one writer of entries (the same source never scores
twice), approval, rejection and reversing entries.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import date, datetime
from typing import Any, NamedTuple

from sqlalchemy import ColumnElement, and_, false, or_
from sqlalchemy.ext.asyncio import AsyncSession

from app import clock, db
from app.errors import Conflict, ErrorCode, Forbidden, NotFound, Unprocessable
from app.i18n import Text
from app.models.base import new_uuid
from app.models.enums import EntrySource, EntryState, MemberStatus, PointCategory, Role, label_zh
from app.models.points import PointEntry
from app.security.scope import (
    Principal,
    load_visible,
    not_found,
)
from app.services.integration import audit, changes
from app.services.points.caps import (
    CappedItem,
    RuleView,
    applicable_rule,
    chain_caps,
    check_caps,
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


async def _lock_member(session: AsyncSession, member_id: uuid.UUID) -> None:
    # Every change to a member's approved points takes this lock: caps hold under races.
    await db.execute(session, "SELECT 1 FROM members WHERE id = $1 FOR UPDATE", member_id)


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
    read = await read_for_award(session, principal, req.member_id, req.rule_id)
    member = read.member
    if (
        member is None
        or not principal.scope.covers(member[1])
        or (claim and principal.member_id != member[0])
    ):
        raise not_found(ErrorCode.member_not_found, "member_id")
    member_id, member_path, status = member
    if status not in (MemberStatus.full, MemberStatus.probationary):
        raise Conflict(
            ErrorCode.points_member_not_scored,
            Text(
                zh=f"{label_zh(MemberStatus, status)}不计分",
                en=f"{status} members are not scored",
            ),
        )
    rule = applicable_rule(principal, member_path, read.rule)
    if rule.needs_evidence and not req.evidence:
        raise Unprocessable.field("evidence", ErrorCode.points_evidence_required)
    return await append_entry(
        session,
        principal,
        member_id,
        member_path,
        rule,
        req,
        source=EntrySource.claim if claim else EntrySource.manual,
        approve=read.approve,
        locked=read.approve,
        capped=read.capped,
    )


_ENTRY_BY_SOURCE_SQL = (
    f"SELECT {ENTRY_COLUMNS} FROM point_entries WHERE member_id = $1 AND source_key = $2"  # noqa: S608  # constant columns
)


# ON CONFLICT: the source key had already scored the member (a replay, or a concurrent
# retry that inserted first): nothing is written. The line's change-feed event is
# written by the same statement, and, when it can be (`audit.event_values`), its audit
# row too (parameters $19...).
_INSERT_ENTRY = (
    "INSERT INTO point_entries (id, member_id, org_path, rule_id, rule_version, category, "  # noqa: S608  # constant columns
    "points, occurred_on, year, source, source_key, state, note, evidence, created_by, "
    "decided_by, decided_at, reverses_entry_id) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, "
    "$10, $11, $12, $13, $14, $15, $16, $17, $18) "
    f"ON CONFLICT (member_id, source_key) DO NOTHING RETURNING {ENTRY_COLUMNS}"
)
_INSERT_ENTRY_SQL = (
    f"WITH line AS ({_INSERT_ENTRY}), {changes.created_events_cte(PointEntry, 'line')}"  # noqa: S608  # constant text
    " SELECT * FROM line"
)
_INSERT_AUDITED_ENTRY_SQL = (
    f"WITH line AS ({_INSERT_ENTRY}), {changes.created_events_cte(PointEntry, 'line')},"  # noqa: S608  # constant text
    f" {audit.event_cte('line', 19)} SELECT * FROM line"
)


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
) -> EntryRow | None:
    """The one writer of ledger lines: inserts one (a UUID v7 id) and its change-feed
    event in one statement, on the driver connection. None when the source key had
    already scored (nothing written). `audited`: its audit event's values
    (`audit.event_values`), written with it."""
    record = await db.fetchrow(
        session,
        _INSERT_ENTRY_SQL if audited is None else _INSERT_AUDITED_ENTRY_SQL,
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
    )
    return None if record is None else EntryRow.from_record(record)


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
) -> tuple[EntryRow, bool]:
    """Append one ledger line on the driver connection; returns its columns and whether
    it is new (False: the source key had already scored the member: the existing line,
    found by the insert, ON CONFLICT DO NOTHING, or before caps are counted). `locked`:
    the caller holds the member's lock; `capped`: the chain's capped items, read locked."""
    actor = principal.user_id if principal else None
    signed = signed_points(rule.category, rule.points, units)
    state, decided_by, decided_at = "pending", None, None
    if approve:
        if not locked:
            await _lock_member(session, member_id)
        replay = await _replay_or_caps(session, req, member_id, rule, signed, capped)
        if replay is not None:
            return replay, False
        state, decided_by, decided_at = "approved", actor, clock.utcnow()
    entry_id = new_uuid()
    action, after = _event(source, entry_id, signed, req.source_key)
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
    )
    if entry is None:
        return await _replayed(session, member_id, req), False
    if audited is None:  # events recorded before this one wait for the commit: so does it
        audit.record(session, principal, action, "member", member_id, member_path, after=after)
    return entry, True


def _event(
    source: str, entry_id: uuid.UUID, points: int, source_key: str
) -> tuple[str, dict[str, Any]]:
    """The audit event of a new ledger line: `points.awarded` or `points.claimed`, and
    what it records."""
    action = "points.claimed" if source == EntrySource.claim else "points.awarded"
    return action, {"entry_id": str(entry_id), "points": points, "source_key": source_key}


async def _replayed(session: AsyncSession, member_id: uuid.UUID, req: EntryRequest) -> EntryRow:
    """The line the source key wrote when the insert found it (ON CONFLICT DO NOTHING)."""
    existing = await db.fetchrow(session, _ENTRY_BY_SOURCE_SQL, member_id, req.source_key)
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


async def get_entry(session: AsyncSession, principal: Principal, entry_id: uuid.UUID) -> PointEntry:
    entry = await load_visible(session, principal, PointEntry, entry_id)
    if principal.role is Role.member and principal.member_id != entry.member_id:
        raise NotFound(ErrorCode.points_entry_not_found)
    return entry


async def _decide(
    session: AsyncSession, principal: Principal, entry: PointEntry, state: str, reason: str | None
) -> None:
    entry.state = state
    entry.decided_by = principal.user_id
    entry.decided_at = clock.utcnow()
    entry.decision_reason = reason
    await session.flush()
    audit.record(
        session,
        principal,
        f"points.{state}",
        "member",
        entry.member_id,
        entry.org_path,
        after={"entry_id": str(entry.id), "points": entry.points, "reason": reason},
    )


def is_own_entry(principal: Principal, entry: PointEntry) -> bool:
    """Four eyes: the entry was entered or claimed by the principal, or scores the
    principal's own member record; such an entry is never theirs to approve."""
    return (entry.created_by is not None and entry.created_by == principal.user_id) or (
        principal.member_id is not None and principal.member_id == entry.member_id
    )


def own_entry_sql(principal: Principal) -> ColumnElement[bool]:
    """SQL twin of `is_own_entry` over `PointEntry` rows (the to-do list's filter)."""
    own: list[ColumnElement[bool]] = []
    if principal.user_id is not None:
        own.append(
            and_(PointEntry.created_by.is_not(None), PointEntry.created_by == principal.user_id)
        )
    if principal.member_id is not None:
        own.append(PointEntry.member_id == principal.member_id)
    return or_(false(), *own)


async def approve_entry(
    session: AsyncSession, principal: Principal, entry: PointEntry
) -> PointEntry:
    """Approve a pending entry (审核通过): caps are checked now, under the member's lock.

    An administrator covering the member approves; never the person who entered or
    claimed it, nor an administrator whose own member record it scores (four eyes,
    403 `points.own_entry_not_approvable`).
    """
    require_points_admin(principal)
    await _lock_member(session, entry.member_id)
    await session.refresh(entry)
    if entry.state != EntryState.pending:
        raise Conflict(
            ErrorCode.points_entry_not_pending,
            Text(
                zh=f"该积分记录当前状态为{label_zh(EntryState, entry.state)}",
                en=f"the entry is {entry.state}",
            ),
        )
    if is_own_entry(principal, entry):
        raise Forbidden(ErrorCode.points_own_entry_not_approvable)
    await check_caps(session, entry, entry.rule_id)
    await _decide(session, principal, entry, "approved", None)
    return entry


async def reject_entry(
    session: AsyncSession, principal: Principal, entry: PointEntry, reason: str
) -> PointEntry:
    """Reject a pending entry, with the reason the member will read (its author may
    withdraw it this way)."""
    require_points_admin(principal)
    await _lock_member(session, entry.member_id)
    await session.refresh(entry)
    if entry.state != EntryState.pending:
        raise Conflict(
            ErrorCode.points_entry_not_pending,
            Text(
                zh=f"该积分记录当前状态为{label_zh(EntryState, entry.state)}",
                en=f"the entry is {entry.state}",
            ),
        )
    await _decide(session, principal, entry, "rejected", reason)
    return entry


async def reverse_entry(
    session: AsyncSession, principal: Principal, entry: PointEntry, reason: str
) -> PointEntry:
    """Correct an approved entry (冲正): it stops counting and a reversing line records why.

    The ledger is append-only: the original stays, marked `reversed`, and a new line
    with the opposite points documents the correction.
    """
    require_points_admin(principal)
    await _lock_member(session, entry.member_id)
    await session.refresh(entry)
    if entry.state != EntryState.approved:
        raise Conflict(
            ErrorCode.points_entry_not_approved,
            Text(
                zh=f"该积分记录当前状态为{label_zh(EntryState, entry.state)}",
                en=f"the entry is {entry.state}",
            ),
        )
    await _decide(session, principal, entry, "reversed", reason)
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
