"""Synthetic national-scale data (合成数据) for benchmarks, loaded with PostgreSQL COPY.

A province -> cities -> counties -> townships -> communities/units -> branches ->
party groups tree, members spread over the branches (valid ID numbers, encrypted
like real ones), finalized meetings and approved point entries. Rows are generated
and copied in chunks, so memory stays flat; the timing separates generation from
the raw COPY of the same rows.
"""

from __future__ import annotations

import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any

import asyncpg

from app.db import DriverStatement
from app.models.base import new_uuid
from app.models.enums import MemberStatus
from app.security.pii import pii_cipher
from app.security.scope import subtree_prefix
from app.services.id_numbers import make_id_number
from app.services.lifecycle import add_months
from app.services.members import ID_FIELD, PHONE_FIELD
from app.services.organisations.placements import placement_statements

PROVINCE_CODE = "SYN-P"
FANOUT = {"county": 8, "township": 10, "community": 5, "branch": 3}
CHUNK = 20_000
ORG_COLUMNS = (
    "id", "node_id", "code", "name", "type", "parent_id", "path", "depth", "unit_category",
    "version",
)  # fmt: skip
MEMBER_COLUMNS = (
    "id", "name", "id_number_enc", "id_number_index", "phone_enc", "phone_index", "gender",
    "birth_date", "education", "status", "category", "org_id", "org_path", "group_id",
    "applied_on", "activist_on", "candidate_on", "joined_on", "full_on", "status_since",
    "dues_base_fen", "version",
)  # fmt: skip
SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗"
GIVEN = "伟芳娜敏静丽强磊军洋勇艳杰涛明超秀霞平刚"


@dataclass
class Timing:
    rows: int = 0
    generate_s: float = 0.0
    copy_s: float = 0.0

    @property
    def total_s(self) -> float:
        return self.generate_s + self.copy_s


@dataclass
class SynthReport:
    organisations: int
    branches: int
    timings: dict[str, Timing] = field(default_factory=dict)
    # Seconds spent building the indexes dropped for the load, and how many.
    index_s: float = 0.0
    indexes: int = 0


# The bulk-loaded tables: their plain (non-unique, not a constraint's) indexes are
# dropped for the load and built once after it, ~4x faster than keeping them up to date
# row by row. Unique and constraint indexes stay: they are the load's own checks.
BULK_TABLES = ("members", "meetings", "point_entries")
# Every table the load writes (itself or by a trigger): analysed after it. The others
# stay as a new database has them, never analysed, as autovacuum leaves a table nothing
# was written to: PostgreSQL plans such a table as a few pages. Analysed while empty, it
# is planned as free to scan again, and the statistics' anti-joins against it
# (`membership.unchanged`: transitions, transfers) become a nested loop rescanning it
# for every member of the subtree (~0.7 µs a member and table: +1.1 s for the
# province's grouping statement at 1M members; bench/RESULTS.md, session 17).
LOADED_TABLES = (
    "organisations",
    "organisation_placements",
    *BULK_TABLES,
    "point_schemes",
    "point_rules",
    "point_totals",
)


async def _drop_plain_indexes(conn: asyncpg.Connection) -> list[str]:
    """Drop the bulk tables' plain indexes; returns their definitions, to build again."""
    rows = await conn.fetch(
        "SELECT i.indexrelid::regclass::text AS name, pg_get_indexdef(i.indexrelid) AS def "
        "FROM pg_index AS i "
        "WHERE i.indrelid = ANY($1::regclass[]) AND NOT i.indisunique AND NOT i.indisprimary "
        "AND NOT EXISTS (SELECT 1 FROM pg_constraint AS c WHERE c.conindid = i.indexrelid)",
        list(BULK_TABLES),
    )
    for row in rows:
        await conn.execute(f"DROP INDEX {row['name']}")
    return [str(row["def"]) for row in rows]


async def _build_indexes(
    conn: asyncpg.Connection,
    definitions: list[str],
    report: SynthReport,
    progress: Callable[[str, int], None] | None,
) -> None:
    started = time.perf_counter()
    for definition in definitions:
        await conn.execute(definition)
        if progress:
            progress("indexes", 1)
    report.index_s = time.perf_counter() - started
    report.indexes = len(definitions)


@dataclass
class _Org:
    id: uuid.UUID
    path: str
    code: str
    county: int


async def _node_ids(conn: asyncpg.Connection, n: int) -> list[int]:
    rows = await conn.fetch(
        "SELECT nextval(pg_get_serial_sequence('organisations', 'node_id')) AS n "
        "FROM generate_series(1, $1)",
        n,
    )
    return [int(r["n"]) for r in rows]


async def _copy(
    conn: asyncpg.Connection,
    table: str,
    columns: tuple[str, ...],
    rows: list[tuple[Any, ...]],
    timing: Timing,
) -> None:
    started = time.perf_counter()
    await conn.copy_records_to_table(table, records=rows, columns=list(columns))
    timing.copy_s += time.perf_counter() - started
    timing.rows += len(rows)


# One planned organisation: type, name, unit category, index of its parent (-1: root).
_Planned = tuple[str, str, int | None, int]


def _plan_tree(orgs: int) -> tuple[list[_Planned], list[int]]:
    """The tree to load, parents before children, and each node's county number."""
    per_city = 1 + FANOUT["county"] * (
        1 + FANOUT["township"] * (1 + FANOUT["community"] * (1 + FANOUT["branch"] * 2))
    )
    cities = max(1, round((orgs - 1) / per_city))
    plan: list[_Planned] = []
    county_of: list[int] = []

    def add(org_type: str, name: str, category: int | None, parent: int, county: int) -> int:
        plan.append((org_type, name, category, parent))
        county_of.append(county)
        return len(plan) - 1

    province = add("committee", "合成省委", 4, -1, 0)
    county_counter = 0
    for c in range(cities):
        city = add("committee", f"第{c + 1}市委", 4, province, 0)
        for _ in range(FANOUT["county"]):
            county_counter += 1
            county = add("committee", f"第{county_counter}县委", 4, city, county_counter)
            for t in range(FANOUT["township"]):
                town = add("committee", f"第{t + 1}镇党委", 3, county, county_counter)
                for m in range(FANOUT["community"]):
                    community = add("committee", f"第{m + 1}社区党委", 7, town, county_counter)
                    for b in range(FANOUT["branch"]):
                        branch = add("branch", f"第{b + 1}党支部", 7, community, county_counter)
                        add("group", "第一党小组", None, branch, county_counter)
    return plan, county_of


def _org_rows(
    plan: list[_Planned], county_of: list[int], node_ids: list[int]
) -> tuple[list[tuple[Any, ...]], list[_Org]]:
    """COPY rows of the planned tree, with ids and paths, and each node's handle."""
    rows: list[tuple[Any, ...]] = []
    made: list[_Org] = []
    for i, (org_type, name, category, parent) in enumerate(plan):
        org_id = new_uuid()
        parent_path = made[parent].path if parent >= 0 else "/"
        path = f"{parent_path}{node_ids[i]}/"
        code = PROVINCE_CODE if i == 0 else f"SYN-{node_ids[i]}"
        made.append(_Org(org_id, path, code, county_of[i]))
        parent_id = made[parent].id if parent >= 0 else None
        row = (org_id, node_ids[i], code, name, org_type, parent_id, path)
        rows.append((*row, path.count("/") - 2, category, 1))
    return rows, made


async def synthesise(
    conn: asyncpg.Connection,
    *,
    orgs: int,
    members: int,
    progress: Callable[[str, int], None] | None = None,
) -> SynthReport:
    """Load the tree, then members, meetings and point entries into their tables with
    the plain indexes dropped, then build those indexes; returns counts and timings."""
    if not conn.is_in_transaction():  # a failed load must not leave the indexes dropped
        raise RuntimeError("synthesise runs in a transaction (its index drops roll back)")
    if await conn.fetchval("SELECT 1 FROM organisations WHERE code = $1", PROVINCE_CODE):
        raise RuntimeError("synthetic data is already loaded (organisation SYN-P exists)")
    org_timing = Timing()
    started = time.perf_counter()
    plan, county_of = _plan_tree(orgs)
    rows, made = _org_rows(plan, county_of, await _node_ids(conn, len(plan)))
    org_timing.generate_s = time.perf_counter() - started
    await _copy(conn, "organisations", ORG_COLUMNS, rows, org_timing)
    # Their placements: the one writer's statements for a creation, as they are.
    for statement in placement_statements(made[0].path, None):
        placed = DriverStatement.compile(statement)
        await conn.execute(placed.sql, *placed.args())
    branches = [(made[i], made[i + 1]) for i, p in enumerate(plan) if p[0] == "branch"]
    report = SynthReport(organisations=len(plan), branches=len(branches))
    report.timings["organisations"] = org_timing
    if progress:
        progress("organisations", len(plan))
    definitions = await _drop_plain_indexes(conn)
    # The kept member counts no longer hold once these members are in: dropped (the
    # stats answer live) and built again after the load (`dangjian synth`), rather
    # than a delta row per loaded member from the trigger, switched off for the load.
    await conn.execute("DELETE FROM member_stat_snapshots")
    await conn.execute("ALTER TABLE members DISABLE TRIGGER member_stat_deltas_on_insert")
    report.timings["members"] = await _members(conn, members, branches, progress)
    await conn.execute("ALTER TABLE members ENABLE TRIGGER member_stat_deltas_on_insert")
    report.timings["meetings"] = await _meetings(conn, branches)
    report.timings["point_entries"] = await _points(conn, made[0])
    await _build_indexes(conn, definitions, report, progress)
    await conn.execute("ANALYZE " + ", ".join(LOADED_TABLES))
    return report


async def vacuum(conn: asyncpg.Connection) -> None:
    """Set the visibility map after a load (outside any transaction), so index-only
    scans (statistics, rankings) skip the table at once, as they do on a live
    database once autovacuum has passed."""
    await conn.execute("VACUUM ANALYZE members")
    await conn.execute("VACUUM ANALYZE point_totals")


async def _members(
    conn: asyncpg.Connection,
    total: int,
    branches: list[tuple[_Org, _Org]],
    progress: Callable[[str, int], None] | None,
) -> Timing:
    cipher = pii_cipher()
    timing = Timing()
    base = date(1940, 1, 1)
    for start in range(0, total, CHUNK):
        began = time.perf_counter()
        rows = []
        for n in range(start, min(start + CHUNK, total)):
            branch, group = branches[n % len(branches)]
            born = base + timedelta(days=(n * 7919) % 25_000)
            number = make_id_number(
                f"{330100 + branch.county % 90:06d}", born, (n // 25_000) % 1000
            )
            phone = f"139{n:08d}"
            status = MemberStatus.full if n % 10 else MemberStatus.probationary
            joined = min(add_months(born, 360), date(2025, 6, 1))
            full_on = add_months(joined, 12) if status == MemberStatus.full else None
            rows.append(
                (
                    new_uuid(),
                    SURNAMES[n % 20] + GIVEN[(n // 20) % 20] + GIVEN[(n // 400) % 20],
                    cipher.encrypt(number, field=ID_FIELD),
                    cipher.blind_index(number, field=ID_FIELD),
                    cipher.encrypt(phone, field=PHONE_FIELD),
                    cipher.blind_index(phone, field=PHONE_FIELD),
                    "male" if int(number[16]) % 2 else "female",
                    born,
                    ("大学本科", "大专", "高中", "研究生")[n % 4],
                    status,
                    ("employed", "retired", "farmer", "self_employed", "student")[n % 5],
                    branch.id,
                    branch.path,
                    group.id if n % 3 == 0 else None,
                    joined - timedelta(days=900),
                    joined - timedelta(days=800),
                    joined - timedelta(days=200),
                    joined,
                    full_on,
                    full_on or joined,
                    400_000 if n % 5 in (0, 3) else (450_000 if n % 5 == 1 else None),
                    1,
                )
            )
        timing.generate_s += time.perf_counter() - began
        await _copy(conn, "members", MEMBER_COLUMNS, rows, timing)
        if progress:
            progress("members", len(rows))
    return timing


async def _meetings(conn: asyncpg.Connection, branches: list[tuple[_Org, _Org]]) -> Timing:
    timing = Timing()
    began = time.perf_counter()
    rows = []
    held = [
        ("general_meeting", date(2026, 2, 15)),
        ("party_lecture", date(2026, 3, 10)),
        ("theme_day", date(2026, 1, 20)),
        ("theme_day", date(2026, 2, 20)),
    ]
    for n, (branch, _group) in enumerate(branches):
        for meeting_type, day in held[: 4 - n % 2]:  # every other branch misses a theme day
            rows.append(
                (new_uuid(), branch.id, branch.path, meeting_type, day, "学习", "finalized", 1)
            )
    timing.generate_s = time.perf_counter() - began
    columns = ("id", "org_id", "org_path", "type", "held_on", "topic", "state", "version")
    await _copy(conn, "meetings", columns, rows, timing)
    return timing


# A UUID v7 made by the server (PostgreSQL 15 has no uuidv7()): the millisecond clock in
# the first 48 bits of a random UUID, version bits 0111, as `new_uuid` makes client-side.
_UUID7_SQL = (
    "encode(set_bit(set_bit(overlay(uuid_send(gen_random_uuid()) placing "
    "substring(int8send(floor(extract(epoch FROM clock_timestamp()) * 1000)::bigint) FROM 3) "
    "FROM 1 FOR 6), 52, 1), 53, 1), 'hex')::uuid"
)


async def _points(conn: asyncpg.Connection, province: _Org) -> Timing:
    """A province scheme and rule, and one approved entry for every fourth member."""
    timing = Timing()
    began = time.perf_counter()
    rule_id = new_uuid()
    await conn.execute(
        "INSERT INTO point_schemes (id, org_id, org_path, year, base, grade_bands, version) "
        'VALUES ($1, $2, $3, 2026, 100, \'[{"min": 100, "label": "合格"}]\', 1)',
        new_uuid(),
        province.id,
        province.path,
    )
    await conn.execute(
        "INSERT INTO point_rules (id, org_id, org_path, code, name, category, points, "
        "needs_approval, needs_evidence, active, version) "
        "VALUES ($1, $2, $3, 'SYN-SERVICE', '志愿服务', 'bonus', 2, false, false, true, 1)",
        rule_id,
        province.id,
        province.path,
    )
    timing.generate_s = time.perf_counter() - began
    began = time.perf_counter()
    # Server-side INSERT ... SELECT: nothing to generate client-side for these rows.
    result = await conn.execute(
        "INSERT INTO point_entries (id, member_id, org_path, rule_id, rule_version, category, "  # noqa: S608  # a constant expression
        "points, occurred_on, year, source, source_key, state) "
        f"SELECT {_UUID7_SQL}, m.id, m.org_path, $1, 1, 'bonus', "
        "2 * (1 + abs(hashtext(m.id::text)) % 3), DATE '2026-05-01', 2026, 'manual', "
        "'synth:' || m.id, 'approved' "
        "FROM members AS m WHERE m.org_path LIKE $2 AND abs(hashtext(m.id::text)) % 4 = 0",
        rule_id,
        subtree_prefix(province.path),
    )
    timing.copy_s = time.perf_counter() - began
    timing.rows = int(result.split()[-1])
    return timing
