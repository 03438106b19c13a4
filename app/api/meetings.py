"""Meeting (三会一课) endpoints."""

from __future__ import annotations

import uuid
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
    json_response,
    make_router,
    sort_query,
    whole_list_order,
)
from app.api.deps import (
    AsOfDep,
    LockedMeeting,
    PrincipalDep,
    SessionDep,
    StaffPrincipal,
    TodayDep,
    VisibleMeeting,
    check_if_match,
    set_etag,
)
from app.api.routing import principal_checked_by_read, replica_read
from app.models.enums import MeetingState, MeetingType
from app.schemas.common import Day, Page, Year
from app.schemas.meetings import (
    AmendmentCreate,
    AmendmentRead,
    AttendanceAmendment,
    AttendanceEntry,
    Compliance,
    MeetingCreate,
    MeetingRead,
    MeetingSummary,
    MeetingUpdate,
    MemberMeetings,
    VoteCreate,
    VoteRead,
)
from app.services import compliance, members, organisations
from app.services import meetings as service

router = make_router("meetings")


@router.post(
    "/meetings",
    name="meetings_create",
    status_code=status.HTTP_201_CREATED,
    description=doc(service.plan_meeting),
)
async def meetings_create(
    body: MeetingCreate, response: Response, session: SessionDep, principal: PrincipalDep
) -> MeetingRead:
    data = body.model_dump(exclude={"org_id", "expected_member_ids"})
    data["type"] = body.type.value
    meeting = await service.plan_meeting(
        session, principal, body.org_id, data, body.expected_member_ids
    )
    response.headers["Location"] = f"{API_PREFIX}/meetings/{meeting.id}"
    set_etag(response, meeting.version)
    return await service.meeting_read(session, principal, meeting)


@router.get("/meetings", name="meetings_list", description=doc(service.list_meetings))
async def meetings_list(
    session: SessionDep,
    principal: PrincipalDep,
    within: uuid.UUID | None = None,
    org_id: uuid.UUID | None = None,
    type: MeetingType | None = None,
    state: MeetingState | None = None,
    held_from: Day | None = None,
    held_to: Day | None = None,
    sort: str = sort_query(service.MEETING_SORT, *service.MEETING_SORTABLE),
    limit: LimitQuery = None,
    cursor: CursorQuery = None,
    include_total: TotalQuery = False,
) -> Page[MeetingSummary]:
    within_path = await organisations.within_path(session, principal, within)
    page = await service.list_meetings(
        session,
        principal,
        within_path=within_path,
        org_id=org_id,
        meeting_type=type.value if type else None,
        state=state,
        held_from=held_from,
        held_to=held_to,
        limit=limit,
        cursor=cursor,
        sort=sort,
        include_total=include_total,
    )
    return envelope(
        page, [MeetingSummary.model_validate(m, from_attributes=True) for m in page.items]
    )


@router.get("/meetings/{meeting_id}", name="meetings_get")
async def meetings_get(
    meeting: VisibleMeeting, response: Response, session: SessionDep, principal: PrincipalDep
) -> MeetingRead:
    """The record with attendance, votes, and amendments beside the original text."""
    set_etag(response, meeting.version)
    return await service.meeting_read(session, principal, meeting)


@router.patch(
    "/meetings/{meeting_id}", name="meetings_update", description=doc(service.update_meeting)
)
async def meetings_update(
    meeting: LockedMeeting,
    body: MeetingUpdate,
    response: Response,
    session: SessionDep,
    principal: PrincipalDep,
    if_match: IfMatch = None,
) -> MeetingRead:
    check_if_match(if_match, meeting.version)
    meeting = await service.update_meeting(
        session, principal, meeting, body.model_dump(exclude_unset=True)
    )
    set_etag(response, meeting.version)
    return await service.meeting_read(session, principal, meeting)


@router.put(
    "/meetings/{meeting_id}/attendance",
    name="meetings_attendance",
    description=doc(service.record_attendance),
)
async def meetings_attendance(
    meeting: LockedMeeting,
    body: list[AttendanceEntry],
    response: Response,
    session: SessionDep,
    principal: PrincipalDep,
    if_match: IfMatch = None,
) -> MeetingRead:
    check_if_match(if_match, meeting.version)
    await service.record_attendance(session, principal, meeting, [e.model_dump() for e in body])
    set_etag(response, meeting.version)
    return await service.meeting_read(session, principal, meeting)


@router.post(
    "/meetings/{meeting_id}/votes",
    name="meetings_vote",
    status_code=status.HTTP_201_CREATED,
    description=doc(service.record_vote),
)
async def meetings_vote(
    meeting: LockedMeeting,
    body: VoteCreate,
    response: Response,
    session: SessionDep,
    principal: PrincipalDep,
    today: TodayDep,
) -> VoteRead:
    vote = await service.record_vote(session, principal, meeting, body.model_dump(), today)
    response.headers["Location"] = f"{API_PREFIX}/meetings/{meeting.id}"
    return VoteRead.model_validate(vote, from_attributes=True)


@router.post(
    "/meetings/{meeting_id}/finalize",
    name="meetings_finalize",
    description=doc(service.finalize_meeting),
)
async def meetings_finalize(
    meeting: LockedMeeting,
    response: Response,
    session: SessionDep,
    principal: PrincipalDep,
    today: TodayDep,
) -> MeetingRead:
    meeting = await service.finalize_meeting(session, principal, meeting, today)
    set_etag(response, meeting.version)
    return await service.meeting_read(session, principal, meeting)


@router.post(
    "/meetings/{meeting_id}/amendments",
    name="meetings_amend",
    status_code=status.HTTP_201_CREATED,
    description=doc(service.amend_meeting),
)
async def meetings_amend(
    meeting: LockedMeeting,
    body: AmendmentCreate,
    response: Response,
    session: SessionDep,
    principal: PrincipalDep,
) -> AmendmentRead:
    value = (
        [e.model_dump() for e in body.value]
        if isinstance(body, AttendanceAmendment)
        else body.value
    )
    amendment = await service.amend_meeting(
        session, principal, meeting, body.field, value, body.reason
    )
    response.headers["Location"] = f"{API_PREFIX}/meetings/{meeting.id}"
    return AmendmentRead.model_validate(amendment, from_attributes=True)


@router.get(
    "/organisations/{org_id}/meeting-compliance",
    name="meetings_compliance",
    description=doc(compliance.meeting_compliance),
    response_model=Compliance,
)
@replica_read
@principal_checked_by_read
async def meetings_compliance(
    org_id: uuid.UUID,
    session: SessionDep,
    principal: StaffPrincipal,
    as_of: AsOfDep,
    year: Annotated[Year | None, Query(description="Default: as_of's year.")] = None,
    quarter: Annotated[int | None, Query(ge=1, le=4)] = None,
    month: Annotated[int | None, Query(ge=1, le=12)] = None,
    only_overdue: bool = False,
) -> Response:
    org = await organisations.get_visible_node(session, principal, org_id)
    report = await compliance.meeting_compliance(
        session,
        org.path,
        year=year or as_of.year,
        quarter=quarter,
        month=month,
        as_of=as_of,
        only_overdue=only_overdue,
    )
    # A county report is hundreds of rows: orjson writes the report's dataclass and its
    # row dicts directly (their fields are the `Compliance` schema's, checked by a test)
    # instead of building and validating a pydantic model per row.
    return json_response(report)


@router.get("/members/{member_id}/meetings", name="members_meetings")
async def members_meetings(
    member_id: uuid.UUID,
    session: SessionDep,
    principal: PrincipalDep,
    sort: str = sort_query("-held_on"),
    include_total: TotalQuery = False,
) -> MemberMeetings:
    """The meetings a member was expected at, newest first, with presence and attendance
    rate (one page: all of them)."""
    whole_list_order(sort, "-held_on")  # a bad sort is 422 before the id is asked for
    member = await members.get_visible(session, principal, member_id)
    return await service.member_meetings_read(session, member, include_total=include_total)
