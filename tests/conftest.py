"""Test infrastructure: a fresh PostgreSQL database per run, migrated by Alembic.

The server is `TEST_DATABASE_URL` if set, else 127.0.0.1:5432 if reachable, else
the embedded one. The database is created at start and dropped at the end.
Tests talk to the app over HTTP (httpx.AsyncClient over ASGITransport); each test
builds its own organisation subtree under the shared root, so tests never see
each other's data through a scoped principal.
"""

from __future__ import annotations

import asyncio
import os
import secrets
import socket
import uuid
from collections.abc import AsyncIterator
from typing import Any

import asyncpg
import pytest
from sqlalchemy.engine import make_url


def _server_url() -> str:
    explicit = os.environ.get("TEST_DATABASE_URL")
    if explicit:
        return explicit
    try:
        with socket.create_connection(("127.0.0.1", 5432), timeout=1):
            return "postgresql://postgres@127.0.0.1:5432/postgres"
    except OSError:
        import pgserver  # type: ignore[import-untyped]

        server = pgserver.get_server(os.path.abspath("var/test-pgdata"), cleanup_mode=None)
        uri: str = server.get_uri()
        return uri


def _create_database() -> tuple[str, str]:
    server = make_url(_server_url())
    name = f"dangjian_test_{uuid.uuid4().hex[:10]}"
    admin_url = server.set(drivername="postgresql").render_as_string(hide_password=False)

    async def create() -> None:
        conn = await asyncpg.connect(admin_url)
        try:
            await conn.execute(f'CREATE DATABASE "{name}"')
        finally:
            await conn.close()

    asyncio.run(create())
    return admin_url, server.set(database=name).render_as_string(hide_password=False)


def _drop_database(admin_url: str, url: str) -> None:
    name = make_url(url).database

    async def drop() -> None:
        conn = await asyncpg.connect(admin_url)
        try:
            await conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        finally:
            await conn.close()

    asyncio.run(drop())


ADMIN_URL, TEST_DATABASE_URL = _create_database()
os.environ["DATABASE_URL"] = TEST_DATABASE_URL
os.environ["DANGJIAN_ENVIRONMENT"] = "test"
os.environ["DANGJIAN_LOGIN_SLOWDOWN_SECONDS"] = "0"
os.environ["DANGJIAN_LOG_LEVEL"] = "WARNING"
os.environ["DANGJIAN_ACCESS_TOKEN_MINUTES"] = "120"
# Every test shares one client address (ASGITransport's): the per-address login limit
# would add up the whole suite's deliberate failures. Its own test lowers it.
os.environ["DANGJIAN_LOGIN_ADDRESS_MAX_FAILURES"] = "100000"
os.environ.pop("DANGJIAN_BOOTSTRAP_ADMIN_USER", None)
# Fresh random keys per run (the database is fresh too): nothing is written to var/.
os.environ["DANGJIAN_SECRET_KEY"] = secrets.token_urlsafe(48)
os.environ["DANGJIAN_PII_KEY"] = secrets.token_urlsafe(48)

from app.cli import run_migrations  # noqa: E402  # after DATABASE_URL points at the test database

run_migrations(TEST_DATABASE_URL)


def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    _drop_database(ADMIN_URL, TEST_DATABASE_URL)


import httpx  # noqa: E402
from httpx import ASGITransport  # noqa: E402
from support import PASSWORD, Api, County  # noqa: E402

from app.main import create_app  # noqa: E402


@pytest.fixture(scope="session")
def app() -> Any:
    return create_app()


@pytest.fixture(scope="session")
async def client(app: Any) -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient(transport=ASGITransport(app=app), base_url="http://test") as c:
        yield c


@pytest.fixture(scope="session")
async def api(client: httpx.AsyncClient) -> Api:
    from app.db import get_sessionmaker
    from app.services.users import bootstrap_admin

    async with get_sessionmaker()() as session, session.begin():
        await bootstrap_admin(session, "root", PASSWORD)
    body = await Api(client, "", "").login("root")
    me = await client.get("/api/v1/auth/me", headers=Api.auth(body["access_token"]))
    return Api(client, me.json()["org_id"], body["access_token"])


@pytest.fixture
async def county(api: Api) -> County:
    return await api.county()


@pytest.fixture
def loopback_webhooks_allowed(monkeypatch: pytest.MonkeyPatch) -> None:
    """Webhook receivers on this machine (tests run them on 127.0.0.1), allowed the way
    an intranet receiver is: through DANGJIAN_WEBHOOK_ALLOWED_TARGETS."""
    from app.config import get_settings

    monkeypatch.setattr(get_settings(), "webhook_allowed_targets", "127.0.0.0/8")
