"""Kept member counts (`app.models.member_stats`): the snapshot the worker builds and
folds the deltas into, and the statement the dashboard's counts are read with.

A snapshot answers for a day (the age bands are that day's): for every organisation's
subtree path, the members grouped like the live query groups them. It is built for
today and tomorrow at once, so the day change never leaves the dashboard on the live
query while the next one is built. The deltas since (written by the trigger on
`members`) are added at read time, grouped by the same expressions
(`age_band`, `counted_education` in `tally.py`).

Folding is safe against concurrent writers: the build runs in one REPEATABLE READ
transaction, so the rollups count exactly the member rows its snapshot sees and the
DELETE removes exactly the delta rows that snapshot sees (a writer's member change and
its deltas commit together: both visible, or neither). Builds queue on a session
advisory lock taken before that transaction starts, so two never fold the same deltas.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

from sqlalchemy import (
    ARRAY,
    BigInteger,
    CompoundSelect,
    Integer,
    String,
    case,
    delete,
    exists,
    func,
    insert,
    literal,
    select,
    text,
    true,
    union_all,
)
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncSession

from app.db import get_engine
from app.models.member import Member
from app.models.member_stats import MemberStatDelta, MemberStatRollup, MemberStatSnapshot
from app.models.organisation import Organisation
from app.security.scope import ancestors, under
from app.services.organisations.tally import age_band, counted_education

# The key of the advisory lock builds queue on (any constant; "member_stat").
BUILD_LOCK = 0x6D656D62
# More deltas than this since the snapshot and the worker folds them into a new one
# (each read of a subtree adds its deltas: a big import or move should not linger).
FOLD_AFTER_DELTAS = 20_000
# work_mem of the build transaction: the planner's estimate of the ancestor join is far
# above the real rows (2.25M for 86k at 100k members) and below this it sorts the
# join for the grouping instead of hashing it (0.97 s instead of 0.65 s at 100k; the
# hash table really used 41 MB).
BUILD_WORK_MEM = "256MB"


@dataclass(frozen=True)
class Snapshot:
    days: tuple[date, ...]
    members: int  # member records counted
    rollups: int  # rollup rows written (all days)
    folded: int  # deltas folded in


def snapshot_days(today: date) -> tuple[date, date]:
    """The days a snapshot built today answers for: today and tomorrow."""
    return today, today + timedelta(days=1)


def member_groups(path: str, day: date) -> CompoundSelect[Any]:
    """(status, category, gender, education, band, n) of the subtree at `path` on `day`:
    from the kept counts when a snapshot answers for `day` (the rollup of `path` plus
    the deltas under it), else counted live over the subtree's members. One statement:
    PostgreSQL evaluates the snapshot test once and runs only the branch it selects."""
    kept_day = exists().where(MemberStatSnapshot.day == day)
    snapshot = select(MemberStatSnapshot.id).where(MemberStatSnapshot.day == day)
    r, d, m = MemberStatRollup, MemberStatDelta, Member
    kept = union_all(
        select(r.status, r.category, r.gender, r.education, r.band, r.n).where(
            r.snapshot_id == snapshot.scalar_subquery(), r.path == path
        ),
        select(
            d.status,
            d.category,
            d.gender,
            counted_education(d.education),
            age_band(d.birth_date, day),
            d.n,
        ).where(under(d.org_path, path)),
    ).subquery("kept")
    k = kept.c
    kept_keys = (k.status, k.category, k.gender, k.education, k.band)
    live_keys = (
        m.status,
        m.category,
        m.gender,
        counted_education(m.education),
        age_band(m.birth_date, day),
    )
    # OFFSET 0 keeps the snapshot test above the live count (not pushed into it): as a
    # filter inside, a parallel plan of the count launched its workers even when the
    # snapshot answered (~130 ms at 100k for nothing).
    live = (
        select(*live_keys, func.count())
        .where(under(m.org_path, path))
        .group_by(*live_keys)
        .offset(0)
        .subquery("live")
    )
    return union_all(
        select(*kept_keys, func.sum(k.n))
        .where(kept_day)
        .group_by(*kept_keys)
        .having(func.sum(k.n) != 0),
        select(live).where(~kept_day),
    )


async def _ancestor_pairs(conn: AsyncConnection) -> tuple[list[str], list[str]]:
    """(path, ancestor path) of every organisation and each of its ancestors, itself
    included (`scope.ancestors`), as two parallel lists."""
    paths, above = [], []
    for (path,) in (await conn.execute(select(Organisation.path))).all():
        for ancestor in ancestors(path):
            paths.append(path)
            above.append(ancestor)
    return paths, above


async def _write_rollups(
    conn: AsyncConnection, snapshots: dict[int, date], pairs: tuple[list[str], list[str]]
) -> int:
    """Every subtree's counts on each snapshot's day, in one statement: the members
    grouped once by their own path, the counted values and their band on each day;
    each group added to the organisation's path and its ancestors', then to each day
    under that day's band."""
    education = counted_education(Member.education)
    bands = [age_band(Member.birth_date, day) for day in snapshots.values()]
    own = (Member.org_path, Member.status, Member.category, Member.gender, education, *bands)
    g = (
        select(
            *own[:4],
            education.label("education"),
            *(band.label(f"band{i}") for i, band in enumerate(bands)),
            func.count().label("n"),
        )
        .group_by(*own)
        .subquery("g")
    )
    texts = ARRAY(String)
    a = select(
        func.unnest(literal(pairs[0], texts)).label("org_path"),
        func.unnest(literal(pairs[1], texts)).label("path"),
    ).subquery("a")
    days = select(
        func.unnest(literal(list(snapshots), ARRAY(BigInteger))).label("snapshot_id"),
        func.generate_subscripts(literal(list(snapshots), ARRAY(BigInteger)), 1).label("i"),
    ).subquery("days")
    band = case(
        *((days.c.i == i + 1, g.c[f"band{i}"]) for i in range(len(bands))),
        else_=g.c.band0,
    )
    keys = (days.c.snapshot_id, a.c.path, g.c.status, g.c.category, g.c.gender, g.c.education)
    rows = (
        select(*keys, band, func.sum(g.c.n).cast(Integer))
        .select_from(g.join(a, a.c.org_path == g.c.org_path).join(days, true()))
        .group_by(*keys, band)
    )
    columns = ["snapshot_id", "path", "status", "category", "gender", "education", "band", "n"]
    result = await conn.execute(insert(MemberStatRollup).from_select(columns, rows))
    return int(result.rowcount)


async def build_snapshot(conn: AsyncConnection, days: tuple[date, ...]) -> Snapshot:
    """Replace the kept counts by a snapshot for `days` and fold the deltas into it, in
    the caller's transaction (REPEATABLE READ when writers may run: `refresh_snapshot`)."""
    # For this transaction: the grouping hashed in memory (`BUILD_WORK_MEM`) and no
    # JIT (compiling the statement took longer than running it: 1.7 of 2.8 s at 100k).
    await conn.execute(
        select(
            func.set_config("work_mem", BUILD_WORK_MEM, True),
            func.set_config("jit", "off", True),
        )
    )
    await conn.execute(delete(MemberStatRollup))
    await conn.execute(delete(MemberStatSnapshot))
    folded = int((await conn.execute(delete(MemberStatDelta))).rowcount)
    members = int(await conn.scalar(select(func.count()).select_from(Member)) or 0)
    pairs = await _ancestor_pairs(conn)
    snapshots = {}
    for day in days:
        snapshot_id = await conn.scalar(
            insert(MemberStatSnapshot)
            .values(day=day, members=members, folded=folded)
            .returning(MemberStatSnapshot.id)
        )
        assert snapshot_id is not None
        snapshots[snapshot_id] = day
    rollups = await _write_rollups(conn, snapshots, pairs)
    return Snapshot(tuple(days), members, rollups, folded)


async def refresh_snapshot(today: date) -> Snapshot:
    """Build the snapshot for today and tomorrow on its own connection: queued on the
    build lock, then one REPEATABLE READ transaction (see the module doc)."""
    async with get_engine().connect() as conn:
        await conn.execute(select(func.pg_advisory_lock(BUILD_LOCK)))
        await conn.commit()
        try:
            await conn.execution_options(isolation_level="REPEATABLE READ")
            async with conn.begin():
                built = await build_snapshot(conn, snapshot_days(today))
        finally:
            await conn.execute(select(func.pg_advisory_unlock(BUILD_LOCK)))
            await conn.commit()
    await _vacuum()
    return built


async def _vacuum() -> None:
    """Remove the rows the build deleted at once (outside any transaction): a subtree's
    read walks the delta index by path prefix, and a bitmap scan does not skip the
    dead entries of folded deltas as a plain index scan learns to."""
    async with get_engine().connect() as conn:
        autocommit = await conn.execution_options(isolation_level="AUTOCOMMIT")
        await autocommit.execute(
            text("VACUUM (ANALYZE) member_stat_deltas, member_stat_rollups, member_stat_snapshots")
        )


async def snapshot_due(session: AsyncSession, today: date) -> bool:
    """A new snapshot is due when today or tomorrow has none, or the deltas since the
    last one exceed `FOLD_AFTER_DELTAS`."""
    days = snapshot_days(today)
    have = await session.scalar(select(func.count()).where(MemberStatSnapshot.day.in_(days)))
    if have != len(days):
        return True
    recent: Any = select(MemberStatDelta.id).limit(FOLD_AFTER_DELTAS + 1).subquery()
    return int(await session.scalar(select(func.count()).select_from(recent)) or 0) > (
        FOLD_AFTER_DELTAS
    )
