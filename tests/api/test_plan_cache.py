"""Subtree statements keep custom plans: province-level calls cannot flip a pooled
connection to a generic plan that scans every member (`db_plan_cache_mode`)."""

from __future__ import annotations

from contextlib import AsyncExitStack

from sqlalchemy import text

from app.db import get_engine

SUBTREE_PLANS = (
    "SELECT statement, generic_plans, custom_plans FROM pg_prepared_statements "
    "WHERE statement LIKE '%org_path LIKE $%' AND cardinality(parameter_types) > 0"
)


async def test_ten_root_level_stats_calls_leave_every_subtree_statement_on_custom_plans(
    api, county
):
    await api.member(county.county_admin, county.branch_a["id"])
    headers = api.auth(api.admin_token)
    for _ in range(10):
        r = await api.client.get(f"/api/v1/organisations/{api.root_id}/stats", headers=headers)
        assert r.status_code == 200, r.text
    rows = []
    engine = get_engine()
    # Every pooled connection at once (the calls ran on one or more of them).
    async with AsyncExitStack() as stack:
        for _ in range(engine.sync_engine.pool.checkedin() + 1):
            conn = await stack.enter_async_context(engine.connect())
            assert (await conn.scalar(text("SHOW plan_cache_mode"))) == "force_custom_plan"
            rows += (await conn.execute(text(SUBTREE_PLANS))).all()
    assert [(sql, generic) for sql, generic, _ in rows if generic] == []
    assert any(custom >= 10 for _, _, custom in rows), rows
