"""Many distinct subtrees on one connection: what a statement per subtree costs.

With subtree prefixes written into the statement text (app/subtree.py), each subtree has
its own prepared statement; asyncpg's and SQLAlchemy's per-connection statement caches
are LRU (100 each by default), so more subtrees than that on one connection prepare
their statements again on every visit. This script measures that worst case: a server
with one worker and one pooled connection, the page of 50 and the stats of N distinct
branches (N over the caches' size) in turn, twice; it reports the connection's DB CPU
(its backend's utime+stime from /proc) per call of the second pass, and the same for
one branch called N times (every statement cached).

    .venv/bin/python bench/subtree_churn.py --database dj_floor_bench --branches 300 \
        [--plan-cache-mode auto|force_custom_plan]

Needs a database made by `floor_bench.py --keep` (its `bench_admin` user and synth data).
"""

from __future__ import annotations

import argparse
import os
import signal
import statistics
import subprocess
import time
from typing import Any

import httpx
from floor_bench import BIN, PASSWORD, USER, Db, backends, cpu_seconds


def serve(url: str, port: int, mode: str) -> subprocess.Popen[bytes]:
    env = {
        **os.environ,
        "DATABASE_URL": url,
        "DANGJIAN_LOG_LEVEL": "WARNING",
        "DANGJIAN_DB_POOL_SIZE": "1",
        "DANGJIAN_DB_MAX_OVERFLOW": "0",
        "DANGJIAN_DB_PLAN_CACHE_MODE": mode,
    }
    cmd = [str(BIN / "dangjian"), "serve", "--port", str(port), "--no-migrate", "--workers", "1"]
    proc = subprocess.Popen(cmd, env=env, stdout=subprocess.DEVNULL, start_new_session=True)
    for _ in range(300):
        try:
            if httpx.get(f"http://127.0.0.1:{port}/healthz").status_code == 200:
                return proc
        except httpx.TransportError:
            time.sleep(0.1)
    raise SystemExit("server did not start")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--server", default="postgresql://postgres@127.0.0.1:5432/postgres")
    parser.add_argument("--database", default="dj_floor_bench")
    parser.add_argument("--branches", type=int, default=300)
    parser.add_argument("--plan-cache-mode", default="auto")
    parser.add_argument("--port", type=int, default=8140)
    args = parser.parse_args()
    url = args.server.rsplit("/", 1)[0] + "/" + args.database
    db = Db(url)
    branches = [
        r[0]
        for r in db.rows(
            "SELECT id FROM organisations WHERE type = 'branch' ORDER BY node_id LIMIT $1",
            args.branches,
        )
    ]
    others = set(backends(db, "dangjian"))
    proc = serve(url, args.port, args.plan_cache_mode)
    try:
        base = f"http://127.0.0.1:{args.port}"
        token = httpx.post(
            f"{base}/api/v1/auth/token", data={"username": USER, "password": PASSWORD}
        ).json()["access_token"]
        client = httpx.Client(
            base_url=base, timeout=60, headers={"Authorization": f"Bearer {token}"}
        )

        def paths(org: Any) -> dict[str, str]:
            return {
                "page of 50": f"/api/v1/members?within={org}&limit=50",
                "stats": f"/api/v1/organisations/{org}/stats",
            }

        client.get(paths(branches[0])["stats"]).raise_for_status()
        pids = [p for p in backends(db, "dangjian") if p not in others]
        if len(pids) != 1:
            raise SystemExit(f"expected one connection, found {pids}")

        def per_call(name: str, orgs: list[Any]) -> tuple[float, float]:
            times = []
            cpu = cpu_seconds(pids)
            for org in orgs:
                started = time.perf_counter()
                client.get(paths(org)[name]).raise_for_status()
                times.append((time.perf_counter() - started) * 1000)
            return (cpu_seconds(pids) - cpu) / len(orgs) * 1000, statistics.median(times)

        lines = [
            f"plan_cache_mode={args.plan_cache_mode}; {len(branches)} branches; one connection",
            "",
            "| endpoint | DB CPU ms/call, N branches in turn | p50 ms | DB CPU ms/call, one "
            "branch N times | p50 ms |",
            "|---|---|---|---|---|",
        ]
        for name in ("page of 50", "stats"):
            per_call(name, branches)  # first pass: every statement prepared once
            churn = per_call(name, branches)
            per_call(name, branches[:1] * 10)
            same = per_call(name, branches[:1] * len(branches))
            lines.append(
                f"| {name} | {churn[0]:.2f} | {churn[1]:.1f} | {same[0]:.2f} | {same[1]:.1f} |"
            )
        client.close()
    finally:
        os.killpg(proc.pid, signal.SIGINT)
        proc.wait(30)
        db.close()
    print("\n".join(lines))


if __name__ == "__main__":
    main()
