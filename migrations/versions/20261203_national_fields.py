"""The national collection form's fields: a member's degree, post, new social stratum and
hardship; an organisation's contact, 行政区划 code, the unit's details, the right to
approve probationary members and its id in the national system. Existing rows keep NULL
(not recorded) and `may_approve_probationary` false.

Revision ID: 0020_national_fields
Revises: 0019_import_queue
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0020_national_fields"
down_revision: str | None = "0019_import_queue"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

MEMBER_COLUMNS = ("degree", "post", "new_social_stratum", "hardship")
ORG_STRINGS = (
    ("contact_person", 100),
    ("division_code", 6),
    ("unit_type", 32),
    ("economic_type", 32),
    ("unit_size", 32),
)


def upgrade() -> None:
    for name in MEMBER_COLUMNS:
        op.add_column("members", sa.Column(name, sa.String(32), nullable=True))
    for name, length in ORG_STRINGS:
        op.add_column("organisations", sa.Column(name, sa.String(length), nullable=True))
    op.add_column("organisations", sa.Column("contact_phone_enc", sa.LargeBinary(), nullable=True))
    op.add_column(
        "organisations",
        sa.Column(
            "may_approve_probationary",
            sa.Boolean(),
            nullable=False,
            server_default=sa.text("false"),
        ),
    )
    op.add_column("organisations", sa.Column("national_id", sa.String(64), nullable=True))
    op.create_unique_constraint(
        op.f("uq_organisations_national_id"), "organisations", ["national_id"]
    )


def downgrade() -> None:
    op.drop_constraint(op.f("uq_organisations_national_id"), "organisations", type_="unique")
    for name in ("national_id", "may_approve_probationary", "contact_phone_enc"):
        op.drop_column("organisations", name)
    for name, _ in ORG_STRINGS:
        op.drop_column("organisations", name)
    for name in MEMBER_COLUMNS:
        op.drop_column("members", name)
