"""`dangjian synth`: the synthetic province the benchmarks run on (loaded, checked, rolled back)."""

from __future__ import annotations

import os
from datetime import date

import asyncpg

from app.devtools.synth import BULK_TABLES, LOADED_TABLES, PROVINCE_CODE, synthesise
from app.security.pii import pii_cipher
from app.services.id_numbers import parse_id_number
from app.services.members import ID_FIELD


async def _times_analysed(conn: asyncpg.Connection) -> dict[str, int]:
    """How many times each table was analysed, read afresh (not the transaction's
    snapshot of the statistics)."""
    await conn.execute("SELECT pg_stat_clear_snapshot()")
    rows = await conn.fetch("SELECT relname, analyze_count FROM pg_stat_user_tables")
    return {r["relname"]: r["analyze_count"] for r in rows}


async def test_synth_loads_a_consistent_province_with_valid_encrypted_members():
    conn = await asyncpg.connect(os.environ["DATABASE_URL"])
    transaction = conn.transaction()
    await transaction.start()
    try:
        indexes = "SELECT indexdef FROM pg_indexes WHERE tablename = ANY($1) ORDER BY 1"
        before = await conn.fetch(indexes, list(BULK_TABLES))
        analysed_before = await _times_analysed(conn)
        report = await synthesise(conn, orgs=3000, members=3000)
        # The tables it loaded are analysed; the others are left as they were (never
        # analysed on a new database: an empty table analysed is planned as free).
        analysed = await _times_analysed(conn)
        again = {t for t, n in analysed.items() if n > analysed_before[t]}
        assert again == set(LOADED_TABLES)
        # The plain indexes dropped for the load are all built again, as they were.
        assert await conn.fetch(indexes, list(BULK_TABLES)) == before
        assert report.indexes >= 1
        province = await conn.fetchrow(
            "SELECT id, path FROM organisations WHERE code = $1", PROVINCE_CODE
        )
        levels = {
            (r["depth"], r["type"]): r["n"]
            for r in await conn.fetch(
                "SELECT depth, type, count(*) AS n FROM organisations "
                "WHERE path LIKE $1 GROUP BY depth, type",
                province["path"] + "%",
            )
        }
        # province -> city -> county -> township -> community/unit -> branch -> group
        assert [depth for depth, _ in sorted(levels)] == [0, 1, 2, 3, 4, 5, 6]
        assert levels[(2, "committee")] == 8  # counties
        assert levels[(6, "group")] == report.branches
        assert sum(levels.values()) == report.organisations
        members = await conn.fetch(
            "SELECT m.id_number_enc, m.id_number_index, m.birth_date, m.gender, o.type "
            "FROM members AS m JOIN organisations AS o ON o.id = m.org_id "
            "WHERE m.org_path LIKE $1",
            province["path"] + "%",
        )
        assert len(members) == 3000
        assert {m["type"] for m in members} == {"branch"}
        cipher = pii_cipher()
        for m in members[:200]:
            number = cipher.decrypt(m["id_number_enc"], field=ID_FIELD)
            parsed = parse_id_number(number, today=date(2026, 11, 24))  # checksum, date
            assert parsed.birth_date == m["birth_date"]
            assert parsed.gender == m["gender"]
            assert cipher.blind_index(number, field=ID_FIELD) == m["id_number_index"]
        assert await conn.fetchval(
            "SELECT count(*) FROM meetings WHERE org_path LIKE $1", province["path"] + "%"
        )
        ledger, kept = await conn.fetchrow(
            "SELECT (SELECT sum(points) FROM point_entries "
            "        WHERE state = 'approved' AND org_path LIKE $1), "
            "       (SELECT sum(points) FROM point_totals WHERE org_path LIKE $1)",
            province["path"] + "%",
        )
        assert ledger > 0
        assert kept == ledger
    finally:
        await transaction.rollback()
        await conn.close()
