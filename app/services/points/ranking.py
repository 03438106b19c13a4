"""Balances, grade bands and rankings: always the sum of approved entries."""

from __future__ import annotations

import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any

from sqlalchemy import (
    ARRAY,
    ColumnElement,
    String,
    TextClause,
    Uuid,
    bindparam,
    case,
    column,
    func,
    literal,
    or_,
    select,
    text,
)
from sqlalchemy.ext.asyncio import AsyncSession

from app.models.enums import EntryState
from app.models.member import Member
from app.models.organisation import Organisation
from app.models.points import PointEntry, PointScheme
from app.security.scope import (
    Principal,
    ancestors,
    prefix_param,
    shows_member,
    subtree_prefix,
    under,
)
from app.services.points.review import suggested_grade
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


# {base} is a CASE over the schemes that can apply in the subtree (few rows).
#
# The top places are found without reading the subtree (`ahead`, `fast`): the first
# :limit eligible members with positive points, walked down `ix_point_totals_year_points`
# in (points DESC, id) order. Every member outside them has fewer points than the last
# one read (c), or as many and a later id; so at most c + the largest base that can
# apply (`bound`: {base} at each scheme's own path gives every base a member of the
# subtree can have, and maybe more; at least 0, for members with no points). When the
# :limit-th place among them, in (total DESC, id) order, is ahead of that bound, they
# are the whole top (always so when one base applies to the whole subtree). Otherwise
# (too few members with points, several bases far apart, or the caller's own place
# asked for) the subtree is scored as a whole (`scored`: one scan of its members and a
# join of their kept totals) and only its first :limit places are sorted (a top-N
# heap). Either way every member ranked ahead of one of the top places is among them,
# so rank and the order among the full members of each branch computed inside the top
# are the global ones. The full members of a branch are counted for the branches in
# the result only; names are read for the returned rows only.
RANKING_TEMPLATE = """
    WITH ahead AS MATERIALIZED (
        SELECT m.id, m.org_id, m.org_path, m.status, t.points, {base} + t.points AS total
        FROM point_totals AS t
        JOIN members AS m ON m.id = t.member_id
        WHERE t.year = :year AND t.org_path LIKE :prefix AND t.points > 0
          AND m.status IN ('full', 'probationary') AND CAST(:me AS uuid) IS NULL
        ORDER BY t.points DESC, t.member_id
        LIMIT :limit
    ), fast AS MATERIALIZED (
        SELECT id, org_id, org_path, status, total FROM ahead ORDER BY total DESC, id
    ), use_fast AS (
        SELECT n.total > c.points + b.bound OR (n.total = c.points + b.bound AND n.id <= c.id)
            AS yes
        FROM (SELECT points, id FROM ahead ORDER BY points, id DESC LIMIT 1) AS c,
             (SELECT total, id FROM fast ORDER BY total, id DESC LIMIT 1) AS n,
             (SELECT GREATEST(max({base}), 0) AS bound FROM point_schemes AS m
              WHERE m.year = :year) AS b
        WHERE (SELECT count(*) FROM ahead) = :limit
    ), scored AS MATERIALIZED (
        SELECT m.id, m.org_id, m.org_path, m.status, {base} + COALESCE(t.points, 0) AS total
        FROM members AS m
        LEFT JOIN point_totals AS t
            ON t.member_id = m.id AND t.year = :year AND t.org_path LIKE :prefix
        WHERE m.org_path LIKE :prefix AND m.status IN ('full', 'probationary')
    ), top AS (
        SELECT id, org_id, org_path, status, total FROM fast
        WHERE COALESCE((SELECT yes FROM use_fast), false)
        UNION ALL
        (SELECT id, org_id, org_path, status, total FROM scored
         WHERE NOT COALESCE((SELECT yes FROM use_fast), false)
         ORDER BY total DESC, id LIMIT :limit)
    ), me AS (
        SELECT id, org_id, org_path, status, total FROM scored
        WHERE CAST(:me AS uuid) IS NOT NULL
          AND id = CAST(:me AS uuid) AND id NOT IN (SELECT id FROM top)
    ), ranked AS (
        SELECT id, org_id, org_path, status, total,
               rank() OVER (ORDER BY total DESC) AS rank,
               row_number() OVER (PARTITION BY org_id, status = 'full' ORDER BY total DESC, id)
                   AS full_order
        FROM top
        UNION ALL
        SELECT me.id, me.org_id, me.org_path, me.status, me.total,
               1 + (SELECT count(*) FROM scored AS s WHERE s.total > me.total),
               1 + (SELECT count(*) FROM scored AS s
                    WHERE s.org_id = me.org_id
                      AND (s.status = 'full') = (me.status = 'full')
                      AND (s.total > me.total OR (s.total = me.total AND s.id < me.id)))
        FROM me
    ), branch_full AS (
        SELECT p.org_path,
               (SELECT count(*) FROM members AS f
                WHERE f.org_path = p.org_path AND f.status = 'full') AS n
        FROM (SELECT DISTINCT org_path FROM ranked) AS p
    )
    SELECT r.id, m.name, r.status, r.total, r.rank, COALESCE(b.n, 0), r.full_order
    FROM ranked AS r
    JOIN members AS m ON m.id = r.id
    LEFT JOIN branch_full AS b ON b.org_path = r.org_path
    ORDER BY r.rank, r.id
"""


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


async def ranking_statement(
    session: AsyncSession, root: Organisation, year: int, template: str = RANKING_TEMPLATE
) -> tuple[TextClause, dict[str, Any]]:
    """The ranking SQL for a subtree (or another `template` over its members), with each
    member's base from the nearest scheme (`nearest_schemes`, as `base_at` in SQLAlchemy)."""
    params: dict[str, Any] = {}
    cases = []
    # Subtree prefixes are written into the text (`prefix_param`): a plan per subtree.
    paths = [prefix_param("prefix")]
    for n, (path, base) in enumerate(await nearest_schemes(session, root, year)):
        cases.append(f"WHEN m.org_path LIKE :scheme_path_{n} THEN :scheme_base_{n}")
        params[f"scheme_path_{n}"] = subtree_prefix(path)
        params[f"scheme_base_{n}"] = base
        paths.append(prefix_param(f"scheme_path_{n}"))
    base_sql = f"(CASE {' '.join(cases)} ELSE 0 END)" if cases else "0"
    return text(template.format(base=base_sql)).bindparams(*paths), params


def base_at(path: ColumnElement[str], schemes: Sequence[tuple[str, int]]) -> ColumnElement[int]:
    """SQL: the base of a member at the organisation path `path`, from `nearest_schemes`
    (the CASE of `ranking_statement`)."""
    if not schemes:
        return literal(0)
    return case(*((under(path, scheme), base) for scheme, base in schemes), else_=0)


@dataclass(frozen=True)
class RankRow:
    member_id: uuid.UUID
    name: str
    status: str
    total: int
    rank: int
    grade: str | None
    below_lowest_band: bool
    suggested_review_grade: str | None


async def ranking(
    session: AsyncSession,
    root: Organisation,
    year: int,
    limit: int,
    me: uuid.UUID | None,
) -> tuple[list[RankRow], RankRow | None]:
    """Ranking over the whole subtree (积分排名): ties share a rank; the caller's own
    place is returned too. Grade bands come from the scheme in force at the root.

    The suggested review grade places each full member among the full members of
    their own branch (the excellent third is a branch's, DOMAIN "Democratic review"),
    whichever organisation the ranking is read through, as `confirm_grades` counts."""
    scheme = await scheme_for(session, root.path, year)
    bands = scheme.grade_bands if scheme else []
    lowest = min((b["min"] for b in bands), default=None)
    statement, params = await ranking_statement(session, root, year)
    rows = (
        await session.execute(
            statement,
            {**params, "year": year, "prefix": subtree_prefix(root.path), "limit": limit, "me": me},
        )
    ).all()
    out: list[RankRow] = []
    mine = None
    for member_id, name, status, total, rank, full_members, full_order in rows:
        row = RankRow(
            member_id=member_id,
            name=name,
            status=status,
            total=int(total),
            rank=int(rank),
            grade=grade_for(int(total), bands),
            below_lowest_band=lowest is not None and int(total) < lowest,
            suggested_review_grade=suggested_grade(
                status, int(total), int(full_order), int(full_members), bands
            ),
        )
        if member_id == me:
            mine = row
        if row.rank <= limit:
            out.append(row)
    return out[:limit], mine


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
    record's) plus their approved entries dated up to `as_of`. Counted per distinct
    total, without listing the members."""
    year = as_of.year
    scheme = await scheme_for(session, root.path, year)
    bands = scheme.grade_bands if scheme else []
    schemes = await nearest_schemes(session, root, year)
    earned = (
        select(PointEntry.member_id, func.sum(PointEntry.points).label("points"))
        .where(
            PointEntry.year == year,
            PointEntry.state == EntryState.approved,
            PointEntry.occurred_on <= as_of,
        )
        .group_by(PointEntry.member_id)
        .subquery()
    )
    ids = bindparam("moved_ids", list(moved), type_=ARRAY(Uuid()))
    paths = bindparam("moved_paths", list(moved.values()), type_=ARRAY(String()))
    stood = (
        func.unnest(ids, paths)
        .table_valued(column("member_id", Uuid()), column("path", String()))
        .render_derived()
    )
    path = func.coalesce(stood.c.path, Member.org_path)
    totals = (
        select((base_at(path, schemes) + func.coalesce(earned.c.points, 0)).label("total"))
        .select_from(Member)
        .outerjoin(stood, stood.c.member_id == Member.id)
        .outerjoin(earned, earned.c.member_id == Member.id)
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
    session: AsyncSession, principal: Principal, root: Organisation, year: int, limit: int
) -> tuple[list[RankRow], RankRow | None]:
    """`ranking` as the principal may see it: a member user gets its own place only."""
    rows, mine = await ranking(session, root, year, limit, principal.member_id)
    return [r for r in rows if shows_member(principal, r.member_id)], mine
