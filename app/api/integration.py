"""Integration endpoints: the change feed and webhooks."""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import Query, Response, status

from app.api.common import (
    API_PREFIX,
    TotalQuery,
    doc,
    make_router,
    sort_query,
    whole_list_order,
    whole_page,
)
from app.api.deps import PrincipalDep, SessionDep
from app.schemas.common import Page
from app.schemas.integration import (
    ChangePage,
    ChangeRead,
    DeliveryRead,
    WebhookCreate,
    WebhookCreated,
    WebhookRead,
)
from app.services.integration import changes
from app.services.integration import webhooks as service

router = make_router("integration")


@router.get("/changes", name="changes_list", description=doc(changes.read_changes))
async def changes_list(
    session: SessionDep,
    principal: PrincipalDep,
    since: str | None = None,
    limit: Annotated[int, Query(ge=1, le=1000)] = 100,
    sort: str = sort_query("commit"),
) -> ChangePage:
    whole_list_order(sort, "commit")
    rows, cursor = await changes.read_changes(session, principal, since, limit)
    return ChangePage(
        items=[
            ChangeRead(
                cursor=c.cursor,
                resource=c.event.resource,
                resource_id=c.event.resource_id,
                action=changes.action_of(c.event.event_type),
                event_type=c.event.event_type,
                version=c.event.version,
                occurred_at=c.event.occurred_at,
            )
            for c in rows
        ],
        next_cursor=cursor,
    )


@router.post(
    "/webhooks",
    name="webhooks_create",
    status_code=status.HTTP_201_CREATED,
    description=doc(service.subscribe),
)
async def webhooks_create(
    body: WebhookCreate, response: Response, session: SessionDep, principal: PrincipalDep
) -> WebhookCreated:
    subscription, secret = await service.subscribe(
        session, principal, body.org_id, body.url, body.event_types
    )
    response.headers["Location"] = f"{API_PREFIX}/webhooks/{subscription.id}"
    return WebhookCreated(
        **WebhookRead.model_validate(subscription, from_attributes=True).model_dump(), secret=secret
    )


@router.get("/webhooks", name="webhooks_list")
async def webhooks_list(
    session: SessionDep,
    principal: PrincipalDep,
    sort: str = sort_query("created_at"),
    include_total: TotalQuery = False,
) -> Page[WebhookRead]:
    """Subscriptions in your subtree, oldest first (one page: all of them; secrets are
    never shown again)."""
    whole_list_order(sort, "created_at")
    subscriptions = await service.list_subscriptions(session, principal)
    return whole_page(
        [WebhookRead.model_validate(s, from_attributes=True) for s in subscriptions],
        include_total,
    )


@router.delete(
    "/webhooks/{webhook_id}",
    name="webhooks_delete",
    status_code=status.HTTP_204_NO_CONTENT,
    description=doc(service.unsubscribe),
)
async def webhooks_delete(
    webhook_id: uuid.UUID, session: SessionDep, principal: PrincipalDep
) -> Response:
    subscription = await service.get_visible(session, principal, webhook_id)
    await service.unsubscribe(session, principal, subscription)
    return Response(status_code=status.HTTP_204_NO_CONTENT)


@router.get("/webhooks/{webhook_id}/deliveries", name="webhooks_deliveries")
async def webhooks_deliveries(
    webhook_id: uuid.UUID,
    session: SessionDep,
    principal: PrincipalDep,
    limit: Annotated[int, Query(ge=1, le=500, description="How many, newest first.")] = 100,
    sort: str = sort_query("-created_at"),
    include_total: TotalQuery = False,
) -> Page[DeliveryRead]:
    """The delivery log, newest first: attempts, last status, next retry. One page of the
    `limit` newest deliveries (no `next_cursor`); `total` counts that page."""
    whole_list_order(sort, "-created_at")
    subscription = await service.get_visible(session, principal, webhook_id)
    items = [
        DeliveryRead.model_validate(
            {
                **{k: getattr(d, k) for k in DeliveryRead.model_fields if hasattr(d, k)},
                "event_type": e.event_type,
            }
        )
        for d, e in await service.deliveries(session, subscription, limit)
    ]
    return whole_page(items, include_total)
