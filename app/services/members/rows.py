"""The one read model of a member record: what rendering reads (the response's columns,
the ciphertexts and the path), whichever way the record was loaded.

Hot reads (the list, one member) fetch it on the driver as a row of `RENDERED_COLUMNS`
and make it with `MemberRow._make` (the tuple's own constructor, no call around it);
a write path that holds the ORM object renders it through `MemberRow.of`. Rendering
takes only `MemberRow`, so the two loads cannot answer differently.

A NamedTuple, not a dataclass: a page makes one per row, and a tuple is built in C from
the driver's record (a frozen dataclass set each of its 34 fields through
`object.__setattr__`, a tenth of the worker CPU of a page of 50).
"""

from __future__ import annotations

import uuid
from datetime import date, datetime
from typing import NamedTuple

from app.models.member import Member


class MemberRow(NamedTuple):
    id: uuid.UUID
    name: str
    gender: str
    birth_date: date
    ethnicity: str | None
    education: str | None
    degree: str | None
    post: str | None
    new_social_stratum: str | None
    hardship: str | None
    status: str
    category: str
    org_id: uuid.UUID
    group_id: uuid.UUID | None
    applied_on: date | None
    activist_on: date | None
    candidate_on: date | None
    joined_on: date | None
    full_on: date | None
    work_unit: str | None
    residence: str | None
    dues_base_fen: int | None
    talked_on: date | None
    admission_approved_on: date | None
    lost_contact_since: date | None
    residence_community_id: uuid.UUID | None
    status_since: date | None
    probation_extension_months: int | None
    id_number_enc: bytes
    phone_enc: bytes | None
    org_path: str
    version: int
    created_at: datetime
    updated_at: datetime

    @classmethod
    def of(cls, member: Member) -> MemberRow:
        """The ORM object's values (a write path renders what it just wrote)."""
        return cls._make([getattr(member, name) for name in RENDERED_COLUMNS])


RENDERED_COLUMNS: tuple[str, ...] = MemberRow._fields
