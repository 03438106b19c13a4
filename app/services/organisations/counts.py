"""Organisation statistics: the subtree's members by status, category, gender, age band
and education, and its organisations by type, as of today (the dashboard's counts; the
annual tables as of a date are `stats.statistics_tables`)."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from datetime import date
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from app.models.enums import ENDED_STATUSES
from app.models.member import Member
from app.models.organisation import Organisation
from app.schemas.organisations import OrganisationStats
from app.security.scope import under
from app.services.organisations.tally import AGE_BANDS, age_band_counts
from app.services.organisations.terms import add_years


async def _member_groups(session: AsyncSession, org: Organisation, today: date) -> Sequence[Any]:
    """Rows of (education, status, category, gender, count, born after each age cut-off).

    One pass over the subtree's members, read from the covering index
    `ix_members_org_path_stats` (no table access), hashed by education, status,
    category and gender (a few hundred groups at most, whatever the subtree's size)
    with one `count(*) FILTER` per age cut-off. Aged at most `limit` full years <=>
    born after the day `limit + 1` years ago.
    """
    younger_than = [
        func.count().filter(Member.birth_date > add_years(today, -(limit + 1)))
        for _, limit in AGE_BANDS
    ]
    education = func.coalesce(Member.education, "unknown")
    return (
        await session.execute(
            select(
                education,
                Member.status,
                Member.category,
                Member.gender,
                func.count(),
                *younger_than,
            )
            .where(under(Member.org_path, org.path))
            .group_by(education, Member.status, Member.category, Member.gender)
        )
    ).all()


async def _organisation_types(session: AsyncSession, org: Organisation) -> dict[str, int]:
    """Organisations of the subtree (not dissolved) by type."""
    rows = await session.execute(
        select(Organisation.type, func.count())
        .where(under(Organisation.path, org.path), Organisation.dissolved_on.is_(None))
        .group_by(Organisation.type)
    )
    return {org_type: int(count) for org_type, count in rows.all()}


async def organisation_stats(
    session: AsyncSession, org: Organisation, today: date
) -> OrganisationStats:
    """Counts over the whole subtree: by status, category, gender, age band, education.

    `by_status` counts every record; the other breakdowns and `members` count current
    members only (not `left` or `deceased`). Age is in full years on `as_of`.
    """
    ended = {s.value for s in ENDED_STATUSES}
    by_status: dict[str, int] = defaultdict(int)
    by_category: dict[str, int] = defaultdict(int)
    by_gender: dict[str, int] = defaultdict(int)
    by_education: dict[str, int] = defaultdict(int)
    younger = [0] * len(AGE_BANDS)  # cumulative: born after each cut-off
    current = 0
    for edu, status, category, gender, n, *born_after in await _member_groups(session, org, today):
        by_status[status] += n
        if status in ended:
            continue  # the breakdowns count current members only
        current += n
        by_category[category] += n
        by_gender[gender] += n
        by_education[edu] += n
        younger = [a + b for a, b in zip(younger, born_after, strict=True)]
    by_type = await _organisation_types(session, org)
    return OrganisationStats(
        org_id=org.id,
        as_of=today,
        organisations=sum(by_type.values()),
        members=sum(by_category.values()),
        by_status=dict(by_status),
        by_category=dict(by_category),
        by_gender=dict(by_gender),
        by_age_band=age_band_counts(younger, current),
        by_education=dict(by_education),
        by_org_type=by_type,
    )
