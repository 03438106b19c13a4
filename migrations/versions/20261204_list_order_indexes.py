"""Indexes for the orders the lists offer (`?sort=`): each led by the sort column and
then the id that breaks ties, so a page of a large subtree is a walk of the index that
stops after the page instead of a sort of every match (a province's page of members
by name: about a second at 1M members). The organisations' path index gains the id for
the same reason (tree order is path, then id). tests/unit/test_list_order_indexes.py
enumerates every offered order.

Revision ID: 0034_list_order_indexes
Revises: 0033_table_versions
"""

from __future__ import annotations

from alembic import op

revision: str = "0034_list_order_indexes"
down_revision: str | None = "0033_table_versions"
branch_labels = None
depends_on = None

ORDERS = [
    ("ix_members_name_id", "members", ["name", "id"]),
    ("ix_members_birth_date_id", "members", ["birth_date", "id"]),
    ("ix_members_created_at_id", "members", ["created_at", "id"]),
    ("ix_members_status_id", "members", ["status", "id"]),
    ("ix_point_entries_created_at_id", "point_entries", ["created_at", "id"]),
    ("ix_transfers_created_at_id", "transfers", ["created_at", "id"]),
    ("ix_mobile_episodes_started_on_id", "mobile_episodes", ["started_on", "id"]),
    ("ix_meetings_held_on_id", "meetings", ["held_on", "id"]),
    ("ix_member_change_requests_created_at_id", "member_change_requests", ["created_at", "id"]),
    ("ix_organisations_name_id", "organisations", ["name", "id"]),
    ("ix_organisations_depth_id", "organisations", ["depth", "id"]),
    ("ix_organisations_created_at_id", "organisations", ["created_at", "id"]),
]


def upgrade() -> None:
    for name, table, columns in ORDERS:
        op.create_index(name, table, columns)
    op.drop_index("ix_organisations_path", table_name="organisations")
    op.create_index("ix_organisations_path", "organisations", ["path", "id"])


def downgrade() -> None:
    op.drop_index("ix_organisations_path", table_name="organisations")
    op.create_index("ix_organisations_path", "organisations", ["path"])
    for name, table, _ in reversed(ORDERS):
        op.drop_index(name, table_name=table)
