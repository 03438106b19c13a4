"""Dependencies shared by the routers: session, principal, clock, ETag helpers, and the
resources a path names, loaded and scope-checked once (`VisibleMember`,
`VisibleOrganisation`, `VisibleMeeting`; the `Locked*` ones lock the row for a write)."""

from __future__ import annotations

import uuid
from collections.abc import Awaitable
from datetime import date
from typing import Annotated, TypeVar, cast

from fastapi import Depends, Query, Request, Response
from fastapi.security import OAuth2PasswordBearer
from sqlalchemy.ext.asyncio import AsyncSession
from starlette.types import Scope

from app import clock
from app.api.routing import Deferred, defers_refusal
from app.config import Settings, get_settings
from app.db import get_sessionmaker, serve_reads
from app.errors import DangjianError, ErrorCode, PreconditionFailed, Unauthorized
from app.i18n import Language, negotiate
from app.models.change_request import MemberChangeRequest
from app.models.grid import CommunityReport
from app.models.lifecycle import Transfer
from app.models.meeting import Meeting
from app.models.member import Member
from app.models.mobile import MobileEpisode
from app.models.organisation import Organisation
from app.schemas.common import Day
from app.security.scope import Principal, refuse_member_role
from app.security.tokens import bearer_token
from app.services import grids, meetings, members, mobile, organisations, principals, transfers
from app.services.members import change_requests

T = TypeVar("T")

# The sign-in the OpenAPI document declares on every operation that resolves the caller
# (`get_principal`; `api.openapi` adds it). Not a dependency: `get_principal` reads the
# header itself, since FastAPI's handling of a security dependency (scopes, cache keys)
# cost 4 % of a member read.
oauth2_scheme = OAuth2PasswordBearer(tokenUrl="/api/v1/auth/token", auto_error=False)


async def get_session(request: Request) -> AsyncSession:
    """The request's session, opened and committed by `DangjianRoute`."""
    session: AsyncSession = request.state.db
    return session


async def get_today() -> date:
    """Today for date-driven rules; tests override this dependency to move time.

    Dependencies here are `async def`: FastAPI runs a plain `def` in a worker thread,
    a hop that costs more than the function itself."""
    return clock.today()


async def get_language(request: Request) -> Language:
    """The caller's language, as the problem answers pick it (`?lang=`, then
    `Accept-Language`; zh-CN by default), for answers that carry localized text."""
    return negotiate(request.query_params.get("lang"), request.headers.get("accept-language", ""))


async def settings_dependency() -> Settings:
    return get_settings()


async def get_principal(request: Request) -> Principal:
    # The token, session and settings are read directly, not as sub-dependencies: every
    # request resolves this one, and each dependency costs FastAPI more than reading them.
    token = bearer_token(request.headers.get("authorization"))
    if token is None:
        raise Unauthorized()
    session: AsyncSession = request.state.db
    settings = get_settings()
    if getattr(request.state, "on_replica", False):
        # The login and its revocation are read from the primary: a replica may still
        # show a session that a logout has just revoked.
        async with get_sessionmaker()() as primary:
            serve_reads(primary)
            principal = await principals.principal_from_access_token(primary, settings, token)
    else:
        # A route that lets its first read check the caller (`principal_checked_by_read`)
        # may start with the principal an earlier request of this login read.
        late = getattr(request.state, "principal_late", False)
        principal = await principals.principal_from_access_token(
            session, settings, token, late=late
        )
    request.state.principal = principal
    return principal


def trusted_proxy(address: str, settings: Settings) -> bool:
    """Whether `address` is a reverse proxy listed in `DANGJIAN_TRUSTED_PROXIES`, whose
    forwarded headers are believed: the one test (the client's address, the scheme)."""
    return address in settings.trusted_proxies


def client_address(request: Request, settings: Settings) -> str:
    """The caller's address (login throttling): the peer's, unless the peer is a trusted
    proxy (`trusted_proxy`); then the last `X-Forwarded-For` entry that is not itself a
    trusted proxy. A client cannot choose its address by sending the header."""
    peer = request.client.host if request.client else "unknown"
    if trusted_proxy(peer, settings):
        forwarded = request.headers.get("x-forwarded-for", "").split(",")
        for entry in reversed([e.strip() for e in forwarded if e.strip()]):
            if not trusted_proxy(entry, settings):
                return entry[:64]
    return peer[:64]


def forwarded_scheme(scope: Scope, settings: Settings) -> None:
    """The request's scheme as a trusted proxy (`trusted_proxy`) forwarded it
    (`X-Forwarded-Proto`: `http` or `https`), set in the scope before routing: the
    URLs the app writes from the request (a slash redirect's `Location`) keep the
    client's `https` behind a proxy that ends TLS. From any other peer it is ignored."""
    client = scope.get("client")
    if client is None or not trusted_proxy(client[0], settings):
        return
    for name, value in scope["headers"]:
        if name == b"x-forwarded-proto":
            proto = value.decode("latin-1").strip().lower()
            if proto in ("http", "https"):
                scope["scheme"] = proto
            return


SessionDep = Annotated[AsyncSession, Depends(get_session)]
PrincipalDep = Annotated[Principal, Depends(get_principal)]
SettingsDep = Annotated[Settings, Depends(settings_dependency)]
TodayDep = Annotated[date, Depends(get_today)]
LanguageDep = Annotated[Language, Depends(get_language)]


def set_etag(response: Response, version: int) -> None:
    response.headers["ETag"] = f'"{version}"'


def check_if_match(if_match: str | None, version: int) -> None:
    """Honour `If-Match`: absent passes, `*` passes, otherwise the version must match (412)."""
    if if_match is None:
        return
    candidates = [c.strip() for c in if_match.split(",")]
    if "*" in candidates:
        return
    for candidate in candidates:
        if candidate.removeprefix("W/").strip('"') == str(version):
            return
    raise PreconditionFailed(ErrorCode.precondition_failed, headers={"ETag": f'"{version}"'})


async def get_as_of(
    today: TodayDep,
    as_of: Annotated[
        Day | None,
        Query(description="Evaluate date-driven rules as of this day (default today)."),
    ] = None,
) -> date:
    return as_of or today


AsOfDep = Annotated[date, Depends(get_as_of)]


async def _deferred(load: Awaitable[T]) -> T:
    """The loaded resource, or its refusal kept to be raised once the endpoint's other
    parameters are valid (`routing.Deferred`): 422 before 404."""
    try:
        return await load
    except DangjianError as refused:
        return cast(T, Deferred(refused))


@defers_refusal
async def visible_member(
    member_id: uuid.UUID, session: SessionDep, principal: PrincipalDep
) -> Member:
    """The path's member, if the principal may see it (a member user: only their own); 404
    otherwise, absent or out of scope alike (`members.get_visible`). The 404 is raised
    once the endpoint's other parameters are valid (`routing.Deferred`)."""
    return await _deferred(members.get_visible(session, principal, member_id))


@defers_refusal
async def locked_member(
    member_id: uuid.UUID, session: SessionDep, principal: PrincipalDep
) -> Member:
    """`visible_member`, its row locked for the request's transaction (a write that
    checks the member's state first: two such writes never both pass the check)."""
    return await _deferred(members.get_visible(session, principal, member_id, lock=True))


@defers_refusal
async def visible_meeting(
    meeting_id: uuid.UUID, session: SessionDep, principal: PrincipalDep
) -> Meeting:
    """The path's meeting, if the principal may see it (a member user: one it attends);
    404 otherwise (`meetings.get_visible`), raised once the other parameters are valid."""
    return await _deferred(meetings.get_visible(session, principal, meeting_id))


@defers_refusal
async def locked_meeting(
    meeting_id: uuid.UUID, session: SessionDep, principal: PrincipalDep
) -> Meeting:
    """`visible_meeting`, its row locked for the request's transaction (If-Match and the
    state checks of a write see the version it writes over)."""
    return await _deferred(meetings.get_visible(session, principal, meeting_id, lock=True))


@defers_refusal
async def visible_organisation(
    org_id: uuid.UUID, session: SessionDep, principal: PrincipalDep
) -> Organisation:
    """The path's organisation, if in the principal's subtree; 404 otherwise
    (`organisations.get_visible`), raised once the other parameters are valid."""
    return await _deferred(organisations.get_visible(session, principal, org_id))


@defers_refusal
async def staff_principal(principal: PrincipalDep) -> Principal:
    """The principal, for a report about other members by nature: a member user gets 403
    (`refuse_member_role`), raised once the endpoint's parameters are valid and before a
    path resource declared after it is refused."""
    try:
        refuse_member_role(principal)
    except DangjianError as refused:
        return cast(Principal, Deferred(refused))
    return principal


@defers_refusal
async def locked_transfer(
    transfer_id: uuid.UUID, session: SessionDep, principal: PrincipalDep
) -> Transfer:
    """The path's transfer, if either side is in the principal's subtree, its row locked
    for the decision (`transfers.get_visible`); 404 raised once the other parameters are
    valid."""
    return await _deferred(transfers.get_visible(session, principal, transfer_id, lock=True))


@defers_refusal
async def locked_episode(
    episode_id: uuid.UUID, session: SessionDep, principal: PrincipalDep
) -> MobileEpisode:
    """The path's mobile episode (home or host side in scope; a member user: its own),
    its row locked for the write (`mobile.get_visible`); 404 raised once the other
    parameters are valid."""
    return await _deferred(mobile.get_visible(session, principal, episode_id, lock=True))


@defers_refusal
async def locked_community_report(
    report_id: uuid.UUID, session: SessionDep, principal: PrincipalDep
) -> CommunityReport:
    """The path's community report (社区报到; a member user: its own), its row locked for
    the write (`grids.get_report`); 404 raised once the other parameters are valid."""
    return await _deferred(grids.get_report(session, principal, report_id, lock=True))


@defers_refusal
async def locked_change_request(
    request_id: uuid.UUID, session: SessionDep, principal: PrincipalDep
) -> MemberChangeRequest:
    """The path's member change request, its row locked for the decision
    (`change_requests.get_visible`); 404 raised once the other parameters are valid."""
    return await _deferred(change_requests.get_visible(session, principal, request_id, lock=True))


StaffPrincipal = Annotated[Principal, Depends(staff_principal)]
VisibleMember = Annotated[Member, Depends(visible_member)]
LockedMember = Annotated[Member, Depends(locked_member)]
VisibleMeeting = Annotated[Meeting, Depends(visible_meeting)]
LockedMeeting = Annotated[Meeting, Depends(locked_meeting)]
LockedTransfer = Annotated[Transfer, Depends(locked_transfer)]
LockedEpisode = Annotated[MobileEpisode, Depends(locked_episode)]
LockedCommunityReport = Annotated[CommunityReport, Depends(locked_community_report)]
LockedChangeRequest = Annotated[MemberChangeRequest, Depends(locked_change_request)]
VisibleOrganisation = Annotated[Organisation, Depends(visible_organisation)]
