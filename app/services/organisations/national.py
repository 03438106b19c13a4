"""The organisation's fields of the national collection form, checked and rendered in one
place: contact person and phone (the phone encrypted like a member's), 行政区划 code
(GB/T 2260), the unit's type, economic type and size (code lists in
`services/code_lists.py`), the right to approve probationary members and the id
of the record in the national system (unique, for sync).
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from app.errors import Conflict, ErrorCode, Unprocessable
from app.models.organisation import Organisation
from app.schemas.organisations import OrganisationRead
from app.security.pii import PhoneError, normalize_phone, pii_cipher
from app.services import code_lists

CONTACT_PHONE_FIELD = "organisation.contact_phone"

_CODED: tuple[tuple[str, dict[str, str], ErrorCode], ...] = (
    ("unit_type", code_lists.UNIT_TYPES, ErrorCode.organisation_unit_type_unknown),
    ("economic_type", code_lists.ECONOMIC_TYPES, ErrorCode.organisation_economic_type_unknown),
    ("unit_size", code_lists.UNIT_SIZES, ErrorCode.organisation_unit_size_unknown),
)


def _coded(values: dict[str, Any], field: str, stored: Callable[[str], str | None]) -> str | None:
    raw = values.get(field)
    return None if raw is None or raw == "" else stored(raw)


def check_national_fields(values: dict[str, Any]) -> None:
    """Validate and normalise, in place, the national fields present in `values` (a
    create's or update's fields): code-list values become their labels, the division
    code must be a GB/T 2260 code, the phone is normalised and replaced by its
    ciphertext (`contact_phone_enc`). 422 naming the field otherwise."""
    for field, code_list, code in _CODED:
        if field not in values:
            continue
        raw = values[field]
        if raw is None or raw == "":
            values[field] = None
            continue
        label = code_lists.stored_coded(code_list, raw)
        if label is None:
            raise Unprocessable.field(field, code)
        values[field] = label
    division = values.get("division_code")
    if division is not None and not code_lists.is_division_code(division):
        raise Unprocessable.field("division_code", ErrorCode.organisation_division_code_invalid)
    if "contact_phone" in values:
        raw = values.pop("contact_phone")
        phone = None
        if raw:
            try:
                phone = normalize_phone(raw)
            except PhoneError as exc:
                raise Unprocessable.field("contact_phone", exc.code, exc.message) from exc
        values["contact_phone_enc"] = (
            pii_cipher().encrypt(phone, field=CONTACT_PHONE_FIELD) if phone else None
        )


async def ensure_national_id_free(
    session: AsyncSession, national_id: str | None, exclude: uuid.UUID | None = None
) -> None:
    """409 when another organisation already holds this national system id."""
    if national_id is None:
        return
    stmt = select(Organisation.id).where(Organisation.national_id == national_id)
    if exclude is not None:
        stmt = stmt.where(Organisation.id != exclude)
    if await session.scalar(stmt.limit(1)) is not None:
        raise Conflict(ErrorCode.organisation_national_id_taken)


def organisation_read(org: Organisation) -> OrganisationRead:
    """The response for an organisation, its contact phone decrypted."""
    phone = (
        pii_cipher().decrypt(org.contact_phone_enc, field=CONTACT_PHONE_FIELD)
        if org.contact_phone_enc
        else None
    )
    return OrganisationRead.model_validate(org).model_copy(update={"contact_phone": phone})
