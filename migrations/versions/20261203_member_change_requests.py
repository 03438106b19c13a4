"""Member change requests (信息变更申请) for the /me surface.

Revision ID: 0017_me
Revises: 0016_discipline
Create Date: 2026-12-03 05:00:00.000000+00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0017_me"
down_revision: str | None = "0016_discipline"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "member_change_requests",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("member_id", sa.Uuid(), nullable=False),
        sa.Column("org_path", sa.String(length=1024, collation="C"), nullable=False),
        sa.Column("changes", postgresql.JSONB(astext_type=sa.Text()), nullable=False),
        sa.Column("reason", sa.String(length=500), nullable=True),
        sa.Column("state", sa.String(length=16), nullable=False),
        sa.Column("requested_by", sa.Uuid(), nullable=True),
        sa.Column("decided_by", sa.Uuid(), nullable=True),
        sa.Column("decided_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("decision_reason", sa.String(length=500), nullable=True),
        sa.Column(
            "created_at", sa.DateTime(timezone=True), server_default=sa.func.now(), nullable=False
        ),
        sa.Column(
            "updated_at", sa.DateTime(timezone=True), server_default=sa.func.now(), nullable=False
        ),
        sa.CheckConstraint(
            "state IN ('pending','approved','rejected')",
            name=op.f("ck_member_change_requests_state_known"),
        ),
        sa.ForeignKeyConstraint(
            ["member_id"],
            ["members.id"],
            name=op.f("fk_member_change_requests_member_id_members"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_member_change_requests")),
    )
    op.create_index(
        op.f("ix_member_change_requests_member_id"),
        "member_change_requests",
        ["member_id"],
        unique=False,
    )
    op.create_index(
        "ix_member_change_requests_org_path_state",
        "member_change_requests",
        ["org_path", "state"],
        unique=False,
        postgresql_ops={"org_path": "text_pattern_ops"},
    )


def downgrade() -> None:
    op.drop_index("ix_member_change_requests_org_path_state", table_name="member_change_requests")
    op.drop_index(op.f("ix_member_change_requests_member_id"), table_name="member_change_requests")
    op.drop_table("member_change_requests")
