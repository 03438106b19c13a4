"""Grids (网格化党建) and community reporting (在职党员双报到).

A grid belongs to a community-level organisation and is covered by a branch or a
party group of that community's subtree. Members who live there are assigned to
at most one grid; a central household (党员中心户) lists the households it serves.
Employed members register with the community where they live; both the work side
and the residence side see the registration; confirmed service hours score points
through the points engine's single entry point.
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Any

from sqlalchemy import Select, and_, delete, func, or_, select
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from app import clock
from app.errors import Conflict, ErrorCode, Forbidden, NotFound, Unprocessable
from app.models.enums import (
    BRANCH_TYPES,
    ENDED_STATUSES,
    CommunityReportState,
    MemberCategory,
    OrgType,
    Role,
    ServiceRecordState,
)
from app.models.grid import CommunityReport, Grid, GridResident, ServiceRecord
from app.models.member import Member
from app.models.organisation import Organisation
from app.pagination import Page, paginate, parse_sort
from app.security.scope import (
    Principal,
    in_scope,
    is_under,
    load_all_visible,
    load_visible,
    not_found,
    refuse_member_role,
    require_role,
    subtree_filter,
    under,
)
from app.services import points
from app.services.integration import audit
from app.services.members import check_community
from app.services.policies import effective_policy

GRID_FIELDS = (
    "code",
    "name",
    "kind",
    "org_id",
    "covering_org_id",
    "boundary",
    "households",
    "population",
    "buildings",
    "leader_id",
)


def _admin(principal: Principal) -> None:
    require_role(principal, Role.org_admin, Role.branch_secretary)


async def _check_covering(
    session: AsyncSession,
    principal: Principal,
    community: Organisation,
    covering_id: uuid.UUID | None,
) -> None:
    if covering_id is None:
        return
    covering = await load_visible(
        session, principal, Organisation, covering_id, field="covering_org_id"
    )
    allowed = (*BRANCH_TYPES, OrgType.group)
    if not is_under(covering.path, community.path) or OrgType(covering.type) not in allowed:
        raise Unprocessable.field(
            "covering_org_id",
            ErrorCode.grid_covering_not_in_community,
            "a branch or party group of the community's subtree",
        )


async def _check_leader(
    session: AsyncSession, principal: Principal, leader_id: uuid.UUID | None
) -> None:
    if leader_id is None:
        return
    member = await load_visible(session, principal, Member, leader_id, field="leader_id")
    if member.status in ENDED_STATUSES:
        raise Unprocessable.field(
            "leader_id", ErrorCode.grid_leader_invalid, "a current member you can see"
        )


async def create_grid(session: AsyncSession, principal: Principal, data: dict[str, Any]) -> Grid:
    """Create a grid (划分网格) in a community of your subtree.

    The covering organisation must be a branch or party group in that community's
    subtree; the code is unique.
    """
    _admin(principal)
    community = await load_visible(
        session, principal, Organisation, data["org_id"], field="org_id", copies_path=True
    )
    await check_community(session, community.id, "org_id")
    await _check_covering(session, principal, community, data.get("covering_org_id"))
    await _check_leader(session, principal, data.get("leader_id"))
    if await session.scalar(select(Grid.id).where(Grid.code == data["code"])):
        raise Conflict(ErrorCode.grid_code_taken)
    grid = Grid(**data, org_path=community.path)
    session.add(grid)
    await session.flush()
    audit.record(
        session, principal, "grid.created", "grid", grid.id, grid.org_path,
        after=audit.snapshot(grid, GRID_FIELDS),
    )  # fmt: skip
    return grid


async def get_visible(session: AsyncSession, principal: Principal, grid_id: uuid.UUID) -> Grid:
    grid = await load_visible(session, principal, Grid, grid_id)
    if principal.role is Role.member:
        raise not_found(ErrorCode.grid_not_found)
    return grid


async def update_grid(
    session: AsyncSession, principal: Principal, grid: Grid, changes: dict[str, Any]
) -> Grid:
    """Edit a grid: sizes, boundary, buildings, leader, covering organisation."""
    _admin(principal)
    community = await session.get(Organisation, grid.org_id)
    assert community is not None
    if "covering_org_id" in changes:
        await _check_covering(session, principal, community, changes["covering_org_id"])
    if "leader_id" in changes:
        await _check_leader(session, principal, changes["leader_id"])
    before = audit.snapshot(grid, GRID_FIELDS)
    for field, value in changes.items():
        setattr(grid, field, value)
    await session.flush()
    audit.record(
        session, principal, "grid.updated", "grid", grid.id, grid.org_path,
        before=before, after=audit.snapshot(grid, GRID_FIELDS),
    )  # fmt: skip
    return grid


async def list_grids(
    session: AsyncSession,
    principal: Principal,
    *,
    within_path: str | None,
    limit: int | None,
    cursor: str | None,
) -> Page[Grid]:
    refuse_member_role(principal)
    stmt: Select[Grid] = select(Grid).where(subtree_filter(principal, Grid.org_path))
    if within_path:
        stmt = stmt.where(under(Grid.org_path, within_path))
    keys = parse_sort("code", {"code": Grid.code}, Grid.id)
    return await paginate(session, stmt, keys, limit=limit, cursor=cursor)


async def residents(session: AsyncSession, grid_id: uuid.UUID) -> list[GridResident]:
    rows = await session.scalars(
        select(GridResident).where(GridResident.grid_id == grid_id).order_by(GridResident.member_id)
    )
    return list(rows.all())


async def assign_residents(
    session: AsyncSession,
    principal: Principal,
    grid: Grid,
    ids: list[uuid.UUID],
    served: Mapping[uuid.UUID, list[str]],
) -> list[GridResident]:
    """Set the members living in this grid (网格党员), with the households a central
    household (党员中心户) serves. A member is in one grid at most: assigning them
    here moves them from any other grid. A central household is one of the members
    assigned here.
    """
    _admin(principal)
    if served:
        await load_all_visible(session, principal, Member, served, field="central_households")
        if not set(served) <= set(ids):
            raise Unprocessable.field(
                "central_households", ErrorCode.grid_central_household_not_resident
            )
    entries = [(member_id, list(served.get(member_id, []))) for member_id in ids]
    if len(set(ids)) != len(ids):
        raise Unprocessable.field(
            "member_ids", ErrorCode.grid_member_repeated, "a member appears twice"
        )
    if ids:
        visible = await load_all_visible(session, principal, Member, ids, field="member_ids")
        if any(m.status in ENDED_STATUSES for m in visible):
            raise Unprocessable.field(
                "member_ids", ErrorCode.grid_member_ended, "a member's record ended"
            )
    before = [str(r.member_id) for r in await residents(session, grid.id)]
    await session.execute(
        delete(GridResident).where(
            or_(GridResident.grid_id == grid.id, GridResident.member_id.in_(ids))
        )
    )
    for member_id, households in entries:
        await session.execute(
            insert(GridResident).values(
                member_id=member_id, grid_id=grid.id, served_households=households
            )
        )
    grid.updated_at = clock.utcnow()  # bumps the grid's version
    await session.flush()
    audit.record(
        session, principal, "grid.residents_assigned", "grid", grid.id, grid.org_path,
        before={"member_ids": before}, after={"member_ids": [str(i) for i in ids]},
    )  # fmt: skip
    return await residents(session, grid.id)


@dataclass
class Coverage:
    as_of: date
    out_of_range: list[uuid.UUID]
    uncovered: list[uuid.UUID]
    without_leader: list[uuid.UUID]
    unassigned_members: list[uuid.UUID]
    totals: dict[str, int]


async def grid_coverage(session: AsyncSession, root: Organisation, as_of: date) -> Coverage:
    """Grid rules for a subtree (网格覆盖情况): grids outside the policy size for their kind
    (urban 300-500 households, rural about 300), grids no party organisation covers,
    grids without a leader, and members living in one of the subtree's communities but
    assigned to no grid."""
    grids = list((await session.scalars(select(Grid).where(under(Grid.org_path, root.path)))).all())
    out_of_range, uncovered, without_leader = [], [], []
    policies: dict[uuid.UUID, dict[str, Any]] = {}
    for grid in sorted(grids, key=lambda g: g.code):
        if grid.org_id not in policies:
            community = await session.get(Organisation, grid.org_id)
            assert community is not None
            policies[grid.org_id] = await effective_policy(session, community)
        policy = policies[grid.org_id]
        low, high = (
            policy[f"grid_{grid.kind}_min_households"],
            policy[f"grid_{grid.kind}_max_households"],
        )
        if not low <= grid.households <= high:
            out_of_range.append(grid.id)
        if grid.covering_org_id is None:
            uncovered.append(grid.id)
        if grid.leader_id is None:
            without_leader.append(grid.id)
    communities = select(Organisation.id).where(under(Organisation.path, root.path))
    unassigned = list(
        (
            await session.scalars(
                select(Member.id)
                .outerjoin(GridResident, GridResident.member_id == Member.id)
                .where(
                    Member.residence_community_id.in_(communities),
                    Member.status.notin_([s.value for s in ENDED_STATUSES]),
                    GridResident.member_id.is_(None),
                )
                .order_by(Member.id)
            )
        ).all()
    )
    assigned = int(
        await session.scalar(
            select(func.count())
            .select_from(GridResident)
            .join(Grid, Grid.id == GridResident.grid_id)
            .where(under(Grid.org_path, root.path))
        )
        or 0
    )
    return Coverage(
        as_of=as_of,
        out_of_range=out_of_range,
        uncovered=uncovered,
        without_leader=without_leader,
        unassigned_members=unassigned,
        totals={
            "grids": len(grids),
            "households": sum(g.households for g in grids),
            "population": sum(g.population for g in grids),
            "assigned_members": assigned,
            "unassigned_members": len(unassigned),
            "out_of_range": len(out_of_range),
            "uncovered": len(uncovered),
            "without_leader": len(without_leader),
        },
    )


# --- 双报到 ----------------------------------------------------------------------------------


async def get_report(
    session: AsyncSession, principal: Principal, report_id: uuid.UUID, *, lock: bool = False
) -> CommunityReport:
    report = await load_visible(session, principal, CommunityReport, report_id, lock=lock)
    if principal.role is Role.member and principal.member_id != report.member_id:
        raise NotFound(ErrorCode.community_report_not_found)
    return report


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
        _admin(principal)
    if member.category != MemberCategory.employed:
        raise Conflict(ErrorCode.community_report_not_employed, "双报到 is for employed members")
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
    if await session.scalar(
        select(CommunityReport.id).where(
            CommunityReport.member_id == member.id,
            CommunityReport.state == CommunityReportState.active,
        )
    ):
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
        _admin(principal)
        if not in_scope(principal, report.member_path):
            raise Forbidden(ErrorCode.community_report_not_member_side)
    if report.state != CommunityReportState.active:
        raise Conflict(ErrorCode.community_report_ended)
    if occurred_on > today or occurred_on < report.registered_on:
        raise Unprocessable.field("occurred_on", ErrorCode.community_report_date_invalid)
    tenths = hours * 10
    if tenths != tenths.to_integral_value() or not 0 < tenths <= 240:
        raise Unprocessable.field(
            "hours", ErrorCode.community_report_hours_invalid, "0.1 to 24, one decimal"
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
    _admin(principal)
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
        raise Conflict(ErrorCode.community_report_service_decided, f"the record is {record.state}")
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
    _admin(principal)
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


async def confirmed_hours(session: AsyncSession, report_id: uuid.UUID, year: int) -> Decimal:
    tenths = await session.scalar(
        select(func.coalesce(func.sum(ServiceRecord.tenths), 0)).where(
            ServiceRecord.report_id == report_id,
            ServiceRecord.state == ServiceRecordState.confirmed,
            func.extract("year", ServiceRecord.occurred_on) == year,
        )
    )
    return Decimal(int(tenths or 0)) / 10


@dataclass
class ReportingSummary:
    year: int
    target_hours: int
    employed_members: int
    registered: list[uuid.UUID]
    unregistered: list[uuid.UUID]
    under_target: list[uuid.UUID]
    hours: dict[uuid.UUID, Decimal]


async def reporting_summary(
    session: AsyncSession, root: Organisation, year: int
) -> ReportingSummary:
    """双报到 in a subtree: employed members registered or not, and those under the yearly
    service-hours target (policy, default 50)."""
    target = int((await effective_policy(session, root))["service_hours_target"])
    employed = list(
        (
            await session.scalars(
                select(Member.id)
                .where(
                    under(Member.org_path, root.path),
                    Member.category == MemberCategory.employed,
                    Member.status.notin_([s.value for s in ENDED_STATUSES]),
                )
                .order_by(Member.id)
            )
        ).all()
    )
    tenths = func.coalesce(
        func.sum(ServiceRecord.tenths).filter(ServiceRecord.state == ServiceRecordState.confirmed),
        0,
    )
    rows = (
        await session.execute(
            select(CommunityReport.member_id, tenths)
            .outerjoin(
                ServiceRecord,
                and_(
                    ServiceRecord.report_id == CommunityReport.id,
                    func.extract("year", ServiceRecord.occurred_on) == year,
                ),
            )
            .where(
                CommunityReport.member_id.in_(employed),
                CommunityReport.state == CommunityReportState.active,
            )
            .group_by(CommunityReport.member_id)
        )
    ).all()
    hours = {member_id: Decimal(int(t)) / 10 for member_id, t in rows}
    registered = sorted(hours)
    return ReportingSummary(
        year=year,
        target_hours=target,
        employed_members=len(employed),
        registered=registered,
        unregistered=[m for m in employed if m not in hours],
        under_target=[m for m in registered if hours[m] < target],
        hours=hours,
    )
