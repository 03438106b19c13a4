"""Public notices (公示) before admission and before full membership.

A notice runs from its first day for at least `notice_min_working_days` working days
*(policy, 5)*, counted on the holiday calendar (`calendar.py`). The caller gives the last
day or the number of working days; the other is computed.
"""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from app.errors import ErrorCode, Unprocessable
from app.i18n import Text
from app.models.admission import AdmissionNotice
from app.models.enums import Role
from app.models.member import Member
from app.models.organisation import Organisation
from app.schemas.admission import NoticeCreate
from app.security.scope import Principal, require_role
from app.services.admission.calendar import (
    add_working_days,
    load_calendar,
    working_days_between,
)
from app.services.integration import audit, changes
from app.services.policies import effective_policy

AUDITED = ("kind", "starts_on", "ends_on", "working_days")


async def record_notice(
    session: AsyncSession, principal: Principal, member: Member, data: NoticeCreate
) -> AdmissionNotice:
    """Record a public notice (公示) on the member, with its last day or its working days.

    Give `ends_on` or `working_days`, one of the two (422 `notice.period_ambiguous`); a
    period shorter than the policy's working days is refused (422
    `notice.period_too_short`). Working days follow the holiday calendar (调休 included).
    """
    require_role(principal, Role.org_admin, Role.branch_secretary)
    if (data.ends_on is None) == (data.working_days is None):
        raise Unprocessable.field("ends_on", ErrorCode.notice_period_ambiguous)
    calendar = await load_calendar(session)
    if data.working_days is not None:
        field, working_days = "working_days", data.working_days
        ends_on = add_working_days(data.starts_on, working_days, calendar)
    else:
        assert data.ends_on is not None
        field, ends_on = "ends_on", data.ends_on
        working_days = working_days_between(data.starts_on, ends_on, calendar)
    org = await session.get(Organisation, member.org_id)
    assert org is not None
    minimum = int((await effective_policy(session, org))["notice_min_working_days"])
    if working_days < minimum:
        raise Unprocessable.field(
            field,
            ErrorCode.notice_period_too_short,
            Text(
                zh=f"公示期为 {working_days} 个工作日，至少须 {minimum} 个工作日",
                en=f"The notice runs {working_days} working days; at least {minimum} are required",
            ),
        )
    notice = AdmissionNotice(
        member_id=member.id,
        kind=data.kind.value,
        starts_on=data.starts_on,
        ends_on=ends_on,
        working_days=working_days,
        recorded_by=principal.user_id,
    )
    session.add(notice)
    await session.flush()
    await changes.record_event(
        session, member, changes.DomainEvent.member_notice_recorded, {"notice_id": str(notice.id)}
    )
    audit.record(
        session, principal, "member.notice_recorded", "member", member.id, member.org_path,
        after=audit.snapshot(notice, AUDITED),
    )  # fmt: skip
    return notice


async def list_notices(session: AsyncSession, member: Member) -> list[AdmissionNotice]:
    rows = await session.scalars(
        select(AdmissionNotice)
        .where(AdmissionNotice.member_id == member.id)
        .order_by(AdmissionNotice.starts_on, AdmissionNotice.id)
    )
    return list(rows.all())
