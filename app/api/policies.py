"""Policy (政策参数) endpoints."""

from __future__ import annotations

import uuid
from typing import Any

from fastapi import Response

from app.api.common import IfMatch, doc, make_router
from app.api.deps import PrincipalDep, SessionDep, VisibleOrganisation, check_if_match, set_etag
from app.schemas.policies import PolicyRead, PolicyUpdate
from app.services import organisations
from app.services import policies as service

router = make_router("policies")


async def _read(session: SessionDep, org: Any) -> PolicyRead:
    own = await service.own_overrides(session, org)
    return PolicyRead(
        org_id=org.id,
        effective=await service.effective_policy(session, org),
        own=dict(own.values) if own else {},
        defaults=service.DEFAULTS,
        version=own.version if own else 0,
    )


@router.get("/organisations/{org_id}/policies", name="policies_get")
async def policies_get(
    org: VisibleOrganisation, response: Response, session: SessionDep
) -> PolicyRead:
    """The policy values in force for an organisation, and which it sets itself."""
    read = await _read(session, org)
    set_etag(response, read.version)
    return read


@router.put(
    "/organisations/{org_id}/policies", name="policies_put", description=doc(service.set_overrides)
)
async def policies_put(
    org_id: uuid.UUID,
    body: PolicyUpdate,
    response: Response,
    session: SessionDep,
    principal: PrincipalDep,
    if_match: IfMatch = None,
) -> PolicyRead:
    org = await organisations.get_visible(session, principal, org_id)
    own = await service.own_overrides(session, org)
    check_if_match(if_match, own.version if own else 0)
    await service.set_overrides(session, principal, org, body.values)
    read = await _read(session, org)
    set_etag(response, read.version)
    return read
