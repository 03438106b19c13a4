"""`GET /members?include_total=true`: filtered by the subtree, statuses and categories
only, the total is read from the kept member counts (`counts.members_counted`, the
dashboard's snapshot plus the changes since) and is the number of matching members
whichever way it is read; any other filter or a flag counts the matches."""

from __future__ import annotations

import itertools
from typing import Any

import pytest
from sqlalchemy import update

from app import clock
from app.db import get_sessionmaker
from app.models.member_stats import MemberStatRollup
from app.models.organisation import Organisation
from app.services.organisations import kept_stats

M = "/api/v1/members"


pytestmark = pytest.mark.usefixtures("no_snapshot_left_behind")


async def _fold() -> None:
    await kept_stats.refresh_snapshot(clock.today())


async def _page(api, token: str, **params: Any) -> dict[str, Any]:
    r = await api.client.get(
        M, params={"include_total": "true", "limit": 2, **params}, headers=api.auth(token)
    )
    assert r.status_code == 200, r.text
    return dict(r.json())


async def _matches(api, token: str, **params: Any) -> int:
    """The members a filter lists, counted by walking every page."""
    n, cursor = 0, None
    while True:
        extra = {"cursor": cursor} if cursor else {}
        r = await api.client.get(M, params={"limit": 2, **params, **extra}, headers=api.auth(token))
        assert r.status_code == 200, r.text
        n += len(r.json()["items"])
        cursor = r.json()["next_cursor"]
        if cursor is None:
            return n


async def _members(api, county) -> None:
    token = county.county_admin
    for org, status, category in (
        (county.branch_a, "full", "employed"),
        (county.branch_a, "full", "retired"),
        (county.branch_a, "probationary", "employed"),
        (county.branch_a, "suspended", "farmer"),
        (county.branch_b, "full", "retired"),
        (county.branch_b, "probationary", "farmer"),
    ):
        await api.member(token, org["id"], status=status, category=category)


FILTERS: list[dict[str, Any]] = [
    {},
    {"status": "full"},
    {"status": ["full", "probationary"]},
    {"category": "retired"},
    {"category": ["employed", "farmer"]},
    {"status": "full", "category": "retired"},
    {"status": ["full", "suspended"], "category": ["farmer", "retired"]},
]


async def _assert_totals_are_the_matches(api, county) -> None:
    readers = ((county.county_admin, {}), (county.admin_a, {}), (county.admin_b, {}))
    within = (county.county_admin, {"within": county.town_a["id"]})
    for (token, where), filters in itertools.product((*readers, within), FILTERS):
        params = {**where, **filters}
        total = (await _page(api, token, **params))["total"]
        assert total == await _matches(api, token, **params), params


async def test_a_pages_total_is_the_number_of_matches_with_or_without_kept_counts(api, county):
    await _members(api, county)
    await _assert_totals_are_the_matches(api, county)  # no snapshot: counted
    await _fold()
    await _assert_totals_are_the_matches(api, county)
    # Changes after the snapshot (the kept counts' deltas): a new member, a transfer
    # between the towns, a status change.
    await _members(api, county)
    await _assert_totals_are_the_matches(api, county)


async def _tamper(org: dict[str, Any], status: str, category: str) -> None:
    """Add 1000 to the kept count of `org`'s subtree for `status` and `category`."""
    async with get_sessionmaker()() as session, session.begin():
        path = (await session.get(Organisation, org["id"])).path
        await session.execute(
            update(MemberStatRollup)
            .where(
                MemberStatRollup.path == path,
                MemberStatRollup.status == status,
                MemberStatRollup.category == category,
            )
            .values(n=MemberStatRollup.n + 1000)
        )


async def test_the_total_is_read_from_the_kept_counts_for_those_filters_only(api, county):
    await _members(api, county)
    await _fold()
    await _tamper(county.town_a, "full", "retired")
    token, town = county.county_admin, {"within": county.town_a["id"]}
    # Subtree, status, category: the (tampered) kept count, not the member rows.
    assert (await _page(api, token, **town))["total"] == 1004
    assert (await _page(api, token, **town, status="full"))["total"] == 1002
    assert (await _page(api, token, **town, status="suspended"))["total"] == 1
    assert (await _page(api, token, **town, category="employed"))["total"] == 2
    # Another filter or a flag: the matches counted.
    assert (await _page(api, token, **town, q="张"))["total"] == 4
    unpaid = await _page(api, token, **town, flag="dues.six_months_unpaid")
    assert unpaid["total"] == 3  # the full and probationary members: none paid dues
    org = (await _page(api, token, org_id=county.branch_a["id"], status="full"))["total"]
    assert org == 2
    # A member user's page counts its own record.
    mine = await api.member(token, county.branch_a["id"])
    _, member_token = await api.user(token, "member", county.branch_a["id"], mine["id"])
    assert (await _page(api, member_token))["total"] == 1


async def test_another_subtrees_total_counts_nothing_of_it(api, county):
    await _members(api, county)
    await _fold()
    assert (await _page(api, county.admin_b))["total"] == 2
    assert (await _page(api, county.admin_b, status="suspended"))["total"] == 0
    r = await api.client.get(
        M,
        params={"within": county.town_a["id"], "include_total": "true"},
        headers=api.auth(county.admin_b),
    )
    assert r.status_code == 404
