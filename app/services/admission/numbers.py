"""入党志愿书 numbers: ranges issued to organisations, each number used once or voided.

A committee issues a range (prefix, first and last number) to itself or to an
organisation of its subtree; ranges with the same prefix never overlap, whoever holds
them. A number is used for one member (the admission record: member, number, date) by
the range of the member's organisation or one above it, or voided with a reason; a
used or voided number is never spent again (409 `form_number.used` /
`form_number.voided`). Writers on one prefix queue on an advisory lock, so two
requests never both pass the overlap or the reuse check.
"""

from __future__ import annotations

from sqlalchemy import func, select, text
from sqlalchemy.ext.asyncio import AsyncSession

from app.errors import Conflict, ErrorCode, Unprocessable
from app.models.admission import FormNumber, FormNumberRange
from app.models.enums import FormNumberState, Role
from app.models.member import Member
from app.models.organisation import Organisation
from app.schemas.admission import FormNumberUse, FormNumberVoid, FormRangeCreate
from app.security.scope import Principal, is_under, load_visible, require_role, under
from app.services.integration import audit

RANGE_AUDITED = ("org_id", "prefix", "first_number", "last_number")
NUMBER_AUDITED = ("range_id", "number", "state", "member_id", "used_on", "reason")


async def _lock_prefix(session: AsyncSession, prefix: str) -> None:
    await session.execute(
        text("SELECT pg_advisory_xact_lock(hashtext('form_number:' || :p))"), {"p": prefix}
    )


async def issue_range(
    session: AsyncSession, principal: Principal, data: FormRangeCreate
) -> FormNumberRange:
    """Issue a range of numbers to an organisation in your scope (committee administrators).

    The last number is not below the first (422 `form_number.range_reversed`); no other
    range with the same prefix holds any of its numbers (409 `form_number.range_overlaps`).
    """
    require_role(principal, Role.org_admin)
    org = await load_visible(session, principal, Organisation, data.org_id, field="org_id")
    if data.last_number < data.first_number:
        raise Unprocessable.field("last_number", ErrorCode.form_number_range_reversed)
    await _lock_prefix(session, data.prefix)
    overlapping = await session.scalar(
        select(FormNumberRange.id).where(
            FormNumberRange.prefix == data.prefix,
            FormNumberRange.first_number <= data.last_number,
            FormNumberRange.last_number >= data.first_number,
        )
    )
    if overlapping is not None:
        raise Conflict(ErrorCode.form_number_range_overlaps)
    issued = FormNumberRange(
        org_id=org.id,
        org_path=org.path,
        prefix=data.prefix,
        first_number=data.first_number,
        last_number=data.last_number,
        issued_by=principal.user_id,
    )
    session.add(issued)
    await session.flush()
    audit.record(
        session, principal, "form_numbers.range_issued", "organisation", org.id, org.path,
        after=audit.snapshot(issued, RANGE_AUDITED),
    )  # fmt: skip
    return issued


async def _range_of(
    session: AsyncSession, principal: Principal, prefix: str, number: int, org_path: str
) -> FormNumberRange:
    """The range holding the number, issued to `org_path` or above it, in scope; else 422."""
    await _lock_prefix(session, prefix)
    candidates = await session.scalars(
        select(FormNumberRange).where(
            FormNumberRange.prefix == prefix,
            FormNumberRange.first_number <= number,
            FormNumberRange.last_number >= number,
            principal.scope.filter(FormNumberRange.org_path),
        )
    )
    for issued in candidates:
        if is_under(org_path, issued.org_path):
            return issued
    raise Unprocessable.field("number", ErrorCode.form_number_not_issued)


async def _check_unspent(session: AsyncSession, issued: FormNumberRange, number: int) -> None:
    state = await session.scalar(
        select(FormNumber.state).where(
            FormNumber.range_id == issued.id, FormNumber.number == number
        )
    )
    if state == FormNumberState.used:
        raise Conflict(ErrorCode.form_number_used)
    if state == FormNumberState.void:
        raise Conflict(ErrorCode.form_number_voided)


async def use_number(
    session: AsyncSession, principal: Principal, member: Member, data: FormNumberUse
) -> FormNumber:
    """Record the member's 入党志愿书 number and the day it was issued to them.

    The number lies in a range issued to the member's organisation or one above it
    (422 `form_number.not_issued`); it was neither used (409 `form_number.used`) nor
    voided (409 `form_number.voided`); a member has one number (409
    `form_number.member_has_number`).
    """
    require_role(principal, Role.org_admin, Role.branch_secretary)
    issued = await _range_of(session, principal, data.prefix, data.number, member.org_path)
    await _check_unspent(session, issued, data.number)
    has = await session.scalar(
        select(func.count()).select_from(FormNumber).where(FormNumber.member_id == member.id)
    )
    if has:
        raise Conflict(ErrorCode.form_number_member_has_number)
    spent = FormNumber(
        range_id=issued.id,
        number=data.number,
        state=FormNumberState.used.value,
        member_id=member.id,
        used_on=data.used_on,
        recorded_by=principal.user_id,
    )
    return await _write(session, principal, spent, member.org_path, "form_numbers.used")


async def void_number(
    session: AsyncSession, principal: Principal, org: Organisation, data: FormNumberVoid
) -> FormNumber:
    """Void a number of a range issued to the organisation or one above it, with a reason.

    A used or already voided number is refused (409 `form_number.used` /
    `form_number.voided`).
    """
    require_role(principal, Role.org_admin, Role.branch_secretary)
    issued = await _range_of(session, principal, data.prefix, data.number, org.path)
    await _check_unspent(session, issued, data.number)
    spent = FormNumber(
        range_id=issued.id,
        number=data.number,
        state=FormNumberState.void.value,
        reason=data.reason,
        recorded_by=principal.user_id,
    )
    return await _write(session, principal, spent, org.path, "form_numbers.voided")


async def _write(
    session: AsyncSession, principal: Principal, spent: FormNumber, path: str, action: str
) -> FormNumber:
    session.add(spent)
    await session.flush()
    audit.record(
        session, principal, action, "form_number", spent.id, path,
        after=audit.snapshot(spent, NUMBER_AUDITED),
    )  # fmt: skip
    return spent


async def number_of(
    session: AsyncSession, member: Member
) -> tuple[FormNumberRange, FormNumber] | None:
    """The member's 入党志愿书 number (a member has one at most) with its range."""
    row = (
        await session.execute(
            select(FormNumberRange, FormNumber)
            .join(FormNumberRange, FormNumber.range_id == FormNumberRange.id)
            .where(FormNumber.member_id == member.id)
        )
    ).first()
    return None if row is None else (row[0], row[1])


async def subtree_numbers(
    session: AsyncSession, org: Organisation
) -> list[tuple[FormNumberRange, list[FormNumber]]]:
    """Every range issued within the organisation's subtree, with its spent numbers."""
    ranges = list(
        (
            await session.scalars(
                select(FormNumberRange)
                .where(under(FormNumberRange.org_path, org.path))
                .order_by(FormNumberRange.prefix, FormNumberRange.first_number)
            )
        ).all()
    )
    spent = (
        await session.scalars(
            select(FormNumber)
            .where(FormNumber.range_id.in_([r.id for r in ranges]))
            .order_by(FormNumber.number)
        )
    ).all()
    by_range: dict[object, list[FormNumber]] = {r.id: [] for r in ranges}
    for number in spent:
        by_range[number.range_id].append(number)
    return [(r, by_range[r.id]) for r in ranges]
