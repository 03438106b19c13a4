"""The ranking answers as the statement it replaced did (app.services.points.ranking).
(The statistics' points grades count the members counted on their day, not the
ranking's: `indicators.points_tables`, tested in test_statistics_tables.py.)

The ranking was one SQL statement with its base written as a CASE over schemes read
beforehand; it now reads its schemes itself, takes its caller's place from a second
text and renders its answer with orjson. `OLD_RANKING` and `_old_statement` below are the
earlier statements, kept here as the reference: on every case (one base, several bases, no
scheme, too few members with points, ties, probationary members, deductions, a member
user's own place, every limit) the API must give exactly what it gave.
"""

from __future__ import annotations

import itertools
import uuid
from typing import Any

from sqlalchemy import TextClause, text
from sqlalchemy.ext.asyncio import AsyncSession
from support import Api, County

from app.db import get_sessionmaker
from app.models.organisation import Organisation
from app.security.scope import prefix_param, subtree_prefix
from app.services.points.ranking import grade_for, nearest_schemes
from app.services.points.review import suggested_grade
from app.services.points.schemes import scheme_for

YEAR = 2026
_keys = itertools.count()

OLD_RANKING = """
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


async def _old_statement(
    session: AsyncSession, root: Organisation, year: int, template: str
) -> tuple[TextClause, dict[str, Any]]:
    """The earlier `ranking_statement`: `template` with each member's base as a CASE over
    the schemes read beforehand (`nearest_schemes`)."""
    schemes = await nearest_schemes(session, root, year)  # what the statistics still read
    params: dict[str, Any] = {}
    cases = []
    # Subtree prefixes are written into the text (`prefix_param`): a plan per subtree.
    paths = [prefix_param("prefix")]
    for n, (path, base) in enumerate(schemes):
        cases.append(f"WHEN m.org_path LIKE :scheme_path_{n} THEN :scheme_base_{n}")
        params[f"scheme_path_{n}"] = subtree_prefix(path)
        params[f"scheme_base_{n}"] = base
        paths.append(prefix_param(f"scheme_path_{n}"))
    base_sql = f"(CASE {' '.join(cases)} ELSE 0 END)" if cases else "0"
    return text(template.format(base=base_sql)).bindparams(*paths), params


async def _old_answer(
    org_id: str, year: int, limit: int, me: str | None
) -> tuple[list[dict[str, Any]], dict[str, Any] | None]:
    """The ranking as the earlier implementation computed it, as the API writes it."""
    async with get_sessionmaker()() as session:
        root = await session.get(Organisation, uuid.UUID(org_id))
        assert root is not None
        scheme = await scheme_for(session, root.path, year)
        bands = scheme.grade_bands if scheme else []
        lowest = min((b["min"] for b in bands), default=None)
        statement, params = await _old_statement(session, root, year, OLD_RANKING)
        values = {"year": year, "prefix": subtree_prefix(root.path), "limit": limit}
        rows = (await session.execute(statement, {**params, **values, "me": me})).all()
    out, mine = [], None
    for member_id, name, status, total, rank, full_members, full_order in rows:
        row = {
            "member_id": str(member_id),
            "name": name,
            "total": int(total),
            "rank": int(rank),
            "grade": grade_for(int(total), bands),
            "below_lowest_band": lowest is not None and int(total) < lowest,
            "suggested_review_grade": suggested_grade(
                status, int(total), int(full_order), int(full_members), bands
            ),
        }
        if me is not None and row["member_id"] == me:
            mine = row
        if row["rank"] <= limit:
            out.append(row)
    return out[:limit], mine


async def _post(api: Api, token: str, url: str, body: dict[str, Any]) -> dict[str, Any]:
    r = await api.client.post(url, json=body, headers=api.auth(token))
    assert r.status_code == 201, r.text
    result: dict[str, Any] = r.json()
    return result


async def _scheme(api: Api, token: str, org_id: str, base: int) -> None:
    bands = [{"min": base + 6, "label": "优"}, {"min": base + 2, "label": "合格"}]
    body = {"org_id": org_id, "year": YEAR, "base": base, "grade_bands": bands}
    await _post(api, token, "/api/v1/point-schemes", body)


async def _rule(api: Api, county: County, category: str, points: int) -> str:
    body = {"org_id": county.county["id"], "code": f"S{next(_keys)}", "name": "志愿服务"}
    body |= {"category": category, "points": points, "needs_approval": False}
    return (await _post(api, county.county_admin, "/api/v1/point-rules", body))["id"]


async def _members(api: Api, county: County) -> list[str]:
    """Members in both branches: 2-point awards (ties, none), a deduction, probationary."""
    token = county.county_admin
    bonus, deduction = (
        await _rule(api, county, "bonus", 2),
        await _rule(api, county, "deduction", 3),
    )
    plan = {county.branch_a["id"]: [3, 1, 1, 0, 2, 3, -1], county.branch_b["id"]: [1, 2, 0, -1]}
    ids = []
    for branch, awards in plan.items():
        for n, awarded in enumerate(awards):
            fields = {"status": "probationary", "joined_on": "2026-03-01"} if n == 1 else {}
            member = await api.member(token, branch, **fields)
            ids.append(member["id"])
            rule = deduction if awarded < 0 else bonus
            for _ in range(abs(awarded)):
                body = {"member_id": member["id"], "rule_id": rule}
                body |= {"occurred_on": "2026-11-01", "source_key": f"s{next(_keys)}"}
                await _post(api, token, "/api/v1/point-entries", body)
    return ids


async def _same(api: Api, token: str, org_id: str, year: int, me: str | None = None) -> int:
    """Every limit up to past the whole ranking gives the earlier answer; the number of
    places compared."""
    compared = 0
    for limit in (1, 2, 3, 5, 8, 13, 50):
        r = await api.client.get(
            f"/api/v1/organisations/{org_id}/points/ranking",
            params={"year": year, "limit": limit},
            headers=api.auth(token),
        )
        assert r.status_code == 200, r.text
        items, mine = await _old_answer(org_id, year, limit, me)
        if me is not None:  # a member user sees its own place only
            items = [i for i in items if i["member_id"] == me]
        assert r.json() == {"year": year, "items": items, "me": mine, "next_cursor": None}, limit
        compared += len(items)
    return compared


async def test_the_ranking_answers_as_the_statement_it_replaced(api: Api, county: County) -> None:
    token = county.county_admin
    ids = await _members(api, county)
    orgs = [county.county, county.town_a, county.branch_a, county.town_b, county.branch_b]
    # no scheme: every base 0, no bands
    assert sum([await _same(api, token, o["id"], YEAR) for o in orgs]) > 0
    # one base for the whole county (the top found from the head of the totals)
    await _scheme(api, token, county.county["id"], base=60)
    for org in orgs:
        await _same(api, token, org["id"], YEAR)
    # a second base inside the county, above and below the first
    for base in (65, 55):
        await _scheme(api, token, county.town_b["id"], base=base)
        for org in orgs:
            await _same(api, token, org["id"], YEAR)
    # a year without entries or schemes
    await _same(api, token, county.county["id"], YEAR - 1)
    # a member user: its own place (the whole subtree scored)
    _, member_token = await api.user(token, "member", county.branch_a["id"], ids[4])
    assert await _same(api, member_token, county.branch_a["id"], YEAR, me=ids[4]) > 0
