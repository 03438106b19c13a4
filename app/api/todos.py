"""To-dos (待办): the principal's work computed from the rules, and counts for a badge."""

from __future__ import annotations

from typing import Annotated

from fastapi import Query

from app.api.common import CursorQuery, LimitQuery, TotalQuery, make_router, sort_query
from app.api.common import whole_list_order as only_order
from app.api.deps import AsOfDep, PrincipalDep, SessionDep
from app.models.enums import TodoKind
from app.schemas.common import Page
from app.schemas.todos import TodoCounts, TodoLink, TodoRead
from app.services import todos as service

router = make_router("todos")


@router.get("/todos", name="todos_list", description=service.todos.__doc__ or "")
async def todos_list(
    session: SessionDep,
    principal: PrincipalDep,
    as_of: AsOfDep,
    kind: Annotated[list[TodoKind] | None, Query(description="Repeat for several.")] = None,
    sort: str = sort_query(service.TODO_SORT),
    limit: LimitQuery = None,
    cursor: CursorQuery = None,
    include_total: TotalQuery = False,
) -> Page[TodoRead]:
    only_order(sort, service.TODO_SORT)
    page = await service.todos(
        session,
        principal,
        kinds=kind,
        today=as_of,
        limit=limit,
        cursor=cursor,
        include_total=include_total,
    )
    items = [
        TodoRead(
            kind=t.kind,
            code=t.code,
            severity=t.severity,
            due_on=t.due_on,
            subject=t.subject,
            link=TodoLink(resource=t.resource, id=t.resource_id),
        )
        for t in page.items
    ]
    return Page(items=items, next_cursor=page.next_cursor, total=page.total)


@router.get("/todos/counts", name="todos_counts")
async def todos_counts(session: SessionDep, principal: PrincipalDep, as_of: AsOfDep) -> TodoCounts:
    """How many to-dos of each kind (every kind, zero included), for a badge."""
    counts = await service.todo_counts(session, principal, as_of)
    return TodoCounts(as_of=as_of, total=sum(counts.values()), by_kind=counts)
