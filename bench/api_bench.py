"""Endpoint benchmark against a running server, beside the same SQL run raw (the floor).

Usage (see bench/README.md):
    dangjian synth --orgs 3000 --members 100000          # into DATABASE_URL
    dangjian serve --port 8100 &                          # same DATABASE_URL
    python bench/api_bench.py --base-url http://127.0.0.1:8100 --database-url $DATABASE_URL

For each endpoint: requests/s and p50/p95 latency through HTTP, then the endpoint's
main SQL executed directly with asyncpg at the same concurrency, and the ratio.
EXPLAIN plans of the floors are written next to the results (--explain FILE).
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import time
import uuid
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

import asyncpg
import httpx

from app.services.points import RANKING_TEMPLATE

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


async def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--base-url", required=True)
    parser.add_argument("--database-url", required=True)
    parser.add_argument("--requests", type=int, default=300)
    parser.add_argument("--report-requests", type=int, default=20)
    parser.add_argument("--concurrency", type=int, default=8)
    parser.add_argument("--explain", default=None)
    args = parser.parse_args()

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
                "SELECT id FROM members WHERE org_path LIKE $1 || '%' LIMIT 500", county["path"]
            )
        ]
        rule = await conn.fetchval("SELECT id FROM point_rules WHERE code = 'SYN-SERVICE'")
        province_path = await conn.fetchval("SELECT path FROM organisations WHERE code = 'SYN-P'")
    county_id, prefix = county["id"], county["path"] + "%"
    async with httpx.AsyncClient(base_url=args.base_url, timeout=120) as client:
        token = (
            await client.post(
                "/api/v1/auth/token", data={"username": BENCH_USER, "password": BENCH_PASSWORD}
            )
        ).json()["access_token"]
        headers = {"Authorization": f"Bearer {token}"}

        async def get(path: str, **params: Any) -> None:
            r = await client.get(path, params=params, headers=headers)
            assert r.status_code == 200, (path, r.status_code, r.text[:200])

        run = uuid.uuid4().hex[:8]

        async def post_entry(i: int) -> None:
            r = await client.post(
                "/api/v1/point-entries",
                json={
                    "member_id": str(sample[i % len(sample)]),
                    "rule_id": str(rule),
                    "occurred_on": "2026-06-01",
                    "source_key": f"bench:{run}:{i}",
                },
                headers=headers,
            )
            assert r.status_code in (200, 201), r.text[:200]

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

        stats_sql = (
            "SELECT category, gender, education, count(*) FROM members "
            "WHERE org_path LIKE $1 AND status NOT IN ('left','deceased') "
            "GROUP BY GROUPING SETS ((category), (gender), (education))"
        )
        compliance_sql = (
            "SELECT m.org_id, m.type, m.held_on, count(a.member_id) FROM meetings AS m "
            "LEFT JOIN meeting_attendees AS a ON a.meeting_id = m.id "
            "WHERE m.org_path LIKE $1 AND m.state = 'finalized' "
            "AND m.held_on >= DATE '2026-01-01' AND m.held_on < DATE '2026-04-01' GROUP BY m.id"
        )
        org_url = f"/api/v1/organisations/{county_id}"
        # The SQL the endpoint sends, with the province scheme as the only base.
        ranking_sql = (
            RANKING_TEMPLATE.format(base="(CASE WHEN m.org_path LIKE $4 THEN 100 ELSE 0 END)")
            .replace(":year", "$1")
            .replace(":prefix", "$2")
            .replace(":limit", "$3")
            .replace("CAST(:me AS uuid)", "NULL::uuid")
        )
        cases: list[tuple[str, int, Callable[[int], Awaitable[Any]], str, list[Any]]] = [
            (
                "GET /members/{id}",
                args.requests,
                lambda i: get(f"/api/v1/members/{sample[i % len(sample)]}"),
                "SELECT * FROM members WHERE id = $1",
                [sample[0]],
            ),
            (
                "GET /members?within=county (page of 50)",
                args.requests,
                lambda i: get("/api/v1/members", within=str(county_id), limit=50),
                "SELECT * FROM members WHERE org_path LIKE $1 ORDER BY org_path, id LIMIT 51",
                [prefix],
            ),
            (
                "GET /organisations/{county}/tree?depth=2",
                args.requests,
                lambda i: get(f"/api/v1/organisations/{county_id}/tree", depth=2),
                "SELECT id, parent_id, code, name, type, depth, dissolved_on FROM organisations "
                "WHERE path LIKE $1 AND depth <= $2 ORDER BY depth, code",
                [prefix, 5],
            ),
            (
                "GET /organisations/{county}/stats",
                args.report_requests,
                lambda i: get(f"/api/v1/organisations/{county_id}/stats"),
                stats_sql,
                [prefix],
            ),
            (
                "GET /organisations/{county}/points/ranking (top 100)",
                args.report_requests,
                lambda i: get(f"{org_url}/points/ranking", year=2026, limit=100),
                ranking_sql,
                [2026, prefix, 100, province_path + "%"],
            ),
            (
                "GET /organisations/{county}/meeting-compliance (Q1)",
                args.report_requests,
                lambda i: get(f"{org_url}/meeting-compliance", year=2026, quarter=1),
                compliance_sql,
                [prefix],
            ),
        ]  # fmt: skip
        rows = []
        plans = []
        for label, n, call, sql, params in cases:
            await call(0)  # warm up
            api = await timed(n, args.concurrency, call)

            async def floor(i: int, sql: str = sql, params: list[Any] = params) -> None:
                async with pool.acquire() as conn:
                    await conn.fetch(sql, *params)

            raw = await timed(n, args.concurrency, floor)
            rows.append((label, api, raw))
            async with pool.acquire() as conn:
                plan = await conn.fetch("EXPLAIN " + sql, *params)
            plans.append((label, "\n".join(r[0] for r in plan)))
        api = await timed(args.requests, args.concurrency, post_entry)
        raw = await timed(args.requests, args.concurrency, floor_entry)
        rows.append(("POST /point-entries", api, raw))
    await pool.close()
    print(f"members: {members_total:,} in all, {county_members:,} in the benchmark county")
    print("| endpoint | API rps | API p50 ms | API p95 ms | SQL rps | SQL p50 ms | p50 ratio |")
    print("|---|---|---|---|---|---|---|")
    for label, a, r in rows:
        ratio = a["p50"] / r["p50"] if r["p50"] else float("nan")
        print(
            f"| {label} | {a['rps']:,.0f} | {a['p50']:.1f} | {a['p95']:.1f} | "
            f"{r['rps']:,.0f} | {r['p50']:.1f} | {ratio:.1f}x |"
        )
    if args.explain:
        text = "".join(f"## {label}\n\n```\n{plan}\n```\n\n" for label, plan in plans)
        await asyncio.to_thread(Path(args.explain).write_text, text, encoding="utf-8")


if __name__ == "__main__":
    asyncio.run(main())
