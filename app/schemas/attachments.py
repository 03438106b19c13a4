"""Attachments (附件) of members' development records and of meetings."""

from __future__ import annotations

import uuid
from datetime import datetime

from pydantic import BaseModel, ConfigDict


class AttachmentRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: uuid.UUID
    owner_id: uuid.UUID
    filename: str
    media_type: str
    size_bytes: int
    sha256: str
    description: str | None
    uploaded_by: uuid.UUID | None
    created_at: datetime
