"""Kept member counts for `GET /organisations/{id}/stats`: daily snapshots of the
counts per organisation subtree path (`member_stat_rollups`, built by the worker) and
the changes since (`member_stat_deltas`), written by statement-level triggers on
`members` (transition tables: a bulk INSERT, an import batch or a subtree move is one
INSERT ... SELECT, not one call per row), so every writer of members is counted.

* INSERT: +1 row of each new member's counted columns;
* DELETE: -1 row of each deleted member's;
* UPDATE: for each member whose counted columns (org_path, status, category, gender,
  education, birth_date) changed, -1 of the old values and +1 of the new. A pure path
  rewrite (a subtree move) is such a change: rollups are keyed by the path at the
  snapshot and are not rewritten, so the move is what takes the branch's members out
  of the old ancestors' counts and into the new ones';
* TRUNCATE: the kept counts are dropped (the stats answer live until the next snapshot).

The rules the counts are grouped by (current members, education default, age bands)
are not here: the deltas copy the raw columns, and the reads group them with the same
SQLAlchemy expressions as the live query and the rollups (`organisations.tally`).

Revision ID: 0030_kept_stats
Revises: 0029_stat_history
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision: str = "0030_kept_stats"
down_revision: str | None = "0029_stat_history"
branch_labels = None
depends_on = None

RECORD = """
CREATE FUNCTION member_stat_deltas_record() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'INSERT' THEN
        INSERT INTO member_stat_deltas (org_path, status, category, gender, education, birth_date, n)
        SELECT org_path, status, category, gender, education, birth_date, 1 FROM new_rows;
    ELSIF TG_OP = 'DELETE' THEN
        INSERT INTO member_stat_deltas (org_path, status, category, gender, education, birth_date, n)
        SELECT org_path, status, category, gender, education, birth_date, -1 FROM old_rows;
    ELSE
        INSERT INTO member_stat_deltas (org_path, status, category, gender, education, birth_date, n)
        SELECT v.* FROM old_rows AS o JOIN new_rows AS w ON w.id = o.id
        CROSS JOIN LATERAL (VALUES
            (o.org_path, o.status, o.category, o.gender, o.education, o.birth_date, -1),
            (w.org_path, w.status, w.category, w.gender, w.education, w.birth_date, 1)
        ) AS v
        WHERE (o.org_path, o.status, o.category, o.gender, o.education, o.birth_date)
            IS DISTINCT FROM
            (w.org_path, w.status, w.category, w.gender, w.education, w.birth_date);
    END IF;
    RETURN NULL;
END
$$
"""

DROP_KEPT = """
CREATE FUNCTION member_stat_dropped() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    DELETE FROM member_stat_rollups;
    DELETE FROM member_stat_snapshots;
    DELETE FROM member_stat_deltas;
    RETURN NULL;
END
$$
"""

TRIGGERS = (
    "CREATE TRIGGER member_stat_deltas_on_insert AFTER INSERT ON members "
    "REFERENCING NEW TABLE AS new_rows "
    "FOR EACH STATEMENT EXECUTE FUNCTION member_stat_deltas_record()",
    "CREATE TRIGGER member_stat_deltas_on_update AFTER UPDATE ON members "
    "REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows "
    "FOR EACH STATEMENT EXECUTE FUNCTION member_stat_deltas_record()",
    "CREATE TRIGGER member_stat_deltas_on_delete AFTER DELETE ON members "
    "REFERENCING OLD TABLE AS old_rows "
    "FOR EACH STATEMENT EXECUTE FUNCTION member_stat_deltas_record()",
    "CREATE TRIGGER member_stat_on_truncate AFTER TRUNCATE ON members "
    "FOR EACH STATEMENT EXECUTE FUNCTION member_stat_dropped()",
)


def upgrade() -> None:
    op.create_table(
        "member_stat_snapshots",
        sa.Column("id", sa.BigInteger(), autoincrement=True, nullable=False),
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column(
            "built_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.Column("members", sa.Integer(), nullable=False),
        sa.Column("folded", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_member_stat_snapshots")),
        sa.UniqueConstraint("day", name=op.f("uq_member_stat_snapshots_day")),
    )
    op.create_table(
        "member_stat_rollups",
        sa.Column("snapshot_id", sa.BigInteger(), nullable=False),
        sa.Column("path", sa.String(length=1024, collation="C"), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("category", sa.String(length=16), nullable=False),
        sa.Column("gender", sa.String(length=8), nullable=False),
        sa.Column("education", sa.String(length=32), nullable=False),
        sa.Column("band", sa.String(length=8), nullable=False),
        sa.Column("n", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint(
            "snapshot_id",
            "path",
            "status",
            "category",
            "gender",
            "education",
            "band",
            name=op.f("pk_member_stat_rollups"),
        ),
    )
    op.create_table(
        "member_stat_deltas",
        sa.Column("id", sa.BigInteger(), autoincrement=True, nullable=False),
        sa.Column("org_path", sa.String(length=1024, collation="C"), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("category", sa.String(length=16), nullable=False),
        sa.Column("gender", sa.String(length=8), nullable=False),
        sa.Column("education", sa.String(length=32), nullable=True),
        sa.Column("birth_date", sa.Date(), nullable=False),
        sa.Column("n", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_member_stat_deltas")),
    )
    op.create_index(
        "ix_member_stat_deltas_org_path",
        "member_stat_deltas",
        ["org_path"],
        unique=False,
        postgresql_include=["status", "category", "gender", "education", "birth_date", "n"],
    )
    op.execute(RECORD)
    op.execute(DROP_KEPT)
    for statement in TRIGGERS:
        op.execute(statement)


def downgrade() -> None:
    for name in (
        "member_stat_deltas_on_insert",
        "member_stat_deltas_on_update",
        "member_stat_deltas_on_delete",
        "member_stat_on_truncate",
    ):
        op.execute(f"DROP TRIGGER {name} ON members")
    op.execute("DROP FUNCTION member_stat_dropped()")
    op.execute("DROP FUNCTION member_stat_deltas_record()")
    op.drop_index("ix_member_stat_deltas_org_path", table_name="member_stat_deltas")
    op.drop_table("member_stat_deltas")
    op.drop_table("member_stat_rollups")
    op.drop_table("member_stat_snapshots")
