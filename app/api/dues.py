"""Dues (党费) endpoints."""

from __future__ import annotations

import base64
import uuid
from typing import Annotated

from fastapi import Query, Response, status

from app.api.common import (
    API_PREFIX,
    CursorQuery,
    LimitQuery,
    doc,
    make_router,
    sort_query,
    whole_list_order,
)
from app.api.deps import (
    AsOfDep,
    PrincipalDep,
    SessionDep,
    StaffPrincipal,
    TodayDep,
    VisibleMember,
)
from app.errors import ErrorCode, Unprocessable
from app.pagination import clamp_limit
from app.schemas.dues import (
    ArrearsPage,
    ArrearsRow,
    Assessment,
    PaymentCreate,
    PaymentRead,
    ReliefCreate,
    ReliefRead,
)
from app.services import dues as service
from app.services import organisations
from app.services.lifecycle import add_months
from app.services.unpaid_dues import UNPAID_FLAG

router = make_router("dues")


@router.get(
    "/members/{member_id}/dues/assessment",
    name="dues_assessment",
    description=doc(service.assess),
)
async def dues_assessment(
    member: VisibleMember,
    session: SessionDep,
    principal: PrincipalDep,
    today: TodayDep,
    month: Annotated[str | None, Query(pattern=r"^\d{4}-\d{2}$", description="YYYY-MM")] = None,
) -> Assessment:
    day = service.parse_month(month) if month else today.replace(day=1)
    a = await service.assess(session, member, day)
    return Assessment(
        member_id=a.member_id,
        month=f"{a.month:%Y-%m}",
        category=a.category,
        base_fen=a.base_fen,
        rate=a.rate,
        amount_fen=a.amount_fen,
        due=a.due,
        note=a.note,
        relief=a.relief,
    )


@router.post(
    "/dues/payments",
    name="dues_payments_create",
    status_code=status.HTTP_201_CREATED,
    description=doc(service.record_payment),
)
async def dues_payments_create(
    body: PaymentCreate,
    response: Response,
    session: SessionDep,
    principal: PrincipalDep,
    today: TodayDep,
) -> PaymentRead:
    payment = await service.record_payment(
        session, principal, body.member_id, body.months, body.amount_fen, body.paid_on, today
    )
    response.headers["Location"] = f"{API_PREFIX}/members/{payment.member_id}/timeline"
    months, assessed = await service.paid_months(session, payment.id)
    return PaymentRead(
        id=payment.id,
        member_id=payment.member_id,
        months=[f"{m:%Y-%m}" for m in months],
        prepaid_months=[f"{m:%Y-%m}" for m in service.prepaid(months, payment.paid_on)],
        amount_fen=payment.amount_fen,
        assessed_fen=assessed,
        voluntary_extra_fen=payment.amount_fen - assessed,
        paid_on=payment.paid_on,
    )


@router.post(
    "/members/{member_id}/dues/reliefs",
    name="dues_reliefs_create",
    status_code=status.HTTP_201_CREATED,
    description=doc(service.add_relief),
)
async def dues_reliefs_create(
    member: VisibleMember,
    body: ReliefCreate,
    response: Response,
    session: SessionDep,
    principal: PrincipalDep,
) -> ReliefRead:
    relief = await service.add_relief(
        session,
        principal,
        member,
        kind=body.kind,
        monthly_fen=body.monthly_fen,
        from_month=body.from_month,
        to_month=body.to_month,
        approval_ref=body.approval_ref,
        approved_on=body.approved_on,
    )
    response.headers["Location"] = f"{API_PREFIX}/members/{member.id}/dues/assessment"
    return ReliefRead(
        id=relief.id,
        member_id=member.id,
        kind=body.kind,
        monthly_fen=relief.monthly_fen,
        from_month=f"{relief.from_month:%Y-%m}",
        to_month=f"{relief.to_month:%Y-%m}",
        approval_ref=relief.approval_ref,
        approved_on=relief.approved_on,
    )


def _decode_after(cursor: str | None) -> uuid.UUID | None:
    if not cursor:
        return None
    try:
        return uuid.UUID(base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)).decode())
    except (ValueError, UnicodeDecodeError) as exc:
        raise Unprocessable.field("cursor", ErrorCode.pagination_cursor_invalid) from exc


@router.get(
    "/organisations/{org_id}/dues/arrears",
    name="dues_arrears",
    description=doc(service.arrears) + "\n\nNot for the member role (403).",
)
async def dues_arrears(
    org_id: uuid.UUID,
    session: SessionDep,
    principal: StaffPrincipal,
    as_of: AsOfDep,
    months: Annotated[int, Query(ge=1, le=36, description="Window length in months.")] = 12,
    sort: str = sort_query("member_id"),
    limit: LimitQuery = None,
    cursor: CursorQuery = None,
) -> ArrearsPage:
    whole_list_order(sort, "member_id")
    org = await organisations.get_visible(session, principal, org_id)
    items, after = await service.arrears(
        session,
        org,
        as_of=as_of,
        window_months=months,
        after_member=_decode_after(cursor),
        limit=clamp_limit(limit),
    )
    end = as_of.replace(day=1)
    return ArrearsPage(
        as_of=as_of,
        window=[f"{add_months(end, -(months - 1)):%Y-%m}", f"{end:%Y-%m}"],
        items=[
            ArrearsRow(
                member_id=a.member_id,
                name=a.name,
                org_id=a.org_id,
                unpaid_months=[f"{m:%Y-%m}" for m in a.unpaid_months],
                longest_unpaid_run=a.longest_unpaid_run,
                flags=[UNPAID_FLAG] if a.flagged else [],
            )
            for a in items
        ],
        next_cursor=base64.urlsafe_b64encode(str(after).encode()).decode().rstrip("=")
        if after
        else None,
    )
