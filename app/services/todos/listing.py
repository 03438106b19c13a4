"""The to-do list (待办) of one principal: every source's items merged into one order
(due date first, undated last; then severity, kind, subject, code, link), paged with a
signed cursor, and the counts per kind for a badge.

Member-scale kinds are SQL selects (`sources.py`): the database counts them (one COUNT
per kind, one statement) and pages them by keyset (at most limit + 1 rows per kind,
after the cursor, in the one order); the page is the first `limit` of those merged. A
kind none of whose items can come before limit + 1 items already found (undated, or
of a later severity: read off its select) is not read at all, so a province's page of
meetings due never evaluates a million members' flags.
Organisation-scale kinds (`per_organisation.py`) are judged per organisation in Python
and merged the same way. Text is ordered by code point (`COLLATE "C"`), as Python
orders strings, so both halves agree on one order.
"""

from __future__ import annotations

import uuid
from datetime import date
from typing import Any, cast

from sqlalchemy import (
    ColumnElement,
    Date,
    Integer,
    Select,
    String,
    Uuid,
    and_,
    case,
    func,
    literal,
    literal_column,
    or_,
    select,
)
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.types import TypeEngine

from app.errors import Forbidden
from app.models.enums import Role, TodoKind, TodoSeverity
from app.pagination import Page, SortKey, clamp_limit, decode_cursor, encode_cursor
from app.security.scope import Principal
from app.services.todos.per_organisation import ORG_SOURCES
from app.services.todos.sources import SQL_COUNTS, SQL_SOURCES, Todo, fixed_by

TODO_SORT = "due_on"
# Every kind, in the order the counts list them.
KINDS = (
    TodoKind.transfer_to_accept,
    TodoKind.claim_to_approve,
    TodoKind.change_request_to_decide,
    TodoKind.leave_to_decide,
    TodoKind.meeting_due,
    TodoKind.member_flagged,
    TodoKind.dues_arrears,
    TodoKind.term_ending,
    TodoKind.check_in_overdue,
)
# A member user acts on its own check-ins only; the rest are the branch's work.
MEMBER_KINDS = (TodoKind.check_in_overdue,)
_RANK = {TodoSeverity.error: 0, TodoSeverity.warning: 1, TodoSeverity.info: 2}
_UNDATED = date.max
# The one order's parts, as the cursor carries them (each checked for its type).
_TYPES: tuple[TypeEngine[Any], ...] = (
    Date(),
    Integer(),
    String(),
    String(),
    String(),
    Uuid(),
    Uuid(),
)
_NAMES = ("due_on", "rank", "kind", "subject", "code", "resource_id", "row_id")
_POSITION = [
    SortKey(name, cast("Any", literal_column(name, type_)), False)
    for name, type_ in zip(_NAMES, _TYPES, strict=True)
]
Key = tuple[date, int, str, str, str, uuid.UUID, uuid.UUID]


def _key(t: Todo) -> Key:
    """The item's place in the one order."""
    return (
        t.due_on or _UNDATED,
        _RANK[t.severity],
        t.kind.value,
        t.subject,
        t.code,
        t.resource_id,
        t.row_id,
    )


def _least(kind: TodoKind, stmt: Select[Any]) -> tuple[date, int, str]:
    """The start of the one order no item of a SQL kind comes before: an undated kind's
    items come after every dated one, a kind of one severity among its rank."""
    undated, severity = fixed_by(stmt)
    rank = 0 if severity is None else _RANK[severity]
    return (_UNDATED if undated else date.min, rank, kind.value)


def _wanted(principal: Principal, kinds: list[TodoKind] | None) -> list[TodoKind]:
    wanted = [k for k in KINDS if kinds is None or k in kinds]
    if principal.role is Role.member:
        wanted = [k for k in wanted if k in MEMBER_KINDS]
    return wanted


def _selects(principal: Principal, wanted: list[TodoKind], today: date) -> dict[TodoKind, Any]:
    """Each wanted member-scale kind's select; none for a kind the role does not act on."""
    out: dict[TodoKind, Select[Any]] = {}
    for kind in wanted:
        source = SQL_SOURCES.get(kind)
        if source is None:
            continue
        try:
            stmt = source(principal, today)
        except Forbidden:  # a kind whose rule says this role does not act on it
            continue
        if stmt is not None:
            out[kind] = stmt
    return out


async def _org_items(
    session: AsyncSession, principal: Principal, wanted: list[TodoKind], today: date
) -> dict[TodoKind, list[Todo]]:
    out: dict[TodoKind, list[Todo]] = {}
    for kind in wanted:
        source = ORG_SOURCES.get(kind)
        if source is not None:
            out[kind] = await source(session, principal, today)
    return out


def _order(kind: TodoKind, columns: Any) -> list[ColumnElement[Any]]:
    """The one order over a source's item columns, in SQL."""
    rank = case({s.value: r for s, r in _RANK.items()}, value=columns.severity)
    return [
        func.coalesce(columns.due_on, literal(_UNDATED, Date)),
        rank,
        literal(kind.value, String).collate("C"),
        columns.subject.collate("C"),
        columns.code.collate("C"),
        columns.resource_id,
        columns.row_id,
    ]


def _lexicographic(
    order: list[ColumnElement[Any]], bound: list[ColumnElement[Any]], *, strict: bool
) -> ColumnElement[bool]:
    """`(order) > (bound)` (or `>=`) written out term by term."""
    terms = []
    for i, (o, b) in enumerate(zip(order, bound, strict=True)):
        last = i == len(order) - 1
        beyond = o >= b if last and not strict else o > b
        terms.append(and_(*(x == y for x, y in zip(order[:i], bound[:i], strict=True)), beyond))
    return or_(*terms)


def _after(order: list[ColumnElement[Any]], bound: list[ColumnElement[Any]]) -> ColumnElement[bool]:
    """The rows after the cursor in the one order.

    A row comparison whose leading parts are a kind's constants (its due date, rank,
    kind) is never an index condition; written out term by term, PostgreSQL folds the
    constants away, and each prefix's `>=` (implied, redundant) leaves a plain range on
    the first varying part, e.g. `name >= $n`, which an index in that order serves."""
    prefixes = (_lexicographic(order[:k], bound[:k], strict=False) for k in range(1, len(order)))
    return and_(_lexicographic(order, bound, strict=True), *prefixes)


async def _sql_page(
    session: AsyncSession, kind: TodoKind, stmt: Select[Any], after: Key | None, size: int
) -> list[Todo]:
    """The first `size` items of one kind after the cursor, in the one order."""
    items = stmt.subquery()
    order = _order(kind, items.c)
    query = select(*items.c).order_by(*order).limit(size)
    if after is not None:
        bound: list[ColumnElement[Any]] = [
            literal(v, t) for v, t in zip(after, _TYPES, strict=True)
        ]
        query = query.where(_after(order, bound))
    rows = await session.execute(query)
    return [
        Todo(kind, code, TodoSeverity(severity), due_on, subject, resource, resource_id, row_id)
        for due_on, severity, subject, code, resource, resource_id, row_id in rows
    ]


async def _sql_counts(
    session: AsyncSession, principal: Principal, selects: dict[TodoKind, Any], today: date
) -> dict[TodoKind, int]:
    """One COUNT per kind, all in one statement (a kind of `SQL_COUNTS` by its own)."""
    if not selects:
        return {}
    counts = [
        SQL_COUNTS[kind](principal, today).scalar_subquery()
        if kind in SQL_COUNTS
        else select(func.count()).select_from(stmt.subquery()).scalar_subquery()
        for kind, stmt in selects.items()
    ]
    row = (await session.execute(select(*counts))).one()
    return {kind: int(n) for kind, n in zip(selects, row, strict=True)}


async def todos(
    session: AsyncSession,
    principal: Principal,
    *,
    kinds: list[TodoKind] | None,
    today: date,
    limit: int | None,
    cursor: str | None,
    include_total: bool,
) -> Page[Todo]:
    """What the rules ask of you now in your subtree (a member: their own check-ins):
    transfers to accept, claims to approve (never your own: four eyes), meetings due by
    cadence, member flags, six months of dues unpaid, terms ending, check-ins overdue."""
    after = cast("Key", tuple(decode_cursor(_POSITION, cursor))) if cursor else None
    size = clamp_limit(limit)
    wanted = _wanted(principal, kinds)
    selects = _selects(principal, wanted, today)
    by_org = await _org_items(session, principal, wanted, today)
    found = sorted(
        (t for items in by_org.values() for t in items if after is None or _key(t) > after),
        key=_key,
    )[: size + 1]
    # Earliest-starting kinds first. A kind whose items all come after `size + 1` items
    # already found changes neither the page nor its cursor: its statement is not sent
    # (a province's flagged members, every member's flags evaluated, after a page of
    # meetings due).
    starts = {kind: _least(kind, stmt) for kind, stmt in selects.items()}
    for kind, stmt in sorted(selects.items(), key=lambda ks: starts[ks[0]]):
        if len(found) > size and _key(found[size])[:3] < starts[kind]:
            continue
        found = sorted(found + await _sql_page(session, kind, stmt, after, size + 1), key=_key)
        del found[size + 1 :]
    page = found[:size]
    next_cursor = encode_cursor(_POSITION, list(_key(page[-1]))) if len(found) > size else None
    total = None
    if include_total:
        counted = await _sql_counts(session, principal, selects, today)
        total = sum(counted.values()) + sum(len(items) for items in by_org.values())
    return Page(items=page, next_cursor=next_cursor, total=total)


async def todo_counts(
    session: AsyncSession, principal: Principal, today: date
) -> dict[TodoKind, int]:
    """How many to-dos of each kind (every kind listed, zero included), for a badge."""
    wanted = _wanted(principal, None)
    counts = dict.fromkeys(KINDS, 0)
    selects = _selects(principal, wanted, today)
    counts.update(await _sql_counts(session, principal, selects, today))
    for kind, items in (await _org_items(session, principal, wanted, today)).items():
        counts[kind] = len(items)
    return counts
