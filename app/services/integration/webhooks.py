"""Webhooks (事件推送): subscriptions, signed deliveries, retries, the worker's steps.

PostgreSQL is the queue. The worker fans new outbox events out to matching
subscriptions (advancing a cursor with the change feed's commit-safe rule), then
claims due deliveries with `FOR UPDATE SKIP LOCKED`, so several workers run in
parallel without sending one delivery twice at once. A delivery waits while an
earlier delivery of the same resource to the same subscription is undelivered:
order per resource holds, and each event is delivered at least once.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import secrets
import time
import uuid
from dataclasses import dataclass
from datetime import timedelta

import httpx
from sqlalchemy import exists, select, tuple_
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import aliased

from app import clock
from app.config import get_settings
from app.errors import ErrorCode, Unprocessable
from app.i18n import Text
from app.models.base import new_uuid
from app.models.enums import DeliveryState, Role
from app.models.outbox import OutboxEvent
from app.models.webhook import OutboxCursor, WebhookDelivery, WebhookSubscription
from app.security import targets
from app.security.pii import pii_cipher
from app.security.scope import Principal, is_under, load_visible, require_role
from app.services import organisations
from app.services.integration import audit, changes
from app.services.integration.changes import safe_horizon

SECRET_FIELD = "webhook.secret"
FANOUT = "webhook-fanout"
MAX_ATTEMPTS = 10
# What a subscription may name (or "*"): the change feed's catalogue.
EVENT_TYPES = sorted(changes.EVENT_TYPES)


def sign(secret: str, timestamp: int, body: bytes) -> str:
    """HMAC-SHA256 over `<timestamp>.<body>`, hex: the `v1` of `Dangjian-Signature`."""
    message = str(timestamp).encode() + b"." + body
    return hmac.new(secret.encode(), message, hashlib.sha256).hexdigest()


def backoff(attempts: int) -> timedelta:
    """1 s, 2 s, 4 s ... capped at one hour."""
    return timedelta(seconds=min(2 ** max(attempts - 1, 0), 3600))


async def subscribe(
    session: AsyncSession,
    principal: Principal,
    org_id: uuid.UUID,
    url: str,
    event_types: list[str],
) -> tuple[WebhookSubscription, str]:
    """Subscribe a URL to event types in an organisation's subtree: names of the change
    feed's catalogue (`member.created`, `member.rewarded`, ...) or `*` for all of them.

    The signing secret is returned once, now; deliveries carry
    `Dangjian-Signature: t=<unix time>,v1=<hex HMAC-SHA256 of "t.body">`. The
    organisation is one the principal may see (else 404 naming `org_id`).
    """
    org = await organisations.get_visible(
        session, principal, org_id, field="org_id", copies_path=True
    )
    require_role(principal, Role.org_admin)
    unknown = sorted(set(event_types) - set(EVENT_TYPES) - {"*"})
    if unknown:
        raise Unprocessable.field(
            "event_types",
            ErrorCode.webhook_event_type_unknown,
            Text(zh=f"未知的事件类型：{unknown}", en=f"unknown: {unknown}"),
        )
    await check_target(url)
    secret = "whsec_" + secrets.token_urlsafe(32)
    subscription = WebhookSubscription(
        org_id=org.id,
        org_path=org.path,
        url=url,
        event_types=sorted(set(event_types)),
        secret_enc=pii_cipher().encrypt(secret, field=SECRET_FIELD),
        active=True,
        created_by=principal.user_id,
    )
    session.add(subscription)
    await session.flush()
    audit.record(
        session, principal, "webhook.subscribed", "webhook", subscription.id, org.path,
        after={"url": url, "event_types": subscription.event_types},
    )  # fmt: skip
    return subscription, secret


async def check_target(url: str) -> None:
    """Registration's check: an http(s) URL whose host (literal or every address it
    resolves to now) is public or allowed. A name that does not resolve yet is
    accepted: delivery resolves and checks again before every attempt."""
    try:
        await targets.checked_addresses(get_settings(), url)
    except targets.TargetInvalid as exc:
        raise Unprocessable.field(
            "url",
            ErrorCode.webhook_url_invalid,
            Text(zh="须为带主机名的 http 或 https 地址", en=str(exc)),
        ) from exc
    except targets.TargetForbidden as exc:
        raise Unprocessable.field(
            "url",
            ErrorCode.webhook_target_forbidden,
            Text(zh="不允许连接该地址（内网、回环、保留或非标准写法的地址）", en=str(exc)),
        ) from exc
    except targets.TargetUnresolved:
        pass


async def get_visible(
    session: AsyncSession, principal: Principal, subscription_id: uuid.UUID
) -> WebhookSubscription:
    subscription = await load_visible(session, principal, WebhookSubscription, subscription_id)
    require_role(principal, Role.org_admin, Role.auditor)
    return subscription


async def unsubscribe(
    session: AsyncSession, principal: Principal, subscription: WebhookSubscription
) -> None:
    """Delete a subscription; pending deliveries are dropped with it."""
    require_role(principal, Role.org_admin)
    await session.delete(subscription)
    await session.flush()
    audit.record(
        session, principal, "webhook.deleted", "webhook", subscription.id, subscription.org_path
    )


async def list_subscriptions(
    session: AsyncSession, principal: Principal
) -> list[WebhookSubscription]:
    require_role(principal, Role.org_admin, Role.auditor)
    stmt = select(WebhookSubscription).order_by(WebhookSubscription.created_at)
    stmt = stmt.where(principal.scope.filter(WebhookSubscription.org_path))
    return list((await session.scalars(stmt)).all())


async def deliveries(
    session: AsyncSession, subscription: WebhookSubscription, limit: int
) -> list[tuple[WebhookDelivery, OutboxEvent]]:
    rows = await session.execute(
        select(WebhookDelivery, OutboxEvent)
        .join(OutboxEvent, OutboxEvent.id == WebhookDelivery.event_id)
        .where(WebhookDelivery.subscription_id == subscription.id)
        .order_by(WebhookDelivery.created_at.desc(), WebhookDelivery.event_id.desc())
        .limit(limit)
    )
    return [(d, e) for d, e in rows.all()]


# --- The worker's steps ----------------------------------------------------------------------


async def fan_out(session: AsyncSession, batch: int = 500) -> int:
    """Turn new outbox events into deliveries for the subscriptions that match them.

    Returns how many events the cursor passed (0: nothing new is final yet), so a caller
    draining a backlog loops until 0 even when no subscription wanted a whole batch."""
    await session.execute(
        insert(OutboxCursor).values(consumer=FANOUT, xact_id=0, event_id=0).on_conflict_do_nothing()
    )
    cursor = await session.scalar(
        select(OutboxCursor).where(OutboxCursor.consumer == FANOUT).with_for_update()
    )
    assert cursor is not None
    events = list(
        (
            await session.scalars(
                select(OutboxEvent)
                .where(
                    tuple_(OutboxEvent.xact_id, OutboxEvent.id)
                    > tuple_(cursor.xact_id, cursor.event_id),
                    OutboxEvent.xact_id < await safe_horizon(session),
                )
                .order_by(OutboxEvent.xact_id, OutboxEvent.id)
                .limit(batch)
            )
        ).all()
    )
    if not events:
        return 0
    subscriptions = list(
        (
            await session.scalars(
                select(WebhookSubscription).where(WebhookSubscription.active.is_(True))
            )
        ).all()
    )
    rows = []
    for e in events:
        for s in subscriptions:
            wanted = "*" in s.event_types or e.event_type in s.event_types
            inside = is_under(e.org_path, s.org_path) or (
                e.alt_path is not None and is_under(e.alt_path, s.org_path)
            )
            if wanted and inside:
                rows.append(
                    {
                        "id": new_uuid(),
                        "subscription_id": s.id,
                        "event_id": e.id,
                        "resource_id": e.resource_id,
                        "seq_xact": e.xact_id,
                        "state": "pending",
                        "attempts": 0,
                    }
                )
    if rows:
        await session.execute(insert(WebhookDelivery).values(rows).on_conflict_do_nothing())
    cursor.xact_id, cursor.event_id = events[-1].xact_id, events[-1].id
    await session.flush()
    return len(events)


def _body(event: OutboxEvent) -> bytes:
    return json.dumps(
        {
            "id": event.id,
            "type": event.event_type,
            "resource": event.resource,
            "resource_id": str(event.resource_id),
            "version": event.version,
            "occurred_at": event.occurred_at.isoformat(),
            "data": event.payload,
        },
        ensure_ascii=False,
        separators=(",", ":"),
    ).encode()


@dataclass(frozen=True)
class Attempt:
    delivery_id: uuid.UUID
    status: int | None
    delivered: bool


async def _claim_due(session: AsyncSession, batch: int) -> list[WebhookDelivery]:
    """Due pending deliveries, oldest first, none behind an earlier pending one for the
    same subscription and resource (per-resource order), locked with SKIP LOCKED."""
    earlier = aliased(WebhookDelivery)
    blocked = exists().where(
        earlier.subscription_id == WebhookDelivery.subscription_id,
        earlier.resource_id == WebhookDelivery.resource_id,
        earlier.state == DeliveryState.pending,
        tuple_(earlier.seq_xact, earlier.event_id)
        < tuple_(WebhookDelivery.seq_xact, WebhookDelivery.event_id),
    )
    rows = await session.scalars(
        select(WebhookDelivery)
        .where(
            WebhookDelivery.state == DeliveryState.pending,
            WebhookDelivery.next_attempt_at <= clock.utcnow(),
            ~blocked,
        )
        .order_by(WebhookDelivery.seq_xact, WebhookDelivery.event_id)
        .limit(batch)
        .with_for_update(skip_locked=True)
    )
    return list(rows.all())


async def _send(
    client: httpx.AsyncClient,
    delivery: WebhookDelivery,
    subscription: WebhookSubscription,
    event: OutboxEvent,
) -> tuple[int | None, str | None]:
    """POST the signed event; (HTTP status or None, error text or None when delivered)."""
    body = _body(event)
    timestamp = int(time.time())
    secret = pii_cipher().decrypt(subscription.secret_enc, field=SECRET_FIELD)
    headers = {
        "Content-Type": "application/json",
        "Dangjian-Event": event.event_type,
        "Dangjian-Delivery": str(delivery.id),
        "Dangjian-Signature": f"t={timestamp},v1={sign(secret, timestamp, body)}",
    }
    try:
        # Resolved and checked now, and sent to the checked address (no redirects).
        target, addresses = await targets.checked_addresses(get_settings(), subscription.url)
        url, host, extensions = targets.pinned(subscription.url, target, addresses[0])
        response = await client.post(
            url,
            content=body,
            headers=headers | host,
            extensions=extensions,
            follow_redirects=False,
        )
    except (targets.TargetInvalid, targets.TargetForbidden, targets.TargetUnresolved) as exc:
        return None, f"target refused: {exc}"[:500]
    except httpx.HTTPError as exc:
        return None, f"{type(exc).__name__}: {exc}"[:500]
    status = response.status_code
    return status, None if 200 <= status < 300 else f"HTTP {status}"


def _record_outcome(delivery: WebhookDelivery, status: int | None, error: str | None) -> None:
    """Delivered, failed for good after MAX_ATTEMPTS, or due again after the backoff."""
    delivery.last_status = status
    delivery.last_error = error
    if error is None:
        delivery.state = DeliveryState.delivered
        delivery.delivered_at = clock.utcnow()
    elif delivery.attempts >= MAX_ATTEMPTS:
        delivery.state = DeliveryState.failed
    else:
        delivery.next_attempt_at = clock.utcnow() + backoff(delivery.attempts)


async def deliver_due(
    session: AsyncSession, client: httpx.AsyncClient, batch: int = 20
) -> list[Attempt]:
    """Claim due deliveries (SKIP LOCKED), send them signed, record the outcome."""
    attempts = []
    for delivery in await _claim_due(session, batch):
        subscription = await session.get(WebhookSubscription, delivery.subscription_id)
        event = await session.get(OutboxEvent, delivery.event_id)
        assert subscription is not None and event is not None
        delivery.attempts += 1
        status, error = await _send(client, delivery, subscription, event)
        _record_outcome(delivery, status, error)
        attempts.append(Attempt(delivery.id, status, error is None))
    await session.flush()
    return attempts
