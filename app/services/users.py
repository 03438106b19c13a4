"""Users (账号): admins create users inside their subtree, never above their own role."""

from __future__ import annotations

import uuid

from sqlalchemy import Select, select
from sqlalchemy.ext.asyncio import AsyncSession

from app.errors import Conflict, ErrorCode, Forbidden, NotFound, Unprocessable
from app.models.enums import Role
from app.models.member import Member
from app.models.organisation import Organisation
from app.models.user import AuthSession, User
from app.pagination import Page, paginate, parse_sort
from app.schemas.users import UserCreate, UserUpdate
from app.security.passwords import hash_password
from app.security.scope import (
    GRANTABLE_ROLES,
    PII_ROLES,
    Principal,
    in_scope,
    is_under,
    load_visible,
    may_read_member_pii,
    subtree_filter,
)
from app.services.integration import audit
from app.services.organisations import insert_root

AUDITED_FIELDS = ("username", "role", "org_id", "member_id", "active")


def _check_grant(principal: Principal, role: Role) -> None:
    grantable = GRANTABLE_ROLES.get(principal.role)
    if grantable is None:
        raise Forbidden(ErrorCode.auth_forbidden)
    if role not in grantable:
        raise Forbidden(ErrorCode.user_role_too_high)


def require_manages(principal: Principal, user: User) -> None:
    """403 unless the principal may grant the user's role (and so manage its account)."""
    _check_grant(principal, Role(user.role))


async def get_visible(
    session: AsyncSession, principal: Principal, user_id: uuid.UUID
) -> tuple[User, str]:
    row = (
        await session.execute(
            select(User, Organisation.path)
            .join(Organisation, Organisation.id == User.org_id)
            .where(User.id == user_id)
        )
    ).one_or_none()
    if row is None or principal.role is Role.member or not in_scope(principal, row[1]):
        raise NotFound(ErrorCode.user_not_found)
    return row[0], row[1]


async def signed_in(session: AsyncSession, principal: Principal) -> tuple[User, Organisation, bool]:
    """The signed-in user, their organisation and whether they may read PII in their scope."""
    user = await session.get(User, principal.user_id)
    org = await session.get(Organisation, principal.org_id)
    assert user is not None and org is not None
    pii = principal.role in PII_ROLES or (
        principal.member_id is not None
        and may_read_member_pii(principal, principal.member_id, org.path)
    )
    return user, org, pii


async def create_user(session: AsyncSession, principal: Principal, data: UserCreate) -> User:
    """Create a login bound to an organisation in your subtree with a role no higher than yours.

    A `member` user is bound to their own member record, which must belong to that
    organisation's subtree.
    """
    _check_grant(principal, data.role)
    org = await load_visible(session, principal, Organisation, data.org_id, field="org_id")
    if data.role is Role.member and data.member_id is None:
        raise Unprocessable.field("member_id", ErrorCode.user_member_required)
    if data.member_id is not None:
        member = await load_visible(session, principal, Member, data.member_id, field="member_id")
        if not is_under(member.org_path, org.path):
            raise Unprocessable.field("member_id", ErrorCode.user_member_not_in_org)
    if await session.scalar(select(User.id).where(User.username == data.username)):
        raise Conflict(ErrorCode.user_username_taken)
    user = User(
        username=data.username,
        password_hash=hash_password(data.password),
        role=data.role.value,
        org_id=org.id,
        member_id=data.member_id,
        active=True,
    )
    session.add(user)
    await session.flush()
    audit.record(
        session,
        principal,
        "user.created",
        "user",
        user.id,
        org.path,
        after=audit.snapshot(user, AUDITED_FIELDS),
    )
    return user


async def update_user(
    session: AsyncSession, principal: Principal, user: User, org_path: str, data: UserUpdate
) -> User:
    """Change a user's role, password or active flag; deactivating ends their logins."""
    _check_grant(principal, Role(user.role))
    if data.role is not None:
        _check_grant(principal, data.role)
        if data.role is Role.member and user.member_id is None:
            raise Unprocessable.field("role", ErrorCode.user_member_required)
    before = audit.snapshot(user, AUDITED_FIELDS)
    if data.password is not None:
        user.password_hash = hash_password(data.password)
    if data.role is not None:
        user.role = data.role.value
    if data.active is not None:
        user.active = data.active
    await session.flush()
    if data.active is False or data.password is not None:
        from app import clock

        sessions = await session.scalars(
            select(AuthSession).where(
                AuthSession.user_id == user.id, AuthSession.revoked_at.is_(None)
            )
        )
        for login in sessions:
            login.revoked_at = clock.utcnow()
    after = audit.snapshot(user, AUDITED_FIELDS)
    after["password_changed"] = data.password is not None
    audit.record(
        session, principal, "user.updated", "user", user.id, org_path, before=before, after=after
    )
    return user


# The orders the list offers (`?sort=`); ties are broken by id.
USER_SORT = "username"
USER_SORTABLE = {"username": User.username}


async def list_users(
    session: AsyncSession,
    principal: Principal,
    *,
    role: Role | None,
    limit: int | None,
    cursor: str | None,
    sort: str | None = None,
    include_total: bool = False,
) -> Page[User]:
    if principal.role is Role.member:
        raise Forbidden(ErrorCode.auth_forbidden)
    stmt: Select[User] = (
        select(User)
        .join(Organisation, Organisation.id == User.org_id)
        .where(subtree_filter(principal, Organisation.path))
    )
    if role is not None:
        stmt = stmt.where(User.role == role.value)
    keys = parse_sort(sort, USER_SORTABLE, User.id, default=USER_SORT)
    return await paginate(
        session, stmt, keys, limit=limit, cursor=cursor, include_total=include_total
    )


async def bootstrap_admin(session: AsyncSession, username: str, password: str) -> User | None:
    """Create the first system administrator when no user exists yet (fresh install).

    The administrator is bound to the first root organisation, created if needed.
    """
    if await session.scalar(select(User.id).limit(1)) is not None:
        return None
    root = await session.scalar(
        select(Organisation)
        .where(Organisation.parent_id.is_(None))
        .order_by(Organisation.node_id)
        .limit(1)
    )
    if root is None:
        root = await insert_root(session, "ROOT", "根组织")
    user = User(
        username=username,
        password_hash=hash_password(password),
        role=Role.system_admin.value,
        org_id=root.id,
        active=True,
    )
    session.add(user)
    await session.flush()
    audit.record(
        session,
        None,
        "user.bootstrapped",
        "user",
        user.id,
        root.path,
        after=audit.snapshot(user, AUDITED_FIELDS),
    )
    return user
