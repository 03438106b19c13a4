"""Covering index for subtree statistics: an index-only scan of a subtree's members.

Revision ID: 0011_member_stats_index
Revises: 0010_org_tree_index
Create Date: 2026-11-24 16:41:24.838164+00:00
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0011_member_stats_index"
down_revision: str | None = "0010_org_tree_index"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_index(
        "ix_members_org_path_stats",
        "members",
        ["org_path"],
        unique=False,
        postgresql_include=["id", "status", "category", "gender", "birth_date", "education"],
    )


def downgrade() -> None:
    op.drop_index(
        "ix_members_org_path_stats",
        table_name="members",
        postgresql_include=["id", "status", "category", "gender", "birth_date", "education"],
    )
