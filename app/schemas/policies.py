"""Policy (政策参数) schemas."""

from __future__ import annotations

import uuid
from typing import Any

from pydantic import BaseModel, Field

from app.schemas.common import InputModel

# A policy value is a whole number (bounded) or one of a few words (`services.policies.SPEC`).
PolicyValue = int | str


class PolicyRead(BaseModel):
    org_id: uuid.UUID
    effective: dict[str, PolicyValue] = Field(
        description="Values in force here (inherited or own)."
    )
    own: dict[str, PolicyValue] = Field(
        description="Values this organisation sets for its subtree."
    )
    defaults: dict[str, PolicyValue]
    version: int = Field(description="Version of `own`; 0 when nothing is set here.")


class PolicyUpdate(InputModel):
    values: dict[str, Any] = Field(examples=[{"transfer_overdue_months": 2}])
