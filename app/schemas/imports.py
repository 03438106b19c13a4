"""Import job schemas."""

from __future__ import annotations

import uuid
from datetime import datetime

from pydantic import BaseModel

from app.models.enums import ImportKind, ImportState


class RejectedRow(BaseModel):
    row: int
    column: str
    code: str
    message: str


class ImportJobRead(BaseModel):
    id: uuid.UUID
    kind: ImportKind
    dry_run: bool
    atomic: bool
    state: ImportState
    total_rows: int
    processed_rows: int
    accepted: int
    created: int
    updated: int
    unchanged: int
    rejected: list[RejectedRow]
    error: str | None
    created_at: datetime
    finished_at: datetime | None
