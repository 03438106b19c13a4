"""双报到 in a subtree: how many employed members registered with a community and reached
the yearly service-hours target, and, page by page, who.

Who counts (employed, not ended, in the subtree), who is registered (an active
registration: `dual_reporting.has_registration`, the check registering makes too) and
what a member's confirmed hours are in a year are each one SQL expression, read by the
summary's counts and by the member pages alike. The
summary counts in the database: a province's 200,000 employed members are never read
into Python nor sent as a list.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from decimal import Decimal
from enum import StrEnum
from typing import Any

from sqlalchemy import ColumnElement, Select, and_, extract, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from app.id_sets import among
from app.models.enums import (
    ENDED_STATUSES,
    CommunityReportState,
    MemberCategory,
    ServiceRecordState,
)
from app.models.grid import CommunityReport, ServiceRecord
from app.models.member import Member
from app.models.organisation import Organisation
from app.pagination import Page, paginate, parse_sort
from app.security.scope import under
from app.services.grids.dual_reporting import has_registration
from app.services.policies import effective_policy

REPORTING_SORT = "id"
# Pages in member id order only (each order a list offers is an index walk).
REPORTING_SORTABLE: dict[str, Any] = {}


class ReportingState(StrEnum):
    registered = "registered"
    unregistered = "unregistered"
    under_target = "under_target"  # registered, below the year's target hours


@dataclass
class ReportingSummary:
    year: int
    target_hours: int
    employed_members: int
    registered_members: int
    unregistered_members: int
    under_target_members: int
    confirmed_hours: Decimal


@dataclass(frozen=True)
class ReportingMember:
    member_id: uuid.UUID
    name: str
    org_id: uuid.UUID
    registered: bool
    confirmed_hours: Decimal


def _employed(root: Organisation) -> ColumnElement[bool]:
    """The members 双报到 is asked of: employed, not ended, in the subtree."""
    return and_(
        under(Member.org_path, root.path),
        Member.category == MemberCategory.employed,
        Member.status.notin_([s.value for s in ENDED_STATUSES]),
    )


def _confirmed_tenths(year: int) -> ColumnElement[int]:
    """The member row's confirmed service in `year` on its active registrations, in
    tenths of an hour (0 without any)."""
    return (
        select(func.coalesce(func.sum(ServiceRecord.tenths), 0))
        .select_from(CommunityReport)
        .join(ServiceRecord, ServiceRecord.report_id == CommunityReport.id)
        .where(
            CommunityReport.member_id == Member.id,
            CommunityReport.state == CommunityReportState.active,
            ServiceRecord.state == ServiceRecordState.confirmed,
            extract("year", ServiceRecord.occurred_on) == year,
        )
        .scalar_subquery()
    )


def _in_state(state: ReportingState, year: int, target: int) -> ColumnElement[bool]:
    if state is ReportingState.unregistered:
        return ~has_registration(Member.id)
    if state is ReportingState.registered:
        return has_registration(Member.id)
    return and_(has_registration(Member.id), _confirmed_tenths(year) < target * 10)


async def _target(session: AsyncSession, root: Organisation) -> int:
    """The yearly service-hours target (policy `service_hours_target`, default 50)."""
    return int((await effective_policy(session, root))["service_hours_target"])


async def reporting_summary(
    session: AsyncSession, root: Organisation, year: int
) -> ReportingSummary:
    """双报到 in a subtree: how many employed members are registered with a community or
    not, how many registered ones are under the yearly service-hours target (policy,
    default 50), and the confirmed hours in all. Who they are:
    `GET /organisations/{org_id}/community-reporting/members?state=`."""
    target = await _target(session, root)
    registered = has_registration(Member.id)
    tenths = _confirmed_tenths(year)
    row = (
        await session.execute(
            select(
                func.count(),
                func.count().filter(registered),
                func.count().filter(and_(registered, tenths < target * 10)),
                func.coalesce(func.sum(tenths).filter(registered), 0),
            ).where(_employed(root))
        )
    ).one()
    employed, registered_n, under_n, all_tenths = (int(v) for v in row)
    return ReportingSummary(
        year=year,
        target_hours=target,
        employed_members=employed,
        registered_members=registered_n,
        unregistered_members=employed - registered_n,
        under_target_members=under_n,
        confirmed_hours=Decimal(all_tenths) / 10,
    )


async def reporting_members(
    session: AsyncSession,
    root: Organisation,
    year: int,
    state: ReportingState | None,
    *,
    limit: int | None,
    cursor: str | None,
    sort: str | None,
    include_total: bool,
) -> Page[ReportingMember]:
    """The employed members of the subtree (`state`: only those registered, unregistered
    or under the year's target), each with whether they are registered and their
    confirmed hours in the year, in member id order."""
    stmt: Select[Any] = select(Member).where(_employed(root))
    if state is not None:
        stmt = stmt.where(_in_state(state, year, await _target(session, root)))
    keys = parse_sort(sort, REPORTING_SORTABLE, Member.id, default=REPORTING_SORT)
    page = await paginate(
        session, stmt, keys, limit=limit, cursor=cursor, include_total=include_total
    )
    ids = [m.id for m in page.items]
    facts = {
        member_id: (bool(is_registered), Decimal(int(t)) / 10)
        for member_id, is_registered, t in (
            await session.execute(
                select(Member.id, has_registration(Member.id), _confirmed_tenths(year)).where(
                    among(Member.id, ids)
                )
            )
        ).all()
    }
    items = [ReportingMember(m.id, m.name, m.org_id, *facts[m.id]) for m in page.items]
    return Page(items, page.next_cursor, page.total)
