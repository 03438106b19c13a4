"""Every order a list offers (`?sort=`, each service's `*_SORTABLE`) is an index walk:
the table has an index led by the sort column (ties broken by id, its next column), so
a page of a large subtree stops after the page instead of sorting every match (at 1M
members a province's page sorted by name took a second; bench/RESULTS.md, session 14).
A unique column needs no tie-break; a list read per owner (a user's inbox, a record's
attachments) may lead with the owner's columns, which it filters by equality."""

from __future__ import annotations

import importlib
import re
from pathlib import Path
from typing import Any

from sqlalchemy import Column, Table, UniqueConstraint

APP = Path(__file__).resolve().parents[2] / "app"
# Lists read per owner: the owner's columns, always filtered by equality, lead.
PER_OWNER = {"notifications": ("user_id",), "attachments": ("owner_kind", "owner_id")}


def _sortables() -> dict[str, dict[str, Any]]:
    """Every `*_SORTABLE` of app/services, by module and name."""
    found = {}
    for path in sorted((APP / "services").rglob("*.py")):
        for name in re.findall(r"^([A-Z_]+_SORTABLE)\b", path.read_text(), re.MULTILINE):
            module = ".".join(path.relative_to(APP.parent).with_suffix("").parts)
            found[f"{module}.{name}"] = getattr(importlib.import_module(module), name)
    return found


def _orders(table: Table) -> list[tuple[tuple[str, ...], bool]]:
    """Each index's (and unique constraint's) leading plain columns, and whether unique."""
    out = []
    for index in table.indexes:
        names = []
        for expression in index.expressions:
            if not isinstance(expression, Column):
                break  # an expression (a collation, a function) ends the usable prefix
            names.append(expression.name)
        out.append((tuple(names), bool(index.unique)))
    for constraint in table.constraints:
        if isinstance(constraint, UniqueConstraint):
            out.append((tuple(c.name for c in constraint.columns), True))
    out.append((tuple(c.name for c in table.primary_key.columns), True))
    return out


def _walkable(column: Column[Any]) -> bool:
    table = column.table
    assert isinstance(table, Table)
    prefix = PER_OWNER.get(table.name, ())
    for names, unique in _orders(table):
        if names[: len(prefix)] != prefix or len(names) <= len(prefix):
            continue
        rest = names[len(prefix) :]
        # an owner's few rows need no tie-break column to be read in order
        tie_broken = rest[1:2] == ("id",) or (unique and len(rest) == 1) or bool(prefix)
        if rest[0] == column.name and tie_broken:
            return True
    return False


def test_every_offered_order_is_served_by_an_index_in_that_order():
    sortables = _sortables()
    assert len(sortables) >= 10  # users, meetings, grids, entries, members, ...
    missing = {
        f"{where}[{key}]": f"{attribute.table.name}.{attribute.key}"
        for where, orders in sortables.items()
        for key, attribute in orders.items()
        if not _walkable(attribute.property.columns[0])
    }
    assert missing == {}


def test_the_check_refuses_an_order_with_no_index_and_one_led_by_a_collation():
    from sqlalchemy import Index, Integer, MetaData, String

    table = Table(
        "probe",
        MetaData(),
        Column("id", Integer, primary_key=True),
        Column("name", String),
        Column("age", Integer),
        Column("code", String, unique=True),
    )
    Index("ix_probe_name_c", table.c.name.collate("C"), table.c.id)
    Index("ix_probe_age", table.c.age, table.c.id)
    assert not _walkable(table.c.name)
    assert _walkable(table.c.age)
    assert _walkable(table.c.code)
