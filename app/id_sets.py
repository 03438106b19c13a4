"""A statement held to a set of ids of any size (the members with a recorded change, the
organisations a subtree held on a past day, a subtree's employed members).

An `IN` list takes one parameter per id, and the protocol allows 32,767 parameters a
statement: past that the statement fails (the statistics tables of a county of 125k
members, 34k of them with a recorded transition, were 503: issue 24). A set that large
goes as one array parameter (`column = ANY($n)`) instead. A smaller one stays an `IN`
list: each length its own statement text, so PostgreSQL plans it knowing how many ids
there are, where one text for every array would, after five runs, let a generic plan
that assumes a few ids serve them all.
"""

from __future__ import annotations

from collections.abc import Collection
from typing import Any

from sqlalchemy import ARRAY, ColumnElement, all_, any_, bindparam

# Parameters left to the rest of the statement below the protocol's 32,767.
LARGEST_LIST = 30_000


def among(column: Any, ids: Collection[Any]) -> ColumnElement[bool]:
    """SQL: `column` is one of `ids` (none: nothing is)."""
    if len(ids) <= LARGEST_LIST:
        return column.in_(ids)  # type: ignore[no-any-return]
    return column == any_(_array(column, ids))  # type: ignore[no-any-return]


def not_among(column: Any, ids: Collection[Any]) -> ColumnElement[bool]:
    """SQL: `column` (never NULL) is none of `ids` (none: every row's is not)."""
    if len(ids) <= LARGEST_LIST:
        return column.not_in(ids)  # type: ignore[no-any-return]
    return column != all_(_array(column, ids))  # type: ignore[no-any-return]


def _array(column: Any, ids: Collection[Any]) -> Any:
    return bindparam(None, list(ids), type_=ARRAY(column.type))
