"""Endpoints against an independent floor: the same answer as hand-written SQL under pgbench.

One line (see bench/README.md):
    python bench/floor_bench.py --members 1000000

It creates a scratch database (dropped at the end unless --keep), migrates it, loads
`dangjian synth`, starts `dangjian serve --workers $(nproc)` and a bare FastAPI app with
one route under the same uvicorn settings, then for each endpoint runs interleaved rounds
of wrk against the API and pgbench (-M prepared) on bench/floor/<name>.sql at the same
concurrency, both out of process. Before measuring, one API answer is compared with the
SQL's (ids, counts): a difference stops the run. Then the plan-flip step: county calls,
ten province calls, county calls again on a one-connection server.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import re
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from collections.abc import Callable
from pathlib import Path
from typing import Any

import asyncpg
import httpx

HERE = Path(__file__).resolve().parent
SQL = HERE / "floor"
BIN = Path(sys.executable).parent
USER, PASSWORD = "bench_admin", "bench-password-123"
TICK = os.sysconf("SC_CLK_TCK")
PGBENCH_APP = "floor_bench_pgbench"
# Fields of a member's answer compared with its floor's row (psql's text of each value):
# the floors return every field of the answer (bench/floor/member_read.sql, page.sql).
ANSWER_FIELDS = ("id", "name", "status", "org_id", "birth_date", "joined_on", "version")


def text(value: Any) -> str:
    """A JSON value as psql's CSV writes the column's (NULL: empty)."""
    return "" if value is None else str(value)


def cpu_seconds(pids: list[int]) -> float:
    """utime + stime of the processes, in seconds (those gone count 0)."""
    total = 0
    for pid in pids:
        try:
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        except (FileNotFoundError, ProcessLookupError):
            continue
        total += int(fields[11]) + int(fields[12])
    return total / TICK


def run_seconds(pid: int) -> float:
    """The time a single-threaded process (a PostgreSQL backend) has run on a CPU, in
    seconds, to the nanosecond (/proc/<pid>/schedstat; `cpu_seconds` counts 10 ms ticks)."""
    return int(Path(f"/proc/{pid}/schedstat").read_text().split()[0]) / 1e9


def children(pid: int) -> list[int]:
    out = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            if int(stat.read_text().rsplit(")", 1)[1].split()[1]) == pid:
                out.append(int(stat.parent.name))
        except (FileNotFoundError, ProcessLookupError, ValueError):
            continue
    return out


class Db:
    """A synchronous asyncpg connection (its own event loop)."""

    def __init__(self, url: str) -> None:
        self.loop = asyncio.new_event_loop()
        self.conn = self.loop.run_until_complete(asyncpg.connect(url))

    def rows(self, sql: str, *args: Any) -> list[Any]:
        return self.loop.run_until_complete(self.conn.fetch(sql, *args))

    def value(self, sql: str, *args: Any) -> Any:
        return self.loop.run_until_complete(self.conn.fetchval(sql, *args))

    def close(self) -> None:
        self.loop.run_until_complete(self.conn.close())
        self.loop.close()


def backends(db: Db, app: str) -> list[int]:
    rows = db.rows(
        "SELECT pid FROM pg_stat_activity WHERE datname = current_database() "
        "AND application_name = $1",
        app,
    )
    return [r[0] for r in rows]


def run(cmd: list[str], **kw: Any) -> str:
    done = subprocess.run(cmd, capture_output=True, text=True, **kw)
    if done.returncode != 0:
        raise SystemExit(f"failed: {' '.join(cmd)}\n{done.stdout}\n{done.stderr}")
    return done.stdout


def wrk_ms(text: str) -> float:
    value, unit = re.fullmatch(r"([\d.]+)(us|ms|s|m)", text).groups()  # type: ignore[union-attr]
    return float(value) * {"us": 0.001, "ms": 1.0, "s": 1000.0, "m": 60000.0}[unit]


class Bench:
    def __init__(self, args: argparse.Namespace) -> None:
        self.args = args
        self.url = args.server.rsplit("/", 1)[0] + "/" + args.database
        self.env = {**os.environ, "DATABASE_URL": self.url, "DANGJIAN_LOG_LEVEL": "WARNING"}
        self.run_id = uuid.uuid4().hex[:8]
        self.tmp = Path(tempfile.mkdtemp(prefix="floor-bench-"))
        self.servers: list[subprocess.Popen[bytes]] = []

    # -- set-up ---------------------------------------------------------------------------
    def database(self) -> None:
        admin = Db(self.args.server)
        exists = admin.value("SELECT 1 FROM pg_database WHERE datname = $1", self.args.database)
        if exists and not self.args.reuse:
            raise SystemExit(f"database {self.args.database} exists (use --reuse)")
        if not exists:
            admin.rows(f'CREATE DATABASE "{self.args.database}"')
        admin.close()
        if not exists:
            run([str(BIN / "dangjian"), "migrate"], env=self.env)
            started = time.perf_counter()
            out = run(
                [
                    str(BIN / "dangjian"),
                    "synth",
                    "--orgs",
                    str(self.args.orgs),
                    "--members",
                    str(self.args.members),
                ],
                env=self.env,
            )
            print(out.strip().splitlines()[-1] if out.strip() else "")
            print(f"synth: {time.perf_counter() - started:.0f} s")
        self.db = db = Db(self.url)
        from app.security.passwords import hash_password

        db.rows(
            "INSERT INTO users (id, username, password_hash, role, org_id, active, version) "
            "SELECT $1, $2, $3, 'org_admin', id, true, 1 FROM organisations WHERE code = 'SYN-P' "
            "ON CONFLICT (username) DO NOTHING",
            uuid.uuid4(),
            USER,
            hash_password(PASSWORD),
        )
        self.county = db.rows(
            "SELECT id, path, depth FROM organisations WHERE depth = 2 AND code LIKE 'SYN-%' "
            "ORDER BY node_id LIMIT 1"
        )[0]
        self.province = db.value("SELECT id FROM organisations WHERE code = 'SYN-P'")
        self.members = [
            r[0]
            for r in db.rows(
                "SELECT id FROM members WHERE org_path LIKE $1 AND status IN "
                "('full', 'probationary') ORDER BY id LIMIT 64",
                self.county[1] + "%",
            )
        ]
        self.rule = db.value("SELECT id FROM point_rules WHERE code = 'SYN-SERVICE'")
        self.total = db.value("SELECT count(*) FROM members")
        self.in_county = db.value(
            "SELECT count(*) FROM members WHERE org_path LIKE $1", self.county[1] + "%"
        )

    def serve(
        self, port: int, workers: int, extra_env: dict[str, str] | None = None, bare: bool = False
    ) -> subprocess.Popen[bytes]:
        env = {**self.env, **(extra_env or {})}
        with socket.socket() as probe:  # a server left from an earlier run would answer
            if probe.connect_ex(("127.0.0.1", port)) == 0:
                raise SystemExit(f"port {port} is taken: stop what listens there first")
        if bare:
            cmd = [sys.executable, str(HERE / "floor" / "bare_app.py"), str(port), str(workers)]
        else:
            cmd = [
                str(BIN / "dangjian"),
                "serve",
                "--port",
                str(port),
                "--no-migrate",
                "--workers",
                str(workers),
            ]
        proc = subprocess.Popen(cmd, env=env, stdout=subprocess.DEVNULL, start_new_session=True)
        self.servers.append(proc)
        for _ in range(300):
            try:
                if httpx.get(f"http://127.0.0.1:{port}/healthz").status_code == 200:
                    break
            except httpx.TransportError:
                time.sleep(0.1)
        else:
            raise SystemExit(f"server on {port} did not start")
        time.sleep(1)  # every worker up
        return proc

    def login(self, port: int) -> str:
        r = httpx.post(
            f"http://127.0.0.1:{port}/api/v1/auth/token",
            data={"username": USER, "password": PASSWORD},
        )
        r.raise_for_status()
        token: str = r.json()["access_token"]
        session = self.db.value(
            "SELECT s.id FROM auth_sessions AS s JOIN users AS u ON u.id = s.user_id "
            "WHERE u.username = $1 AND s.revoked_at IS NULL ORDER BY s.created_at DESC LIMIT 1",
            USER,
        )
        self.user = self.db.value("SELECT id FROM users WHERE username = $1", USER)
        from app import clock

        self.variables = {
            "user": str(self.user),
            "session": str(session),
            "org": str(self.county[0]),
            "members": "{" + ",".join(str(m) for m in self.members) + "}",
            "rule": str(self.rule),
            # the day the member flags are evaluated on: the API's (China Standard Time)
            "today": clock.today().isoformat(),
        }
        return token

    def close(self) -> None:
        """Stop the servers, and drop the database unless --keep."""
        for proc in self.servers:
            if proc.poll() is None:
                os.killpg(proc.pid, signal.SIGINT)
                proc.wait(30)
        if hasattr(self, "db"):
            self.db.close()
        if not self.args.keep:
            admin = Db(self.args.server)
            admin.rows(f'DROP DATABASE IF EXISTS "{self.args.database}" WITH (FORCE)')
            admin.close()
        shutil.rmtree(self.tmp, ignore_errors=True)

    # -- load generators ------------------------------------------------------------------
    def wrk(self, port: int, lua: Path, url: str, workers: list[int]) -> dict[str, float]:
        a = self.args
        apps = backends(self.db, "dangjian")
        cpu0, db0 = cpu_seconds(workers), cpu_seconds(apps)
        out = run(
            [
                "wrk",
                "-t",
                str(a.threads),
                "-c",
                str(a.concurrency),
                "-d",
                f"{a.seconds}s",
                "--latency",
                "-s",
                str(lua),
                f"http://127.0.0.1:{port}{url}",
            ]
        )
        cpu1, db1 = cpu_seconds(workers), cpu_seconds(apps)
        if "Non-2xx" in out or "Socket errors" in out:
            raise SystemExit(f"wrk saw failures on {url}:\n{out}")
        n = int(re.search(r"(\d+) requests in", out).group(1))  # type: ignore[union-attr]
        p50 = wrk_ms(re.search(r"^\s+50%\s+(\S+)", out, re.M).group(1))  # type: ignore[union-attr]
        p99 = wrk_ms(re.search(r"^\s+99%\s+(\S+)", out, re.M).group(1))  # type: ignore[union-attr]
        rps = float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))  # type: ignore[union-attr]
        return {
            "rps": rps,
            "p50": p50,
            "p99": p99,
            "n": n,
            "cpu_us": (cpu1 - cpu0) / n * 1e6,
            "db_us": (db1 - db0) / n * 1e6,
        }

    def pgbench(self, script: Path, tag: str) -> dict[str, float]:
        a = self.args
        cmd = [
            "pgbench",
            "-n",
            "-M",
            "prepared",
            "-c",
            str(a.concurrency),
            "-j",
            str(a.threads),
            "-T",
            str(a.seconds),
            "-f",
            str(script),
            "-D",
            f"tag={tag}",
        ]
        for key, value in self.variables.items():
            cmd += ["-D", f"{key}={value}"]
        env = {
            **os.environ,
            "PGAPPNAME": PGBENCH_APP,
            "PGOPTIONS": f"-c jit=off -c plan_cache_mode={self.floor_plan_mode(script)}",
        }
        samples: list[tuple[float, float]] = []
        stop = threading.Event()

        def poll() -> None:  # the backends' CPU, sampled while pgbench runs
            conn = Db(self.url)
            pids: list[int] = []
            while not stop.is_set():
                pids = pids if len(pids) >= a.concurrency else backends(conn, PGBENCH_APP)
                if len(pids) >= a.concurrency:
                    samples.append((time.perf_counter(), cpu_seconds(pids)))
                time.sleep(0.2)
            conn.close()

        thread = threading.Thread(target=poll)
        thread.start()
        try:
            out = run([*cmd, *self.conninfo()], env=env)
        finally:
            stop.set()
            thread.join()
        tps = float(re.search(r"tps = ([\d.]+)", out).group(1))  # type: ignore[union-attr]
        n = int(re.search(r"actually processed: (\d+)", out).group(1))  # type: ignore[union-attr]
        p50 = float(re.search(r"latency average = ([\d.]+) ms", out).group(1))  # type: ignore[union-attr]
        if re.search(r"failed transactions: [1-9]", out):
            raise SystemExit(f"pgbench failures on {script.name}:\n{out}")
        (t0, c0), (t1, c1) = samples[0], samples[-1]
        db_us = (c1 - c0) / (t1 - t0) / tps * 1e6 if t1 > t0 else float("nan")
        return {"rps": tps, "p50": p50, "n": n, "db_us": db_us}

    def conninfo(self) -> list[str]:
        from urllib.parse import urlparse

        u = urlparse(self.url)
        return [
            "-h",
            u.hostname or "127.0.0.1",
            "-p",
            str(u.port or 5432),
            "-U",
            u.username or "postgres",
            u.path.lstrip("/"),
        ]

    def floor_script(self, name: str) -> Path:
        """The floor script as run: the subtree's prefix and path written into the text of
        the statements after the scope check (`:prefix`, `:path`, `:depth`), as the API writes them,
        so that each statement keeps one cached plan made for that subtree (plan_cache_mode
        auto). The check still runs and gates them (\\gset fails on no row). With
        `--bound-prefix`, the script as written: the prefix a bound variable, re-planned
        on every call (force_custom_plan: a generic plan cannot use the path index)."""
        script = SQL / f"{name}.sql"
        text = included(script.read_text())
        rendered = self.tmp / "rendered" / script.name
        rendered.parent.mkdir(exist_ok=True)
        head, sep, rest = text.partition("\\gset")
        if self.args.bound_prefix or not sep:
            rendered.write_text(text)
            return rendered
        path = self.county[1]
        rest = re.sub(r"(?<![:\w]):prefix\b", f"'{path}%'", rest)
        rest = re.sub(r"(?<![:\w]):path\b", f"'{path}'", rest)
        rest = re.sub(r"(?<![:\w]):depth\b", str(self.county[2]), rest)
        rendered.write_text(head + sep + rest)
        return rendered

    def floor_plan_mode(self, script: Path) -> str:
        """What a hand implementation would choose: the server's default (cached plans) for
        the lookups by id and for statements with the subtree written into their text;
        custom plans where a statement takes the subtree as a bound variable
        (`--bound-prefix`: a generic plan cannot use the path index)."""
        if script.stem in ("member_read", "award") or not self.args.bound_prefix:
            return "auto"
        return "force_custom_plan"

    def psql_answer(self, script: Path, k: int = 1) -> list[dict[str, Any]]:
        """The rows of the script's last statement, run once through psql (a random
        `\\set` variable set to `k`: the member read's k-th benchmark member)."""
        text = script.read_text()
        text = re.sub(r"\\set (\w+) random\([^)]*\)", rf"\\set \1 {k}", text)
        text = re.sub(r"(?<![:\w]):(\w+)", r":'\1'", text)
        head, last = text.rsplit("-- the answer", 1)
        text = "\\o /dev/null\n" + head + "\\o\n" + last
        path = self.tmp / script.name
        path.write_text(text)
        cmd = ["psql", "-X", "-q", "--csv", "-v", "ON_ERROR_STOP=1", "-v", "tag=floor:check:"]
        for key, value in self.variables.items():
            cmd += ["-v", f"{key}={value}"]
        u = self.conninfo()
        out = run([*cmd, *u[:-1], "-d", u[-1], "-f", str(path)])
        import csv

        return list(csv.DictReader(out.splitlines()))

    # -- what is measured -----------------------------------------------------------------
    def lua(self, name: str, token: str, body: str) -> Path:
        ids = ", ".join(f'"{m}"' for m in self.members)
        path = self.tmp / f"{name}.lua"
        path.write_text(
            f'wrk.headers["Authorization"] = "Bearer {token}"\n'
            'wrk.headers["Content-Type"] = "application/json"\n'
            f"local ids = {{{ids}}}\nlocal n = 0\nlocal threads = 0\n"
            # rounds run seconds apart: the start time keeps their source keys apart
            "local started = os.time()\n"
            "function setup(thread) thread:set('tid', threads); threads = threads + 1 end\n" + body
        )
        return path

    def cases(self, token: str) -> list[tuple[str, str, Path, Callable[[Any], None]]]:
        """(label, floor script, wrk script, answer check) per endpoint."""
        org = f"/api/v1/organisations/{self.county[0]}"
        plain = 'request = function() return wrk.format("GET", "{url}") end\n'
        tag = f"wrk:{self.run_id}:"
        award = (
            "request = function()\n  n = n + 1\n"
            '  local body = string.format(\'{"member_id":"%s","rule_id":"'
            + str(self.rule)
            + '","occurred_on":"2026-06-01","source_key":"'
            + tag
            + "%d:%s:%d\"}', ids[math.random(#ids)], started, tid, n)\n"
            '  return wrk.format("POST", "/api/v1/point-entries", nil, body)\nend\n'
        )
        read = (
            'request = function() return wrk.format("GET", "/api/v1/members/" '
            ".. ids[math.random(#ids)]) end\n"
        )
        return [
            ("GET /members/{id}", "member_read", self.lua("read", token, read), self.check_read),
            (
                "GET /members?within=county (page of 50)",
                "page",
                self.lua(
                    "page",
                    token,
                    plain.format(url=f"/api/v1/members?within={self.county[0]}&limit=50"),
                ),
                self.check_page,
            ),
            (
                "GET /organisations/{county}/tree?depth=2",
                "tree",
                self.lua("tree", token, plain.format(url=f"{org}/tree?depth=2")),
                self.check_tree,
            ),
            (
                "GET /organisations/{county}/stats",
                "stats",
                self.lua("stats", token, plain.format(url=f"{org}/stats")),
                self.check_stats,
            ),
            (
                # the same endpoint against the hand read of the kept counts it answers from
                "GET /organisations/{county}/stats (kept-counts floor)",
                "stats_kept",
                self.lua("stats_kept", token, plain.format(url=f"{org}/stats")),
                self.check_stats,
            ),
            (
                "GET /organisations/{county}/points/ranking (top 100)",
                "ranking",
                self.lua(
                    "ranking", token, plain.format(url=f"{org}/points/ranking?year=2026&limit=100")
                ),
                self.check_ranking,
            ),
            (
                "GET /organisations/{county}/meeting-compliance (Q1)",
                "compliance",
                self.lua(
                    "compliance",
                    token,
                    plain.format(url=f"{org}/meeting-compliance?year=2026&quarter=1"),
                ),
                self.check_compliance,
            ),
            ("POST /point-entries", "award", self.lua("award", token, award), self.check_award),
        ]

    def api(self, path: str, **kw: Any) -> Any:
        r = httpx.request(
            kw.pop("method", "GET"),
            f"http://127.0.0.1:{self.args.port}{path}",
            headers={"Authorization": f"Bearer {self.token}"},
            timeout=120,
            **kw,
        )
        r.raise_for_status()
        return r.json()

    @staticmethod
    def same(what: str, api: Any, sql: Any) -> None:
        if api is True or sql is True:  # a condition, with what it was about
            if api is not True:
                raise SystemExit(f"check failed: {what}: {sql}")
            return
        if api != sql:
            raise SystemExit(f"the floor's answer differs from the API's ({what}):\n{api}\n{sql}")

    def check_read(self, rows: list[dict[str, Any]]) -> None:
        """The first benchmark member, and the first of another status (synth's members
        are full or probationary: their flags differ), flags included."""
        statuses = dict(
            self.db.rows("SELECT id, status FROM members WHERE id = ANY($1)", self.members)
        )
        other = next(
            (k for k, m in enumerate(self.members) if statuses[m] != statuses[self.members[0]]),
            None,
        )
        answers = [(0, rows)]
        if other is not None:
            answers.append((other, self.psql_answer(self.floor_script("member_read"), other + 1)))
        raised: list[str] = []
        for k, floor in answers:
            body = self.api(f"/api/v1/members/{self.members[k]}")
            self.same(
                f"member {k + 1}",
                (*(text(body[f]) for f in ANSWER_FIELDS), body["flags"]),
                (*(floor[0][f] for f in ANSWER_FIELDS), pg_array(floor[0]["flags"])),
            )
            raised += body["flags"]
        self.same("a raised flag among the members read", bool(raised), "none: flags unchecked")

    def check_page(self, rows: list[dict[str, Any]]) -> None:
        body = self.api(f"/api/v1/members?within={self.county[0]}&limit=50")
        self.same(
            "page rows",
            [tuple(text(m[f]) for f in ANSWER_FIELDS) for m in body["items"]],
            [tuple(r[f] for f in ANSWER_FIELDS) for r in rows[:50]],
        )
        self.same("next page", body["next_cursor"] is not None, len(rows) == 51)
        flags = [m["flags"] for m in body["items"]]
        self.same("page flags", flags, [pg_array(r["flags"]) for r in rows[:50]])
        self.same("a raised flag on the page", any(flags), "none: flags unchecked")

    def check_tree(self, rows: list[dict[str, Any]]) -> None:
        body = self.api(f"/api/v1/organisations/{self.county[0]}/tree?depth=2")
        ids, stack = [], [body]
        while stack:
            node = stack.pop()
            ids.append(node["id"])
            stack.extend(node["children"])
        self.same("tree ids", sorted(ids), sorted(r["id"] for r in rows))

    def check_stats(self, rows: list[dict[str, Any]]) -> None:
        body = self.api(f"/api/v1/organisations/{self.county[0]}/stats")
        for key, column in (
            ("by_status", "status"),
            ("by_category", "category"),
            ("by_gender", "gender"),
            ("by_age_band", "band"),
            ("by_education", "education"),
        ):
            counts: dict[str, int] = {}
            for r in rows:
                if r["kind"] == "m" and r[column]:  # ended members: their status only
                    counts[r[column]] = counts.get(r[column], 0) + int(r["n"])
            self.same(key, {k: v for k, v in body[key].items() if v}, counts)
        orgs = {r["status"]: int(r["n"]) for r in rows if r["kind"] == "o"}
        self.same("by_org_type", body["by_org_type"], orgs)

    def check_ranking(self, rows: list[dict[str, Any]]) -> None:
        body = self.api(
            f"/api/v1/organisations/{self.county[0]}/points/ranking?year=2026&limit=100"
        )
        self.same(
            "ranking",
            [(i["member_id"], i["total"], i["rank"]) for i in body["items"]],
            [(r["id"], int(r["total"]), int(r["rank"])) for r in rows],
        )

    def check_compliance(self, rows: list[dict[str, Any]]) -> None:
        body = self.api(
            f"/api/v1/organisations/{self.county[0]}/meeting-compliance?year=2026&quarter=1"
        )
        self.same(
            "organisations",
            sorted({r["org_id"] for r in body["rows"]}),
            sorted({r["id"] for r in rows}),
        )
        held = {(r["org_id"], r["type"]): r["held"] for r in body["rows"] if r["held"]}
        self.same(
            "meetings held",
            held,
            {(r["id"], r["meeting_type"]): int(r["held"]) for r in rows if r["meeting_type"]},
        )

    def check_award(self, rows: list[dict[str, Any]]) -> None:
        key = f"check:{self.run_id}"
        body = self.api(
            "/api/v1/point-entries",
            method="POST",
            json={
                "member_id": str(self.members[0]),
                "rule_id": str(self.rule),
                "occurred_on": "2026-06-01",
                "source_key": key,
            },
        )
        self.same(
            "entry",
            (body["member_id"], body["category"], body["points"], body["state"]),
            (rows[0]["member_id"], rows[0]["category"], int(rows[0]["points"]), rows[0]["state"]),
        )
        for entry in (body["id"], rows[0]["id"]):  # each wrote its change-feed and audit rows
            feed = self.db.value(
                "SELECT count(*) FROM outbox_events WHERE resource_id = $1", uuid.UUID(entry)
            )
            audit = self.db.value(
                "SELECT count(*) FROM audit_events WHERE after->>'entry_id' = $1", entry
            )
            self.same(f"feed and audit rows of {entry}", (feed, audit), (1, 1))

    # -- the runs -------------------------------------------------------------------------
    def endpoints(self, workers: list[int]) -> list[tuple[str, list[Any], list[Any]]]:
        rows = []
        for label, name, lua, check in self.cases(self.token):
            if self.args.only and name not in self.args.only.split(","):
                continue
            script = self.floor_script(name)
            check(self.psql_answer(script))
            tag = f"floor:{self.run_id}:{name}:"
            api, floor = [], []
            for _ in range(self.args.rounds):  # interleaved: a slow spell hits both sides
                api.append(self.wrk(self.args.port, lua, "/", workers))
                floor.append(self.pgbench(script, tag))
            if name == "award":  # every request and every floor transaction committed
                wrote = self.db.value(
                    "SELECT count(*) FROM point_entries WHERE source_key LIKE $1",
                    f"wrk:{self.run_id}:%",
                )
                sent = sum(int(r["n"]) for r in api)
                # wrk counts answered requests; each round may leave one per connection
                # in flight when it stops, committed but not counted.
                slack = self.args.rounds * self.args.concurrency
                self.same(
                    "API awards committed (sent, written)",
                    sent <= wrote <= sent + slack,
                    (sent, wrote),
                )
                wrote = self.db.value(
                    "SELECT count(*) FROM point_entries WHERE source_key LIKE $1", tag + "%"
                )
                done = sum(int(r["n"]) for r in floor)
                self.same("floor awards committed (done, written)", wrote >= done, (done, wrote))
            rows.append((label, api, floor))
            print(f"  {label}: " + describe(api, floor), flush=True)
        return rows

    def healthz(self, workers: list[int], bare_workers: list[int]) -> tuple[list[Any], list[Any]]:
        lua = self.tmp / "healthz.lua"
        lua.write_text("")
        api, bare = [], []
        for _ in range(self.args.rounds):
            api.append(self.wrk(self.args.port, lua, "/healthz", workers))
            bare.append(self.wrk(self.args.port + 1, lua, "/healthz", bare_workers))
        print("  /healthz: " + describe(api, bare), flush=True)
        return api, bare

    def plan_flip(self) -> list[tuple[str, float, float, float, float]]:
        """County calls, 10 province calls of each endpoint, county calls again, all on a
        server with one worker and one pooled connection (every call on that connection).
        Per endpoint: p50 ms and the connection's DB CPU ms per call, before and after.
        CPU time is what a generic plan scanning every member would raise; the wall clock
        of a shared machine moves 2-3x on its own between two phases."""
        others = set(backends(self.db, "dangjian"))
        port = self.args.port + 2
        # Kept answers off: the step is about the statements, which a kept tree skips.
        one_connection = {
            "DANGJIAN_DB_POOL_SIZE": "1",
            "DANGJIAN_DB_MAX_OVERFLOW": "0",
            "DANGJIAN_KEPT_ANSWER_BYTES": "0",
        }
        proc = self.serve(port, 1, one_connection)
        client = httpx.Client(
            base_url=f"http://127.0.0.1:{port}",
            timeout=300,
            headers={"Authorization": f"Bearer {self.token}"},
        )

        def paths(org: Any) -> dict[str, str]:
            o = f"/api/v1/organisations/{org}"
            return {
                "stats": f"{o}/stats",
                "ranking": f"{o}/points/ranking?year=2026&limit=100",
                "page of 50": f"/api/v1/members?within={org}&limit=50",
                "tree": f"{o}/tree?depth=2",
                "compliance": f"{o}/meeting-compliance?year=2026&quarter=1",
            }

        pids: list[int] = []

        def calls(path: str, n: int = 10) -> tuple[float, float]:
            times = []
            cpu = run_seconds(pids[0]) if pids else 0.0
            for _ in range(n):
                started = time.perf_counter()
                client.get(path).raise_for_status()
                times.append((time.perf_counter() - started) * 1000)
            used = run_seconds(pids[0]) - cpu if pids else 0.0
            return statistics.median(times), used / n * 1000

        county = paths(self.county[0])
        for path in county.values():
            calls(path, 1)  # warm up
        pids = [p for p in backends(self.db, "dangjian") if p not in others]
        if len(pids) != 1:
            raise SystemExit(f"expected one connection for the plan-flip server, found {pids}")
        before = {k: calls(p) for k, p in county.items()}
        for path in paths(self.province).values():
            calls(path, 10)
        after = {k: calls(p) for k, p in county.items()}
        client.close()
        proc.send_signal(signal.SIGINT)
        proc.wait(30)
        return [(k, *before[k], *after[k]) for k in county]


def pg_array(text: str) -> list[str]:
    """A text[] as psql's CSV prints it (`{a,b}`; flag codes need no quoting)."""
    inner = text.removeprefix("{").removesuffix("}")
    return inner.split(",") if inner else []


def included(text: str) -> str:
    """A floor script with its `-- include: <file>` lines replaced by that file of
    bench/floor (the answer and the flags both member floors compute: one text, not two copies)."""
    return re.sub(
        r"^-- include: (\S+)$",
        lambda m: (SQL / m.group(1)).read_text().rstrip("\n"),
        text,
        flags=re.M,
    )


def spread(values: list[float]) -> str:
    return f"{statistics.median(values):.2f} ({min(values):.2f}-{max(values):.2f})"


def describe(api: list[dict[str, float]], floor: list[dict[str, float]]) -> str:
    ratios = [a["rps"] / f["rps"] for a, f in zip(api, floor, strict=True)]
    return (
        f"API {statistics.median(a['rps'] for a in api):,.0f} rps, floor "
        f"{statistics.median(f['rps'] for f in floor):,.0f}, ratio {spread(ratios)}"
    )


def table(
    rows: list[tuple[str, list[Any], list[Any]]], health: tuple[list[Any], list[Any]] | None
) -> str:
    out = [
        "| endpoint | API rps | API p50 ms | floor tps | floor avg ms | API/floor (range) "
        "| worker CPU µs/req | its DB CPU µs/req | floor DB CPU µs/txn | worker/floor-DB |",
        "|---|---|---|---|---|---|---|---|---|---|",
    ]
    med = statistics.median
    bare_row = [("`/healthz` vs bare FastAPI", *health)] if health else []
    for label, api, floor in [*rows, *bare_row]:
        ratios = [a["rps"] / f["rps"] for a, f in zip(api, floor, strict=True)]
        cpu, fdb = med(a["cpu_us"] for a in api), med(f["db_us"] for f in floor)
        bare = "cpu_us" in floor[0]
        out.append(
            f"| {label} | {med(a['rps'] for a in api):,.0f} | {med(a['p50'] for a in api):.1f} "
            f"| {med(f['rps'] for f in floor):,.0f} | {med(f['p50'] for f in floor):.1f} "
            f"| {spread(ratios)} | {cpu:,.0f} | {med(a['db_us'] for a in api):,.0f} | "
            + (
                f"bare worker {med(f['cpu_us'] for f in floor):,.0f} | "
                f"{cpu / med(f['cpu_us'] for f in floor):.1f}x |"
                if bare
                else f"{fdb:,.0f} | {cpu / fdb:.1f}x |"
            )
        )
    return "\n".join(out)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--members", type=int, default=100_000)
    parser.add_argument("--orgs", type=int, default=3000)
    parser.add_argument("--server", default="postgresql://postgres@127.0.0.1:5432/postgres")
    parser.add_argument("--database", default="dj_floor_bench")
    parser.add_argument("--reuse", action="store_true", help="use the database if it exists")
    parser.add_argument("--keep", action="store_true", help="do not drop the database")
    parser.add_argument("--seconds", type=int, default=10, help="per round and side")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--concurrency", type=int, default=8)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--port", type=int, default=8100)
    parser.add_argument("--workers", type=int, default=os.cpu_count() or 1)
    parser.add_argument("--plan-cache-mode", default="auto")
    parser.add_argument("--out", default=None, help="also write the tables to this file")
    parser.add_argument("--flip-only", action="store_true", help="only the plan-flip step")
    parser.add_argument(
        "--bound-prefix",
        action="store_true",
        help="floors take the subtree prefix as a bound variable, re-planned per call "
        "(the method before 2026-12-03), instead of written into their text",
    )
    parser.add_argument("--only", default="", help="these floor scripts only, e.g. page,award")
    parser.add_argument(
        "--kept-answer-bytes",
        default=None,
        help="the API server's DANGJIAN_KEPT_ANSWER_BYTES (0: every tree read and rendered "
        "again, no kept answer sent); default the app's",
    )
    args = parser.parse_args()
    for tool in ("wrk", "pgbench", "psql"):
        if shutil.which(tool) is None:
            raise SystemExit(f"{tool} not found: apt-get install wrk postgresql-client")
    bench = Bench(args)
    bench.env["DANGJIAN_DB_PLAN_CACHE_MODE"] = args.plan_cache_mode
    if args.kept_answer_bytes is not None:
        bench.env["DANGJIAN_KEPT_ANSWER_BYTES"] = args.kept_answer_bytes
    try:
        bench.database()
        server = bench.serve(args.port, args.workers)
        bare = bench.serve(args.port + 1, args.workers, bare=True)
        bench.token = bench.login(args.port)
        workers, bare_workers = children(server.pid), children(bare.pid)
        print(
            f"members: {bench.total:,}; county: {bench.in_county:,}; workers "
            f"{len(workers)}; {args.rounds} rounds of {args.seconds} s a side",
            flush=True,
        )
        rows = [] if args.flip_only else bench.endpoints(workers)
        skip_health = args.flip_only or args.only
        health = ([], []) if skip_health else bench.healthz(workers, bare_workers)
        flips = bench.plan_flip()
    finally:
        bench.close()
    kept = "the app's default" if args.kept_answer_bytes is None else args.kept_answer_bytes
    text = (
        f"members: {bench.total:,} ({bench.in_county:,} in the county); "
        f"plan_cache_mode={args.plan_cache_mode}; kept answer bytes: {kept}; "
        f"{args.rounds} interleaved rounds of "
        f"{args.seconds} s a side, -c {args.concurrency}\n\n"
        + ("" if args.flip_only else table(rows, health if health[0] else None))
        + "\n\nPlan flip (one worker, one connection; county calls before and after 10 "
        "province calls of each endpoint; medians of 10):\n\n| endpoint | p50 ms before "
        "| p50 ms after | DB CPU ms/call before | DB CPU ms/call after | DB CPU after/before |\n"
        "|---|---|---|---|---|---|\n"
        + "\n".join(
            f"| {k} | {b:.1f} | {a:.1f} | {cb:.2f} | {ca:.2f} | {ca / max(cb, 0.01):.2f} |"
            for k, b, cb, a, ca in flips
        )
    )
    print(text)
    if args.out:
        Path(args.out).write_text(text + "\n")
    slower = [k for k, _, cb, _, ca in flips if ca > 1.5 * cb + 2]
    if slower:
        raise SystemExit(f"slower after province calls: {slower}")


if __name__ == "__main__":
    main()
