"""Table versions (`table_versions`): one counter per table, moved on in every transaction
that writes to the table, as it commits. Organisations are versioned: the tree's
answers are kept per process and served again while the version they were read at
holds (`app.services.kept_answers`).

A deferred row trigger (a constraint trigger: it runs at COMMIT) bumps the counter once
per transaction (a transaction-local setting marks it done), so the version row is
locked only while a writing transaction commits: two transactions that write
organisations and other rows in different orders cannot deadlock on it. TRUNCATE,
which row triggers do not see, bumps it at once.

Revision ID: 0033_table_versions
Revises: 0032_import_chunks
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision: str = "0033_table_versions"
down_revision: str | None = "0032_import_chunks"
branch_labels = None
depends_on = None

BUMP = """
CREATE FUNCTION table_version_bump() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP <> 'TRUNCATE'
        AND current_setting('table_versions.' || TG_TABLE_NAME, true) = 'bumped' THEN
        RETURN NULL;  -- this transaction has moved it on already
    END IF;
    PERFORM set_config('table_versions.' || TG_TABLE_NAME, 'bumped', true);
    INSERT INTO table_versions (table_name) VALUES (TG_TABLE_NAME)
    ON CONFLICT (table_name)
    DO UPDATE SET counter = table_versions.counter + 1, epoch = gen_random_uuid();
    RETURN NULL;
END $$
"""

VERSIONED = ("organisations",)


def upgrade() -> None:
    op.create_table(
        "table_versions",
        sa.Column("table_name", sa.String(length=63), nullable=False),
        sa.Column("epoch", sa.Uuid(), server_default=sa.text("gen_random_uuid()"), nullable=False),
        sa.Column("counter", sa.BigInteger(), server_default=sa.text("0"), nullable=False),
        sa.PrimaryKeyConstraint("table_name", name=op.f("pk_table_versions")),
    )
    op.execute(BUMP)
    for table in VERSIONED:
        op.execute(
            sa.text("INSERT INTO table_versions (table_name) VALUES (:table)").bindparams(
                table=table
            )
        )
        op.execute(
            f"CREATE CONSTRAINT TRIGGER {table}_version AFTER INSERT OR UPDATE OR DELETE "
            f"ON {table} DEFERRABLE INITIALLY DEFERRED FOR EACH ROW "
            "EXECUTE FUNCTION table_version_bump()"
        )
        op.execute(
            f"CREATE TRIGGER {table}_version_truncate AFTER TRUNCATE ON {table} "
            "FOR EACH STATEMENT EXECUTE FUNCTION table_version_bump()"
        )


def downgrade() -> None:
    for table in VERSIONED:
        op.execute(f"DROP TRIGGER {table}_version_truncate ON {table}")
        op.execute(f"DROP TRIGGER {table}_version ON {table}")
    op.execute("DROP FUNCTION table_version_bump()")
    op.drop_table("table_versions")
