"""A database that goes away (stopped, or frozen: its processes stopped while their
sockets still accept): every request answers 503 `service.database_unavailable` with
`Retry-After` within 2 s, `/readyz` says 503, and once the database is back the next
requests succeed without a restart of the API.

The test starts a PostgreSQL of its own (pgserver's binaries, run as an unprivileged
user when the suite runs as root) and an API process pointed at it, stops and restarts
that database, and removes both at the end. Every step is bounded by a timeout."""

from __future__ import annotations

import asyncio
import contextlib
import os
import pwd
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import warnings
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

PASSWORD = "outage test password 1"
STEP_TIMEOUT = 60


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class ThrowawayPostgres:
    """A PostgreSQL cluster in a temporary directory that the test starts and stops."""

    def __init__(self) -> None:
        # pgserver asks platformdirs for a runtime dir, which warns on headless machines.
        warnings.filterwarnings("ignore", message="XDG_RUNTIME_DIR is not set")
        from pgserver._commands import POSTGRES_BIN_PATH

        self.bin = Path(POSTGRES_BIN_PATH)
        self.port = _free_port()
        self.dir = Path(tempfile.mkdtemp(prefix="dangjian-outage-"))
        self.data = self.dir / "data"
        self.user: str | None = None
        if os.geteuid() == 0:  # PostgreSQL refuses to run as root
            self.user = next(u for u in ("postgres", "nobody") if _user_exists(u))
            self.dir.chmod(0o755)
            entry = pwd.getpwnam(self.user)
            os.chown(self.dir, entry.pw_uid, entry.pw_gid)

    def _run(self, *args: str) -> None:
        command = [str(self.bin / args[0]), *args[1:]]
        if self.user is not None:
            command = ["runuser", "-u", self.user, "--", *command]
        subprocess.run(command, check=True, capture_output=True, timeout=STEP_TIMEOUT)  # noqa: S603

    @property
    def url(self) -> str:
        return f"postgresql://postgres@127.0.0.1:{self.port}/postgres"

    def init(self) -> None:
        self._run("initdb", "-D", str(self.data), "-U", "postgres", "-A", "trust", "-E", "UTF8")

    def start(self) -> None:
        options = f"-p {self.port} -k {self.dir} -c listen_addresses=127.0.0.1"
        log = str(self.dir / "postgres.log")
        self._run("pg_ctl", "-D", str(self.data), "-o", options, "-l", log, "-w", "start")

    def stop(self) -> None:
        self._run("pg_ctl", "-D", str(self.data), "-m", "fast", "-w", "stop")

    def _processes(self) -> list[int]:
        """The postmaster and its children (backends and background workers)."""
        postmaster = int((self.data / "postmaster.pid").read_text().split()[0])
        children = []
        for stat in Path("/proc").glob("[0-9]*/stat"):
            with contextlib.suppress(OSError, ValueError, IndexError):
                # "pid (comm) state ppid ...": comm may hold spaces, so split after ")".
                if int(stat.read_text().rsplit(")", 1)[1].split()[1]) == postmaster:
                    children.append(int(stat.parent.name))
        return [postmaster, *children]

    def freeze(self) -> None:
        """Stop every server process: connections accept and never answer."""
        for pid in self._processes():
            os.kill(pid, signal.SIGSTOP)

    def thaw(self) -> None:
        for pid in self._processes():
            os.kill(pid, signal.SIGCONT)

    def remove(self) -> None:
        with contextlib.suppress(Exception):
            self.thaw()
        with contextlib.suppress(Exception):
            self._run("pg_ctl", "-D", str(self.data), "-m", "immediate", "-w", "stop")
        shutil.rmtree(self.dir, ignore_errors=True)


def _user_exists(name: str) -> bool:
    try:
        pwd.getpwnam(name)
    except KeyError:
        return False
    return True


@pytest.fixture
def database() -> Iterator[ThrowawayPostgres]:
    pg = ThrowawayPostgres()
    try:
        pg.init()
        pg.start()
        yield pg
    finally:
        pg.remove()


@pytest.fixture
def server(database: ThrowawayPostgres) -> Iterator[str]:
    """`dangjian serve` (migrations first) against the throwaway database."""
    port = _free_port()
    env = {
        **os.environ,
        "DATABASE_URL": database.url,
        "DANGJIAN_ENVIRONMENT": "test",
        "DANGJIAN_LOG_LEVEL": "WARNING",
        "DANGJIAN_BOOTSTRAP_ADMIN_USER": "root",
        "DANGJIAN_BOOTSTRAP_ADMIN_PASSWORD": PASSWORD,
    }
    env.pop("DATABASE_REPLICA_URL", None)
    command = [str(Path(sys.executable).parent / "dangjian"), "serve", "--port", str(port)]
    log = open(database.dir / "api.log", "w")  # noqa: SIM115  # closed below
    process = subprocess.Popen(  # noqa: S603  # our own command line
        command, env=env, stdout=log, stderr=subprocess.STDOUT
    )
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + STEP_TIMEOUT
        while True:
            assert process.poll() is None, (database.dir / "api.log").read_text()
            with contextlib.suppress(httpx.HTTPError):
                if httpx.get(f"{base}/readyz", timeout=2).status_code == 200:
                    break
            assert time.monotonic() < deadline, "the API did not start"
            time.sleep(0.2)
        yield base
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=10)
        log.close()
        print((database.dir / "api.log").read_text()[-5000:])  # shown when the test fails


async def _timed(
    client: httpx.AsyncClient, method: str, url: str, **kw
) -> tuple[httpx.Response, float]:
    started = time.monotonic()
    response = await client.request(method, url, timeout=10, **kw)
    return response, time.monotonic() - started


async def _login(client: httpx.AsyncClient) -> dict[str, str]:
    r = await client.post(
        "/api/v1/auth/token", data={"username": "root", "password": PASSWORD}, timeout=10
    )
    assert r.status_code == 200, r.text
    auth = {"Authorization": f"Bearer {r.json()['access_token']}"}
    # Several requests at once fill the pool with connections that the outage then hits.
    responses = await asyncio.gather(
        *(client.get("/api/v1/organisations", headers=auth, timeout=10) for _ in range(4))
    )
    assert all(r.status_code == 200 for r in responses), [r.text for r in responses]
    return auth


async def _each_request_is_503_within_2s(client: httpx.AsyncClient, auth: dict[str, str]) -> None:
    requests = [
        ("GET", "/api/v1/organisations", {"headers": auth}),  # a pooled connection
        ("GET", "/api/v1/members", {"headers": auth}),
        ("GET", "/api/v1/auth/me", {"headers": auth}),
        ("POST", "/api/v1/auth/token", {"data": {"username": "root", "password": "x"}}),
        ("GET", "/api/v1/organisations", {"headers": auth}),
        ("GET", "/api/v1/organisations", {"headers": auth}),
    ]
    for method, url, kw in requests:
        r, elapsed = await _timed(client, method, url, **kw)
        assert r.status_code == 503, (url, r.text)
        assert r.headers["content-type"] == "application/problem+json"
        assert r.json()["code"] == "service.database_unavailable"
        assert int(r.headers["retry-after"]) > 0
        assert elapsed < 2, (url, elapsed)
    r, elapsed = await _timed(client, "GET", "/readyz")
    assert r.status_code == 503 and elapsed < 2, (r.text, elapsed)


async def _requests_succeed_again(client: httpx.AsyncClient, auth: dict[str, str]) -> None:
    # Recovered by itself: the very next requests succeed, without a restart of the API.
    for url in ("/api/v1/organisations", "/api/v1/members", "/api/v1/auth/me", "/readyz"):
        r = await client.get(url, headers=auth, timeout=10)
        assert r.status_code == 200, (url, r.text)


async def test_a_stopped_database_is_503_with_retry_after_within_2s_and_recovers(database, server):
    async with httpx.AsyncClient(base_url=server) as client:
        auth = await _login(client)
        database.stop()
        await _each_request_is_503_within_2s(client, auth)
        database.start()
        await _requests_succeed_again(client, auth)


async def test_a_database_restarted_between_requests_costs_no_request(database, server):
    async with httpx.AsyncClient(base_url=server) as client:
        auth = await _login(client)
        database.stop()
        database.start()
        # Every pooled connection is dead; each is found so at checkout and replaced.
        await _requests_succeed_again(client, auth)


async def test_a_frozen_database_is_503_within_2s_and_recovers_when_it_resumes(database, server):
    async with httpx.AsyncClient(base_url=server) as client:
        auth = await _login(client)
        database.freeze()
        try:
            await _each_request_is_503_within_2s(client, auth)
        finally:
            database.thaw()
        await _requests_succeed_again(client, auth)


async def test_connections_carry_the_statement_timeout_from_settings():
    from sqlalchemy import text

    from app.config import get_settings
    from app.db import get_engine

    async with get_engine().connect() as connection:
        shown = (await connection.execute(text("SHOW statement_timeout"))).scalar_one()
    assert shown == f"{get_settings().db_statement_timeout_ms // 1000}s"
