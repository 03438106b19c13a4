"""Admission record: holiday calendar (seeded with the official 2026 days), public notices
(公示), 入党志愿书 number ranges and spent numbers.

Revision ID: 0021_admission_record
Revises: 0020_national_fields
Create Date: 2026-12-03 05:29:37.690510+00:00
"""

from collections.abc import Sequence
from datetime import date

import sqlalchemy as sa
from alembic import op

revision: str = "0021_admission_record"
down_revision: str | None = "0020_national_fields"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# 国务院办公厅关于2026年部分节假日安排的通知: holidays and adjusted working days (调休).
SEED_2026 = [
    ("2026-01-01", "holiday", "元旦"),
    ("2026-01-02", "holiday", "元旦"),
    ("2026-01-03", "holiday", "元旦"),
    ("2026-01-04", "workday", "元旦"),
    ("2026-02-14", "workday", "春节"),
    ("2026-02-15", "holiday", "春节"),
    ("2026-02-16", "holiday", "春节"),
    ("2026-02-17", "holiday", "春节"),
    ("2026-02-18", "holiday", "春节"),
    ("2026-02-19", "holiday", "春节"),
    ("2026-02-20", "holiday", "春节"),
    ("2026-02-21", "holiday", "春节"),
    ("2026-02-22", "holiday", "春节"),
    ("2026-02-23", "holiday", "春节"),
    ("2026-02-28", "workday", "春节"),
    ("2026-04-04", "holiday", "清明节"),
    ("2026-04-05", "holiday", "清明节"),
    ("2026-04-06", "holiday", "清明节"),
    ("2026-05-01", "holiday", "劳动节"),
    ("2026-05-02", "holiday", "劳动节"),
    ("2026-05-03", "holiday", "劳动节"),
    ("2026-05-04", "holiday", "劳动节"),
    ("2026-05-05", "holiday", "劳动节"),
    ("2026-05-09", "workday", "劳动节"),
    ("2026-06-19", "holiday", "端午节"),
    ("2026-06-20", "holiday", "端午节"),
    ("2026-06-21", "holiday", "端午节"),
    ("2026-09-20", "workday", "国庆节"),
    ("2026-09-25", "holiday", "中秋节"),
    ("2026-09-26", "holiday", "中秋节"),
    ("2026-09-27", "holiday", "中秋节"),
    ("2026-10-01", "holiday", "国庆节"),
    ("2026-10-02", "holiday", "国庆节"),
    ("2026-10-03", "holiday", "国庆节"),
    ("2026-10-04", "holiday", "国庆节"),
    ("2026-10-05", "holiday", "国庆节"),
    ("2026-10-06", "holiday", "国庆节"),
    ("2026-10-07", "holiday", "国庆节"),
    ("2026-10-10", "workday", "国庆节"),
]


def upgrade() -> None:
    op.create_table(
        "calendar_days",
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("name", sa.String(length=50), nullable=False),
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
        sa.CheckConstraint(
            "kind IN ('holiday','workday')", name=op.f("ck_calendar_days_kind_known")
        ),
        sa.PrimaryKeyConstraint("day", name=op.f("pk_calendar_days")),
    )
    op.create_table(
        "form_number_ranges",
        sa.Column("org_id", sa.Uuid(), nullable=False),
        sa.Column("org_path", sa.String(length=1024, collation="C"), nullable=False),
        sa.Column("prefix", sa.String(length=20), nullable=False),
        sa.Column("first_number", sa.Integer(), nullable=False),
        sa.Column("last_number", sa.Integer(), nullable=False),
        sa.Column("issued_by", sa.Uuid(), nullable=True),
        sa.Column("id", sa.Uuid(), nullable=False),
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
        sa.CheckConstraint(
            "first_number >= 0 AND last_number >= first_number",
            name=op.f("ck_form_number_ranges_ordered"),
        ),
        sa.ForeignKeyConstraint(
            ["org_id"],
            ["organisations.id"],
            name=op.f("fk_form_number_ranges_org_id_organisations"),
            ondelete="RESTRICT",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_form_number_ranges")),
    )
    op.create_index(
        op.f("ix_form_number_ranges_org_id"), "form_number_ranges", ["org_id"], unique=False
    )
    op.create_table(
        "admission_notices",
        sa.Column("member_id", sa.Uuid(), nullable=False),
        sa.Column("kind", sa.String(length=24), nullable=False),
        sa.Column("starts_on", sa.Date(), nullable=False),
        sa.Column("ends_on", sa.Date(), nullable=False),
        sa.Column("working_days", sa.Integer(), nullable=False),
        sa.Column("recorded_by", sa.Uuid(), nullable=True),
        sa.Column("id", sa.Uuid(), nullable=False),
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
        sa.CheckConstraint(
            "kind IN ('admission','full_membership')", name=op.f("ck_admission_notices_kind_known")
        ),
        sa.CheckConstraint(
            "ends_on >= starts_on", name=op.f("ck_admission_notices_ends_after_start")
        ),
        sa.ForeignKeyConstraint(
            ["member_id"],
            ["members.id"],
            name=op.f("fk_admission_notices_member_id_members"),
            ondelete="RESTRICT",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_admission_notices")),
    )
    op.create_index(
        op.f("ix_admission_notices_member_id"), "admission_notices", ["member_id"], unique=False
    )
    op.create_table(
        "form_numbers",
        sa.Column("range_id", sa.Uuid(), nullable=False),
        sa.Column("number", sa.Integer(), nullable=False),
        sa.Column("state", sa.String(length=8), nullable=False),
        sa.Column("member_id", sa.Uuid(), nullable=True),
        sa.Column("used_on", sa.Date(), nullable=True),
        sa.Column("reason", sa.String(length=500), nullable=True),
        sa.Column("recorded_by", sa.Uuid(), nullable=True),
        sa.Column("id", sa.Uuid(), nullable=False),
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
        sa.CheckConstraint(
            "(state = 'used') = (member_id IS NOT NULL AND used_on IS NOT NULL) AND (state = 'void') = (reason IS NOT NULL)",
            name=op.f("ck_form_numbers_used_or_void"),
        ),
        sa.CheckConstraint("state IN ('used','void')", name=op.f("ck_form_numbers_state_known")),
        sa.ForeignKeyConstraint(
            ["member_id"],
            ["members.id"],
            name=op.f("fk_form_numbers_member_id_members"),
            ondelete="RESTRICT",
        ),
        sa.ForeignKeyConstraint(
            ["range_id"],
            ["form_number_ranges.id"],
            name=op.f("fk_form_numbers_range_id_form_number_ranges"),
            ondelete="RESTRICT",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_form_numbers")),
        sa.UniqueConstraint("range_id", "number", name="uq_form_numbers_range_number"),
    )
    op.create_index(op.f("ix_form_numbers_member_id"), "form_numbers", ["member_id"], unique=False)
    days = sa.table(
        "calendar_days", sa.column("day", sa.Date()), sa.column("kind"), sa.column("name")
    )
    op.bulk_insert(
        days,
        [{"day": date.fromisoformat(d), "kind": kind, "name": name} for d, kind, name in SEED_2026],
    )


def downgrade() -> None:
    op.drop_index(op.f("ix_form_numbers_member_id"), table_name="form_numbers")
    op.drop_table("form_numbers")
    op.drop_index(op.f("ix_admission_notices_member_id"), table_name="admission_notices")
    op.drop_table("admission_notices")
    op.drop_index(op.f("ix_form_number_ranges_org_id"), table_name="form_number_ranges")
    op.drop_table("form_number_ranges")
    op.drop_table("calendar_days")
