"""Endpoint benchmark against a running server, beside the same SQL run raw (the floor).

Usage (see bench/README.md):
    dangjian synth --orgs 3000 --members 100000          # into DATABASE_URL
    dangjian serve --port 8100 --workers $(nproc) &       # same DATABASE_URL
    python bench/api_bench.py --base-url http://127.0.0.1:8100 --database-url $DATABASE_URL

For each endpoint: requests/s and p50/p95 latency through HTTP, then two floors run
directly with asyncpg at the same concurrency:

* "main SQL": the endpoint's principal query, written out here;
* "all SQL": every statement the endpoint actually sends, captured from one call of
  the app in this process (SQLAlchemy's before_cursor_execute) and replayed in one
  transaction, as the app runs them: principal lookup, the data, flags, policies,
  audit rows, change-feed rows. Every replay commits, as the app does; the POST's
  replays carry a fresh entry id and source key each (`fresh_keys`), so they neither
  collide with each other nor with the captured request.

The ratio API p50 / floor p50 is printed for both. EXPLAIN plans of the main
queries are written next to the results (--explain FILE).
"""

from __future__ import annotations

import argparse
import asyncio
import os
import statistics
import time
import uuid
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

import aiohttp
import asyncpg
import httpx

from app.security.scope import fill_prefixes
from app.services.organisations import AGE_BANDS
from app.services.points import TOP_SQL

BENCH_USER = "bench_admin"
BENCH_PASSWORD = "bench-password-123"


async def ensure_user(conn: asyncpg.Connection) -> None:
    """A province org_admin for the benchmark (created once, directly)."""
    from app.security.passwords import hash_password

    province = await conn.fetchrow("SELECT id FROM organisations WHERE code = 'SYN-P'")
    await conn.execute(
        "INSERT INTO users (id, username, password_hash, role, org_id, active, version) "
        "VALUES ($1, $2, $3, 'org_admin', $4, true, 1) ON CONFLICT (username) DO NOTHING",
        uuid.uuid4(),
        BENCH_USER,
        hash_password(BENCH_PASSWORD),
        province["id"],
    )


async def timed(
    n: int, concurrency: int, call: Callable[[int], Awaitable[Any]]
) -> dict[str, float]:
    latencies: list[float] = []
    queue = iter(range(n))

    async def worker() -> None:
        for i in queue:
            started = time.perf_counter()
            await call(i)
            latencies.append(time.perf_counter() - started)

    began = time.perf_counter()
    await asyncio.gather(*[worker() for _ in range(concurrency)])
    wall = time.perf_counter() - began
    latencies.sort()
    return {
        "rps": n / wall,
        "p50": statistics.median(latencies) * 1000,
        "p95": latencies[int(len(latencies) * 0.95) - 1] * 1000,
    }


def summary(rounds: list[dict[str, float]]) -> dict[str, float]:
    """The median of each figure over the rounds."""
    return {key: statistics.median(r[key] for r in rounds) for key in rounds[0]}


def ratio(api: list[dict[str, float]], floor: list[dict[str, float]]) -> str:
    """API p50 over the floor's, of the medians; with more rounds, each round's range."""
    text = f"{summary(api)['p50'] / summary(floor)['p50']:.1f}x"
    if len(api) > 1:
        each = [a["p50"] / f["p50"] for a, f in zip(api, floor, strict=True)]
        text += f" ({min(each):.1f}-{max(each):.1f})"
    return text


Captured = list[tuple[str, tuple[Any, ...], bool]]
RequestFor = Callable[[int], tuple[str, str, dict[str, Any]]]


class StatementCapture:
    """Records what the in-process app sends to PostgreSQL while `active`."""

    def __init__(self) -> None:
        from sqlalchemy import event

        from app import db
        from app.db import get_engine

        self.active = False
        self.statements: Captured = []
        event.listen(get_engine().sync_engine, "before_cursor_execute", self._record)
        # Statements the app sends on the asyncpg connection directly (app.db.fetch...).
        db.driver_statement_hooks.append(self._record_driver)

    def _record_driver(self, statement: str, params: Any, many: bool) -> None:
        if self.active:
            self.statements.append((statement, tuple(params), many))

    def _record(
        self, conn: Any, cursor: Any, statement: str, params: Any, context: Any, many: bool
    ) -> None:
        if self.active:
            self.statements.append((statement, params, many))

    async def capture(self, call: Callable[[], Awaitable[Any]]) -> Captured:
        self.statements = []
        self.active = True
        try:
            await call()
        finally:
            self.active = False
        return self.statements


def fresh_keys(statements: Captured, source_key: str) -> Callable[[int], Captured]:
    """Copies of a captured write with what it created made new: the source key and every
    UUID first sent in an INSERT (the entry's id, also where the change feed and the audit
    row name it). A replay can then commit, as the endpoint does, without colliding with
    the captured request or another replay."""
    known: set[uuid.UUID] = set()
    created: set[uuid.UUID] = set()
    for sql, params, _many in statements:
        values = [v for row in params for v in row] if _many else list(params)
        ids = {v for v in values if isinstance(v, uuid.UUID)}
        if sql.lstrip().upper().startswith("INSERT"):
            created |= ids - known
        known |= ids

    def copy(i: int) -> Captured:
        tag = f"{source_key}:replay:{i}"
        mapping: dict[Any, Any] = {u: uuid.uuid4() for u in created}
        texts = [(str(old), str(new)) for old, new in mapping.items()]
        texts.append((source_key, tag))

        def swap(value: Any) -> Any:
            if isinstance(value, uuid.UUID):
                return mapping.get(value, value)
            if isinstance(value, str):
                for old, new in texts:
                    value = value.replace(old, new)
                return value
            if isinstance(value, dict):
                return {k: swap(v) for k, v in value.items()}
            if isinstance(value, (list, tuple)):
                return type(value)(swap(v) for v in value)
            return value

        return [(sql, tuple(swap(v) for v in params), many) for sql, params, many in statements]

    return copy


async def replay(conn: asyncpg.Connection, statements: Captured, commit: bool) -> None:
    """The captured statements in one transaction, as the app sends them."""
    transaction = conn.transaction()
    await transaction.start()
    try:
        for sql, params, many in statements:
            if many:
                await conn.executemany(sql, params)
            else:
                await conn.fetch(sql, *params)
    finally:
        if commit:
            await transaction.commit()
        else:
            await transaction.rollback()


async def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--base-url", required=True)
    parser.add_argument("--database-url", required=True)
    parser.add_argument("--requests", type=int, default=300)
    parser.add_argument("--report-requests", type=int, default=20)
    parser.add_argument("--concurrency", type=int, default=8)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--explain", default=None)
    args = parser.parse_args()
    # The in-process app used to capture each endpoint's statements reads this database.
    os.environ["DATABASE_URL"] = args.database_url
    os.environ.setdefault("DANGJIAN_LOG_LEVEL", "WARNING")
    from app.main import create_app

    pool = await asyncpg.create_pool(
        args.database_url, min_size=args.concurrency, max_size=args.concurrency
    )
    async with pool.acquire() as conn:
        await ensure_user(conn)
        county = await conn.fetchrow(
            "SELECT id, path FROM organisations "
            "WHERE depth = 2 AND code LIKE 'SYN-%' ORDER BY node_id LIMIT 1"
        )
        members_total = await conn.fetchval("SELECT count(*) FROM members")
        county_members = await conn.fetchval(
            "SELECT count(*) FROM members WHERE org_path LIKE $1 || '%'", county["path"]
        )
        sample = [
            r["id"]
            for r in await conn.fetch(
                "SELECT id FROM members WHERE org_path LIKE $1 || '%' "
                "AND status IN ('full', 'probationary') LIMIT 500",
                county["path"],
            )
        ]
        rule = await conn.fetchval("SELECT id FROM point_rules WHERE code = 'SYN-SERVICE'")
    county_id, prefix = county["id"], county["path"] + "%"
    run = uuid.uuid4().hex[:8]
    org_url = f"/api/v1/organisations/{county_id}"

    def entry_body(i: int, tag: str) -> dict[str, str]:
        return {
            "member_id": str(sample[i % len(sample)]),
            "rule_id": str(rule),
            "occurred_on": "2026-06-01",
            "source_key": f"bench:{run}:{tag}:{i}",
        }

    # The endpoint's query: hashed by education, status, category and gender, with one
    # FILTER count per age cut-off.
    stats_sql = (
        "SELECT coalesce(education, 'unknown'), status, category, gender, count(*), "
        + ", ".join(
            f"count(*) FILTER (WHERE birth_date > CURRENT_DATE - interval '{limit + 1} years')"
            for _, limit in AGE_BANDS
        )
        + " FROM members WHERE org_path LIKE $1 GROUP BY 1, 2, 3, 4"
    )
    compliance_sql = (
        "SELECT m.org_id, m.type, m.held_on, count(a.member_id) FROM meetings AS m "
        "LEFT JOIN meeting_attendees AS a ON a.meeting_id = m.id "
        "WHERE m.org_path LIKE $1 AND m.state = 'finalized' "
        "AND m.held_on >= DATE '2026-01-01' AND m.held_on < DATE '2026-04-01' GROUP BY m.id"
    )
    # The SQL the endpoint sends (its schemes read by the statement itself).
    ranking_sql = fill_prefixes(TOP_SQL, {"prefix": prefix}).format(limit=100)
    # label, requests, (method, path, query) for request i, main SQL, its parameters
    cases: list[tuple[str, int, RequestFor, str, list[Any]]] = [
        (
            "GET /members/{id}",
            args.requests,
            lambda i: ("GET", f"/api/v1/members/{sample[i % len(sample)]}", {}),
            "SELECT * FROM members WHERE id = $1",
            [sample[0]],
        ),
        (
            "GET /members?within=county (page of 50)",
            args.requests,
            lambda i: ("GET", "/api/v1/members", {"within": str(county_id), "limit": 50}),
            "SELECT * FROM members WHERE org_path LIKE $1 ORDER BY org_path, id LIMIT 51",
            [prefix],
        ),
        (
            "GET /organisations/{county}/tree?depth=2",
            args.requests,
            lambda i: ("GET", f"{org_url}/tree", {"depth": 2}),
            "SELECT o.id, o.parent_id, o.code, o.name, o.type, o.depth, o.dissolved_on, "
            "CASE WHEN o.depth = $2 THEN EXISTS (SELECT 1 FROM organisations AS c "
            "WHERE c.parent_id = o.id AND c.dissolved_on IS NULL) ELSE false END "
            "FROM organisations AS o WHERE o.path LIKE $1 AND o.depth <= $2 "
            "AND o.dissolved_on IS NULL ORDER BY o.depth, o.code",
            [prefix, 4],
        ),
        (
            "GET /organisations/{county}/stats",
            args.report_requests,
            lambda i: ("GET", f"{org_url}/stats", {}),
            stats_sql,
            [prefix],
        ),
        (
            "GET /organisations/{county}/points/ranking (top 100)",
            args.report_requests,
            lambda i: ("GET", f"{org_url}/points/ranking", {"year": 2026, "limit": 100}),
            ranking_sql,
            [2026, 100],
        ),
        (
            "GET /organisations/{county}/meeting-compliance (Q1)",
            args.report_requests,
            lambda i: ("GET", f"{org_url}/meeting-compliance", {"year": 2026, "quarter": 1}),
            compliance_sql,
            [prefix],
        ),
    ]  # fmt: skip

    async def login(client: httpx.AsyncClient) -> dict[str, str]:
        r = await client.post(
            "/api/v1/auth/token", data={"username": BENCH_USER, "password": BENCH_PASSWORD}
        )
        return {"Authorization": f"Bearer {r.json()['access_token']}"}

    async def send(
        client: httpx.AsyncClient, headers: dict[str, str], method: str, path: str, **kw: Any
    ) -> None:
        r = await client.request(method, path, headers=headers, **kw)
        assert r.status_code in (200, 201), (path, r.status_code, r.text[:200])

    async def send_remote(
        client: aiohttp.ClientSession, headers: dict[str, str], method: str, path: str, **kw: Any
    ) -> None:
        async with client.request(method, path, headers=headers, **kw) as r:
            body = await r.read()
            assert r.status in (200, 201), (path, r.status, body[:200])

    app = create_app()
    capture = StatementCapture()
    local = httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://bench")
    local_headers = await login(local)
    rows = []
    plans = []
    connector = aiohttp.TCPConnector(limit=args.concurrency)
    timeout = aiohttp.ClientTimeout(total=120)
    async with aiohttp.ClientSession(args.base_url, connector=connector, timeout=timeout) as client:
        async with client.post(
            "/api/v1/auth/token", data={"username": BENCH_USER, "password": BENCH_PASSWORD}
        ) as r:
            headers = {"Authorization": f"Bearer {(await r.json())['access_token']}"}

        async def measure(
            n: int, *calls: Callable[[int], Awaitable[Any]]
        ) -> list[list[dict[str, float]]]:
            """Each call timed `--rounds` times, interleaved (API, floors, API, floors...),
            so a slow spell of a shared machine falls on both sides of a ratio. Request i of
            round r is call(r * n + i): keys stay unique across rounds."""
            results: list[list[dict[str, float]]] = [[] for _ in calls]
            for r in range(args.rounds):
                for out, call in zip(results, calls, strict=True):

                    async def numbered(i: int, call: Any = call, r: int = r) -> None:
                        await call(r * n + i)

                    out.append(await timed(n, args.concurrency, numbered))
            return results

        for label, n, request, sql, params in cases:

            async def call(i: int, request: RequestFor = request) -> None:
                method, path, query = request(i)
                await send_remote(client, headers, method, path, params=query)

            async def floor(i: int, sql: str = sql, params: list[Any] = params) -> None:
                async with pool.acquire() as conn:
                    await conn.fetch(sql, *params)

            await call(0)  # warm up
            method, path, query = request(0)
            await send(local, local_headers, method, path, params=query)  # warm up
            captured = await capture.capture(
                lambda m=method, p=path, q=query: send(local, local_headers, m, p, params=q)
            )

            async def everything(i: int, captured: Captured = captured) -> None:
                async with pool.acquire() as conn:
                    await replay(conn, captured, commit=True)

            api, raw, full = await measure(n, call, floor, everything)
            rows.append((label, api, raw, full, len(captured)))
            async with pool.acquire() as conn:
                plan = await conn.fetch("EXPLAIN " + sql, *params)
            plans.append((label, "\n".join(r[0] for r in plan)))

        async def post_entry(i: int) -> None:
            await send_remote(
                client, headers, "POST", "/api/v1/point-entries", json=entry_body(i, "api")
            )

        async def floor_entry(i: int) -> None:
            async with pool.acquire() as conn:
                await conn.execute(
                    "INSERT INTO point_entries (id, member_id, org_path, rule_id, rule_version, "
                    "category, points, occurred_on, year, source, source_key, state) "
                    "SELECT $1, id, org_path, $2, 1, 'bonus', 2, DATE '2026-06-01', 2026, "
                    "'manual', $3, "
                    "'approved' FROM members WHERE id = $4",
                    uuid.uuid4(), rule, f"floor:{run}:{i}", sample[i % len(sample)],
                )  # fmt: skip

        # One captured request per worker (distinct members), replayed with a fresh entry
        # id and source key each time and committed, as the endpoint commits: the WAL
        # flush of a commit is part of every award (copies are made before the clock runs).
        per_worker = []
        for k in range(args.concurrency):
            body = entry_body(10_000 + k, "capture")
            captured = await capture.capture(
                lambda body=body: send(
                    local, local_headers, "POST", "/api/v1/point-entries", json=body
                )
            )
            per_worker.append((captured, fresh_keys(captured, body["source_key"])))
        # Each slot replays its own member's request, so no two replays wait on one lock.
        total = args.rounds * args.requests
        copies = [iter([fresh(i) for i in range(total)]) for _, fresh in per_worker]
        slots = asyncio.Queue[int]()
        for k in range(args.concurrency):
            slots.put_nowait(k)

        async def replay_entry(i: int) -> None:
            k = await slots.get()
            try:
                async with pool.acquire() as conn:
                    await replay(conn, next(copies[k]), commit=True)
            finally:
                slots.put_nowait(k)

        api, raw, full = await measure(args.requests, post_entry, floor_entry, replay_entry)
        async with pool.acquire() as conn:
            replayed = await conn.fetchval(
                "SELECT count(*) FROM point_entries WHERE source_key LIKE $1",
                f"bench:{run}:capture:%:replay:%",
            )
        # Every replay wrote its entry (none fell to ON CONFLICT DO NOTHING).
        assert replayed == total, (replayed, total)
        rows.append(("POST /point-entries", api, raw, full, len(per_worker[0][0])))
    await local.aclose()
    await pool.close()
    print(f"members: {members_total:,} in all, {county_members:,} in the benchmark county")
    print(f"medians of {args.rounds} interleaved round(s); a ratio's range is its rounds' own")
    print(
        "| endpoint | API rps | API p50 ms | API p95 ms | main SQL p50 ms | ratio "
        "| statements | all SQL rps | all SQL p50 ms | ratio |"
    )
    print("|---|---|---|---|---|---|---|---|---|---|")
    for label, a, r, f, count in rows:
        api, raw, full = summary(a), summary(r), summary(f)
        print(
            f"| {label} | {api['rps']:,.0f} | {api['p50']:.1f} | {api['p95']:.1f} | "
            f"{raw['p50']:.1f} | {ratio(a, r)} | {count} | "
            f"{full['rps']:,.0f} | {full['p50']:.1f} | {ratio(a, f)} |"
        )
    if args.explain:
        text = "".join(f"## {label}\n\n```\n{plan}\n```\n\n" for label, plan in plans)
        await asyncio.to_thread(Path(args.explain).write_text, text, encoding="utf-8")


if __name__ == "__main__":
    asyncio.run(main())
