"""Mobile member (流动党员) endpoints."""

from __future__ import annotations

import uuid

from fastapi import Response, status

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
from app.api.deps import (
    AsOfDep,
    LockedEpisode,
    PrincipalDep,
    SessionDep,
    StaffPrincipal,
    TodayDep,
    set_etag,
)
from app.api.routing import replica_read
from app.models.enums import ContactState, EpisodeState
from app.schemas.common import Page
from app.schemas.mobile import (
    CheckInCreate,
    CheckInRead,
    EpisodeDetail,
    EpisodeRead,
    InflowCreate,
    MobileStats,
    OutflowCreate,
    ReturnCreate,
)
from app.services import mobile as service
from app.services import organisations

router = make_router("mobile")


@router.post(
    "/mobile-episodes",
    name="mobile_outflow",
    status_code=status.HTTP_201_CREATED,
    description=doc(service.register_outflow),
)
async def mobile_outflow(
    body: OutflowCreate,
    response: Response,
    session: SessionDep,
    principal: PrincipalDep,
    today: TodayDep,
) -> EpisodeRead:
    episode = await service.register_outflow(
        session, principal, body.member_id, body.model_dump(exclude={"member_id"}), today
    )
    response.headers["Location"] = f"{API_PREFIX}/mobile-episodes/{episode.id}"
    set_etag(response, episode.version)
    return await service.episode_read(session, principal, episode, today)


@router.get("/mobile-episodes", name="mobile_list", description=doc(service.list_episodes))
async def mobile_list(
    session: SessionDep,
    principal: PrincipalDep,
    as_of: AsOfDep,
    within: uuid.UUID | None = None,
    state: EpisodeState | None = None,
    contact_state: ContactState | None = None,
    overdue: bool | None = None,
    certificate_no: str | None = None,
    sort: str = sort_query(service.EPISODE_SORT, *service.EPISODE_SORTABLE),
    limit: LimitQuery = None,
    cursor: CursorQuery = None,
    include_total: TotalQuery = False,
) -> Page[EpisodeRead]:
    if certificate_no is not None:
        # A host looks up the episode it is asked to take in by the certificate number.
        found = await service.find_for_host(session, principal, certificate_no)
        return Page(items=await service.episode_reads(session, principal, found, as_of))
    within_path = await organisations.within_path(session, principal, within)
    page = await service.list_episodes(
        session,
        principal,
        within_path=within_path,
        state=state,
        contact=contact_state,
        overdue=overdue,
        today=as_of,
        limit=limit,
        cursor=cursor,
        sort=sort,
        include_total=include_total,
    )
    return envelope(page, await service.episode_reads(session, principal, page.items, as_of))


@router.get("/mobile-episodes/stats", name="mobile_stats", description=doc(service.statistics))
@replica_read
async def mobile_stats(
    session: SessionDep, principal: StaffPrincipal, as_of: AsOfDep, within: uuid.UUID | None = None
) -> MobileStats:
    root = await organisations.get_visible(
        session, principal, within or principal.org_id, field="within"
    )
    return MobileStats.model_validate(
        await service.statistics(session, principal, root.path, as_of)
    )


@router.get("/mobile-episodes/{episode_id}", name="mobile_get")
async def mobile_get(
    episode_id: uuid.UUID,
    response: Response,
    session: SessionDep,
    principal: PrincipalDep,
    as_of: AsOfDep,
) -> EpisodeDetail:
    """One episode with its check-ins (home side, host side or the member)."""
    detail, version = await service.episode_detail(session, principal, episode_id, as_of)
    set_etag(response, version)
    return detail


@router.post(
    "/mobile-episodes/{episode_id}/inflow",
    name="mobile_inflow",
    description=doc(service.register_inflow),
)
async def mobile_inflow(
    episode_id: uuid.UUID,
    body: InflowCreate,
    session: SessionDep,
    principal: PrincipalDep,
    today: TodayDep,
) -> EpisodeRead:
    episode = await service.register_inflow(
        session, principal, episode_id, body.host_org_id, body.certificate_no, today
    )
    return await service.episode_read(session, principal, episode, today)


@router.post(
    "/mobile-episodes/{episode_id}/check-ins",
    name="mobile_check_in",
    status_code=status.HTTP_201_CREATED,
    description=doc(service.check_in),
)
async def mobile_check_in(
    episode: LockedEpisode,
    body: CheckInCreate,
    response: Response,
    session: SessionDep,
    principal: PrincipalDep,
    today: TodayDep,
) -> CheckInRead:
    row = await service.check_in(session, principal, episode, body.model_dump(), today)
    response.headers["Location"] = f"{API_PREFIX}/mobile-episodes/{episode.id}"
    return service.check_in_read(row)


@router.post(
    "/mobile-episodes/{episode_id}/return",
    name="mobile_return",
    description=doc(service.return_home),
)
async def mobile_return(
    episode: LockedEpisode,
    body: ReturnCreate,
    session: SessionDep,
    principal: PrincipalDep,
    today: TodayDep,
) -> EpisodeRead:
    episode = await service.return_home(session, principal, episode, body.returned_on or today)
    return await service.episode_read(session, principal, episode, today)
