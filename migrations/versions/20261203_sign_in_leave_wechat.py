"""Meeting sign-in windows and sign-ins, leave requests, WeChat identities and binding codes.

Revision ID: 0018_sign_in
Revises: 0017_me
Create Date: 2026-12-03 04:50:35.152926+00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0018_sign_in"
down_revision: str | None = "0017_me"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "meeting_leave_requests",
        sa.Column("meeting_id", sa.Uuid(), nullable=False),
        sa.Column("member_id", sa.Uuid(), nullable=False),
        sa.Column("reason", sa.String(length=500), nullable=False),
        sa.Column("state", sa.String(length=16), nullable=False),
        sa.Column("requested_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("decided_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("decided_by", sa.Uuid(), nullable=True),
        sa.Column("note", sa.String(length=500), nullable=True),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.CheckConstraint(
            "state IN ('pending','approved','rejected')",
            name=op.f("ck_meeting_leave_requests_state_known"),
        ),
        sa.ForeignKeyConstraint(
            ["meeting_id"],
            ["meetings.id"],
            name=op.f("fk_meeting_leave_requests_meeting_id_meetings"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["member_id"],
            ["members.id"],
            name=op.f("fk_meeting_leave_requests_member_id_members"),
            ondelete="RESTRICT",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_meeting_leave_requests")),
    )
    op.create_index(
        "ix_meeting_leave_requests_meeting",
        "meeting_leave_requests",
        ["meeting_id", "requested_at"],
        unique=False,
    )
    op.create_index(
        op.f("ix_meeting_leave_requests_member_id"),
        "meeting_leave_requests",
        ["member_id"],
        unique=False,
    )
    op.create_index(
        "uq_meeting_leave_requests_live",
        "meeting_leave_requests",
        ["meeting_id", "member_id"],
        unique=True,
        postgresql_where="state <> 'rejected'",
    )
    op.create_table(
        "meeting_sign_in_windows",
        sa.Column("meeting_id", sa.Uuid(), nullable=False),
        sa.Column("secret", sa.LargeBinary(), nullable=False),
        sa.Column("starts_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("code_seconds", sa.Integer(), nullable=False),
        sa.Column("opened_by", sa.Uuid(), nullable=True),
        sa.Column(
            "opened_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False
        ),
        sa.ForeignKeyConstraint(
            ["meeting_id"],
            ["meetings.id"],
            name=op.f("fk_meeting_sign_in_windows_meeting_id_meetings"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("meeting_id", name=op.f("pk_meeting_sign_in_windows")),
    )
    op.create_table(
        "meeting_sign_ins",
        sa.Column("meeting_id", sa.Uuid(), nullable=False),
        sa.Column("member_id", sa.Uuid(), nullable=False),
        sa.Column("signed_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("late", sa.Boolean(), nullable=False),
        sa.Column("proxy", sa.Boolean(), nullable=False),
        sa.Column("recorded_by", sa.Uuid(), nullable=True),
        sa.ForeignKeyConstraint(
            ["meeting_id"],
            ["meetings.id"],
            name=op.f("fk_meeting_sign_ins_meeting_id_meetings"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["member_id"],
            ["members.id"],
            name=op.f("fk_meeting_sign_ins_member_id_members"),
            ondelete="RESTRICT",
        ),
        sa.PrimaryKeyConstraint("meeting_id", "member_id", name=op.f("pk_meeting_sign_ins")),
    )
    op.create_index(
        op.f("ix_meeting_sign_ins_member_id"), "meeting_sign_ins", ["member_id"], unique=False
    )
    op.create_table(
        "wechat_binding_codes",
        sa.Column("code_hash", sa.LargeBinary(), nullable=False),
        sa.Column("user_id", sa.Uuid(), nullable=False),
        sa.Column("issued_by", sa.Uuid(), nullable=True),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("used_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["user_id"],
            ["users.id"],
            name=op.f("fk_wechat_binding_codes_user_id_users"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("code_hash", name=op.f("pk_wechat_binding_codes")),
    )
    op.create_index(
        op.f("ix_wechat_binding_codes_user_id"), "wechat_binding_codes", ["user_id"], unique=False
    )
    op.create_table(
        "wechat_identities",
        sa.Column("user_id", sa.Uuid(), nullable=False),
        sa.Column("openid_index", sa.LargeBinary(), nullable=False),
        sa.Column("openid_enc", sa.LargeBinary(), nullable=False),
        sa.Column("unionid_index", sa.LargeBinary(), nullable=True),
        sa.Column("unionid_enc", sa.LargeBinary(), nullable=True),
        sa.Column("bound_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.ForeignKeyConstraint(
            ["user_id"],
            ["users.id"],
            name=op.f("fk_wechat_identities_user_id_users"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_wechat_identities")),
        sa.UniqueConstraint("openid_index", name=op.f("uq_wechat_identities_openid_index")),
        sa.UniqueConstraint("unionid_index", name=op.f("uq_wechat_identities_unionid_index")),
        sa.UniqueConstraint("user_id", name=op.f("uq_wechat_identities_user_id")),
    )


def downgrade() -> None:
    op.drop_table("wechat_identities")
    op.drop_index(op.f("ix_wechat_binding_codes_user_id"), table_name="wechat_binding_codes")
    op.drop_table("wechat_binding_codes")
    op.drop_index(op.f("ix_meeting_sign_ins_member_id"), table_name="meeting_sign_ins")
    op.drop_table("meeting_sign_ins")
    op.drop_table("meeting_sign_in_windows")
    op.drop_index(
        "uq_meeting_leave_requests_live",
        table_name="meeting_leave_requests",
        postgresql_where="state <> 'rejected'",
    )
    op.drop_index(op.f("ix_meeting_leave_requests_member_id"), table_name="meeting_leave_requests")
    op.drop_index("ix_meeting_leave_requests_meeting", table_name="meeting_leave_requests")
    op.drop_table("meeting_leave_requests")
