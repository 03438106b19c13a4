"""Test infrastructure: a PostgreSQL database per test process, migrated once by Alembic.

The server is `TEST_DATABASE_URL` if set, else 127.0.0.1:5432 if reachable, else
the embedded one. Each pytest process that runs tests (the only one, or each
pytest-xdist worker: `make test` runs two) creates its own database in
`pytest_configure`, before any test module is imported, migrates it once and drops it
when the session ends; the xdist controller runs no tests and creates none.
Tests talk to the app over HTTP (httpx.AsyncClient over ASGITransport); each test
builds its own organisation subtree under the shared root, so tests never see
each other's data through a scoped principal.

Why no per-test transaction rollback (one outer transaction per test on one connection,
the app's sessions joined to it through SAVEPOINTs), checked on 2026-12-03:
- The change feed would serve a test's own changes or not depending on the rest of the
  server. Outbox rows carry `pg_current_xact_id()`; `changes.safe_horizon` serves only
  ids below the oldest transaction still running in this database, else below the
  snapshot's xmax, which is one past the last transaction *completed anywhere on the
  server*. PostgreSQL leaves a session's own id out of its snapshot's running list, so
  inside an open outer transaction the test's events (all with its id) are served only
  if some other transaction, in any database, completed after it began. Measured both
  ways: own id 77550 with xmax 77550 (not served) and own id 77790 after another
  commit, xmax 77792 (served). The feed and webhook tests would pass or fail with the
  load on the machine.
- `now()` is the transaction's start: every `created_at`/`updated_at` (server defaults)
  written in one test would be the same instant, changing what the `-created_at` lists,
  the audit log and the delivery log are tested on.
- One connection runs one statement at a time (asyncpg: "another operation is in
  progress"), and joined sessions share one transaction: the tests that send requests
  concurrently (`asyncio.gather` in test_if_match_races, test_auth, test_transfers,
  test_members, test_organisations, test_points, test_errors, test_database_outage)
  test row locks, versioned UPDATEs and `ON CONFLICT` claims between transactions, and
  the app also opens sessions of its own (the primary for a replica read's principal,
  the webhook worker, `session_scope`).
- Little to gain: no test cleans up (each builds a fresh subtree), so a rollback would
  only save the subtree's construction, measured at about 0.02 s per test (`county`
  through the services, cheap Argon2 profile `DANGJIAN_PASSWORD_HASH_PROFILE=test`), at
  most ~15 s of CPU over the 713 tests, while marking the tests above to commit for
  real would keep two fixture paths.
- Reads no longer open a transaction at all (`db.serve_reads`): an outer test
  transaction would hide exactly that behaviour from the suite.
So every test commits for real and builds its own subtree (`county`) under the shared
root; scoped principals keep tests from seeing each other's data. Decided on
2026-12-03 (issue 20). The speed the rollback was for came from the rest: on one quiet
machine, the 231 test functions the suite had when issue 20 was filed (59354ce) ran in
66.2 s there (one process) and in 26.7 s now (`-n 2`, a database per worker), 2.5x.
"""

from __future__ import annotations

import asyncio
import os
import secrets
import socket
import uuid
from collections.abc import AsyncIterator, Iterator
from typing import Any

import asyncpg
import httpx
import pytest
from sqlalchemy.engine import make_url
from support import APP_ID, PASSWORD, SECRET, Api, County, FakeWechat, Now


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


async def _admin(admin_url: str, sql: str) -> None:
    conn = await asyncpg.connect(admin_url)
    try:
        await conn.execute(sql)
    finally:
        await conn.close()


def _is_xdist_controller(config: pytest.Config) -> bool:
    """True in the pytest-xdist process that hands tests to workers and runs none."""
    return getattr(config.option, "dist", "no") != "no" and not hasattr(config, "workerinput")


# (admin url, database name) of the database this process created.
_DATABASE = pytest.StashKey[tuple[str, str]]()


def _configure_environment() -> None:
    os.environ["DANGJIAN_ENVIRONMENT"] = "test"
    # Cheap Argon2 (refused outside the test environment): users are made in most tests.
    os.environ["DANGJIAN_PASSWORD_HASH_PROFILE"] = "test"
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


def pytest_configure(config: pytest.Config) -> None:
    if _is_xdist_controller(config):
        return
    _configure_environment()
    server = make_url(_server_url())
    worker = os.environ.get("PYTEST_XDIST_WORKER", "main")
    name = f"dangjian_test_{worker}_{uuid.uuid4().hex[:10]}"
    admin_url = server.set(drivername="postgresql").render_as_string(hide_password=False)
    asyncio.run(_admin(admin_url, f'CREATE DATABASE "{name}"'))
    url = server.set(database=name).render_as_string(hide_password=False)
    config.stash[_DATABASE] = (admin_url, name)
    os.environ["DATABASE_URL"] = url

    from app.cli import run_migrations  # after DATABASE_URL points at the test database

    run_migrations(url)


def pytest_unconfigure(config: pytest.Config) -> None:
    created = config.stash.get(_DATABASE, None)
    if created is not None:
        admin_url, name = created
        asyncio.run(_admin(admin_url, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))


@pytest.fixture(scope="session")
def app() -> Any:
    from app.main import create_app

    return create_app()


@pytest.fixture
def frozen_today(app: Any, request: pytest.FixtureRequest) -> Iterator[dict[str, Any]]:
    """The API's today (`get_today`) fixed at the test module's `TODAY` for the test;
    set `["day"]` to move it. A module whose every test needs it says
    `pytestmark = pytest.mark.usefixtures("frozen_today")`."""
    from app.api.deps import get_today

    current = {"day": request.module.TODAY}
    app.dependency_overrides[get_today] = lambda: current["day"]
    yield current
    app.dependency_overrides.pop(get_today, None)


@pytest.fixture
async def no_snapshot_left_behind() -> AsyncIterator[None]:
    """The kept member counts' snapshots a test built are deleted after it: other tests
    of this process count live, as before."""
    yield
    from sqlalchemy import delete

    from app.db import get_sessionmaker
    from app.models.member_stats import MemberStatSnapshot

    async with get_sessionmaker()() as session, session.begin():
        await session.execute(delete(MemberStatSnapshot))


@pytest.fixture(scope="session")
async def client(app: Any) -> AsyncIterator[httpx.AsyncClient]:
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://test") as c:
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


# --- The clock the sign-in codes rotate on; a local jscode2session server --------------


@pytest.fixture
def now(monkeypatch: pytest.MonkeyPatch) -> Now:
    """`app.clock.utcnow` (and the tokens' clock) frozen at a moment the test moves."""
    from app import clock
    from app.security import tokens

    frozen = Now()
    monkeypatch.setattr(clock, "utcnow", lambda: frozen.at)
    monkeypatch.setattr(tokens, "utcnow", lambda: frozen.at)
    return frozen


@pytest.fixture
def wechat(monkeypatch: pytest.MonkeyPatch) -> Iterator[FakeWechat]:
    """A local HTTP server answering jscode2session as WeChat documents it, set as the
    app's WeChat API base with the test app id and secret."""
    import json
    import threading
    from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
    from urllib.parse import parse_qs, urlparse

    from app.config import get_settings

    fake = FakeWechat()

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            url = urlparse(self.path)
            body = (
                fake.answer(parse_qs(url.query))
                if url.path == "/sns/jscode2session"
                else {"errcode": 404}
            )
            data = json.dumps(body).encode()
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def log_message(self, *args: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    settings = get_settings()
    monkeypatch.setattr(settings, "wechat_api_base", f"http://127.0.0.1:{server.server_port}")
    monkeypatch.setattr(settings, "wechat_app_id", APP_ID)
    monkeypatch.setattr(settings, "wechat_app_secret", SECRET)
    yield fake
    server.shutdown()
    server.server_close()
