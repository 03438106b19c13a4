"""The entries of a year dated after a day (`ranking.points_dated_after`): the points
grades of the statistics tables read each member's kept year total (`point_totals`) less
those entries, instead of summing every approved entry of the year in the country for a
branch's tables (a branch at 1M members: 222 ms, the whole year's entries aggregated).

Built `CONCURRENTLY` (outside a transaction): awards go on meanwhile.

Revision ID: 0037_points_dated_after
Revises: 0036_date_flag_indexes
"""

from __future__ import annotations

from alembic import op

revision: str = "0037_points_dated_after"
down_revision: str | None = "0036_date_flag_indexes"
branch_labels = None
depends_on = None

NAME = "ix_point_entries_year_occurred_on"


def upgrade() -> None:
    with op.get_context().autocommit_block():
        op.create_index(
            NAME, "point_entries", ["year", "occurred_on"], postgresql_concurrently=True
        )


def downgrade() -> None:
    with op.get_context().autocommit_block():
        op.drop_index(NAME, table_name="point_entries", postgresql_concurrently=True)
