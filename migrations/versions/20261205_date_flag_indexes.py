"""The date flags of one status, for `?flag=` pages and the to-dos: a partial index of
that status's members by the flag's date (and the tree path), so a flag few members
carry is found from its range instead of by testing every member of the status (a
province at 1M members with no probation ending: 327 ms). `ix_members_probation_end`
indexes the expression `Member.probation_ends_on_sql` renders, constant for constant.

Built `CONCURRENTLY` (outside a transaction): writes to `members` go on meanwhile.

Revision ID: 0036_date_flag_indexes
Revises: 0035_lost_contact_index
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision: str = "0036_date_flag_indexes"
down_revision: str | None = "0035_lost_contact_index"
branch_labels = None
depends_on = None


PROBATION_END = (
    "CAST(joined_on + make_interval(0, 12 + coalesce(probation_extension_months, 0)) AS DATE)"
)
# name: (the indexed date, the rows it holds)
INDEXES = {
    "ix_members_awaiting_talk": ("applied_on", "status = 'applicant' AND talked_on IS NULL"),
    "ix_members_awaiting_approval": (
        "joined_on",
        "status = 'probationary' AND admission_approved_on IS NULL",
    ),
    "ix_members_suspended_since": ("status_since", "status = 'suspended'"),
    "ix_members_probation_end": (PROBATION_END, "status = 'probationary'"),
}


def upgrade() -> None:
    with op.get_context().autocommit_block():
        for name, (day, rows) in INDEXES.items():
            op.create_index(
                name,
                "members",
                [sa.text(day), "org_path"],
                postgresql_where=sa.text(rows),
                postgresql_concurrently=True,
            )


def downgrade() -> None:
    with op.get_context().autocommit_block():
        for name in INDEXES:
            op.drop_index(name, table_name="members", postgresql_concurrently=True)
