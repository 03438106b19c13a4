"""A rotated refresh token keeps the pair it became (encrypted), for the grace window.

Revision ID: 0023_refresh_successor
Revises: 0022_notifications
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision: str = "0023_refresh_successor"
down_revision: str | None = "0022_notifications"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("refresh_tokens", sa.Column("successor_enc", sa.LargeBinary(), nullable=True))


def downgrade() -> None:
    op.drop_column("refresh_tokens", "successor_enc")
