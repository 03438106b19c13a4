"""Who may see what: the one place that turns a principal into a subtree filter.

Every principal is bound to one organisation subtree (逐级授权, 分级维护).
Reads outside it are 404, never 403, so existence does not leak across scopes.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from functools import cached_property
from typing import Any, TypeVar

from sqlalchemy import (
    BindParameter,
    ColumnElement,
    String,
    and_,
    bindparam,
    func,
    literal_column,
    or_,
    select,
    true,
)
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import InstrumentedAttribute

from app.errors import ErrorCode, Forbidden, NotFound
from app.i18n import Text
from app.models.enums import Role
from app.models.sql import in_text

# Re-exported: services reach subtree prefixes through this module.
from app.subtree import PATH
from app.subtree import fill_prefixes as fill_prefixes
from app.subtree import prefix_mark as prefix_mark

# A path column: an ORM attribute or a Core column (nullable ones included).
_PathColumn = InstrumentedAttribute[str] | InstrumentedAttribute[str | None] | ColumnElement[str]

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

    @cached_property
    def scope(self) -> Scope:
        """This request's scope: the subtree every read, list and referenced id is held to.

        Made once per principal (a page of 50 asks for it per row)."""
        return Scope(None if self.sees_everything else self.org_path)


def prefix_literal(root: str) -> BindParameter[str]:
    """The subtree prefix of `root` as a value SQLAlchemy renders into the statement text
    at each execution (one compiled form; one prepared statement and plan per subtree)."""
    return in_text(subtree_prefix(root), String)


def prefix_param(name: str) -> BindParameter[str]:
    """A named subtree prefix of a statement compiled once (`db.DriverStatement`): its
    value (made by `subtree_prefix`) is rendered into the text per call, as `prefix_literal`."""
    return bindparam(name, None, type_=String, literal_execute=True)


def is_under(path: str, root: str) -> bool:
    """True when `path` lies in the subtree rooted at `root` (the root itself included)."""
    return path.startswith(root)


def subtree_prefix(path: str) -> str:
    """The `LIKE` pattern of the subtree rooted at `path` (paths end in `/`, no wildcards).

    The only place a path prefix is written. Statements carry it as a literal in their
    text, never as a bind parameter (`prefix_literal`, `prefix_param`, `fill_prefixes`):
    a prepared statement's generic plan cannot use the path index for `LIKE $n`, and
    PostgreSQL switched to one after a few province-level calls (issue 24)."""
    if not PATH.fullmatch(path):
        raise ValueError(f"not an organisation path: {path!r}")
    return path + "%"


def under(column: _PathColumn, root: str) -> ColumnElement[bool]:
    """`column` lies in the subtree rooted at `root` (`?within=`, reports, a node's subtree)."""
    return column.like(prefix_literal(root))


def under_column(column: _PathColumn, root: _PathColumn) -> ColumnElement[bool]:
    """`column` lies in the subtree rooted at the path held by the column `root` (a
    correlated form of `under`, e.g. the organisations whose policy covers a record)."""
    return column.like(root.concat("%"))


def under_column_indexed(column: _PathColumn, root: _PathColumn) -> ColumnElement[bool]:
    """`under_column` that the path index serves in a kept (generic) plan, for a statement
    that reads its root in itself (a join on the root's row).

    PostgreSQL turns `LIKE '<constant>%'` into the index range from the prefix to the
    prefix with its last byte raised, but not a prefix held by a column or a parameter.
    Here that range is written out: paths end in `/` and compare bytewise (collation
    C), so every path that starts with `root` lies in [`root`, `root` with its final `/`
    raised to `0`); the range only narrows the index walk, `under_column` still decides.
    """
    # Constants of the text, not parameters: the statement's one parameter stays its own.
    upper = func.left(root, literal_column("-1")).concat(literal_column("'0'", String))
    return and_(column >= root, column < upper, under_column(column, root))


def under_column_sql(path: str, root: str) -> str:
    """`under_column` as driver SQL text: the path `path` lies in the subtree rooted at the
    path `root`, both SQL expressions (columns). `path` may also be a subtree prefix's
    mark (`prefix_mark`): a prefix lies under exactly the roots its own path lies under
    (the organisation and its ancestors), as paths end in `/` and hold no wildcard."""
    return f"{path} LIKE {root} || '%'"


def under_any(col_a: _PathColumn, col_b: _PathColumn, root: str) -> ColumnElement[bool]:
    """Either side of a two-sided record (home/host, from/to, org/alt) lies under `root`."""
    return or_(col_a.like(prefix_literal(root)), col_b.like(prefix_literal(root)))


def ancestors(path: str) -> list[str]:
    """The paths of the organisation at `path` and of each of its ancestors, root first."""
    parts = path.strip("/").split("/")
    return ["/" + "/".join(parts[: n + 1]) + "/" for n in range(len(parts))]


@dataclass(frozen=True)
class Scope:
    """The subtree one request may see and touch: every scope filter goes through here.

    `root` is the principal's organisation path; None for the system administrator,
    who sees the whole tree. Reach it as `principal.scope`.
    """

    root: str | None

    @property
    def prefix(self) -> str | None:
        """The `LIKE` value for driver SQL; None when everything is in scope."""
        return None if self.root is None else subtree_prefix(self.root)

    @property
    def top(self) -> str:
        """The path every path of this scope starts with: its root, `/` for the whole tree.
        `covers` as driver SQL text is `under_column_sql(<path>, <top as a parameter>)`
        (a path is never NULL in a column)."""
        return "/" if self.root is None else self.root

    def covers(self, path: str | None) -> bool:
        """True when the organisation at `path` lies in this scope."""
        if self.root is None:
            return path is not None
        return path is not None and is_under(path, self.root)

    def filter(self, column: _PathColumn) -> ColumnElement[bool]:
        """`column` lies in this scope (a text_pattern_ops index serves it)."""
        if self.root is None:
            return true()
        return under(column, self.root)

    def filter_any(self, col_a: _PathColumn, col_b: _PathColumn) -> ColumnElement[bool]:
        """Either side of a two-sided record lies in this scope."""
        if self.root is None:
            return true()
        return under_any(col_a, col_b, self.root)


def in_scope(principal: Principal, path: str) -> bool:
    """True when the organisation at `path` lies in the principal's subtree."""
    return principal.scope.covers(path)


def subtree_filter(principal: Principal, column: _PathColumn) -> ColumnElement[bool]:
    """`column LIKE '<principal path>%'`, served by a text_pattern_ops index."""
    return principal.scope.filter(column)


# The roles that read members' PII in their scope (a member user: only its own record).
PII_ROLES = (Role.system_admin, Role.org_admin, Role.branch_secretary)


def may_read_member_pii(principal: Principal, member_id: uuid.UUID, member_path: str) -> bool:
    """PII rights: admins and branch secretaries in scope; a member for their own record."""
    return member_pii_reader(principal)(member_id, member_path)


def member_pii_reader(principal: Principal) -> Callable[[uuid.UUID, str], bool]:
    """`may_read_member_pii` of one principal for many members (a page asks per row): the
    role is resolved once, the record and scope are checked per member."""
    if principal.role is Role.member:
        own = principal.member_id
        return lambda member_id, _path: own == member_id
    if principal.role in PII_ROLES:
        covers = principal.scope.covers
        return lambda _member_id, path: covers(path)
    return lambda _member_id, _path: False


def reveals_visible_members_pii(principal: Principal) -> bool:
    """Whether the principal reads the PII of every member it may see: `member_pii_reader`
    for the members in its sight (a member user sees only its own record, whose PII it
    reads; the PII roles read it in their whole scope). A read by such a principal is
    audited exactly when it finds the member (`members.read_one` writes that audit row
    with the read)."""
    return principal.role is Role.member or principal.role in PII_ROLES


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
        raise Forbidden(
            ErrorCode.auth_forbidden,
            Text(zh="该报表涉及其他党员，党员角色不能查看", en="a report about other members"),
        )


# --- The one loader for every id a request names ------------------------------------------

M = TypeVar("M")


@dataclass(frozen=True)
class _Visibility:
    code: ErrorCode  # the `<resource>.not_found` answer
    paths: tuple[str, ...]  # visible when the scope covers any of these path attributes
    own_only: bool = False  # a member user sees only the row whose id is their member id


def _visibility() -> dict[type[Any], _Visibility]:
    from app.models.change_request import MemberChangeRequest
    from app.models.grid import CommunityReport, Grid
    from app.models.imports import ImportJob
    from app.models.lifecycle import Transfer
    from app.models.meeting import Meeting
    from app.models.member import Member
    from app.models.mobile import MobileEpisode
    from app.models.organisation import Organisation
    from app.models.points import PointEntry
    from app.models.webhook import WebhookSubscription

    return {
        Organisation: _Visibility(ErrorCode.organisation_not_found, ("path",)),
        Member: _Visibility(ErrorCode.member_not_found, ("org_path",), own_only=True),
        MemberChangeRequest: _Visibility(ErrorCode.change_request_not_found, ("org_path",)),
        Meeting: _Visibility(ErrorCode.meeting_not_found, ("org_path",)),
        Grid: _Visibility(ErrorCode.grid_not_found, ("org_path",)),
        Transfer: _Visibility(ErrorCode.transfer_not_found, ("from_path", "to_path")),
        MobileEpisode: _Visibility(ErrorCode.mobile_not_found, ("home_path", "host_path")),
        PointEntry: _Visibility(ErrorCode.points_entry_not_found, ("org_path",)),
        WebhookSubscription: _Visibility(ErrorCode.webhook_not_found, ("org_path",)),
        ImportJob: _Visibility(ErrorCode.import_not_found, ("org_path",)),
        CommunityReport: _Visibility(
            ErrorCode.community_report_not_found, ("member_path", "community_path")
        ),
    }


_VISIBILITY: dict[type[Any], _Visibility] = {}


def _spec(model: type[Any]) -> _Visibility:
    """The model's visibility rule (the registry is built on first use: it imports models)."""
    if not _VISIBILITY:
        _VISIBILITY.update(_visibility())
    return _VISIBILITY[model]


def not_found(code: ErrorCode, field: str | None = None) -> NotFound:
    """The answer for an id that is absent or out of scope; a body or query id names its field."""
    if field is None:
        return NotFound(code)
    return NotFound(code, errors=[{"field": field, "code": code, "message": code.message("en")}])


def _sees(principal: Principal, obj: Any, spec: _Visibility) -> bool:
    if not any(principal.scope.covers(getattr(obj, p)) for p in spec.paths):
        return False
    if spec.own_only and principal.role is Role.member:
        return bool(principal.member_id == obj.id)  # a member user: their own record only
    return True


def row_lock(lock: bool, copies_path: bool) -> dict[str, bool] | bool | None:
    """How a loader reads its row: FOR UPDATE when the caller changes it; FOR KEY SHARE
    when the caller stores a copy of its organisation path (a meeting's, a grid's, a
    payment's `org_path`, ...). A subtree move holds FOR UPDATE on every organisation
    and member it re-paths, so such a reader waits for a move in flight and copies the
    final path; it never blocks ordinary updates of the row (FOR NO KEY UPDATE)."""
    if lock:
        return True
    return {"read": True, "key_share": True} if copies_path else None


async def load_visible(
    session: AsyncSession,
    principal: Principal,
    model: type[M],
    ident: uuid.UUID,
    *,
    field: str | None = None,
    lock: bool = False,
    copies_path: bool = False,
) -> M:
    """Load the `model` row `ident` when the request's scope covers it; else 404.

    The one rule for every id a request names, in its path, its body or its query:
    absent and out of scope give the same answer, 404 with the resource's
    `<resource>.not_found` code, so no answer tells whether an id exists in another
    subtree. An id from a body or query (`field` given) also names that field in
    `errors: [{field, code, message}]`. A member user sees only their own member record.
    Two-sided records (transfers, mobile episodes) are visible from either side.
    `lock` reads the row FOR UPDATE; `copies_path` as `row_lock` says.
    """
    spec = _spec(model)
    obj = await session.get(model, ident, with_for_update=row_lock(lock, copies_path))
    if obj is None or not _sees(principal, obj, spec):
        raise not_found(spec.code, field)
    return obj


async def load_all_visible(
    session: AsyncSession,
    principal: Principal,
    model: type[M],
    idents: Iterable[uuid.UUID],
    *,
    field: str,
) -> list[M]:
    """`load_visible` for a list of ids in a body (`member_ids`, attendance): all or 404."""
    wanted = list(dict.fromkeys(idents))
    if not wanted:
        return []
    spec = _spec(model)
    pk = getattr(model, "id")  # noqa: B009  # every scoped model's key is `id`
    found = {o.id: o for o in (await session.scalars(select(model).where(pk.in_(wanted)))).all()}  # type: ignore[attr-defined]  # M is a mapped class with `id`
    if any(i not in found or not _sees(principal, found[i], spec) for i in wanted):
        raise not_found(spec.code, field)
    return [found[i] for i in wanted]


def like_prefix(column: _PathColumn, name: str) -> ColumnElement[bool]:
    """`column LIKE <the subtree prefix name>` in a statement compiled once (`prefix_param`)."""
    return column.like(prefix_param(name))


# References the domain lets cross subtrees: the receiving branch of a transfer (any branch
# in the tree), the intended host of a mobile member, the community where a member lives or
# reports. Only these use `load_anywhere`; every other id goes through `load_visible`.
CROSS_TREE_REFERENCES = frozenset(
    {"transfer.to_org_id", "mobile.host_org_id", "member.residence_community_id"}
    | {"community_report.community_org_id"}
)


async def load_anywhere(
    session: AsyncSession,
    model: type[M],
    ident: uuid.UUID,
    *,
    field: str,
    reference: str,
    copies_path: bool = False,
) -> M:
    """Load a row a body names across subtrees by design (`CROSS_TREE_REFERENCES`).

    Absent answers as `load_visible` does for an out-of-scope id: 404 with the
    resource's code, naming `field`."""
    if reference not in CROSS_TREE_REFERENCES:
        raise ValueError(f"{reference} is not a cross-tree reference")
    obj = await session.get(model, ident, with_for_update=row_lock(False, copies_path))
    if obj is None:
        raise not_found(_spec(model).code, field)
    return obj
