"""Organisation placements: where each organisation sat in the tree from which day to
which, so the statistics as of a past date count the subtree as it was then.

Back-filled with every organisation's current parent and path, open at both ends
(moves made before this revision left no placement: the tree as of this revision
stands for every earlier date). And an index on the time of the member updates'
audit rows: the statistics as of a past day read back the details of the members
changed after it.

Revision ID: 0029_stat_history
Revises: 0028_todos_arrears
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision: str = "0029_stat_history"
down_revision: str | None = "0028_todos_arrears"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "organisation_placements",
        sa.Column("id", sa.BigInteger(), sa.Identity(), nullable=False),
        sa.Column("org_id", sa.Uuid(), nullable=False),
        sa.Column("parent_id", sa.Uuid(), nullable=True),
        sa.Column("path", sa.String(length=1024, collation="C"), nullable=False),
        sa.Column("valid_from", sa.Date(), nullable=True),
        sa.Column("valid_to", sa.Date(), nullable=True),
        sa.CheckConstraint(
            "valid_to IS NULL OR valid_from IS NULL OR valid_to >= valid_from",
            name=op.f("ck_organisation_placements_period_order"),
        ),
        sa.ForeignKeyConstraint(
            ["org_id"],
            ["organisations.id"],
            name=op.f("fk_organisation_placements_org_id_organisations"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_organisation_placements")),
    )
    op.create_index(
        op.f("ix_organisation_placements_org_id"), "organisation_placements", ["org_id"]
    )
    op.create_index("ix_organisation_placements_path", "organisation_placements", ["path"])
    op.create_index(
        "ix_organisation_placements_moved",
        "organisation_placements",
        ["path"],
        postgresql_where=sa.text("valid_from IS NOT NULL OR valid_to IS NOT NULL"),
    )
    op.create_index(
        "ix_audit_events_member_updates",
        "audit_events",
        ["occurred_at"],
        postgresql_where=sa.text("action = 'member.updated'"),
    )
    op.execute(
        "INSERT INTO organisation_placements (org_id, parent_id, path) "
        "SELECT id, parent_id, path FROM organisations"
    )


def downgrade() -> None:
    op.drop_index("ix_audit_events_member_updates", table_name="audit_events")
    op.drop_table("organisation_placements")
