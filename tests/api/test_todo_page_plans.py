"""A page of dues-arrears to-dos is a walk of `ix_members_name_order` in the page's order
(name by code point, then id) that stops after the page, the first page and a page
after a cursor alike; not an evaluation of the rule over every member of the subtree
and a Sort of them. The statement `GET /todos` sends is captured and EXPLAINed (no
ANALYZE) with sequential and bitmap scans and sorts off, the subtree's indexes hidden
and the few test rows analysed, as in test_filtered_page_plans: what is checked is
that such a path exists.
Measured at 100k members in bench/RESULTS.md ("Arrears to-dos bounded by the page").
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import date
from typing import Any

import asyncpg
import pytest
from sqlalchemy import event

from app.api.deps import get_today
from app.db import get_engine

TODAY = date(2026, 11, 24)
# The subtree's indexes: with a few test rows, reading the subtree and sorting it is the
# cheaper plan (as it is for a small subtree at scale); hidden, the question is only
# whether a walk in the page's order exists.
_SUBTREE_INDEXES = (
    "ix_members_org_path",
    "ix_members_org_path_stats",
    "ix_members_status_org_path",
    "ix_members_name_prefix",
)


class _RollBack(Exception):
    pass


@pytest.fixture(autouse=True)
def frozen_today(app):
    app.dependency_overrides[get_today] = lambda: TODAY
    yield
    app.dependency_overrides.pop(get_today, None)


@contextmanager
def _captured() -> Iterator[list[tuple[str, tuple[Any, ...]]]]:
    sent: list[tuple[str, tuple[Any, ...]]] = []

    def record(conn: Any, cursor: Any, statement: str, params: Any, context: Any, many: bool):
        sent.append((statement, tuple(params)))

    engine = get_engine().sync_engine
    event.listen(engine, "before_cursor_execute", record)
    try:
        yield sent
    finally:
        event.remove(engine, "before_cursor_execute", record)


def _nodes(plan: dict[str, Any]) -> Iterator[dict[str, Any]]:
    """The statement's own plan nodes, not its subplans' (the rule's per-member probes)."""
    yield plan
    for child in plan.get("Plans", []):
        if child.get("Parent Relationship") != "SubPlan":
            yield from _nodes(child)


async def _arrears_page(api, token, params) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    """The response and the plan nodes of the arrears page statement it sent."""
    with _captured() as sent:
        r = await api.client.get(
            "/api/v1/todos", params={"kind": "dues_arrears"} | params, headers=api.auth(token)
        )
    assert r.status_code == 200, r.text
    pages = [(sql, args) for sql, args in sent if "LIMIT" in sql and "dues_payment_months" in sql]
    assert len(pages) == 1, sent
    sql, args = pages[0]
    conn = await asyncpg.connect(os.environ["DATABASE_URL"])
    try:
        async with conn.transaction():
            await conn.execute(
                "SET LOCAL enable_seqscan = off; SET LOCAL enable_bitmapscan = off;"
                "SET LOCAL enable_sort = off;"
                "SET LOCAL plan_cache_mode = force_custom_plan"
            )
            await conn.execute("ANALYZE members")
            for index in _SUBTREE_INDEXES:
                await conn.execute(f"DROP INDEX {index}")
            (explained,) = json.loads(await conn.fetchval("EXPLAIN (FORMAT JSON) " + sql, *args))
            raise _RollBack
    except _RollBack:
        pass
    finally:
        await conn.close()
    return r.json(), list(_nodes(explained["Plan"]))


def _walks_the_name_order(nodes: list[dict[str, Any]]) -> bool:
    return (
        nodes[0]["Node Type"] == "Limit"
        and not any(n["Node Type"] in ("Sort", "Incremental Sort") for n in nodes)
        and any(n.get("Index Name") == "ix_members_name_order" for n in nodes)
    )


async def test_an_arrears_page_and_the_next_walk_the_name_order_index(api, county):
    branch = await api.org(county.county_admin, county.town_a["id"], "branch")
    for name in ("丙", "甲", "乙"):
        await api.member(county.county_admin, branch["id"], name=name, joined_on="2020-01-01")
    first, nodes = await _arrears_page(api, county.admin_a, {"limit": 1})
    assert first["items"] and first["next_cursor"]
    assert _walks_the_name_order(nodes), nodes
    second, nodes = await _arrears_page(
        api, county.admin_a, {"limit": 1, "cursor": first["next_cursor"]}
    )
    assert second["items"][0]["subject"] > first["items"][0]["subject"]
    assert _walks_the_name_order(nodes), nodes
    # The cursor is a range of the index, not a filter over its head.
    walk = next(n for n in nodes if n.get("Index Name") == "ix_members_name_order")
    assert "Index Cond" in walk, walk
