"""Grid (网格) and 双报到 endpoints."""

from __future__ import annotations

import uuid
from decimal import Decimal

from fastapi import Response, status

from app.api.common import (
    API_PREFIX,
    CursorQuery,
    IfMatch,
    LimitQuery,
    TotalQuery,
    doc,
    envelope,
    make_router,
    sort_query,
    whole_list_order,
    whole_page,
)
from app.api.deps import (
    AsOfDep,
    LockedCommunityReport,
    PrincipalDep,
    SessionDep,
    StaffPrincipal,
    TodayDep,
    VisibleOrganisation,
    check_if_match,
    set_etag,
)
from app.api.routing import replica_read
from app.models.grid import Grid, ServiceRecord
from app.schemas.common import Page, Year
from app.schemas.grids import (
    Coverage,
    GridCreate,
    GridDetail,
    GridMembers,
    GridRead,
    GridUpdate,
    ReportCreate,
    ReportingMemberRead,
    ReportingSummary,
    ReportRead,
    ResidentRead,
    ReviewCreate,
    ServiceCreate,
    ServiceRead,
)
from app.services import grids as service
from app.services import members, organisations

router = make_router("grids")


async def _detail(session: SessionDep, grid: Grid) -> GridDetail:
    base = GridRead.model_validate(grid, from_attributes=True)
    rows = await service.residents(session, grid.id)
    return GridDetail(
        **base.model_dump(),
        residents=[ResidentRead.model_validate(r, from_attributes=True) for r in rows],
    )


def _service(record: ServiceRecord) -> ServiceRead:
    return ServiceRead(
        id=record.id,
        occurred_on=record.occurred_on,
        hours=Decimal(record.tenths) / 10,
        description=record.description,
        state=record.state,
    )


@router.post(
    "/grids",
    name="grids_create",
    status_code=status.HTTP_201_CREATED,
    description=doc(service.create_grid),
)
async def grids_create(
    body: GridCreate, response: Response, session: SessionDep, principal: PrincipalDep
) -> GridDetail:
    data = body.model_dump()
    data["buildings"] = [b.model_dump() for b in body.buildings]
    grid = await service.create_grid(session, principal, data)
    response.headers["Location"] = f"{API_PREFIX}/grids/{grid.id}"
    set_etag(response, grid.version)
    return await _detail(session, grid)


@router.get("/grids", name="grids_list")
async def grids_list(
    session: SessionDep,
    principal: PrincipalDep,
    within: uuid.UUID | None = None,
    sort: str = sort_query(service.GRID_SORT, *service.GRID_SORTABLE),
    limit: LimitQuery = None,
    cursor: CursorQuery = None,
    include_total: TotalQuery = False,
) -> Page[GridRead]:
    """Grids in your subtree."""
    within_path = await organisations.within_path(session, principal, within)
    page = await service.list_grids(
        session,
        principal,
        within_path=within_path,
        limit=limit,
        cursor=cursor,
        sort=sort,
        include_total=include_total,
    )
    return envelope(page, [GridRead.model_validate(g, from_attributes=True) for g in page.items])


@router.get("/grids/{grid_id}", name="grids_get")
async def grids_get(
    grid_id: uuid.UUID, response: Response, session: SessionDep, principal: PrincipalDep
) -> GridDetail:
    """One grid with its residents and central households."""
    grid = await service.get_visible(session, principal, grid_id)
    set_etag(response, grid.version)
    return await _detail(session, grid)


@router.patch("/grids/{grid_id}", name="grids_update", description=doc(service.update_grid))
async def grids_update(
    grid_id: uuid.UUID,
    body: GridUpdate,
    response: Response,
    session: SessionDep,
    principal: PrincipalDep,
    if_match: IfMatch = None,
) -> GridDetail:
    grid = await service.get_visible(session, principal, grid_id)
    check_if_match(if_match, grid.version)
    changes = body.model_dump(exclude_unset=True)
    if "buildings" in changes:
        changes["buildings"] = [b.model_dump() for b in body.buildings or []]
    grid = await service.update_grid(session, principal, grid, changes)
    set_etag(response, grid.version)
    return await _detail(session, grid)


@router.put(
    "/grids/{grid_id}/members", name="grids_members", description=doc(service.assign_residents)
)
async def grids_members(
    grid_id: uuid.UUID,
    body: GridMembers,
    response: Response,
    session: SessionDep,
    principal: PrincipalDep,
    if_match: IfMatch = None,
) -> GridDetail:
    grid = await service.get_visible(session, principal, grid_id)
    check_if_match(if_match, grid.version)
    await service.assign_residents(
        session,
        principal,
        grid,
        body.member_ids,
        {c.member_id: c.households for c in body.central_households},
    )
    set_etag(response, grid.version)
    return await _detail(session, grid)


@router.get(
    "/organisations/{org_id}/grid-coverage",
    name="grids_coverage",
    description=doc(service.grid_coverage),
)
@replica_read
async def grids_coverage(
    principal: StaffPrincipal, org: VisibleOrganisation, session: SessionDep, as_of: AsOfDep
) -> Coverage:
    return Coverage.model_validate(
        await service.grid_coverage(session, org, as_of), from_attributes=True
    )


@router.post(
    "/members/{member_id}/community-report",
    name="community_report_register",
    status_code=status.HTTP_201_CREATED,
    description=doc(service.register_report),
)
async def community_report_register(
    member_id: uuid.UUID,
    body: ReportCreate,
    response: Response,
    session: SessionDep,
    principal: PrincipalDep,
    today: TodayDep,
) -> ReportRead:
    member = await members.get_visible(session, principal, member_id, copies_path=True)
    report = await service.register_report(session, principal, member, body.community_org_id, today)
    response.headers["Location"] = f"{API_PREFIX}/community-reports/{report.id}"
    return ReportRead.model_validate(report, from_attributes=True)


@router.get("/community-reports/{report_id}", name="community_report_get")
async def community_report_get(
    report_id: uuid.UUID, session: SessionDep, principal: PrincipalDep
) -> ReportRead:
    """A registration, seen from the work side or the residence side."""
    return ReportRead.model_validate(
        await service.get_report(session, principal, report_id), from_attributes=True
    )


@router.get("/community-reports/{report_id}/services", name="community_report_services")
async def community_report_services(
    report_id: uuid.UUID,
    session: SessionDep,
    principal: PrincipalDep,
    sort: str = sort_query("occurred_on"),
    include_total: TotalQuery = False,
) -> Page[ServiceRead]:
    """The service records of a registration, oldest first (one page: all of them)."""
    whole_list_order(sort, "occurred_on")
    report = await service.get_report(session, principal, report_id)
    rows = await service.services(session, report.id)
    return whole_page([_service(r) for r in rows], include_total)


@router.post(
    "/community-reports/{report_id}/services",
    name="community_report_log_service",
    status_code=status.HTTP_201_CREATED,
    description=doc(service.log_service),
)
async def community_report_log_service(
    report: LockedCommunityReport,
    body: ServiceCreate,
    response: Response,
    session: SessionDep,
    principal: PrincipalDep,
    today: TodayDep,
) -> ServiceRead:
    record = await service.log_service(
        session, principal, report, body.occurred_on, body.hours, body.description, today
    )
    response.headers["Location"] = f"{API_PREFIX}/community-reports/{report.id}/services"
    return _service(record)


@router.post(
    "/community-reports/{report_id}/services/{record_id}/confirm",
    name="community_report_confirm_service",
    description=doc(service.decide_service),
)
async def community_report_confirm_service(
    report: LockedCommunityReport,
    record_id: uuid.UUID,
    session: SessionDep,
    principal: PrincipalDep,
) -> ServiceRead:
    return _service(await service.decide_service(session, principal, report, record_id, True))


@router.post(
    "/community-reports/{report_id}/services/{record_id}/reject",
    name="community_report_reject_service",
)
async def community_report_reject_service(
    report: LockedCommunityReport,
    record_id: uuid.UUID,
    session: SessionDep,
    principal: PrincipalDep,
) -> ServiceRead:
    """Reject a logged service record (the community did not see it happen)."""
    return _service(await service.decide_service(session, principal, report, record_id, False))


@router.post(
    "/community-reports/{report_id}/review",
    name="community_report_review",
    description=doc(service.review_report),
)
async def community_report_review(
    report: LockedCommunityReport,
    body: ReviewCreate,
    session: SessionDep,
    principal: PrincipalDep,
    today: TodayDep,
) -> ReportRead:
    report = await service.review_report(session, principal, report, body.year, body.status, today)
    return ReportRead.model_validate(report, from_attributes=True)


@router.get(
    "/organisations/{org_id}/community-reporting",
    name="community_reporting_summary",
    description=doc(service.reporting_summary) + "\n\nNot for the member role (403).",
)
async def community_reporting_summary(
    principal: StaffPrincipal,
    org: VisibleOrganisation,
    session: SessionDep,
    today: TodayDep,
    year: Year | None = None,
) -> ReportingSummary:
    summary = await service.reporting_summary(session, org, year or today.year)
    return ReportingSummary.model_validate(summary, from_attributes=True)


@router.get(
    "/organisations/{org_id}/community-reporting/members",
    name="community_reporting_members",
    description=doc(service.reporting_members) + "\n\nNot for the member role (403).",
)
async def community_reporting_members(
    principal: StaffPrincipal,
    org: VisibleOrganisation,
    session: SessionDep,
    today: TodayDep,
    year: Year | None = None,
    state: service.ReportingState | None = None,
    sort: str = sort_query(service.REPORTING_SORT, *service.REPORTING_SORTABLE),
    limit: LimitQuery = None,
    cursor: CursorQuery = None,
    include_total: TotalQuery = False,
) -> Page[ReportingMemberRead]:
    page = await service.reporting_members(
        session,
        org,
        year or today.year,
        state,
        limit=limit,
        cursor=cursor,
        sort=sort,
        include_total=include_total,
    )
    items = [ReportingMemberRead.model_validate(m, from_attributes=True) for m in page.items]
    return envelope(page, items)
