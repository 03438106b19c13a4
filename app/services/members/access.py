"""Loading and rendering members within the principal's scope, PII masked unless the
principal may read it.
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping, Sequence
from datetime import date
from functools import lru_cache
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from app import db
from app.config import get_settings
from app.errors import ErrorCode, NotFound
from app.models.enums import Role
from app.models.member import Member
from app.schemas.members import MemberRead
from app.security.pii import PiiCipher, mask_id_number, mask_phone
from app.security.scope import Principal, in_scope, load_visible, may_read_member_pii
from app.services import lifecycle
from app.services.integration import audit

ID_FIELD = "member.id_number"
PHONE_FIELD = "member.phone"
AUDITED_FIELDS = (
    "name",
    "gender",
    "birth_date",
    "ethnicity",
    "education",
    "status",
    "category",
    "org_id",
    "group_id",
    "applied_on",
    "activist_on",
    "candidate_on",
    "joined_on",
    "full_on",
    "work_unit",
    "residence",
    "dues_base_fen",
    "talked_on",
    "admission_approved_on",
    "lost_contact_since",
    "residence_community_id",
    "status_since",
    "probation_extension_months",
)


@lru_cache
def pii_cipher() -> PiiCipher:
    settings = get_settings()
    return PiiCipher(settings.pii_key, settings.pii_cipher, index_secret=settings.pii_index_key)


async def get_visible(
    session: AsyncSession,
    principal: Principal,
    member_id: uuid.UUID,
    *,
    field: str | None = None,
    lock: bool = False,
    copies_path: bool = False,
) -> Member:
    """Load a member the principal may see (a member user: only their own record); else 404.

    `field` names the body field the id came from; `copies_path` for a caller that stores
    the member's path (see `load_visible`)."""
    return await load_visible(
        session, principal, Member, member_id, field=field, lock=lock, copies_path=copies_path
    )


def _visible(principal: Principal, member_id: uuid.UUID, org_path: str) -> bool:
    """In the principal's subtree; for a member user, only their own record."""
    if not in_scope(principal, org_path):
        return False
    return principal.role is not Role.member or principal.member_id == member_id


# What a member's rendering reads: the response's columns, the ciphertexts and the path.
RENDERED_COLUMNS = (
    "id",
    *AUDITED_FIELDS,
    "id_number_enc",
    "phone_enc",
    "org_path",
    "version",
    "created_at",
    "updated_at",
)


_ROW_SQL = f"SELECT {', '.join(RENDERED_COLUMNS)} FROM members WHERE id = $1"  # noqa: S608  # constant column names


async def get_visible_row(
    session: AsyncSession, principal: Principal, member_id: uuid.UUID
) -> Mapping[str, Any]:
    """`get_visible` for reads: the rendered columns only, without an ORM object."""
    row = await db.fetchrow(session, _ROW_SQL, member_id)
    if row is None or not _visible(principal, row["id"], row["org_path"]):
        raise NotFound(ErrorCode.member_not_found)
    values: Mapping[str, Any] = row
    return values


def _render(values: Mapping[str, Any], *, unmasked: bool, flags: list[str]) -> dict[str, Any]:
    """One member as MemberRead's JSON fields, in its order (orjson writes the rest)."""
    cipher = pii_cipher()
    id_number = cipher.decrypt(values["id_number_enc"], field=ID_FIELD)
    phone_enc = values["phone_enc"]
    phone = cipher.decrypt(phone_enc, field=PHONE_FIELD) if phone_enc else None
    out: dict[str, Any] = {"id": values["id"]}
    for name in AUDITED_FIELDS:
        out[name] = values[name]
    out["id_number"] = id_number if unmasked else mask_id_number(id_number)
    out["phone"] = (phone if unmasked else mask_phone(phone)) if phone else None
    out["flags"] = flags
    out["pii_masked"] = not unmasked
    out["version"] = values["version"]
    out["created_at"] = values["created_at"]
    out["updated_at"] = values["updated_at"]
    return out


def _values(member: Member | Mapping[str, Any]) -> Mapping[str, Any]:
    if isinstance(member, Member):
        return {name: getattr(member, name) for name in RENDERED_COLUMNS}
    return member


async def render(
    session: AsyncSession,
    principal: Principal,
    members: Sequence[Member | Mapping[str, Any]],
    today: date,
) -> list[dict[str, Any]]:
    """Render members for the principal, masking PII unless they hold the right.

    Takes ORM objects or rows of `RENDERED_COLUMNS`; returns MemberRead's fields as
    JSON-ready values. Unmasked reads are audited: one event naming every revealed record.
    """
    rows = [_values(m) for m in members]
    revealed: list[Mapping[str, Any]] = []
    out: list[dict[str, Any]] = []
    flags = await lifecycle.flags_for(session, [r["id"] for r in rows], today)
    for values in rows:
        unmasked = may_read_member_pii(principal, values["id"], values["org_path"])
        if unmasked:
            revealed.append(values)
        out.append(_render(values, unmasked=unmasked, flags=flags.get(values["id"], [])))
    if len(revealed) == 1:
        audit.record(
            session,
            principal,
            "member.pii_read",
            "member",
            revealed[0]["id"],
            revealed[0]["org_path"],
        )
    elif revealed:
        audit.record(
            session,
            principal,
            "member.pii_read",
            "member",
            None,
            principal.org_path if not principal.sees_everything else None,
            after={"member_ids": [str(r["id"]) for r in revealed]},
        )
    return out


async def present(
    session: AsyncSession, principal: Principal, members: list[Member], today: date
) -> list[MemberRead]:
    """`render` as MemberRead models, for the endpoints that return one."""
    return [MemberRead(**values) for values in await render(session, principal, members, today)]
