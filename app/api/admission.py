"""Admission record endpoints: the holiday calendar, public notices (公示), 志愿书 numbers,
admission plans (发展党员计划), the development pipeline and the record binder (纪实档案)."""

from __future__ import annotations

from typing import Annotated

from fastapi import Path, Query, Response, status

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
    TodayDep,
    VisibleMember,
    VisibleOrganisation,
)
from app.api.enum_labels import INLINE_LABELS
from app.api.routing import replica_read
from app.models.enums import LABELS, DevelopmentStepCode, FormNumberState, MemberStatus, label_zh
from app.models.labels_en import LABELS_EN
from app.schemas.admission import (
    AdmissionPlanRead,
    AdmissionPlanWrite,
    CalendarDayRead,
    CalendarDayWrite,
    DevelopmentPipeline,
    FormNumberRead,
    FormNumberReport,
    FormNumberUse,
    FormNumberVoid,
    FormRangeCreate,
    FormRangeRead,
    FormRangeReport,
    NoticeCreate,
    NoticeRead,
    PipelineAdmissions,
    PipelineOverdue,
    PipelineStage,
)
from app.schemas.common import Day, Page
from app.schemas.development import (
    CatalogueStage,
    CatalogueStep,
    DevelopmentCatalogue,
    DevelopmentStepCreate,
    DevelopmentStepRead,
)
from app.services.admission import binder, calendar, notices, numbers, pipeline
from app.services.integration.imports.exports import XLSX_MEDIA
from app.services.lifecycle.development import catalogue, records

router = make_router("admission")

PlanYear = Annotated[int, Path(ge=2000, le=2100, description="The plan's year.")]


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


@router.get("/development-steps/catalogue", name="development_steps_catalogue")
async def development_steps_catalogue(principal: PrincipalDep) -> DevelopmentCatalogue:
    """The steps of the admission record (发展党员工作细则), in 5 stages: what each follows,
    the status change it gates, whether it repeats, how many responsible people it names
    and the existing record that is its evidence."""
    del principal
    stages = [
        CatalogueStage(
            number=stage.number,
            name=stage.name.zh,
            name_en=stage.name.en,
            steps=[
                CatalogueStep(
                    step=s.code,
                    name=label_zh(DevelopmentStepCode, s.code),
                    name_en=LABELS_EN[DevelopmentStepCode][s.code.value],
                    follows=list(s.after),
                    gates=s.gates,
                    repeats=s.repeats,
                    responsible_min=s.responsible[0],
                    responsible_max=s.responsible[1],
                    evidence_from=s.evidence,
                )
                for s in catalogue.STEPS
                if s.stage == stage.number
            ],
        )
        for stage in catalogue.STAGES
    ]
    return DevelopmentCatalogue(catalogue_version=catalogue.CATALOGUE_VERSION, stages=stages)


@router.post(
    "/members/{member_id}/development-steps",
    name="members_development_steps_record",
    status_code=status.HTTP_201_CREATED,
    description=doc(records.record_step),
)
async def members_development_steps_record(
    member: VisibleMember,
    body: DevelopmentStepCreate,
    response: Response,
    session: SessionDep,
    principal: PrincipalDep,
    today: TodayDep,
) -> DevelopmentStepRead:
    row = await records.record_step(session, principal, member, body, today)
    response.headers["Location"] = f"{API_PREFIX}/members/{member.id}/development-steps"
    entry = next(e for e in await records.steps_of(session, member) if e.id == row.id)
    return DevelopmentStepRead.model_validate(entry)


@router.get("/members/{member_id}/development-steps", name="members_development_steps_list")
async def members_development_steps_list(
    member: VisibleMember,
    session: SessionDep,
    sort: str = sort_query("step"),
    include_total: TotalQuery = False,
) -> Page[DevelopmentStepRead]:
    """The member's admission record: every step done so far, recorded here or read from
    the record that is the step, in catalogue order then by date (one page: all of them)."""
    whole_list_order(sort, "step")
    rows = await records.steps_of(session, member)
    return whole_page([DevelopmentStepRead.model_validate(e) for e in rows], include_total)


@router.put(
    "/organisations/{org_id}/admission-plans/{year}",
    name="admission_plans_put",
    description=doc(pipeline.set_plan),
)
async def admission_plans_put(
    org: VisibleOrganisation,
    year: PlanYear,
    body: AdmissionPlanWrite,
    session: SessionDep,
    principal: PrincipalDep,
) -> AdmissionPlanRead:
    plan = await pipeline.set_plan(session, principal, org, year, body.planned)
    return AdmissionPlanRead.model_validate(plan)


@router.get(
    "/organisations/{org_id}/admission-plans/{year}",
    name="admission_plans_get",
    description=doc(pipeline.read_plan),
)
async def admission_plans_get(
    principal: StaffPrincipal, org: VisibleOrganisation, year: PlanYear, session: SessionDep
) -> AdmissionPlanRead:
    del principal
    return AdmissionPlanRead.model_validate(await pipeline.read_plan(session, org, year))


@router.get(
    "/organisations/{org_id}/development-pipeline",
    name="organisations_development_pipeline",
    description=doc(pipeline.development_pipeline) + "\n\nNot for the member role (403).",
)
@replica_read
async def organisations_development_pipeline(
    principal: StaffPrincipal,
    org: VisibleOrganisation,
    session: SessionDep,
    today: TodayDep,
    year: Annotated[
        int | None, Query(ge=2000, le=2100, description="The admissions' year; default this year.")
    ] = None,
) -> DevelopmentPipeline:
    del principal
    found = await pipeline.development_pipeline(session, org, today, year)
    return DevelopmentPipeline(
        org_id=found.org_id,
        as_of=found.as_of,
        stages=[
            PipelineStage(
                status=stage,
                label_zh=LABELS[MemberStatus][stage],
                label_en=LABELS_EN[MemberStatus][stage],
                count=count,
            )
            for stage, count in found.stages.items()
        ],
        overdue_flags=[
            PipelineOverdue(
                flag=flag, label_zh=INLINE_LABELS[flag][0], label_en=INLINE_LABELS[flag][1], count=n
            )
            for flag, n in found.overdue.items()
        ],
        admissions=PipelineAdmissions(
            year=found.year,
            planned=found.planned,
            admitted=found.admitted,
            remaining=found.remaining,
        ),
    )


@router.get(
    "/members/{member_id}/development-record.xlsx",
    name="members_development_record_xlsx",
    description=doc(binder.development_record),
    response_class=Response,
)
async def members_development_record_xlsx(
    member: VisibleMember, session: SessionDep, principal: PrincipalDep, today: TodayDep
) -> Response:
    content = await binder.development_record(session, principal, member, today)
    name = f"development-record-{member.id}.xlsx"
    return Response(
        content,
        media_type=XLSX_MEDIA,
        headers={"Content-Disposition": f'attachment; filename="{name}"'},
    )
