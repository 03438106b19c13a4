"""The one read model of a ledger line as the API renders it (EntryRead) plus its path
for the change feed: written and read back on the driver (`RETURNING`, a replayed source
key), so awarding answers without an ORM object.

A NamedTuple, not a frozen dataclass: built in C from the driver's record (a frozen
dataclass set each of its 16 fields through `object.__setattr__`), as `MemberRow`.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import date, datetime
from typing import NamedTuple


class EntryRow(NamedTuple):
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
        return cls._make(record)


ENTRY_COLUMNS = ", ".join(EntryRow._fields)
