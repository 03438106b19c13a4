"""Points engine (积分制管理): schemes, rule items, the ledger, caps, rankings.

Invariant: for every member and year, the balance is the applicable scheme's base
plus the sum of the member's approved entries. Reversed entries and the reversing
lines that document them are not approved, so they never count. Caps are checked
whenever an entry becomes approved, under a lock on the member, so concurrent
approvals cannot overshoot; a source key scores once, whatever the retries.
"""

from __future__ import annotations

import uuid
from collections import defaultdict
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from sqlalchemy import Select, TextClause, func, or_, select, text
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from app import clock, db
from app.errors import Conflict, ErrorCode, Forbidden, NotFound, Unprocessable
from app.models.base import new_uuid
from app.models.enums import EntrySource, EntryState, Grade, MemberStatus, PointCategory, Role
from app.models.member import Member
from app.models.organisation import Organisation
from app.models.points import PointEntry, PointRule, PointRuleVersion, PointScheme, ReviewGrade
from app.pagination import Page, paginate, parse_sort
from app.security.scope import (
    Principal,
    ancestors,
    is_under,
    load_visible,
    member_rows_only,
    not_found,
    require_role,
    row_lock,
    subtree_filter,
    subtree_prefix,
    under,
)
from app.services import audit, changes
from app.services.lifecycle import add_months
from app.services.policies import ancestor_node_ids

RULE_FIELDS = (
    "code",
    "name",
    "category",
    "points",
    "cap_month",
    "cap_year",
    "needs_approval",
    "needs_evidence",
    "trigger",
    "active",
)
GRADES = ("excellent", "qualified", "basically_qualified", "unqualified")
TRIGGERS = ("meeting.present", "meeting.absent", "service.hours")


def _admin(principal: Principal) -> None:
    require_role(principal, Role.org_admin, Role.branch_secretary)


# --- Schemes and rules ---------------------------------------------------------------------


async def upsert_scheme(
    session: AsyncSession,
    principal: Principal,
    org: Organisation,
    year: int,
    base: int,
    grade_bands: list[dict[str, Any]],
) -> PointScheme:
    """Set an organisation's scheme for a year (积分方案): base points and grade bands.

    The scheme applies to the whole subtree unless a lower organisation sets its own.
    """
    require_role(principal, Role.org_admin)
    mins = [band["min"] for band in grade_bands]
    if len(set(mins)) != len(mins):
        raise Unprocessable.field(
            "grade_bands", ErrorCode.points_bands_overlap, "band minimums repeat"
        )
    scheme = await session.scalar(
        select(PointScheme).where(PointScheme.org_id == org.id, PointScheme.year == year)
    )
    bands = sorted(grade_bands, key=lambda b: b["min"], reverse=True)
    if scheme is None:
        scheme = PointScheme(
            org_id=org.id, org_path=org.path, year=year, base=base, grade_bands=bands
        )
        session.add(scheme)
    else:
        scheme.base, scheme.grade_bands = base, bands
    await session.flush()
    audit.record(
        session,
        principal,
        "points.scheme_set",
        "organisation",
        org.id,
        org.path,
        after={"year": year, "base": base, "grade_bands": bands},
    )
    return scheme


async def scheme_for(session: AsyncSession, org_path: str, year: int) -> PointScheme | None:
    """The nearest scheme on the organisation's path (itself or an ancestor)."""
    node_ids = ancestor_node_ids(org_path)
    return await session.scalar(
        select(PointScheme)
        .join(Organisation, Organisation.id == PointScheme.org_id)
        .where(Organisation.node_id.in_(node_ids), PointScheme.year == year)
        .order_by(func.length(PointScheme.org_path).desc())
        .limit(1)
    )


def _check_within_parent(parent: dict[str, Any], data: dict[str, Any]) -> None:
    """A lower organisation's item stays inside the caps of the item it refines."""
    if data["category"] != parent["category"]:
        raise Conflict(
            ErrorCode.points_category_differs, f"the parent item is {parent['category']}"
        )
    for cap in ("cap_month", "cap_year"):
        limit = parent[cap]
        if limit is None:
            continue
        value = data.get(cap)
        if value is None or value > limit:
            raise Conflict(
                ErrorCode.points_cap_exceeds_parent,
                f"{cap} must be at most {limit} (set by {parent['code']})",
            )
        if data["points"] > limit:
            raise Conflict(
                ErrorCode.points_cap_exceeds_parent,
                f"points must be at most {limit} (set by {parent['code']})",
            )


async def create_rule(
    session: AsyncSession, principal: Principal, org: Organisation, data: dict[str, Any]
) -> PointRule:
    """Add a rule item (积分细则) for your organisation's subtree.

    A lower organisation may refine an ancestor's item (`parent_rule_id`): same
    category, and points and caps no larger than the ancestor's caps.
    """
    require_role(principal, Role.org_admin)
    parent_id = data.pop("parent_rule_id", None)
    if parent_id is not None:
        parent = await get_rule(session, principal, parent_id, field="parent_rule_id")
        if not is_under(org.path, parent.org_path) or parent.org_id == org.id:
            raise Unprocessable.field(
                "parent_rule_id",
                ErrorCode.points_parent_not_ancestor,
                "the item must be an ancestor's",
            )
        _check_within_parent(audit.snapshot(parent, RULE_FIELDS), data)
    if data.get("trigger") not in (None, *TRIGGERS):
        raise Unprocessable.field("trigger", ErrorCode.points_trigger_unknown, f"one of {TRIGGERS}")
    if await session.scalar(
        select(PointRule.id).where(PointRule.org_id == org.id, PointRule.code == data["code"])
    ):
        raise Conflict(ErrorCode.points_rule_code_taken)
    rule = PointRule(
        org_id=org.id, org_path=org.path, parent_rule_id=parent_id, active=True, **data
    )
    session.add(rule)
    await session.flush()
    await _snapshot(session, rule)
    audit.record(
        session,
        principal,
        "points.rule_created",
        "organisation",
        org.id,
        org.path,
        after={"rule_id": str(rule.id), **audit.snapshot(rule, RULE_FIELDS)},
    )
    return rule


async def _snapshot(session: AsyncSession, rule: PointRule) -> None:
    session.add(
        PointRuleVersion(
            rule_id=rule.id, version=rule.version, snapshot=audit.snapshot(rule, RULE_FIELDS)
        )
    )
    await session.flush()


async def update_rule(
    session: AsyncSession, principal: Principal, rule: PointRule, changes: dict[str, Any]
) -> PointRule:
    """Change a rule item: a new version; entries keep the version they were scored under."""
    require_role(principal, Role.org_admin)
    merged = {**audit.snapshot(rule, RULE_FIELDS), **changes}
    if rule.parent_rule_id is not None:
        parent = await session.get(PointRule, rule.parent_rule_id)
        assert parent is not None
        _check_within_parent(audit.snapshot(parent, RULE_FIELDS), merged)
    children = (
        await session.scalars(select(PointRule).where(PointRule.parent_rule_id == rule.id))
    ).all()
    for child in children:
        _check_within_parent(merged, audit.snapshot(child, RULE_FIELDS))
    before = audit.snapshot(rule, RULE_FIELDS)
    for field, value in changes.items():
        setattr(rule, field, value)
    await session.flush()
    await _snapshot(session, rule)
    audit.record(
        session,
        principal,
        "points.rule_updated",
        "organisation",
        rule.org_id,
        rule.org_path,
        before=before,
        after=audit.snapshot(rule, RULE_FIELDS),
    )
    return rule


def _rule_visible(principal: Principal, rule_path: str) -> bool:
    """Rules of ancestors apply to you, so you may read them; rules below you too."""
    return principal.scope.covers(rule_path) or is_under(principal.org_path, rule_path)


async def get_rule(
    session: AsyncSession, principal: Principal, rule_id: uuid.UUID, *, field: str | None = None
) -> PointRule:
    """A rule you may read (yours, below you or an ancestor's); else 404 as `load_visible`."""
    rule = await session.get(PointRule, rule_id)
    if rule is None or not _rule_visible(principal, rule.org_path):
        raise not_found(ErrorCode.points_rule_not_found, field)
    return rule


async def list_rules(
    session: AsyncSession, principal: Principal, org: Organisation, *, include_inherited: bool
) -> list[PointRule]:
    """Rule items defined at the organisation, plus those inherited from its ancestors."""
    if include_inherited:
        stmt = (
            select(PointRule)
            .join(Organisation, Organisation.id == PointRule.org_id)
            .where(Organisation.node_id.in_(ancestor_node_ids(org.path)))
        )
    else:
        stmt = select(PointRule).where(PointRule.org_id == org.id)
    rows = await session.scalars(stmt.order_by(func.length(PointRule.org_path), PointRule.code))
    return list(rows.all())


# --- Ledger ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class EntryRequest:
    member_id: uuid.UUID
    rule_id: uuid.UUID
    occurred_on: date
    source_key: str
    note: str | None
    evidence: str | None


async def _lock_member(session: AsyncSession, member_id: uuid.UUID) -> None:
    # Every change to a member's approved points takes this lock: caps hold under races.
    await db.execute(session, "SELECT 1 FROM members WHERE id = $1 FOR UPDATE", member_id)


@dataclass(frozen=True)
class RuleView:
    """What awarding reads of a rule item, from one driver row (no ORM object)."""

    id: uuid.UUID
    org_path: str
    parent_rule_id: uuid.UUID | None
    code: str
    category: str
    points: int
    cap_month: int | None
    cap_year: int | None
    needs_approval: bool
    needs_evidence: bool
    active: bool
    version: int


_RULE_SQL = (
    "SELECT id, org_path, parent_rule_id, code, category, points, cap_month, cap_year, "
    "needs_approval, needs_evidence, active, version FROM point_rules WHERE id = $1"
)
AnyRule = PointRule | RuleView


async def _family(session: AsyncSession, rule: AnyRule) -> list[AnyRule]:
    """The rule and the ancestor items it refines: each one's caps bind."""
    chain: list[AnyRule] = [rule]
    while chain[-1].parent_rule_id is not None:
        parent = await session.get(PointRule, chain[-1].parent_rule_id)
        assert parent is not None
        chain.append(parent)
    return chain


# Points already approved this month and this year under a rule item and the whole chain
# of its refinements (children, grandchildren, ...): a cap binds every item refining it.
_CAP_USED_SQL = (
    "WITH RECURSIVE refinements (id) AS ("
    " SELECT $5::uuid"
    " UNION SELECT r.id FROM point_rules AS r JOIN refinements AS f ON r.parent_rule_id = f.id)"
    " SELECT coalesce(sum(abs(points)) FILTER (WHERE occurred_on >= $3 AND occurred_on < $4), 0),"
    " coalesce(sum(abs(points)), 0) FROM point_entries"
    " WHERE member_id = $1 AND year = $2 AND state = 'approved'"
    " AND rule_id IN (SELECT id FROM refinements)"
)


async def _check_caps(session: AsyncSession, entry: PointEntry, rule: AnyRule) -> None:
    month = entry.occurred_on.replace(day=1)
    next_month = add_months(month, 1)
    for item in await _family(session, rule):
        if item.cap_month is None and item.cap_year is None:
            continue
        used_month, used_year = await db.fetchrow(
            session, _CAP_USED_SQL, entry.member_id, entry.year, month, next_month, item.id
        )
        for cap, used, period in (
            (item.cap_month, used_month, "month"),
            (item.cap_year, used_year, "year"),
        ):
            if cap is not None and int(used) + abs(entry.points) > cap:
                raise Conflict(
                    ErrorCode.points_cap_exceeded,
                    f"{item.code}: {used} of {cap} points this {period} already approved",
                )


def _applicable_rule(principal: Principal, member_path: str, rule: RuleView | None) -> RuleView:
    if rule is None or not _rule_visible(principal, rule.org_path):
        raise not_found(ErrorCode.points_rule_not_found, "rule_id")
    if not is_under(member_path, rule.org_path):
        raise Unprocessable.field(
            "rule_id",
            ErrorCode.points_rule_not_applicable,
            "the rule is not in the member's scheme",
        )
    if not rule.active:
        raise Conflict(ErrorCode.points_rule_inactive)
    return rule


_MEMBER_SQL = "SELECT id, org_path, status FROM members WHERE id = $1"
# An entry approved at once locks the member (caps); a pending one only holds it
# against a subtree move, whose path it copies (see scope.row_lock).
_LOCKED_SQL = _MEMBER_SQL + " FOR UPDATE"
_CLAIM_SQL = _MEMBER_SQL + " FOR KEY SHARE"


async def create_entry(
    session: AsyncSession, principal: Principal, req: EntryRequest
) -> tuple[Mapping[str, Any], bool]:
    """Award or deduct points (积分登记), or claim them for yourself (申报).

    Who approves what (审核):
    - the rule item's `needs_approval` decides, for awards and claims alike: `false`,
      the entry is approved at once (caps checked now); `true`, it is `pending`
      until approved;
    - an administrator (org_admin, branch_secretary) whose scope covers the member
      approves or rejects a pending entry, never the person who entered it (four
      eyes: 403 `points.own_entry_not_approvable`); a member's own claim is thus
      approved by their branch secretary or above;
    - automatic scoring (finalized meetings, recorded service hours) is approved at
      once: the finalized record is the approved act.
    The same `source_key` never scores a member twice: a retry returns the existing
    entry (created=False), also under concurrency; keys are the member's own, other
    members may use the same. Caps per month and per year hold over the item and
    every item refining it, checked whenever an entry becomes approved.
    """
    claim = principal.role is Role.member
    if not claim:
        _admin(principal)
    row = await db.fetchrow(session, _RULE_SQL, req.rule_id)
    rule = RuleView(*row) if row is not None else None
    approve = rule is not None and not rule.needs_approval
    # An entry approved now locks the member (caps), taken with the read (one statement
    # fewer); a pending one only holds the member against a subtree move.
    member = await db.fetchrow(session, _LOCKED_SQL if approve else _CLAIM_SQL, req.member_id)
    if (
        member is None
        or not principal.scope.covers(member["org_path"])
        or (claim and principal.member_id != member["id"])
    ):
        raise not_found(ErrorCode.member_not_found, "member_id")
    status = member["status"]
    if status not in (MemberStatus.full, MemberStatus.probationary):
        raise Conflict(ErrorCode.points_member_not_scored, f"{status} members are not scored")
    rule = _applicable_rule(principal, member["org_path"], rule)
    if rule.needs_evidence and not req.evidence:
        raise Unprocessable.field("evidence", ErrorCode.points_evidence_required)
    return await _append(
        session,
        principal,
        member["id"],
        member["org_path"],
        rule,
        req,
        source=EntrySource.claim if claim else EntrySource.manual,
        approve=approve,
        locked=approve,
    )


# The columns an entry is rendered from (EntryRead) plus its path for the change feed.
ENTRY_COLUMNS = (
    "id, member_id, org_path, rule_id, rule_version, category, points, occurred_on, source, "
    "source_key, state, note, evidence, decision_reason, reverses_entry_id, created_at"
)
_ENTRY_BY_SOURCE_SQL = (
    f"SELECT {ENTRY_COLUMNS} FROM point_entries WHERE member_id = $1 AND source_key = $2"  # noqa: S608  # constant columns
)
# ON CONFLICT: a concurrent retry with the same member and source key inserted first.
_INSERT_ENTRY_SQL = (
    "INSERT INTO point_entries (id, member_id, org_path, rule_id, rule_version, category, "  # noqa: S608  # constant columns
    "points, occurred_on, year, source, source_key, state, note, evidence, created_by, "
    "decided_by, decided_at, reverses_entry_id) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, "
    "$10, $11, $12, $13, $14, $15, $16, $17, $18) "
    f"ON CONFLICT (member_id, source_key) DO NOTHING RETURNING {ENTRY_COLUMNS}"
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
    evidence: Any,
    created_by: uuid.UUID | None,
    decided_by: uuid.UUID | None,
    decided_at: datetime | None,
    reverses_entry_id: uuid.UUID | None = None,
) -> Mapping[str, Any] | None:
    """The one writer of ledger lines: inserts one (a UUID v7 id) and its change-feed
    event, on the driver connection. None when the source key had already scored."""
    entry: Mapping[str, Any] | None = await db.fetchrow(
        session,
        _INSERT_ENTRY_SQL,
        new_uuid(),
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
    )
    if entry is not None:
        await changes.record_created(session, PointEntry, [entry])
    return entry


async def _append(
    session: AsyncSession,
    principal: Principal | None,
    member_id: uuid.UUID,
    member_path: str,
    rule: AnyRule,
    req: EntryRequest,
    *,
    source: str,
    approve: bool,
    units: int = 1,
    locked: bool = False,
) -> tuple[Mapping[str, Any], bool]:
    """Append one ledger line on the driver connection; returns its columns and whether
    it is new (False: the source key had already scored this member, the existing line).
    `locked`: the caller already holds the member's row lock."""
    actor = principal.user_id if principal else None
    existing = await db.fetchrow(session, _ENTRY_BY_SOURCE_SQL, member_id, req.source_key)
    if existing is not None:
        return _same_source(existing, req), False
    if approve and not locked:
        await _lock_member(session, member_id)
    signed = (-rule.points if rule.category == PointCategory.deduction else rule.points) * units
    state, decided_by, decided_at = "pending", None, None
    if approve:
        probe = PointEntry(
            member_id=member_id,
            points=signed,
            occurred_on=req.occurred_on,
            year=req.occurred_on.year,
        )
        await _check_caps(session, probe, rule)
        state, decided_by, decided_at = "approved", actor, clock.utcnow()
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
    )
    if entry is None:
        existing = await db.fetchrow(session, _ENTRY_BY_SOURCE_SQL, member_id, req.source_key)
        assert existing is not None
        return _same_source(existing, req), False
    audit.record(
        session,
        principal,
        f"points.{'claimed' if source == EntrySource.claim else 'awarded'}",
        "member",
        member_id,
        member_path,
        after={"entry_id": str(entry["id"]), "points": signed, "source_key": req.source_key},
    )
    return entry, True


def _same_source(existing: Mapping[str, Any], req: EntryRequest) -> Mapping[str, Any]:
    """The member's entry from this source: a replay of it, or 409 for another rule."""
    if existing["rule_id"] != req.rule_id:
        raise Conflict(
            ErrorCode.points_source_key_used, "this source key scored the member by another rule"
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


async def approve_entry(
    session: AsyncSession, principal: Principal, entry: PointEntry
) -> PointEntry:
    """Approve a pending entry (审核通过): caps are checked now, under the member's lock.

    An administrator covering the member approves; never the person who entered or
    claimed it (four eyes, 403 `points.own_entry_not_approvable`).
    """
    _admin(principal)
    await _lock_member(session, entry.member_id)
    await session.refresh(entry)
    if entry.state != EntryState.pending:
        raise Conflict(ErrorCode.points_entry_not_pending, f"the entry is {entry.state}")
    if entry.created_by is not None and entry.created_by == principal.user_id:
        raise Forbidden(ErrorCode.points_own_entry_not_approvable)
    rule = await session.get(PointRule, entry.rule_id)
    assert rule is not None
    await _check_caps(session, entry, rule)
    await _decide(session, principal, entry, "approved", None)
    return entry


async def reject_entry(
    session: AsyncSession, principal: Principal, entry: PointEntry, reason: str
) -> PointEntry:
    """Reject a pending entry, with the reason the member will read (its author may
    withdraw it this way)."""
    _admin(principal)
    await _lock_member(session, entry.member_id)
    await session.refresh(entry)
    if entry.state != EntryState.pending:
        raise Conflict(ErrorCode.points_entry_not_pending, f"the entry is {entry.state}")
    await _decide(session, principal, entry, "rejected", reason)
    return entry


async def reverse_entry(
    session: AsyncSession, principal: Principal, entry: PointEntry, reason: str
) -> PointEntry:
    """Correct an approved entry (冲正): it stops counting and a reversing line records why.

    The ledger is append-only: the original stays, marked `reversed`, and a new line
    with the opposite points documents the correction.
    """
    _admin(principal)
    await _lock_member(session, entry.member_id)
    await session.refresh(entry)
    if entry.state != EntryState.approved:
        raise Conflict(ErrorCode.points_entry_not_approved, f"the entry is {entry.state}")
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
        raise Conflict(ErrorCode.points_entry_not_approved, "the entry is reversed")
    reversal = await session.get(PointEntry, line["id"])
    assert reversal is not None
    return reversal


# --- Automatic scoring -----------------------------------------------------------------------


async def _triggered_rule(session: AsyncSession, member: Member, trigger: str) -> PointRule | None:
    """The nearest organisation's active item with this trigger on the member's path."""
    return await session.scalar(
        select(PointRule)
        .join(Organisation, Organisation.id == PointRule.org_id)
        .where(
            Organisation.node_id.in_(ancestor_node_ids(member.org_path)),
            PointRule.trigger == trigger,
            PointRule.active.is_(True),
        )
        .order_by(func.length(PointRule.org_path).desc())
        .limit(1)
    )


async def score_event(
    session: AsyncSession,
    *,
    trigger: str,
    member_id: uuid.UUID,
    occurred_on: date,
    source_key: str,
    note: str,
    units: int = 1,
) -> Mapping[str, Any] | None:
    """The one entry point for automatic scoring (meetings, service hours, ...).

    Finds the member's applicable item for the trigger; scores it approved, once per
    source key, `units` times the item's points (e.g. per hour of service). A cap
    already reached, a missing item or an unscored member: nothing.
    """
    if units <= 0:
        return None
    member = await session.get(Member, member_id, with_for_update=row_lock(False, copies_path=True))
    if member is None or member.status not in (MemberStatus.full, MemberStatus.probationary):
        return None
    rule = await _triggered_rule(session, member, trigger)
    if rule is None:
        return None
    req = EntryRequest(member.id, rule.id, occurred_on, source_key, note, None)
    try:
        async with session.begin_nested():
            entry, _ = await _append(
                session,
                None,
                member.id,
                member.org_path,
                rule,
                req,
                source=_source(trigger),
                approve=True,
                units=units,
            )
    except Conflict:
        return None  # cap reached: automatic scoring stops there
    return entry


def _source(trigger: str) -> str:
    return trigger.split(".")[0] if trigger.split(".")[0] in ("meeting", "service") else "manual"


async def score_meeting(
    session: AsyncSession,
    meeting_id: uuid.UUID,
    held_on: date,
    attendance: list[tuple[uuid.UUID, str]],
) -> int:
    """Score a finalized meeting: present earns the attendance item, an unexcused
    absence the deduction item; excused absences score nothing."""
    scored = 0
    for member_id, presence in attendance:
        trigger = {"present": "meeting.present", "absent": "meeting.absent"}.get(presence)
        if trigger is None:
            continue
        entry = await score_event(
            session,
            trigger=trigger,
            member_id=member_id,
            occurred_on=held_on,
            source_key=f"meeting:{meeting_id}:{member_id}",
            note=f"meeting {meeting_id} ({presence})",
        )
        scored += entry is not None
    return scored


# --- Balances and rankings -------------------------------------------------------------------


@dataclass(frozen=True)
class Balance:
    year: int
    base: int
    total: int
    by_category: dict[str, int]
    entries: list[PointEntry]
    grade: str | None


def grade_for(total: int, bands: list[dict[str, Any]]) -> str | None:
    for band in sorted(bands, key=lambda b: b["min"], reverse=True):
        if total >= band["min"]:
            return str(band["label"])
    return None


async def balance(session: AsyncSession, member: Member, year: int) -> Balance:
    """A member's points for a year (积分明细): base plus approved entries, by category."""
    scheme = await scheme_for(session, member.org_path, year)
    base = scheme.base if scheme else 0
    entries = list(
        (
            await session.scalars(
                select(PointEntry)
                .where(PointEntry.member_id == member.id, PointEntry.year == year)
                .order_by(PointEntry.occurred_on, PointEntry.created_at)
            )
        ).all()
    )
    by_category: dict[str, int] = {"base": 0, "bonus": 0, "deduction": 0}
    for entry in entries:
        if entry.state == EntryState.approved:
            by_category[entry.category] += entry.points
    total = base + sum(by_category.values())
    return Balance(
        year,
        base,
        total,
        by_category,
        entries,
        grade_for(total, scheme.grade_bands if scheme else []),
    )


# {base} is a CASE over the schemes that can apply in the subtree (few rows), so the
# ranking is one scan of the subtree's members and one grouped join of their entries.
RANKING_TEMPLATE = """
    WITH scored AS MATERIALIZED (
        SELECT m.id, m.status, {base} + COALESCE(t.points, 0) AS total
        FROM members AS m
        LEFT JOIN point_totals AS t
            ON t.member_id = m.id AND t.year = :year AND t.org_path LIKE :prefix
        WHERE m.org_path LIKE :prefix AND m.status IN ('full', 'probationary')
    ), top AS (
        SELECT id, status, total FROM scored ORDER BY total DESC, id LIMIT :limit
    ), full_count AS (
        SELECT count(*) AS n FROM scored WHERE status = 'full'
    ), me AS (
        SELECT id, status, total FROM scored
        WHERE id = CAST(:me AS uuid) AND id NOT IN (SELECT id FROM top)
    ), ranked AS (
        SELECT id, status, total,
               rank() OVER (ORDER BY total DESC) AS rank,
               row_number() OVER (PARTITION BY status = 'full' ORDER BY total DESC, id)
                   AS full_order
        FROM top
        UNION ALL
        SELECT me.id, me.status, me.total,
               1 + (SELECT count(*) FROM scored AS s WHERE s.total > me.total),
               1 + (SELECT count(*) FROM scored AS s
                    WHERE (s.status = 'full') = (me.status = 'full')
                      AND (s.total > me.total OR (s.total = me.total AND s.id < me.id)))
        FROM me
    )
    SELECT r.id, m.name, r.status, r.total, r.rank, (SELECT n FROM full_count), r.full_order
    FROM ranked AS r JOIN members AS m ON m.id = r.id
    ORDER BY r.rank, r.id
"""
# Totals come from `point_totals` (kept by triggers, see migration 0012), read by the
# subtree's index range like the members themselves (its org_path follows the member).
# Only the first :limit places in (total DESC, id) order are sorted (a top-N heap):
# every member ranked ahead of one of them is among them, so rank and the order among
# full members computed inside that prefix are the global ones. The caller's own
# place, when outside it, is counted with two passes over the subtree. Names are read
# for the returned rows only.


async def ranking_statement(
    session: AsyncSession, root: Organisation, year: int
) -> tuple[TextClause, dict[str, Any]]:
    """The ranking SQL for a subtree, with each member's base from the nearest scheme."""
    schemes = (
        await session.execute(
            select(PointScheme.org_path, PointScheme.base)
            .where(
                PointScheme.year == year,
                or_(
                    PointScheme.org_path.in_(ancestors(root.path)),
                    under(PointScheme.org_path, root.path),
                ),
            )
            .order_by(func.length(PointScheme.org_path).desc())
        )
    ).all()
    params: dict[str, Any] = {}
    cases = []
    for n, (path, base) in enumerate(schemes):
        cases.append(f"WHEN m.org_path LIKE :scheme_path_{n} THEN :scheme_base_{n}")
        params[f"scheme_path_{n}"] = subtree_prefix(path)
        params[f"scheme_base_{n}"] = base
    base_sql = f"(CASE {' '.join(cases)} ELSE 0 END)" if cases else "0"
    return text(RANKING_TEMPLATE.format(base=base_sql)), params


@dataclass(frozen=True)
class RankRow:
    member_id: uuid.UUID
    name: str
    status: str
    total: int
    rank: int
    grade: str | None
    below_lowest_band: bool
    suggested_review_grade: str | None


def suggested_grade(
    status: str, total: int, full_order: int, full_members: int, bands: list[dict[str, Any]]
) -> str | None:
    """Points inform the democratic review, never decide it: a suggestion to confirm.

    Probationary members are not graded; "excellent" goes to at most a third of the
    full members (the best placed who also reach the top band); below the lowest band,
    "basically qualified".
    """
    if status != MemberStatus.full:
        return None
    ordered = sorted(bands, key=lambda b: b["min"], reverse=True)
    if ordered and total < ordered[-1]["min"]:
        return "basically_qualified"
    top_band = ordered[0]["min"] if ordered else None
    if full_order <= full_members // 3 and (top_band is None or total >= top_band):
        return "excellent"
    return "qualified"


async def ranking(
    session: AsyncSession,
    root: Organisation,
    year: int,
    limit: int,
    me: uuid.UUID | None,
) -> tuple[list[RankRow], RankRow | None]:
    """Ranking over the whole subtree (积分排名): ties share a rank; the caller's own
    place is returned too. Grade bands come from the scheme in force at the root."""
    scheme = await scheme_for(session, root.path, year)
    bands = scheme.grade_bands if scheme else []
    lowest = min((b["min"] for b in bands), default=None)
    statement, params = await ranking_statement(session, root, year)
    rows = (
        await session.execute(
            statement,
            {**params, "year": year, "prefix": subtree_prefix(root.path), "limit": limit, "me": me},
        )
    ).all()
    out: list[RankRow] = []
    mine = None
    for member_id, name, status, total, rank, full_members, full_order in rows:
        row = RankRow(
            member_id=member_id,
            name=name,
            status=status,
            total=int(total),
            rank=int(rank),
            grade=grade_for(int(total), bands),
            below_lowest_band=lowest is not None and int(total) < lowest,
            suggested_review_grade=suggested_grade(
                status, int(total), int(full_order), int(full_members), bands
            ),
        )
        if member_id == me:
            mine = row
        if row.rank <= limit:
            out.append(row)
    return out[:limit], mine


def excellent_share_allowed(excellent: int, full_members: int) -> bool:
    """Excellent (优秀) at most 1/3 of a branch's full members: 3 of 9 yes, 4 of 9 no."""
    return excellent * 3 <= full_members


async def confirm_grades(
    session: AsyncSession,
    principal: Principal,
    org: Organisation,
    year: int,
    grades: list[tuple[uuid.UUID, str]],
) -> int:
    """Confirm democratic-review grades (民主评议结果): a person decides; points only suggest.

    At most a third of each branch's full members may be excellent, counted per
    branch (the members' own organisation) whichever organisation the grades are
    submitted through, and probationary members are not graded.
    """
    _admin(principal)
    ids = [member_id for member_id, _ in grades]
    members = {
        m.id: m
        for m in (
            await session.scalars(
                select(Member).where(Member.id.in_(ids), under(Member.org_path, org.path))
            )
        ).all()
    }
    if len(members) != len(set(ids)):
        raise not_found(ErrorCode.member_not_found, "grades")
    if any(members[m].status != MemberStatus.full for m in ids):
        raise Conflict(
            ErrorCode.points_only_full_members_graded, "probationary members are not graded"
        )
    by_branch: dict[uuid.UUID, list[uuid.UUID]] = defaultdict(list)
    for member_id in ids:
        by_branch[members[member_id].org_id].append(member_id)
    new_grade = dict(grades)
    for branch_id in sorted(by_branch):
        # Serialise grading per branch: two submissions racing for the last excellent
        # would each see room for it.
        await session.execute(
            select(Organisation.id)
            .where(Organisation.id == branch_id)
            .with_for_update(key_share=True)
        )
        full_count = int(
            await session.scalar(
                select(func.count()).where(
                    Member.org_id == branch_id, Member.status == MemberStatus.full
                )
            )
            or 0
        )
        existing_excellent = int(
            await session.scalar(
                select(func.count())
                .select_from(ReviewGrade)
                .join(Member, Member.id == ReviewGrade.member_id)
                .where(
                    ReviewGrade.year == year,
                    ReviewGrade.grade == Grade.excellent,
                    Member.org_id == branch_id,
                    ReviewGrade.member_id.notin_(ids),
                )
            )
            or 0
        )
        excellent = existing_excellent + sum(
            1 for m in by_branch[branch_id] if new_grade[m] == Grade.excellent
        )
        if not excellent_share_allowed(excellent, full_count):
            raise Conflict(
                ErrorCode.points_excellent_over_third,
                f"{excellent} excellent of {full_count} full members in one branch",
            )
    for member_id, grade in grades:
        stmt = insert(ReviewGrade).values(
            member_id=member_id, year=year, grade=grade, confirmed_by=principal.user_id
        )
        await session.execute(
            stmt.on_conflict_do_update(
                index_elements=["member_id", "year"],
                set_={
                    "grade": grade,
                    "confirmed_by": principal.user_id,
                    "confirmed_at": func.now(),
                },
            )
        )
    audit.record(
        session,
        principal,
        "points.review_grades_confirmed",
        "organisation",
        org.id,
        org.path,
        after={"year": year, "grades": {str(m): g for m, g in grades}},
    )
    return len(grades)


async def list_entries(
    session: AsyncSession,
    principal: Principal,
    *,
    within_path: str | None,
    member_id: uuid.UUID | None,
    state: str | None,
    year: int | None,
    limit: int | None,
    cursor: str | None,
) -> Page[PointEntry]:
    """Ledger lines in your subtree (a member: their own), newest first."""
    stmt: Select[PointEntry] = select(PointEntry).where(
        subtree_filter(principal, PointEntry.org_path)
    )
    own = member_rows_only(principal)
    if own is not None:
        stmt = stmt.where(PointEntry.member_id == own)
    if within_path:
        stmt = stmt.where(under(PointEntry.org_path, within_path))
    if member_id:
        stmt = stmt.where(PointEntry.member_id == member_id)
    if state:
        stmt = stmt.where(PointEntry.state == state)
    if year:
        stmt = stmt.where(PointEntry.year == year)
    keys = parse_sort("-created_at", {"created_at": PointEntry.created_at}, PointEntry.id)
    return await paginate(session, stmt, keys, limit=limit, cursor=cursor)
