"""Problems as the caller sees them: every code titled in both languages, and what the
database refused past a service's checks answered with the precise code, never as a
concurrent update."""

from __future__ import annotations

import asyncio
import uuid

import asyncpg
import pytest
from sqlalchemy import text
from support import new_id_number, unique

from app import db
from app.db import get_sessionmaker
from app.errors import ErrorCode, database_error

MEMBERS = "/api/v1/members"
ORGS = "/api/v1/organisations"


async def test_a_code_once_missing_from_the_catalogue_is_titled_in_both_languages(api, county):
    payload = {
        "name": "未来",
        "id_number": new_id_number(),
        "org_id": county.branch_a["id"],
        "status": "full",
        "category": "employed",
        "joined_on": "2099-01-01",
    }
    headers = api.auth(county.county_admin)
    zh = await api.client.post(MEMBERS, json=payload, headers=headers)
    en = await api.client.post(MEMBERS, json=payload, headers={**headers, "Accept-Language": "en"})
    assert (zh.status_code, en.status_code) == (422, 422)
    assert zh.json()["code"] == en.json()["code"] == "member.date_in_future"
    assert zh.json()["title"] == "入党各阶段日期不能晚于今天"
    assert en.json()["title"] == "A membership date is in the future"
    assert zh.json()["errors"] == [
        {
            "field": "joined_on",
            "code": "member.date_in_future",
            "message": "入党各阶段日期不能晚于今天",
        }
    ]


def _hold_after_check(monkeypatch, module, name: str, parties: int = 2) -> list[object]:
    """Make `module.name` (a service's check) wait, once passed, until every racing
    request has passed it: the writes then race for real, and the database decides.
    `module` is where the caller looks the name up; the returned list records each call,
    so a test patching the wrong module fails instead of passing without a race."""
    checked = asyncio.Barrier(parties)
    original = getattr(module, name)
    calls: list[object] = []

    async def check_then_wait(*args, **kwargs):
        calls.append(args)
        await original(*args, **kwargs)
        await asyncio.wait_for(checked.wait(), timeout=10)

    monkeypatch.setattr(module, name, check_then_wait)
    return calls


async def test_two_organisations_racing_for_one_code_answer_code_taken(api, county, monkeypatch):
    from app.services.organisations import records

    calls = _hold_after_check(monkeypatch, records, "_ensure_code_free")
    payload = {
        "code": unique("RACE"),
        "name": "并发党支部",
        "type": "branch",
        "parent_id": county.town_a["id"],
    }
    results = await asyncio.gather(
        *[
            api.client.post(ORGS, json=payload, headers=api.auth(county.county_admin))
            for _ in range(2)
        ]
    )
    assert len(calls) == 2  # both requests passed the service's check
    assert sorted(r.status_code for r in results) == [201, 409]
    refused = next(r for r in results if r.status_code == 409).json()
    assert refused["code"] == "organisation.code_taken"
    assert refused["title"] == "组织编码已存在"


async def test_two_members_racing_for_one_id_number_answer_id_number_taken(
    api, county, monkeypatch
):
    from app.services.members import records

    calls = _hold_after_check(monkeypatch, records, "ensure_id_number_free")
    id_number = new_id_number()
    results = await asyncio.gather(
        *[
            api.client.post(
                MEMBERS,
                json={
                    "name": "并发",
                    "id_number": id_number,
                    "org_id": branch["id"],
                    "status": "full",
                    "category": "employed",
                },
                headers=api.auth(county.county_admin),
            )
            for branch in (county.branch_a, county.branch_b)
        ]
    )
    assert len(calls) == 2  # both requests passed the service's check
    assert sorted(r.status_code for r in results) == [201, 409]
    refused = next(r for r in results if r.status_code == 409).json()
    assert refused["code"] == "member.id_number_taken"


async def _refused(sql: str, driver: bool = False):
    """What `database_error` answers for a statement the database refuses, run through
    SQLAlchemy or on the driver connection (the two ways services write)."""
    async with get_sessionmaker()() as session:
        try:
            if driver:
                await db.execute(session, sql)
            else:
                await session.execute(text(sql))
        except Exception as exc:
            return database_error(exc)
        finally:
            await session.rollback()
    raise AssertionError(f"not refused: {sql}")


@pytest.mark.parametrize("driver", [False, True])
async def test_a_reference_to_an_absent_row_is_422_naming_the_column(api, county, driver):
    r = await api.client.post(
        "/api/v1/meetings",
        json={
            "org_id": county.branch_a["id"],
            "type": "general_meeting",
            "held_on": "2026-11-01",
            "topic": "学习",
        },
        headers=api.auth(county.admin_a),
    )
    assert r.status_code == 201, r.text
    absent, meeting = uuid.uuid4(), r.json()["id"]
    sql = f"UPDATE meetings SET host_id = '{absent}' WHERE id = '{meeting}'"  # noqa: S608  # ids made here
    error = await _refused(sql, driver=driver)
    assert error is not None and error.status == 422
    assert error.code is ErrorCode.member_not_found
    assert error.errors == [
        {"field": "host_id", "code": ErrorCode.member_not_found, "message": "No such member"}
    ]


@pytest.mark.parametrize("driver", [False, True])
async def test_an_unnamed_integrity_violation_is_neither_a_500_nor_a_concurrent_update(
    api, county, driver
):
    member = await api.member(county.county_admin, county.branch_a["id"])
    sql = f"UPDATE members SET status = 'retired' WHERE id = '{member['id']}'"  # noqa: S608  # ids made here
    error = await _refused(sql, driver=driver)
    assert error is not None and (error.status, error.code) == (409, ErrorCode.conflict_integrity)


async def test_a_named_check_constraint_is_422_naming_the_field(api, county):
    member = await api.member(county.county_admin, county.branch_a["id"])
    sql = (
        "INSERT INTO dues_reliefs (id, member_id, kind, from_month, to_month, monthly_fen, "  # noqa: S608  # ids made here
        f"approval_ref, approved_on) VALUES (gen_random_uuid(), '{member['id']}', 'exemption', "
        "DATE '2026-05-01', DATE '2026-03-01', NULL, 'X', DATE '2026-05-01')"
    )
    error = await _refused(sql)
    assert error is not None and error.status == 422
    assert (error.code, error.errors[0]["field"]) == (ErrorCode.dues_month_order, "to_month")


async def test_only_a_real_write_conflict_is_a_concurrent_update(api, county):
    # Two serializable transactions that each read what the other writes: PostgreSQL
    # lets one commit and fails the other with a serialization failure.
    member = await api.member(county.county_admin, county.branch_a["id"])
    url = db.sync_database_url()
    first, second = await asyncio.gather(asyncpg.connect(url), asyncpg.connect(url))
    try:
        for conn in (first, second):
            await conn.execute("BEGIN ISOLATION LEVEL SERIALIZABLE")
            await conn.fetchval("SELECT name FROM members WHERE id = $1", uuid.UUID(member["id"]))
        await first.execute("UPDATE members SET name = 'a' WHERE id = $1", uuid.UUID(member["id"]))
        await first.execute("COMMIT")
        with pytest.raises(asyncpg.PostgresError) as refused:
            await second.execute(
                "UPDATE members SET name = 'b' WHERE id = $1", uuid.UUID(member["id"])
            )
        error = database_error(refused.value)
        assert error is not None
        assert (error.status, error.code) == (409, ErrorCode.conflict_concurrent_update)
    finally:
        await asyncio.gather(first.close(), second.close())


async def test_a_closed_driver_connection_is_an_outage_and_a_driver_misuse_is_a_bug():
    # asyncpg raises one class (InterfaceError) for a closed connection and for most
    # misuses: only the closed connection may be answered 503 with Retry-After; a misuse
    # is 500 (logged), never "retry later".
    conn = await asyncpg.connect(db.sync_database_url())
    refusals = []
    try:
        too_many = ", ".join(f"${i}::int" for i in range(1, 40_001))
        for sql, args in (
            (f"SELECT 1 WHERE 1 IN ({too_many})", range(40_000)),  # past the protocol's 32,767
            ("SELECT $1::int", ["not a number"]),  # a value it cannot encode
            ("SELECT $1::int, $2::int", [1]),  # fewer arguments than the statement takes
        ):
            with pytest.raises((asyncpg.InterfaceError, asyncpg.PostgresError)) as misuse:
                await conn.fetch(sql, *args)
            refusals.append(database_error(misuse.value))
    finally:
        await conn.close()
    assert refusals == [None, None, None]
    with pytest.raises(asyncpg.InterfaceError) as closed:
        await conn.fetch("SELECT 1")
    error = database_error(closed.value)
    assert error is not None
    assert (error.status, error.code) == (503, ErrorCode.service_database_unavailable)
