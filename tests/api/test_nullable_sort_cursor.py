"""A paged list sorted by a column that may be NULL walks every row once, in the order
of one big page: the keyset cursor carries a NULL and the rows after it are where
PostgreSQL sorts NULLs (last ascending, first descending).

The sortable columns are found, not listed: every `*_SORTABLE` map of the services.
A nullable one must have its walk in `WALKS` (a list and rows with NULL and non-NULL
values in that column) or the enumerating test fails naming it."""

from __future__ import annotations

import importlib
import pkgutil
import uuid

import app.services
from app.models import Member, Organisation
from app.pagination import encode_cursor, parse_sort
from app.services.members import MEMBER_SORTABLE
from app.services.organisations import ORG_SORTABLE
from tests.support import unique

API = "/api/v1"


def _sortable_maps():
    """Every `*_SORTABLE` map of the services, by its name."""
    maps = {}
    for info in pkgutil.walk_packages(app.services.__path__, "app.services."):
        module = importlib.import_module(info.name)
        for name, value in vars(module).items():
            if name.endswith("_SORTABLE") and isinstance(value, dict):
                assert maps.setdefault(name, value) is value, f"two maps named {name}"
    return maps


def _nullable_pairs():
    """(map, field) for each sortable field whose column may hold NULL."""
    return sorted(
        (home, field)
        for home, sortable in _sortable_maps().items()
        for field, column in sortable.items()
        if column.expression.nullable
    )


async def _members_with_nullable_work_unit(api, county):
    """Members of one branch, two without a work unit, the others sharing one or not."""
    branch = county.branch_a["id"]
    for work_unit in (None, "甲厂", None, "乙厂", "甲厂"):
        extra = {"work_unit": work_unit} if work_unit is not None else {}
        await api.member(county.admin_a, branch, **extra)
    return f"{API}/members", {"org_id": branch}, county.admin_a


async def _organisations_with_nullable_contact(api, county):
    """Branches under one township, two without a contact person."""
    for contact in (None, "王", None, "李", "王"):
        extra = {"contact_person": contact} if contact is not None else {}
        await api.org(county.admin_a, county.town_a["id"], "branch", code=unique("NC"), **extra)
    return f"{API}/organisations", {}, county.admin_a


# The walk of each nullable sortable field: (map, field) -> rows made, then the list's
# path, its fixed query and a token. Empty while every sortable column is NOT NULL.
WALKS: dict = {}


async def _walk(api, path, params, token, sort, limit):
    ids, cursor = [], None
    for _ in range(100):
        query = {**params, "sort": sort, "limit": limit}
        if cursor is not None:
            query["cursor"] = cursor
        r = await api.client.get(path, params=query, headers=api.auth(token))
        assert r.status_code == 200, (sort, limit, r.text)
        body = r.json()
        ids += [item["id"] for item in body["items"]]
        cursor = body["next_cursor"]
        if cursor is None:
            return ids
    raise AssertionError(f"{path} sort={sort} limit={limit}: no last page")


async def _assert_walks_like_one_page(api, path, params, token, sorts):
    failures = []
    for sort in sorts:
        whole = await _walk(api, path, params, token, sort, 500)
        assert len(whole) == len(set(whole)) >= 5, (path, sort, whole)
        for limit in (1, 2):
            walked = await _walk(api, path, params, token, sort, limit)
            if walked != whole:
                failures.append((path, sort, limit, len(walked), len(set(walked)), len(whole)))
    assert failures == []


def test_every_sort_a_paged_list_offers_is_a_found_sortable_field(app):
    """The enumeration misses no list: each field of a `sort` enum with a choice in it
    (a list sortable several ways, or both ways) is a field of a found map."""
    fields = {f for sortable in _sortable_maps().values() for f in sortable} | {"id"}
    missing = []
    for path, item in app.openapi()["paths"].items():
        for parameter in item.get("get", {}).get("parameters", []):
            enum = parameter.get("schema", {}).get("enum", [])
            if parameter["name"] == "sort" and len(enum) > 1:
                missing += [(path, v) for v in enum if v.lstrip("-") not in fields]
    assert missing == []
    assert len(_sortable_maps()) >= 10


async def test_every_nullable_sort_walks_every_row_once_in_both_directions(api, county):
    pairs = _nullable_pairs()
    assert [p for p in pairs if p not in WALKS] == [], "a nullable sort without its walk"
    for home, field in pairs:
        path, params, token = await WALKS[home, field](api, county)
        await _assert_walks_like_one_page(api, path, params, token, [field, f"-{field}"])


async def test_a_nullable_column_sorts_pages_like_one_page_on_the_driver_and_the_orm(
    api, county, monkeypatch
):
    """The pagination itself, through a hot list (driver rows) and an ORM list, each
    given a nullable sortable column for the test: single and mixed-direction orders."""
    monkeypatch.setitem(MEMBER_SORTABLE, "work_unit", Member.work_unit)
    monkeypatch.setitem(ORG_SORTABLE, "contact_person", Organisation.contact_person)
    path, params, token = await _members_with_nullable_work_unit(api, county)
    sorts = ["work_unit", "-work_unit", "work_unit,-created_at", "-work_unit,name"]
    await _assert_walks_like_one_page(api, path, params, token, sorts)
    path, params, token = await _organisations_with_nullable_contact(api, county)
    sorts = ["contact_person", "-contact_person", "contact_person,-code", "-contact_person,code"]
    await _assert_walks_like_one_page(api, path, params, token, sorts)


async def test_nulls_come_last_ascending_and_first_descending(api, county, monkeypatch):
    monkeypatch.setitem(MEMBER_SORTABLE, "work_unit", Member.work_unit)
    path, params, token = await _members_with_nullable_work_unit(api, county)
    for sort, nulls_at in (("work_unit", "last"), ("-work_unit", "")):
        r = await api.client.get(
            path, params={**params, "sort": sort, "limit": 500}, headers=api.auth(token)
        )
        units = [item["work_unit"] for item in r.json()["items"]]
        known = sorted(u for u in units if u is not None)
        expected = [*known, None, None] if nulls_at else [None, None, *known[::-1]]
        assert units == expected, sort


async def test_a_signed_cursor_with_null_for_a_not_null_key_is_422(api, county):
    await api.member(county.admin_a, county.branch_a["id"])
    keys = parse_sort("name", MEMBER_SORTABLE, Member.id)
    cursor = encode_cursor(keys, [None, uuid.uuid4()])
    r = await api.client.get(
        f"{API}/members",
        params={"sort": "name", "cursor": cursor},
        headers=api.auth(county.admin_a),
    )
    assert r.status_code == 422, r.text
    assert r.json()["code"] == "pagination.cursor_invalid"


async def test_a_cursor_after_a_null_is_refused_for_the_other_direction(api, county, monkeypatch):
    monkeypatch.setitem(MEMBER_SORTABLE, "work_unit", Member.work_unit)
    path, params, token = await _members_with_nullable_work_unit(api, county)
    r = await api.client.get(
        path, params={**params, "sort": "-work_unit", "limit": 1}, headers=api.auth(token)
    )
    assert r.json()["items"][0]["work_unit"] is None
    r = await api.client.get(
        path,
        params={**params, "sort": "work_unit", "cursor": r.json()["next_cursor"]},
        headers=api.auth(token),
    )
    assert r.status_code == 422
    assert r.json()["code"] == "pagination.cursor_invalid"
