"""Indexes that bound filtered member pages and rankings by the page, not the subtree.

* `(status, org_path, id)` and `(category, org_path, id)`: a page of one status or one
  category of a subtree, in tree order, is a walk of the index's range that stops after
  the page (it used to read the whole subtree in tree order and drop the other rows);
  their counts are an index-only range.
* `(name varchar_pattern_ops, org_path)`: `?q=` (name starts with) reads the names with
  that prefix, checking the subtree in the index, instead of every member of the subtree.
* `point_totals (year, points DESC, member_id) INCLUDE (org_path)`: a ranking's top
  places are the head of this walk (`app.services.points.ranking`).

Revision ID: 0027_filter_indexes
Revises: 0026_admission_plans
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision: str = "0027_filter_indexes"
down_revision: str | None = "0026_admission_plans"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_index("ix_members_status_org_path", "members", ["status", "org_path", "id"])
    op.create_index("ix_members_category_org_path", "members", ["category", "org_path", "id"])
    op.create_index(
        "ix_members_name_prefix",
        "members",
        ["name", "org_path"],
        postgresql_ops={"name": "varchar_pattern_ops"},
    )
    op.create_index(
        "ix_point_totals_year_points",
        "point_totals",
        ["year", sa.text("points DESC"), "member_id"],
        postgresql_include=["org_path"],
    )


def downgrade() -> None:
    op.drop_index("ix_point_totals_year_points", table_name="point_totals")
    op.drop_index("ix_members_name_prefix", table_name="members")
    op.drop_index("ix_members_category_org_path", table_name="members")
    op.drop_index("ix_members_status_org_path", table_name="members")
