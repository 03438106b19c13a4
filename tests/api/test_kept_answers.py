"""Kept answers (`app.services.kept_answers`): the organisation tree, once read, is sent
again while no organisation is written, and never after a write it does not show, nor to
a caller whose scope does not cover it."""

from __future__ import annotations

import pytest
from prometheus_client import REGISTRY
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError
from support import counting

from app.config import get_settings
from app.db import get_engine, get_sessionmaker
from app.models.versions import MIGRATION_SETUP, VERSIONED_TABLES
from app.services import kept_answers

ORGS = "/api/v1/organisations"


def _names(node: dict) -> dict[str, str]:
    names, stack = {}, [node]
    while stack:
        node = stack.pop()
        names[node["id"]] = node["name"]
        stack.extend(node["children"])
    return names


async def _tree(api, token: str, org: dict, depth: int = 3) -> tuple[dict, list[str]]:
    with counting() as statements:
        r = await api.client.get(
            f"{ORGS}/{org['id']}/tree", params={"depth": depth}, headers=api.auth(token)
        )
    assert r.status_code == 200, r.text
    return r.json(), statements


async def test_every_versioned_table_and_no_other_has_the_version_triggers():
    async with get_engine().connect() as conn:
        rows = await conn.execute(
            text(
                "SELECT c.relname, t.tgdeferrable FROM pg_trigger AS t "
                "JOIN pg_class AS c ON c.oid = t.tgrelid "
                "JOIN pg_proc AS p ON p.oid = t.tgfoid WHERE p.proname = 'table_version_bump'"
            )
        )
        triggers = sorted((name, deferred) for name, deferred in rows)
    # per table: the deferred row trigger (at COMMIT) and TRUNCATE's statement trigger
    assert triggers == sorted(
        (name, deferred) for name in VERSIONED_TABLES for deferred in (False, True)
    )


async def test_the_version_row_stays_unlocked_until_a_writer_commits_and_moves_once(county):
    engine = get_engine()
    async with engine.connect() as writer, engine.connect() as other:
        before = (await other.execute(text(_COUNTER))).scalar_one()
        await other.commit()
        for org in (county.town_a, county.town_b, county.branch_a):  # one transaction
            await writer.execute(
                text("UPDATE organisations SET name = name WHERE id = :id"), {"id": org["id"]}
            )
        await other.execute(text(_COUNTER + " FOR UPDATE NOWAIT"))  # not locked meanwhile
        await other.commit()
        await writer.commit()
        after = (await other.execute(text(_COUNTER))).scalar_one()
    assert after == before + 1  # one transaction, three rows: moved on once


_COUNTER = "SELECT counter FROM table_versions WHERE table_name = 'organisations'"


def _counted(outcome: str) -> float:
    labels = {"kind": "organisation_tree", "outcome": outcome}
    return REGISTRY.get_sample_value("dangjian_kept_answers_total", labels) or 0.0


async def test_a_repeated_tree_is_sent_again_after_one_read_of_the_version(api, county):
    first, _ = await _tree(api, county.county_admin, county.county)
    sent, read = _counted("sent"), _counted("read")
    again, statements = await _tree(api, county.county_admin, county.county)
    assert again == first
    assert len(statements) == 1, statements
    assert "table_versions" in statements[0] and "auth_sessions" in statements[0]
    assert (_counted("sent"), _counted("read")) == (sent + 1, read)  # `/metrics`


async def test_every_organisation_write_through_the_api_shows_in_the_next_tree(api, county):
    token = county.county_admin
    h = api.auth(token)
    await _tree(api, token, county.county)
    new = await api.org(token, county.branch_a["id"], "group", name="新建小组")
    tree, _ = await _tree(api, token, county.county)
    assert _names(tree)[new["id"]] == "新建小组"

    r = await api.client.patch(f"{ORGS}/{new['id']}", json={"name": "改名小组"}, headers=h)
    assert r.status_code == 200, r.text
    tree, _ = await _tree(api, token, county.county)
    assert _names(tree)[new["id"]] == "改名小组"

    moved = await api.org(token, county.town_a["id"], "branch")
    r = await api.client.post(
        f"{ORGS}/{moved['id']}/move", json={"new_parent_id": county.town_b["id"]}, headers=h
    )
    assert r.status_code == 200, r.text
    tree, _ = await _tree(api, token, county.county)
    town_b = next(c for c in tree["children"] if c["id"] == county.town_b["id"])
    assert moved["id"] in {c["id"] for c in town_b["children"]}

    assert (await api.client.delete(f"{ORGS}/{new['id']}", headers=h)).status_code == 204
    tree, _ = await _tree(api, token, county.county)
    assert new["id"] not in _names(tree)


async def test_a_write_made_outside_the_api_shows_in_the_next_tree(api, county):
    await _tree(api, county.county_admin, county.county)
    async with get_engine().begin() as conn:  # an import, a console, a script
        await conn.execute(
            text("UPDATE organisations SET name = '外部改名' WHERE id = :id"),
            {"id": county.town_a["id"]},
        )
    tree, _ = await _tree(api, county.county_admin, county.county)
    assert _names(tree)[county.town_a["id"]] == "外部改名"


async def test_a_kept_tree_is_not_sent_to_a_caller_from_another_subtree(api, county):
    await _tree(api, county.county_admin, county.town_a)  # kept, read for town A
    r = await api.client.get(
        f"{ORGS}/{county.town_a['id']}/tree", params={"depth": 3}, headers=api.auth(county.admin_b)
    )
    assert r.status_code == 404
    assert r.json()["code"] == "organisation.not_found"
    assert county.town_a["name"] not in r.text
    mine, _ = await _tree(api, county.admin_a, county.town_a)  # town A's own admin: sent
    assert mine["id"] == county.town_a["id"]


async def test_no_version_is_read_in_a_transaction_that_has_written(county):
    kept = kept_answers.KeptAnswers("test", "organisations")
    async with get_sessionmaker()() as session:
        assert await kept.version(session) is not None
        await session.execute(
            text("UPDATE organisations SET name = name WHERE id = :id"), {"id": county.town_a["id"]}
        )
        assert await kept.version(session) is None
        await session.rollback()


async def test_without_its_version_row_nothing_is_kept_and_the_next_write_brings_it_back(
    api, county
):
    async with get_engine().begin() as conn:
        before = (await conn.execute(text("SELECT epoch FROM table_versions"))).scalar_one()
        await conn.execute(text("DELETE FROM table_versions"))
    try:
        await _tree(api, county.county_admin, county.county)
        _, statements = await _tree(api, county.county_admin, county.county)
        assert len(statements) == 2, statements  # the version, then the tree read again
    finally:
        await api.org(county.county_admin, county.branch_a["id"], "group")  # a write
    async with get_engine().connect() as conn:
        after = (await conn.execute(text("SELECT epoch FROM table_versions"))).scalar_one()
    assert after != before  # a new epoch: no answer kept before matches it
    await _tree(api, county.county_admin, county.county)
    _, statements = await _tree(api, county.county_admin, county.county)
    assert len(statements) == 1, statements


@pytest.mark.parametrize("limit", [0, 64])
async def test_answers_over_the_bound_are_read_every_time(api, county, monkeypatch, limit):
    monkeypatch.setattr(get_settings(), "kept_answer_bytes", limit)
    first, _ = await _tree(api, county.county_admin, county.county)
    again, statements = await _tree(api, county.county_admin, county.county)
    assert again == first
    assert len(statements) == 2, statements


def test_the_oldest_used_answer_leaves_first_when_the_bound_is_reached(monkeypatch):
    import uuid

    monkeypatch.setattr(get_settings(), "kept_answer_bytes", 8 * 100)
    kept = kept_answers.KeptAnswers("test", "organisations")
    version = (uuid.uuid4(), 1)
    everyone = _everyone()
    for key in range(8):
        kept.keep(key, version, "/1/", bytes(100))
    assert kept.get(0, version, everyone) is not None  # used: now the newest
    kept.keep(8, version, "/1/", bytes(100))
    assert kept.get(1, version, everyone) is None  # the oldest used left
    assert kept.get(0, version, everyone) is not None
    assert kept.get(0, (version[0], 2), everyone) is None  # another version: dropped
    assert kept.get(0, version, everyone) is None


async def test_a_write_between_the_version_and_the_read_sends_the_next_request_to_a_new_read(
    county,
):
    kept = kept_answers.KeptAnswers("test", "organisations")
    principal = _everyone()
    bodies = iter([b"read after the write", b"read again"])

    async def read_with_a_write_first() -> tuple[bytes, str]:
        async with get_engine().begin() as conn:  # commits after the version was read
            await conn.execute(
                text("UPDATE organisations SET name = name WHERE id = :id"),
                {"id": county.town_a["id"]},
            )
        return next(bodies), "/"

    async def read() -> tuple[bytes, str]:
        return next(bodies), "/"

    async with get_sessionmaker()() as session:
        first = await kept.answer(session, "key", principal, read_with_a_write_first)
        await session.commit()
        # stamped with the version before the write: not sent as current after it
        second = await kept.answer(session, "key", principal, read)
        await session.commit()
        third = await kept.answer(session, "key", principal, read)  # unchanged since: kept
    assert (first, second, third) == (b"read after the write", b"read again", b"read again")


def _everyone():
    import uuid

    from app.models.enums import Role
    from app.security.scope import Principal

    return Principal(
        user_id=None,
        username="t",
        role=Role.system_admin,
        org_id=uuid.uuid4(),
        org_path="/",
        member_id=None,
    )


async def test_a_migration_may_write_organisations_and_then_alter_the_table(county):
    """Migrations run in one transaction: the deferred version trigger's pending events
    would refuse an ALTER of the table after a write, unless fired at once
    (`MIGRATION_SETUP`, run first by migrations/env.py)."""
    alter = "ALTER TABLE organisations ADD COLUMN scratch_column integer"
    write = f"UPDATE organisations SET name = name WHERE id = '{county.town_a['id']}'"  # noqa: S608  # a fixture's id
    async with get_engine().connect() as conn:
        async with conn.begin():
            await conn.execute(text(MIGRATION_SETUP))
            await conn.execute(text(write))
            await conn.execute(text(alter))  # no "pending trigger events"
            await conn.rollback()
        with pytest.raises(DBAPIError, match="pending trigger events"):
            async with conn.begin():
                await conn.execute(text(write))
                await conn.execute(text(alter))
