"""Attachments (附件) of members' development records and of meetings."""

from __future__ import annotations

import uuid
from datetime import datetime

from pydantic import BaseModel, ConfigDict, Field


class AttachmentRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: uuid.UUID
    owner_id: uuid.UUID = Field(description="The member or meeting the file belongs to.")
    filename: str
    media_type: str = Field(description="Recognised from the content, not the name.")
    size_bytes: int
    sha256: str = Field(description="SHA-256 of the content, lowercase hex.")
    description: str | None
    uploaded_by: uuid.UUID | None
    created_at: datetime
