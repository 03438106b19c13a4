"""Automatic scoring: meeting attendance when a meeting is finalized (present: bonus rule;
absent without excuse: deduction rule), and other triggered events.
"""

from __future__ import annotations

import uuid
from datetime import date

from sqlalchemy import func, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from app.errors import Conflict
from app.models.enums import PARTY_MEMBER_STATUSES, EntryState
from app.models.member import Member
from app.models.organisation import Organisation
from app.models.points import PointEntry, PointRule
from app.security.scope import Principal
from app.services.points.caps import RULE_COLUMNS, RuleView
from app.services.points.ledger import EntryRequest, append_entry, reverse_entry
from app.services.points.rows import EntryRow
from app.services.policies import ancestor_node_ids

# --- Automatic scoring -----------------------------------------------------------------------


async def _triggered_rule(session: AsyncSession, member: Member, trigger: str) -> RuleView | None:
    """The nearest organisation's active item with this trigger on the member's path."""
    table = PointRule.__table__
    row = (
        await session.execute(
            select(*[table.c[name] for name in RULE_COLUMNS])
            .join(Organisation, Organisation.id == PointRule.org_id)
            .where(
                Organisation.node_id.in_(ancestor_node_ids(member.org_path)),
                PointRule.trigger == trigger,
                PointRule.active.is_(True),
            )
            .order_by(func.length(PointRule.org_path).desc())
            .limit(1)
        )
    ).first()
    return RuleView(*row) if row is not None else None


async def score_event(
    session: AsyncSession,
    *,
    trigger: str,
    member_id: uuid.UUID,
    occurred_on: date,
    source_key: str,
    note: str,
    units: int = 1,
) -> EntryRow | None:
    """The one entry point for automatic scoring (meetings, service hours, ...).

    Finds the member's applicable item for the trigger; scores it approved, once per
    source key, `units` times the item's points (e.g. per hour of service). A cap
    already reached, a missing item or an unscored member: nothing.
    """
    if units <= 0:
        return None
    # FOR UPDATE at once (the lock an approved entry needs for its caps, which also holds
    # the member against a subtree move): a share lock upgraded later deadlocks with a
    # second scorer of the same member.
    member = await session.get(Member, member_id, with_for_update=True)
    if member is None or member.status not in PARTY_MEMBER_STATUSES:
        return None
    rule = await _triggered_rule(session, member, trigger)
    if rule is None:
        return None
    req = EntryRequest(member.id, rule.id, occurred_on, source_key, note, None)
    try:
        async with session.begin_nested():
            entry, _ = await append_entry(
                session,
                None,
                member.id,
                member.org_path,
                rule,
                req,
                source=_source(trigger),
                approve=True,
                units=units,
                locked=True,
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
    absence the deduction item; excused absences score nothing. Members are locked in
    one fixed order (by id), so two meetings finalized at once never deadlock."""
    scored = 0
    for member_id, presence in sorted(attendance):
        trigger = ATTENDANCE_TRIGGERS.get(presence)
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


# Present earns the attendance item; an unexcused absence the deduction; excused nothing.
ATTENDANCE_TRIGGERS = {"present": "meeting.present", "absent": "meeting.absent"}


async def _standing_meeting_entry(
    session: AsyncSession, meeting_id: uuid.UUID, member_id: uuid.UUID
) -> tuple[PointEntry, str | None] | None:
    """The member's approved attendance entry for this meeting, first scored or from a
    correction, with its item's trigger."""
    base = f"meeting:{meeting_id}:{member_id}"
    row = (
        await session.execute(
            select(PointEntry, PointRule.trigger)
            .join(PointRule, PointRule.id == PointEntry.rule_id)
            .where(
                PointEntry.member_id == member_id,
                PointEntry.state == EntryState.approved,
                or_(PointEntry.source_key == base, PointEntry.source_key.like(f"{base}:%")),
            )
            .order_by(PointEntry.created_at.desc())
            .limit(1)
        )
    ).first()
    return (row[0], row[1]) if row is not None else None


async def rescore_meeting(
    session: AsyncSession,
    principal: Principal,
    meeting_id: uuid.UUID,
    held_on: date,
    corrected: list[tuple[uuid.UUID, str]],
    correction_id: uuid.UUID,
) -> int:
    """Score a correction of a finalized meeting's attendance (更正): for each member
    whose corrected presence calls for another item than the entry standing, that entry
    is reversed (冲正, through the ledger) and the corrected presence scored under a
    source key naming the correction. A correction that changes nothing scores nothing,
    so repeating it is a no-op. Returns the number of members rescored."""
    changed = 0
    for member_id, presence in sorted(corrected):
        trigger = ATTENDANCE_TRIGGERS.get(presence)
        standing = await _standing_meeting_entry(session, meeting_id, member_id)
        if (standing[1] if standing else None) == trigger:
            continue
        if standing is not None:
            await reverse_entry(
                session, principal, standing[0], f"attendance corrected ({presence})"
            )
        if trigger is not None:
            await score_event(
                session,
                trigger=trigger,
                member_id=member_id,
                occurred_on=held_on,
                source_key=f"meeting:{meeting_id}:{member_id}:correction:{correction_id}",
                note=f"meeting {meeting_id} ({presence}, corrected)",
            )
        changed += 1
    return changed
