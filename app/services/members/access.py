"""Loading and rendering members within the principal's scope, PII masked unless the
principal may read it.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable, Sequence
from dataclasses import replace
from datetime import date
from functools import lru_cache
from typing import Any

from sqlalchemy import Boolean, ColumnElement, Select, Uuid, bindparam, literal_column, select
from sqlalchemy.ext.asyncio import AsyncSession

from app import db
from app.errors import ErrorCode, NotFound
from app.models.enums import Role
from app.models.member import Member
from app.schemas.members import MemberRead
from app.security.pii import PiiCipher, mask_id_number, mask_phone, pii_cipher
from app.security.scope import (
    Principal,
    in_scope,
    like_prefix,
    load_visible,
    member_pii_reader,
    member_rows_only,
    reveals_visible_members_pii,
)
from app.services import lifecycle, principals
from app.services.integration import audit
from app.services.members.rows import RENDERED_COLUMNS, MemberRow

ID_FIELD = "member.id_number"
PHONE_FIELD = "member.phone"
AUDITED_FIELDS = (
    "name",
    "gender",
    "birth_date",
    "ethnicity",
    "education",
    "degree",
    "post",
    "new_social_stratum",
    "hardship",
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


# `_visible` as conditions of a statement compiled once (the member list's, the audited
# read's): their values per principal (`visibility_values`), their conditions by name.
VISIBILITY_FILTERS: dict[str, tuple[Any, Any]] = {
    "scope_prefix": (None, lambda _: like_prefix(Member.org_path, "scope_prefix")),
    "me": (Uuid, lambda p: Member.id == p),
}


def visibility_values(principal: Principal) -> dict[str, Any]:
    """The values of `VISIBILITY_FILTERS` for the principal: its subtree's prefix (none
    for one who sees everything) and, for a member user, its own record's id."""
    values: dict[str, Any] = {}
    if not principal.sees_everything:
        values["scope_prefix"] = principal.scope.prefix
    own = member_rows_only(principal)
    if own is not None:
        values["me"] = own
    return values


def named_conditions(
    filters: dict[str, tuple[Any, Any]], names: Iterable[str]
) -> list[ColumnElement[bool]]:
    """The conditions of the filters `names` (of `filters`: name -> (type, condition)),
    each over its own bind parameter, for a statement compiled once."""
    return [filters[name][1](bindparam(name, None, type_=filters[name][0])) for name in names]


def _row_select(today: date, *conditions: ColumnElement[bool]) -> Select[Any]:
    """The member `member_id`'s read model and its flags as of `today` (where `conditions`
    hold)."""
    return select(
        *(getattr(Member, name) for name in RENDERED_COLUMNS), lifecycle.raised_flags(today)
    ).where(Member.id == bindparam("member_id", type_=Uuid), *conditions)


@lru_cache(maxsize=4)
def _row_query(today: date) -> db.DriverStatement:
    """The member's read model and its flags (`lifecycle.raised_flags`) in one statement,
    compiled once per day: a read sends one statement for both, not two."""
    return db.DriverStatement.compile(_row_select(today))


async def read_visible(
    session: AsyncSession, principal: Principal, member_id: uuid.UUID, today: date
) -> tuple[MemberRow, list[str]]:
    """`get_visible` for reads, on the driver: the member's read model (no ORM object)
    and its flags as of `today`."""
    query = _row_query(today)
    record = await db.fetchrow(session, query.sql, *query.args(member_id=member_id))
    return _found(principal, record)


def _found(principal: Principal, record: Any) -> tuple[MemberRow, list[str]]:
    if record is None or not _visible(principal, record["id"], record["org_path"]):
        raise NotFound(ErrorCode.member_not_found)
    values = tuple(record)
    return MemberRow._make(values[:-1]), values[-1]


@lru_cache(maxsize=16)
def _audited_row_query(today: date, filters: tuple[str, ...]) -> db.DriverStatement:
    """`_row_query` of a member the caller may see (`VISIBILITY_FILTERS` named by
    `filters`), with the audit event of its unmasked read written by the same statement
    when the row is found (`audit.event_cte`; its values the next parameters), and the
    row found only while the caller's login holds (`principals.principal_guard`, its
    values the last parameters): the read checks the caller too."""
    conditions = named_conditions(VISIBILITY_FILTERS, filters)
    guarded = literal_column(f"EXISTS (SELECT FROM {principals.GUARD_CTE})", Boolean)
    query = db.DriverStatement.compile(_row_select(today, *conditions, guarded))
    first = len(query.names) + 1
    cte = audit.event_cte("found", first, path_from="org_path")
    guard = principals.principal_guard(first + audit.EVENT_PARAMETERS)
    sql = (
        f"WITH {principals.GUARD_CTE} AS ({guard}), found AS ({query.sql}), {cte} "  # noqa: S608  # compiled text
        "SELECT * FROM found"
    )
    return replace(query, sql=sql)


async def _read_audited(
    session: AsyncSession,
    principal: Principal,
    member_id: uuid.UUID,
    today: date,
    event: tuple[Any, ...],
) -> tuple[MemberRow, list[str]]:
    """`read_visible` for a principal who reads the PII of whatever it may see
    (`reveals_visible_members_pii`): the row found only if visible, and the read's
    audit event (`event`) written with it, as a statement of its own: one round trip
    that also checks the caller's login when that is pending."""
    values = visibility_values(principal)
    query = _audited_row_query(today, tuple(sorted(values)))
    sql, args = query.bind(member_id=member_id, **values)
    guard = principals.guard_values(principal)
    return _found(principal, await db.fetchrow_gated(session, sql, *args, *event, *guard))


# The answer's fields, in MemberRead's order (orjson writes them so). `MemberRow` starts
# with the id and the audited fields in this order (checked below), so a row's first
# values zip onto the head; the answer is a copy of `_TEMPLATE` with its values filled
# in: a new 41-key dict built key by key costs twice as much (resizes, new slots).
_HEAD = ("id", *AUDITED_FIELDS)
_TEMPLATE = dict.fromkeys(
    (*_HEAD, "id_number", "phone", "flags", "pii_masked", "version", "created_at", "updated_at")
)
if RENDERED_COLUMNS[: len(_HEAD)] != _HEAD:  # pragma: no cover (a misordered MemberRow)
    raise ImportError("MemberRow must start with the id and AUDITED_FIELDS, in order")


def _render(row: MemberRow, unmasked: bool, flags: list[str], cipher: PiiCipher) -> dict[str, Any]:
    """One member as MemberRead's JSON fields, in its order (orjson writes the rest)."""
    id_number = cipher.decrypt(row.id_number_enc, field=ID_FIELD)
    phone = cipher.decrypt(row.phone_enc, field=PHONE_FIELD) if row.phone_enc else None
    out = _TEMPLATE.copy()
    out.update(zip(_HEAD, row, strict=False))  # the head only (`_HEAD` is shorter)
    out["id_number"] = id_number if unmasked else mask_id_number(id_number)
    out["phone"] = (phone if unmasked else mask_phone(phone)) if phone else None
    out["flags"] = flags
    out["pii_masked"] = not unmasked
    out["version"] = row.version
    out["created_at"] = row.created_at
    out["updated_at"] = row.updated_at
    return out


async def render(
    session: AsyncSession,
    principal: Principal,
    rows: Sequence[MemberRow],
    today: date,
    flags: Sequence[list[str]] | None = None,
    audited: bool = False,
) -> list[dict[str, Any]]:
    """Render members for the principal, masking PII unless they hold the right.

    Takes the read model (`rows.MemberRow`); returns MemberRead's fields as JSON-ready
    values. Unmasked reads are audited: one event naming every revealed record (none
    with `audited`: one row whose read wrote its event itself, `_read_audited`). `flags`
    already read with the rows (`read_visible`, the list's page), one list per row in
    their order, are not read again.
    """
    revealed: list[MemberRow] = []
    out: list[dict[str, Any]] = []
    if flags is None:
        by_id = await lifecycle.flags_for(session, [r.id for r in rows], today)
        flags = [by_id.get(r.id, []) for r in rows]
    cipher = pii_cipher()
    may_read = member_pii_reader(principal)
    for row, raised in zip(rows, flags, strict=True):
        unmasked = may_read(row.id, row.org_path)
        if unmasked:
            revealed.append(row)
        out.append(_render(row, unmasked, raised, cipher))
    if audited:
        return out
    if len(revealed) == 1:
        audit.record(
            session,
            principal,
            "member.pii_read",
            "member",
            revealed[0].id,
            revealed[0].org_path,
        )
    elif revealed:
        audit.record(
            session,
            principal,
            "member.pii_read",
            "member",
            None,
            principal.org_path if not principal.sees_everything else None,
            after={"member_ids": [str(r.id) for r in revealed]},
        )
    return out


async def present(
    session: AsyncSession, principal: Principal, members: list[Member], today: date
) -> list[MemberRead]:
    """`render` as MemberRead models, for the endpoints that return one."""
    rows = [MemberRow.of(m) for m in members]
    return [MemberRead(**values) for values in await render(session, principal, rows, today)]


async def read_one(
    session: AsyncSession, principal: Principal, member_id: uuid.UUID, today: date
) -> tuple[dict[str, Any], int]:
    """One member as `GET /members/{id}` (and `GET /me`) renders it for the principal:
    the body (`render`) and its version, the ETag.

    When the principal reads the PII of whatever it may see, the read and its audit
    event are one statement (`_read_audited`), unless events recorded earlier in the
    request still wait for the commit (the order of events is the order recorded)."""
    event = None
    if reveals_visible_members_pii(principal):
        event = audit.event_values(session, principal, "member.pii_read", "member", member_id, None)
    if event is None:
        row, flags = await read_visible(session, principal, member_id, today)
        body = (await render(session, principal, [row], today, [flags]))[0]
    else:
        row, flags = await _read_audited(session, principal, member_id, today, event)
        body = (await render(session, principal, [row], today, [flags], audited=True))[0]
    return body, row.version
