"""The organisation tree: parent rules (which type may sit under which), node ids and
paths, the tree view, moving a subtree.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

from sqlalchemy import (
    ColumnElement,
    Integer,
    Select,
    and_,
    bindparam,
    case,
    false,
    func,
    literal,
    literal_column,
    or_,
    select,
    text,
    update,
)
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import aliased
from sqlalchemy.sql.elements import BindParameter

from app import clock, db, jsonbody
from app.errors import Conflict, ErrorCode, Forbidden
from app.i18n import Text
from app.models import org_path_columns
from app.models.enums import BRANCH_TYPES, COMMITTEE_TYPES, OrgType, label_zh
from app.models.member import Member
from app.models.organisation import Organisation
from app.models.sql import in_text
from app.security.scope import (
    Principal,
    is_under,
    like_prefix,
    not_found,
    under,
    under_column_indexed,
)
from app.services import kept_answers
from app.services.integration import audit, changes
from app.services.organisations.access import AUDITED_FIELDS, get_visible, require_org_writer
from app.services.organisations.placements import record_placements

# Which parent types each type may sit under; None stands for "a root".
ALLOWED_PARENTS: dict[OrgType, frozenset[OrgType | None]] = {
    OrgType.committee: frozenset({OrgType.committee, OrgType.working_committee, None}),
    OrgType.working_committee: frozenset({OrgType.committee, OrgType.working_committee, None}),
    OrgType.general_branch: frozenset(COMMITTEE_TYPES),
    OrgType.branch: frozenset({*COMMITTEE_TYPES, OrgType.general_branch}),
    OrgType.joint_branch: frozenset({*COMMITTEE_TYPES, OrgType.general_branch}),
    OrgType.temporary_branch: frozenset({*COMMITTEE_TYPES, OrgType.general_branch}),
    OrgType.group: frozenset(BRANCH_TYPES),
}


def may_sit_under(child: OrgType, parent: OrgType | None) -> bool:
    """The parent-type rule of DOMAIN.md (e.g. a group only under a branch)."""
    return parent in ALLOWED_PARENTS[child]


async def parent_for(
    session: AsyncSession, principal: Principal, parent_id: uuid.UUID | None, child: OrgType
) -> Organisation | None:
    if parent_id is None:
        if not principal.sees_everything:
            raise Forbidden(ErrorCode.organisation_root_requires_system_admin)
        parent = None
    else:
        parent = await get_visible(
            session, principal, parent_id, field="parent_id", copies_path=True
        )
        if parent.dissolved_on is not None:
            raise Conflict(ErrorCode.organisation_dissolved)
    parent_type = OrgType(parent.type) if parent else None
    if not may_sit_under(child, parent_type):
        raise Conflict(
            ErrorCode.organisation_parent_type_invalid,
            Text(
                zh=f"{label_zh(OrgType, child)}不能隶属于"
                f"{label_zh(OrgType, parent_type) if parent_type else '根节点'}",
                en=f"a {child.value} cannot sit under "
                f"{parent_type.value if parent_type else 'the root'}",
            ),
        )
    return parent


async def next_node_id(session: AsyncSession) -> int:
    """The next compact node id; known before insert so the path is written once."""
    sql = text("SELECT nextval(pg_get_serial_sequence('organisations', 'node_id'))")
    return int(await session.scalar(sql) or 0)


async def insert_root(session: AsyncSession, code: str, name: str) -> Organisation:
    """A root committee written directly: for bootstrap and demo, before any user exists."""
    node_id = await next_node_id(session)
    root = Organisation(
        code=code,
        name=name,
        type=OrgType.committee.value,
        node_id=node_id,
        path=f"/{node_id}/",
        depth=0,
    )
    session.add(root)
    await session.flush()
    await record_placements(session, root.path, None)
    return root


def _levels(depth: int) -> BindParameter[int]:
    """A number of levels written into the statement's text (an int: nothing else)."""
    return in_text(int(depth), Integer)


# Down to this many levels the tree is walked from its root on the parent index (a read
# costs what it returns); a deeper read takes the root's whole subtree through the path
# index in one range, cheaper per node once the levels reach most of it (a province's
# 2,890 organisations: walked 10.4 ms, the range 5.2 ms; its two levels: 0.11 against
# 0.8 ms, the range reading every path for ten rows).
WALKED_LEVELS = 2

_COLUMNS = ("id", "parent_id", "code", "name", "type", "depth", "dissolved_on", "path")


def _has_children(
    node_id: Any, on_last: ColumnElement[bool], include_dissolved: bool
) -> ColumnElement[bool]:
    """`has_more_children` of a node on the last level: an EXISTS on the parent index.

    Under OFFSET 0: without it PostgreSQL hashed the subquery, reading every
    organisation of the table for the last level's few nodes."""
    child = aliased(Organisation, name="grandchild")
    below = [child.parent_id == node_id]
    if not include_dissolved:
        below.append(child.dissolved_on.is_(None))
    children: Select[Any] = select(literal_column("1")).where(*below).offset(literal_column("0"))
    return case((on_last, children.exists()), else_=false())


def _walked(include_dissolved: bool, depth: int, scoped: bool) -> Select[Any]:
    """The root, then its children level by level (a recursive CTE nested in the SELECT:
    a leading WITH would make `db.fetch` begin a transaction for it). Without
    `include_dissolved` the walk stops at a dissolved organisation below the root, as
    the path read drops the nodes under one (never linked in)."""
    org = Organisation
    child = aliased(Organisation, name="child")
    columns = [getattr(org, name) for name in _COLUMNS]
    start = select(*columns, literal_column("0", Integer).label("level"))
    start = start.where(org.id == bindparam("root_id"))
    if scoped:
        start = start.where(like_prefix(org.path, "scope"))
    tree = start.cte("tree", recursive=True, nesting=True)
    step = (
        select(
            *(getattr(child, name) for name in _COLUMNS),
            (tree.c.level + literal_column("1", Integer)).label("level"),
        )
        .join(tree, child.parent_id == tree.c.id)
        .where(tree.c.level < _levels(depth))
    )
    if not include_dissolved:
        step = step.where(child.dissolved_on.is_(None))
    tree = tree.union_all(step)
    has_children = _has_children(tree.c.id, tree.c.level == _levels(depth), include_dissolved)
    rows = select(*(tree.c[name] for name in _COLUMNS), has_children.label("has_children"))
    return select(found := rows.subquery("found")).order_by(found.c.depth, found.c.code)


def _ranged(include_dissolved: bool, depth: int, scoped: bool) -> Select[Any]:
    """The root joined to its subtree's range of the path index (`under_column_indexed`)."""
    root = aliased(Organisation, name="root")
    org = Organisation
    last = root.depth + _levels(depth)
    conditions = [root.id == bindparam("root_id"), org.depth <= last]
    if scoped:
        conditions.append(like_prefix(root.path, "scope"))
    if not include_dissolved:
        # The root itself is shown even when dissolved.
        conditions.append(or_(org.dissolved_on.is_(None), org.id == root.id))
    has_children = _has_children(org.id, org.depth == last, include_dissolved)
    return (
        select(*(getattr(org, name) for name in _COLUMNS), has_children.label("has_children"))
        .select_from(root)
        .join(org, under_column_indexed(org.path, root.path))
        .where(and_(*conditions))
        .order_by(org.depth, org.code)
    )


@lru_cache(maxsize=64)
def _tree_statement(include_dissolved: bool, depth: int, scoped: bool) -> db.DriverStatement:
    """Compiled once per variant: a self-join is costly to build per request.

    One round trip: the root read by id (within the caller's scope `scope` when
    `scoped`: absent and out of scope both read nothing) with the nodes down to `depth`
    levels below it, walked (`_walked`) or ranged (`_ranged`, past `WALKED_LEVELS`).
    The levels are the statement's text and the root's id, its one value, moves no
    estimate, so PostgreSQL keeps the generic plan after its first custom ones instead
    of planning every call (with the levels as `$n` every call was planned).
    """
    build = _walked if depth <= WALKED_LEVELS else _ranged
    return db.DriverStatement.compile(build(include_dissolved, depth, scoped))


@dataclass(frozen=True, slots=True)
class OrgNode:
    """The read model of an organisation where a read needs only where it sits."""

    id: uuid.UUID
    path: str
    depth: int


_NODE_SQL = "SELECT id, path, depth FROM organisations WHERE id = $1"


async def get_visible_node(
    session: AsyncSession, principal: Principal, org_id: uuid.UUID, *, field: str | None = None
) -> OrgNode:
    """`get_visible` for reads that need only the id, path and depth, on the driver."""
    row = await db.fetchrow(session, _NODE_SQL, org_id)
    if row is None or not principal.scope.covers(row["path"]):
        raise not_found(ErrorCode.organisation_not_found, field)
    return OrgNode(row["id"], row["path"], row["depth"])


_NOT_READ = object()


# The tree's answers, kept per process while no organisation is written (`kept_answers`).
_KEPT_TREES = kept_answers.KeptAnswers("organisation_tree", "organisations")


async def visible_tree(
    session: AsyncSession,
    principal: Principal,
    org_id: uuid.UUID,
    depth: int,
    include_dissolved: bool,
) -> bytes:
    """The organisation `org_id` and its subtree down to `depth` levels below it, as
    TreeNode's JSON; 404 as `get_visible_node` when it is absent or out of scope.

    Read in one indexed query, after the organisations' version: an answer this process
    already wrote at that version, for an organisation in the caller's scope, is sent
    again as it was (`kept_answers`; one short read for the request). Nodes on the last
    level carry `has_more_children` from an EXISTS on the parent index, so the level
    below is never read.
    """

    async def read() -> tuple[bytes, str]:
        tree, path = await _read_tree(session, principal, org_id, depth, include_dissolved)
        return jsonbody.encode(tree), path

    key = (org_id, depth, include_dissolved)
    return await _KEPT_TREES.answer(session, key, principal, read)


async def _read_tree(
    session: AsyncSession,
    principal: Principal,
    org_id: uuid.UUID,
    depth: int,
    include_dissolved: bool,
) -> tuple[dict[str, Any], str]:
    """The tree as TreeNode's fields, and its root's path."""
    scope = principal.scope.prefix
    query = _tree_statement(include_dissolved, depth, scope is not None)
    sql, args = query.bind(scope=scope, root_id=org_id)
    rows = await db.fetch(session, sql, *args)
    if not rows:
        raise not_found(ErrorCode.organisation_not_found, None)
    nodes: dict[str, dict[str, Any]] = {}
    # Per node only what the answer needs: the columns unpacked in order (no lookup by
    # name), the node linked under its parent (rows come level by level, so a parent is
    # always read before its children). Ids are keyed and written as text: hashing
    # asyncpg's UUID goes through its 128-bit int, and orjson hands it to a Python
    # `default` (ids cast to text in the statement cost the database more than `str`
    # costs here). Siblings mostly come one after another: the parent is looked up
    # again only when it changes (comparing asyncpg's UUIDs is a memcmp). The root's
    # parent, outside the subtree, is no node (`str(None)` neither). `has_children` is
    # never NULL: an EXISTS, or false above the last level.
    last_parent: object = _NOT_READ
    parent: dict[str, Any] | None = None
    for uid, parent_uid, code, name, type_, level, dissolved_on, _, has_children in rows:
        node_id = str(uid)
        node = {
            "id": node_id,
            "code": code,
            "name": name,
            "type": type_,
            "depth": level,
            "dissolved_on": dissolved_on,
            "children": [],
            "has_more_children": has_children,
        }
        nodes[node_id] = node
        if parent_uid != last_parent:
            last_parent = parent_uid
            parent = nodes.get(str(parent_uid))
        if parent is not None:
            parent["children"].append(node)
    return nodes[str(org_id)], rows[0][7]


async def rewrite_subtree_paths(session: AsyncSession, old_path: str, new_path: str) -> None:
    """Give every record of the subtree at `old_path` the prefix `new_path`.

    One UPDATE per registered path column (`org_path_columns()`: organisations,
    members, meetings, point rules and entries, grids, mobile episodes, transfers,
    dues, audit, change feed, ...), all in the caller's transaction, so after a move
    no table still files a record of the branch under its old parent. Two-sided
    records (a transfer, a mobile episode) are rewritten on the side that moved.
    """
    cut = len(old_path) + 1
    for column in org_path_columns():
        await session.execute(
            update(column.table)
            .where(under(column, old_path))
            .values({column.name: literal(new_path) + func.substr(column, cut)})
        )


def check_move(org: Organisation, new_parent: Organisation) -> None:
    """A move may not create a cycle (the new parent inside the subtree), land under a
    dissolved organisation, or break the parent rules."""
    if is_under(new_parent.path, org.path):
        raise Conflict(ErrorCode.organisation_move_cycle)
    if new_parent.dissolved_on is not None:
        raise Conflict(ErrorCode.organisation_dissolved)
    if not may_sit_under(OrgType(org.type), OrgType(new_parent.type)):
        raise Conflict(ErrorCode.organisation_parent_type_invalid)


async def _lock_subtree(session: AsyncSession, old_path: str) -> None:
    # Lock the subtree's organisations and members in a stable order, so concurrent
    # moves cannot deadlock, and FOR UPDATE (not the weaker lock an UPDATE takes), so a
    # writer that reads an organisation's or member's path FOR KEY SHARE to copy it
    # waits for this move and then copies the new path.
    await session.execute(
        select(Organisation.id)
        .where(under(Organisation.path, old_path))
        .order_by(Organisation.path)
        .with_for_update()
    )
    await session.execute(
        select(Member.id)
        .where(under(Member.org_path, old_path))
        .order_by(Member.id)
        .with_for_update()
    )


async def _relink_subtree(
    session: AsyncSession, org: Organisation, new_parent: Organisation
) -> None:
    """Lock the subtree, then rewrite its depths and every path column under it."""
    old_path = org.path
    await _lock_subtree(session, old_path)
    await session.execute(
        update(Organisation)
        .where(under(Organisation.path, old_path), Organisation.id != org.id)
        .values(
            depth=Organisation.depth + (new_parent.depth + 1 - org.depth),
            version=Organisation.version + 1,
        )
        .execution_options(synchronize_session=False)
    )
    new_path = new_parent.path + f"{org.node_id}/"
    await rewrite_subtree_paths(session, old_path, new_path)
    org.parent_id = new_parent.id
    org.path = new_path
    org.depth = new_parent.depth + 1


async def move_organisation(
    session: AsyncSession, principal: Principal, org: Organisation, new_parent_id: uuid.UUID
) -> Organisation:
    """Move an organisation and its whole subtree under a new parent (调整隶属关系).

    Every record filed under the subtree (members, meetings, points, grids, mobile
    episodes, transfers, dues, audit, change feed, ...) follows it in the same
    transaction: afterwards the old parent's admins no longer see the branch and the
    new parent's do, in reads, lists and reports alike. Only the placements history
    keeps where the subtree sat until today (the statistics as of an earlier date).
    Refused when the new parent lies inside the subtree (a cycle) or does not accept
    the type.
    """
    require_org_writer(principal)
    if not principal.sees_everything and org.path == principal.org_path:
        raise Forbidden(ErrorCode.organisation_root_not_movable)
    new_parent = await get_visible(
        session, principal, new_parent_id, field="new_parent_id", copies_path=True
    )
    check_move(org, new_parent)
    before = audit.snapshot(org, AUDITED_FIELDS)
    old_path = org.path
    old_parent_id = org.parent_id
    await _relink_subtree(session, org, new_parent)
    await session.flush()
    await record_placements(session, org.path, clock.today())
    # Rows of the subtree loaded earlier in this session are stale now.
    session.expire_all()
    await session.refresh(org)
    # Filed under both the new and the old place: integrators of the subtree it left
    # learn that the branch and everything under it moved out of their view.
    await changes.record_event(
        session,
        org,
        changes.DomainEvent.organisation_moved,
        {
            "from_parent_id": str(old_parent_id) if old_parent_id else None,
            "to_parent_id": str(new_parent_id),
        },
        alt_path=old_path,
    )
    audit.record(
        session,
        principal,
        "organisation.moved",
        "organisation",
        org.id,
        org.path,
        before=before,
        after=audit.snapshot(org, AUDITED_FIELDS),
    )
    return org
