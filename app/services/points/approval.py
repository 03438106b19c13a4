"""Approval of ledger entries (审核): a pending entry approved (caps checked) or rejected
by an administrator covering the member, never by its author nor the member it scores."""

from __future__ import annotations

import uuid

from sqlalchemy import ColumnElement, and_, false, or_
from sqlalchemy.ext.asyncio import AsyncSession

from app import clock
from app.errors import Conflict, ErrorCode, Forbidden, NotFound
from app.i18n import Text
from app.models.enums import EntryState, Role, label_zh
from app.models.points import PointEntry
from app.security.scope import Principal, load_visible
from app.services.integration import audit
from app.services.points.caps import check_caps, lock_member
from app.services.points.schemes import require_points_admin


async def get_entry(session: AsyncSession, principal: Principal, entry_id: uuid.UUID) -> PointEntry:
    entry = await load_visible(session, principal, PointEntry, entry_id)
    if principal.role is Role.member and principal.member_id != entry.member_id:
        raise NotFound(ErrorCode.points_entry_not_found)
    return entry


async def decide(
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


async def locked_in_state(
    session: AsyncSession, principal: Principal, entry: PointEntry, state: EntryState
) -> None:
    """A decision on `entry` by a points administrator: its member locked, the entry read
    again under the lock, 409 unless it is in `state` (pending or approved)."""
    require_points_admin(principal)
    await lock_member(session, entry.member_id)
    await session.refresh(entry)
    if entry.state != state:
        code = (
            ErrorCode.points_entry_not_pending
            if state == EntryState.pending
            else ErrorCode.points_entry_not_approved
        )
        raise Conflict(
            code,
            Text(
                zh=f"该积分记录当前状态为{label_zh(EntryState, entry.state)}",
                en=f"the entry is {entry.state}",
            ),
        )


async def approve_entry(
    session: AsyncSession, principal: Principal, entry: PointEntry
) -> PointEntry:
    """Approve a pending entry (审核通过): caps are checked now, under the member's lock.

    An administrator covering the member approves; never the person who entered or
    claimed it, nor an administrator whose own member record it scores (four eyes,
    403 `points.own_entry_not_approvable`).
    """
    await locked_in_state(session, principal, entry, EntryState.pending)
    if is_own_entry(principal, entry):
        raise Forbidden(ErrorCode.points_own_entry_not_approvable)
    await check_caps(session, entry, entry.rule_id)
    await decide(session, principal, entry, "approved", None)
    return entry


async def reject_entry(
    session: AsyncSession, principal: Principal, entry: PointEntry, reason: str
) -> PointEntry:
    """Reject a pending entry, with the reason the member will read (its author may
    withdraw it this way)."""
    await locked_in_state(session, principal, entry, EntryState.pending)
    await decide(session, principal, entry, "rejected", reason)
    return entry
