"""An import's rows kept on disk (`Spill`): read back as written, and held in memory as
their codes only."""

from __future__ import annotations

import tracemalloc

from app.services.integration.imports.spill import Spill


def _records(n: int):
    for i in range(n):
        yield (
            i + 2,
            {"code": f"C{i}", "parent_code": f"P{i}", "name": "组织" * 40, "note": "x" * 300},
        )


def test_rows_are_read_back_as_written_with_their_codes_kept():
    with Spill(("code", "parent_code"), {"code": "组织编码"}) as spill:
        spill.add(_records(3))
        spill.add([(9, {"code": "Z", "name": "后来"})])
        assert len(spill) == 4
        assert [(n, kept) for n, _, kept in spill.rows] == [
            (2, ("C0", "P0")), (3, ("C1", "P1")), (4, ("C2", "P2")), (9, ("Z", None)),
        ]  # fmt: skip
        assert spill.read(spill.rows[3][1]) == {"code": "Z", "name": "后来"}
        assert spill.read(spill.rows[1][1])["parent_code"] == "P1"


def _peak(n: int) -> int:
    tracemalloc.start()
    try:
        with Spill(("code", "parent_code"), {}) as spill:
            for _ in range(n // 500):
                spill.add(_records(500))
            return tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()


def test_ten_times_the_rows_take_their_codes_not_their_records_in_memory():
    _peak(1_000)  # warm
    small, large = _peak(2_000), _peak(20_000)
    # Each record is ~450 bytes of JSON; held whole (dicts of str) well over 1 KB. Only
    # the index grows with the rows: number, offset and the two codes.
    assert (large - small) / 18_000 < 300, (small, large)
