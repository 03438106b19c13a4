"""Member category `on_relief` (依靠抚恤、救济或低保生活): dues of 0.2 yuan a month, as
students and the unemployed (DOMAIN, Dues).

Revision ID: 0015_points_dues
Revises: 0014_login_throttle_by_address
Create Date: 2026-12-03 04:05:00.000000+00:00
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0015_points_dues"
down_revision: str | None = "0014_login_throttle_by_address"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_BEFORE = "'employed','retired','self_employed','farmer','student','unemployed','other'"
_AFTER = "'employed','retired','self_employed','farmer','student','unemployed','on_relief','other'"


def _category_check(values: str) -> None:
    op.drop_constraint(op.f("ck_members_category_known"), "members", type_="check")
    op.create_check_constraint(
        op.f("ck_members_category_known"), "members", f"category IN ({values})"
    )


def upgrade() -> None:
    _category_check(_AFTER)


def downgrade() -> None:
    # Members on relief have no category before this revision: they become `other`
    # (who, without a declared base, also pay the minimum).
    op.execute("UPDATE members SET category = 'other' WHERE category = 'on_relief'")
    _category_check(_BEFORE)
