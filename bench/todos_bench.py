"""To-dos (待办) at county scale: how long `GET /todos` and `GET /todos/counts` take for a
county administrator, the principal a badge polls for.

Usage (see bench/README.md), against a synthetic database:
    dangjian synth --orgs 3000 --members 100000          # into DATABASE_URL
    python bench/todos_bench.py --database-url $DATABASE_URL

The app runs in this process (httpx's ASGI transport: no server, no network), so the
time is the app's and the database's. The county is the first of the synthetic
province's counties (1/8 of the members); an org_admin bound to it is created once.
Prints the county's size, each endpoint's p50/p95/max over `--requests` sequential
calls and the to-dos per kind.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import statistics
import time
import uuid

import asyncpg
import httpx

BENCH_USER = "bench_county_admin"
BENCH_PASSWORD = "bench-password-123"


async def ensure_county_admin(conn: asyncpg.Connection) -> tuple[uuid.UUID, str]:
    """An org_admin of the first synthetic county (created once, directly)."""
    from app.security.passwords import hash_password

    county = await conn.fetchrow(
        "SELECT id, path FROM organisations "
        "WHERE depth = 2 AND code LIKE 'SYN-%' ORDER BY node_id LIMIT 1"
    )
    await conn.execute(
        "INSERT INTO users (id, username, password_hash, role, org_id, active, version) "
        "VALUES ($1, $2, $3, 'org_admin', $4, true, 1) ON CONFLICT (username) DO NOTHING",
        uuid.uuid4(),
        BENCH_USER,
        hash_password(BENCH_PASSWORD),
        county["id"],
    )
    return county["id"], county["path"]


async def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--database-url", required=True)
    parser.add_argument("--requests", type=int, default=20)
    args = parser.parse_args()
    os.environ["DATABASE_URL"] = args.database_url
    os.environ.setdefault("DANGJIAN_LOG_LEVEL", "WARNING")
    from app.main import create_app

    conn = await asyncpg.connect(args.database_url)
    try:
        _, path = await ensure_county_admin(conn)
        members = await conn.fetchval(
            "SELECT count(*) FROM members WHERE org_path LIKE $1 || '%'", path
        )
        orgs = await conn.fetchval(
            "SELECT count(*) FROM organisations WHERE path LIKE $1 || '%'", path
        )
    finally:
        await conn.close()
    print(f"county: {orgs:,} organisations, {members:,} members")
    app = create_app()
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=app), base_url="http://bench", timeout=600
    ) as client:
        r = await client.post(
            "/api/v1/auth/token", data={"username": BENCH_USER, "password": BENCH_PASSWORD}
        )
        headers = {"Authorization": f"Bearer {r.json()['access_token']}"}
        calls = {
            "GET /todos?limit=50": ("/api/v1/todos", {"limit": 50}),
            "GET /todos/counts": ("/api/v1/todos/counts", {}),
            "GET /todos?kind=transfer_to_accept": (
                "/api/v1/todos",
                {"kind": "transfer_to_accept", "limit": 50},
            ),
        }
        for name, (url, params) in calls.items():
            times = []
            for _ in range(args.requests):
                start = time.perf_counter()
                r = await client.get(url, params=params, headers=headers)
                times.append((time.perf_counter() - start) * 1000)
                assert r.status_code == 200, r.text[:300]
            times.sort()
            p95 = times[min(len(times) - 1, int(len(times) * 0.95))]
            print(
                f"{name}: p50 {statistics.median(times):.0f} ms, p95 {p95:.0f} ms, "
                f"max {times[-1]:.0f} ms ({args.requests} sequential)"
            )
        r = await client.get("/api/v1/todos/counts", headers=headers)
        print("to-dos per kind:", r.json()["by_kind"], "total", r.json()["total"])


if __name__ == "__main__":
    asyncio.run(main())
