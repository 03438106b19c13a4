"""Who may see what: the one place that turns a principal into a subtree filter.

Every principal is bound to one organisation subtree (逐级授权, 分级维护).
Reads outside it are 404, never 403, so existence does not leak across scopes.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from typing import Any, TypeVar

from sqlalchemy import ColumnElement, Select, true
from sqlalchemy.orm import InstrumentedAttribute

from app.errors import ErrorCode, Forbidden
from app.models.enums import Role

T = TypeVar("T", bound=tuple[Any, ...])

# Rank for "never grant a role above your own"; the auditor is read-only beside the line.
ROLE_RANK = {
    Role.system_admin: 4,
    Role.org_admin: 3,
    Role.branch_secretary: 2,
    Role.auditor: 2,
    Role.member: 1,
}
# Roles that may create users, and the roles each may grant.
GRANTABLE_ROLES: dict[Role, frozenset[Role]] = {
    Role.system_admin: frozenset(Role),
    Role.org_admin: frozenset({Role.org_admin, Role.branch_secretary, Role.member, Role.auditor}),
    Role.branch_secretary: frozenset({Role.branch_secretary, Role.member}),
}


@dataclass(frozen=True)
class Principal:
    user_id: uuid.UUID | None  # None: the console operator of `dangjian users create`
    username: str
    role: Role
    org_id: uuid.UUID
    org_path: str
    member_id: uuid.UUID | None
    session_id: uuid.UUID | None = None

    @property
    def sees_everything(self) -> bool:
        return self.role is Role.system_admin

    @property
    def is_read_only(self) -> bool:
        return self.role in (Role.auditor, Role.member)


def in_scope(principal: Principal, path: str) -> bool:
    """True when the organisation at `path` lies in the principal's subtree."""
    return principal.sees_everything or path.startswith(principal.org_path)


def subtree_filter(principal: Principal, column: InstrumentedAttribute[str]) -> ColumnElement[bool]:
    """`column LIKE '<principal path>%'`, served by a text_pattern_ops index."""
    if principal.sees_everything:
        return true()
    return column.like(principal.org_path + "%")


def scoped(stmt: Select[T], principal: Principal, column: InstrumentedAttribute[str]) -> Select[T]:
    return stmt.where(subtree_filter(principal, column))


def may_read_member_pii(principal: Principal, member_id: uuid.UUID, member_path: str) -> bool:
    """PII rights: admins and branch secretaries in scope; a member for their own record."""
    if principal.role is Role.member:
        return principal.member_id == member_id
    if principal.role in (Role.system_admin, Role.org_admin, Role.branch_secretary):
        return in_scope(principal, member_path)
    return False


def require_role(principal: Principal, *roles: Role) -> None:
    """403 unless the principal holds one of `roles` (system_admin always may)."""
    if principal.role is Role.system_admin or principal.role in roles:
        return
    raise Forbidden(ErrorCode.auth_forbidden)


def require_writer(principal: Principal) -> None:
    """Auditors and plain members never write organisation or member records."""
    require_role(principal, Role.org_admin, Role.branch_secretary)


# --- The member role (API.md: "its own record and what belongs to it, never other members")


_NOBODY = uuid.UUID(int=0)  # a member user without a record matches no row


def member_rows_only(principal: Principal) -> uuid.UUID | None:
    """The member role's one rule: every list, export, report and the change feed a
    member user reads carries the rows of its own member record only.

    Returns the member id such reads filter on, or None for every other role (for
    them the subtree is the limit).
    """
    if principal.role is not Role.member:
        return None
    return principal.member_id or _NOBODY


def shows_member(principal: Principal, member_id: uuid.UUID | None) -> bool:
    """Whether a row about `member_id` may reach the principal (`member_rows_only`)."""
    own = member_rows_only(principal)
    return own is None or own == member_id


def refuse_member_role(principal: Principal) -> None:
    """403 for reports that are about other members by nature (arrears, 双报到 coverage):
    under `member_rows_only` nothing of them would remain."""
    if member_rows_only(principal) is not None:
        raise Forbidden(ErrorCode.auth_forbidden, "a report about other members")
