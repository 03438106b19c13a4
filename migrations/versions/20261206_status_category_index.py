"""The members of a status and a category in tree order, for a member page filtered by
both (`?status=...&category=...`, one value or several of each: one walk per pair,
merged): it stops after the page instead of walking one of the two filters' indexes
and testing the other on every member (bounded only where the other value is common).

Built `CONCURRENTLY` (outside a transaction): writes to `members` go on meanwhile.

Revision ID: 0039_status_category_index
Revises: 0038_dues_paid_through
"""

from __future__ import annotations

from alembic import op

revision: str = "0039_status_category_index"
down_revision: str | None = "0038_dues_paid_through"
branch_labels = None
depends_on = None

NAME = "ix_members_status_category_org_path"


def upgrade() -> None:
    with op.get_context().autocommit_block():
        op.create_index(
            NAME,
            "members",
            ["status", "category", "org_path", "id"],
            postgresql_concurrently=True,
        )


def downgrade() -> None:
    with op.get_context().autocommit_block():
        op.drop_index(NAME, table_name="members", postgresql_concurrently=True)
