"""In-process driver for attributing the worker CPU of `GET /members/{id}`.

Runs the app behind httpx's ASGITransport against an existing synthetic database
(`dangjian synth`), signs in the bench org_admin (made here if missing), warms up, then
sends `N` member reads (env `N`, default 200) over a fixed set of members and prints the
statements sent per read. Meant to run twice under callgrind (N and N=0) so that the
difference of the instruction counts is N reads' worth, startup excluded:

    valgrind --tool=callgrind --callgrind-out-file=cg.%p N=200 python bench/member_read_profile.py

`PROFILE=cprofile` or `PROFILE=pyinstrument` prints the call tree of the N reads instead.
"""

from __future__ import annotations

import asyncio
import os
import sys
from pathlib import Path
from typing import Any

import asyncpg
import httpx

sys.path.insert(0, str(Path(__file__).resolve().parent))

from api_bench import BENCH_PASSWORD, BENCH_USER, ensure_user


async def main() -> None:
    from sqlalchemy import event

    from app import db
    from app.main import create_app

    n = int(os.environ.get("N", "200"))
    url = os.environ["DATABASE_URL"]
    conn = await asyncpg.connect(url)
    await ensure_user(conn)
    ids = [r["id"] for r in await conn.fetch("SELECT id FROM members ORDER BY id LIMIT 50")]
    await conn.close()

    statements: list[str] = []
    db.driver_statement_hooks.append(lambda sql, args, many: statements.append(sql))
    event.listen(
        db.get_engine().sync_engine,
        "before_cursor_execute",
        lambda conn, cursor, sql, *rest: statements.append(sql),
    )
    app = create_app()
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://bench") as client:
        r = await client.post(
            "/api/v1/auth/token", data={"username": BENCH_USER, "password": BENCH_PASSWORD}
        )
        headers = {"Authorization": f"Bearer {r.json()['access_token']}"}
        for member_id in ids:  # warm-up: every statement prepared, caches filled
            r = await client.get(f"/api/v1/members/{member_id}", headers=headers)
            assert r.status_code == 200, r.text
        statements.clear()
        profiler = _profiler()
        for i in range(n):
            r = await client.get(f"/api/v1/members/{ids[i % len(ids)]}", headers=headers)
            assert r.status_code == 200, r.text
        _report(profiler)
    if n:
        print(f"statements per read (app side, excluding BEGIN/COMMIT): {len(statements) / n}")
        for sql in dict.fromkeys(statements):
            print("  ", sql[:110])


def _profiler() -> Any:
    kind = os.environ.get("PROFILE")
    if kind == "cprofile":
        import cProfile

        profiler = cProfile.Profile()
        profiler.enable()
        return profiler
    if kind == "pyinstrument":
        import pyinstrument

        profiler = pyinstrument.Profiler(interval=0.0002, async_mode="disabled")
        profiler.start()
        return profiler
    return None


def _report(profiler: Any) -> None:
    if profiler is None:
        return
    if hasattr(profiler, "disable"):
        import pstats

        profiler.disable()
        pstats.Stats(profiler).sort_stats("cumulative").print_stats(60)
    else:
        profiler.stop()
        print(profiler.output_text(unicode=False, color=False, show_all=False))


if __name__ == "__main__":
    asyncio.run(main())
