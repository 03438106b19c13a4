"""The floors' hand-written member flags against the app's, on records that raise every flag.

    python bench/floor/flags_check.py

The member read and page floors (member_read.sql, page.sql, both including
flags_days.sql and flags_lateral.sql) write the 13 flags of
app/services/lifecycle/flags.py by hand; the benchmark's answer check only meets the
few that synth members raise. This creates a scratch database (`--database`, dropped at
the end unless --keep), migrates it, loads the demo county, gives its members random
records (mobile episodes, transfers, disciplines and posts, 双报到 registrations, dues
payments and exemptions, status histories, and dates on the member rows), then compares
every member's flags from the floors' SQL with `lifecycle.flags_for` on 47 days. Any
difference, or a flag never raised, fails.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import subprocess
import sys
from collections import Counter
from datetime import date, timedelta
from pathlib import Path

import asyncpg

HERE = Path(__file__).resolve().parent
BIN = Path(sys.executable).parent

# Random records, the same on every run (setseed).
RECORDS = """
SELECT setseed(0.42);
CREATE TEMP TABLE r AS SELECT id, org_id, org_path, random() AS a, random() AS b, random() AS c,
  random() AS d, random() AS e, random() AS f, random() AS g, random() AS h FROM members;
CREATE FUNCTION pg_temp.rd(x float8) RETURNS date LANGUAGE sql AS
  $$ SELECT date '2023-06-01' + (x * 1400)::int $$;  -- 2023-06 .. 2027-04
UPDATE members AS m SET
  talked_on = CASE WHEN r.a < 0.5 THEN NULL ELSE pg_temp.rd(r.b) END,
  applied_on = CASE WHEN r.c < 0.1 THEN NULL ELSE pg_temp.rd(r.c) END,
  joined_on = CASE WHEN r.d < 0.05 THEN NULL ELSE pg_temp.rd(r.d) END,
  admission_approved_on = CASE WHEN r.e < 0.6 THEN NULL ELSE pg_temp.rd(r.e) END,
  probation_extension_months = CASE WHEN r.f < 0.7 THEN NULL ELSE 6 + (r.f * 20)::int % 7 END,
  lost_contact_since = CASE WHEN r.g < 0.7 THEN NULL ELSE pg_temp.rd(r.a) END,
  relocated_on = CASE WHEN r.h < 0.6 THEN NULL ELSE pg_temp.rd(r.b * r.c) END,
  status_since = CASE WHEN r.a < 0.1 THEN NULL ELSE pg_temp.rd(r.h) END
FROM r WHERE r.id = m.id;
-- mobile episodes: one open for a quarter, closed ones for others
INSERT INTO mobile_episodes (id, version, member_id, home_org_id, home_path, destination_area,
  reason, expected_months, certificate_no, location_consent, state, started_on, last_contact_on)
SELECT gen_random_uuid(), 1, r.id, r.org_id, r.org_path, '330100', 'work', 1 + (r.c * 24)::int,
  'C-' || r.id, false,
  (ARRAY['registered', 'hosted', 'returned', 'transferred'])[1 + (r.b * 4)::int % 4],
  pg_temp.rd(r.d * 0.9), pg_temp.rd(r.e)
FROM r WHERE r.a < 0.3;
INSERT INTO mobile_episodes (id, version, member_id, home_org_id, home_path, destination_area,
  reason, expected_months, certificate_no, location_consent, state, started_on, last_contact_on)
SELECT gen_random_uuid(), 1, r.id, r.org_id, r.org_path, '330100', 'work', 3, 'D-' || r.id,
  false, 'returned', pg_temp.rd(r.h), pg_temp.rd(r.g)
FROM r WHERE r.a >= 0.9;
-- transfers
INSERT INTO transfers (id, version, member_id, from_org_id, to_org_id, from_path, to_path,
  state, reason, created_at)
SELECT gen_random_uuid(), 1, r.id, r.org_id, r.org_id, r.org_path, r.org_path,
  (ARRAY['pending', 'accepted', 'rejected', 'cancelled'])[1 + (r.c * 4)::int % 4], 'moved',
  pg_temp.rd(r.f)::timestamp AT TIME ZONE 'UTC' + (r.g * 24) * interval '1 hour'
FROM r WHERE r.b < 0.35;
-- disciplines (probation ones with a period, some concluded), and posts held
INSERT INTO member_disciplines (id, version, member_id, kind, org_id, decided_on,
  document_number, period_years, ends_on, outcome, concluded_on)
SELECT gen_random_uuid(), 1, r.id, k.kind, r.org_id, pg_temp.rd(r.e * 0.8), 'D1',
  CASE WHEN k.kind = 'probation' THEN 1 END,
  CASE WHEN k.kind = 'probation' THEN pg_temp.rd(r.e * 0.8) + 365 END,
  CASE WHEN k.kind = 'probation' AND r.f < 0.3 THEN 'rights_restored' END,
  CASE WHEN k.kind = 'probation' AND r.f < 0.3 THEN pg_temp.rd(r.f) END
FROM r, LATERAL (SELECT (ARRAY['warning', 'serious_warning', 'removal_from_post', 'probation',
  'expulsion'])[1 + (r.d * 5)::int % 5] AS kind) AS k
WHERE r.c < 0.3;
INSERT INTO organisation_leaders (id, version, org_id, member_id, role, started_on, ended_on)
SELECT gen_random_uuid(), 1, r.org_id, r.id, 'organisation_member', pg_temp.rd(r.g * 0.7),
  CASE WHEN r.h < 0.5 THEN NULL ELSE pg_temp.rd(r.g * 0.7) + (r.h * 900)::int END
FROM r WHERE r.c < 0.3 AND r.b < 0.7;
-- 双报到 registrations
INSERT INTO community_reports (id, version, member_id, member_path, community_org_id,
  community_path, registered_on, state, review_year)
SELECT gen_random_uuid(), 1, r.id, r.org_path, r.org_id, r.org_path, pg_temp.rd(r.h),
  CASE WHEN r.b < 0.8 THEN 'active' ELSE 'ended' END,
  CASE WHEN r.c < 0.5 THEN NULL ELSE 2023 + (r.c * 8)::int % 5 END
FROM r WHERE r.e < 0.4;
-- dues: payments of some months, exemptions and reductions
INSERT INTO dues_payments (id, member_id, org_path, amount_fen, paid_on)
SELECT r.id, r.id, r.org_path, 100, date '2025-01-01' FROM r WHERE r.f < 0.5;
INSERT INTO dues_payment_months (member_id, month, payment_id, amount_fen)
SELECT r.id, date '2023-06-01' + n * interval '1 month', r.id, 100
FROM r, generate_series(0, 47) AS n
WHERE r.f < 0.5 AND random() < 0.15;
INSERT INTO dues_reliefs (id, member_id, kind, monthly_fen, from_month, to_month,
  approval_ref, approved_on)
SELECT gen_random_uuid(), r.id, CASE WHEN r.a < 0.5 THEN 'exemption' ELSE 'reduction' END,
  CASE WHEN r.a < 0.5 THEN NULL ELSE 50 END,
  date_trunc('month', pg_temp.rd(r.b)),
  date_trunc('month', pg_temp.rd(r.b)) + (r.c * 10)::int * interval '1 month',
  'ref', date '2024-01-01'
FROM r WHERE r.g < 0.3;
-- status histories
INSERT INTO member_transitions (id, member_id, from_status, to_status, kind, effective_date,
  recorded_at)
SELECT gen_random_uuid(), r.id,
  (ARRAY['candidate', 'probationary', 'full', 'suspended'])[1 + (random() * 4)::int % 4],
  (ARRAY['probationary', 'full', 'suspended', 'left'])[1 + (random() * 4)::int % 4], 'x',
  pg_temp.rd(random()), now() - random() * interval '900 days'
FROM r, generate_series(1, 1 + (r.b * 4)::int) AS n
WHERE r.h < 0.4;
"""


def hand_sql() -> str:
    """The floors' flags (flags_days.sql's `d`, flags_lateral.sql's `f`) over every
    member, today as $1."""
    d = (HERE / "flags_days.sql").read_text()
    lateral = (HERE / "flags_lateral.sql").read_text()
    sql = f"WITH {d}SELECT m.id, f.flags FROM members AS m\n{lateral}"
    assert sql.count(":today") == 1
    return sql.replace(":today", "$1")


async def compare(url: str) -> int:
    from app.db import get_engine, get_sessionmaker
    from app.services.lifecycle import FLAG_CODES, flags_for

    days = [date(2023, 6, 1) + timedelta(days=37 * i) for i in range(40)]
    days += [date(2026, 8, 31), date(2026, 3, 31), date(2024, 2, 29), date(2025, 12, 31)]
    days += [date(2026, 1, 1), date(2026, 12, 3), date(2027, 1, 31)]
    sqls = {"flags_days.sql + flags_lateral.sql": hand_sql()}
    conn = await asyncpg.connect(url)
    ids = [r[0] for r in await conn.fetch("SELECT id FROM members")]
    seen: Counter[str] = Counter()
    bad = 0
    async with get_sessionmaker()() as session:
        for day in days:
            app = await flags_for(session, ids, day)
            for script, sql in sqls.items():
                hand = {r[0]: r[1] for r in await conn.fetch(sql, day)}
                for i in ids:
                    seen.update(app[i])
                    if app[i] != hand[i]:
                        bad += 1
                        if bad <= 10:
                            print(f"differs ({script}, {day}, {i}): app {app[i]}, floor {hand[i]}")
    await conn.close()
    await get_engine().dispose()
    print(f"{len(days)} days x {len(ids)} members x 2 floors: {bad} differences")
    for code in FLAG_CODES:
        print(f"  {code}: raised {seen[code] // 2} times")
    never = [code for code in FLAG_CODES if not seen[code]]
    if never:
        print(f"never raised (not checked): {never}")
    return 1 if bad or never else 0


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--server", default="postgresql://postgres@127.0.0.1:5432/postgres")
    parser.add_argument("--database", default="dj_flags_check")
    parser.add_argument("--keep", action="store_true", help="do not drop the database")
    args = parser.parse_args()
    url = args.server.rsplit("/", 1)[0] + "/" + args.database
    env = {**os.environ, "DATABASE_URL": url, "DANGJIAN_LOG_LEVEL": "WARNING"}
    os.environ.update(env)

    async def admin(sql: str) -> None:
        conn = await asyncpg.connect(args.server)
        await conn.execute(sql)
        await conn.close()

    asyncio.run(admin(f'CREATE DATABASE "{args.database}"'))  # fails if it exists
    try:
        for command in ("migrate", "demo"):
            subprocess.run(
                [str(BIN / "dangjian"), command], env=env, check=True, stdout=subprocess.DEVNULL
            )
        subprocess.run(
            ["psql", "-X", "-q", "-v", "ON_ERROR_STOP=1", "-d", url],
            input=RECORDS,
            text=True,
            check=True,
            stdout=subprocess.DEVNULL,
        )
        status = asyncio.run(compare(url))
    finally:
        if not args.keep:
            asyncio.run(admin(f'DROP DATABASE IF EXISTS "{args.database}" WITH (FORCE)'))
    raise SystemExit(status)


if __name__ == "__main__":
    main()
