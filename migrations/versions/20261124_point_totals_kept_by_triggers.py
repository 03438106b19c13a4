"""Point totals per member and year, kept by triggers, for rankings.

`point_totals` holds the sum of each member's approved points per year and the
member's current `org_path`. Statement-level triggers (transition tables, so a bulk
INSERT ... SELECT is one aggregate, not one call per row) keep it exact:

* INSERT / UPDATE / DELETE on `point_entries` add the change in approved points
  (an approval, a reversal's new line and the reversed original, a move to
  another member or year all come out as deltas);
* UPDATE on `members` carries a changed `org_path` over (transfers, organisation
  moves, imports).

Existing entries are summed once here.

Revision ID: 0012_point_totals
Revises: 0011_member_stats_index
Create Date: 2026-11-24 16:47:23.995024+00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0012_point_totals"
down_revision: str | None = "0011_member_stats_index"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

APPLY_ENTRIES = """
CREATE FUNCTION point_totals_from_entries() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'INSERT' THEN
        INSERT INTO point_totals (member_id, year, org_path, points)
        SELECT d.member_id, d.year, m.org_path, d.points
        FROM (
            SELECT member_id, year, sum(points) AS points FROM new_rows
            WHERE state = 'approved' GROUP BY member_id, year
        ) AS d JOIN members AS m ON m.id = d.member_id
        ON CONFLICT (member_id, year)
        DO UPDATE SET points = point_totals.points + EXCLUDED.points;
    ELSIF TG_OP = 'UPDATE' THEN
        INSERT INTO point_totals (member_id, year, org_path, points)
        SELECT d.member_id, d.year, m.org_path, d.points
        FROM (
            SELECT member_id, year, sum(delta) AS points FROM (
                SELECT member_id, year, points AS delta FROM new_rows WHERE state = 'approved'
                UNION ALL
                SELECT member_id, year, -points FROM old_rows WHERE state = 'approved'
            ) AS changes GROUP BY member_id, year
        ) AS d JOIN members AS m ON m.id = d.member_id
        WHERE d.points <> 0
        ON CONFLICT (member_id, year)
        DO UPDATE SET points = point_totals.points + EXCLUDED.points;
    ELSE
        UPDATE point_totals AS t SET points = t.points - d.points
        FROM (
            SELECT member_id, year, sum(points) AS points FROM old_rows
            WHERE state = 'approved' GROUP BY member_id, year
        ) AS d
        WHERE t.member_id = d.member_id AND t.year = d.year;
    END IF;
    RETURN NULL;
END
$$
"""

APPLY_MEMBERS = """
CREATE FUNCTION point_totals_follow_members() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    UPDATE point_totals AS t SET org_path = n.org_path
    FROM new_rows AS n JOIN old_rows AS o ON o.id = n.id
    WHERE t.member_id = n.id AND n.org_path IS DISTINCT FROM o.org_path;
    RETURN NULL;
END
$$
"""

TRIGGERS = (
    "CREATE TRIGGER point_totals_on_insert AFTER INSERT ON point_entries "
    "REFERENCING NEW TABLE AS new_rows "
    "FOR EACH STATEMENT EXECUTE FUNCTION point_totals_from_entries()",
    "CREATE TRIGGER point_totals_on_update AFTER UPDATE ON point_entries "
    "REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows "
    "FOR EACH STATEMENT EXECUTE FUNCTION point_totals_from_entries()",
    "CREATE TRIGGER point_totals_on_delete AFTER DELETE ON point_entries "
    "REFERENCING OLD TABLE AS old_rows "
    "FOR EACH STATEMENT EXECUTE FUNCTION point_totals_from_entries()",
    "CREATE TRIGGER point_totals_follow_members AFTER UPDATE ON members "
    "REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows "
    "FOR EACH STATEMENT EXECUTE FUNCTION point_totals_follow_members()",
)


def upgrade() -> None:
    op.create_table(
        "point_totals",
        sa.Column("member_id", sa.Uuid(), nullable=False),
        sa.Column("year", sa.SmallInteger(), nullable=False),
        sa.Column("org_path", sa.String(length=1024, collation="C"), nullable=False),
        sa.Column("points", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["member_id"],
            ["members.id"],
            name=op.f("fk_point_totals_member_id_members"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("member_id", "year", name=op.f("pk_point_totals")),
    )
    op.create_index(
        "ix_point_totals_org_path_year",
        "point_totals",
        ["org_path", "year"],
        unique=False,
        postgresql_include=["member_id", "points"],
    )
    op.execute(APPLY_ENTRIES)
    op.execute(APPLY_MEMBERS)
    for statement in TRIGGERS:
        op.execute(statement)
    op.execute(
        "INSERT INTO point_totals (member_id, year, org_path, points) "
        "SELECT e.member_id, e.year, m.org_path, sum(e.points) "
        "FROM point_entries AS e JOIN members AS m ON m.id = e.member_id "
        "WHERE e.state = 'approved' GROUP BY e.member_id, e.year, m.org_path"
    )


def downgrade() -> None:
    op.execute("DROP TRIGGER point_totals_follow_members ON members")
    for name in ("point_totals_on_insert", "point_totals_on_update", "point_totals_on_delete"):
        op.execute(f"DROP TRIGGER {name} ON point_entries")
    op.execute("DROP FUNCTION point_totals_follow_members()")
    op.execute("DROP FUNCTION point_totals_from_entries()")
    op.drop_index(
        "ix_point_totals_org_path_year",
        table_name="point_totals",
        postgresql_include=["member_id", "points"],
    )
    op.drop_table("point_totals")
