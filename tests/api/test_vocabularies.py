"""Each vocabulary is one StrEnum; the database's CHECK constraints must agree with it.

`alembic check` does not compare CHECK constraints, so a value added to an enum
without a migration would pass every other check and fail on the first insert.
"""

from __future__ import annotations

import re

from sqlalchemy import CheckConstraint, text

from app.db import get_sessionmaker
from app.models import Base

QUOTED = re.compile(r"'([^']*)'")


async def test_every_check_constraint_in_the_database_allows_exactly_the_models_values():
    declared = {
        constraint.name: set(QUOTED.findall(str(constraint.sqltext)))
        for table in Base.metadata.sorted_tables
        for constraint in table.constraints
        if isinstance(constraint, CheckConstraint)
    }
    async with get_sessionmaker()() as session:
        rows = (
            await session.execute(
                text(
                    "SELECT conname, pg_get_constraintdef(oid) FROM pg_constraint "
                    "WHERE contype = 'c' AND connamespace = 'public'::regnamespace"
                )
            )
        ).all()
    in_database = {name: set(QUOTED.findall(definition)) for name, definition in rows}
    assert set(declared) == set(in_database)
    differing = {
        name: (sorted(values), sorted(in_database[name]))
        for name, values in declared.items()
        if values != in_database[name]
    }
    assert not differing, f"migrate these CHECK constraints (model, database): {differing}"
