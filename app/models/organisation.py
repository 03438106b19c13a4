"""Organisations (党组织) as a materialized-path tree, and their leaders (班子)."""

from __future__ import annotations

import uuid
from datetime import date

from sqlalchemy import (
    BigInteger,
    Boolean,
    CheckConstraint,
    Date,
    ForeignKey,
    Identity,
    Index,
    LargeBinary,
    SmallInteger,
    String,
    text,
)
from sqlalchemy.orm import Mapped, mapped_column

from app.models.base import Base, Timestamped, UUIDPk, Versioned, one_of, org_path_column
from app.models.enums import OrgType


class Organisation(UUIDPk, Versioned, Timestamped, Base):
    __tablename__ = "organisations"

    # Compact surrogate used in paths: /12/345/6789/ keeps the subtree index small.
    node_id: Mapped[int] = mapped_column(BigInteger, Identity(), unique=True, nullable=False)
    code: Mapped[str] = mapped_column(String(64), unique=True, nullable=False)
    name: Mapped[str] = mapped_column(String(200), nullable=False)
    type: Mapped[str] = mapped_column(String(32), nullable=False)
    parent_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("organisations.id", ondelete="RESTRICT"), index=True
    )
    path: Mapped[str] = org_path_column()
    depth: Mapped[int] = mapped_column(SmallInteger, nullable=False)
    unit_category: Mapped[int | None] = mapped_column(SmallInteger)
    unit_credit_code: Mapped[str | None] = mapped_column(String(18))
    unit_count: Mapped[int | None] = mapped_column(SmallInteger)
    # The national collection form: contact, 行政区划, the unit's details, the right to
    # approve probationary members and the record's id in the national system (for sync).
    contact_person: Mapped[str | None] = mapped_column(String(100))
    # AES-256-GCM / SM4-GCM ciphertext of the contact phone, like a member's phone.
    contact_phone_enc: Mapped[bytes | None] = mapped_column(LargeBinary)
    division_code: Mapped[str | None] = mapped_column(String(6))
    unit_type: Mapped[str | None] = mapped_column(String(32))
    economic_type: Mapped[str | None] = mapped_column(String(32))
    unit_size: Mapped[str | None] = mapped_column(String(32))
    may_approve_probationary: Mapped[bool] = mapped_column(
        Boolean, nullable=False, default=False, server_default=text("false")
    )
    national_id: Mapped[str | None] = mapped_column(String(64), unique=True)
    founded_on: Mapped[date | None] = mapped_column(Date)
    term_started_on: Mapped[date | None] = mapped_column(Date)
    dissolved_on: Mapped[date | None] = mapped_column(Date)

    __table_args__ = (
        # The orders its list offers (`?sort=`), walked page by page (test_list_order_indexes).
        Index("ix_organisations_name_id", "name", "id"),
        Index("ix_organisations_depth_id", "depth", "id"),
        Index("ix_organisations_created_at_id", "created_at", "id"),
        CheckConstraint(one_of("type", OrgType), name="type_known"),
        CheckConstraint("unit_category BETWEEN 1 AND 9", name="unit_category_range"),
        # Default operator class on a "C"-collated column: serves both the subtree
        # `LIKE 'prefix%'` and tree order (ORDER BY path, id), so pages stop early.
        Index("ix_organisations_path", "path", "id"),
    )


class OrganisationLeader(UUIDPk, Versioned, Timestamped, Base):
    __tablename__ = "organisation_leaders"

    org_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("organisations.id", ondelete="CASCADE"), index=True, nullable=False
    )
    member_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("members.id", ondelete="RESTRICT"), index=True, nullable=False
    )
    role: Mapped[str] = mapped_column(String(32), nullable=False)
    started_on: Mapped[date] = mapped_column(Date, nullable=False)
    ended_on: Mapped[date | None] = mapped_column(Date)

    __table_args__ = (
        CheckConstraint("ended_on IS NULL OR ended_on >= started_on", name="term_order"),
        # One current secretary at most, enforced by the database as well as the service.
        Index(
            "uq_organisation_leaders_current_secretary",
            "org_id",
            unique=True,
            postgresql_where=text("role = 'secretary' AND ended_on IS NULL"),
        ),
    )


class OrganisationPlacement(Base):
    """Where an organisation sat in the tree (its parent and path) from `valid_from` up
    to the day before `valid_to`: the history the statistics as of a past date read.

    Written by one writer (`services/organisations/placements.record_placements`) when
    an organisation is created and for every organisation of a moved subtree. `path`
    is history, a path as it was: a move closes rows and opens new ones, it never
    rewrites them, so the column is deliberately a plain string, not `org_path_column()`
    (tests/api/test_subtree_move.py lists it with that reason). `valid_from` NULL: from
    the organisation's beginning (a creation, or a row back-filled by the migration);
    `valid_to` NULL: still there.
    """

    __tablename__ = "organisation_placements"

    id: Mapped[int] = mapped_column(BigInteger, Identity(), primary_key=True)
    org_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("organisations.id", ondelete="CASCADE"), index=True, nullable=False
    )
    parent_id: Mapped[uuid.UUID | None] = mapped_column()
    path: Mapped[str] = mapped_column(String(1024, collation="C"), nullable=False)
    valid_from: Mapped[date | None] = mapped_column(Date)
    valid_to: Mapped[date | None] = mapped_column(Date)

    __table_args__ = (
        CheckConstraint(
            "valid_to IS NULL OR valid_from IS NULL OR valid_to >= valid_from", name="period_order"
        ),
        Index("ix_organisation_placements_path", "path"),
        # The rows a move wrote or closed: what "did anything move since D" reads.
        Index(
            "ix_organisation_placements_moved",
            "path",
            postgresql_where=text("valid_from IS NOT NULL OR valid_to IS NOT NULL"),
        ),
    )
