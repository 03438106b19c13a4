"""The one writer of notifications: a message to a user in their inbox, and one pending
delivery per channel the user can be reached by (an email address set, WeChat bound and
the channel configured on this server)."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import date

from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from app.config import Settings
from app.models.base import new_uuid
from app.models.enums import DeliveryState, NotificationChannel
from app.models.notification import Notification, NotificationAddress, NotificationDelivery
from app.services import wechat


@dataclass(frozen=True)
class Message:
    kind: str  # a to-do kind for a reminder
    title: str
    body: str
    resource: str | None = None
    resource_id: uuid.UUID | None = None
    due_on: date | None = None


async def channels_of(
    session: AsyncSession, settings: Settings, user_id: uuid.UUID
) -> list[NotificationChannel]:
    """The channels that reach this user now, beside the inbox."""
    out: list[NotificationChannel] = []
    if settings.smtp_host and await session.get(NotificationAddress, user_id) is not None:
        out.append(NotificationChannel.email)
    wechat_on = bool(settings.wechat_reminder_template_id and settings.wechat_app_id)
    if wechat_on and await wechat.binding_of(session, user_id) is not None:
        out.append(NotificationChannel.wechat)
    return out


async def notify(
    session: AsyncSession,
    settings: Settings,
    user_id: uuid.UUID,
    message: Message,
    *,
    item_key: str | None = None,
    day: date | None = None,
) -> uuid.UUID | None:
    """Write the notification and its deliveries. With an item key and a day, a second
    call for the same (user, item, day) writes nothing and answers None (the unique key
    decides, so two workers racing write it once)."""
    stmt = (
        insert(Notification)
        .values(
            id=new_uuid(),
            user_id=user_id,
            kind=message.kind,
            title=message.title,
            body=message.body,
            resource=message.resource,
            resource_id=message.resource_id,
            due_on=message.due_on,
            item_key=item_key,
            day=day,
        )
        .on_conflict_do_nothing(constraint="uq_notifications_user_item_day")
        .returning(Notification.id)
    )
    notification_id = await session.scalar(stmt)
    if notification_id is None:
        return None
    for channel in await channels_of(session, settings, user_id):
        session.add(
            NotificationDelivery(
                notification_id=notification_id,
                channel=channel,
                state=DeliveryState.pending,
                attempts=0,
            )
        )
    await session.flush()
    return notification_id
