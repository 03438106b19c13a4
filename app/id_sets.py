"""A statement held to a set of ids of any size (the members with a recorded change, the
organisations a subtree held on a past day): one array parameter, `column = ANY($n)`,
never an expanding `IN ($1, $2, ...)` list, which takes one parameter per id and fails
past the protocol's 32,767 parameters a statement (a county of 125k members, 34k of them
with a recorded transition, could not be counted: issue 24)."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from sqlalchemy import ARRAY, ColumnElement, all_, any_, bindparam


def among(column: Any, ids: Iterable[Any]) -> ColumnElement[bool]:
    """SQL: `column` is one of `ids` (none: nothing is)."""
    return column == any_(_array(column, ids))  # type: ignore[no-any-return]


def not_among(column: Any, ids: Iterable[Any]) -> ColumnElement[bool]:
    """SQL: `column` (never NULL) is none of `ids` (none: every row's is not)."""
    return column != all_(_array(column, ids))  # type: ignore[no-any-return]


def _array(column: Any, ids: Iterable[Any]) -> Any:
    return bindparam(None, list(ids), type_=ARRAY(column.type))
