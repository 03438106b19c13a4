"""The worker's delivery step: claim due deliveries with `FOR UPDATE SKIP LOCKED` (so
several workers never send one twice at once), send each through its channel, and
record the outcome: delivered, due again after a backoff, or failed for good (after
MAX_ATTEMPTS or a permanent refusal) with the error kept."""

from __future__ import annotations

from dataclasses import dataclass

import httpx
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from app import clock
from app.config import Settings
from app.models.enums import DeliveryState, NotificationChannel
from app.models.notification import Notification, NotificationDelivery
from app.services import wechat
from app.services.integration.webhooks import backoff
from app.services.notifications.addresses import address_of
from app.services.notifications.channels import Permanent, WechatSender, send_email

MAX_ATTEMPTS = 8


@dataclass(frozen=True)
class Sent:
    channel: NotificationChannel
    delivered: bool


async def _claim_due(session: AsyncSession, batch: int) -> list[NotificationDelivery]:
    rows = await session.scalars(
        select(NotificationDelivery)
        .where(
            NotificationDelivery.state == DeliveryState.pending,
            NotificationDelivery.next_attempt_at <= clock.utcnow(),
        )
        .order_by(NotificationDelivery.next_attempt_at, NotificationDelivery.id)
        .limit(batch)
        .with_for_update(skip_locked=True)
    )
    return list(rows.all())


async def _send(
    session: AsyncSession,
    settings: Settings,
    sender: WechatSender,
    delivery: NotificationDelivery,
    n: Notification,
) -> None:
    if delivery.channel == NotificationChannel.email:
        if not settings.smtp_host:
            raise Permanent("email channel not configured")
        address = await address_of(session, n.user_id)
        if address is None:
            raise Permanent("no email address")
        await send_email(settings, address, n)
        return
    openid = await wechat.openid_of(session, n.user_id)
    if openid is None or not settings.wechat_reminder_template_id:
        raise Permanent("WeChat not bound or not configured")
    await sender.send(openid, n)


def _record(delivery: NotificationDelivery, error: str | None, permanent: bool) -> None:
    delivery.attempts += 1
    delivery.last_error = error[:500] if error else None
    if error is None:
        delivery.state = DeliveryState.delivered
        delivery.delivered_at = clock.utcnow()
    elif permanent or delivery.attempts >= MAX_ATTEMPTS:
        delivery.state = DeliveryState.failed
    else:
        delivery.next_attempt_at = clock.utcnow() + backoff(delivery.attempts)


async def deliver_due(
    session: AsyncSession, settings: Settings, client: httpx.AsyncClient, batch: int = 20
) -> list[Sent]:
    """Claim due deliveries (SKIP LOCKED), send them, record each outcome."""
    sender = WechatSender(settings, client)
    out: list[Sent] = []
    for delivery in await _claim_due(session, batch):
        n = await session.get(Notification, delivery.notification_id)
        assert n is not None  # the delivery's row cascades with its notification
        error, permanent = None, False
        try:
            await _send(session, settings, sender, delivery, n)
        except Permanent as exc:
            error, permanent = str(exc), True
        except Exception as exc:  # connection refused, timeout, 4xx/5xx: try again later
            error = f"{type(exc).__name__}: {exc}"
        _record(delivery, error, permanent)
        out.append(Sent(NotificationChannel(delivery.channel), error is None))
    await session.flush()
    return out
