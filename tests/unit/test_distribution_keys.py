"""The schema stays distributable past one primary (README, "Past one primary"): the
organisation tree can be a reference table and the member-keyed tables can be
distributed by `member_id`, colocated with `members` (distributed by `id`).

What holds is asserted; what a distribution would still have to change (Citus wants the
distribution column in every primary key, unique constraint and foreign key between
distributed tables) is listed exactly, so a new table either keeps the rule or is
added here on purpose, and a table that comes to keep it leaves the list.
"""

from __future__ import annotations

from sqlalchemy import UniqueConstraint

import app.models  # noqa: F401  (registers every table)
from app.models.base import Base

TABLES = Base.metadata.tables

# Tables whose primary key is their own `id` without `member_id` (would become
# (member_id, id) when distributed).
PK_WITHOUT_MEMBER = {
    "admission_notices", "community_reports", "development_steps", "dues_payments",
    "dues_reliefs",
    "meeting_leave_requests", "member_change_requests",
    "member_disciplines", "member_rewards", "member_transitions", "mobile_episodes",
    "organisation_leaders", "point_entries", "transfers",
}  # fmt: skip
# Unique constraints and indexes of member-keyed tables without member_id.
UNIQUE_WITHOUT_MEMBER = {
    ("dues_payment_months", "payment_id", "month"),
    ("organisation_leaders", "org_id"),
}
# Foreign keys between member-keyed tables that do not carry member_id (would become
# composite keys), and the other tables' references to a member (an optional member_id
# or a named role: kept by the service when distributed, as Citus refuses a foreign key
# into a distributed table from a table not colocated with it).
MEMBER_FKS_WITHOUT_KEY = {
    ("dues_payment_months", "payment_id"),
    ("point_entries", "reverses_entry_id"),
}
ORG_KEYED_MEMBER_REFERENCES = {
    ("form_numbers", "member_id"),
    ("grids", "leader_id"),
    ("meeting_votes", "member_id"),
    ("meetings", "host_id"),
    ("meetings", "recorder_id"),
    ("users", "member_id"),
}


def _member_keyed() -> set[str]:
    """Tables whose every row belongs to one member (member_id NOT NULL, into members)."""
    return {
        name
        for name, table in TABLES.items()
        if "member_id" in table.c
        and not table.c.member_id.nullable
        and any(fk.column.table.name == "members" for fk in table.c.member_id.foreign_keys)
    }


def test_every_member_keyed_table_finds_its_rows_by_member_through_an_index():
    for name in _member_keyed():
        table = TABLES[name]
        leading = [next(iter(index.columns)).name for index in table.indexes]
        leading.append(next(iter(table.primary_key.columns)).name)
        assert "member_id" in leading, name


def test_the_organisation_tree_refers_to_nothing_but_itself_so_it_can_be_a_reference_table():
    referred = {fk.column.table.name for fk in TABLES["organisations"].foreign_keys}
    assert referred == {"organisations"}


def test_what_a_distribution_by_member_would_still_change_is_exactly_the_listed_keys():
    keyed = _member_keyed()
    without = {n for n in keyed if "member_id" not in TABLES[n].primary_key.columns}
    assert without == PK_WITHOUT_MEMBER
    unique_without = set()
    for name in keyed:
        table = TABLES[name]
        uniques = [c for c in table.constraints if isinstance(c, UniqueConstraint)]
        uniques += [i for i in table.indexes if i.unique]
        for unique in uniques:
            columns = tuple(column.name for column in unique.columns)
            if "member_id" not in columns:
                unique_without.add((name, *columns))
    assert unique_without == UNIQUE_WITHOUT_MEMBER
    between, into_members = set(), set()
    for name, table in TABLES.items():
        for fk in table.foreign_key_constraints:
            columns = tuple(element.parent.name for element in fk.elements)
            target = fk.referred_table.name
            if target == "members" and name not in keyed:
                into_members.add((name, *columns))
            elif name in keyed and target in keyed and "member_id" not in columns:
                between.add((name, *columns))
    assert between == MEMBER_FKS_WITHOUT_KEY
    assert into_members == ORG_KEYED_MEMBER_REFERENCES
