"""Audit event schemas."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from pydantic import BaseModel


class AuditEventRead(BaseModel):
    model_config = {"from_attributes": True}

    id: int
    occurred_at: datetime
    actor_id: uuid.UUID | None
    actor_username: str | None
    action: str
    resource: str
    resource_id: str | None
    before: dict[str, Any] | None
    after: dict[str, Any] | None
    request_id: str | None
