"""`GET /members?status=a&status=b` (or several categories) pages are merged from one
walk per value; walked to the end, in every order, they hold exactly the members a plain
SQL query of the same filter finds, in the same order, each once, with the same total."""

from __future__ import annotations

import os
from typing import Any

import asyncpg
import pytest
from support import Api, County

MEMBERS = "/api/v1/members"
CATEGORIES = ("student", "retired", "employed")
ALL_STATUSES = ["applicant", "activist", "candidate", "probationary", "full", "suspended"]
ORDERS = {
    "organisation": "m.org_path, m.id",
    "-organisation": "m.org_path DESC, m.id DESC",
    "name": "m.name, m.id",
    "status,-birth_date": "m.status, m.birth_date DESC, m.id DESC",
}


_PLAIN = (
    "SELECT m.id FROM members m, organisations o WHERE o.id = $1"
    " AND starts_with(m.org_path, o.path) AND m.status = ANY($2::text[])"
    " AND ($3::text[] IS NULL OR m.category = ANY($3::text[]))"
)


async def _walk(api: Api, token: str, params: dict[str, Any]) -> tuple[list[str], int | None]:
    """Every page of the list to its end: the ids in order, and the first page's total."""
    ids: list[str] = []
    cursor, total = None, None
    for page in range(50):
        query = {**params, **({"cursor": cursor} if cursor else {"include_total": "true"})}
        r = await api.client.get(MEMBERS, params=query, headers=api.auth(token))
        assert r.status_code == 200, r.text
        body = r.json()
        assert len(body["items"]) <= params["limit"]
        ids += [m["id"] for m in body["items"]]
        total = body["total"] if page == 0 else total
        cursor = body["next_cursor"]
        if cursor is None:
            return ids, total
    raise AssertionError("the pages did not end")


async def _plain(
    org_id: str, statuses: list[str], order: str, categories: list[str] | None = None
) -> list[str]:
    """The same filter as plain SQL: members under the organisation's path, of the
    statuses, in the order."""
    conn = await asyncpg.connect(os.environ["DATABASE_URL"])
    try:
        # the order is one of ORDERS, not input
        sql = f"{_PLAIN} ORDER BY {order}"
        rows = await conn.fetch(
            sql,
            org_id,
            statuses,
            categories,
        )
    finally:
        await conn.close()
    return [str(r["id"]) for r in rows]


@pytest.fixture
async def mixed(api: Api, county: County) -> County:
    """Members of four statuses and three categories in both branches, some sharing a
    name (ties by id)."""
    names = ("王芳", "李强", "王芳", "张伟")
    for i, branch in enumerate((county.branch_a, county.branch_b, county.branch_a)):
        for j, status in enumerate(("suspended", "applicant", "full", "probationary")):
            category = CATEGORIES[(i + j) % 3]
            fields: dict[str, Any] = {"name": names[(i + j) % 4], "status": status}
            fields["category"] = category
            if status == "probationary":
                fields["joined_on"] = "2026-06-01"
            await api.member(county.county_admin, branch["id"], **fields)
    return county


@pytest.mark.parametrize("sort", list(ORDERS))
@pytest.mark.parametrize("limit", [1, 2, 5])
async def test_every_page_of_several_statuses_walked_is_the_plain_query_in_order(
    api: Api, mixed: County, sort: str, limit: int
) -> None:
    statuses = ["suspended", "probationary", "applicant"]
    params = {"within": mixed.county["id"], "status": statuses, "sort": sort, "limit": limit}
    ids, total = await _walk(api, mixed.county_admin, params)
    expected = await _plain(mixed.county["id"], statuses, ORDERS[sort])
    assert len(expected) == 9
    assert ids == expected
    assert total == len(expected)


async def test_a_status_repeated_lists_its_members_once(api: Api, mixed: County) -> None:
    statuses = ["suspended", "applicant", "suspended"]
    params = {"within": mixed.county["id"], "status": statuses, "limit": 2}
    ids, total = await _walk(api, mixed.county_admin, params)
    expected = await _plain(mixed.county["id"], ["suspended", "applicant"], ORDERS["organisation"])
    assert ids == expected
    assert total == len(expected) == 6


async def test_another_subtrees_admin_walks_only_their_own_members_of_the_statuses(
    api: Api, mixed: County
) -> None:
    statuses = ["suspended", "applicant"]
    ids, total = await _walk(api, mixed.admin_b, {"status": statuses, "limit": 1})
    assert ids == await _plain(mixed.branch_b["id"], statuses, ORDERS["organisation"])
    assert total == len(ids) == 2
    other = await _plain(mixed.branch_a["id"], statuses, ORDERS["organisation"])
    assert other
    assert not set(ids) & set(other)


@pytest.mark.parametrize("sort", ["organisation", "-organisation", "name"])
async def test_every_page_of_several_categories_walked_is_the_plain_query_in_order(
    api: Api, mixed: County, sort: str
) -> None:
    categories = ["student", "retired"]
    params = {"within": mixed.county["id"], "category": categories, "sort": sort, "limit": 2}
    ids, total = await _walk(api, mixed.county_admin, params)
    expected = await _plain(mixed.county["id"], ALL_STATUSES, ORDERS[sort], categories)
    assert len(expected) == 8
    assert ids == expected
    assert total == len(expected)


async def test_several_statuses_and_several_categories_walked_is_the_plain_query(
    api: Api, mixed: County
) -> None:
    statuses, categories = ["suspended", "full", "applicant"], ["student", "employed"]
    params = {"within": mixed.county["id"], "status": statuses, "category": categories}
    ids, total = await _walk(api, mixed.county_admin, {**params, "limit": 2})
    expected = await _plain(mixed.county["id"], statuses, ORDERS["organisation"], categories)
    assert 0 < len(expected) < 9
    assert ids == expected
    assert total == len(expected)
