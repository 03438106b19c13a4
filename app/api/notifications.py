"""My notifications (`/me/notifications`, 我的消息): the in-app inbox, read receipts, the
unread count for a badge, and the email address reminders go to. Every route reads or
writes the caller's own rows only."""

from __future__ import annotations

import uuid

from app.api.common import CursorQuery, LimitQuery, TotalQuery, doc, make_router, sort_query
from app.api.deps import PrincipalDep, SessionDep
from app.errors import ErrorCode, Forbidden
from app.models.notification import Notification
from app.schemas.common import Page
from app.schemas.notifications import (
    NotificationAddressRead,
    NotificationAddressWrite,
    NotificationRead,
    UnreadCount,
)
from app.schemas.todos import TodoLink
from app.services import notifications as service

router = make_router("me")


def notification_read(n: Notification) -> NotificationRead:
    link = (
        TodoLink(resource=n.resource, id=n.resource_id)
        if n.resource is not None and n.resource_id is not None
        else None
    )
    return NotificationRead(
        id=n.id, kind=n.kind, title=n.title, body=n.body, link=link, due_on=n.due_on,
        created_at=n.created_at, read_at=n.read_at,
    )  # fmt: skip


@router.get(
    "/me/notifications",
    name="me_notifications_list",
    description=doc(service.list_notifications),
)
async def me_notifications_list(
    session: SessionDep,
    principal: PrincipalDep,
    unread: bool | None = None,
    sort: str = sort_query(service.NOTIFICATION_SORT, *service.NOTIFICATION_SORTABLE),
    limit: LimitQuery = None,
    cursor: CursorQuery = None,
    include_total: TotalQuery = False,
) -> Page[NotificationRead]:
    page = await service.list_notifications(
        session, principal, unread=unread, limit=limit, cursor=cursor, sort=sort,
        include_total=include_total,
    )  # fmt: skip
    items = [notification_read(n) for n in page.items]
    return Page(items=items, next_cursor=page.next_cursor, total=page.total)


@router.get(
    "/me/notifications/unread-count",
    name="me_notifications_unread",
    description=doc(service.unread_count),
)
async def me_notifications_unread(session: SessionDep, principal: PrincipalDep) -> UnreadCount:
    return UnreadCount(unread=await service.unread_count(session, principal))


@router.post(
    "/me/notifications/{notification_id}/read",
    name="me_notifications_read",
    description=doc(service.mark_read),
)
async def me_notifications_read(
    notification_id: uuid.UUID, session: SessionDep, principal: PrincipalDep
) -> NotificationRead:
    return notification_read(await service.mark_read(session, principal, notification_id))


def _user_id(principal: PrincipalDep) -> uuid.UUID:
    if principal.user_id is None:  # the console operator has no inbox
        raise Forbidden(ErrorCode.auth_forbidden)
    return principal.user_id


@router.get("/me/notification-address", name="me_notification_address_get")
async def me_notification_address_get(
    session: SessionDep, principal: PrincipalDep
) -> NotificationAddressRead:
    """Where my email reminders go (null: no email, the inbox and WeChat only)."""
    return NotificationAddressRead(email=await service.address_of(session, _user_id(principal)))


@router.put(
    "/me/notification-address",
    name="me_notification_address_set",
    description=doc(service.set_address),
)
async def me_notification_address_set(
    body: NotificationAddressWrite, session: SessionDep, principal: PrincipalDep
) -> NotificationAddressRead:
    await service.set_address(session, _user_id(principal), body.email)
    return NotificationAddressRead(email=body.email)
