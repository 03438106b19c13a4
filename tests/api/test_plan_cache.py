"""Province-level calls cannot flip a pooled connection to a generic plan that scans every
member: a subtree prefix is written into the statement text, never bound as a parameter,
so each subtree's statement has its own plan under PostgreSQL's own `auto` plan cache."""

from __future__ import annotations

import json
import os
import re

import asyncpg
from sqlalchemy import text
from support import driver_statements, every_pooled_connection, sql_literal

from app.db import get_engine

# Every prepared statement of a connection that filters a path column by a pattern.
PREPARED = (
    "SELECT statement, generic_plans, custom_plans FROM pg_prepared_statements "
    "WHERE statement ~ 'path LIKE'"
)
# A path matched against a parameter: a generic plan of it cannot use the path index.
BOUND_PREFIX = re.compile(r"path LIKE \$\d")


async def _prepared_path_statements(api, county) -> tuple[str, list[tuple[str, int, int]]]:
    """The root's path, and the path statements prepared on every pooled connection after
    a county read and 10 root-level stats calls."""
    await api.member(county.county_admin, county.branch_a["id"])
    engine = get_engine()
    # A fresh pool: the sequential calls share one connection instead of rotating over
    # the connections earlier tests opened (each would then see every statement once).
    await engine.dispose()
    headers = api.auth(api.admin_token)
    for _ in range(10):
        r = await api.client.get(f"/api/v1/organisations/{api.root_id}/stats", headers=headers)
        assert r.status_code == 200, r.text
    rows = []
    async with every_pooled_connection(engine) as connections:
        for conn in connections:
            assert (await conn.scalar(text("SHOW plan_cache_mode"))) == "auto"
            rows += [tuple(row) for row in (await conn.execute(text(PREPARED))).all()]
        root = await conn.scalar(
            text("SELECT path FROM organisations WHERE id = CAST(:id AS uuid)"),
            {"id": api.root_id},
        )
    return root, rows


async def test_ten_root_level_stats_calls_leave_no_generic_plan_over_a_bound_subtree_prefix(
    api, county
):
    root, rows = await _prepared_path_statements(api, county)
    assert [sql for sql, generic, _ in rows if generic and BOUND_PREFIX.search(sql)] == []
    assert [sql for sql, _, _ in rows if BOUND_PREFIX.search(sql)] == []
    # The stats statements ran 10 times each with the root's prefix in their text.
    runs = [generic + custom for sql, generic, custom in rows if f"LIKE '{root}%'" in sql]
    assert runs and max(runs) >= 10, rows


async def test_the_member_reads_generic_plan_finds_an_open_episode_by_its_partial_index(
    api, county
):
    """The open states are in the statement's text: a cached generic plan proves the
    partial index's predicate as a custom plan does, so a missing ANALYZE cannot make
    the generic plan look dearer and PostgreSQL re-plan every read (bench/RESULTS.md)."""
    member = await api.member(county.county_admin, county.branch_a["id"])
    with driver_statements() as sent:
        r = await api.client.get(
            f"/api/v1/members/{member['id']}", headers=api.auth(county.county_admin)
        )
    assert r.status_code == 200, r.text
    [(sql, args)] = [(s, a) for s, a in sent if "FROM members" in s and "mobile_episodes" in s]
    conn = await asyncpg.connect(os.environ["DATABASE_URL"])
    try:
        async with conn.transaction():
            # A table the statistics say is a few rows is read whole by any plan: the
            # check is which index the plan can take (as at scale), not whether it does.
            await conn.execute(
                "SET LOCAL plan_cache_mode = force_generic_plan; SET LOCAL enable_seqscan = off"
            )
            await conn.execute("PREPARE member_read AS " + sql)
            values = ", ".join(sql_literal(v) for v in args)
            plan = await conn.fetchval(f"EXPLAIN (FORMAT JSON) EXECUTE member_read({values})")
            await conn.execute("DEALLOCATE member_read")
    finally:
        await conn.close()
    indexes = re.findall(r'"Index Name": "([^"]+)"', json.dumps(json.loads(plan)))
    assert "uq_mobile_episodes_one_open_per_member" in indexes, indexes
