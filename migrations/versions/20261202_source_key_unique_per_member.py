"""A point entry's source key is unique per member, not system-wide.

One subtree could learn that another's keys exist (and could not use them); the rule
"the same source never scores twice" is about one member, so the key is the member's.

Revision ID: 0013_source_key_per_member
Revises: 0012_point_totals
Create Date: 2026-12-02 22:30:00.000000+00:00
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0013_source_key_per_member"
down_revision: str | None = "0012_point_totals"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_unique_constraint(
        "uq_point_entries_member_id_source_key", "point_entries", ["member_id", "source_key"]
    )
    op.drop_constraint("uq_point_entries_source_key", "point_entries", type_="unique")


def downgrade() -> None:
    # Keys that several members now share cannot all stay: every use after the first
    # (by entry id) gets its member id appended, so the system-wide constraint holds.
    op.execute(
        """
        UPDATE point_entries AS e
        SET source_key = left(e.source_key, 163) || '#' || e.member_id::text
        FROM (
            SELECT id, row_number() OVER (PARTITION BY source_key ORDER BY id) AS n
            FROM point_entries
        ) AS d
        WHERE d.id = e.id AND d.n > 1
        """
    )
    op.create_unique_constraint("uq_point_entries_source_key", "point_entries", ["source_key"])
    op.drop_constraint("uq_point_entries_member_id_source_key", "point_entries", type_="unique")
