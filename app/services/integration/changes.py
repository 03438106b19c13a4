"""Change capture and the change feed (变更订阅).

Every create, update, delete and state change of the resources integrators sync
is written to the outbox by a flush hook, in the same transaction as the change.
The feed serves events in (transaction id, event id) order and only from
transactions older than the oldest one still running in this database (or the next
id to be assigned), so an event that commits after a later-numbered one is never
skipped.
"""

from __future__ import annotations

import base64
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import orjson
from asyncpg import Record
from sqlalchemy import event, inspect, select, text, tuple_
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import Session

from app import db
from app.errors import ErrorCode, Unprocessable
from app.models.grid import Grid
from app.models.lifecycle import Transfer
from app.models.meeting import Meeting
from app.models.member import Member
from app.models.mobile import MobileEpisode
from app.models.organisation import Organisation
from app.models.outbox import OutboxEvent
from app.models.points import PointEntry
from app.security.scope import Principal, member_rows_only

# model -> (resource name, state attribute, main path attribute, other-side path attribute)
TRACKED: dict[type[Any], tuple[str, str | None, str, str | None]] = {
    Organisation: ("organisation", "dissolved_on", "path", None),
    Member: ("member", "status", "org_path", None),
    Transfer: ("transfer", "state", "from_path", "to_path"),
    Meeting: ("meeting", "state", "org_path", None),
    PointEntry: ("point_entry", "state", "org_path", None),
    MobileEpisode: ("mobile_episode", "state", "home_path", "host_path"),
    Grid: ("grid", None, "org_path", None),
}


def _row(obj: Any, action: str, model: type[Any] | None = None) -> dict[str, Any]:
    resource, _, path_attr, alt_attr = TRACKED[model or type(obj)]
    get = (
        obj.get
        if isinstance(obj, Mapping | Record)
        else lambda name, default=None: getattr(obj, name, default)
    )
    return {
        "event_type": f"{resource}.{action}",
        "resource": resource,
        "resource_id": get("id"),
        "org_path": get(path_attr),
        "alt_path": get(alt_attr) if alt_attr else None,
        "version": get("version", None),
        "payload": {},
    }


def _action(obj: Any) -> str | None:
    _, state_attr, _, _ = TRACKED[type(obj)]
    attrs = inspect(obj).attrs
    changed = [a.key for a in attrs if a.history.has_changes()]
    if not changed:
        return None
    if state_attr is not None and state_attr in changed:
        return "state_changed"
    return "updated"


# The one statement that writes the outbox; `_values` gives its parameters.
_INSERT_SQL = (
    "INSERT INTO outbox_events (event_type, resource, resource_id, org_path, alt_path, "
    "version, payload) VALUES ($1, $2, $3, $4, $5, $6, $7)"
)


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


async def record_created(session: AsyncSession, model: type[Any], rows: Sequence[Any]) -> None:
    """`created` events for rows of `model` inserted without the ORM, which the flush
    hook below never sees (bulk imports; point entries inserted ON CONFLICT DO NOTHING).
    `rows` need the model's attributes: instances, stand-ins, or mappings of columns."""
    await write(session, [_row(r, "created", model) for r in rows])


async def record_event(
    session: AsyncSession,
    obj: Any,
    event_type: str,
    payload: dict[str, Any],
    *,
    alt_path: str | None = None,
) -> None:
    """A domain event about a tracked record beside its row changes (`meeting.finalized`
    with the attendance), carrying `payload` to integrators. `alt_path` files it under a
    second subtree as well (a move: the subtree it left)."""
    row = {**_row(obj, "event"), "event_type": event_type, "payload": payload}
    if alt_path is not None:
        row["alt_path"] = alt_path
    await write(session, [row])


@event.listens_for(Session, "after_flush")
def _capture(session: Session, flush_context: Any) -> None:
    rows = [_row(o, "created") for o in session.new if type(o) in TRACKED]
    for obj in session.dirty:
        if type(obj) in TRACKED:
            action = _action(obj)
            if action:
                rows.append(_row(obj, action))
    rows += [_row(o, "deleted") for o in session.deleted if type(o) in TRACKED]
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
        stmt = stmt.where(OutboxEvent.resource == "member", OutboxEvent.resource_id == own)
    rows = list((await session.scalars(stmt)).all())
    changes = [Change(encode_cursor(e.xact_id, e.id), e) for e in rows]
    next_cursor = changes[-1].cursor if changes else (since or None)
    return changes, next_cursor
