"""Organisations (党组织): the tree, its setup rules and its health.

The rules of shared/DOMAIN.md live here: which type may sit under which,
moves that rewrite a subtree's paths in one transaction, soft dissolution,
leaders (班子) and the thresholds and term flags of `health`.
"""

from __future__ import annotations

import uuid
from collections import defaultdict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from functools import lru_cache
from typing import Any, Literal

from sqlalchemy import (
    Integer,
    Select,
    and_,
    bindparam,
    case,
    exists,
    func,
    literal,
    or_,
    select,
    text,
    true,
    update,
)
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import aliased
from sqlalchemy.sql.elements import ColumnElement

from app import db
from app.errors import Conflict, ErrorCode, Forbidden, Unprocessable
from app.models.base import org_path_columns
from app.models.enums import (
    BRANCH_TYPES,
    COMMITTEE_TYPES,
    ENDED_STATUSES,
    LeaderRole,
    MemberStatus,
    OrgType,
    Role,
)
from app.models.member import Member
from app.models.organisation import Organisation, OrganisationLeader
from app.pagination import Page, paginate, parse_sort
from app.schemas.organisations import (
    HealthFlag,
    LeaderCreate,
    OrganisationCreate,
    OrganisationHealth,
    OrganisationStats,
    OrganisationUpdate,
)
from app.security.scope import (
    Principal,
    is_under,
    like_prefix,
    load_visible,
    not_found,
    require_role,
    subtree_filter,
    subtree_prefix,
    under,
)
from app.services import audit, changes
from app.services.policies import effective_policy

AUDITED_FIELDS = (
    "code",
    "name",
    "type",
    "parent_id",
    "path",
    "unit_category",
    "unit_credit_code",
    "unit_count",
    "founded_on",
    "term_started_on",
    "dissolved_on",
)

Severity = Literal["info", "warning", "error"]

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

SORTABLE = {
    # Tree order (parents before their children), the default.
    "tree": Organisation.path,
    "code": Organisation.code,
    "name": Organisation.name,
    "depth": Organisation.depth,
    "created_at": Organisation.created_at,
}


def may_sit_under(child: OrgType, parent: OrgType | None) -> bool:
    """The parent-type rule of DOMAIN.md (e.g. a group only under a branch)."""
    return parent in ALLOWED_PARENTS[child]


async def get_visible(
    session: AsyncSession,
    principal: Principal,
    org_id: uuid.UUID,
    *,
    field: str | None = None,
    lock: bool = False,
    copies_path: bool = False,
) -> Organisation:
    """Load an organisation the principal may see; 404 when missing or out of scope.

    `field` names the body or query field the id came from; `copies_path` for a caller
    that stores the organisation's path (see `load_visible`)."""
    return await load_visible(
        session, principal, Organisation, org_id, field=field, lock=lock, copies_path=copies_path
    )


async def within_path(
    session: AsyncSession, principal: Principal, within: uuid.UUID | None
) -> str | None:
    """The path of a `?within=` organisation the principal may see (404 otherwise)."""
    if within is None:
        return None
    return (await get_visible(session, principal, within, field="within")).path


def _require_org_writer(principal: Principal, org_type: OrgType | None = None) -> None:
    if principal.role is Role.branch_secretary and org_type is OrgType.group:
        return  # a branch secretary keeps the party groups of their branch
    require_role(principal, Role.org_admin)


async def _parent_for(
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
            f"a {child.value} cannot sit under {parent_type.value if parent_type else 'the root'}",
        )
    return parent


async def _ensure_code_free(session: AsyncSession, code: str) -> None:
    if await session.scalar(select(Organisation.id).where(Organisation.code == code)):
        raise Conflict(ErrorCode.organisation_code_taken, f"code {code!r} is already used")


async def _next_node_id(session: AsyncSession) -> int:
    """The next compact node id; known before insert so the path is written once."""
    sql = text("SELECT nextval(pg_get_serial_sequence('organisations', 'node_id'))")
    return int(await session.scalar(sql) or 0)


async def insert_root(session: AsyncSession, code: str, name: str) -> Organisation:
    """A root committee written directly: for bootstrap and demo, before any user exists."""
    node_id = await _next_node_id(session)
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
    return root


async def create_organisation(
    session: AsyncSession, principal: Principal, data: OrganisationCreate
) -> Organisation:
    """Create an organisation under a parent in your subtree (建立党组织).

    The parent must accept the type: a party group only under a branch; branches
    under a committee, working committee or general branch; a general branch under
    a committee; committees under committees or as a root (system administrators only).
    """
    _require_org_writer(principal, data.type)
    parent = await _parent_for(session, principal, data.parent_id, data.type)
    await _ensure_code_free(session, data.code)
    node_id = await _next_node_id(session)
    org = Organisation(
        **data.model_dump(exclude={"type"}),
        type=data.type.value,
        node_id=node_id,
        path=(parent.path if parent else "/") + f"{node_id}/",
        depth=(parent.depth + 1) if parent else 0,
    )
    session.add(org)
    await session.flush()
    audit.record(
        session,
        principal,
        "organisation.created",
        "organisation",
        org.id,
        org.path,
        after=audit.snapshot(org, AUDITED_FIELDS),
    )
    return org


async def update_organisation(
    session: AsyncSession, principal: Principal, org: Organisation, data: OrganisationUpdate
) -> Organisation:
    """Edit an organisation's descriptive fields; the code and type are stable."""
    _require_org_writer(principal, OrgType(org.type))
    if not principal.sees_everything and org.path == principal.org_path:
        raise Forbidden(
            ErrorCode.auth_forbidden, "your own organisation is kept by the level above"
        )
    before = audit.snapshot(org, AUDITED_FIELDS)
    for field, value in data.model_dump(exclude_unset=True).items():
        setattr(org, field, value)
    await session.flush()
    audit.record(
        session,
        principal,
        "organisation.updated",
        "organisation",
        org.id,
        org.path,
        before=before,
        after=audit.snapshot(org, AUDITED_FIELDS),
    )
    return org


async def list_organisations(
    session: AsyncSession,
    principal: Principal,
    *,
    parent_id: uuid.UUID | None,
    within: uuid.UUID | None,
    org_type: OrgType | None,
    q: str | None,
    include_dissolved: bool,
    sort: str | None,
    limit: int | None,
    cursor: str | None,
    include_total: bool,
) -> Page[Organisation]:
    stmt: Select[Organisation] = select(Organisation).where(
        subtree_filter(principal, Organisation.path)
    )
    if within is not None:
        root = await get_visible(session, principal, within, field="within")
        stmt = stmt.where(under(Organisation.path, root.path))
    if parent_id is not None:
        stmt = stmt.where(Organisation.parent_id == parent_id)
    if org_type is not None:
        stmt = stmt.where(Organisation.type == org_type.value)
    if q:
        pattern = "%" + q.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"
        stmt = stmt.where(or_(Organisation.name.ilike(pattern), Organisation.code.ilike(pattern)))
    if not include_dissolved:
        stmt = stmt.where(Organisation.dissolved_on.is_(None))
    keys = parse_sort(sort, SORTABLE, Organisation.id, default="tree")
    return await paginate(
        session, stmt, keys, limit=limit, cursor=cursor, include_total=include_total
    )


@lru_cache(maxsize=2)
def _tree_statement(include_dissolved: bool) -> db.DriverStatement:
    """Compiled once per variant: an aliased self-join is costly to build per request."""
    child = aliased(Organisation, name="child")
    last = bindparam("last", type_=Integer)
    child_conditions = [child.parent_id == Organisation.id]
    if not include_dissolved:
        child_conditions.append(child.dissolved_on.is_(None))
    has_children = case(
        (Organisation.depth == last, exists().where(*child_conditions)), else_=literal(False)
    )
    conditions = [like_prefix(Organisation.path, bindparam("prefix")), Organisation.depth <= last]
    if not include_dissolved:
        conditions.append(
            or_(Organisation.dissolved_on.is_(None), Organisation.id == bindparam("root_id"))
        )
    return db.DriverStatement.compile(
        select(
            Organisation.id,
            Organisation.parent_id,
            Organisation.code,
            Organisation.name,
            Organisation.type,
            Organisation.depth,
            Organisation.dissolved_on,
            has_children.label("has_children"),
        )
        .where(and_(*conditions))
        .order_by(Organisation.depth, Organisation.code)
    )


_NODE_SQL = "SELECT id, path, depth FROM organisations WHERE id = $1"


async def get_visible_node(
    session: AsyncSession, principal: Principal, org_id: uuid.UUID, *, field: str | None = None
) -> Mapping[str, Any]:
    """`get_visible` for reads that need only the id, path and depth (no ORM object)."""
    row = await db.fetchrow(session, _NODE_SQL, org_id)
    if row is None or not principal.scope.covers(row["path"]):
        raise not_found(ErrorCode.organisation_not_found, field)
    node: Mapping[str, Any] = row
    return node


async def organisation_tree(
    session: AsyncSession, root: Mapping[str, Any], depth: int, include_dissolved: bool
) -> dict[str, Any]:
    """The subtree down to `depth` levels below `root`, read in one indexed query.

    Nodes on the last level carry `has_more_children` from an EXISTS on the parent
    index, so the level below is never read. Returns TreeNode's fields as JSON values.
    """
    query = _tree_statement(include_dissolved)
    args = query.args(
        prefix=subtree_prefix(root["path"]), last=root["depth"] + depth, root_id=root["id"]
    )
    nodes: dict[uuid.UUID, dict[str, Any]] = {}
    root_id = root["id"]
    for row in await db.fetch(session, query.sql, *args):
        node_id = row["id"]
        node = {
            "id": node_id,
            "code": row["code"],
            "name": row["name"],
            "type": row["type"],
            "depth": row["depth"],
            "dissolved_on": row["dissolved_on"],
            "children": [],
            "has_more_children": bool(row["has_children"]),
        }
        nodes[node_id] = node
        parent = nodes.get(row["parent_id"])
        if parent is not None and node_id != root_id:
            parent["children"].append(node)
    return nodes[root_id]


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


async def move_organisation(
    session: AsyncSession, principal: Principal, org: Organisation, new_parent_id: uuid.UUID
) -> Organisation:
    """Move an organisation and its whole subtree under a new parent (调整隶属关系).

    Every record filed under the subtree (members, meetings, points, grids, mobile
    episodes, transfers, dues, audit, change feed, ...) follows it in the same
    transaction: afterwards the old parent's admins no longer see the branch and the
    new parent's do, in reads, lists and reports alike. Refused when the new parent
    lies inside the subtree (a cycle) or does not accept the type.
    """
    _require_org_writer(principal)
    if not principal.sees_everything and org.path == principal.org_path:
        raise Forbidden(ErrorCode.organisation_root_not_movable)
    new_parent = await get_visible(
        session, principal, new_parent_id, field="new_parent_id", copies_path=True
    )
    if is_under(new_parent.path, org.path):
        raise Conflict(ErrorCode.organisation_move_cycle)
    if new_parent.dissolved_on is not None:
        raise Conflict(ErrorCode.organisation_dissolved)
    if not may_sit_under(OrgType(org.type), OrgType(new_parent.type)):
        raise Conflict(ErrorCode.organisation_parent_type_invalid)
    before = audit.snapshot(org, AUDITED_FIELDS)
    old_path = org.path
    new_path = new_parent.path + f"{org.node_id}/"
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
    await session.execute(
        update(Organisation)
        .where(under(Organisation.path, old_path), Organisation.id != org.id)
        .values(
            depth=Organisation.depth + (new_parent.depth + 1 - org.depth),
            version=Organisation.version + 1,
        )
        .execution_options(synchronize_session=False)
    )
    await rewrite_subtree_paths(session, old_path, new_path)
    old_parent_id, new_parent_id = org.parent_id, new_parent.id
    org.parent_id = new_parent.id
    org.path = new_path
    org.depth = new_parent.depth + 1
    await session.flush()
    # Rows of the subtree loaded earlier in this session are stale now.
    session.expire_all()
    await session.refresh(org)
    # Filed under both the new and the old place: integrators of the subtree it left
    # learn that the branch and everything under it moved out of their view.
    await changes.record_event(
        session,
        org,
        "organisation.moved",
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


async def dissolve_organisation(
    session: AsyncSession, principal: Principal, org: Organisation, today: date
) -> None:
    """Dissolve (撤销) an organisation: kept for history, refused while members or
    sub-organisations remain."""
    _require_org_writer(principal, OrgType(org.type))
    if not principal.sees_everything and org.path == principal.org_path:
        raise Forbidden(
            ErrorCode.auth_forbidden, "your own organisation is dissolved by the level above"
        )
    if org.dissolved_on is not None:
        raise Conflict(ErrorCode.organisation_dissolved)
    members = await session.scalar(
        select(func.count())
        .select_from(Member)
        .where(
            under(Member.org_path, org.path),
            Member.status.notin_([s.value for s in ENDED_STATUSES]),
        )
    )
    if members:
        raise Conflict(ErrorCode.organisation_has_members, f"{members} current member(s) remain")
    children = await session.scalar(
        select(func.count())
        .select_from(Organisation)
        .where(Organisation.parent_id == org.id, Organisation.dissolved_on.is_(None))
    )
    if children:
        raise Conflict(
            ErrorCode.organisation_has_children, f"{children} sub-organisation(s) remain"
        )
    before = audit.snapshot(org, AUDITED_FIELDS)
    org.dissolved_on = today
    await session.flush()
    audit.record(
        session,
        principal,
        "organisation.dissolved",
        "organisation",
        org.id,
        org.path,
        before=before,
        after=audit.snapshot(org, AUDITED_FIELDS),
    )


# --- Leaders (班子) -------------------------------------------------------------


def term_current(started_on: date, ended_on: date | None, today: date) -> bool:
    """A leader's term is current when `today` lies in [started_on, ended_on]."""
    return started_on <= today and (ended_on is None or today <= ended_on)


def terms_overlap(
    started_on: Any, ended_on: Any, other_start: date, other_end: date | None
) -> ColumnElement[bool]:
    """SQL: the stored term [started_on, ended_on] shares a day with [other_start, other_end].

    The partial unique index `uq_organisation_leaders_current_secretary` can only
    refuse two *open* secretary terms: a unique index compares equal keys, and
    overlapping date ranges are not equal (that needs an EXCLUDE constraint over
    daterange with btree_gist, an extension the deployment may not allow). So the
    overlap rule is the service's, under a lock on the organisation row.
    """
    starts_in_time = true() if other_end is None else started_on <= other_end
    return and_(starts_in_time, or_(ended_on.is_(None), ended_on >= other_start))


@dataclass(frozen=True)
class LeaderRow:
    leader: OrganisationLeader
    member_name: str


async def list_leaders(session: AsyncSession, org: Organisation) -> list[LeaderRow]:
    rows = (
        await session.execute(
            select(OrganisationLeader, Member.name)
            .join(Member, Member.id == OrganisationLeader.member_id)
            .where(OrganisationLeader.org_id == org.id)
            .order_by(
                OrganisationLeader.ended_on.desc().nulls_first(), OrganisationLeader.started_on
            )
        )
    ).all()
    return [LeaderRow(leader, name) for leader, name in rows]


async def add_leader(
    session: AsyncSession, principal: Principal, org: Organisation, data: LeaderCreate, today: date
) -> LeaderRow:
    """Appoint a leader (班子成员) for a term; one current secretary at most.

    A term is current on the days from `started_on` to `ended_on` inclusive (an
    open `ended_on` never ends). A secretary's term may not overlap another
    secretary's term of the same organisation, so no day has two current
    secretaries: a successor is appointed after the predecessor's term is ended,
    whether that end is past or future (409 `leader.secretary_exists`).
    """
    _require_org_writer(principal)
    member = await load_visible(session, principal, Member, data.member_id, field="member_id")
    if not is_under(member.org_path, org.path) or member.status in ENDED_STATUSES:
        raise Conflict(ErrorCode.leader_member_not_in_org)
    if data.ended_on is not None and data.ended_on < data.started_on:
        raise Unprocessable.field(
            "ended_on", ErrorCode.leader_term_order, "ended_on is before started_on"
        )
    if data.role is LeaderRole.secretary:
        # Serialise secretary appointments per organisation: two racing requests
        # would each see no overlap. FOR NO KEY UPDATE leaves path-copying writers
        # (FOR KEY SHARE) alone.
        await session.execute(
            select(Organisation.id).where(Organisation.id == org.id).with_for_update(key_share=True)
        )
        overlapping = await session.scalar(
            select(OrganisationLeader.id).where(
                OrganisationLeader.org_id == org.id,
                OrganisationLeader.role == LeaderRole.secretary,
                terms_overlap(
                    OrganisationLeader.started_on,
                    OrganisationLeader.ended_on,
                    data.started_on,
                    data.ended_on,
                ),
            )
        )
        if overlapping is not None:
            raise Conflict(ErrorCode.leader_secretary_exists)
    leader = OrganisationLeader(
        org_id=org.id,
        member_id=member.id,
        role=data.role.value,
        started_on=data.started_on,
        ended_on=data.ended_on,
    )
    session.add(leader)
    await session.flush()
    audit.record(
        session,
        principal,
        "organisation.leader_added",
        "organisation",
        org.id,
        org.path,
        after=audit.snapshot(leader, ("member_id", "role", "started_on", "ended_on")),
    )
    return LeaderRow(leader, member.name)


# --- Health and statistics -------------------------------------------------------------


def _add_years(day: date, years: int) -> date:
    try:
        return day.replace(year=day.year + years)
    except ValueError:  # 29 February
        return day.replace(year=day.year + years, day=28)


def term_years(org: Organisation, policy: dict[str, Any]) -> int | None:
    """Term length by type: village and community organisations follow their own term."""
    org_type = OrgType(org.type)
    if org_type is OrgType.group:
        return None
    if org.unit_category in (3, 7):  # 农村, 街道社区
        return int(policy["term_years_village_community"])
    if org_type in COMMITTEE_TYPES:
        return int(policy["term_years_committee"])
    return int(policy["term_years_branch"])


# Typical sizes of a general branch and of a basic-level committee (DOMAIN: below
# or above them an organisation may exist with approval, so these are info flags).
GENERAL_BRANCH_TYPICAL_FULL_MEMBERS = (50, 100)
COMMITTEE_TYPICAL_MIN_FULL_MEMBERS = 100
COMMITTEE_SIZE_RANGE = (3, 7)


def threshold_flags(
    org_type: OrgType,
    full_members: int,
    leader_roles: Sequence[str],
    unit_count: int | None,
    policy: Mapping[str, Any],
) -> list[HealthFlag]:
    """The size thresholds of DOMAIN "Organisations", all counted on *full* members.

    Applicants, activists, candidates, probationary and suspended members are not
    counted. A branch (or joint branch) with fewer than `branch_min_full_members`
    (3) is too small, with more than `branch_max_members` (50) too large; from
    `branch_committee_from_full_members` (7) it needs a committee of 3-7, below it
    a secretary and optional deputy only. A general branch typically has 50-100,
    a committee or working committee 100+ (both: info flags). A joint branch
    covers at most `joint_branch_max_units` (5) units. `leader_roles` are the
    roles of the current leaders, one per person.
    """
    flags: list[HealthFlag] = []

    def flag(code: str, severity: Severity, msg: str, value: Any, threshold: Any) -> None:
        flags.append(
            HealthFlag(code=code, severity=severity, message=msg, value=value, threshold=threshold)
        )

    committee_size = len(leader_roles)
    if org_type in (OrgType.branch, OrgType.joint_branch):
        minimum = int(policy["branch_min_full_members"])
        if full_members < minimum:
            flag(
                "branch.too_few_full_members",
                "warning",
                "fewer full members than a branch needs: consider a joint branch",
                full_members,
                minimum,
            )
        maximum = int(policy["branch_max_members"])
        if full_members > maximum:
            flag(
                "branch.too_many_members",
                "warning",
                "more full members than a branch generally has: consider a general branch",
                full_members,
                maximum,
            )
        committee_at = int(policy["branch_committee_from_full_members"])
        smallest, largest = COMMITTEE_SIZE_RANGE
        if full_members >= committee_at:
            if committee_size < smallest:
                flag(
                    "branch.committee_required",
                    "warning",
                    "a branch with this many full members needs a committee (支委会) of 3-7",
                    committee_size,
                    smallest,
                )
            elif committee_size > largest:
                flag(
                    "branch.committee_too_large",
                    "warning",
                    "a committee has at most 7",
                    committee_size,
                    largest,
                )
        else:
            others = [
                r
                for r in leader_roles
                if r not in (LeaderRole.secretary, LeaderRole.deputy_secretary)
            ]
            if others:
                flag(
                    "branch.committee_not_expected",
                    "info",
                    "below the committee threshold a branch has a secretary and optional deputy",
                    full_members,
                    committee_at,
                )
    if org_type is OrgType.joint_branch and unit_count is not None:
        max_units = int(policy["joint_branch_max_units"])
        if unit_count > max_units:
            flag(
                "joint_branch.too_many_units",
                "warning",
                "a joint branch covers at most 5 units",
                unit_count,
                max_units,
            )
    if org_type is OrgType.general_branch:
        low, high = GENERAL_BRANCH_TYPICAL_FULL_MEMBERS
        if full_members < low:
            flag(
                "general_branch.below_typical_size",
                "info",
                "a general branch typically has 50-100 full members (needs approval below)",
                full_members,
                low,
            )
        elif full_members > high:
            flag(
                "general_branch.above_typical_size",
                "info",
                "a general branch typically has 50-100 full members",
                full_members,
                high,
            )
    if org_type in COMMITTEE_TYPES and full_members < COMMITTEE_TYPICAL_MIN_FULL_MEMBERS:
        flag(
            "committee.below_typical_size",
            "info",
            "a basic-level committee typically has 100+ full members (needs approval below)",
            full_members,
            COMMITTEE_TYPICAL_MIN_FULL_MEMBERS,
        )
    return flags


async def organisation_health(
    session: AsyncSession, org: Organisation, today: date
) -> OrganisationHealth:
    """Setup rules, thresholds and term flags (组织设置与换届提醒) as of `today`.

    Thresholds are counted on full members only (see `threshold_flags`); `members`
    reports every non-ended status for information. Terms: flagged within the
    warning window before the end and once expired (换届).
    """
    policy = await effective_policy(session, org)
    org_type = OrgType(org.type)
    direct = org_type in BRANCH_TYPES or org_type is OrgType.group
    member_filter = (
        (Member.group_id == org.id)
        if org_type is OrgType.group
        else (Member.org_id == org.id)
        if direct
        else under(Member.org_path, org.path)
    )
    counts = (
        await session.execute(
            select(
                func.count().filter(Member.status == MemberStatus.full),
                func.count().filter(Member.status.notin_([s.value for s in ENDED_STATUSES])),
            ).where(member_filter)
        )
    ).one()
    full_members, members = int(counts[0]), int(counts[1])
    leaders = (
        (
            await session.execute(
                select(OrganisationLeader.role).where(
                    OrganisationLeader.org_id == org.id,
                    terms_overlap(
                        OrganisationLeader.started_on, OrganisationLeader.ended_on, today, today
                    ),
                )
            )
        )
        .scalars()
        .all()
    )
    committee_size = len(leaders)
    has_secretary = LeaderRole.secretary.value in leaders

    flags = threshold_flags(org_type, full_members, leaders, org.unit_count, policy)

    def flag(
        code: str, severity: Severity, msg: str, value: Any = None, threshold: Any = None
    ) -> None:
        flags.append(
            HealthFlag(code=code, severity=severity, message=msg, value=value, threshold=threshold)
        )

    if org_type is not OrgType.group and not has_secretary:
        flag("leaders.no_secretary", "warning", "no current secretary (书记)")
    if org_type is OrgType.temporary_branch:
        flag(
            "temporary_branch.limited_powers",
            "info",
            "a temporary branch does not admit members, discipline, collect dues or hold elections",
        )
    years = term_years(org, policy)
    term_ends_on = None
    if years is not None:
        if org.term_started_on is None:
            flag("term.start_unknown", "info", "the current term's start date is not recorded")
        else:
            term_ends_on = _add_years(org.term_started_on, years)
            warn_days = int(policy["term_warning_days"])
            if term_ends_on <= today:
                flag(
                    "term.expired",
                    "error",
                    "the term has expired: election (换届) overdue",
                    str(term_ends_on),
                )
            elif (term_ends_on - today).days <= warn_days:
                flag(
                    "term.ending_soon",
                    "warning",
                    "the term ends soon: prepare the election (换届)",
                    str(term_ends_on),
                    warn_days,
                )
    return OrganisationHealth(
        org_id=org.id,
        as_of=today,
        full_members=full_members,
        members=members,
        committee_size=committee_size,
        has_secretary=has_secretary,
        term_ends_on=term_ends_on,
        flags=flags,
    )


AGE_BANDS = (("<=30", 30), ("31-40", 40), ("41-50", 50), ("51-60", 60), ("61-70", 70))


async def organisation_stats(
    session: AsyncSession, org: Organisation, today: date
) -> OrganisationStats:
    """Counts over the whole subtree: by status, category, gender, age band, education.

    `by_status` counts every record; the other breakdowns and `members` count current
    members only (not `left` or `deceased`). Age is in full years on `as_of`.
    """
    # One pass over the subtree's members, read from the covering index
    # `ix_members_org_path_stats` (no table access), hashed by education, status,
    # category and gender (a few hundred groups at most, whatever the subtree's size)
    # with one `count(*) FILTER` per age cut-off; folded here into the breakdowns.
    # Aged at most `limit` full years <=> born after the day `limit + 1` years ago.
    younger_than = [
        func.count().filter(Member.birth_date > _add_years(today, -(limit + 1)))
        for _, limit in AGE_BANDS
    ]
    education = func.coalesce(Member.education, "unknown")
    grouped = (
        await session.execute(
            select(
                education,
                Member.status,
                Member.category,
                Member.gender,
                func.count(),
                *younger_than,
            )
            .where(under(Member.org_path, org.path))
            .group_by(education, Member.status, Member.category, Member.gender)
        )
    ).all()
    ended = {s.value for s in ENDED_STATUSES}
    by_status: dict[str, int] = defaultdict(int)
    by_category: dict[str, int] = defaultdict(int)
    by_gender: dict[str, int] = defaultdict(int)
    by_education: dict[str, int] = defaultdict(int)
    younger = [0] * len(AGE_BANDS)  # cumulative: born after each cut-off
    current = 0
    for edu, status, category, gender, n, *born_after in grouped:
        by_status[status] += n
        if status in ended:
            continue  # the breakdowns count current members only
        current += n
        by_category[category] += n
        by_gender[gender] += n
        by_education[edu] += n
        younger = [a + b for a, b in zip(younger, born_after, strict=True)]
    # A band is the members born after its cut-off but not after the younger band's.
    band_counts = [n - (younger[i - 1] if i else 0) for i, n in enumerate(younger)]
    band_counts.append(current - (younger[-1] if younger else 0))
    labels = [*[label for label, _ in AGE_BANDS], ">70"]
    by_age = {label: n for label, n in zip(labels, band_counts, strict=True) if n}
    type_rows = await session.execute(
        select(Organisation.type, func.count())
        .where(under(Organisation.path, org.path), Organisation.dissolved_on.is_(None))
        .group_by(Organisation.type)
    )
    by_type = {org_type: int(count) for org_type, count in type_rows.all()}
    return OrganisationStats(
        org_id=org.id,
        as_of=today,
        organisations=sum(by_type.values()),
        members=sum(by_category.values()),
        by_status=dict(by_status),
        by_category=dict(by_category),
        by_gender=dict(by_gender),
        by_age_band=by_age,
        by_education=dict(by_education),
        by_org_type=by_type,
    )
