"""Benchmark: import 50,000 members from one CSV, then re-import it (no changes).

Usage: python bench/import_bench.py [--rows 50000] [--server postgresql://postgres@127.0.0.1:5432/postgres]

Creates a scratch database on the server, migrates it, builds a county with ten
branches, generates a CSV of valid synthetic members, and times `POST /imports`
through the real app (in-process ASGI) until the job reports `finished`. The
scratch database is dropped at the end. Prints a Markdown table row.
"""

from __future__ import annotations

import argparse
import asyncio
import csv
import io
import os
import platform
import time
from datetime import date, timedelta

from scratch import scratch_database  # bench/scratch.py


async def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rows", type=int, default=50_000)
    parser.add_argument("--server", default="postgresql://postgres@127.0.0.1:5432/postgres")
    args = parser.parse_args()

    async with scratch_database(args.server):
        await run(args.rows)


async def run(rows: int) -> None:
    import httpx

    from app.cli import run_migrations
    from app.db import get_engine, get_sessionmaker
    from app.main import create_app
    from app.services.id_numbers import make_id_number
    from app.services.users import bootstrap_admin

    await asyncio.to_thread(run_migrations, os.environ["DATABASE_URL"])
    async with get_sessionmaker()() as session, session.begin():
        await bootstrap_admin(session, "bench", "bench-password-123")
    app = create_app()
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=app), base_url="http://bench", timeout=600
    ) as client:
        token = (
            await client.post(
                "/api/v1/auth/token", data={"username": "bench", "password": "bench-password-123"}
            )
        ).json()["access_token"]
        headers = {"Authorization": f"Bearer {token}"}
        root = (await client.get("/api/v1/auth/me", headers=headers)).json()["org_id"]
        county = (
            await client.post(
                "/api/v1/organisations",
                json={"code": "BENCH", "name": "县委", "type": "committee", "parent_id": root},
                headers=headers,
            )
        ).json()
        branches = []
        for i in range(10):
            r = await client.post(
                "/api/v1/organisations",
                json={
                    "code": f"BENCH-B{i}",
                    "name": f"支部{i}",
                    "type": "branch",
                    "parent_id": county["id"],
                },
                headers=headers,
            )
            branches.append(r.json()["code"])
        out = io.StringIO()
        writer = csv.writer(out)
        writer.writerow(
            [
                "姓名",
                "公民身份号码",
                "所在党组织编码",
                "党员状态",
                "人员类别",
                "联系电话",
                "入党日期",
            ]
        )
        for n in range(rows):
            born = date(1950, 1, 1) + timedelta(days=n // 900)
            number = make_id_number("330106", born, n % 900)
            writer.writerow(
                [
                    f"党员{n}",
                    number,
                    branches[n % 10],
                    "正式党员",
                    "在职",
                    f"139{n:08d}",
                    "2010-07-01",
                ]
            )
        content = out.getvalue().encode("utf-8")
        results = []
        for label in ("first import", "re-import (no changes)"):
            started = time.perf_counter()
            r = await client.post(
                "/api/v1/imports",
                params={"kind": "members"},
                files={"file": ("bench.csv", content)},
                headers=headers,
            )
            job = r.json()
            while job["state"] == "running":
                await asyncio.sleep(0.2)
                job = (await client.get(f"/api/v1/imports/{job['id']}", headers=headers)).json()
            elapsed = time.perf_counter() - started
            results.append((label, job, elapsed))
    await get_engine().dispose()
    machine = platform.processor() or platform.machine()
    print(f"machine: {machine}, {os.cpu_count()} cores, Python {platform.python_version()}")
    print("| run | rows | created | unchanged | rejected | seconds | rows/s |")
    print("|---|---|---|---|---|---|---|")
    for label, job, elapsed in results:
        print(
            f"| {label} | {job['total_rows']} | {job['created']} | {job['unchanged']} | "
            f"{len(job['rejected'])} | {elapsed:.1f} | {job['total_rows'] / elapsed:,.0f} |"
        )


if __name__ == "__main__":
    asyncio.run(main())
