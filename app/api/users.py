"""User endpoints (admins)."""

from __future__ import annotations

import uuid

from fastapi import Response, status

from app.api.common import (
    API_PREFIX,
    CursorQuery,
    IfMatch,
    LimitQuery,
    TotalQuery,
    doc,
    envelope,
    make_router,
    sort_query,
)
from app.api.deps import PrincipalDep, SessionDep, check_if_match, set_etag
from app.models.enums import Role
from app.schemas.common import Page
from app.schemas.users import UserCreate, UserRead, UserUpdate
from app.services import users as users_service

router = make_router("users")


@router.post(
    "/users",
    name="users_create",
    status_code=status.HTTP_201_CREATED,
    description=doc(users_service.create_user),
)
async def users_create(
    body: UserCreate, response: Response, session: SessionDep, principal: PrincipalDep
) -> UserRead:
    user = await users_service.create_user(session, principal, body)
    response.headers["Location"] = f"{API_PREFIX}/users/{user.id}"
    set_etag(response, user.version)
    return UserRead.model_validate(user)


@router.get("/users", name="users_list")
async def users_list(
    session: SessionDep,
    principal: PrincipalDep,
    role: Role | None = None,
    sort: str = sort_query(users_service.USER_SORT, *users_service.USER_SORTABLE),
    limit: LimitQuery = None,
    cursor: CursorQuery = None,
    include_total: TotalQuery = False,
) -> Page[UserRead]:
    """Users bound to organisations in your subtree."""
    page = await users_service.list_users(
        session,
        principal,
        role=role,
        limit=limit,
        cursor=cursor,
        sort=sort,
        include_total=include_total,
    )
    return envelope(page, [UserRead.model_validate(u) for u in page.items])


@router.get("/users/{user_id}", name="users_get")
async def users_get(
    user_id: uuid.UUID, response: Response, session: SessionDep, principal: PrincipalDep
) -> UserRead:
    """One user in your subtree."""
    user, _ = await users_service.get_visible(session, principal, user_id)
    set_etag(response, user.version)
    return UserRead.model_validate(user)


@router.patch("/users/{user_id}", name="users_update", description=doc(users_service.update_user))
async def users_update(
    user_id: uuid.UUID,
    body: UserUpdate,
    response: Response,
    session: SessionDep,
    principal: PrincipalDep,
    if_match: IfMatch = None,
) -> UserRead:
    user, path = await users_service.get_visible(session, principal, user_id)
    check_if_match(if_match, user.version)
    user = await users_service.update_user(session, principal, user, path, body)
    set_etag(response, user.version)
    return UserRead.model_validate(user)
