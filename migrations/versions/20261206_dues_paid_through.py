"""The latest month each member's dues are paid for, kept by triggers, so the members
who owe six months (`dues.six_months_unpaid`) are found from an index instead of by
testing every member of the subtree.

`members.dues_paid_through` is the latest month (its first day) a payment covers, NULL
for a member who never paid. A member who owes the six months ending with this one
paid none of them, so that month is before the first of them, after the last (paid
ahead), or NULL: the flag's list reads those members from
`ix_members_dues_paid_through` (the due statuses only) and tests the rule on them
alone. Statement-level triggers on `dues_payment_months` (transition tables: a payment
of twelve months is one update, not twelve) keep it exact through any INSERT, UPDATE
or DELETE, whatever writes them (a payment, its reversal, a member's deletion).

Existing payments are read once here: every member who ever paid has its row rewritten
once (a copy of 1M members, 990,000 of them paying, took about 11 minutes on a slow
VM: bench/RESULTS.md, session 16), within the migration's transaction. The index is
built `CONCURRENTLY` afterwards (outside a transaction): writes go on meanwhile.

Revision ID: 0038_dues_paid_through
Revises: 0037_points_dated_after
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision: str = "0038_dues_paid_through"
down_revision: str | None = "0037_points_dated_after"
branch_labels = None
depends_on = None

# The members whose payment months changed, and their latest month read again.
FOLLOW = """
CREATE FUNCTION members_dues_paid_through() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'INSERT' THEN
        UPDATE members AS m SET dues_paid_through = c.last
        FROM (SELECT member_id, max(month) AS last FROM new_rows GROUP BY member_id) AS c
        WHERE m.id = c.member_id
          AND (m.dues_paid_through IS NULL OR m.dues_paid_through < c.last);
    ELSIF TG_OP = 'UPDATE' THEN
        UPDATE members AS m SET dues_paid_through = (
            SELECT max(d.month) FROM dues_payment_months AS d WHERE d.member_id = m.id
        )
        WHERE m.id IN (SELECT member_id FROM old_rows UNION SELECT member_id FROM new_rows)
          AND m.dues_paid_through IS DISTINCT FROM (
            SELECT max(d.month) FROM dues_payment_months AS d WHERE d.member_id = m.id
        );
    ELSE
        UPDATE members AS m SET dues_paid_through = (
            SELECT max(d.month) FROM dues_payment_months AS d WHERE d.member_id = m.id
        )
        WHERE m.id IN (SELECT member_id FROM old_rows)
          AND m.dues_paid_through IS DISTINCT FROM (
            SELECT max(d.month) FROM dues_payment_months AS d WHERE d.member_id = m.id
        );
    END IF;
    RETURN NULL;
END
$$
"""

TRIGGERS = (
    "CREATE TRIGGER dues_paid_through_on_insert AFTER INSERT ON dues_payment_months "
    "REFERENCING NEW TABLE AS new_rows "
    "FOR EACH STATEMENT EXECUTE FUNCTION members_dues_paid_through()",
    "CREATE TRIGGER dues_paid_through_on_update AFTER UPDATE ON dues_payment_months "
    "REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows "
    "FOR EACH STATEMENT EXECUTE FUNCTION members_dues_paid_through()",
    "CREATE TRIGGER dues_paid_through_on_delete AFTER DELETE ON dues_payment_months "
    "REFERENCING OLD TABLE AS old_rows "
    "FOR EACH STATEMENT EXECUTE FUNCTION members_dues_paid_through()",
)

FILL = """
UPDATE members AS m SET dues_paid_through = c.last
FROM (SELECT member_id, max(month) AS last FROM dues_payment_months GROUP BY member_id) AS c
WHERE m.id = c.member_id
"""

INDEX = "ix_members_dues_paid_through"


def upgrade() -> None:
    op.add_column("members", sa.Column("dues_paid_through", sa.Date(), nullable=True))
    op.execute(FOLLOW)
    for statement in TRIGGERS:
        op.execute(statement)
    op.execute(FILL)
    with op.get_context().autocommit_block():
        op.create_index(
            INDEX,
            "members",
            ["dues_paid_through", "org_path"],
            postgresql_where=sa.text("status = 'full' OR status = 'probationary'"),
            postgresql_concurrently=True,
        )


def downgrade() -> None:
    with op.get_context().autocommit_block():
        op.drop_index(INDEX, table_name="members", postgresql_concurrently=True)
    for name in ("insert", "update", "delete"):
        op.execute(f"DROP TRIGGER dues_paid_through_on_{name} ON dues_payment_months")
    op.execute("DROP FUNCTION members_dues_paid_through()")
    op.drop_column("members", "dues_paid_through")
