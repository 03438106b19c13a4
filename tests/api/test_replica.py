"""DATABASE_REPLICA_URL: list and report reads go to the replica, ledgers and writes never."""

from __future__ import annotations

from sqlalchemy import event
from sqlalchemy.ext.asyncio import async_sessionmaker, create_async_engine

import app.api.routing as routing
from app.db import get_engine, get_sessionmaker


async def test_reports_read_the_replica_and_balances_do_not(api, county, monkeypatch):
    used: list[str] = []
    primary = get_sessionmaker()

    def replica_maker():
        def open_session():
            used.append("replica")
            return primary()

        return open_session

    monkeypatch.setattr(routing, "get_replica_sessionmaker", replica_maker)
    member = await api.member(county.county_admin, county.branch_a["id"])
    assert used == []
    headers = api.auth(county.admin_a)
    for path in (
        f"/api/v1/organisations/{county.town_a['id']}/stats",
        f"/api/v1/organisations/{county.town_a['id']}/tree",
        f"/api/v1/organisations/{county.town_a['id']}/points/ranking",
        f"/api/v1/organisations/{county.town_a['id']}/meeting-compliance",
    ):
        before = len(used)
        assert (await api.client.get(path, headers=headers)).status_code == 200
        assert len(used) == before + 1, path
    before = len(used)
    for path in (f"/api/v1/members/{member['id']}/points", f"/api/v1/members/{member['id']}"):
        assert (await api.client.get(path, headers=headers)).status_code == 200
    assert len(used) == before


async def test_on_replica_reads_the_login_and_its_revocation_still_come_from_the_primary(
    api, county, monkeypatch
):
    replica_engine = create_async_engine(get_engine().url)
    replica_sql: list[str] = []

    def record(conn, cursor, statement, *args):
        replica_sql.append(statement)

    def log_driver(dbapi_connection, connection_record):
        # the hot reads run on the asyncpg connection itself: log them there too
        dbapi_connection.driver_connection.add_query_logger(
            lambda logged: replica_sql.append(logged.query)
        )

    event.listen(replica_engine.sync_engine, "before_cursor_execute", record)
    event.listen(replica_engine.sync_engine, "connect", log_driver)
    monkeypatch.setattr(
        routing, "get_replica_sessionmaker", lambda: async_sessionmaker(replica_engine)
    )
    try:
        user, _ = await api.user(county.county_admin, "auditor", county.town_a["id"])
        login = await api.login(user["username"])
        token = api.auth(login["access_token"])
        r = await api.client.get(
            f"/api/v1/organisations/{county.town_a['id']}/stats", headers=token
        )
        assert r.status_code == 200, r.text
        assert any("FROM members" in sql for sql in replica_sql)  # the report: replica
        assert not any("auth_sessions" in sql for sql in replica_sql)  # the login: primary
        # A revoked login is refused on a replica-routed report at once.
        r = await api.client.post(
            "/api/v1/auth/logout", json={"refresh_token": login["refresh_token"]}, headers=token
        )
        assert r.status_code == 204
        r = await api.client.get(
            f"/api/v1/organisations/{county.town_a['id']}/stats", headers=token
        )
        assert r.status_code == 401
    finally:
        await replica_engine.dispose()
