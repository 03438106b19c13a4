"""Admission record endpoints: the holiday calendar, public notices (公示), 志愿书 numbers."""

from __future__ import annotations

from fastapi import Query, Response, status

from app.api.common import (
    API_PREFIX,
    TotalQuery,
    doc,
    make_router,
    sort_query,
    whole_list_order,
    whole_page,
)
from app.api.deps import (
    PrincipalDep,
    SessionDep,
    StaffPrincipal,
    VisibleMember,
    VisibleOrganisation,
)
from app.models.enums import FormNumberState
from app.schemas.admission import (
    CalendarDayRead,
    CalendarDayWrite,
    FormNumberRead,
    FormNumberReport,
    FormNumberUse,
    FormNumberVoid,
    FormRangeCreate,
    FormRangeRead,
    FormRangeReport,
    NoticeCreate,
    NoticeRead,
)
from app.schemas.common import Day, Page
from app.services.admission import calendar, notices, numbers

router = make_router("admission")


@router.get("/calendar-days", name="calendar_days_list")
async def calendar_days_list(
    session: SessionDep,
    principal: PrincipalDep,
    year: int = Query(ge=2000, le=2100),
    sort: str = sort_query("day"),
    include_total: TotalQuery = False,
) -> Page[CalendarDayRead]:
    """The year's holidays and adjusted working days (调休), by date (one page: all of them)."""
    whole_list_order(sort, "day")
    rows = await calendar.list_days(session, year)
    return whole_page([CalendarDayRead.model_validate(r) for r in rows], include_total)


@router.put("/calendar-days/{day}", name="calendar_days_put", description=doc(calendar.set_day))
async def calendar_days_put(
    day: Day, body: CalendarDayWrite, session: SessionDep, principal: PrincipalDep
) -> CalendarDayRead:
    row = await calendar.set_day(session, principal, day, body.kind, body.name)
    return CalendarDayRead.model_validate(row)


@router.delete(
    "/calendar-days/{day}",
    name="calendar_days_delete",
    status_code=status.HTTP_204_NO_CONTENT,
    description=doc(calendar.delete_day),
)
async def calendar_days_delete(day: Day, session: SessionDep, principal: PrincipalDep) -> Response:
    await calendar.delete_day(session, principal, day)
    return Response(status_code=status.HTTP_204_NO_CONTENT)


@router.post(
    "/members/{member_id}/notices",
    name="members_notices_record",
    status_code=status.HTTP_201_CREATED,
    description=doc(notices.record_notice),
)
async def members_notices_record(
    member: VisibleMember,
    body: NoticeCreate,
    response: Response,
    session: SessionDep,
    principal: PrincipalDep,
) -> NoticeRead:
    row = await notices.record_notice(session, principal, member, body)
    response.headers["Location"] = f"{API_PREFIX}/members/{member.id}/notices"
    return NoticeRead.model_validate(row)


@router.get("/members/{member_id}/notices", name="members_notices_list")
async def members_notices_list(
    member: VisibleMember,
    session: SessionDep,
    sort: str = sort_query("starts_on"),
    include_total: TotalQuery = False,
) -> Page[NoticeRead]:
    """The member's public notices (公示), oldest first (one page: all of them)."""
    whole_list_order(sort, "starts_on")
    rows = await notices.list_notices(session, member)
    return whole_page([NoticeRead.model_validate(n) for n in rows], include_total)


@router.post(
    "/form-number-ranges",
    name="form_number_ranges_issue",
    status_code=status.HTTP_201_CREATED,
    description=doc(numbers.issue_range),
)
async def form_number_ranges_issue(
    body: FormRangeCreate, session: SessionDep, principal: PrincipalDep
) -> FormRangeRead:
    row = await numbers.issue_range(session, principal, body)
    return FormRangeRead.model_validate(row)


@router.post(
    "/members/{member_id}/form-number",
    name="members_form_number_record",
    status_code=status.HTTP_201_CREATED,
    description=doc(numbers.use_number),
)
async def members_form_number_record(
    member: VisibleMember, body: FormNumberUse, session: SessionDep, principal: PrincipalDep
) -> FormNumberRead:
    row = await numbers.use_number(session, principal, member, body)
    return FormNumberRead.model_validate(row)


@router.post(
    "/organisations/{org_id}/form-numbers/void",
    name="form_numbers_void",
    status_code=status.HTTP_201_CREATED,
    description=doc(numbers.void_number),
)
async def form_numbers_void(
    org: VisibleOrganisation, body: FormNumberVoid, session: SessionDep, principal: PrincipalDep
) -> FormNumberRead:
    row = await numbers.void_number(session, principal, org, body)
    return FormNumberRead.model_validate(row)


@router.get("/organisations/{org_id}/form-numbers", name="form_numbers_report")
async def form_numbers_report(
    principal: StaffPrincipal, org: VisibleOrganisation, session: SessionDep
) -> FormNumberReport:
    """The 入党志愿书 ranges issued within the organisation's subtree: used, void and free
    counts, and each used or voided number."""
    del principal
    ranges: list[FormRangeReport] = []
    for issued, spent in await numbers.subtree_numbers(session, org):
        used = sum(n.state == FormNumberState.used for n in spent)
        void = len(spent) - used
        size = issued.last_number - issued.first_number + 1
        ranges.append(
            FormRangeReport(
                range=FormRangeRead.model_validate(issued),
                used=used,
                void=void,
                free=size - used - void,
                numbers=[FormNumberRead.model_validate(n) for n in spent],
            )
        )
    return FormNumberReport(
        org_id=org.id,
        used=sum(r.used for r in ranges),
        void=sum(r.void for r in ranges),
        free=sum(r.free for r in ranges),
        ranges=ranges,
    )
