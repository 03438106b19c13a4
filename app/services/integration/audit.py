"""Audit trail (审计): every write and every unmasked PII read, in the same transaction."""

from __future__ import annotations

import uuid
from datetime import date, datetime
from typing import Any

import orjson
from sqlalchemy import Select, event, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import Session, SessionTransaction

from app import db
from app.logging import request_id_var
from app.models.audit import AuditEvent
from app.models.enums import AuditResource, Role
from app.pagination import Page, paginate, parse_sort
from app.security.scope import Principal, require_role, under
from app.sessions import rollback_hooks


def _jsonable(value: Any) -> Any:
    if isinstance(value, uuid.UUID | date | datetime):
        return value.isoformat() if not isinstance(value, uuid.UUID) else str(value)
    if isinstance(value, bytes):
        return None  # ciphertexts never go into the audit trail
    return value


def snapshot(obj: object, fields: tuple[str, ...]) -> dict[str, Any]:
    """The audited fields of a record, as JSON."""
    return {name: _jsonable(getattr(obj, name)) for name in fields}


def record(
    session: AsyncSession,
    principal: Principal | None,
    action: str,
    resource: str,
    resource_id: object,
    org_path: str | None,
    *,
    before: dict[str, Any] | None = None,
    after: dict[str, Any] | None = None,
) -> None:
    """Append one audit event to the current transaction, written when it commits.

    The rows wait in `session.info` and go out as one multi-row INSERT just before
    the outermost COMMIT (no ORM unit of work per event: a read that reveals PII
    costs one plain INSERT). A savepoint that rolls back drops the events recorded
    inside it; a transaction that rolls back drops them all.

    `resource` is one of `AuditResource` (the list the audit filter offers): any other
    name is refused here, before it is written.
    """
    event = _event(principal, action, resource, resource_id, org_path, before, after)
    _pending(session).append(event)


def _event(
    principal: Principal | None,
    action: str,
    resource: str,
    resource_id: object,
    org_path: str | None,
    before: dict[str, Any] | None,
    after: dict[str, Any] | None,
) -> dict[str, Any]:
    named = AuditResource(resource)  # ValueError for a name not in the list
    return {
        "actor_id": principal.user_id if principal else None,
        "actor_username": principal.username if principal else None,
        "action": action,
        "resource": named.value,
        "resource_id": str(resource_id) if resource_id is not None else None,
        "org_path": org_path,
        "before": before,
        "after": after,
        "request_id": request_id_var.get(),
    }


def event_values(
    session: AsyncSession,
    principal: Principal | None,
    action: str,
    resource: str,
    resource_id: object,
    org_path: str | None,
    *,
    before: dict[str, Any] | None = None,
    after: dict[str, Any] | None = None,
) -> tuple[Any, ...] | None:
    """The parameters of one event written by the caller's own statement (`event_cte`),
    as `record` would write it; None when it must go through `record` instead: events
    recorded earlier in this transaction still wait for the commit, and the order of
    ids is the order events were recorded in."""
    if _pending(session):
        return None
    return _values(_event(principal, action, resource, resource_id, org_path, before, after))


def event_cte(rows: str, first: int, path_from: str | None = None) -> str:
    """`<rows>_audit`, a CTE of the caller's statement that writes one audit event (its
    values the parameters `$first`..., `event_values`) when the CTE `rows` has a row
    (a change it wrote, a record it read): the statement and its audit row in one round
    trip instead of two. The event is part of the statement, so it goes or stays with
    the change (a savepoint or transaction rolled back drops it). `path_from`: the
    event's organisation path is that column of `rows` (a record read by id, whose path
    is known only once read), else its parameter."""
    params = [f"${first + i}::{kind}" for i, kind in enumerate(_INSERT_TYPES)]
    if path_from is not None:
        at = _INSERT_COLUMNS.index("org_path")
        params[at] = f"COALESCE((SELECT {path_from} FROM {rows}), {params[at]})"  # noqa: S608  # the caller's constant names
    return (
        f"{rows}_audit AS ({_INSERT_INTO} SELECT {', '.join(params)}"  # noqa: S608  # constant text
        f" WHERE EXISTS (SELECT FROM {rows}))"
    )


_PENDING = "dangjian.audit.pending"
_MARKS = "dangjian.audit.savepoint_marks"


def _pending(session: Session | AsyncSession) -> list[dict[str, Any]]:
    rows: list[dict[str, Any]] = session.info.setdefault(_PENDING, [])
    return rows


def _drop_all(info: dict[str, Any]) -> None:
    """The outermost transaction ended: committed rows were written, others dropped."""
    info.get(_PENDING, []).clear()
    info.pop(_MARKS, None)


# A request session that rolls back before its ORM session exists (`app.sessions`).
rollback_hooks.append(_drop_all)


@event.listens_for(Session, "after_transaction_create")
def _mark_savepoint(session: Session, transaction: SessionTransaction) -> None:
    if transaction.nested:
        session.info.setdefault(_MARKS, {})[id(transaction)] = len(_pending(session))


@event.listens_for(Session, "after_soft_rollback")
def _drop_rolled_back(session: Session, previous: SessionTransaction) -> None:
    # Fires after `after_transaction_end` of the same transaction, so marks live until here.
    pending = _pending(session)
    if previous.nested:
        mark = session.info.get(_MARKS, {}).pop(id(previous), None)
        if mark is not None:
            del pending[mark:]
    elif previous.parent is None:
        pending.clear()


@event.listens_for(Session, "after_transaction_end")
def _forget(session: Session, transaction: SessionTransaction) -> None:
    if transaction.parent is None and not transaction.nested:
        _drop_all(session.info)


_INSERT_COLUMNS = (
    "actor_id", "actor_username", "action", "resource", "resource_id", "org_path", "before",
    "after", "request_id",
)  # fmt: skip
_INSERT_INTO = f"INSERT INTO audit_events ({', '.join(_INSERT_COLUMNS)})"
_INSERT_SQL = _INSERT_INTO + " VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)"
# The columns' types, for parameters that no VALUES list types (`event_cte`).
_INSERT_TYPES = ("uuid", "text", "text", "text", "text", "text", "jsonb", "jsonb", "text")
# How many parameters an event of `event_cte` takes (`event_values`).
EVENT_PARAMETERS = len(_INSERT_TYPES)


def _jsonb(value: dict[str, Any] | None) -> str | None:
    return None if value is None else orjson.dumps(value).decode()


def _values(e: dict[str, Any]) -> tuple[Any, ...]:
    """The parameters of `_INSERT_SQL`, the one statement that writes audit events."""
    return (
        e["actor_id"],
        e["actor_username"],
        e["action"],
        e["resource"],
        e["resource_id"],
        e["org_path"],
        _jsonb(e["before"]),
        _jsonb(e["after"]),
        e["request_id"],
    )


async def write_pending(session: AsyncSession) -> None:
    """Write the transaction's pending events now, on the driver connection.

    The request route calls this just before its commit: one plain INSERT on asyncpg
    instead of SQLAlchemy's executemany machinery, which cost a tenth of the CPU of a
    member read. Inside a savepoint nothing is written (the events wait for the
    outermost commit, as with the commit hook below, which writes whatever is left).
    """
    if session.in_nested_transaction():
        return
    pending = session.info.get(_PENDING)
    if not pending:
        return
    rows = [_values(e) for e in pending]
    if len(rows) == 1:
        # A read's one audit row is its only write: a transaction by itself.
        await db.execute_alone(session, _INSERT_SQL, *rows[0])
    else:
        await db.executemany(session, _INSERT_SQL, rows)
    pending.clear()


@event.listens_for(Session, "before_commit")
def _write_pending(session: Session) -> None:
    if session.in_nested_transaction():
        return  # a savepoint is released: its events wait for the outermost commit
    pending = session.info.get(_PENDING)
    if pending:
        # The same statement as `write_pending`, through the ORM's (synchronous) connection.
        session.connection().exec_driver_sql(_INSERT_SQL, [_values(e) for e in pending])
        pending.clear()


AUDIT_SORT = "-id"  # newest first; `id` for oldest first


async def list_events(
    session: AsyncSession,
    principal: Principal,
    *,
    within_path: str | None,
    actor: str | None,
    resource: AuditResource | None,
    resource_id: str | None,
    since: datetime | None,
    limit: int | None,
    cursor: str | None,
    sort: str | None = None,
    include_total: bool = False,
) -> Page[AuditEvent]:
    """Audit events in the caller's subtree, newest first (auditors and admins)."""
    require_role(principal, Role.org_admin, Role.auditor)
    stmt: Select[AuditEvent] = select(AuditEvent).where(principal.scope.filter(AuditEvent.org_path))
    if within_path is not None:
        stmt = stmt.where(under(AuditEvent.org_path, within_path))
    if actor is not None:
        stmt = stmt.where(AuditEvent.actor_username == actor)
    if resource is not None:
        stmt = stmt.where(AuditEvent.resource == resource)
    if resource_id is not None:
        stmt = stmt.where(AuditEvent.resource_id == resource_id)
    if since is not None:
        stmt = stmt.where(AuditEvent.occurred_at >= since)
    # Ids are UUIDv7, so id order is the order the events were written.
    keys = parse_sort(sort, {}, AuditEvent.id, default=AUDIT_SORT)
    return await paginate(
        session, stmt, keys, limit=limit, cursor=cursor, include_total=include_total
    )
