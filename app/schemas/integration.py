"""Change feed and webhook schemas."""

from __future__ import annotations

import uuid
from datetime import datetime

from pydantic import BaseModel, Field

from app.models.enums import ChangeAction, ChangeResource, DeliveryState
from app.schemas.common import InputModel


class ChangeRead(BaseModel):
    cursor: str
    resource: ChangeResource
    resource_id: uuid.UUID
    action: ChangeAction
    event_type: str
    version: int | None
    occurred_at: datetime


class ChangePage(BaseModel):
    items: list[ChangeRead]
    next_cursor: str | None = Field(description="Pass as `since`; unchanged when nothing new.")


class WebhookCreate(InputModel):
    org_id: uuid.UUID
    url: str = Field(min_length=8, max_length=2000)
    event_types: list[str] = Field(
        min_length=1, examples=[["member.created", "member.state_changed"]]
    )


class WebhookRead(BaseModel):
    id: uuid.UUID
    org_id: uuid.UUID
    url: str
    event_types: list[str]
    active: bool
    created_at: datetime


class WebhookCreated(WebhookRead):
    secret: str = Field(description="Shown once: store it to verify signatures.")


class DeliveryRead(BaseModel):
    id: uuid.UUID
    event_id: int
    event_type: str
    resource_id: uuid.UUID
    state: DeliveryState
    attempts: int
    last_status: int | None
    last_error: str | None
    next_attempt_at: datetime
    delivered_at: datetime | None
