"""Transfers of organisational relationship (组织关系转接).

The sending organisation creates the transfer and stays responsible until the
receiver accepts. A sender may send to any branch in the country but sees the
receiver only as code and name; the receiver sees the member it is asked to take.
Accepting moves the member (and their subtree path) in the same transaction;
the transfer row is locked, so two concurrent accepts move the member once.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date

from sqlalchemy import ColumnElement, Select, and_, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import aliased

from app import clock
from app.errors import Conflict, ErrorCode, Forbidden, NotFound, Unprocessable
from app.i18n import Text
from app.models.enums import (
    BRANCH_TYPES,
    ENDED_STATUSES,
    MemberStatus,
    OrgType,
    Role,
    TransferState,
    label_zh,
)
from app.models.lifecycle import Transfer
from app.models.member import Member
from app.models.organisation import Organisation
from app.pagination import Page, paginate, parse_sort
from app.security.scope import (
    Principal,
    in_scope,
    load_anywhere,
    load_visible,
    refuse_member_role,
    require_role,
    row_lock,
    under_any,
)
from app.services import mobile
from app.services.integration import audit
from app.services.lifecycle import add_months_sql
from app.services.policies import policy_int_sql

AUDITED = ("member_id", "from_org_id", "to_org_id", "state", "reason", "dues_paid_until")
STATES = ("pending", "accepted", "rejected", "cancelled")


@dataclass(frozen=True)
class TransferView:
    transfer: Transfer
    member_name: str
    from_org: Organisation
    to_org: Organisation
    sender_side: bool
    receiver_side: bool
    overdue: bool


def _visible(principal: Principal) -> ColumnElement[bool]:
    return principal.scope.filter_any(Transfer.from_path, Transfer.to_path)


def overdue_sql(today: date) -> ColumnElement[bool]:
    """SQL: a transfer is overdue on `today` when still pending after the sending
    organisation's `transfer_overdue_months` (default 3). The one definition, for the
    item (`overdue`) and the list filter (`?overdue=`) alike, each record judged by its
    own sender's policy whoever asks."""
    months = policy_int_sql("transfer_overdue_months", Transfer.from_path)
    due_by = add_months_sql(today, -months)
    return and_(
        Transfer.state == TransferState.pending, clock.local_date_sql(Transfer.created_at) < due_by
    )


def due_on_sql() -> ColumnElement[date]:
    """SQL: the day by which a pending transfer should be accepted (its creation plus the
    sender's `transfer_overdue_months`), shown on the to-do list; `overdue_sql` judges."""
    months = policy_int_sql("transfer_overdue_months", Transfer.from_path)
    return add_months_sql(clock.local_date_sql(Transfer.created_at), months)


async def views(
    session: AsyncSession, principal: Principal, transfers: Sequence[Transfer], today: date
) -> list[TransferView]:
    """The rows as the caller sees them, one statement for the whole page: the member's
    name, both organisations and `overdue` joined in. The one way to render a transfer,
    for the list and the single read alike."""
    if not transfers:
        return []
    sender, receiver = aliased(Organisation), aliased(Organisation)
    rows = await session.execute(
        select(Transfer.id, Member.name, sender, receiver, overdue_sql(today))
        .join(Member, Member.id == Transfer.member_id)
        .join(sender, sender.id == Transfer.from_org_id)
        .join(receiver, receiver.id == Transfer.to_org_id)
        .where(Transfer.id.in_([t.id for t in transfers]))
    )
    joined = {row[0]: row[1:] for row in rows}
    return [
        TransferView(
            transfer=t,
            member_name=joined[t.id][0],
            from_org=joined[t.id][1],
            to_org=joined[t.id][2],
            sender_side=in_scope(principal, t.from_path),
            receiver_side=in_scope(principal, t.to_path),
            overdue=bool(joined[t.id][3]),
        )
        for t in transfers
    ]


async def get_visible(
    session: AsyncSession, principal: Principal, transfer_id: uuid.UUID, *, lock: bool = False
) -> Transfer:
    if principal.role is Role.member:
        raise NotFound(ErrorCode.transfer_not_found)
    return await load_visible(session, principal, Transfer, transfer_id, lock=lock)


async def view(
    session: AsyncSession, principal: Principal, transfer: Transfer, today: date
) -> TransferView:
    return (await views(session, principal, [transfer], today))[0]


def _paid_until(member: Member) -> str | None:
    """党费交至: the latest month the member's dues are paid for (kept on the record)."""
    last = member.dues_paid_through
    return f"{last:%Y-%m}" if last else None


async def _load_target(session: AsyncSession, member: Member, to_org_id: uuid.UUID) -> Organisation:
    """The receiving organisation: any standing branch but a temporary one and the
    member's own, found by id anywhere in the tree."""
    target = await load_anywhere(
        session,
        Organisation,
        to_org_id,
        field="to_org_id",
        reference="transfer.to_org_id",
        copies_path=True,
    )
    if OrgType(target.type) not in BRANCH_TYPES or target.type == OrgType.temporary_branch:
        raise Unprocessable.field("to_org_id", ErrorCode.transfer_target_not_branch)
    if target.dissolved_on is not None:
        raise Conflict(ErrorCode.organisation_dissolved)
    if target.id == member.org_id:
        raise Unprocessable.field("to_org_id", ErrorCode.transfer_same_organisation)
    return target


async def create_transfer(
    session: AsyncSession,
    principal: Principal,
    member_id: uuid.UUID,
    to_org_id: uuid.UUID,
    reason: str,
) -> Transfer:
    """Start a transfer (开具组织关系介绍信) of a member in your subtree to any branch.

    One pending transfer per member. The letter records the month dues are paid up to.
    The receiving organisation is found by id anywhere in the tree, but you see it only
    as code and name.
    """
    require_role(principal, Role.org_admin, Role.branch_secretary)
    member = await load_visible(session, principal, Member, member_id, field="member_id", lock=True)
    if member.status in ENDED_STATUSES:
        raise Conflict(
            ErrorCode.transfer_member_ended,
            Text(
                zh=f"该党员当前状态为{label_zh(MemberStatus, member.status)}",
                en=f"the member's status is {member.status}",
            ),
        )
    target = await _load_target(session, member, to_org_id)
    pending = await session.scalar(
        select(Transfer.id).where(
            Transfer.member_id == member.id, Transfer.state == TransferState.pending
        )
    )
    if pending is not None:
        raise Conflict(
            ErrorCode.transfer_already_pending,
            Text(zh=f"组织关系转接 {pending} 尚待办理", en=f"transfer {pending} is pending"),
        )
    transfer = Transfer(
        member_id=member.id,
        from_org_id=member.org_id,
        to_org_id=target.id,
        from_path=member.org_path,
        to_path=target.path,
        state=TransferState.pending,
        reason=reason,
        dues_paid_until=_paid_until(member),
        created_by=principal.user_id,
    )
    session.add(transfer)
    await session.flush()
    audit.record(
        session,
        principal,
        "transfer.created",
        "transfer",
        transfer.id,
        transfer.from_path,
        after=audit.snapshot(transfer, AUDITED),
    )
    return transfer


async def _decide(
    session: AsyncSession,
    principal: Principal,
    transfer: Transfer,
    state: str,
    reason: str | None,
) -> None:
    if transfer.state != TransferState.pending:
        raise Conflict(
            ErrorCode.transfer_not_pending,
            Text(
                zh=f"该转接当前状态为{label_zh(TransferState, transfer.state)}",
                en=f"the transfer is {transfer.state}",
            ),
        )
    before = audit.snapshot(transfer, AUDITED)
    transfer.state = state
    transfer.decided_by = principal.user_id
    transfer.decided_at = clock.utcnow()
    transfer.decision_reason = reason
    await session.flush()
    audit.record(
        session,
        principal,
        f"transfer.{state}",
        "transfer",
        transfer.id,
        transfer.to_path if state != TransferState.cancelled else transfer.from_path,
        before=before,
        after=audit.snapshot(transfer, AUDITED),
    )


def require_transfer_decider(principal: Principal) -> None:
    """Who accepts or rejects a transfer addressed to their subtree (403 otherwise)."""
    require_role(principal, Role.org_admin, Role.branch_secretary)


async def accept_transfer(session: AsyncSession, principal: Principal, transfer: Transfer) -> None:
    """Accept (接收) a transfer to your subtree: the member moves here at once."""
    require_transfer_decider(principal)
    if not in_scope(principal, transfer.to_path):
        raise Forbidden(ErrorCode.transfer_not_receiver)
    if transfer.state != TransferState.pending:
        raise Conflict(
            ErrorCode.transfer_not_pending,
            Text(
                zh=f"该转接当前状态为{label_zh(TransferState, transfer.state)}",
                en=f"the transfer is {transfer.state}",
            ),
        )
    member = await session.get(Member, transfer.member_id, with_for_update=True)
    target = await session.get(
        Organisation, transfer.to_org_id, with_for_update=row_lock(False, copies_path=True)
    )
    assert member is not None and target is not None
    if target.dissolved_on is not None:
        raise Conflict(ErrorCode.organisation_dissolved)
    before = audit.snapshot(member, ("org_id", "group_id"))
    member.org_id = target.id
    member.org_path = target.path
    member.group_id = None
    await _decide(session, principal, transfer, "accepted", None)
    # A mobile member who settled where they went: the transfer ends the episode.
    await mobile.close_for_transfer(session, member.id, clock.today())
    audit.record(
        session,
        principal,
        "member.transferred",
        "member",
        member.id,
        member.org_path,
        before=before,
        after=audit.snapshot(member, ("org_id", "group_id")),
    )


async def reject_transfer(
    session: AsyncSession, principal: Principal, transfer: Transfer, reason: str
) -> None:
    """Reject a transfer addressed to your subtree; the member stays with the sender."""
    require_transfer_decider(principal)
    if not in_scope(principal, transfer.to_path):
        raise Forbidden(ErrorCode.transfer_not_receiver)
    await _decide(session, principal, transfer, "rejected", reason)


async def cancel_transfer(
    session: AsyncSession, principal: Principal, transfer: Transfer, reason: str | None
) -> None:
    """Cancel a pending transfer your subtree sent."""
    require_role(principal, Role.org_admin, Role.branch_secretary)
    if not in_scope(principal, transfer.from_path):
        raise Forbidden(ErrorCode.transfer_not_sender)
    await _decide(session, principal, transfer, "cancelled", reason)


# The orders the list offers (`?sort=`); ties are broken by id.
TRANSFER_SORT = "-created_at"
TRANSFER_SORTABLE = {"created_at": Transfer.created_at}


async def list_transfers(
    session: AsyncSession,
    principal: Principal,
    *,
    within_path: str | None,
    state: str | None,
    overdue: bool | None,
    today: date,
    limit: int | None,
    cursor: str | None,
    sort: str | None = None,
    include_total: bool = False,
) -> Page[Transfer]:
    """Transfers sent from or addressed to your subtree (or to `within`)."""
    refuse_member_role(principal)
    stmt: Select[Transfer] = select(Transfer).where(_visible(principal))
    if within_path is not None:
        stmt = stmt.where(under_any(Transfer.from_path, Transfer.to_path, within_path))
    if state is not None:
        if state not in STATES:
            raise Unprocessable.field(
                "state",
                ErrorCode.transfer_state_unknown,
                Text(zh=f"须为以下之一：{STATES}", en=f"use one of {STATES}"),
            )
        stmt = stmt.where(Transfer.state == state)
    if overdue is not None:
        late = overdue_sql(today)
        stmt = stmt.where(late if overdue else ~late)
    keys = parse_sort(sort, TRANSFER_SORTABLE, Transfer.id, default=TRANSFER_SORT)
    return await paginate(
        session, stmt, keys, limit=limit, cursor=cursor, include_total=include_total
    )
