"""Organisation statistics: the subtree's members by status, category, gender, age band
and education, and its organisations by type, as of today (the dashboard's counts; the
annual tables as of a date are `stats.statistics_tables`)."""

from __future__ import annotations

from collections import defaultdict
from datetime import date

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from app.models.enums import ENDED_STATUSES
from app.models.organisation import Organisation
from app.schemas.organisations import OrganisationStats
from app.security.scope import under
from app.services.organisations.kept_stats import member_groups
from app.services.organisations.tally import BAND_LABELS


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
    members only (not `left` or `deceased`). Age is in full years on `as_of`. Read from
    the kept counts when a snapshot answers for `as_of` (the worker builds one for
    today and tomorrow each day: a province in a few ms), else counted over the
    subtree's members (O(subtree)); the same groups either way (`kept_stats`).
    """
    ended = {s.value for s in ENDED_STATUSES}
    by_status: dict[str, int] = defaultdict(int)
    by_category: dict[str, int] = defaultdict(int)
    by_gender: dict[str, int] = defaultdict(int)
    by_education: dict[str, int] = defaultdict(int)
    by_band: dict[str, int] = defaultdict(int)
    for status, category, gender, edu, band, n in (
        await session.execute(member_groups(org.path, today))
    ).all():
        by_status[status] += n
        if status in ended:
            continue  # the breakdowns count current members only
        by_category[category] += n
        by_gender[gender] += n
        by_education[edu] += n
        by_band[band] += n
    by_type = await _organisation_types(session, org)
    return OrganisationStats(
        org_id=org.id,
        as_of=today,
        organisations=sum(by_type.values()),
        members=sum(by_category.values()),
        by_status=dict(by_status),
        by_category=dict(by_category),
        by_gender=dict(by_gender),
        by_age_band={band: by_band[band] for band in BAND_LABELS if by_band.get(band)},
        by_education=dict(by_education),
        by_org_type=by_type,
    )
