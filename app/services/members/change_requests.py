"""Change requests (信息变更申请): a member asks to correct their own record; an
administrator of the member's subtree approves it, which applies it as their own
correction (`update_member`: the same checks and audit as any correction), or rejects
it with a reason. Status and organisation are never part of a request (the lifecycle and
transfers own them)."""

from __future__ import annotations

import uuid
from datetime import date
from typing import Any

from sqlalchemy import Select, select
from sqlalchemy.ext.asyncio import AsyncSession

from app import clock
from app.errors import Conflict, ErrorCode, Forbidden, NotFound, Unprocessable
from app.i18n import Text
from app.models.change_request import MemberChangeRequest
from app.models.enums import ChangeRequestState, label_zh
from app.models.member import Member
from app.pagination import Page, paginate, parse_sort
from app.schemas.members import MemberUpdate
from app.security.scope import Principal, load_visible, member_rows_only
from app.services.integration import audit
from app.services.members.records import check_may_correct, update_member

CHANGE_REQUEST_SORT = "-created_at"
CHANGE_REQUEST_SORTABLE = {"created_at": MemberChangeRequest.created_at}


async def request_change(
    session: AsyncSession,
    principal: Principal,
    member: Member,
    changes: dict[str, Any],
    reason: str | None,
) -> MemberChangeRequest:
    """File a request to correct my own record; it waits for the branch's decision."""
    if principal.member_id != member.id:
        raise NotFound(ErrorCode.member_not_found)
    if not changes:
        raise Unprocessable(
            ErrorCode.change_request_empty,
            Text(zh="至少填写一个要更正的字段", en="name at least one field"),
        )
    MemberUpdate.model_validate(changes)  # the correction's own field rules, now
    row = MemberChangeRequest(
        member_id=member.id,
        org_path=member.org_path,
        changes=changes,
        reason=reason,
        state=ChangeRequestState.pending,
        requested_by=principal.user_id,
    )
    session.add(row)
    await session.flush()
    audit.record(
        session,
        principal,
        "member.change_requested",
        "member",
        member.id,
        member.org_path,
        after={"request_id": str(row.id), "fields": sorted(changes)},
    )
    return row


async def get_visible(
    session: AsyncSession, principal: Principal, request_id: uuid.UUID, *, lock: bool = False
) -> MemberChangeRequest:
    """A request in your subtree (a member: only their own); 404 otherwise."""
    row = await load_visible(session, principal, MemberChangeRequest, request_id, lock=lock)
    own = member_rows_only(principal)
    if own is not None and row.member_id != own:
        raise NotFound(ErrorCode.change_request_not_found)
    return row


async def list_change_requests(
    session: AsyncSession,
    principal: Principal,
    *,
    state: ChangeRequestState | None,
    member_id: uuid.UUID | None,
    limit: int | None,
    cursor: str | None,
    sort: str | None,
    include_total: bool,
) -> Page[MemberChangeRequest]:
    """Requests of members in your subtree (a member: their own), newest first."""
    stmt: Select[MemberChangeRequest] = select(MemberChangeRequest).where(
        principal.scope.filter(MemberChangeRequest.org_path)
    )
    own = member_rows_only(principal)
    if own is not None:
        stmt = stmt.where(MemberChangeRequest.member_id == own)
    if member_id is not None:
        stmt = stmt.where(MemberChangeRequest.member_id == member_id)
    if state is not None:
        stmt = stmt.where(MemberChangeRequest.state == state)
    keys = parse_sort(
        sort, CHANGE_REQUEST_SORTABLE, MemberChangeRequest.id, default=CHANGE_REQUEST_SORT
    )
    return await paginate(
        session, stmt, keys, limit=limit, cursor=cursor, include_total=include_total
    )


async def _decidable(
    session: AsyncSession, principal: Principal, row: MemberChangeRequest
) -> Member:
    if row.state != ChangeRequestState.pending:
        raise Conflict(
            ErrorCode.change_request_not_pending,
            Text(
                zh=f"该申请当前状态为{label_zh(ChangeRequestState, row.state)}",
                en=f"the request is {row.state}",
            ),
        )
    member = await session.get(Member, row.member_id, with_for_update=True)
    assert member is not None  # the request cascades with its member
    check_may_correct(principal, member)
    if principal.member_id == row.member_id:
        raise Forbidden(ErrorCode.change_request_own)
    return member


def _decided(
    principal: Principal, row: MemberChangeRequest, state: str, reason: str | None
) -> None:
    row.state = state
    row.decided_by = principal.user_id
    row.decided_at = clock.utcnow()
    row.decision_reason = reason


async def approve_change(
    session: AsyncSession, principal: Principal, row: MemberChangeRequest, today: date
) -> MemberChangeRequest:
    """Approve (审核通过): the changes are applied as your correction of the record
    (`update_member`: its validation, its audit); never your own request."""
    member = await _decidable(session, principal, row)
    await update_member(session, principal, member, MemberUpdate.model_validate(row.changes), today)
    _decided(principal, row, ChangeRequestState.approved, None)
    await session.flush()
    return row


async def reject_change(
    session: AsyncSession, principal: Principal, row: MemberChangeRequest, reason: str
) -> MemberChangeRequest:
    """Reject, with the reason the member reads; the record is unchanged."""
    await _decidable(session, principal, row)
    _decided(principal, row, ChangeRequestState.rejected, reason)
    await session.flush()
    audit.record(
        session,
        principal,
        "member.change_rejected",
        "member",
        row.member_id,
        row.org_path,
        after={"request_id": str(row.id), "reason": reason},
    )
    return row
