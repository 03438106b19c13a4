"""To-dos (待办): one computed item each, linking the resource to act on."""

from __future__ import annotations

import uuid
from datetime import date

from pydantic import BaseModel

from app.models.enums import TodoKind, TodoSeverity


class TodoLink(BaseModel):
    resource: str
    id: uuid.UUID


class TodoRead(BaseModel):
    kind: TodoKind
    code: str
    severity: TodoSeverity
    due_on: date | None
    subject: str
    link: TodoLink


class TodoCounts(BaseModel):
    as_of: date
    total: int
    by_kind: dict[TodoKind, int]
