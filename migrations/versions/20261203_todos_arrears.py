"""The dues-arrears to-dos in their page order: `members ((name COLLATE "C"), id)`,
including the member columns the unpaid-dues rule reads (org_path, status, joined_on).

`GET /todos` lists arrears by name (code point order, then id); the page walks this
index in that order and stops after limit + 1 members in arrears, members of other
subtrees passed over in the index, instead of evaluating the rule for every member of
the subtree and sorting them. The count still evaluates the subtree (see
bench/RESULTS.md, "Arrears to-dos bounded by the page").

Revision ID: 0028_todos_arrears
Revises: 0025_attachments
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision: str = "0028_todos_arrears"
down_revision: str | None = "0025_attachments"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_index(
        "ix_members_name_order",
        "members",
        [sa.text('(name COLLATE "C")'), "id"],
        postgresql_include=["org_path", "status", "joined_on"],
    )


def downgrade() -> None:
    op.drop_index("ix_members_name_order", table_name="members")
