"""Policy values (*policy* in DOMAIN.md) set by an organisation for its subtree."""

from __future__ import annotations

import uuid
from typing import Any

from sqlalchemy import ForeignKey
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import Mapped, mapped_column

from app.models.base import Base, Timestamped, Versioned


class OrganisationPolicy(Versioned, Timestamped, Base):
    __tablename__ = "organisation_policies"

    org_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("organisations.id", ondelete="CASCADE"), primary_key=True
    )
    # Only the keys this organisation overrides; the rest come from ancestors or defaults.
    values: Mapped[dict[str, Any]] = mapped_column(JSONB, nullable=False, default=dict)
