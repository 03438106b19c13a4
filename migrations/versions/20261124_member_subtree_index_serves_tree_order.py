"""member subtree index serves tree order

The text_pattern_ops index served LIKE but not ORDER BY org_path; on a "C"-collated
column the default operator class serves both (autogenerate does not see opclasses).

Revision ID: 0009_member_tree_index
Revises: 0008_imports
Create Date: 2026-11-24 13:40:36.176376+00:00
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0009_member_tree_index"
down_revision: str | None = "0008_imports"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.drop_index("ix_members_org_path", table_name="members")
    op.create_index("ix_members_org_path", "members", ["org_path", "id"], unique=False)


def downgrade() -> None:
    op.drop_index("ix_members_org_path", table_name="members")
    op.create_index(
        "ix_members_org_path",
        "members",
        ["org_path", "id"],
        unique=False,
        postgresql_ops={"org_path": "text_pattern_ops"},
    )
