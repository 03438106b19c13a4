"""Kept member counts (migration 0030): DB time of the dashboard's member statement
(`kept_stats.member_groups`) for the synthetic province and a county, kept vs live
(the snapshot deleted in a rolled-back transaction), by EXPLAIN ANALYZE, p50 of N;
then the cost the delta trigger adds to member writes and to a bulk insert.

    DATABASE_URL=postgresql://... python bench/kept_stats_bench.py [--runs 7]

after `dangjian synth` (which builds the snapshot). Writes nothing that stays.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import re
import statistics
from typing import Any

import asyncpg
from sqlalchemy.dialects import postgresql

from app import clock
from app.services.organisations.kept_stats import member_groups


def _sql(path: str) -> tuple[str, list[Any]]:
    """The statement with its values written in (as the app's prefix literal is)."""
    compiled = member_groups(path, clock.today()).compile(
        dialect=postgresql.dialect(), compile_kwargs={"literal_binds": True}
    )
    return str(compiled).replace("%%", "%"), []


async def _explain_ms(conn: asyncpg.Connection, sql: str, args: list[Any]) -> tuple[float, str]:
    lines = [r[0] for r in await conn.fetch("EXPLAIN (ANALYZE, BUFFERS) " + sql, *args)]
    plan = "\n".join(lines)
    found = re.search(r"Execution Time: ([\d.]+) ms", plan)
    assert found, plan
    return float(found.group(1)), plan


async def _timed(conn: asyncpg.Connection, path: str, runs: int, live: bool) -> float:
    sql, args = _sql(path)
    times = []
    for _ in range(runs):
        tr = conn.transaction()
        await tr.start()
        try:
            if live:
                await conn.execute("DELETE FROM member_stat_snapshots")
            times.append((await _explain_ms(conn, sql, args))[0])
        finally:
            await tr.rollback()
    return statistics.median(times)


TRIGGER_CASES = {
    "update a counted column (category)": (
        "UPDATE members SET category = CASE category WHEN 'retired' THEN 'employed' "
        "ELSE 'retired' END WHERE id = (SELECT id FROM members ORDER BY id LIMIT 1)"
    ),
    "update an uncounted column (work_unit)": (
        "UPDATE members SET work_unit = 'x' WHERE id = (SELECT id FROM members ORDER BY id LIMIT 1)"
    ),
    "update org_path of 10k members (as a move rewrites)": (
        "UPDATE members SET org_path = org_path || '' WHERE id IN "
        "(SELECT id FROM members ORDER BY id LIMIT 10000)"
    ),
    "insert 1 member": "INSERT INTO members SELECT * FROM copies LIMIT 1",
    "insert 20k members (INSERT ... SELECT)": "INSERT INTO members SELECT * FROM copies",
}
OURS = ("member_stat_deltas_on_insert", "member_stat_deltas_on_update")


async def _one(conn: asyncpg.Connection, sql: str, enabled: bool) -> tuple[float, float]:
    """(statement ms, ms inside the delta triggers), rolled back."""
    tr = conn.transaction()
    await tr.start()
    try:
        # copies of members with new ids, as left records (outside the living ID index)
        await conn.execute(
            "CREATE TEMP TABLE copies ON COMMIT DROP AS "
            "SELECT * FROM members ORDER BY id LIMIT 20000"
        )
        await conn.execute("UPDATE copies SET id = gen_random_uuid(), status = 'left'")
        if not enabled:
            for name in OURS:
                await conn.execute(f"ALTER TABLE members DISABLE TRIGGER {name}")
        ms, plan = await _explain_ms(conn, sql, [])
        pattern = r"Trigger member_stat_deltas\w*: time=([\d.]+)"
        return ms, sum(float(x) for x in re.findall(pattern, plan))
    finally:
        await tr.rollback()


async def _trigger_costs(conn: asyncpg.Connection, runs: int) -> None:
    print("| statement | trigger on: ms (p50) | of which in the delta trigger | trigger off: ms |")
    print("|---|---|---|---|")
    for name, sql in TRIGGER_CASES.items():
        on = [await _one(conn, sql, True) for _ in range(runs)]
        off = [(await _one(conn, sql, False))[0] for _ in range(runs)]
        print(
            f"| {name} | {statistics.median(t for t, _ in on):.2f} "
            f"| {statistics.median(t for _, t in on):.2f} | {statistics.median(off):.2f} |"
        )


async def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=7)
    runs = parser.parse_args().runs
    conn = await asyncpg.connect(os.environ["DATABASE_URL"])
    await conn.execute("SET jit = off")  # as the app's connections (app/db.py)
    # the trigger measurements below roll back delta rows: dead until vacuumed
    await conn.execute("VACUUM (ANALYZE) member_stat_deltas, member_stat_rollups")
    try:
        province = await conn.fetchval("SELECT path FROM organisations WHERE code = 'SYN-P'")
        county = await conn.fetchval(
            "SELECT path FROM organisations WHERE depth = 2 ORDER BY path LIMIT 1"
        )
        members = {
            p: await conn.fetchval("SELECT count(*) FROM members WHERE org_path LIKE $1", p + "%")
            for p in (province, county)
        }
        print("| subtree | members | live p50 ms | kept p50 ms |")
        print("|---|---|---|---|")
        for name, path in (("province", province), ("county", county)):
            live = await _timed(conn, path, runs, live=True)
            kept = await _timed(conn, path, runs, live=False)
            print(f"| {name} | {members[path]:,} | {live:.1f} | {kept:.2f} |")
        print()
        await _trigger_costs(conn, max(3, runs // 2))
    finally:
        await conn.close()


if __name__ == "__main__":
    asyncio.run(main())
