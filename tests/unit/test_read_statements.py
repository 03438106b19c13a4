"""Which driver statements a read session (GET) runs as statements of their own and
which begin its transaction first (`app.db.serve_reads`)."""

from __future__ import annotations

import pytest

from app.db import writes


@pytest.mark.parametrize(
    "sql",
    [
        "SELECT id FROM members WHERE id = $1",
        "  select name, format FROM t",  # a column named like a keyword
        "SELECT 1 FROM unshared_updates",
    ],
)
def test_a_plain_select_runs_as_a_statement_of_its_own(sql: str) -> None:
    assert writes(sql) is False


@pytest.mark.parametrize(
    "sql",
    [
        "INSERT INTO audit_events (action) VALUES ($1)",
        "WITH e AS (INSERT INTO t VALUES (1) RETURNING id) SELECT id FROM e",
        "UPDATE members SET version = version + 1",
        "SELECT 1 FROM members WHERE id = $1 FOR UPDATE",
        "SELECT 1 FROM members WHERE id = $1 for key share",
        "SELECT id FROM point_rules ORDER BY id FOR SHARE",
        "SELECT 1 FROM m FOR NO KEY UPDATE",
    ],
)
def test_a_write_or_a_locking_select_begins_the_transaction_first(sql: str) -> None:
    assert writes(sql) is True
