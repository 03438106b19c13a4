"""Organisation statistics: the subtree's members by status, category, gender, age band
and education, and its organisations by type, as of today (the dashboard's counts; the
annual tables as of a date are `stats.statistics_tables`)."""

from __future__ import annotations

from collections.abc import Collection
from datetime import date
from functools import lru_cache

from sqlalchemy import func, select, tuple_
from sqlalchemy.ext.asyncio import AsyncSession

from app import db
from app.models.enums import ENDED_STATUSES
from app.models.organisation import Organisation
from app.schemas.organisations import OrganisationStats
from app.security.scope import under
from app.services.organisations.kept_stats import member_groups
from app.services.organisations.tally import BAND_LABELS
from app.services.organisations.tree import OrgNode


@lru_cache(maxsize=256)
def _types_query(path: str) -> db.DriverStatement:
    """Organisations of the subtree (not dissolved) by type, compiled once per subtree."""
    return db.DriverStatement.compile(
        select(Organisation.type, func.count())
        .where(under(Organisation.path, path), Organisation.dissolved_on.is_(None))
        .group_by(Organisation.type)
    )


# The breakdowns, one per column of `kept_stats.member_groups`.
BREAKDOWNS = ("status", "category", "gender", "education", "band")
# GROUPING(...) of a row -> its breakdown: every key's bit is set (not grouped by) but
# that of the breakdown the row counts (the first key is the highest bit).
_BY_GROUPING = {
    ((1 << len(BREAKDOWNS)) - 1) ^ (1 << (len(BREAKDOWNS) - 1 - i)): name
    for i, name in enumerate(BREAKDOWNS)
}


@lru_cache(maxsize=256)
def _groups_query(path: str, day: date) -> db.DriverStatement:
    """The breakdowns of `kept_stats.member_groups` added up by PostgreSQL (one grouping
    set per breakdown: a few dozen rows, not a row per group), each row with its
    breakdown's index, its value, the count of every record and of current members
    only; compiled once per subtree and day (building and compiling it cost more of a
    county's request than the database's work)."""
    g = member_groups(path, day).subquery("g")
    keys = [g.c[i] for i in range(len(BREAKDOWNS))]
    n = g.c[len(BREAKDOWNS)]
    which = func.grouping(*keys)  # one bit per key, set for the keys not grouped by
    current = g.c[0].not_in([s.value for s in ENDED_STATUSES])
    return db.DriverStatement.compile(
        select(
            which,
            func.coalesce(*keys),
            func.sum(n),
            func.coalesce(func.sum(n).filter(current), 0),
        ).group_by(func.grouping_sets(*(tuple_(k) for k in keys)))
    )


async def _organisation_types(session: AsyncSession, org: OrgNode) -> dict[str, int]:
    """Organisations of the subtree (not dissolved) by type."""
    query = _types_query(org.path)
    rows = await db.fetch(session, query.sql, *query.args())
    return {org_type: int(count) for org_type, count in rows}


async def organisation_stats(session: AsyncSession, org: OrgNode, today: date) -> OrganisationStats:
    """Counts over the whole subtree: by status, category, gender, age band, education.

    `by_status` counts every record; the other breakdowns and `members` count current
    members only (not `left` or `deceased`). Age is in full years on `as_of`. Read from
    the kept counts when a snapshot answers for `as_of` (the worker builds one for
    today and tomorrow each day: a province in a few ms), else counted over the
    subtree's members (O(subtree)); the same groups either way (`kept_stats`).
    """
    counts: dict[str, dict[str, int]] = {name: {} for name in BREAKDOWNS}
    groups = _groups_query(org.path, today)
    for which, value, every, current in await db.fetch(session, groups.sql, *groups.args()):
        name = _BY_GROUPING[which]
        # `by_status` counts every record; the others current members only
        n = int(every if name == "status" else current)
        if n:
            counts[name][value] = n
    bands = counts["band"]
    by_type = await _organisation_types(session, org)
    return OrganisationStats(
        org_id=org.id,
        as_of=today,
        organisations=sum(by_type.values()),
        members=sum(counts["category"].values()),
        by_status=counts["status"],
        by_category=counts["category"],
        by_gender=counts["gender"],
        by_age_band={band: bands[band] for band in BAND_LABELS if bands.get(band)},
        by_education=counts["education"],
        by_org_type=by_type,
    )


async def members_counted(
    session: AsyncSession,
    path: str,
    day: date,
    statuses: Collection[str] = (),
    categories: Collection[str] = (),
) -> int:
    """The member records of the subtree at `path` (every status, as the member list
    counts them), only those of `statuses` and of `categories` where given: the groups
    of `kept_stats.member_groups` added up, so read from the kept counts when a snapshot
    answers for `day` (a province in a few ms), else counted over the subtree."""
    g = member_groups(path, day).subquery("g")
    status, category, n = g.c[0], g.c[1], g.c[len(BREAKDOWNS)]
    conditions = [
        column.in_(values)
        for column, values in ((status, statuses), (category, categories))
        if values
    ]
    total = await session.scalar(select(func.coalesce(func.sum(n), 0)).where(*conditions))
    return int(total or 0)
