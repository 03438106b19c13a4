"""Statements compiled once to asyncpg's SQL (`DriverStatement`), run by `app.db`'s
driver helpers."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from functools import cached_property
from typing import Any

from sqlalchemy import ClauseElement
from sqlalchemy.dialects.postgresql.asyncpg import PGDialect_asyncpg

from app.subtree import fill_prefixes, prefix_mark


@dataclass(frozen=True)
class DriverStatement:
    """A SQLAlchemy statement compiled once to asyncpg's SQL (`$n`) and parameter order.

    Building and compiling a statement per request (cache-key walk, parameter
    processing) costs more than running it; hot statements are compiled at first use
    and only their values are bound per call. Values the statement carries itself
    (literals, constants) are kept; `args(**values)` fills the named bind parameters.
    Subtree prefixes (`scope.prefix_param`) are not parameters: `bind(**values)` writes
    them into the text, so each subtree has its own prepared statement and plan.
    """

    sql: str
    names: tuple[str, ...]
    defaults: tuple[Any, ...]
    prefixes: tuple[str, ...] = ()

    @classmethod
    def compile(cls, statement: ClauseElement) -> DriverStatement:
        dialect = PGDialect_asyncpg()  # type: ignore[no-untyped-call]  # untyped in SQLAlchemy
        compiled: Any = statement.compile(dialect=dialect)
        # Named prefixes without a value (`prefix_param`) come per call; one with a value
        # (`under(column, root)`) stays the literal it was built with.
        literal = compiled.literal_execute_params
        prefixes = tuple(sorted({p.key for p in literal if p.value is None}))
        # Late-rendered values (IN lists, subtree prefixes) rendered once; each prefix as its
        # mark, which `bind` fills per call (`subtree.fill_prefixes`). Parameters without a
        # value stay parameters (their values come per call).
        values = {k: None for k, p in compiled.binds.items() if p.required}
        values.update({n: prefix_mark(n).strip("'") for n in prefixes})
        state = compiled.construct_expanded_state(values, escape_names=False)
        names = tuple(state.positiontup or ())
        defaults = tuple(
            str(v) if isinstance(v, StrEnum) else v for v in (state.parameters[n] for n in names)
        )
        sql = state.statement
        if any(prefix_mark(n) not in sql for n in prefixes):
            raise ValueError(f"a subtree prefix of {prefixes} was not rendered as its mark")
        return cls(sql, names, defaults, prefixes)

    def args(self, **values: Any) -> tuple[Any, ...]:
        """The arguments in `$n` order: the statement's own values, with `values` put at
        the positions of their names (a statement may hold a hundred constants and one
        id: only the id's positions are written)."""
        out = list(self.defaults)
        positions = self._positions
        for name, value in values.items():
            for index in positions.get(name, ()):
                out[index] = value
        return tuple(out)

    @cached_property
    def _positions(self) -> dict[str, tuple[int, ...]]:
        found: dict[str, list[int]] = {}
        for index, name in enumerate(self.names):
            found.setdefault(name, []).append(index)
        return {name: tuple(indexes) for name, indexes in found.items()}

    def bind(self, **values: Any) -> tuple[str, tuple[Any, ...]]:
        """The statement's text with its subtree prefixes, and its arguments."""
        sql = fill_prefixes(self.sql, {n: values[n] for n in self.prefixes})
        return sql, self.args(**values)
