"""A PostgreSQL primary and a streaming replica on loopback, from PostgreSQL's own tools.

    python scripts/replica_cluster.py up        # start both, migrate, print the URLs, wait
    python scripts/replica_cluster.py measure   # replication lag, API fallback timings

`initdb` makes the primary (`wal_level=replica`, replication trusted from 127.0.0.1),
`pg_basebackup -R` copies it into the standby's directory with its `primary_conninfo`,
and the standby is started and waited for until the primary lists it as `streaming` in
`pg_stat_replication`. Both live in a temporary directory and listen on 127.0.0.1 only
(free ports unless given). PostgreSQL refuses to run as root: as root, the servers run
as the `postgres` user (`runuser`), which then owns the directory.

`tests/api/test_replica_cluster.py` (marked `replica`) runs the API against such a pair.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import os
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import asyncpg

TOOLS = ("initdb", "pg_ctl", "pg_basebackup")
DATABASE = "dangjian"


def find_bindir() -> Path | None:
    """The directory holding initdb, pg_ctl and pg_basebackup, or None."""
    candidates = []
    initdb = shutil.which("initdb")
    if initdb:
        candidates.append(Path(initdb).resolve().parent)
    candidates += sorted(Path("/usr/lib/postgresql").glob("*/bin"), reverse=True)
    for directory in candidates:
        if all((directory / tool).exists() for tool in TOOLS):
            return directory
    return None


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


@dataclass
class Cluster:
    """Two servers: `primary_url` and `replica_url` name the `dangjian` database on each."""

    bindir: Path
    root: Path
    primary_port: int
    replica_port: int
    user: str | None = None  # the OS user the servers run as (None: this one)
    running: list[Path] = field(default_factory=list)

    @classmethod
    def create(cls, primary_port: int = 0, replica_port: int = 0) -> Cluster:
        bindir = find_bindir()
        if bindir is None:
            raise RuntimeError(f"PostgreSQL server binaries not found ({', '.join(TOOLS)})")
        root = Path(tempfile.mkdtemp(prefix="dangjian-replica-"))
        user = "postgres" if os.geteuid() == 0 else None
        if user is not None:
            shutil.chown(root, user)
        return cls(bindir, root, primary_port or free_port(), replica_port or free_port(), user)

    @property
    def primary_dir(self) -> Path:
        return self.root / "primary"

    @property
    def replica_dir(self) -> Path:
        return self.root / "replica"

    def url(self, port: int, database: str = DATABASE) -> str:
        return f"postgresql://postgres@127.0.0.1:{port}/{database}"

    @property
    def primary_url(self) -> str:
        return self.url(self.primary_port)

    @property
    def replica_url(self) -> str:
        return self.url(self.replica_port)

    def run(self, tool: str, *args: str) -> None:
        command = [str(self.bindir / tool), *args]
        if self.user is not None:
            command = ["runuser", "-u", self.user, "--", *command]
        # The PostgreSQL tools by absolute path, arguments from this script only.
        done = subprocess.run(command, capture_output=True, text=True, check=False)  # noqa: S603
        if done.returncode != 0:
            raise RuntimeError(f"{tool} failed ({done.returncode}): {done.stderr or done.stdout}")

    def _start(self, data: Path, port: int) -> None:
        options = f"-c port={port} -c listen_addresses=127.0.0.1 -c unix_socket_directories={data}"
        self.run("pg_ctl", "-D", str(data), "-l", str(data / "server.log"), "-w", "-o", options,
                 "start")  # fmt: skip
        self.running.append(data)

    def start_primary(self) -> None:
        """initdb, replication allowed from loopback, start, create the database."""
        self.run("initdb", "-D", str(self.primary_dir), "-U", "postgres", "--auth=trust",
                 "--encoding=UTF8", "--locale=C.UTF-8", "--no-sync")  # fmt: skip
        with (self.primary_dir / "postgresql.conf").open("a") as conf:
            conf.write(
                "wal_level = replica\nmax_wal_senders = 4\nhot_standby = on\n"
                "fsync = off\nsynchronous_commit = on\nshared_buffers = 32MB\n"
            )
        with (self.primary_dir / "pg_hba.conf").open("a") as hba:
            hba.write("host replication postgres 127.0.0.1/32 trust\n")
        self._start(self.primary_dir, self.primary_port)
        asyncio.run(
            self._sql(self.url(self.primary_port, "postgres"), f"CREATE DATABASE {DATABASE}")
        )

    def start_replica(self, timeout: float = 30.0) -> None:
        """pg_basebackup -R from the primary, start the standby, wait until it streams."""
        self.run("pg_basebackup", "-h", "127.0.0.1", "-p", str(self.primary_port), "-U",
                 "postgres", "-D", str(self.replica_dir), "-R", "-X", "stream",
                 "-c", "fast", "--no-sync")  # fmt: skip
        self._start(self.replica_dir, self.replica_port)
        deadline = time.monotonic() + timeout
        while not asyncio.run(self.streaming()):
            if time.monotonic() > deadline:
                raise RuntimeError("the standby did not start streaming")
            time.sleep(0.1)

    def stop_replica(self) -> None:
        self.run("pg_ctl", "-D", str(self.replica_dir), "-m", "fast", "-w", "stop")
        self.running.remove(self.replica_dir)

    def restart_replica(self, timeout: float = 30.0) -> None:
        self._start(self.replica_dir, self.replica_port)
        deadline = time.monotonic() + timeout
        while not asyncio.run(self.streaming()):
            if time.monotonic() > deadline:
                raise RuntimeError("the standby did not resume streaming")
            time.sleep(0.1)

    def stop(self) -> None:
        """Stop every server started here (replica first) and remove the directory."""
        for data in reversed(self.running):
            with contextlib.suppress(RuntimeError):
                self.run("pg_ctl", "-D", str(data), "-m", "immediate", "-w", "stop")
        self.running.clear()
        shutil.rmtree(self.root, ignore_errors=True)

    async def streaming(self) -> bool:
        rows = await self._sql(
            self.primary_url, "SELECT count(*) FROM pg_stat_replication WHERE state = 'streaming'"
        )
        return bool(rows and rows[0][0])

    async def _sql(self, url: str, sql: str, *args: object) -> list[asyncpg.Record]:
        conn = await asyncpg.connect(url)
        try:
            rows: list[asyncpg.Record] = await conn.fetch(sql, *args)
            return rows
        finally:
            await conn.close()

    def migrate(self) -> None:
        """Bring the primary's database to the latest revision (the replica follows)."""
        from app.cli import run_migrations

        run_migrations(self.primary_url)


@contextlib.contextmanager
def cluster(migrate: bool = True) -> Iterator[Cluster]:
    """A running primary (migrated) and streaming replica, stopped and removed on exit."""
    pair = Cluster.create()
    try:
        pair.start_primary()
        pair.start_replica()
        if migrate:
            pair.migrate()  # streamed to the replica
        yield pair
    finally:
        pair.stop()


async def replication_lag(pair: Cluster, writes: int = 200) -> list[float]:
    """Seconds from each commit on the primary until the replica has replayed it."""
    primary = await asyncpg.connect(pair.primary_url)
    replica = await asyncpg.connect(pair.replica_url)
    lags = []
    try:
        await primary.execute("CREATE TABLE IF NOT EXISTS lag_probe (n int)")
        for n in range(writes):
            await primary.execute("INSERT INTO lag_probe VALUES ($1)", n)
            committed = time.perf_counter()
            lsn = await primary.fetchval("SELECT pg_current_wal_lsn()")
            # Polling the replica is the measurement: no event tells when it replayed.
            while not await replica.fetchval("SELECT pg_last_wal_replay_lsn() >= $1", lsn):  # noqa: ASYNC110
                await asyncio.sleep(0.0002)
            lags.append(time.perf_counter() - committed)
        await primary.execute("DROP TABLE lag_probe")
    finally:
        await primary.close()
        await replica.close()
    return lags


async def _timed(client: object, path: str, headers: dict[str, str], n: int) -> float:
    """Median milliseconds of `n` GETs of `path` (each must answer 200)."""
    times = []
    for _ in range(n):
        started = time.perf_counter()
        r = await client.get(path, headers=headers)  # type: ignore[attr-defined]
        times.append(1000 * (time.perf_counter() - started))
        assert r.status_code == 200, r.text
    return statistics.median(times)


async def api_timings(pair: Cluster, n: int = 100) -> dict[str, float]:
    """Median ms of a replica-routed report (the root's stats) through the API in-process:
    on the replica, on the primary alone (no replica configured), falling back for lag
    (replay paused past the allowed lag) and for a stopped replica (the first request
    tries it, the next ones skip it for `replica_retry_seconds`)."""
    import httpx

    os.environ.setdefault("DANGJIAN_DATA_DIR", tempfile.mkdtemp(prefix="dangjian-measure-"))
    os.environ.setdefault("DANGJIAN_LOG_LEVEL", "WARNING")
    from app.config import get_settings
    from app.db import get_engine, get_replica_sessionmaker, get_sessionmaker
    from app.main import create_app
    from app.services.users import bootstrap_admin

    settings = get_settings()
    settings.database_url, settings.database_replica_url = pair.primary_url, pair.replica_url
    async with get_sessionmaker()() as session, session.begin():
        await bootstrap_admin(session, "root", "replica-measure-password")
    transport = httpx.ASGITransport(app=create_app())
    out: dict[str, float] = {}
    async with httpx.AsyncClient(transport=transport, base_url="http://m") as client:
        r = await client.post(
            "/api/v1/auth/token", data={"username": "root", "password": "replica-measure-password"}
        )
        headers = {"Authorization": f"Bearer {r.json()['access_token']}"}
        me = (await client.get("/api/v1/auth/me", headers=headers)).json()
        path = f"/api/v1/organisations/{me['org_id']}/stats"
        client.cookies.clear()  # a reader that wrote nothing
        rounds: dict[str, list[float]] = {"replica": [], "primary, no replica configured": []}
        for _ in range(10):  # interleaved rounds: the machine's load falls on both alike
            settings.database_replica_url = pair.replica_url
            rounds["replica"].append(await _timed(client, path, headers, n // 10))
            settings.database_replica_url = None
            rounds["primary, no replica configured"].append(
                await _timed(client, path, headers, n // 10)
            )
        settings.database_replica_url = pair.replica_url
        out.update({name: statistics.median(ms) for name, ms in rounds.items()})
        await pair._sql(pair.replica_url, "SELECT pg_wal_replay_pause()")
        await pair._sql(pair.primary_url, "CREATE TABLE lag_marker (n int)")
        settings.replica_max_lag_seconds = 0.2
        await asyncio.sleep(0.3)
        out["fallback: lag"] = await _timed(client, path, headers, n)
        await pair._sql(pair.replica_url, "SELECT pg_wal_replay_resume()")
        await asyncio.to_thread(pair.stop_replica)
        out["fallback: replica down, first request"] = await _timed(client, path, headers, 1)
        out["fallback: replica down, next requests"] = await _timed(client, path, headers, n)
    await get_engine().dispose()
    replicas = get_replica_sessionmaker()
    if replicas is not None:
        await replicas.kw["bind"].dispose()
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("command", choices=["up", "measure"])
    parser.add_argument("--writes", type=int, default=200)
    args = parser.parse_args()
    with cluster() as pair:
        if args.command == "measure":
            lags = sorted(1000 * x for x in asyncio.run(replication_lag(pair, args.writes)))
            print(
                f"replication lag over {len(lags)} commits: p50 {statistics.median(lags):.2f} ms,"
                f" p95 {lags[int(len(lags) * 0.95)]:.2f} ms, max {lags[-1]:.2f} ms"
            )
            for name, ms in asyncio.run(api_timings(pair)).items():
                print(f"GET /organisations/{{root}}/stats, {name}: p50 {ms:.1f} ms")
            return
        print(f"DATABASE_URL={pair.primary_url}\nDATABASE_REPLICA_URL={pair.replica_url}")
        print("Ctrl-C stops both servers.", file=sys.stderr)
        with contextlib.suppress(KeyboardInterrupt):
            while True:
                time.sleep(3600)


if __name__ == "__main__":
    main()
