"""Subtree prefixes reach statement text as literals: only node ids, slashes and `%`."""

from __future__ import annotations

import pytest
from sqlalchemy import column, select, table

from app.db import DriverStatement
from app.security.scope import like_prefix, subtree_prefix, under
from app.subtree import fill_prefixes, prefix_mark, prefix_sql


def test_a_path_of_node_ids_becomes_a_prefix_literal() -> None:
    assert subtree_prefix("/1/23/456/") == "/1/23/456/%"
    assert prefix_sql("/1/23/%") == "'/1/23/%'"


@pytest.mark.parametrize(
    "path", ["", "/", "1/2/", "/1/2", "/1/a/", "/1/'; DROP TABLE members; --/", "/1/%/", "/1//"]
)
def test_anything_but_a_path_of_node_ids_is_refused(path: str) -> None:
    with pytest.raises(ValueError):
        subtree_prefix(path)
    with pytest.raises(ValueError):
        prefix_sql(path + "%")


def test_a_compiled_once_statement_gets_its_prefix_in_the_text_per_call() -> None:
    members = table("members", column("id"), column("org_path"), column("status"))
    statement = select(members.c.id).where(
        like_prefix(members.c.org_path, "scope"), members.c.status == "full"
    )
    compiled = DriverStatement.compile(statement)
    assert compiled.prefixes == ("scope",)
    sql, args = compiled.bind(scope=subtree_prefix("/1/2/"))
    assert "members.org_path LIKE '/1/2/%'" in sql
    assert args == ("full",)
    with pytest.raises(ValueError):
        compiled.bind(scope="/1/' OR true --%")


def test_hand_written_sql_gets_its_prefix_through_its_mark() -> None:
    sql = "SELECT 1 FROM members WHERE org_path LIKE " + prefix_mark("p")  # noqa: S608
    assert fill_prefixes(sql, {"p": "/7/%"}) == "SELECT 1 FROM members WHERE org_path LIKE '/7/%'"


def test_a_subtree_filter_built_for_one_root_keeps_its_literal_when_compiled_once() -> None:
    members = table("members", column("id"), column("org_path"))
    compiled = DriverStatement.compile(
        select(members.c.id).where(under(members.c.org_path, "/1/2/"))
    )
    assert compiled.prefixes == ()
    assert compiled.bind() == (compiled.sql, ())
    assert "members.org_path LIKE '/1/2/%'" in compiled.sql
