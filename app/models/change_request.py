"""A member's request to correct their own record (信息变更申请), decided by the branch."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import CheckConstraint, DateTime, ForeignKey, Index, String
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import Mapped, mapped_column

from app.models.base import Base, Timestamped, UUIDPk, one_of, org_path_column
from app.models.enums import ChangeRequestState


class MemberChangeRequest(UUIDPk, Timestamped, Base):
    """The fields a member asks to change (never status or organisation), pending until an
    administrator of the member's subtree approves (applied as their correction) or
    rejects it with a reason."""

    __tablename__ = "member_change_requests"

    member_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("members.id", ondelete="CASCADE"), index=True, nullable=False
    )
    org_path: Mapped[str] = org_path_column()
    changes: Mapped[dict[str, Any]] = mapped_column(JSONB, nullable=False)
    reason: Mapped[str | None] = mapped_column(String(500))
    state: Mapped[str] = mapped_column(String(16), nullable=False)
    requested_by: Mapped[uuid.UUID | None] = mapped_column()
    decided_by: Mapped[uuid.UUID | None] = mapped_column()
    decided_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    decision_reason: Mapped[str | None] = mapped_column(String(500))

    __table_args__ = (
        # The orders its list offers (`?sort=`), walked page by page (test_list_order_indexes).
        Index("ix_member_change_requests_created_at_id", "created_at", "id"),
        CheckConstraint(one_of("state", ChangeRequestState), name="state_known"),
        Index(
            "ix_member_change_requests_org_path_state",
            "org_path",
            "state",
            postgresql_ops={"org_path": "text_pattern_ops"},
        ),
    )
