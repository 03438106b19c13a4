"""Creating, correcting and listing members."""

from __future__ import annotations

import itertools
import uuid
from collections.abc import Sequence
from datetime import date
from typing import Any

from sqlalchemy import LargeBinary, Select, String, Uuid, any_, bindparam, select
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.ext.asyncio import AsyncSession

from app.errors import ErrorCode, Forbidden, Unprocessable
from app.i18n import Text
from app.models.enums import ENDED_STATUSES, MemberCategory, MemberStatus, Role
from app.models.member import Member
from app.models.organisation import Organisation
from app.pagination import Page, SortKey, like_escape, paginate_rows, parse_sort
from app.schemas.members import MemberCreate, MemberUpdate
from app.security.pii import pii_cipher
from app.security.scope import (
    Principal,
    like_prefix,
    load_visible,
    require_role,
    subtree_prefix,
)
from app.services import lifecycle, organisations
from app.services.integration import audit
from app.services.members.access import (
    AUDITED_FIELDS,
    ID_FIELD,
    PHONE_FIELD,
    VISIBILITY_FILTERS,
    named_conditions,
    visibility_values,
)
from app.services.members.placement import (
    check_accepts_members,
    check_community,
    load_and_check_group,
)
from app.services.members.rows import RENDERED_COLUMNS, MemberRow
from app.services.members.validation import (
    MILESTONES,
    check_code_lists,
    check_dates,
    checked_phone,
    ensure_id_number_free,
    parse_id,
    prepare_member,
)

MEMBER_SORT = "organisation"
MEMBER_SORTABLE = {
    # Tree order (branch by branch), the default: the subtree index serves it page by page.
    "organisation": Member.org_path,
    "name": Member.name,
    "birth_date": Member.birth_date,
    "created_at": Member.created_at,
    "status": Member.status,
}


def require_member_writer(principal: Principal) -> None:
    require_role(principal, Role.org_admin, Role.branch_secretary)


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


def relocated(member: Member, changes: dict[str, Any]) -> bool:
    """The work unit or residence changes from a recorded value (filling in a blank one is
    no move): a transfer (组织关系转接) is then suggested."""
    return any(
        field in changes
        and getattr(member, field) not in (None, "")
        and changes[field] != getattr(member, field)
        for field in ("work_unit", "residence")
    )


def check_may_correct(principal: Principal, member: Member) -> None:
    """Who may correct a member's record: writers; an ended record only a system admin."""
    require_member_writer(principal)
    if member.status in ENDED_STATUSES and principal.role is not Role.system_admin:
        raise Forbidden(
            ErrorCode.auth_forbidden,
            Text(
                zh="已终止的档案由系统管理员更正",
                en="ended records are corrected by a system administrator",
            ),
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
    require_member_writer(principal)
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
        await ensure_id_number_free(session, prepared.id_index)
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
        await _replace_id_number(session, member, changes.pop("id_number"), today)
        before["id_number_changed"] = True
    if "phone" in changes:
        phone = checked_phone(changes.pop("phone"))
        member.phone_enc = cipher.encrypt(phone, field=PHONE_FIELD) if phone else None
        member.phone_index = cipher.blind_index(phone, field=PHONE_FIELD) if phone else None
    if changes.get("residence_community_id") is not None:
        await check_community(session, changes["residence_community_id"])
    if "group_id" in changes:
        branch = await session.get(Organisation, member.org_id)
        assert branch is not None
        await load_and_check_group(session, principal, branch, changes["group_id"])
    if changes.get("category") is not None:
        changes["category"] = MemberCategory(changes["category"]).value
    elif "category" in changes:
        raise Unprocessable.field(
            "category",
            ErrorCode.member_category_required,
            Text(zh="类别不能为空", en="category cannot be null"),
        )
    check_code_lists(changes)
    if relocated(member, changes):
        member.relocated_on = today
    if "name" in changes and changes["name"] is None:
        raise Unprocessable.field(
            "name",
            ErrorCode.member_name_required,
            Text(zh="姓名不能为空", en="name cannot be null"),
        )
    merged = {name: changes.get(name, getattr(member, name)) for name in MILESTONES}
    check_dates(merged, member.birth_date, today, MemberStatus(member.status))
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


async def _replace_id_number(
    session: AsyncSession, member: Member, raw: str | None, today: date
) -> None:
    """Store a corrected ID number, and the birth date and gender it carries.

    It cannot be removed, and no other member may hold it.
    """
    if raw is None:
        raise Unprocessable.field(
            "id_number",
            ErrorCode.member_id_number_invalid,
            Text(zh="不能删除", en="cannot be removed"),
        )
    cipher = pii_cipher()
    number, birth, gender = parse_id(raw, today)
    index = cipher.blind_index(number, field=ID_FIELD)
    await ensure_id_number_free(session, index, exclude=member.id)
    member.id_number_enc = cipher.encrypt(number, field=ID_FIELD)
    member.id_number_index = index
    member.birth_date = birth
    member.gender = gender


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
) -> Page[tuple[MemberRow, list[str]]]:
    """Members in your subtree, filtered; `id_number` is an exact match via the blind index.
    In tree order a page reads the page only, unfiltered or with `status` or `category`
    (one value or several); `q` reads the names starting so; `flag` and other orders
    read every match in the subtree. `include_total` with no filter but the subtree,
    `status` and `category` is read from the kept member counts (the dashboard's: a
    province in a few ms); with any other filter or a flag it counts every match."""
    for field, ident in (("org_id", org_id), ("group_id", group_id)):
        if ident is not None:  # a filter's id answers like any other id (load_visible)
            await organisations.get_visible_node(session, principal, ident, field=field)
    keys = parse_sort(sort, MEMBER_SORTABLE, Member.id, default=MEMBER_SORT)
    values = visibility_values(principal)
    subtree = principal.scope.root  # the subtree listed: the principal's, or `within`'s
    if within is not None:
        root = await organisations.get_visible_node(session, principal, within, field="within")
        values["within_prefix"] = subtree_prefix(root.path)
        subtree = root.path
    values.update(_other_filters(org_id, group_id, status, category, q, id_number, today))
    flags = tuple(flag or ())
    lifecycle.check_flags(flags)  # unknown flags: 422 before anything runs
    kept = include_total and not flags and set(values) <= _KEPT_TOTAL_FILTERS
    if kept and subtree is not None:
        page = await _page(session, values, flags, today, keys, limit, cursor, False)
        statuses, categories = ([v.value for v in chosen or ()] for chosen in (status, category))
        total = await organisations.members_counted(session, subtree, today, statuses, categories)
        return Page(page.items, page.next_cursor, total)
    return await _page(session, values, flags, today, keys, limit, cursor, include_total)


# The filters whose total the kept counts hold (`counts.members_counted`): the subtree
# and the statuses and categories. With any other filter, a flag or a member user's own
# record (`me`), `include_total` counts the matches.
_KEPT_TOTAL_FILTERS = frozenset(
    {"scope_prefix", "within_prefix", "status", "statuses", "category", "categories"}
)


def _other_filters(
    org_id: uuid.UUID | None,
    group_id: uuid.UUID | None,
    status: list[MemberStatus] | None,
    category: list[MemberCategory] | None,
    q: str | None,
    id_number: str | None,
    today: date,
) -> dict[str, Any]:
    """The values of the filters after the subtree ones (`_LIST_FILTERS`)."""
    values: dict[str, Any] = {}
    if org_id is not None:
        values["org_id"] = org_id
    if group_id is not None:
        values["group_id"] = group_id
    values.update(_enum_filters(status, category))
    if q:
        values["name_pattern"] = like_escape(q) + "%"
    if id_number:
        values["id_index"] = _id_number_index(id_number, today)
    return values


async def _page(
    session: AsyncSession,
    values: dict[str, Any],
    flags: tuple[str, ...],
    today: date,
    keys: list[SortKey],
    limit: int | None,
    cursor: str | None,
    include_total: bool,
) -> Page[tuple[MemberRow, list[str]]]:
    """The page of the filters in `values`, each row with its flags as of `today`."""
    present = tuple(values)  # the filters in a fixed order, so equal sets share a statement
    split = tuple(name for name in _SPLIT if name in values)
    combinations = list(itertools.product(*(values[name] for name in split)))
    parts = {
        f"{name}_part_{i}": value
        for i, combination in enumerate(combinations)
        for name, value in zip(split, combination, strict=True)
    }
    return await paginate_rows(
        session,
        ("members", present, flags, today, len(combinations)),
        lambda: _list_select(present, flags, today),
        values | parts,
        keys,
        _flagged,
        limit=limit,
        cursor=cursor,
        include_total=include_total,
        # Each row's flags in the page's statement, as `access.read_visible` reads one
        # member's: one statement for the page and its flags, not two.
        page_columns=lambda: (lifecycle.raised_flags(today),),
        # Several statuses (or categories, or both): one part per value (per pair of a
        # status and a category), each a walk of its `(status, org_path, id)` index, or
        # `(status, category, org_path, id)`, in tree order that stops after the page,
        # merged (not a read and sort of every match of `status = ANY(...)`).
        merge=(lambda: _parts(present, flags, today, split, len(combinations))) if split else None,
    )


# The several-valued filters a page is split by, one part per value, or per pair of
# values when both are several: each has an index in tree order of its value (migration
# 0027), and of a status and a category (migration 0039), the one a single status or
# category filter beside the other uses too.
_SPLIT = {"statuses": Member.status, "categories": Member.category}


def _parts(
    present: tuple[str, ...],
    flags: tuple[str, ...],
    today: date,
    split: tuple[str, ...],
    count: int,
) -> list[Select[Any]]:
    """The filtered select as one select per combination of the values of the `split`
    filters (bound as `<filter>_part_<i>`), the other filters alike in each: disjoint,
    together the same rows."""
    others = tuple(name for name in present if name not in split)
    return [
        _list_select(others, flags, today).where(
            *(_SPLIT[name] == bindparam(f"{name}_part_{i}", None, type_=String) for name in split)
        )
        for i in range(count)
    ]


def _flagged(record: Sequence[object]) -> tuple[MemberRow, list[str]]:
    """A page row: the read model (`RENDERED_COLUMNS`) and, last, its raised flags."""
    flags: list[str] = record[-1]  # type: ignore[assignment]  # `raised_flags`: text[]
    return MemberRow._make(record[:-1]), flags


def _enum_filters(
    status: list[MemberStatus] | None, category: list[MemberCategory] | None
) -> dict[str, Any]:
    """The status and category filters' values. One value binds as an equality: its
    `(value, org_path, id)` index then serves the page in tree order and stops after
    it (`= ANY` of one value would read every match and sort them)."""
    values: dict[str, Any] = {}
    for single, several, chosen in (
        ("status", "statuses", status),
        ("category", "categories", category),
    ):
        if chosen and len(set(chosen)) == 1:
            values[single] = chosen[0].value
        elif chosen:  # each value once (the statuses are merged one part each)
            values[several] = list(dict.fromkeys(c.value for c in chosen))
    return values


def _id_number_index(id_number: str, today: date) -> bytes:
    """The blind index a searched ID number matches: normalized as stored when it parses
    (a 15-digit number upgraded), else as typed, so it simply finds nobody."""
    try:
        number = parse_id(id_number, today)[0]
    except Unprocessable:
        number = id_number.strip().upper()
    return pii_cipher().blind_index(number, field=ID_FIELD)


# Each filter of the member list: its bind parameter's type and its condition (subtree
# prefixes: no parameter, their text is the statement's, `like_prefix`).
_LIST_FILTERS: dict[str, tuple[Any, Any]] = {
    **VISIBILITY_FILTERS,
    "within_prefix": (None, lambda _: like_prefix(Member.org_path, "within_prefix")),
    "org_id": (Uuid, lambda p: Member.org_id == p),
    "group_id": (Uuid, lambda p: Member.group_id == p),
    "status": (String, lambda p: Member.status == p),
    "statuses": (ARRAY(String), lambda p: Member.status == any_(p)),
    "category": (String, lambda p: Member.category == p),
    "categories": (ARRAY(String), lambda p: Member.category == any_(p)),
    "name_pattern": (String, lambda p: Member.name.like(p)),
    "id_index": (LargeBinary, lambda p: Member.id_number_index == p),
}


def _list_select(present: tuple[str, ...], flags: tuple[str, ...], today: date) -> Select[Any]:
    """The filtered member select with a bind parameter for each present filter."""
    table = Member.__table__
    stmt: Select[Any] = select(*[table.c[name] for name in RENDERED_COLUMNS])
    stmt = stmt.where(*named_conditions(_LIST_FILTERS, present))
    if flags:
        stmt = stmt.where(lifecycle.flag_filter(flags, today))
    return stmt
