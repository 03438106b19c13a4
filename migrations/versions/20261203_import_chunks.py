"""A queued import's upload kept in chunks (`import_chunks`), written and read one at a
time, rather than whole in `import_jobs.upload` (which now holds empty bytes as the
queue's marker; a job queued before this revision keeps its bytes there and still runs).

Revision ID: 0032_import_chunks
Revises: 0030_kept_stats
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision: str = "0032_import_chunks"
down_revision: str | None = "0030_kept_stats"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "import_chunks",
        sa.Column("job_id", sa.Uuid(), nullable=False),
        sa.Column("seq", sa.Integer(), nullable=False),
        sa.Column("data", sa.LargeBinary(), nullable=False),
        sa.ForeignKeyConstraint(
            ["job_id"],
            ["import_jobs.id"],
            name=op.f("fk_import_chunks_job_id_import_jobs"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("job_id", "seq", name=op.f("pk_import_chunks")),
    )


def downgrade() -> None:
    op.drop_table("import_chunks")
