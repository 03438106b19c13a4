"""Large imports queued on PostgreSQL: the upload kept on the job, a lease, a position.

Revision ID: 0019_import_queue
Revises: 0018_sign_in
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0019_import_queue"
down_revision: str | None = "0018_sign_in"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.add_column("import_jobs", sa.Column("upload", sa.LargeBinary(), nullable=True))
    op.add_column("import_jobs", sa.Column("import_date", sa.Date(), nullable=True))
    op.add_column(
        "import_jobs", sa.Column("position", sa.Integer(), nullable=False, server_default="0")
    )
    op.add_column(
        "import_jobs", sa.Column("lease_until", sa.DateTime(timezone=True), nullable=True)
    )
    op.create_index(
        "ix_import_jobs_queued",
        "import_jobs",
        ["created_at"],
        postgresql_where=sa.text("upload IS NOT NULL"),
    )


def downgrade() -> None:
    op.drop_index("ix_import_jobs_queued", table_name="import_jobs")
    for column in ("lease_until", "position", "import_date", "upload"):
        op.drop_column("import_jobs", column)
