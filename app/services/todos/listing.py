"""The to-do list (待办) of one principal: every source's items merged into one order
(due date first, undated last; then severity, kind, subject), paged with a signed
cursor, and the counts per kind for a badge."""

from __future__ import annotations

from datetime import date
from typing import cast

from sqlalchemy import String, literal_column
from sqlalchemy.ext.asyncio import AsyncSession

from app.errors import Forbidden
from app.models.enums import Role, TodoKind, TodoSeverity
from app.pagination import Page, SortKey, clamp_limit, decode_cursor, encode_cursor
from app.security.scope import Principal
from app.services.todos.sources import MEMBER_KINDS, SOURCES, Todo

TODO_SORT = "due_on"
_POSITION = [SortKey("position", cast("object", literal_column("position", String())), False)]  # type: ignore[arg-type]
_RANK = {TodoSeverity.error: 0, TodoSeverity.warning: 1, TodoSeverity.info: 2}
_UNDATED = date.max


def _key(t: Todo) -> str:
    """The item's place in the one order, as a comparable string."""
    return "|".join(
        (
            (t.due_on or _UNDATED).isoformat(),
            str(_RANK[t.severity]),
            t.kind.value,
            t.subject,
            t.code,
            str(t.resource_id),
        )
    )


async def _collect(
    session: AsyncSession, principal: Principal, kinds: list[TodoKind] | None, today: date
) -> list[Todo]:
    wanted = kinds or list(SOURCES)
    if principal.role is Role.member:
        wanted = [k for k in wanted if k in MEMBER_KINDS]
    out: list[Todo] = []
    for kind in wanted:
        try:
            out += await SOURCES[kind](session, principal, today)
        except Forbidden:  # a kind whose rule says this role does not act on it
            continue
    return out


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
    after = decode_cursor(_POSITION, cursor)[0] if cursor else None
    ordered = sorted((_key(t), t) for t in await _collect(session, principal, kinds, today))
    rest = [pair for pair in ordered if after is None or pair[0] > after]
    size = clamp_limit(limit)
    page = rest[:size]
    next_cursor = encode_cursor(_POSITION, [page[-1][0]]) if len(rest) > size else None
    return Page(
        items=[t for _, t in page],
        next_cursor=next_cursor,
        total=len(ordered) if include_total else None,
    )


async def todo_counts(
    session: AsyncSession, principal: Principal, today: date
) -> dict[TodoKind, int]:
    """How many to-dos of each kind (every kind listed, zero included), for a badge."""
    counts = dict.fromkeys(SOURCES, 0)
    for t in await _collect(session, principal, None, today):
        counts[t.kind] += 1
    return counts
