"""Members (党员): records, ID-number rules and PII protection.

ID numbers and phones are stored only as ciphertexts plus a keyed blind index;
responses carry masks unless the caller holds PII rights, and every unmasked
read is audited.
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from functools import lru_cache
from typing import Any

from sqlalchemy import LargeBinary, Select, String, Uuid, any_, bindparam, select
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.ext.asyncio import AsyncSession

from app import db
from app.config import get_settings
from app.errors import Conflict, ErrorCode, Forbidden, NotFound, Unprocessable
from app.models.enums import (
    BRANCH_TYPES,
    ENDED_STATUSES,
    MemberCategory,
    MemberStatus,
    OrgType,
    Role,
)
from app.models.member import Member
from app.models.organisation import Organisation
from app.pagination import Page, paginate_rows, parse_sort
from app.schemas.members import MemberCreate, MemberRead, MemberUpdate
from app.security.pii import PhoneError, PiiCipher, mask_id_number, mask_phone, normalize_phone
from app.security.scope import (
    Principal,
    in_scope,
    like_prefix,
    load_anywhere,
    load_visible,
    may_read_member_pii,
    member_rows_only,
    require_role,
    subtree_prefix,
)
from app.services import audit, lifecycle, organisations
from app.services.id_numbers import IdNumberError, parse_id_number, upgrade_legacy_id_number

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
SORTABLE = {
    # Tree order (branch by branch), the default: the subtree index serves it page by page.
    "organisation": Member.org_path,
    "name": Member.name,
    "birth_date": Member.birth_date,
    "created_at": Member.created_at,
    "status": Member.status,
}
# Membership milestones in the order they happen.
MILESTONES = ("applied_on", "activist_on", "candidate_on", "joined_on", "full_on")
MIN_APPLICATION_AGE = 18
# Statuses of the development pipeline: their application date is required, since the
# 18-year rule runs at it. Later statuses may be legacy records without one.
APPLICATION_DATE_REQUIRED = frozenset(
    {MemberStatus.applicant, MemberStatus.activist, MemberStatus.candidate}
)
# The milestone whose date a recorded status started on.
STATUS_SINCE_FIELD = {
    MemberStatus.applicant: "applied_on",
    MemberStatus.activist: "activist_on",
    MemberStatus.candidate: "candidate_on",
    MemberStatus.probationary: "joined_on",
    MemberStatus.full: "full_on",
}


@lru_cache
def pii_cipher() -> PiiCipher:
    settings = get_settings()
    return PiiCipher(settings.pii_key, settings.pii_cipher, index_secret=settings.pii_index_key)


def _age_on(birth: date, day: date) -> int:
    return day.year - birth.year - ((day.month, day.day) < (birth.month, birth.day))


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


def _require_member_writer(principal: Principal) -> None:
    require_role(principal, Role.org_admin, Role.branch_secretary)


def check_branch(org: Organisation) -> None:
    """A member's organisation: a branch or joint branch."""
    if OrgType(org.type) not in BRANCH_TYPES or org.type == OrgType.temporary_branch:
        # A temporary branch's members keep their relationship at their home branch.
        raise Unprocessable.field("org_id", ErrorCode.member_org_not_branch)


def check_accepts_members(org: Organisation) -> None:
    """A new member's branch is not dissolved (its ended records stay where they were)."""
    if org.dissolved_on is not None:
        raise Conflict(ErrorCode.organisation_dissolved)


def check_group(
    branch: Organisation, group_id: uuid.UUID | None, group: Organisation | None
) -> None:
    """`group_id`, when given, names a party group of `branch` (`group`: that row, loaded)."""
    if group_id is None:
        return
    if group is None or group.type != OrgType.group or group.parent_id != branch.id:
        raise Unprocessable.field("group_id", ErrorCode.member_group_invalid)


async def _check_group(
    session: AsyncSession, principal: Principal, branch: Organisation, group_id: uuid.UUID | None
) -> None:
    group = (
        await load_visible(session, principal, Organisation, group_id, field="group_id")
        if group_id is not None
        else None
    )
    check_group(branch, group_id, group)


COMMUNITY_UNIT_CATEGORIES = (3, 7)  # 农村 (villages), 街道社区 (streets and communities)


async def check_community(
    session: AsyncSession,
    org_id: uuid.UUID | None,
    field: str = "residence_community_id",
    reference: str = "member.residence_community_id",
    *,
    copies_path: bool = False,
) -> Organisation | None:
    """A community-level organisation: a village's or a community's, not a party group.

    Named anywhere in the tree (where a member lives or reports is not their branch's
    business to own); absent is 404 naming `field`."""
    if org_id is None:
        return None
    org = await load_anywhere(
        session, Organisation, org_id, field=field, reference=reference, copies_path=copies_path
    )
    if org.unit_category not in COMMUNITY_UNIT_CATEGORIES or org.type == OrgType.group:
        raise Unprocessable.field(
            field,
            ErrorCode.grid_org_not_community,
            "a village or community organisation",
        )
    return org


def _parse_id(raw: str, today: date) -> tuple[str, date, str]:
    try:
        digits = raw.strip()
        if len(digits) == 15 and digits.isdigit():
            digits = upgrade_legacy_id_number(digits)
        parsed = parse_id_number(digits, today=today)
    except IdNumberError as exc:
        raise Unprocessable.field("id_number", exc.code, exc.message) from exc
    return parsed.number, parsed.birth_date, parsed.gender


def _normalize_phone(raw: str | None) -> str | None:
    if raw is None or raw == "":
        return None
    try:
        return normalize_phone(raw)
    except PhoneError as exc:
        raise Unprocessable.field("phone", exc.code, exc.message) from exc


def _check_dates(values: dict[str, Any], birth: date, today: date, status: MemberStatus) -> None:
    """Milestones in order and not in the future; the 18-year rule at the application.

    An applicant, activist or candidate needs `applied_on` (422 naming it) and must be
    18 on it. A probationary or full member recorded without it must be 18 on the
    earliest milestone given (one applies before it), or today when none is given.
    """
    previous_name, previous = None, None
    for name in MILESTONES:
        value = values.get(name)
        if value is None:
            continue
        if value > today:
            raise Unprocessable.field(
                name, ErrorCode.member_date_in_future, f"{name} is in the future"
            )
        if previous is not None and value < previous:
            raise Unprocessable.field(
                name, ErrorCode.member_dates_out_of_order, f"{name} is before {previous_name}"
            )
        previous_name, previous = name, value
    applied = values.get("applied_on")
    if applied is None and status in APPLICATION_DATE_REQUIRED:
        raise Unprocessable.field("applied_on", ErrorCode.member_applied_on_required)
    if status in ENDED_STATUSES:
        return
    field, day = next(
        ((name, values[name]) for name in MILESTONES if values.get(name) is not None),
        ("applied_on", today),
    )
    if _age_on(birth, day) < MIN_APPLICATION_AGE:
        raise Unprocessable.field(field, ErrorCode.member_under_age)


async def _ensure_id_number_free(
    session: AsyncSession, index: bytes, exclude: uuid.UUID | None = None
) -> None:
    stmt = select(Member.id).where(
        Member.id_number_index == index,
        Member.status.notin_([s.value for s in ENDED_STATUSES]),
    )
    if exclude is not None:
        stmt = stmt.where(Member.id != exclude)
    if await session.scalar(stmt.limit(1)) is not None:
        raise Conflict(ErrorCode.member_id_number_taken)


@dataclass(frozen=True)
class PreparedMember:
    """A new member's record after every rule that needs no query: the columns to
    write (without id and ciphertexts), the normalised ID number and phone, and the
    ID number's blind index (the key imports match on)."""

    values: dict[str, Any]
    id_number: str
    id_index: bytes
    phone: str | None

    @property
    def phone_index(self) -> bytes | None:
        return pii_cipher().blind_index(self.phone, field=PHONE_FIELD) if self.phone else None

    def columns(self) -> dict[str, Any]:
        """`values` plus the encrypted ID number and phone and their blind indexes."""
        cipher = pii_cipher()
        return {
            **self.values,
            "id_number_enc": cipher.encrypt(self.id_number, field=ID_FIELD),
            "id_number_index": self.id_index,
            "phone_enc": cipher.encrypt(self.phone, field=PHONE_FIELD) if self.phone else None,
            "phone_index": self.phone_index,
        }


def prepare_member(
    data: MemberCreate, branch: Organisation, group: Organisation | None, today: date
) -> PreparedMember:
    """The one validation and normalisation of a new member, for the API and the import.

    `branch` is the loaded (and scope-checked) organisation of `data.org_id`, `group`
    the loaded `data.group_id` (None when absent). Checks the branch (a branch or joint
    branch; a new record's also `check_accepts_members`), the group, the ID number
    (GB 11643; a 15-digit legacy number is upgraded) against the birth date and gender
    given, the milestone dates and the phone. What needs a query (scope, the community,
    a living duplicate) is the caller's.
    """
    check_branch(branch)
    check_group(branch, data.group_id, group)
    number, birth, gender = _parse_id(data.id_number, today)
    if data.birth_date is not None and data.birth_date != birth:
        raise Unprocessable.field("birth_date", ErrorCode.member_birth_date_mismatch)
    if data.gender is not None and data.gender.value != gender:
        raise Unprocessable.field("gender", ErrorCode.member_gender_mismatch)
    values = data.model_dump(exclude={"id_number", "phone", "gender", "birth_date", "org_id"})
    _check_dates(values, birth, today, data.status)
    phone = _normalize_phone(data.phone)
    values["status"] = data.status.value
    values["status_since"] = values.get(STATUS_SINCE_FIELD.get(data.status, ""))
    values["category"] = data.category.value
    values.update(org_id=branch.id, org_path=branch.path, gender=gender, birth_date=birth)
    index = pii_cipher().blind_index(number, field=ID_FIELD)
    return PreparedMember(values, number, index, phone)


def record_created(
    session: AsyncSession, principal: Principal, member: Any, action: str = "member.created"
) -> None:
    """The audit event of a new member (`member`: the row, or a stand-in with the columns
    written, the others left to their defaults)."""
    audit.record(
        session,
        principal,
        action,
        "member",
        member.id,
        member.org_path,
        after=audit.snapshot(member, tuple(k for k in AUDITED_FIELDS if hasattr(member, k))),
    )


def check_may_correct(principal: Principal, member: Member) -> None:
    """Who may correct a member's record: writers; an ended record only a system admin."""
    _require_member_writer(principal)
    if member.status in ENDED_STATUSES and principal.role is not Role.system_admin:
        raise Forbidden(
            ErrorCode.auth_forbidden, "ended records are corrected by a system administrator"
        )


async def create_member(
    session: AsyncSession, principal: Principal, data: MemberCreate, today: date
) -> Member:
    """Record a member in a branch of your subtree (党员信息录入).

    Any status may be recorded, with its dates, to take over existing ledgers;
    later status changes go through transitions. Birth date and gender come from
    the ID number (GB 11643); a conflicting value is refused. The import runs the
    same rules (`prepare_member`).
    """
    _require_member_writer(principal)
    branch = await organisations.get_visible(
        session, principal, data.org_id, field="org_id", copies_path=True
    )
    group = (
        await load_visible(session, principal, Organisation, data.group_id, field="group_id")
        if data.group_id
        else None
    )
    prepared = prepare_member(data, branch, group, today)
    check_accepts_members(branch)
    await check_community(session, data.residence_community_id)
    if data.status not in ENDED_STATUSES:
        await _ensure_id_number_free(session, prepared.id_index)
    member = Member(**prepared.columns())
    session.add(member)
    await session.flush()
    record_created(session, principal, member)
    return member


async def update_member(
    session: AsyncSession, principal: Principal, member: Member, data: MemberUpdate, today: date
) -> Member:
    """Correct a member's record. Status changes go through transitions, moves through transfers."""
    check_may_correct(principal, member)
    before = audit.snapshot(member, AUDITED_FIELDS)
    changes = data.model_dump(exclude_unset=True)
    cipher = pii_cipher()
    if "id_number" in changes:
        if changes["id_number"] is None:
            raise Unprocessable.field(
                "id_number", ErrorCode.member_id_number_invalid, "cannot be removed"
            )
        number, birth, gender = _parse_id(changes.pop("id_number"), today)
        index = cipher.blind_index(number, field=ID_FIELD)
        await _ensure_id_number_free(session, index, exclude=member.id)
        member.id_number_enc = cipher.encrypt(number, field=ID_FIELD)
        member.id_number_index = index
        member.birth_date = birth
        member.gender = gender
        before["id_number_changed"] = True
    if "phone" in changes:
        phone = _normalize_phone(changes.pop("phone"))
        member.phone_enc = cipher.encrypt(phone, field=PHONE_FIELD) if phone else None
        member.phone_index = cipher.blind_index(phone, field=PHONE_FIELD) if phone else None
    if changes.get("residence_community_id") is not None:
        await check_community(session, changes["residence_community_id"])
    if "group_id" in changes:
        branch = await session.get(Organisation, member.org_id)
        assert branch is not None
        await _check_group(session, principal, branch, changes["group_id"])
    if changes.get("category") is not None:
        changes["category"] = MemberCategory(changes["category"]).value
    elif "category" in changes:
        raise Unprocessable.field(
            "category", ErrorCode.member_category_required, "category cannot be null"
        )
    if "name" in changes and changes["name"] is None:
        raise Unprocessable.field("name", ErrorCode.member_name_required, "name cannot be null")
    merged = {name: changes.get(name, getattr(member, name)) for name in MILESTONES}
    _check_dates(merged, member.birth_date, today, MemberStatus(member.status))
    for field, value in changes.items():
        setattr(member, field, value)
    await session.flush()
    audit.record(
        session,
        principal,
        "member.updated",
        "member",
        member.id,
        member.org_path,
        before=before,
        after=audit.snapshot(member, AUDITED_FIELDS),
    )
    return member


async def list_members(
    session: AsyncSession,
    principal: Principal,
    *,
    org_id: uuid.UUID | None,
    within: uuid.UUID | None,
    group_id: uuid.UUID | None,
    status: list[MemberStatus] | None,
    category: list[MemberCategory] | None,
    flag: list[str] | None,
    q: str | None,
    id_number: str | None,
    today: date,
    sort: str | None,
    limit: int | None,
    cursor: str | None,
    include_total: bool,
) -> Page[Mapping[str, Any]]:
    """Members in your subtree, filtered; `id_number` is an exact match via the blind index."""
    keys = parse_sort(sort, SORTABLE, Member.id, default="organisation")
    values: dict[str, Any] = {}
    if not principal.sees_everything:
        values["scope_prefix"] = principal.scope.prefix
    own = member_rows_only(principal)
    if own is not None:
        values["me"] = own
    if within is not None:
        root = await organisations.get_visible_node(session, principal, within, field="within")
        values["within_prefix"] = subtree_prefix(root["path"])
    if org_id is not None:
        values["org_id"] = org_id
    if group_id is not None:
        values["group_id"] = group_id
    if status:
        values["statuses"] = [s.value for s in status]
    if category:
        values["categories"] = [c.value for c in category]
    if q:
        values["name_pattern"] = (
            q.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"
        )
    if id_number:
        try:
            number = _parse_id(id_number, today)[0]
        except Unprocessable:
            number = id_number.strip().upper()
        values["id_index"] = pii_cipher().blind_index(number, field=ID_FIELD)
    flags = tuple(flag or ())
    lifecycle.check_flags(flags)  # unknown flags: 422 before anything runs
    present = tuple(values)  # the filters in a fixed order, so equal sets share a statement
    shape = ("members", present, flags, today if flags else None)
    return await paginate_rows(
        session,
        shape,
        lambda: _list_select(present, flags, today),
        values,
        keys,
        limit=limit,
        cursor=cursor,
        include_total=include_total,
    )


# Each filter of the member list: its bind parameter's type and its condition.
_LIST_FILTERS: dict[str, tuple[Any, Any]] = {
    "scope_prefix": (String, lambda p: like_prefix(Member.org_path, p)),
    "me": (Uuid, lambda p: Member.id == p),
    "within_prefix": (String, lambda p: like_prefix(Member.org_path, p)),
    "org_id": (Uuid, lambda p: Member.org_id == p),
    "group_id": (Uuid, lambda p: Member.group_id == p),
    "statuses": (ARRAY(String), lambda p: Member.status == any_(p)),
    "categories": (ARRAY(String), lambda p: Member.category == any_(p)),
    "name_pattern": (String, lambda p: Member.name.like(p)),
    "id_index": (LargeBinary, lambda p: Member.id_number_index == p),
}


def _list_select(present: tuple[str, ...], flags: tuple[str, ...], today: date) -> Select[Any]:
    """The filtered member select with a bind parameter for each present filter."""
    table = Member.__table__
    stmt: Select[Any] = select(*[table.c[name] for name in RENDERED_COLUMNS])
    for name in present:
        type_, condition = _LIST_FILTERS[name]
        stmt = stmt.where(condition(bindparam(name, None, type_=type_)))
    if flags:
        stmt = stmt.where(lifecycle.flag_filter(flags, today))
    return stmt
