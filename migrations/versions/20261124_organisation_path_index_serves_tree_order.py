"""organisation path index serves tree order

Like 0009 for members: on the "C"-collated path column the default operator class
serves both the subtree LIKE and ORDER BY path (autogenerate does not see opclasses).

Revision ID: 0010_org_tree_index
Revises: 0009_member_tree_index
Create Date: 2026-11-24 13:45:00+00:00
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0010_org_tree_index"
down_revision: str | None = "0009_member_tree_index"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.drop_index("ix_organisations_path", table_name="organisations")
    op.create_index("ix_organisations_path", "organisations", ["path"], unique=False)


def downgrade() -> None:
    op.drop_index("ix_organisations_path", table_name="organisations")
    op.create_index(
        "ix_organisations_path",
        "organisations",
        ["path"],
        unique=False,
        postgresql_ops={"path": "text_pattern_ops"},
    )
