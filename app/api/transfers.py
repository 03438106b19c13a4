"""Transfer (组织关系转接) endpoints."""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import Query, Response, status

from app.api.common import (
    API_PREFIX,
    CursorQuery,
    LimitQuery,
    TotalQuery,
    doc,
    envelope,
    make_router,
    sort_query,
)
from app.api.deps import AsOfDep, LockedTransfer, PrincipalDep, SessionDep, TodayDep, set_etag
from app.models.enums import TransferState
from app.models.organisation import Organisation
from app.schemas.common import Page
from app.schemas.transfers import (
    OrgRef,
    TransferCancel,
    TransferCreate,
    TransferDecision,
    TransferRead,
)
from app.services import organisations
from app.services import transfers as service

router = make_router("transfers")


def _ref(org: Organisation, visible: bool) -> OrgRef:
    return OrgRef(id=org.id if visible else None, code=org.code, name=org.name)


def _read(v: service.TransferView) -> TransferRead:
    t = v.transfer
    return TransferRead(
        id=t.id,
        member_id=t.member_id,
        member_name=v.member_name,
        from_org=_ref(v.from_org, v.sender_side),
        to_org=_ref(v.to_org, v.receiver_side),
        state=t.state,
        reason=t.reason,
        dues_paid_until=t.dues_paid_until,
        overdue=v.overdue,
        decision_reason=t.decision_reason,
        created_at=t.created_at,
        decided_at=t.decided_at,
        version=t.version,
    )


@router.post(
    "/transfers",
    name="transfers_create",
    status_code=status.HTTP_201_CREATED,
    description=doc(service.create_transfer),
)
async def transfers_create(
    body: TransferCreate,
    response: Response,
    session: SessionDep,
    principal: PrincipalDep,
    today: TodayDep,
) -> TransferRead:
    transfer = await service.create_transfer(
        session, principal, body.member_id, body.to_org_id, body.reason
    )
    response.headers["Location"] = f"{API_PREFIX}/transfers/{transfer.id}"
    set_etag(response, transfer.version)
    return _read(await service.view(session, principal, transfer, today))


@router.get("/transfers", name="transfers_list", description=doc(service.list_transfers))
async def transfers_list(
    session: SessionDep,
    principal: PrincipalDep,
    as_of: AsOfDep,
    within: uuid.UUID | None = None,
    state: Annotated[TransferState | None, Query()] = None,
    overdue: bool | None = None,
    sort: str = sort_query(service.TRANSFER_SORT, *service.TRANSFER_SORTABLE),
    limit: LimitQuery = None,
    cursor: CursorQuery = None,
    include_total: TotalQuery = False,
) -> Page[TransferRead]:
    within_path = await organisations.within_path(session, principal, within)
    page = await service.list_transfers(
        session,
        principal,
        within_path=within_path,
        state=state,
        overdue=overdue,
        today=as_of,
        limit=limit,
        cursor=cursor,
        sort=sort,
        include_total=include_total,
    )
    items = [_read(v) for v in await service.views(session, principal, page.items, as_of)]
    return envelope(page, items)


@router.get("/transfers/{transfer_id}", name="transfers_get")
async def transfers_get(
    transfer_id: uuid.UUID,
    response: Response,
    session: SessionDep,
    principal: PrincipalDep,
    as_of: AsOfDep,
) -> TransferRead:
    """One transfer sent from or addressed to your subtree."""
    transfer = await service.get_visible(session, principal, transfer_id)
    set_etag(response, transfer.version)
    return _read(await service.view(session, principal, transfer, as_of))


@router.post(
    "/transfers/{transfer_id}/accept",
    name="transfers_accept",
    description=doc(service.accept_transfer),
)
async def transfers_accept(
    transfer: LockedTransfer, session: SessionDep, principal: PrincipalDep, today: TodayDep
) -> TransferRead:
    await service.accept_transfer(session, principal, transfer)
    return _read(await service.view(session, principal, transfer, today))


@router.post(
    "/transfers/{transfer_id}/reject",
    name="transfers_reject",
    description=doc(service.reject_transfer),
)
async def transfers_reject(
    transfer: LockedTransfer,
    body: TransferDecision,
    session: SessionDep,
    principal: PrincipalDep,
    today: TodayDep,
) -> TransferRead:
    await service.reject_transfer(session, principal, transfer, body.reason)
    return _read(await service.view(session, principal, transfer, today))


@router.post(
    "/transfers/{transfer_id}/cancel",
    name="transfers_cancel",
    description=doc(service.cancel_transfer),
)
async def transfers_cancel(
    transfer: LockedTransfer,
    body: TransferCancel,
    session: SessionDep,
    principal: PrincipalDep,
    today: TodayDep,
) -> TransferRead:
    await service.cancel_transfer(session, principal, transfer, body.reason)
    return _read(await service.view(session, principal, transfer, today))
