"""Discipline (党纪处分) and rewards (表彰) on members; relocation date for transfer flags.

Revision ID: 0016_discipline
Revises: 0015_points_dues
Create Date: 2026-12-03 04:10:00.000000+00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0016_discipline"
down_revision: str | None = "0015_points_dues"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def _timestamps() -> list[sa.Column[object]]:
    return [
        sa.Column(
            "created_at", sa.DateTime(timezone=True), server_default=sa.func.now(), nullable=False
        ),
        sa.Column(
            "updated_at", sa.DateTime(timezone=True), server_default=sa.func.now(), nullable=False
        ),
    ]


def upgrade() -> None:
    op.add_column("members", sa.Column("relocated_on", sa.Date(), nullable=True))
    op.create_table(
        "member_disciplines",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("member_id", sa.Uuid(), nullable=False),
        sa.Column("kind", sa.String(length=24), nullable=False),
        sa.Column("org_id", sa.Uuid(), nullable=False),
        sa.Column("decided_on", sa.Date(), nullable=False),
        sa.Column("document_number", sa.String(length=100), nullable=False),
        sa.Column("reason", sa.String(length=500), nullable=True),
        sa.Column("period_years", sa.SmallInteger(), nullable=True),
        sa.Column("ends_on", sa.Date(), nullable=True),
        sa.Column("outcome", sa.String(length=16), nullable=True),
        sa.Column("concluded_on", sa.Date(), nullable=True),
        sa.Column("conclusion_document", sa.String(length=100), nullable=True),
        sa.Column("recorded_by", sa.Uuid(), nullable=True),
        sa.Column("version", sa.Integer(), nullable=False),
        *_timestamps(),
        sa.CheckConstraint(
            "kind IN ('warning','serious_warning','removal_from_post','probation','expulsion')",
            name=op.f("ck_member_disciplines_kind_known"),
        ),
        sa.CheckConstraint(
            "outcome IS NULL OR outcome IN ('rights_restored','expelled')",
            name=op.f("ck_member_disciplines_outcome_known"),
        ),
        sa.CheckConstraint(
            "(kind = 'probation') = (period_years IS NOT NULL AND ends_on IS NOT NULL)",
            name=op.f("ck_member_disciplines_probation_has_period"),
        ),
        sa.CheckConstraint(
            "period_years IS NULL OR period_years IN (1, 2)",
            name=op.f("ck_member_disciplines_period_1_or_2"),
        ),
        sa.CheckConstraint(
            "(outcome IS NULL) = (concluded_on IS NULL) "
            "AND (outcome IS NULL OR kind = 'probation')",
            name=op.f("ck_member_disciplines_outcome_only_for_probation"),
        ),
        sa.ForeignKeyConstraint(
            ["member_id"],
            ["members.id"],
            name=op.f("fk_member_disciplines_member_id_members"),
            ondelete="RESTRICT",
        ),
        sa.ForeignKeyConstraint(
            ["org_id"],
            ["organisations.id"],
            name=op.f("fk_member_disciplines_org_id_organisations"),
            ondelete="RESTRICT",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_member_disciplines")),
    )
    op.create_index(
        op.f("ix_member_disciplines_member_id"), "member_disciplines", ["member_id"], unique=False
    )
    op.create_table(
        "member_rewards",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("member_id", sa.Uuid(), nullable=False),
        sa.Column("title", sa.String(length=200), nullable=False),
        sa.Column("level", sa.String(length=16), nullable=False),
        sa.Column("awarded_on", sa.Date(), nullable=False),
        sa.Column("org_id", sa.Uuid(), nullable=False),
        sa.Column("document_number", sa.String(length=100), nullable=False),
        sa.Column("recorded_by", sa.Uuid(), nullable=True),
        *_timestamps(),
        sa.CheckConstraint(
            "level IN ('national','provincial','municipal','county','basic')",
            name=op.f("ck_member_rewards_level_known"),
        ),
        sa.ForeignKeyConstraint(
            ["member_id"],
            ["members.id"],
            name=op.f("fk_member_rewards_member_id_members"),
            ondelete="RESTRICT",
        ),
        sa.ForeignKeyConstraint(
            ["org_id"],
            ["organisations.id"],
            name=op.f("fk_member_rewards_org_id_organisations"),
            ondelete="RESTRICT",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_member_rewards")),
    )
    op.create_index(
        op.f("ix_member_rewards_member_id"), "member_rewards", ["member_id"], unique=False
    )


def downgrade() -> None:
    op.drop_index(op.f("ix_member_rewards_member_id"), table_name="member_rewards")
    op.drop_table("member_rewards")
    op.drop_index(op.f("ix_member_disciplines_member_id"), table_name="member_disciplines")
    op.drop_table("member_disciplines")
    op.drop_column("members", "relocated_on")
