"""双报到: employed members register with the community where they live; registration reviewed
yearly; service hours recorded (and scored).
"""

from __future__ import annotations

import uuid
from datetime import date
from decimal import Decimal
from typing import Any

from sqlalchemy import ColumnElement, exists, select
from sqlalchemy.ext.asyncio import AsyncSession

from app import clock
from app.errors import Conflict, ErrorCode, Forbidden, NotFound, Unprocessable
from app.i18n import Text
from app.models.enums import (
    ENDED_STATUSES,
    CommunityReportState,
    MemberCategory,
    Role,
    ServiceRecordState,
    label_zh,
)
from app.models.grid import CommunityReport, ServiceRecord
from app.models.member import Member
from app.security.scope import Principal, in_scope, load_visible
from app.services import points
from app.services.grids.registry import require_grid_admin
from app.services.integration import audit
from app.services.members import check_community

# --- 双报到 ----------------------------------------------------------------------------------


async def get_report(
    session: AsyncSession, principal: Principal, report_id: uuid.UUID, *, lock: bool = False
) -> CommunityReport:
    report = await load_visible(session, principal, CommunityReport, report_id, lock=lock)
    if principal.role is Role.member and principal.member_id != report.member_id:
        raise NotFound(ErrorCode.community_report_not_found)
    return report


def has_registration(member_id: Any) -> ColumnElement[bool]:
    """SQL: the member (an id, or a member row's id column) has an active registration
    with a community; a member has one at most."""
    return exists().where(
        CommunityReport.member_id == member_id,
        CommunityReport.state == CommunityReportState.active,
    )


async def register_report(
    session: AsyncSession,
    principal: Principal,
    member: Member,
    community_id: uuid.UUID,
    today: date,
) -> CommunityReport:
    """Register an employed member with the community where they live (到社区报到).

    Any community may be named, in or out of your subtree: both the work side and the
    residence side see the registration. One active registration per member.
    """
    if principal.role is not Role.member:
        require_grid_admin(principal)
    if member.category != MemberCategory.employed:
        raise Conflict(
            ErrorCode.community_report_not_employed,
            Text(zh="双报到仅适用于在职党员", en="双报到 is for employed members"),
        )
    if member.status in ENDED_STATUSES:
        raise Conflict(ErrorCode.community_report_member_ended)
    community = await check_community(
        session,
        community_id,
        "community_org_id",
        "community_report.community_org_id",
        copies_path=True,
    )
    assert community is not None
    if await session.scalar(select(has_registration(member.id))):
        raise Conflict(ErrorCode.community_report_already_registered)
    report = CommunityReport(
        member_id=member.id,
        member_path=member.org_path,
        community_org_id=community.id,
        community_path=community.path,
        registered_on=today,
        state=CommunityReportState.active,
    )
    session.add(report)
    await session.flush()
    audit.record(
        session, principal, "community_report.registered", "community_report", report.id,
        member.org_path, after={"community_org_id": str(community.id)},
    )  # fmt: skip
    return report


async def log_service(
    session: AsyncSession,
    principal: Principal,
    report: CommunityReport,
    occurred_on: date,
    hours: Decimal,
    description: str,
    today: date,
) -> ServiceRecord:
    """Log volunteer service (志愿服务) for the community: the member, or their own branch."""
    if principal.role is Role.member:
        if principal.member_id != report.member_id:
            raise NotFound(ErrorCode.community_report_not_found)
    else:
        require_grid_admin(principal)
        if not in_scope(principal, report.member_path):
            raise Forbidden(ErrorCode.community_report_not_member_side)
    if report.state != CommunityReportState.active:
        raise Conflict(ErrorCode.community_report_ended)
    if occurred_on > today or occurred_on < report.registered_on:
        raise Unprocessable.field("occurred_on", ErrorCode.community_report_date_invalid)
    tenths = hours * 10
    if tenths != tenths.to_integral_value() or not 0 < tenths <= 240:
        raise Unprocessable.field(
            "hours",
            ErrorCode.community_report_hours_invalid,
            Text(zh="须为 0.1 至 24，保留一位小数", en="0.1 to 24, one decimal"),
        )
    record = ServiceRecord(
        report_id=report.id,
        occurred_on=occurred_on,
        tenths=int(tenths),
        description=description,
        state=ServiceRecordState.pending,
    )
    session.add(record)
    await session.flush()
    return record


async def decide_service(
    session: AsyncSession,
    principal: Principal,
    report: CommunityReport,
    record_id: uuid.UUID,
    confirm: bool,
) -> ServiceRecord:
    """Confirm or reject logged service (社区确认). Confirmed hours score points once,
    one unit per whole hour, through the points engine."""
    require_grid_admin(principal)
    if not in_scope(principal, report.community_path):
        raise Forbidden(ErrorCode.community_report_not_community_side)
    record = await session.scalar(
        select(ServiceRecord)
        .where(ServiceRecord.id == record_id, ServiceRecord.report_id == report.id)
        .with_for_update()
    )
    if record is None:
        raise NotFound(ErrorCode.community_report_service_not_found)
    if record.state != ServiceRecordState.pending:
        raise Conflict(
            ErrorCode.community_report_service_decided,
            Text(
                zh=f"该记录当前状态为{label_zh(ServiceRecordState, record.state)}",
                en=f"the record is {record.state}",
            ),
        )
    record.state = ServiceRecordState.confirmed if confirm else ServiceRecordState.rejected
    record.decided_by = principal.user_id
    record.decided_at = clock.utcnow()
    await session.flush()
    if confirm:
        await points.score_event(
            session,
            trigger="service.hours",
            member_id=report.member_id,
            occurred_on=record.occurred_on,
            source_key=f"service:{record.id}",
            note=f"community service {record.tenths / 10:g} h",
            units=record.tenths // 10,
        )
    audit.record(
        session, principal, f"community_report.service_{record.state}", "community_report",
        report.id, report.community_path, after={"record_id": str(record.id)},
    )  # fmt: skip
    return record


async def review_report(
    session: AsyncSession,
    principal: Principal,
    report: CommunityReport,
    year: int,
    status: str,
    today: date,
) -> CommunityReport:
    """The community's yearly review of a registration (年度评议): passed or failed."""
    require_grid_admin(principal)
    if not in_scope(principal, report.community_path):
        raise Forbidden(ErrorCode.community_report_not_community_side)
    report.review_year, report.review_status, report.reviewed_on = year, status, today
    await session.flush()
    return report


async def services(session: AsyncSession, report_id: uuid.UUID) -> list[ServiceRecord]:
    rows = await session.scalars(
        select(ServiceRecord)
        .where(ServiceRecord.report_id == report_id)
        .order_by(ServiceRecord.occurred_on)
    )
    return list(rows.all())
