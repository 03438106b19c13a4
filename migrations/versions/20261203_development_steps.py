"""The steps of the admission record (发展党员全程纪实): one row per recorded step.

Revision ID: 0024_development_steps
Revises: 0023_refresh_successor
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0024_development_steps"
down_revision: str | None = "0023_refresh_successor"
branch_labels = None
depends_on = None

STEPS = (
    "application", "talk", "recommendation", "activist_decision", "contacts_assigned",
    "activist_review", "candidate_decision", "political_review", "training", "pre_review",
    "notice", "form_issued", "admission_vote", "committee_talk", "approval", "oath",
    "probation_review", "full_application", "full_vote", "full_approval", "filing",
)  # fmt: skip


def upgrade() -> None:
    known = ",".join(f"'{s}'" for s in STEPS)
    op.create_table(
        "development_steps",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("member_id", sa.Uuid(), nullable=False),
        sa.Column("step", sa.String(length=32), nullable=False),
        sa.Column("done_on", sa.Date(), nullable=False),
        sa.Column("responsible_ids", postgresql.ARRAY(sa.Uuid()), nullable=False),
        sa.Column("result", sa.String(length=200), nullable=True),
        sa.Column("notes", sa.String(length=2000), nullable=True),
        sa.Column("hours", sa.Integer(), nullable=True),
        sa.Column("catalogue_version", sa.String(length=16), nullable=False),
        sa.Column("recorded_by", sa.Uuid(), nullable=True),
        sa.Column(
            "created_at", sa.DateTime(timezone=True), server_default=sa.func.now(), nullable=False
        ),
        sa.Column(
            "updated_at", sa.DateTime(timezone=True), server_default=sa.func.now(), nullable=False
        ),
        sa.CheckConstraint(f"step IN ({known})", name=op.f("ck_development_steps_step_known")),
        sa.CheckConstraint(
            "hours IS NULL OR hours > 0", name=op.f("ck_development_steps_hours_positive")
        ),
        sa.ForeignKeyConstraint(
            ["member_id"],
            ["members.id"],
            name=op.f("fk_development_steps_member_id_members"),
            ondelete="RESTRICT",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_development_steps")),
    )
    op.create_index(
        op.f("ix_development_steps_member_id"), "development_steps", ["member_id"], unique=False
    )


def downgrade() -> None:
    op.drop_index(op.f("ix_development_steps_member_id"), table_name="development_steps")
    op.drop_table("development_steps")
