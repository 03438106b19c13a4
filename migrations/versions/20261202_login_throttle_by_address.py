"""Login throttling by (username, client address), plus a per-address limit.

Failures from one address no longer lock an account for everyone: the username's
counter is kept per address, and each address has a counter across usernames.
Throttle rows are short-lived state: the upgrade and the downgrade start them afresh.

Revision ID: 0014_login_throttle_by_address
Revises: 0013_source_key_per_member
Create Date: 2026-12-02 23:20:00.000000+00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0014_login_throttle_by_address"
down_revision: str | None = "0013_source_key_per_member"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.execute("DELETE FROM login_throttles")
    op.add_column("login_throttles", sa.Column("address", sa.String(length=64), nullable=False))
    op.drop_constraint("pk_login_throttles", "login_throttles", type_="primary")
    op.create_primary_key("pk_login_throttles", "login_throttles", ["username", "address"])
    op.create_table(
        "login_address_throttles",
        sa.Column("address", sa.String(length=64), nullable=False),
        sa.Column("failures", sa.Integer(), nullable=False),
        sa.Column("last_failure_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("locked_until", sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("address", name=op.f("pk_login_address_throttles")),
    )


def downgrade() -> None:
    op.drop_table("login_address_throttles")
    op.execute("DELETE FROM login_throttles")
    op.drop_constraint("pk_login_throttles", "login_throttles", type_="primary")
    op.drop_column("login_throttles", "address")
    op.create_primary_key("pk_login_throttles", "login_throttles", ["username"])
