"""Admission plans (发展党员计划): the number an organisation is to admit in a year.

Revision ID: 0026_admission_plans
Revises: 0024_development_steps
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision: str = "0026_admission_plans"
down_revision: str | None = "0024_development_steps"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "admission_plans",
        sa.Column("org_id", sa.Uuid(), nullable=False),
        sa.Column("year", sa.Integer(), nullable=False),
        sa.Column("planned", sa.Integer(), nullable=False),
        sa.Column("set_by", sa.Uuid(), nullable=True),
        sa.Column(
            "created_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.Column(
            "updated_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.CheckConstraint("planned >= 0", name=op.f("ck_admission_plans_planned_not_negative")),
        sa.CheckConstraint(
            "year BETWEEN 2000 AND 2100", name=op.f("ck_admission_plans_year_in_range")
        ),
        sa.ForeignKeyConstraint(
            ["org_id"],
            ["organisations.id"],
            name=op.f("fk_admission_plans_org_id_organisations"),
            ondelete="RESTRICT",
        ),
        sa.PrimaryKeyConstraint("org_id", "year", name=op.f("pk_admission_plans")),
    )


def downgrade() -> None:
    op.drop_table("admission_plans")
