"""Import job schemas."""

from __future__ import annotations

import uuid
from datetime import datetime

from pydantic import BaseModel

from app.models.enums import ImportKind, ImportState


class RejectedRow(BaseModel):
    """One fault of a refused row (a row with several faults has several entries)."""

    row: int
    column: str  # the column's heading as written in the file (入党日期)
    field: str  # the field it maps to (joined_on), for programs
    code: str
    message: str  # in the caller's language
    value: str | None = None  # the cell as found in the file


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
