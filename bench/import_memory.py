"""Benchmark: the memory one large `POST /imports` takes (upload, checks, queueing).

Usage: python bench/import_memory.py --mb 5 [--server postgresql://postgres@127.0.0.1:5432/postgres]

Creates a scratch database, migrates it, writes a CSV of about `--mb` megabytes to a
temporary file on disk (members rows with a long remark column, dry run, rows refused
later by the worker: only the request is measured) and posts it through the real app
(in-process ASGI, the file streamed by httpx). Prints the tracemalloc peak during the
request and the growth of the process's peak RSS (ru_maxrss) over it. Run one size per
process: the peak RSS only grows. The scratch database is dropped at the end.
"""

from __future__ import annotations

import argparse
import asyncio
import csv
import io
import os
import resource
import tempfile
import time
import tracemalloc
from typing import Any

from scratch import scratch_database  # bench/scratch.py


async def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--mb", type=float, default=5)
    parser.add_argument("--server", default="postgresql://postgres@127.0.0.1:5432/postgres")
    args = parser.parse_args()

    async with scratch_database(args.server):
        await run(int(args.mb * 1_000_000))


def _csv(upload: io.BufferedRandom, size: int) -> int:
    text = io.TextIOWrapper(upload, encoding="utf-8", newline="")
    writer = csv.writer(text)
    writer.writerow(["姓名", "公民身份号码", "所在党组织编码", "党员状态", "人员类别", "备注"])
    rows = 0
    while upload.tell() < size:
        for _ in range(1000):
            writer.writerow(
                [f"党员{rows}", "110105195003030011", "NO-SUCH", "正式党员", "在职", "备" * 80]
            )
            rows += 1
        text.flush()
    text.detach()
    upload.seek(0)
    return rows


async def run(size: int) -> None:

    from app.cli import run_migrations
    from app.db import get_sessionmaker
    from app.main import create_app
    from app.services.users import bootstrap_admin

    await asyncio.to_thread(run_migrations, os.environ["DATABASE_URL"])
    async with get_sessionmaker()() as session, session.begin():
        await bootstrap_admin(session, "bench", "bench-password-123")
    app = create_app()
    with tempfile.TemporaryFile() as upload:
        rows = _csv(upload, size)
        await _post(app, upload, rows)


async def _post(app: Any, upload: io.BufferedRandom, rows: int) -> None:
    import httpx

    from app.db import get_engine

    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=app), base_url="http://bench", timeout=600
    ) as client:
        token = (
            await client.post(
                "/api/v1/auth/token", data={"username": "bench", "password": "bench-password-123"}
            )
        ).json()["access_token"]
        headers = {"Authorization": f"Bearer {token}"}
        rss_before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
        tracemalloc.start()
        started = time.perf_counter()
        r = await client.post(
            "/api/v1/imports",
            params={"kind": "members", "dry_run": "true"},
            files={"file": ("bench.csv", upload)},
            headers=headers,
        )
        elapsed = time.perf_counter() - started
        peak = tracemalloc.get_traced_memory()[1]
        tracemalloc.stop()
        rss_growth = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - rss_before
    await get_engine().dispose()
    size_mb = upload.seek(0, os.SEEK_END) / 1e6
    print(
        f"| {size_mb:.1f} MB | {rows} | {r.status_code} | {peak / 1e6:.1f} MB | "
        f"{rss_growth / 1e3:.1f} MB | {elapsed:.1f} s |"
    )


if __name__ == "__main__":
    asyncio.run(main())
