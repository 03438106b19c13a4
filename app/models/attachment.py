"""Attachments: files kept on a record (a member's 纪实 materials, a meeting's minutes
and photos), their content in PostgreSQL chunks or in an S3-compatible bucket."""

from __future__ import annotations

import uuid
from datetime import datetime
from enum import StrEnum

from sqlalchemy import (
    BigInteger,
    CheckConstraint,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    String,
)
from sqlalchemy.orm import Mapped, mapped_column

from app.models.base import Base, Timestamped, UUIDPk, one_of


class AttachmentOwnerKind(StrEnum):
    """The kinds of record an attachment hangs on (one entry each in the owner registry,
    app/services/attachments/owners.py); the route names the kind, so it is not sent."""

    member = "member"  # 发展党员全程纪实材料
    meeting = "meeting"  # 会议记录扫描件、主题党日照片
    development_step = "development_step"  # 某一发展步骤的材料（谈话记录、培训证明、政审材料等）


class AttachmentStorage(StrEnum):
    """Where an attachment's content lies (app/services/attachments/storage.py)."""

    database = "database"  # attachment_chunks
    s3 = "s3"  # the S3-compatible bucket of the settings


class Attachment(UUIDPk, Timestamped, Base):
    """One uploaded file of a record. Deleting keeps the row and its content as a
    tombstone (`deleted_at`): it leaves every list and download, and the audit trail
    still names what it was."""

    __tablename__ = "attachments"

    owner_kind: Mapped[str] = mapped_column(String(16), nullable=False)
    # The owner's id; its scope is the owner's, checked by the owner registry on each use.
    owner_id: Mapped[uuid.UUID] = mapped_column(nullable=False)
    filename: Mapped[str] = mapped_column(String(255), nullable=False)
    media_type: Mapped[str] = mapped_column(String(100), nullable=False)
    size_bytes: Mapped[int] = mapped_column(BigInteger, nullable=False)
    sha256: Mapped[str] = mapped_column(String(64), nullable=False)
    storage: Mapped[str] = mapped_column(String(16), nullable=False)
    description: Mapped[str | None] = mapped_column(String(500))
    uploaded_by: Mapped[uuid.UUID | None] = mapped_column()
    deleted_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    deleted_by: Mapped[uuid.UUID | None] = mapped_column()

    __table_args__ = (
        CheckConstraint(one_of("owner_kind", AttachmentOwnerKind), name="owner_kind_known"),
        CheckConstraint(one_of("storage", AttachmentStorage), name="storage_known"),
        CheckConstraint("size_bytes >= 0", name="size_not_negative"),
        Index("ix_attachments_owner", "owner_kind", "owner_id", "created_at"),
    )


class AttachmentChunk(Base):
    """A slice of an attachment's content, in order, for the database backend: a
    download reads one chunk at a time instead of the whole file."""

    __tablename__ = "attachment_chunks"

    attachment_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("attachments.id", ondelete="CASCADE"), primary_key=True
    )
    seq: Mapped[int] = mapped_column(Integer, primary_key=True)
    data: Mapped[bytes] = mapped_column(LargeBinary, nullable=False)
