"""The annual statistics (党内统计) at county and province scale: how long the JSON tables,
the year's 增减 ledger, the XLSX workbook and the checks (逻辑校验) take, called as the
routes call them.

Usage (see bench/README.md), against a synthetic database:
    dangjian synth --orgs 3000 --members 200000          # into DATABASE_URL
    python bench/statistics_bench.py --database-url $DATABASE_URL [--repeat 3]

The services run in this process on one session (no HTTP): the time is the app's and
the database's. The province is the synthetic root's child (depth 1), the county the
first of its counties (depth 2). Prints each call's median and max over `--repeat`
sequential calls and the member count each covers.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import statistics
import time
from collections.abc import Awaitable, Callable
from datetime import date
from typing import Any


async def _timed(repeat: int, call: Callable[[], Awaitable[Any]]) -> tuple[float, float, Any]:
    times, result = [], None
    for _ in range(repeat):
        start = time.perf_counter()
        result = await call()
        times.append(time.perf_counter() - start)
    return statistics.median(times), max(times), result


async def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--database-url", required=True)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--as-of", default="2026-06-30")
    parser.add_argument("--only", nargs="*", help="calls to run (label prefixes: tables, checks)")
    args = parser.parse_args()
    os.environ["DATABASE_URL"] = args.database_url
    os.environ.setdefault("DANGJIAN_LOG_LEVEL", "WARNING")
    from sqlalchemy import select

    from app.db import get_sessionmaker
    from app.models.organisation import Organisation
    from app.services.organisations import checks, member_changes, stats, workbook

    as_of = date.fromisoformat(args.as_of)
    async with get_sessionmaker()() as session:
        for depth, name in ((1, "province"), (2, "county")):
            org = await session.scalar(
                select(Organisation)
                .where(Organisation.depth == depth)
                .order_by(Organisation.node_id)
                .limit(1)
            )
            assert org is not None
            calls: dict[str, Callable[[], Awaitable[Any]]] = {
                "tables (JSON)": lambda org=org: stats.statistics_tables(session, org, as_of),
                "增减 ledger (year)": lambda org=org: member_changes.member_changes(
                    session, org, as_of.replace(month=1, day=1), as_of
                ),
                "workbook (XLSX)": lambda org=org: workbook.statistics_workbook(
                    session, org, as_of
                ),
                "checks (逻辑校验)": lambda org=org: checks.statistics_checks(session, org, as_of),
            }
            for label, call in calls.items():
                if args.only and not any(label.startswith(p) for p in args.only):
                    continue
                p50, worst, result = await _timed(args.repeat, call)
                size = ""
                if isinstance(result, stats.StatisticsTables):
                    size = f" ({result.members.total:,} members counted)"
                elif isinstance(result, checks.StatisticsChecks):
                    size = f" ({sum(f.count for f in result.failed):,} failing records)"
                elif isinstance(result, bytes):
                    size = f" ({len(result):,} bytes)"
                print(f"{name} {label}: median {p50:.2f} s, max {worst:.2f} s{size}")


if __name__ == "__main__":
    asyncio.run(main())
