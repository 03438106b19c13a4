"""Notifications (通知): my inbox, read receipts, and where my email reminders go."""

from __future__ import annotations

import uuid
from datetime import date, datetime

from pydantic import BaseModel, Field

from app.schemas.common import InputModel
from app.schemas.todos import TodoLink


class NotificationRead(BaseModel):
    id: uuid.UUID
    kind: str
    title: str
    body: str
    link: TodoLink | None
    due_on: date | None
    created_at: datetime
    read_at: datetime | None


class UnreadCount(BaseModel):
    unread: int


class NotificationAddressWrite(InputModel):
    email: str | None = Field(max_length=254, pattern=r"^[^@\s]+@[^@\s]+\.[^@\s]+$")


class NotificationAddressRead(BaseModel):
    email: str | None
