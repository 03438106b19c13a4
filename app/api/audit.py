"""Audit events (auditors and admins)."""

from __future__ import annotations

import uuid
from datetime import datetime

from app.api.common import (
    CursorQuery,
    LimitQuery,
    TotalQuery,
    doc,
    envelope,
    make_router,
    sort_query,
)
from app.api.deps import PrincipalDep, SessionDep
from app.models.enums import AuditResource
from app.schemas.audit import AuditEventRead
from app.schemas.common import Page
from app.services import organisations
from app.services.integration import audit as service

router = make_router("audit")


@router.get("/audit-events", name="audit_events_list", description=doc(service.list_events))
async def audit_events_list(
    session: SessionDep,
    principal: PrincipalDep,
    within: uuid.UUID | None = None,
    actor: str | None = None,
    resource: AuditResource | None = None,
    resource_id: str | None = None,
    since: datetime | None = None,
    sort: str = sort_query(service.AUDIT_SORT, "id"),
    limit: LimitQuery = None,
    cursor: CursorQuery = None,
    include_total: TotalQuery = False,
) -> Page[AuditEventRead]:
    within_path = await organisations.within_path(session, principal, within)
    page = await service.list_events(
        session,
        principal,
        within_path=within_path,
        actor=actor,
        resource=resource,
        resource_id=resource_id,
        since=since,
        limit=limit,
        cursor=cursor,
        sort=sort,
        include_total=include_total,
    )
    return envelope(page, [AuditEventRead.model_validate(e) for e in page.items])
