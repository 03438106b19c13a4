"""The member's own surface (`/me`, 我的): every route reads or writes the caller's own
member record (`Principal.member_id`) through the same services and view functions as
the resource routes, so no rule and no shape has a second copy; another member is
never reachable here. A user without a member record answers 403 `me.no_member_record`."""

from __future__ import annotations

import uuid

from fastapi import Response, status

from app.api.common import (
    API_PREFIX,
    CursorQuery,
    LimitQuery,
    TotalQuery,
    doc,
    json_response,
    make_router,
    sort_query,
)
from app.api.deps import AsOfDep, PrincipalDep, SessionDep, TodayDep, set_etag
from app.api.routing import principal_checked_by_read
from app.errors import ErrorCode, Forbidden
from app.i18n import Text
from app.models.change_request import MemberChangeRequest
from app.models.enums import ChangeRequestState, EntryState, LeaderRole, MeetingState, Presence
from app.pagination import MAX_LIMIT
from app.schemas.common import Page, Year
from app.schemas.me import (
    ChangeRequestCreate,
    ChangeRequestRead,
    MyDues,
    MyDuesMonth,
    MyLeader,
    MyMeetings,
    MyOrganisation,
    MyPoints,
)
from app.schemas.meetings import MemberMeeting
from app.schemas.members import MemberRead, Timeline
from app.schemas.mobile import CheckInCreate, CheckInRead, EpisodeDetail
from app.security.scope import Principal
from app.services import dues, lifecycle, meetings, members, mobile, organisations, points
from app.services.members import change_requests
from app.services.organisations.national import organisation_read

router = make_router("me")


def my_member_id(principal: Principal) -> uuid.UUID:
    """The caller's member record; 403 for a user without one (an administrator)."""
    if principal.member_id is None:
        raise Forbidden(
            ErrorCode.me_no_member_record,
            Text(zh="该用户没有关联的党员档案", en="this user has no member record"),
        )
    return principal.member_id


@router.get("/me", name="me_get", response_model=MemberRead)
@principal_checked_by_read
async def me_get(session: SessionDep, principal: PrincipalDep, today: TodayDep) -> Response:
    """My member record, masked and rendered as `GET /members/{id}` renders it for me."""
    body, version = await members.read_one(session, principal, my_member_id(principal), today)
    return json_response(body, headers={"ETag": f'"{version}"'})


@router.get("/me/organisation", name="me_organisation")
async def me_organisation(
    session: SessionDep, principal: PrincipalDep, today: TodayDep
) -> MyOrganisation:
    """My branch and its current leaders (seat and name, as every member may know them)."""
    member = await members.get_visible(session, principal, my_member_id(principal))
    org = await organisations.get_visible(session, principal, member.org_id)
    leaders = [
        MyLeader(
            role=LeaderRole(r.leader.role),
            member_name=r.member_name,
            started_on=r.leader.started_on,
            ended_on=r.leader.ended_on,
        )
        for r in await organisations.list_leaders(session, org)
        if organisations.term_current(r.leader.started_on, r.leader.ended_on, today)
    ]
    leaders.sort(key=lambda x: x.role != LeaderRole.secretary)
    return MyOrganisation(organisation=organisation_read(org), leaders=leaders)


@router.get("/me/meetings", name="me_meetings")
async def me_meetings(session: SessionDep, principal: PrincipalDep, today: TodayDep) -> MyMeetings:
    """My meetings in three parts: upcoming (planned, from today on), attended, absent
    (excused with its reason, or absent); the rate as on `GET /members/{id}/meetings`."""
    member = await members.get_visible(session, principal, my_member_id(principal))
    mine = await meetings.member_meetings_read(session, member, include_total=False)
    upcoming: list[MemberMeeting] = []
    attended: list[MemberMeeting] = []
    absent: list[MemberMeeting] = []
    for m in mine.items:
        if m.state == MeetingState.planned and m.held_on >= today:
            upcoming.append(m)
        elif m.presence == Presence.present:
            attended.append(m)
        elif m.presence in (Presence.absent, Presence.excused):
            absent.append(m)
    upcoming.reverse()  # soonest first
    return MyMeetings(
        member_id=member.id,
        attendance_rate=mine.attendance_rate,
        upcoming=upcoming,
        attended=attended,
        absent=absent,
    )


@router.get("/me/points", name="me_points")
async def me_points(
    session: SessionDep, principal: PrincipalDep, today: TodayDep, year: Year | None = None
) -> MyPoints:
    """My balance for the year with its entries (`GET /members/{id}/points`), and my
    claims awaiting approval. A claim is filed with `POST /point-entries` naming myself."""
    me = my_member_id(principal)
    member = await members.get_visible(session, principal, me)
    balance = await points.balance_read(session, member, year or today.year)
    claims = await points.list_entries(
        session,
        principal,
        within_path=None,
        member_id=me,
        state=EntryState.pending,
        year=None,
        limit=MAX_LIMIT,
        cursor=None,
        sort=points.ENTRY_SORT,
    )
    items = [points.entry_read(e) for e in claims.items]
    return MyPoints(**balance.model_dump(), claims=items)


@router.get("/me/dues", name="me_dues")
async def me_dues(
    session: SessionDep, principal: PrincipalDep, today: TodayDep, year: Year | None = None
) -> MyDues:
    """My dues per month of the year (to this month): assessed as `dues/assessment`
    assesses it, what I paid for it, what I still owe."""
    member = await members.get_visible(session, principal, my_member_id(principal))
    rows = await dues.statement(session, member, year or today.year, today)
    months = [
        MyDuesMonth(
            month=f"{r.assessment.month:%Y-%m}",
            category=r.assessment.category,
            due=r.assessment.due,
            assessed_fen=r.assessment.amount_fen,
            paid_fen=r.paid_fen,
            owed_fen=r.owed_fen,
            relief=r.assessment.relief,
            note=r.assessment.note,
        )
        for r in rows
    ]
    return MyDues(
        member_id=member.id,
        year=year or today.year,
        months=months,
        owed_fen=sum(m.owed_fen for m in months),
    )


@router.get("/me/mobile-episode", name="me_mobile_episode")
async def me_mobile_episode(
    response: Response, session: SessionDep, principal: PrincipalDep, as_of: AsOfDep
) -> EpisodeDetail:
    """My open mobile-member episode (else my latest) with its check-ins; 404 when none."""
    episode_id = await mobile.current_episode_id(session, my_member_id(principal))
    detail, version = await mobile.episode_detail(session, principal, episode_id, as_of)
    set_etag(response, version)
    return detail


@router.post(
    "/me/check-ins",
    name="me_check_in",
    status_code=status.HTTP_201_CREATED,
)
async def me_check_in(
    body: CheckInCreate,
    response: Response,
    session: SessionDep,
    principal: PrincipalDep,
    today: TodayDep,
) -> CheckInRead:
    """I check in on my open episode (报到), as `POST /mobile-episodes/{id}/check-ins`
    records it for a member (`reported_by: member`)."""
    episode_id = await mobile.current_episode_id(session, my_member_id(principal))
    episode = await mobile.get_visible(session, principal, episode_id, lock=True)
    row = await mobile.check_in(session, principal, episode, body.model_dump(), today)
    response.headers["Location"] = f"{API_PREFIX}/me/mobile-episode"
    return mobile.check_in_read(row)


@router.get("/me/timeline", name="me_timeline")
async def me_timeline(session: SessionDep, principal: PrincipalDep) -> Timeline:
    """My electronic record (`GET /members/{id}/timeline`)."""
    member = await members.get_visible(session, principal, my_member_id(principal))
    return await lifecycle.timeline_read(session, member)


def change_request_read(row: MemberChangeRequest) -> ChangeRequestRead:
    return ChangeRequestRead.model_validate(row, from_attributes=True)


@router.post(
    "/me/change-requests",
    name="me_change_requests_create",
    status_code=status.HTTP_201_CREATED,
    description=doc(change_requests.request_change),
)
async def me_change_requests_create(
    body: ChangeRequestCreate, response: Response, session: SessionDep, principal: PrincipalDep
) -> ChangeRequestRead:
    member = await members.get_visible(session, principal, my_member_id(principal))
    changes = body.model_dump(exclude_unset=True, exclude={"reason"}, mode="json")
    row = await change_requests.request_change(session, principal, member, changes, body.reason)
    response.headers["Location"] = f"{API_PREFIX}/member-change-requests/{row.id}"
    return change_request_read(row)


@router.get(
    "/me/change-requests",
    name="me_change_requests_list",
    description=doc(change_requests.list_change_requests),
)
async def me_change_requests_list(
    session: SessionDep,
    principal: PrincipalDep,
    state: ChangeRequestState | None = None,
    sort: str = sort_query(
        change_requests.CHANGE_REQUEST_SORT, *change_requests.CHANGE_REQUEST_SORTABLE
    ),
    limit: LimitQuery = None,
    cursor: CursorQuery = None,
    include_total: TotalQuery = False,
) -> Page[ChangeRequestRead]:
    # The query is validated (sort, cursor: 422) before the caller's record is asked for.
    page = await change_requests.list_change_requests(
        session,
        principal,
        state=state,
        member_id=principal.member_id or uuid.UUID(int=0),
        limit=limit,
        cursor=cursor,
        sort=sort,
        include_total=include_total,
    )
    my_member_id(principal)
    items = [change_request_read(r) for r in page.items]
    return Page(items=items, next_cursor=page.next_cursor, total=page.total)
