"""Members (党员): personal data with encrypted ID number and phone."""

from __future__ import annotations

import uuid
from datetime import date

from sqlalchemy import (
    BigInteger,
    CheckConstraint,
    Date,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    SmallInteger,
    String,
    func,
    text,
)
from sqlalchemy.orm import Mapped, mapped_column
from sqlalchemy.sql.elements import ColumnElement

from app.models.base import Base, Timestamped, UUIDPk, Versioned, one_of, org_path_column
from app.models.enums import Gender, MemberCategory, MemberStatus
from app.models.sql import add_months_sql, in_text

S = MemberStatus
# 预备期一年 (extended once by 6 to 12 months: `probation_extension_months`).
PROBATION_MONTHS = 12


class Member(UUIDPk, Versioned, Timestamped, Base):
    __tablename__ = "members"

    name: Mapped[str] = mapped_column(String(100), nullable=False)
    # AES-256-GCM / SM4-GCM ciphertexts; never plaintext. `*_index` is a keyed blind index.
    id_number_enc: Mapped[bytes] = mapped_column(LargeBinary, nullable=False)
    id_number_index: Mapped[bytes] = mapped_column(LargeBinary, nullable=False)
    phone_enc: Mapped[bytes | None] = mapped_column(LargeBinary)
    phone_index: Mapped[bytes | None] = mapped_column(LargeBinary)
    gender: Mapped[str] = mapped_column(String(8), nullable=False)
    birth_date: Mapped[date] = mapped_column(Date, nullable=False)
    ethnicity: Mapped[str | None] = mapped_column(String(32))
    education: Mapped[str | None] = mapped_column(String(32))
    # Further coded fields of the national collection form (labels of code_lists.py).
    degree: Mapped[str | None] = mapped_column(String(32))
    post: Mapped[str | None] = mapped_column(String(32))
    new_social_stratum: Mapped[str | None] = mapped_column(String(32))
    hardship: Mapped[str | None] = mapped_column(String(32))
    status: Mapped[str] = mapped_column(String(16), nullable=False)
    category: Mapped[str] = mapped_column(String(16), nullable=False)
    org_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("organisations.id", ondelete="RESTRICT"), index=True, nullable=False
    )
    # Copy of the organisation's path so subtree filters need no join; rewritten on move.
    org_path: Mapped[str] = org_path_column()
    group_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("organisations.id", ondelete="SET NULL"), index=True
    )
    applied_on: Mapped[date | None] = mapped_column(Date)
    activist_on: Mapped[date | None] = mapped_column(Date)
    candidate_on: Mapped[date | None] = mapped_column(Date)
    joined_on: Mapped[date | None] = mapped_column(Date)
    full_on: Mapped[date | None] = mapped_column(Date)
    work_unit: Mapped[str | None] = mapped_column(String(200))
    residence: Mapped[str | None] = mapped_column(String(200))
    dues_base_fen: Mapped[int | None] = mapped_column(BigInteger)
    # Lifecycle bookkeeping that drives the date flags.
    status_since: Mapped[date | None] = mapped_column(Date)
    talked_on: Mapped[date | None] = mapped_column(Date)
    admission_approved_on: Mapped[date | None] = mapped_column(Date)
    probation_extension_months: Mapped[int | None] = mapped_column(SmallInteger)
    lost_contact_since: Mapped[date | None] = mapped_column(Date)
    # The day the work unit or residence last changed: a transfer is suggested from then.
    relocated_on: Mapped[date | None] = mapped_column(Date)
    # The latest month (its first day) a dues payment covers, NULL before any: kept by
    # triggers on `dues_payment_months` (migration 0038), never by the application.
    dues_paid_through: Mapped[date | None] = mapped_column(Date)
    # The community (社区/村) where the member lives, for grids and 双报到.
    residence_community_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("organisations.id", ondelete="SET NULL"), index=True
    )

    __table_args__ = (
        # The orders its list offers (`?sort=`), walked page by page (test_list_order_indexes).
        Index("ix_members_name_id", "name", "id"),
        Index("ix_members_birth_date_id", "birth_date", "id"),
        Index("ix_members_created_at_id", "created_at", "id"),
        Index("ix_members_status_id", "status", "id"),
        CheckConstraint(one_of("status", MemberStatus), name="status_known"),
        CheckConstraint(one_of("category", MemberCategory), name="category_known"),
        CheckConstraint(one_of("gender", Gender), name="gender_known"),
        CheckConstraint("dues_base_fen IS NULL OR dues_base_fen >= 0", name="dues_base_positive"),
        # Default operator class on a "C"-collated column: serves `org_path LIKE 'prefix%'`
        # and `ORDER BY org_path, id`, so a page of a subtree stops after the page.
        Index("ix_members_org_path", "org_path", "id"),
        # Subtree statistics and rankings read only these columns: an index-only scan of the
        # subtree's range instead of its table rows (a 125k-member county: ~100 ms
        # instead of ~240 ms at 1M members).
        Index(
            "ix_members_org_path_stats",
            "org_path",
            postgresql_include=["id", "status", "category", "gender", "birth_date", "education"],
        ),
        # One status or one category of a subtree in tree order, and `?q=` (name starts
        # with): filtered pages stop after the page (migration 0027).
        Index("ix_members_status_org_path", "status", "org_path", "id"),
        Index("ix_members_category_org_path", "category", "org_path", "id"),
        # A status and a category together (one value or several of each: a part per
        # pair), in tree order (migration 0039).
        Index("ix_members_status_category_org_path", "status", "category", "org_path", "id"),
        Index(
            "ix_members_name_prefix",
            "name",
            "org_path",
            postgresql_ops={"name": "varchar_pattern_ops"},
        ),
        # The dues-arrears to-dos in their page order (name by code point, then id): the
        # first page walks this index and stops after it; the columns the rule reads of
        # the member row are included, so members of other subtrees are passed over in
        # the index (migration 0028).
        Index(
            "ix_members_name_order",
            text('(name COLLATE "C")'),
            "id",
            postgresql_include=["org_path", "status", "joined_on"],
        ),
        # Members lost by record, members who moved (rare): the `contact.lost` and
        # `transfer.suggested` lists find them here instead of testing every member
        # (migration 0035).
        Index(
            "ix_members_lost_contact_since",
            "lost_contact_since",
            postgresql_where=text("lost_contact_since IS NOT NULL"),
        ),
        Index(
            "ix_members_relocated_on",
            "relocated_on",
            postgresql_where=text("relocated_on IS NOT NULL"),
        ),
        # A date flag of one status (`lifecycle/flags.py`) that few members carry: its
        # page starts from the members whose date is in the flag's range instead of
        # walking every member of that status (a province's `probation.ending` with
        # none due: 327 ms). Where the flag is common the status walk still serves it:
        # the day is in the statement's text, so the planner weighs the two from the
        # statistics (migration 0036).
        Index(
            "ix_members_awaiting_talk",
            "applied_on",
            "org_path",
            postgresql_where=text(f"status = '{S.applicant}' AND talked_on IS NULL"),
        ),
        Index(
            "ix_members_awaiting_approval",
            "joined_on",
            "org_path",
            postgresql_where=text(f"status = '{S.probationary}' AND admission_approved_on IS NULL"),
        ),
        Index(
            "ix_members_suspended_since",
            "status_since",
            "org_path",
            postgresql_where=text(f"status = '{S.suspended}'"),
        ),
        # The due members by the latest month paid: those who owe six months paid none
        # of them (before the first, after the last, or never), so the unpaid-dues list
        # starts here where few owe (`unpaid_dues.unpaid_run_candidates`).
        Index(
            "ix_members_dues_paid_through",
            "dues_paid_through",
            "org_path",
            postgresql_where=text(f"status = '{S.full}' OR status = '{S.probationary}'"),
        ),
        Index("ix_members_id_number_index", "id_number_index"),
        # An ID number is unique among living records; left/deceased records keep history.
        Index(
            "uq_members_living_id_number",
            "id_number_index",
            unique=True,
            postgresql_where=text("status NOT IN ('left','deceased')"),
        ),
    )


def probation_ends_on_sql() -> ColumnElement[date]:
    """SQL over a member row: the day its probation ends (the Python face is
    `lifecycle.periods.probation_ends_on`). Its constants are in the statement's text,
    so a condition on it matches the expression of `ix_members_probation_end`."""
    extension = func.coalesce(Member.probation_extension_months, in_text(0, Integer))
    return add_months_sql(Member.joined_on, in_text(PROBATION_MONTHS, Integer) + extension)


# The probationary members by the day their probation ends, for `probation.ending` and
# `probation.due` (see the flags' indexes above).
Index(
    "ix_members_probation_end",
    probation_ends_on_sql(),
    Member.org_path,
    postgresql_where=text(f"status = '{S.probationary}'"),
)
