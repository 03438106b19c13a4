"""The append-only points ledger: the one writer of entries (the same source never scores
twice), approval, rejection and reversing entries. An award request's checks and flow:
`awards`.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import date, datetime
from typing import Any, NamedTuple

from sqlalchemy.ext.asyncio import AsyncSession

from app import clock, db
from app.errors import Conflict, ErrorCode
from app.i18n import Text
from app.models.base import new_uuid
from app.models.enums import EntrySource, EntryState, PointCategory
from app.models.points import PointEntry
from app.security.scope import Principal, under_column_sql
from app.services import principals
from app.services.integration import audit, changes
from app.services.points.approval import decide, locked_in_state
from app.services.points.caps import (
    CappedItem,
    RuleView,
    chain_caps,
    chain_ctes,
    check_caps,
    lock_member,
)
from app.services.points.rows import ENTRY_COLUMNS, EntryRow

# --- Ledger ----------------------------------------------------------------------------------


class EntryRequest(NamedTuple):
    member_id: uuid.UUID
    rule_id: uuid.UUID
    occurred_on: date
    source_key: str
    note: str | None
    evidence: str | None


class Refused(Exception):
    """A line to be written at once (`_insert_checked_sql`) was not: one of its checks did
    not hold. `read`: the statement read the member, `member` as it found it (id, path,
    status), None if there is none; not `read`: nothing was read (the principal's login
    did not hold, or the line's audit event has to wait for the transaction's)."""

    def __init__(self, member: tuple[uuid.UUID, str, str] | None, read: bool) -> None:
        super().__init__()
        self.member, self.read = member, read


_ENTRY_BY_SOURCE_SQL = (
    f"SELECT {ENTRY_COLUMNS} FROM point_entries WHERE member_id = $1 AND source_key = $2"  # noqa: S608  # constant columns
)


# ON CONFLICT: the source key had already scored the member (a replay, or a concurrent
# retry that inserted first): nothing is written. The line's change-feed event is
# written by the same statement, and, when it can be (`audit.event_values`), its audit
# row too (parameters $19...).
def _insert_entry(source: str | None = None) -> str:
    """The line's INSERT: its values ($1...$18), written once per row of `source`; its
    path ($3) NULL: `source`'s `org_path` (the member's, read by the statement)."""
    values = ", ".join(f"${n}" for n in range(1, 19))
    if source is not None:
        values = values.replace("$3,", f"coalesce($3::varchar, {source}.org_path),", 1)
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
_CHECKS = 19 + audit.EVENT_PARAMETERS  # the checked write's own parameters, after the event's


def _insert_checked_sql(approve: bool) -> str:
    """The audited line of an award written only while its checks hold, read and written
    in one statement (the member $2 locked as `caps.read_for_award` locks it): the
    principal's login (`principals.principal_guard`, its values last: no row when it does
    not hold); the member in the principal's scope (its top: `_CHECKS`), scored (the
    statuses: `_CHECKS` + 2) and under the rule item; the item ($4) active and still at
    the version ($5) and path (`_CHECKS` + 1) it was known at, and for a line approved at
    once no item of its chain capped (locked FOR SHARE, after the member). Its last
    columns: the member as read, and whether the checks held."""
    top, rule_path, scored = (f"${_CHECKS + n}" for n in range(3))
    guard = principals.GUARD_CTE
    lock = "FOR UPDATE" if approve else "FOR KEY SHARE"
    chain = chain_ctes("SELECT id, parent_rule_id FROM point_rules WHERE id = $4") + ","  # noqa: S608  # constant text
    checks = [
        f"EXISTS (SELECT FROM {guard})",
        under_column_sql("m.org_path", f"{top}::varchar"),
        under_column_sql("m.org_path", f"{rule_path}::varchar"),
        f"m.status = ANY({scored}::varchar[])",
        "EXISTS (SELECT FROM point_rules WHERE id = $4 AND version = $5 AND active"
        f" AND org_path = {rule_path}::varchar)",
    ]
    if approve:
        checks.append(
            "NOT EXISTS (SELECT FROM chain_caps AS c WHERE m.id IS NOT NULL"
            " AND (c.cap_month IS NOT NULL OR c.cap_year IS NOT NULL))"
        )
    audited = audit.event_cte("line", 19, "org_path")
    return (
        f"WITH RECURSIVE {guard} AS ({principals.principal_guard(_CHECKS + 3)}),"  # noqa: S608  # constant text
        f" m AS (SELECT id, org_path, status FROM members WHERE id = $2 {lock}),"
        f" {chain if approve else ''} ok AS (SELECT m.org_path FROM m WHERE"
        f" {' AND '.join(checks)}), line AS ({_insert_entry('ok')}), {_EVENTS}, {audited}"
        " SELECT line.*, m.id, m.org_path, m.status, EXISTS (SELECT FROM ok)"
        f" FROM (SELECT) AS one LEFT JOIN m ON true LEFT JOIN line ON true"
        f" WHERE EXISTS (SELECT FROM {guard})"
    )


_INSERT_CHECKED_SQL = {approve: _insert_checked_sql(approve) for approve in (True, False)}


async def _write_entry(
    session: AsyncSession,
    member_id: uuid.UUID,
    member_path: str | None,
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
    checked: tuple[Any, ...] | None = None,
) -> EntryRow | None:
    """The one writer of ledger lines: inserts one (a UUID v7 id) and its change-feed
    event in one statement, on the driver connection. None when the source key had
    already scored (nothing written). `audited`: its audit event's values
    (`audit.event_values`), written with it. `checked`: the award's checks'
    parameters (`awards`): the line is written, a transaction of its own, only while
    they hold (`_insert_checked_sql`; the member's path None: the member's as read), else
    `Refused`."""
    values: tuple[Any, ...] = (entry_id or new_uuid(), member_id, member_path, rule_id)
    values += (rule_version, category)
    values += (points, occurred_on, occurred_on.year, source, source_key, state, note)
    values += (evidence, created_by, decided_by, decided_at, reverses_entry_id)
    if checked is not None:
        approved = state == EntryState.approved
        return await _write_checked(session, values, audited, checked, approved)
    sql = _INSERT_AUDITED_ENTRY_SQL if audited else _INSERT_ENTRY_SQL
    record = await db.fetchrow(session, sql, *values, *(audited or ()))
    return None if record is None else EntryRow.from_record(record)


async def _write_checked(
    session: AsyncSession,
    values: tuple[Any, ...],
    audited: tuple[Any, ...] | None,
    checked: tuple[Any, ...],
    approved: bool,
) -> EntryRow | None:
    """`_write_entry`'s checked write: the line's `values`, then its audit event's, then
    the checks' (`_checks`). None when the source key had already scored."""
    if audited is None:
        raise Refused(None, read=False)  # its event must wait for the transaction's
    sql = _INSERT_CHECKED_SQL[approved]
    record = await db.fetchrow_gated(session, sql, *values, *audited, *checked, alone=True)
    if record is None:  # the principal's login did not hold
        raise Refused(None, read=False)
    *line, member_id, member_path, status, held = record
    if not held:
        raise Refused(None if member_id is None else (member_id, member_path, status), read=True)
    return None if line[0] is None else EntryRow.from_record(line)


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
    member_path: str | None,
    rule: RuleView,
    req: EntryRequest,
    *,
    source: str,
    approve: bool,
    units: int = 1,
    locked: bool = False,
    capped: Sequence[CappedItem] | None = None,
    checked: tuple[Any, ...] | None = None,
) -> tuple[EntryRow, bool]:
    """Append one ledger line on the driver connection; returns its columns and whether
    it is new (False: the source key had scored the member already, found by the insert,
    ON CONFLICT DO NOTHING, or before caps are counted). `locked`: the caller holds the
    member's lock; `capped`: the chain's capped items, read locked; `checked`: the
    award's checks, made by the write (`_write_entry`; path None, `locked`, no `capped`)."""
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
        checked=checked,
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
