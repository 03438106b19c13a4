"""The in-app inbox (站内消息): a user's own notifications, newest first, with read
receipts. Only the addressee reads, counts or marks a notification: another user's id
answers 404 as an absent one does."""

from __future__ import annotations

import uuid

from sqlalchemy import Select, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from app import clock
from app.errors import ErrorCode
from app.models.notification import Notification
from app.pagination import Page, paginate, parse_sort
from app.security.scope import Principal, not_found

NOTIFICATION_SORT = "-created_at"
NOTIFICATION_SORTABLE = {"created_at": Notification.created_at}


def _own(principal: Principal) -> Select[Notification]:
    # The console operator (no user) has no inbox: the nil id matches nothing.
    user_id = principal.user_id or uuid.UUID(int=0)
    return select(Notification).where(Notification.user_id == user_id)


async def list_notifications(
    session: AsyncSession,
    principal: Principal,
    *,
    unread: bool | None,
    limit: int | None,
    cursor: str | None,
    sort: str | None,
    include_total: bool,
) -> Page[Notification]:
    """My notifications (reminders of my to-dos among them), newest first; `unread=true`
    leaves out those I have read."""
    stmt = _own(principal)
    if unread is True:
        stmt = stmt.where(Notification.read_at.is_(None))
    elif unread is False:
        stmt = stmt.where(Notification.read_at.is_not(None))
    keys = parse_sort(sort, NOTIFICATION_SORTABLE, Notification.id, default=NOTIFICATION_SORT)
    return await paginate(
        session, stmt, keys, limit=limit, cursor=cursor, include_total=include_total
    )


async def unread_count(session: AsyncSession, principal: Principal) -> int:
    """How many of my notifications I have not read (for a badge)."""
    stmt = _own(principal).where(Notification.read_at.is_(None)).subquery()
    return int(await session.scalar(select(func.count()).select_from(stmt)) or 0)


async def mark_read(
    session: AsyncSession, principal: Principal, notification_id: uuid.UUID
) -> Notification:
    """Record that I read it (the first time counts; reading again changes nothing)."""
    row = await session.scalar(
        _own(principal).where(Notification.id == notification_id).with_for_update()
    )
    if row is None:
        raise not_found(ErrorCode.notification_not_found)
    if row.read_at is None:
        row.read_at = clock.utcnow()
        await session.flush()
    return row
