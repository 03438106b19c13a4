"""Balances, grade bands and rankings: always the sum of approved entries."""

from __future__ import annotations

import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any

import orjson
from sqlalchemy import (
    ARRAY,
    ColumnElement,
    String,
    Subquery,
    Uuid,
    and_,
    bindparam,
    case,
    column,
    func,
    literal,
    or_,
    select,
)
from sqlalchemy.ext.asyncio import AsyncSession

from app import db
from app.models.enums import PARTY_MEMBER_STATUS_VALUES, EntryState
from app.models.member import Member
from app.models.organisation import Organisation
from app.models.points import PointEntry, PointScheme, PointTotal
from app.security.scope import (
    Principal,
    ancestors,
    fill_prefixes,
    member_rows_only,
    prefix_mark,
    shows_member,
    subtree_prefix,
    under,
    under_column_sql,
)
from app.services.points.review import review_grader
from app.services.points.schemes import scheme_for

# --- Balances and rankings -------------------------------------------------------------------


@dataclass(frozen=True)
class Balance:
    year: int
    base: int
    total: int
    by_category: dict[str, int]
    entries: list[PointEntry]
    grade: str | None


def grade_for(total: int, bands: list[dict[str, Any]]) -> str | None:
    for band in sorted(bands, key=lambda b: b["min"], reverse=True):
        if total >= band["min"]:
            return str(band["label"])
    return None


async def balance(session: AsyncSession, member: Member, year: int) -> Balance:
    """A member's points for a year (积分明细): base plus approved entries, by category."""
    scheme = await scheme_for(session, member.org_path, year)
    base = scheme.base if scheme else 0
    entries = list(
        (
            await session.scalars(
                select(PointEntry)
                .where(PointEntry.member_id == member.id, PointEntry.year == year)
                .order_by(PointEntry.occurred_on, PointEntry.created_at)
            )
        ).all()
    )
    by_category: dict[str, int] = {"base": 0, "bonus": 0, "deduction": 0}
    for entry in entries:
        if entry.state == EntryState.approved:
            by_category[entry.category] += entry.points
    total = base + sum(by_category.values())
    return Balance(
        year,
        base,
        total,
        by_category,
        entries,
        grade_for(total, scheme.grade_bands if scheme else []),
    )


# The ranking, one statement on the driver. The schemes that can apply in the subtree
# (`schemes`: the year's schemes at the root or above it, on its path, or inside it) are
# read by the statement itself; a member's base is the nearest one's on the member's path
# (`RANK_BASE`), the root's own (`at_root`, whose grade bands grade the ranking) for
# every member when no scheme lies strictly inside the subtree (`one_base`, computed once).
# Scoring the whole subtree takes the base per organisation (`org_base`, joined on the
# member's path; a member's path is its organisation's) when several can apply: a
# look-up per member costed 60% more than the CASE over the schemes it replaced.
#
# The top places are found without reading the subtree (`ahead`, `fast`): the first
# `limit` eligible members with positive points, walked down
# `ix_point_totals_year_points` in (points DESC, id) order. Every member outside them has
# fewer points than the last one read (c), or as many and a later id; so at most c + the
# largest base that can apply (`bound`: the largest base of `schemes`, at least 0, for
# members with no points). When the `limit`-th place among them, in (total DESC, id) order, is
# ahead of that bound, they are the whole top (always so when one base applies to the
# whole subtree). Otherwise (too few members with points, several bases far apart, or the
# caller's own place asked for) the subtree is scored as a whole (`scored`: one scan of
# its members and a join of their kept totals) and only its first `limit` places are sorted
# (a top-N heap). Either way every member ranked ahead of one of the top places is among
# them, so rank and the order among the full members of each branch computed inside the
# top are the global ones. The full members of a branch are counted for the branches in
# the result only; names are read with the walk, or for the returned rows only.
#
# The caller's own place ($2) is a second text (`WITH_ME_SQL`). Without it the statement
# takes the year alone: the subtree prefix and the limit (an int, 1-500) are written into
# its text, so PostgreSQL finds the same plan without the values as with them and keeps
# that generic plan per subtree and limit, instead of planning the statement (~1.5 ms) on
# every call; with `LIMIT $n` it costed the generic plan at a tenth of the subtree and
# re-planned every call.
_NEAREST_BASE = """(SELECT s.base FROM schemes AS s WHERE {under}
     ORDER BY length(s.org_path) DESC LIMIT 1)"""
RANK_BASE = """COALESCE((SELECT base FROM one_base), {nearest}, 0)""".format(  # noqa: S608  # constant text
    nearest=_NEAREST_BASE.format(under=under_column_sql("m.org_path", "s.org_path"))
)

# The year's schemes that can apply in the subtree, the root's, the one base of the whole
# subtree when no scheme lies strictly inside it, else the base per organisation.
_SCHEMES_SQL = """schemes AS MATERIALIZED (
        SELECT org_path, base, grade_bands, {above} AS above
        FROM point_schemes
        WHERE year = $1 AND ({above} OR org_path LIKE {prefix})
    ), at_root AS (
        SELECT base, grade_bands FROM schemes WHERE above ORDER BY length(org_path) DESC LIMIT 1
    ), one_base AS (
        SELECT COALESCE((SELECT base FROM at_root), 0) AS base
        WHERE NOT EXISTS (SELECT FROM schemes WHERE NOT above)
    ), org_base AS MATERIALIZED (
        SELECT o.path, {org_base} AS base FROM organisations AS o
        WHERE o.path LIKE {prefix} AND NOT EXISTS (SELECT FROM one_base)"""

# Every member the ranking ranks (full and probationary) with its total.
_SCORED_SQL = """        SELECT m.id, m.org_id, m.org_path, m.status,
               (SELECT base FROM one_base) + COALESCE(t.points, 0) AS total
        FROM members AS m
        LEFT JOIN point_totals AS t
            ON t.member_id = m.id AND t.year = $1 AND t.org_path LIKE {prefix}
        WHERE m.org_path LIKE {prefix} AND m.status IN {scored_in}
          AND EXISTS (SELECT FROM one_base)
        UNION ALL
        SELECT m.id, m.org_id, m.org_path, m.status, COALESCE(b.base, 0) + COALESCE(t.points, 0)
        FROM members AS m
        LEFT JOIN point_totals AS t
            ON t.member_id = m.id AND t.year = $1 AND t.org_path LIKE {prefix}
        LEFT JOIN org_base AS b ON b.path = m.org_path
        WHERE m.org_path LIKE {prefix} AND m.status IN {scored_in}
          AND NOT EXISTS (SELECT FROM one_base)
"""

_RANKING_SQL = """
    WITH {schemes}
    ), ahead AS MATERIALIZED (
        SELECT m.id, m.name, m.org_id, m.org_path, m.status, t.points, {base} + t.points AS total
        FROM point_totals AS t
        JOIN members AS m ON m.id = t.member_id
        WHERE t.year = $1 AND t.org_path LIKE {prefix} AND t.points > 0
          AND m.status IN {scored_in}{no_me}
        ORDER BY t.points DESC, t.member_id
        LIMIT {{limit}}
    ), fast AS MATERIALIZED (
        SELECT id, name, org_id, org_path, status, total FROM ahead ORDER BY total DESC, id
    ), use_fast AS (
        SELECT n.total > c.points + b.bound OR (n.total = c.points + b.bound AND n.id <= c.id)
            AS yes
        FROM (SELECT points, id FROM ahead ORDER BY points, id DESC LIMIT 1) AS c,
             (SELECT total, id FROM fast ORDER BY total, id DESC LIMIT 1) AS n,
             (SELECT GREATEST(max(base), 0) AS bound FROM schemes) AS b
        WHERE (SELECT count(*) FROM ahead) = {{limit}}
    ), scored AS MATERIALIZED (
{scored}    ), top AS (
        SELECT id, name, org_id, org_path, status, total FROM fast
        WHERE COALESCE((SELECT yes FROM use_fast), false)
        UNION ALL
        SELECT s.id, m.name, s.org_id, s.org_path, s.status, s.total
        FROM (SELECT id, org_id, org_path, status, total FROM scored
              WHERE NOT COALESCE((SELECT yes FROM use_fast), false)
              ORDER BY total DESC, id LIMIT {{limit}}) AS s
        JOIN members AS m ON m.id = s.id
    ){me_cte}, ranked AS (
        SELECT id, name, org_path, status, total,
               rank() OVER (ORDER BY total DESC) AS rank,
               row_number() OVER (PARTITION BY org_id, status = 'full' ORDER BY total DESC, id)
                   AS full_order
        FROM top{me_row}
    ), branch_full AS (
        SELECT p.org_path,
               (SELECT count(*) FROM members AS f
                WHERE f.org_path = p.org_path AND f.status = 'full') AS n
        FROM (SELECT DISTINCT org_path FROM ranked) AS p
    )
    SELECT r.id::text, r.name, r.status, r.total, r.rank, COALESCE(b.n, 0), r.full_order,
           CASE WHEN r.rank = 1 THEN (SELECT grade_bands::text FROM at_root) END
    FROM ranked AS r
    LEFT JOIN branch_full AS b ON b.org_path = r.org_path
    ORDER BY r.rank, r.id
"""

_ME_CTE = """, me AS (
        SELECT s.id, m.name, s.org_id, s.org_path, s.status, s.total
        FROM scored AS s
        JOIN members AS m ON m.id = s.id
        WHERE s.id = $2 AND s.id NOT IN (SELECT id FROM top)
    )"""

_ME_ROW = """
        UNION ALL
        SELECT me.id, me.name, me.org_path, me.status, me.total,
               1 + (SELECT count(*) FROM scored AS s WHERE s.total > me.total),
               1 + (SELECT count(*) FROM scored AS s
                    WHERE s.org_id = me.org_id
                      AND (s.status = 'full') = (me.status = 'full')
                      AND (s.total > me.total OR (s.total = me.total AND s.id < me.id)))
        FROM me"""

# Without the caller: the top only. With it ($2): the walk is skipped (the whole subtree
# is scored, the caller placed in it).
_BASES = {
    "scored_in": "(" + ", ".join(f"'{s}'" for s in PARTY_MEMBER_STATUS_VALUES) + ")",
    "above": under_column_sql(prefix_mark("prefix"), "org_path"),
    "base": RANK_BASE,
    "org_base": _NEAREST_BASE.format(under=under_column_sql("o.path", "s.org_path")),
}
_PARTS = {
    "schemes": _SCHEMES_SQL.format(prefix=prefix_mark("prefix"), **_BASES),
    "scored": _SCORED_SQL.format(prefix=prefix_mark("prefix"), scored_in=_BASES["scored_in"]),
}
TOP_SQL = _RANKING_SQL.format(
    prefix=prefix_mark("prefix"), **_BASES, **_PARTS, no_me="", me_cte="", me_row=""
)
WITH_ME_SQL = _RANKING_SQL.format(
    prefix=prefix_mark("prefix"),
    **_BASES,
    **_PARTS,
    no_me=" AND false",
    me_cte=_ME_CTE,
    me_row=_ME_ROW,
)


async def nearest_schemes(
    session: AsyncSession, root: Organisation, year: int
) -> list[tuple[str, int]]:
    """The (path, base) of each scheme of `year` that can apply in the subtree (at an
    ancestor of the root or under it), the deepest first: a member's base is that of
    the first whose subtree holds the member's organisation (else 0)."""
    rows = await session.execute(
        select(PointScheme.org_path, PointScheme.base)
        .where(
            PointScheme.year == year,
            or_(
                PointScheme.org_path.in_(ancestors(root.path)),
                under(PointScheme.org_path, root.path),
            ),
        )
        .order_by(func.length(PointScheme.org_path).desc())
    )
    return [(path, int(base)) for path, base in rows.all()]


def base_at(path: ColumnElement[str], schemes: Sequence[tuple[str, int]]) -> ColumnElement[int]:
    """SQL: the base of a member at the organisation path `path`, from `nearest_schemes`
    (the CASE of `ranking_statement`)."""
    if not schemes:
        return literal(0)
    return case(*((under(path, scheme), base) for scheme, base in schemes), else_=0)


async def ranking(
    session: AsyncSession, root_path: str, year: int, limit: int, me: uuid.UUID | None
) -> tuple[list[dict[str, Any]], dict[str, Any] | None]:
    """Ranking over the whole subtree (积分排名): ties share a rank; the caller's own
    place is returned too. Grade bands come from the scheme in force at the root.

    The suggested review grade places each full member among the full members of
    their own branch (the excellent third is a branch's, DOMAIN "Democratic review"),
    whichever organisation the ranking is read through, as `confirm_grades` counts.

    One statement (`TOP_SQL`, or `WITH_ME_SQL` with the caller's place); returns the
    places and the caller's as RankItem's fields, in its order, as JSON values (ids as text)."""
    template = TOP_SQL if me is None else WITH_ME_SQL
    sql = fill_prefixes(template, {"prefix": subtree_prefix(root_path)}).format(limit=int(limit))
    args = (year,) if me is None else (year, me)
    rows = await db.fetch(session, sql, *args)
    if not rows:
        return [], None
    bands_json = rows[0][7]  # the bands come with the first place (rank 1) only
    bands: list[dict[str, Any]] = orjson.loads(bands_json) if bands_json is not None else []
    lowest = min((b["min"] for b in bands), default=None)
    review = review_grader(bands)
    grades: dict[int, str | None] = {}  # grade_for per distinct total
    me_id = str(me) if me is not None else None
    out: list[dict[str, Any]] = []
    mine = None
    for member_id, name, status, total, rank, full_members, full_order, _ in rows:
        if total not in grades:
            grades[total] = grade_for(total, bands)
        item = {
            "member_id": member_id,
            "name": name,
            "total": total,
            "rank": rank,
            "grade": grades[total],
            "below_lowest_band": lowest is not None and total < lowest,
            "suggested_review_grade": review(status, total, full_order, full_members),
        }
        if member_id == me_id:
            mine = item
        if rank <= limit:
            out.append(item)
    return out[:limit], mine


def points_dated_after(as_of: date) -> Subquery:
    """Per member, the approved points of `as_of`'s year dated after `as_of` (none
    for a year's last day; most days few or none): the part of the kept year total
    (`PointTotal`) not earned yet on `as_of`. Read from `ix_point_entries_year_occurred_on`,
    so it costs the entries after `as_of`, not the year's."""
    return (
        select(PointEntry.member_id, func.sum(PointEntry.points).label("points"))
        .where(
            PointEntry.year == as_of.year,
            PointEntry.occurred_on > as_of,
            PointEntry.state == EntryState.approved,
        )
        .group_by(PointEntry.member_id)
        .subquery()
    )


async def grade_counts_on(
    session: AsyncSession,
    root: Organisation,
    as_of: date,
    counted: ColumnElement[bool],
    moved: Mapping[uuid.UUID, str],
) -> tuple[int, dict[str | None, int]]:
    """The members of `counted` (SQL over members: those the subtree counts on
    `as_of`) and how many hold each grade of the scheme in force at the root for
    `as_of`'s year (None: below every band, or no bands), each by their points of that
    year up to `as_of`: the base of the scheme nearest to the organisation they stood
    at that day (`moved`: the path of those whose organisation that day is not their
    record's) plus their approved entries dated up to `as_of`: the year's kept total
    (`point_totals`, one row a member) less the entries dated after `as_of`
    (`points_dated_after`), so a subtree reads its own members' totals, not every
    entry of the year. Counted per distinct total, without listing the members."""
    year = as_of.year
    scheme = await scheme_for(session, root.path, year)
    bands = scheme.grade_bands if scheme else []
    schemes = await nearest_schemes(session, root, year)
    kept = PointTotal.__table__.alias("kept")
    later = points_dated_after(as_of)
    ids = bindparam("moved_ids", list(moved), type_=ARRAY(Uuid()))
    paths = bindparam("moved_paths", list(moved.values()), type_=ARRAY(String()))
    stood = (
        func.unnest(ids, paths)
        .table_valued(column("member_id", Uuid()), column("path", String()))
        .render_derived()
    )
    path = func.coalesce(stood.c.path, Member.org_path)
    totals = (
        select(
            (
                base_at(path, schemes)
                + func.coalesce(kept.c.points, 0)
                - func.coalesce(later.c.points, 0)
            ).label("total")
        )
        .select_from(Member)
        .outerjoin(stood, stood.c.member_id == Member.id)
        .outerjoin(kept, and_(kept.c.member_id == Member.id, kept.c.year == year))
        .outerjoin(later, later.c.member_id == Member.id)
        .where(counted)
        .subquery()
    )
    rows = await session.execute(select(totals.c.total, func.count()).group_by(totals.c.total))
    grades: dict[str | None, int] = {}
    ranked = 0
    for total, n in rows.all():
        grade = grade_for(int(total), bands)
        grades[grade] = grades.get(grade, 0) + int(n)
        ranked += int(n)
    return ranked, grades


async def visible_ranking(
    session: AsyncSession, principal: Principal, root_path: str, year: int, limit: int
) -> tuple[list[dict[str, Any]], dict[str, Any] | None]:
    """`ranking` as the principal may see it: a member user gets its own place only."""
    rows, mine = await ranking(session, root_path, year, limit, principal.member_id)
    if member_rows_only(principal) is None:  # `shows_member` shows every row
        return rows, mine
    return [r for r in rows if shows_member(principal, uuid.UUID(r["member_id"]))], mine
