"""The development pipeline (发展党员工作情况) of a subtree, and the admission plans
(发展党员计划) it is measured against.

A plan is the number of members an organisation is to admit in a year, set by an
organisation above it (committee administrators of a higher organisation; the system
administrator anywhere). The pipeline counts the members at each stage today, the
development timing flags raised today (the member flags' own conditions) and the year's
admissions (the 增减 ledger's `admission` changes) against the organisation's plan.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import date, timedelta

from sqlalchemy import func, select, text
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from app.errors import ErrorCode, Forbidden, NotFound
from app.models.admission import AdmissionPlan
from app.models.enums import MemberStatus, Role
from app.models.member import Member
from app.models.organisation import Organisation
from app.security.scope import Principal, require_role, under
from app.services.integration import audit
from app.services.lifecycle.flags import ADMISSION_FLAGS, flag_conditions
from app.services.organisations.member_changes import admitted_between, load_subtree

S = MemberStatus
# The stages of development, in order: 入党申请人, 入党积极分子, 发展对象, 预备党员.
STAGES = (S.applicant, S.activist, S.candidate, S.probationary)


async def set_plan(
    session: AsyncSession, principal: Principal, org: Organisation, year: int, planned: int
) -> AdmissionPlan:
    """Set the organisation's admission plan (发展党员计划) for the year, replacing one set
    before. Committee administrators of an organisation above it set it; an
    organisation's own administrators do not (403 `admission_plan.own_organisation`).
    Audited with the number before and after."""
    require_role(principal, Role.org_admin)
    if not principal.sees_everything and org.id == principal.org_id:
        raise Forbidden(ErrorCode.admission_plan_own_organisation)
    # Writers of one plan queue here: a first plan has no row to lock yet, and each
    # writer's audited `before` is the number the previous one left.
    await session.execute(
        text("SELECT pg_advisory_xact_lock(hashtext('admission_plan:' || :key))"),
        {"key": f"{org.id}:{year}"},
    )
    before = await get_plan(session, org, year)
    # Read now: the same object is refreshed with the new number below.
    before_values = {"year": year, "planned": before.planned} if before else None
    statement = insert(AdmissionPlan).values(
        org_id=org.id, year=year, planned=planned, set_by=principal.user_id
    )
    await session.execute(
        statement.on_conflict_do_update(
            index_elements=["org_id", "year"],
            set_={"planned": planned, "set_by": principal.user_id, "updated_at": func.now()},
        )
    )
    plan = await get_plan(session, org, year, refresh=True)
    assert plan is not None  # just written
    audit.record(
        session, principal, "admission_plan.set", "organisation", org.id, org.path,
        before=before_values,
        after={"year": year, "planned": planned},
    )  # fmt: skip
    return plan


async def get_plan(
    session: AsyncSession,
    org: Organisation,
    year: int,
    *,
    refresh: bool = False,
) -> AdmissionPlan | None:
    statement = select(AdmissionPlan).where(
        AdmissionPlan.org_id == org.id, AdmissionPlan.year == year
    )
    if refresh:
        statement = statement.execution_options(populate_existing=True)
    return (await session.scalars(statement)).one_or_none()


async def read_plan(session: AsyncSession, org: Organisation, year: int) -> AdmissionPlan:
    """The organisation's admission plan for the year; 404 `admission_plan.not_found`
    when none was set."""
    plan = await get_plan(session, org, year)
    if plan is None:
        raise NotFound(ErrorCode.admission_plan_not_found)
    return plan


async def _stages(session: AsyncSession, org: Organisation) -> dict[MemberStatus, int]:
    rows = await session.execute(
        select(Member.status, func.count())
        .where(under(Member.org_path, org.path), Member.status.in_(STAGES))
        .group_by(Member.status)
    )
    counts: dict[str, int] = {status: count for status, count in rows}
    return {stage: counts.get(stage.value, 0) for stage in STAGES}


async def _overdue(session: AsyncSession, org: Organisation, today: date) -> dict[str, int]:
    conditions = flag_conditions(today)
    row = (
        await session.execute(
            select(*[func.count().filter(conditions[flag]) for flag in ADMISSION_FLAGS]).where(
                under(Member.org_path, org.path)
            )
        )
    ).one()
    return dict(zip(ADMISSION_FLAGS, row, strict=True))


@dataclass(frozen=True)
class Pipeline:
    org_id: uuid.UUID
    as_of: date
    stages: dict[MemberStatus, int]  # in the order of STAGES
    overdue: dict[str, int]  # in the order of ADMISSION_FLAGS
    year: int
    planned: int | None
    admitted: int

    @property
    def remaining(self) -> int | None:
        return None if self.planned is None else max(self.planned - self.admitted, 0)


async def development_pipeline(
    session: AsyncSession, org: Organisation, today: date, year: int | None
) -> Pipeline:
    """The subtree's development pipeline (发展党员工作情况): how many members are at each
    stage today (入党申请人, 入党积极分子, 发展对象, 预备党员), how many have each
    development timing flag raised today (the member flags: list them with
    `GET /members?within=&flag=`), and the members admitted (发展党员, the `admission`
    changes of the 增减 ledger) in `year` (default this year) up to today, against the
    admission plan (发展党员计划) set for this organisation for that year (`planned`
    null when none was set; `remaining` is what the plan still asks for, never below 0).
    """
    year = year or today.year
    start, end = date(year, 1, 1), min(today, date(year, 12, 31))
    admitted: set[uuid.UUID] = set()
    if start <= end:
        # An admission is a transition: only the members changed during the year (and
        # the subtree as it stood each day, as the ledger reads it) are read.
        since = start - timedelta(days=1)
        subtree = await load_subtree(session, org, changed_only=True, since=since)
        admitted = admitted_between(subtree.histories, subtree.tree, start, end)
    plan = await get_plan(session, org, year)
    return Pipeline(
        org_id=org.id,
        as_of=today,
        stages=await _stages(session, org),
        overdue=await _overdue(session, org, today),
        year=year,
        planned=plan.planned if plan else None,
        admitted=len(admitted),
    )
