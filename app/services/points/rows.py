"""The one read model of a ledger line as the API renders it (EntryRead) plus its path
for the change feed: written and read back on the driver (`RETURNING`, a replayed source
key), so awarding answers without an ORM object."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass, fields
from datetime import date, datetime


@dataclass(frozen=True, slots=True)
class EntryRow:
    id: uuid.UUID
    member_id: uuid.UUID
    org_path: str
    rule_id: uuid.UUID
    rule_version: int
    category: str
    points: int
    occurred_on: date
    source: str
    source_key: str
    state: str
    note: str | None
    evidence: str | None
    decision_reason: str | None
    reverses_entry_id: uuid.UUID | None
    created_at: datetime

    @classmethod
    def from_record(cls, record: Sequence[object]) -> EntryRow:
        """A driver row selecting `ENTRY_COLUMNS`, in that order."""
        return cls(*record)  # type: ignore[arg-type]  # the select fixes each column's type


ENTRY_COLUMNS = ", ".join(f.name for f in fields(EntryRow))
