"""Organisation (党组织) endpoints."""

from __future__ import annotations

import uuid
from datetime import date
from typing import Annotated

from fastapi import Query, Response, status

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
    PrincipalDep,
    SessionDep,
    StaffPrincipal,
    TodayDep,
    VisibleOrganisation,
    check_if_match,
    set_etag,
)
from app.api.routing import principal_checked_by_read, replica_read
from app.models.enums import LeaderRole, OrgType
from app.schemas.common import Page
from app.schemas.organisations import (
    LeaderCreate,
    LeaderRead,
    OrganisationCreate,
    OrganisationHealth,
    OrganisationMove,
    OrganisationRead,
    OrganisationStats,
    OrganisationUpdate,
    TreeNode,
)
from app.services import organisations as service
from app.services.organisations.national import organisation_read

router = make_router("organisations")


def _leader_read(row: service.LeaderRow, today: date) -> LeaderRead:
    leader = row.leader
    return LeaderRead(
        id=leader.id,
        org_id=leader.org_id,
        member_id=leader.member_id,
        member_name=row.member_name,
        role=LeaderRole(leader.role),
        started_on=leader.started_on,
        ended_on=leader.ended_on,
        current=service.term_current(leader.started_on, leader.ended_on, today),
        version=leader.version,
    )


@router.post(
    "/organisations",
    name="organisations_create",
    status_code=status.HTTP_201_CREATED,
    description=doc(service.create_organisation),
)
async def organisations_create(
    body: OrganisationCreate, response: Response, session: SessionDep, principal: PrincipalDep
) -> OrganisationRead:
    org = await service.create_organisation(session, principal, body)
    response.headers["Location"] = f"{API_PREFIX}/organisations/{org.id}"
    set_etag(response, org.version)
    return organisation_read(org)


@router.get("/organisations", name="organisations_list")
@replica_read
async def organisations_list(
    session: SessionDep,
    principal: PrincipalDep,
    parent_id: uuid.UUID | None = None,
    within: Annotated[
        uuid.UUID | None, Query(description="Whole subtree of this organisation.")
    ] = None,
    type: OrgType | None = None,
    q: Annotated[str | None, Query(max_length=100, description="Name or code contains.")] = None,
    include_dissolved: bool = False,
    sort: str = sort_query(service.ORG_SORT, *service.ORG_SORTABLE),
    limit: LimitQuery = None,
    cursor: CursorQuery = None,
    include_total: TotalQuery = False,
) -> Page[OrganisationRead]:
    """Organisations in your subtree, in tree order unless `sort` names `code`, `name`,
    `depth` or `created_at`."""
    if parent_id is not None:
        await service.get_visible_node(session, principal, parent_id, field="parent_id")
    page = await service.list_organisations(
        session,
        principal,
        parent_id=parent_id,
        within=within,
        org_type=type,
        q=q,
        include_dissolved=include_dissolved,
        sort=sort,
        limit=limit,
        cursor=cursor,
        include_total=include_total,
    )
    return envelope(page, [organisation_read(o) for o in page.items])


@router.get("/organisations/{org_id}", name="organisations_get")
async def organisations_get(org: VisibleOrganisation, response: Response) -> OrganisationRead:
    """One organisation in your subtree."""
    set_etag(response, org.version)
    return organisation_read(org)


@router.patch(
    "/organisations/{org_id}",
    name="organisations_update",
    description=doc(service.update_organisation),
)
async def organisations_update(
    org: VisibleOrganisation,
    body: OrganisationUpdate,
    response: Response,
    session: SessionDep,
    principal: PrincipalDep,
    if_match: IfMatch = None,
) -> OrganisationRead:
    check_if_match(if_match, org.version)
    org = await service.update_organisation(session, principal, org, body)
    set_etag(response, org.version)
    return organisation_read(org)


@router.delete(
    "/organisations/{org_id}",
    name="organisations_dissolve",
    status_code=status.HTTP_204_NO_CONTENT,
    description=doc(service.dissolve_organisation),
)
async def organisations_dissolve(
    org: VisibleOrganisation,
    session: SessionDep,
    principal: PrincipalDep,
    today: TodayDep,
    if_match: IfMatch = None,
) -> Response:
    check_if_match(if_match, org.version)
    await service.dissolve_organisation(session, principal, org, today)
    return Response(status_code=status.HTTP_204_NO_CONTENT)


@router.get("/organisations/{org_id}/tree", name="organisations_tree", response_model=TreeNode)
@replica_read
@principal_checked_by_read
async def organisations_tree(
    org_id: uuid.UUID,
    session: SessionDep,
    principal: PrincipalDep,
    depth: Annotated[int, Query(ge=0, le=10, description="Levels below this organisation.")] = 1,
    include_dissolved: bool = False,
) -> Response:
    """The organisation and its descendants down to `depth` levels (组织树)."""
    body = await service.visible_tree(session, principal, org_id, depth, include_dissolved)
    return Response(body, media_type="application/json")


@router.post(
    "/organisations/{org_id}/move",
    name="organisations_move",
    description=doc(service.move_organisation),
)
async def organisations_move(
    org: VisibleOrganisation,
    body: OrganisationMove,
    response: Response,
    session: SessionDep,
    principal: PrincipalDep,
    if_match: IfMatch = None,
) -> OrganisationRead:
    check_if_match(if_match, org.version)
    org = await service.move_organisation(session, principal, org, body.new_parent_id)
    set_etag(response, org.version)
    return organisation_read(org)


@router.get("/organisations/{org_id}/leaders", name="organisations_leaders_list")
async def organisations_leaders_list(
    org_id: uuid.UUID,
    session: SessionDep,
    principal: PrincipalDep,
    today: TodayDep,
    sort: str = sort_query("current"),
    include_total: TotalQuery = False,
) -> Page[LeaderRead]:
    """The organisation's leaders (班子), current first, with past terms (one page: all
    of them)."""
    whole_list_order(sort, "current")  # a bad sort is 422 before the id is asked for
    org = await service.get_visible(session, principal, org_id)
    items = [_leader_read(r, today) for r in await service.visible_leaders(session, principal, org)]
    return whole_page(items, include_total)


@router.post(
    "/organisations/{org_id}/leaders",
    name="organisations_leaders_add",
    status_code=status.HTTP_201_CREATED,
    description=doc(service.add_leader),
)
async def organisations_leaders_add(
    org: VisibleOrganisation,
    body: LeaderCreate,
    response: Response,
    session: SessionDep,
    principal: PrincipalDep,
    today: TodayDep,
) -> LeaderRead:
    row = await service.add_leader(session, principal, org, body, today)
    response.headers["Location"] = f"{API_PREFIX}/organisations/{org.id}/leaders"
    return _leader_read(row, today)


@router.get(
    "/organisations/{org_id}/health",
    name="organisations_health",
    description=doc(service.organisation_health),
)
@replica_read
async def organisations_health(
    principal: StaffPrincipal, org: VisibleOrganisation, session: SessionDep, as_of: AsOfDep
) -> OrganisationHealth:
    return await service.organisation_health(session, org, as_of)


@router.get(
    "/organisations/{org_id}/stats",
    name="organisations_stats",
    description=doc(service.organisation_stats),
)
@replica_read
@principal_checked_by_read
async def organisations_stats(
    principal: StaffPrincipal, org_id: uuid.UUID, session: SessionDep, as_of: AsOfDep
) -> OrganisationStats:
    # The organisation as a node (id, path) read on the driver: no ORM object, no
    # transaction for a GET (the dashboard's hot read).
    org = await service.get_visible_node(session, principal, org_id)
    return await service.organisation_stats(session, org, as_of)
