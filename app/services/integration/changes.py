"""Change capture and the change feed (变更订阅).

Every create, update, delete and state change of the resources integrators sync
is written to the outbox by a flush hook, in the same transaction as the change.
The feed serves events in (transaction id, event id) order and only from
transactions older than the oldest one still running in this database (or the next
id to be assigned), so an event that commits after a later-numbered one is never
skipped.

What the feed and webhooks carry is a closed catalogue, `EVENT_TYPES`: the row changes
of each tracked resource and the domain events (`DomainEvent`) written beside them. The
feed's `action` of an event is read from the catalogue (`action_of`).
"""

from __future__ import annotations

import base64
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

import orjson
from asyncpg import Record
from sqlalchemy import event, inspect, select, text, tuple_
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import Session

from app import db
from app.errors import ErrorCode, Unprocessable
from app.models.enums import ChangeAction, ChangeResource
from app.models.grid import Grid
from app.models.lifecycle import Transfer
from app.models.meeting import Meeting
from app.models.member import Member
from app.models.mobile import MobileEpisode
from app.models.organisation import Organisation
from app.models.outbox import OutboxEvent
from app.models.points import PointEntry
from app.security.scope import Principal, member_rows_only

# model -> (resource, state attribute, main path attribute, other-side path attribute)
TRACKED: dict[type[Any], tuple[ChangeResource, str | None, str, str | None]] = {
    Organisation: (ChangeResource.organisation, "dissolved_on", "path", None),
    Member: (ChangeResource.member, "status", "org_path", None),
    Transfer: (ChangeResource.transfer, "state", "from_path", "to_path"),
    Meeting: (ChangeResource.meeting, "state", "org_path", None),
    PointEntry: (ChangeResource.point_entry, "state", "org_path", None),
    MobileEpisode: (ChangeResource.mobile_episode, "state", "home_path", "host_path"),
    Grid: (ChangeResource.grid, None, "org_path", None),
}


class DomainEvent(StrEnum):
    """The domain events written beside the row changes, `<resource>.<action>`: the only
    event types `record_event` takes."""

    meeting_finalized = "meeting.finalized"
    meeting_attachment_added = "meeting.attachment_added"
    meeting_attachment_deleted = "meeting.attachment_deleted"
    organisation_moved = "organisation.moved"
    member_notice_recorded = "member.notice_recorded"
    member_disciplined = "member.disciplined"
    member_discipline_concluded = "member.discipline_concluded"
    member_rewarded = "member.rewarded"
    member_attachment_added = "member.attachment_added"
    member_attachment_deleted = "member.attachment_deleted"


# The actions of row changes; `state_changed` only for a resource with a state.
ROW_ACTIONS = (
    ChangeAction.created,
    ChangeAction.updated,
    ChangeAction.deleted,
    ChangeAction.state_changed,
)


def _parts(event_type: str) -> tuple[ChangeResource, ChangeAction]:
    """A domain event's resource and action (an unknown one fails at import)."""
    resource, action = event_type.split(".")
    return ChangeResource(resource), ChangeAction(action)


# Every event type the feed and webhooks carry -> (resource, action).
EVENT_TYPES: dict[str, tuple[ChangeResource, ChangeAction]] = {
    **{
        f"{resource}.{action}": (resource, action)
        for resource, state_attr, *_ in TRACKED.values()
        for action in ROW_ACTIONS
        if state_attr is not None or action is not ChangeAction.state_changed
    },
    **{event.value: _parts(event.value) for event in DomainEvent},
}


def action_of(event_type: str) -> ChangeAction:
    """The feed's `action` of a catalogued event type."""
    return EVENT_TYPES[event_type][1]


def _row(obj: Any, action: ChangeAction, model: type[Any] | None = None) -> dict[str, Any]:
    resource, _, path_attr, alt_attr = TRACKED[model or type(obj)]
    get = (
        obj.get
        if isinstance(obj, Mapping | Record)
        else lambda name, default=None: getattr(obj, name, default)
    )
    return {
        "event_type": f"{resource}.{action}",
        "resource": resource.value,
        "resource_id": get("id"),
        "org_path": get(path_attr),
        "alt_path": get(alt_attr) if alt_attr else None,
        "version": get("version", None),
        "payload": {},
    }


def _action(obj: Any) -> ChangeAction | None:
    _, state_attr, _, _ = TRACKED[type(obj)]
    attrs = inspect(obj).attrs
    changed = [a.key for a in attrs if a.history.has_changes()]
    if not changed:
        return None
    if state_attr is not None and state_attr in changed:
        return ChangeAction.state_changed
    return ChangeAction.updated


# The one statement that writes the outbox; `_values` gives its parameters.
_INSERT_INTO = (
    "INSERT INTO outbox_events (event_type, resource, resource_id, org_path, alt_path, "
    "version, payload)"
)
_INSERT_SQL = _INSERT_INTO + " VALUES ($1, $2, $3, $4, $5, $6, $7)"


def _values(event: dict[str, Any]) -> tuple[Any, ...]:
    return (
        event["event_type"],
        event["resource"],
        event["resource_id"],
        event["org_path"],
        event["alt_path"],
        event["version"],
        orjson.dumps(event["payload"]).decode(),
    )


async def write(session: AsyncSession, events: Sequence[dict[str, Any]]) -> None:
    """Write outbox events now, on the driver connection, in the session's transaction.
    The flush hook below writes the same statement through the ORM's connection."""
    await db.executemany(session, _INSERT_SQL, [_values(e) for e in events])


def created_events_cte(model: type[Any], rows: str) -> str:
    """`<rows>_events`, a CTE of the caller's statement that writes the `created` event
    of each row the data-modifying CTE `rows` returned (an `INSERT ... RETURNING` of
    `model`'s rows, with its id and path columns): the event `record_created` writes,
    in the same round trip as the rows."""
    resource, _, path_attr, alt_attr = TRACKED[model]
    alt = f"{rows}.{alt_attr}" if alt_attr else "NULL"
    version = f"{rows}.version" if "version" in model.__table__.columns else "NULL"
    return (
        f"{rows}_events AS ({_INSERT_INTO} SELECT"  # noqa: S608  # constant names of a tracked model
        f" '{resource}.{ChangeAction.created}', '{resource.value}', {rows}.id,"
        f" {rows}.{path_attr}, {alt}, {version}, '{{}}' FROM {rows})"
    )


async def record_created(session: AsyncSession, model: type[Any], rows: Sequence[Any]) -> None:
    """`created` events for rows of `model` inserted without the ORM, which the flush
    hook below never sees (bulk imports; point entries inserted ON CONFLICT DO NOTHING).
    `rows` need the model's attributes: instances, stand-ins, or mappings of columns."""
    await write(session, [_row(r, ChangeAction.created, model) for r in rows])


async def record_event(
    session: AsyncSession,
    obj: Any,
    event: DomainEvent,
    payload: dict[str, Any],
    *,
    alt_path: str | None = None,
) -> None:
    """A domain event about a tracked record beside its row changes (`meeting.finalized`
    with the attendance), carrying `payload` to integrators. `alt_path` files it under a
    second subtree as well (a move: the subtree it left)."""
    resource, action = EVENT_TYPES[event]
    if TRACKED[type(obj)][0] is not resource:
        raise ValueError(f"{event} is not an event of a {type(obj).__name__}")
    row = {**_row(obj, action), "event_type": event.value, "payload": payload}
    if alt_path is not None:
        row["alt_path"] = alt_path
    await write(session, [row])


@event.listens_for(Session, "after_flush")
def _capture(session: Session, flush_context: Any) -> None:
    rows = [_row(o, ChangeAction.created) for o in session.new if type(o) in TRACKED]
    for obj in session.dirty:
        if type(obj) in TRACKED:
            action = _action(obj)
            if action:
                rows.append(_row(obj, action))
    rows += [_row(o, ChangeAction.deleted) for o in session.deleted if type(o) in TRACKED]
    if rows:
        session.connection().exec_driver_sql(_INSERT_SQL, [_values(r) for r in rows])


@dataclass(frozen=True)
class Change:
    cursor: str
    event: OutboxEvent


INT64_MAX = 2**63 - 1  # both positions are bigint columns


def encode_cursor(xact_id: int, event_id: int) -> str:
    return base64.urlsafe_b64encode(f"{xact_id}.{event_id}".encode()).decode().rstrip("=")


def decode_cursor(cursor: str | None) -> tuple[int, int]:
    if not cursor:
        return (0, 0)
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)).decode()
        xact, event_id = (int(part) for part in raw.split("."))
        if not (0 <= xact <= INT64_MAX and 0 <= event_id <= INT64_MAX):
            raise ValueError("cursor position out of range")
        return xact, event_id
    except (ValueError, UnicodeDecodeError) as exc:
        raise Unprocessable.field("since", ErrorCode.pagination_cursor_invalid) from exc


# Transactions still running in THIS database that already have an id, plus the next id
# to be assigned: no event can commit later with a smaller transaction id than this.
# Other databases on the server are ignored, so their long transactions do not stall us.
_HORIZON_SQL = text(
    """
    SELECT COALESCE(
        (SELECT min(x::text::bigint)
           FROM pg_snapshot_xip(pg_current_snapshot()) AS x
          WHERE (x::text::bigint % 4294967296) IN (
                SELECT backend_xid::text::bigint FROM pg_stat_activity
                 WHERE datname = current_database() AND backend_xid IS NOT NULL)),
        pg_snapshot_xmax(pg_current_snapshot())::text::bigint)
    """
)


async def safe_horizon(session: AsyncSession) -> int:
    """Events with a transaction id below this are final: committed, or never will be.

    The activity view is re-read after this statement's snapshot (the cleared stats
    snapshot), so a transaction in the snapshot's in-progress list is always seen there.
    """
    await session.execute(text("SELECT pg_stat_clear_snapshot()"))
    return int((await session.execute(_HORIZON_SQL)).scalar_one())


async def read_changes(
    session: AsyncSession, principal: Principal | None, since: str | None, limit: int
) -> tuple[list[Change], str | None]:
    """Changes after `since`, in commit-safe order, scoped to the principal's subtree
    (a member user: the events of its own member record only).

    The returned cursor is the position of the last event served (or `since` when
    nothing new is safe to serve yet): pass it back as `since` to continue.
    """
    xact, event_id = decode_cursor(since)
    stmt = (
        select(OutboxEvent)
        .where(
            tuple_(OutboxEvent.xact_id, OutboxEvent.id) > tuple_(xact, event_id),
            OutboxEvent.xact_id < await safe_horizon(session),
        )
        .order_by(OutboxEvent.xact_id, OutboxEvent.id)
        .limit(limit)
    )
    if principal is not None:
        stmt = stmt.where(principal.scope.filter_any(OutboxEvent.org_path, OutboxEvent.alt_path))
    own = member_rows_only(principal) if principal is not None else None
    if own is not None:  # a member user: the events of its own record only
        stmt = stmt.where(
            OutboxEvent.resource == ChangeResource.member, OutboxEvent.resource_id == own
        )
    rows = list((await session.scalars(stmt)).all())
    changes = [Change(encode_cursor(e.xact_id, e.id), e) for e in rows]
    next_cursor = changes[-1].cursor if changes else (since or None)
    return changes, next_cursor
