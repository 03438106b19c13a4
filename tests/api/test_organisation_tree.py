"""The organisation tree read in one statement: its root read by id within the caller's
scope (any scope, or none for the system administrator), shown even when dissolved, and
the statement kept on one generic plan per connection instead of planned every call.
Kept answers (sent again while no organisation is written): `test_kept_answers.py`;
here they are off (`reads_every_time`), so that every call reads its tree."""

from __future__ import annotations

import pytest
from sqlalchemy import text
from support import counting, every_pooled_connection

from app.config import get_settings
from app.db import get_engine
from app.services.organisations.tree import WALKED_LEVELS

ORGS = "/api/v1/organisations"
TREE_PLANS = (
    "SELECT generic_plans, custom_plans FROM pg_prepared_statements "
    "WHERE statement ~ 'has_children'"
)


@pytest.fixture(autouse=True)
def reads_every_time(monkeypatch):
    monkeypatch.setattr(get_settings(), "kept_answer_bytes", 0)


def _ids(node: dict) -> set[str]:
    ids, stack = set(), [node]
    while stack:
        node = stack.pop()
        ids.add(node["id"])
        stack.extend(node["children"])
    return ids


async def test_the_system_admin_and_the_county_admin_read_the_same_tree(api, county):
    url = f"{ORGS}/{county.county['id']}/tree"
    params = {"depth": 3}
    mine = await api.client.get(url, params=params, headers=api.auth(county.county_admin))
    every = await api.client.get(url, params=params, headers=api.auth(api.admin_token))
    assert mine.status_code == every.status_code == 200
    assert mine.json() == every.json()
    assert {county.town_a["id"], county.branch_b["id"]} <= _ids(mine.json())


async def test_a_dissolved_root_is_shown_and_an_absent_one_is_404(api, county):
    headers = api.auth(county.county_admin)
    group = await api.org(county.county_admin, county.branch_a["id"], "group")
    r = await api.client.delete(f"{ORGS}/{group['id']}", headers=headers)
    assert r.status_code == 204
    r = await api.client.get(f"{ORGS}/{group['id']}/tree", headers=headers)
    assert r.status_code == 200
    assert r.json()["id"] == group["id"]
    assert r.json()["dissolved_on"] is not None
    assert r.json()["children"] == []
    r = await api.client.get(f"{ORGS}/{county.branch_a['id']}/tree", headers=headers)
    assert r.json()["children"] == []
    assert r.json()["has_more_children"] is False
    r = await api.client.get(f"{ORGS}/{county.town_b['id'][:-4]}0000/tree", headers=headers)
    assert r.status_code == 404
    assert r.json()["code"] == "organisation.not_found"


async def test_ten_tree_calls_run_on_one_generic_plan(api, county):
    engine = get_engine()
    # A fresh pool: the sequential calls share one connection.
    await engine.dispose()
    url = f"{ORGS}/{county.county['id']}/tree"
    for _ in range(10):
        r = await api.client.get(url, params={"depth": 2}, headers=api.auth(county.county_admin))
        assert r.status_code == 200, r.text
    rows = []
    async with every_pooled_connection(engine) as connections:
        for conn in connections:
            rows += [tuple(row) for row in (await conn.execute(text(TREE_PLANS))).all()]
    # PostgreSQL plans the first five calls for their values, then keeps the generic plan.
    assert sum(generic for generic, _ in rows) >= 5, rows
    assert max(custom for _, custom in rows) <= 5, rows


async def test_a_tree_is_one_statement_walked_or_ranged_after_the_version_and_login_check(
    api, county
):
    url = f"{ORGS}/{county.county['id']}/tree"
    headers = api.auth(county.county_admin)
    assert (await api.client.get(url, headers=headers)).status_code == 200  # login known
    read = {}
    for depth in (WALKED_LEVELS, WALKED_LEVELS + 1):
        with counting() as statements:
            r = await api.client.get(url, params={"depth": depth}, headers=headers)
        assert r.status_code == 200, r.text
        assert len(statements) == 2, statements
        assert "auth_sessions" in statements[0] and "table_versions" in statements[0]
        read[depth] = statements[-1]
    assert "WITH RECURSIVE" in read[WALKED_LEVELS]
    assert "WITH RECURSIVE" not in read[WALKED_LEVELS + 1]


async def test_the_walked_and_the_ranged_read_answer_alike(api, county, monkeypatch):
    from app.services.organisations import tree

    group = await api.org(county.county_admin, county.branch_a["id"], "group")
    gone = await api.org(county.county_admin, county.branch_b["id"], "group")
    headers = api.auth(county.county_admin)
    assert (await api.client.delete(f"{ORGS}/{gone['id']}", headers=headers)).status_code == 204
    assert group["id"]
    answers: dict[int, list[tuple[int, bytes]]] = {0: [], 10: []}
    try:
        for walked, seen in answers.items():
            monkeypatch.setattr(tree, "WALKED_LEVELS", walked)
            tree._tree_statement.cache_clear()
            for org in (county.county, county.town_b, county.branch_a, gone):
                for depth in (0, 1, 2, 3):
                    for dissolved in ("false", "true"):
                        params = {"depth": depth, "include_dissolved": dissolved}
                        url = f"{ORGS}/{org['id']}/tree"
                        r = await api.client.get(url, params=params, headers=headers)
                        seen.append((r.status_code, r.content))
    finally:
        tree._tree_statement.cache_clear()
    assert answers[0] == answers[10]
