"""Filtered member pages are walks of an index in page order that stop after the page.

The statement the API sends for a filtered page is captured and EXPLAINed (no ANALYZE)
with sequential and bitmap scans off, so the small test tables cannot make a scan of
everything the cheaper plan: what is checked is that an index path serving the filter
*in the page's order* exists (a Limit over an index scan of the filter's index, no
Sort above it). A filter without such an index would plan a Sort of every match, or a
walk of the whole subtree. Measured at 1M members in bench/RESULTS.md.
"""

from __future__ import annotations

import itertools
import json
import os
from collections.abc import Iterator
from typing import Any

import asyncpg
import pytest
from support import Api, County, driver_statements, sql_literal

from app.services.lifecycle import FLAG_CODES


class _RollBack(Exception):
    pass


def _nodes(plan: dict[str, Any]) -> Iterator[dict[str, Any]]:
    """The nodes that walk the page, without the subplans of the row's flags (columns of
    the page's statement, evaluated for each row read, not a way to find the rows)."""
    yield plan
    for child in plan.get("Plans", []):
        if child.get("Parent Relationship") not in ("SubPlan", "InitPlan"):
            yield from _nodes(child)


async def _page_plan(
    api: Api,
    token: str,
    params: dict[str, Any],
    hide: tuple[str, ...],
    analyze: bool = False,
    statistics: bool = False,
    joins: str = "",
    generic: bool = False,
) -> list[dict[str, Any]]:
    """The plan nodes of the members page statement that GET /members sends, planned
    without the indexes in `hide` (dropped in a transaction that is rolled back); with
    `analyze`, run too, each node with the rows it read and its buffers; with
    `statistics`, planned on fresh statistics of the members (as a database the
    autovacuum keeps); `joins`: more `SET LOCAL` settings; `generic`: the plan a
    connection caches after five calls (PREPAREd, planned without its arguments)."""
    with driver_statements() as sent:
        r = await api.client.get("/api/v1/members", params=params, headers=api.auth(token))
    assert r.status_code == 200, r.text
    pages = [(sql, args) for sql, args in sent if "ORDER BY members.org_path" in sql]
    assert len(pages) == 1, sent
    sql, args = pages[0]
    conn = await asyncpg.connect(os.environ["DATABASE_URL"])
    try:
        if statistics:
            # Committed: an ANALYZE rolled back keeps the row counts it wrote in place
            # (`pg_class.reltuples`) without the column statistics, and later tests'
            # plans would be made on that (test_plan_cache).
            await conn.execute("ANALYZE members, mobile_episodes")
        async with conn.transaction():
            await conn.execute(
                "SET LOCAL enable_seqscan = off; SET LOCAL enable_bitmapscan = off;"
                "SET LOCAL plan_cache_mode = force_custom_plan;" + joins
            )
            for index in hide:
                await conn.execute(f"DROP INDEX {index}")
            options = "ANALYZE, BUFFERS, FORMAT JSON" if analyze else "FORMAT JSON"
            if generic:
                await conn.execute("SET LOCAL plan_cache_mode = force_generic_plan")
                await conn.execute("PREPARE page AS " + sql)
                values = ", ".join(sql_literal(v) for v in args)
                plan = await conn.fetchval(f"EXPLAIN ({options}) EXECUTE page({values})")
            else:
                plan = await conn.fetchval(f"EXPLAIN ({options}) " + sql, *args)
            (explained,) = json.loads(plan)
            raise _RollBack
    except _RollBack:
        pass
    finally:
        await conn.close()
    return list(_nodes(explained["Plan"]))


# A filter competes with the walk of the subtree in tree order, which a few test rows
# (and the statistics of the rows other tests left) make the cheaper plan: the
# tree-order indexes are hidden, so the check is that the filter's index serves the
# statement in page order (a name prefix: matches its LIKE's operator class and
# collation). The
# to-dos' name-order index (`name COLLATE "C"`) serves a prefix as well (measured: the
# same few buffers at 100k); hidden too, so the check stays on the prefix index.
TREE_ORDER = ("ix_members_org_path", "ix_members_org_path_stats")
NAME_ORDER = ("ix_members_name_order",)


@pytest.mark.parametrize(
    ("params", "index", "hide"),
    [
        ({"status": "suspended"}, "ix_members_status_org_path", TREE_ORDER),
        ({"category": "student"}, "ix_members_category_org_path", TREE_ORDER),
        ({"q": "欧阳"}, "ix_members_name_prefix", TREE_ORDER + NAME_ORDER),
        (  # (either one's walk, testing the other, is bounded only where it is common)
            {"status": "suspended", "category": "student"},
            "ix_members_status_category_org_path",
            (*TREE_ORDER, "ix_members_status_org_path", "ix_members_category_org_path"),
        ),
    ],
)
async def test_a_filtered_page_of_a_subtree_reads_the_filters_index_and_stops_after_the_page(
    api: Api, county: County, params: dict[str, Any], index: str, hide: tuple[str, ...]
) -> None:
    for name in ("欧阳修", "张三"):
        await api.member(county.county_admin, county.branch_a["id"], name=name)
    nodes = await _page_plan(
        api, county.county_admin, {"within": county.county["id"], "limit": 5, **params}, hide
    )
    assert nodes[0]["Node Type"] == "Limit"
    scans = [n for n in nodes if n.get("Index Name")]
    assert [n["Index Name"] for n in scans] == [index], nodes
    # in tree order straight from the index: nothing sorts the matches (a name prefix
    # reads only the names with that prefix, then orders those few)
    sorts = [n for n in nodes if n["Node Type"] in ("Sort", "Incremental Sort")]
    assert not sorts or "q" in params, nodes


async def _add(api: Api, county: County, field: str, values: tuple[str, ...]) -> None:
    for branch in (county.branch_a, county.branch_b):
        for value in values:
            await api.member(county.county_admin, branch["id"], **{field: value})


# (filter, two values asked for, a value not asked for, the index of each part)
SEVERAL = [
    ("status", ("suspended", "applicant"), "full", "ix_members_status_org_path"),
    ("category", ("student", "retired"), "employed", "ix_members_category_org_path"),
]


@pytest.mark.parametrize("sort", ["organisation", "-organisation"])
@pytest.mark.parametrize(("field", "asked", "other", "index"), SEVERAL)
async def test_a_page_of_several_values_walks_each_values_index_and_reads_about_the_page(
    api: Api,
    county: County,
    field: str,
    asked: tuple[str, str],
    other: str,
    index: str,
    sort: str,
) -> None:
    # 12 members, 8 of them of the two values asked for: a subtree bigger than the page
    await _add(api, county, field, (*asked, other) * 2)
    params = {"within": county.county["id"], field: list(asked), "limit": 3, "sort": sort}
    first = await api.client.get(
        "/api/v1/members", params=params, headers=api.auth(county.county_admin)
    )
    cursor = first.json()["next_cursor"]
    assert cursor is not None
    for page in (params, {**params, "cursor": cursor}):
        nodes = await _page_plan(api, county.county_admin, page, TREE_ORDER, analyze=True)
        assert nodes[0]["Node Type"] == "Limit"
        scans = [n for n in nodes if n.get("Index Name")]
        assert [n["Index Name"] for n in scans] == [index] * 2, nodes
        assert not [n for n in nodes if n["Node Type"] in ("Sort", "Incremental Sort")], nodes
        # each value's walk stops after the page (and starts at the cursor): the rows
        # read are the page's 3 (and the one that tells a next page exists), plus at
        # most one ahead per value, not the 8 matches
        assert _rows_read(scans) <= 3 + 1 + 2, nodes
    # twice the matches after the first page's rows: the first page reads as many rows.
    # (Rows, not buffers: after other tests' inserts an index page split may put the
    # same rows on one more leaf page, which a buffer count would take for growth.)
    await _add(api, county, field, asked * 2)
    nodes = await _page_plan(api, county.county_admin, params, TREE_ORDER, analyze=True)
    assert _rows_read([n for n in nodes if n.get("Index Name")]) <= 3 + 1 + 2, nodes


@pytest.mark.parametrize("sort", ["organisation", "-organisation"])
async def test_a_page_of_several_statuses_and_categories_walks_each_pairs_index(
    api: Api, county: County, sort: str
) -> None:
    # 18 members, 8 of them of a status and a category asked for
    for branch in (county.branch_a, county.branch_b):
        for status, category in itertools.product(
            ("suspended", "applicant", "full"), ("student", "retired", "employed")
        ):
            await api.member(county.county_admin, branch["id"], status=status, category=category)
    params = {
        "within": county.county["id"],
        "status": ["suspended", "applicant"],
        "category": ["student", "retired"],
        "limit": 3,
        "sort": sort,
    }
    first = await api.client.get(
        "/api/v1/members", params=params, headers=api.auth(county.county_admin)
    )
    assert len(first.json()["items"]) == 3
    cursor = first.json()["next_cursor"]
    assert cursor is not None
    for page in (params, {**params, "cursor": cursor}):
        nodes = await _page_plan(api, county.county_admin, page, TREE_ORDER, analyze=True)
        assert nodes[0]["Node Type"] == "Limit"
        scans = [n for n in nodes if n.get("Index Name")]
        assert [n["Index Name"] for n in scans] == ["ix_members_status_category_org_path"] * 4
        assert not [n for n in nodes if n["Node Type"] in ("Sort", "Incremental Sort")], nodes
        # each pair's walk stops after the page: the page's 3 and the one after, plus at
        # most one ahead per pair, not the 8 matches
        assert _rows_read(scans) <= 3 + 1 + 4, nodes


def _rows_read(scans: list[dict[str, Any]]) -> int:
    return sum(int(n["Actual Rows"] + n.get("Rows Removed by Filter", 0)) for n in scans)


async def _moved(api: Api, county: County) -> None:
    member = await api.member(county.county_admin, county.branch_a["id"], residence="旧址")
    r = await api.client.patch(
        f"/api/v1/members/{member['id']}",
        json={"residence": "新址"},
        headers=api.auth(county.admin_a),
    )
    assert r.status_code == 200, r.text


async def _lost(api: Api, county: County) -> None:
    await api.member(county.county_admin, county.branch_a["id"], lost_contact_since="2026-01-01")


@pytest.mark.parametrize(
    ("flag", "add", "index"),
    [
        ("contact.lost", _lost, "ix_members_lost_contact_since"),
        ("transfer.suggested", _moved, "ix_members_relocated_on"),
    ],
)
async def test_a_rare_flags_page_reads_its_members_through_their_index_not_the_subtree(
    api: Api, county: County, flag: str, add: Any, index: str
) -> None:
    """`contact.lost` as a set of ids (the partial index of members lost by record,
    the open episodes silent too long) joined to members by primary key;
    `transfer.suggested` from the partial index of members who moved: their cost is
    the flagged members', not the subtree's (a province at 1M members with none
    flagged: 2.3 s and 168 ms -> 4 ms each)."""
    await add(api, county)
    for _ in range(40):
        await api.member(county.county_admin, county.branch_a["id"])
    params = {"within": county.county["id"], "flag": flag, "limit": 5}
    # Nested loops only, none over a materialized inner side: a merge or hash join, or
    # every member tested against the few flagged ids kept in memory, read these few
    # test rows as cheaply and hide whether the index can lead (at 1M it does by itself;
    # which the planner took here moved with the rows other tests had left).
    nested = (
        "SET LOCAL enable_mergejoin = off; SET LOCAL enable_hashjoin = off;"
        "SET LOCAL enable_material = off;"
    )
    nodes = await _page_plan(
        api, county.county_admin, params, TREE_ORDER, analyze=True, statistics=True,
        joins=nested,
    )  # fmt: skip
    on_members = [n for n in nodes if n.get("Relation Name") == "members"]
    assert {n["Index Name"] for n in on_members} <= {index, "pk_members"}, nodes
    assert index in {n["Index Name"] for n in on_members}, nodes
    # the one member flagged: read from its index (and by primary key), no walk
    assert all("Index Cond" in n or n["Index Name"] == index for n in on_members), nodes
    assert sum(n["Actual Rows"] * n["Actual Loops"] for n in on_members) <= 2, nodes


# How each flag's page finds its members (docs/api-conventions.md): a date flag of one
# status from that status's partial index by the flag's date; the flags over other
# tables from those tables' rows; the rare flags above from their index; the unpaid
# dues from the members whose latest month paid is none of the six.
DATE_FLAG_INDEXES = {
    "applicant.talk_overdue": "ix_members_awaiting_talk",
    "admission.approval_overdue": "ix_members_awaiting_approval",
    "admission.approval_expired": "ix_members_awaiting_approval",
    "probation.ending": "ix_members_probation_end",
    "probation.due": "ix_members_probation_end",
    "suspension.left_suggested": "ix_members_suspended_since",
}
# Each index's date as its plan shows it (probation's end: the expression).
DATE_COLUMNS = {
    "ix_members_awaiting_talk": "applied_on",
    "ix_members_awaiting_approval": "joined_on",
    "ix_members_suspended_since": "status_since",
    "ix_members_probation_end": "make_interval",
}
OTHER_TABLES = {
    "discipline.outcome_due",
    "mobile.expected_period_exceeded",
    "community_report.review_due",
    "discipline.post_still_held",
}
RARE = {"contact.lost", "transfer.suggested"}
# The unpaid dues: the members who can owe them, by the latest month paid.
PAID_THROUGH = {"dues.six_months_unpaid"}


def test_every_flag_is_classified_by_how_its_page_finds_its_members():
    classes = [set(DATE_FLAG_INDEXES), OTHER_TABLES, RARE, PAID_THROUGH]
    assert sorted(f for c in classes for f in c) == sorted(FLAG_CODES)


# The walks a date flag's page could take instead: the subtree in tree order, and the
# status's own indexes (each status's members in tree order or by id).
STATUS_WALKS = (*TREE_ORDER, "ix_members_status_org_path", "ix_members_status_id")


@pytest.mark.parametrize("flag", sorted(DATE_FLAG_INDEXES))
async def test_a_date_flags_cached_generic_plan_can_start_from_the_flags_index(
    api: Api, county: County, flag: str
) -> None:
    """The flag's status and days are in the statement's text, so the plan a connection
    caches proves the partial index's predicate and ranges over its date (a province at
    1M members with no probation ending: 327 ms walking the probationary members, 5.6
    ms from the index). With the status walks hidden the index must be the plan's way
    to the members: bound as parameters, the status and days leave it none."""
    params = {"within": county.county["id"], "flag": flag, "limit": 5}
    index = DATE_FLAG_INDEXES[flag]
    # the other flags' indexes too: on a few test rows one of the same status can
    # look as cheap (the probationary members by probation's end, for an approval)
    others = set(DATE_FLAG_INDEXES.values()) - {index}
    hide = (*STATUS_WALKS, *sorted(others))
    nodes = await _page_plan(api, county.county_admin, params, hide, generic=True)
    on_members = [n for n in nodes if n.get("Relation Name") == "members"]
    assert [n.get("Index Name") for n in on_members] == [index], nodes
    # ranged over the flag's date (the index's first column), not read whole
    assert DATE_COLUMNS[index] in on_members[0].get("Index Cond", ""), nodes


async def test_the_unpaid_dues_cached_generic_plan_can_start_from_the_latest_month_paid(
    api: Api, county: County
) -> None:
    """The members who can owe the six months (`unpaid_run_candidates`: the latest month
    paid before them, after them or none) are ranges of `ix_members_dues_paid_through`,
    its statuses and months in the statement's text, so the plan a connection caches can
    start there where few owe instead of testing every due member of the subtree (which
    ranges it reads depends on the statistics: at 1M members, bench/RESULTS.md). With
    the walks hidden the index must be the plan's way to the members: with the statuses
    bound as parameters its predicate is not proved and there is none."""
    params = {"within": county.county["id"], "flag": "dues.six_months_unpaid", "limit": 5}
    bitmaps = "SET LOCAL enable_bitmapscan = on;"  # three ranges: a BitmapOr
    nodes = await _page_plan(
        api, county.county_admin, params, STATUS_WALKS, joins=bitmaps, generic=True
    )
    indexes = {n["Index Name"] for n in nodes if n.get("Index Name")}
    on_members = {i for i in indexes if i.startswith(("ix_members", "pk_members"))}
    assert on_members == {"ix_members_dues_paid_through"}, nodes
