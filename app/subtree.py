"""Subtree prefixes as statement text: how a prefix made by `scope.subtree_prefix` (the
one place a path prefix is written) reaches a statement.

A subtree filter is `path LIKE '<root path>%'` with the prefix a literal of the
statement's text, never a bind parameter: a prepared statement's generic plan cannot
use the path index for `LIKE $n`, and PostgreSQL switched to one after a few
province-level calls on a connection (issue 24: branch stats 2.3 -> 110 ms at 1M).
With the prefix in the text each subtree has its own prepared statement and plan.
SQLAlchemy statements get it through `app.security.scope` (`under`, `Scope.filter`,
`prefix_param`); driver SQL through `fill_prefixes`. Only node ids, slashes and the
final `%` ever reach the text.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from functools import lru_cache

# An organisation path: node ids between slashes ("/12/345/6789/"); nothing else is ever
# written into statement text as a subtree prefix.
PATH = re.compile(r"/(?:[0-9]+/)+")


def prefix_sql(prefix: str) -> str:
    """The SQL literal of a prefix made by `subtree_prefix`, checked again: only node ids,
    slashes and the final `%` ever reach statement text."""
    if not (prefix.endswith("%") and PATH.fullmatch(prefix[:-1])):
        raise ValueError(f"not a subtree prefix: {prefix!r}")
    return f"'{prefix}'"


def prefix_mark(name: str) -> str:
    """Where a statement's text takes the subtree prefix `name` (filled by `fill_prefixes`)."""
    return f"'__subtree_{name}__'"


def fill_prefixes(sql: str, prefixes: Mapping[str, str]) -> str:
    """`sql` with each `prefix_mark(name)` replaced by the literal of `prefixes[name]`: the
    one place hand-written and compiled-once driver SQL gets its subtree prefixes."""
    return _filled(sql, tuple(prefixes.items())) if prefixes else sql


# The same text object for the same statement and subtree: the driver's statement cache
# looks a statement up by its text, and a new copy of a 12 KB text is hashed and compared
# whole on every call (measured: a member read 1.466 -> 1.394 M instructions). Bounded as the
# driver's own cache of prepared statements is.
@lru_cache(maxsize=256)
def _filled(sql: str, prefixes: tuple[tuple[str, str], ...]) -> str:
    for name, prefix in prefixes:
        sql = sql.replace(prefix_mark(name), prefix_sql(prefix))
    return sql
