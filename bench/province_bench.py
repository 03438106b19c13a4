"""The province dashboard sequence through the API (issue 24's check): the province's
stats, ranking (top 100), tree, compliance, statistics tables and a page of members,
each called `--runs` times, then a branch's stats and ranking, each `--runs` times;
p50/p95/max wall time per call, in-process (httpx over ASGITransport, so the figure is
the app and the database without a network or an HTTP server).

    DATABASE_URL=postgresql://.../dj_1m python bench/province_bench.py [--runs 20]

on a database loaded by `dangjian synth` with the floor benchmark's `bench_admin` (a
province org_admin: `bench/floor_bench.py --keep` leaves both). Writes audit rows only.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import statistics
import time

import asyncpg
import httpx

from app.main import create_app

USER, PASSWORD = "bench_admin", "bench-password-123"


async def _ids(url: str) -> tuple[str, str, str]:
    conn = await asyncpg.connect(url)
    try:
        province = await conn.fetchval("SELECT id::text FROM organisations WHERE code = 'SYN-P'")
        county = await conn.fetchval(
            "SELECT id::text FROM organisations WHERE depth = 2 AND code LIKE 'SYN-%' "
            "ORDER BY node_id LIMIT 1"
        )
        branch = await conn.fetchval(
            "SELECT o.id::text FROM organisations AS o WHERE o.type = 'branch' "
            "AND o.path LIKE (SELECT path FROM organisations WHERE id = $1) || '%' "
            "ORDER BY o.node_id LIMIT 1",
            county,
        )
    finally:
        await conn.close()
    return province, county, branch


async def _timed(client: httpx.AsyncClient, url: str, auth: dict[str, str], runs: int) -> str:
    times = []
    for _ in range(runs):
        started = time.perf_counter()
        r = await client.get(url, headers=auth)
        times.append((time.perf_counter() - started) * 1000)
        assert r.status_code == 200, (url, r.status_code, r.text[:300])
    times.sort()
    p95 = times[max(0, round(len(times) * 0.95) - 1)]
    return f"{statistics.median(times):.1f} | {p95:.1f} | {times[-1]:.1f}"


async def main(args: argparse.Namespace) -> None:
    url = os.environ["DATABASE_URL"].replace("postgresql+asyncpg://", "postgresql://")
    province, county, branch = await _ids(url)
    app = create_app()
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://bench", timeout=300) as c:
        r = await c.post("/api/v1/auth/token", data={"username": USER, "password": PASSWORD})
        r.raise_for_status()
        auth = {"Authorization": f"Bearer {r.json()['access_token']}"}
        org = "/api/v1/organisations/{}"
        calls = [
            ("province stats", org.format(province) + "/stats"),
            ("province ranking top 100", org.format(province) + "/points/ranking?limit=100"),
            ("province tree depth 2", org.format(province) + "/tree?depth=2"),
            ("province compliance Q1", org.format(province) + "/meeting-compliance?quarter=1"),
            ("province page of 50", f"/api/v1/members?within={province}&limit=50"),
            ("province statistics tables", org.format(province) + "/statistics"),
            ("county stats", org.format(county) + "/stats"),
            ("branch stats", org.format(branch) + "/stats"),
            ("branch ranking top 100", org.format(branch) + "/points/ranking?limit=100"),
        ]
        print(f"runs: {args.runs} each, in order; ms")
        print("| call | p50 | p95 | max |")
        print("|---|---|---|---|")
        for label, path in calls:
            runs = args.statistics_runs if "statistics" in label else args.runs
            print(f"| {label} | {await _timed(c, path, auth, runs)} |", flush=True)


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=20)
    parser.add_argument("--statistics-runs", type=int, default=3)
    asyncio.run(main(parser.parse_args()))
