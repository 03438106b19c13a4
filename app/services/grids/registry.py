"""Grids: a community-level organisation's grids, the covering party organisation, the grid
leader, residents assigned to a grid.
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from typing import Any

from sqlalchemy import Select, delete, or_, select
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from app import clock
from app.errors import Conflict, ErrorCode, Unprocessable
from app.i18n import Text
from app.models.enums import BRANCH_TYPES, ENDED_STATUSES, OrgType, Role
from app.models.grid import Grid, GridResident
from app.models.member import Member
from app.models.organisation import Organisation
from app.pagination import Page, paginate, parse_sort
from app.security.scope import (
    Principal,
    is_under,
    load_all_visible,
    load_visible,
    not_found,
    refuse_member_role,
    require_role,
    subtree_filter,
    under,
)
from app.services.integration import audit
from app.services.members import check_community

GRID_FIELDS = (
    "code",
    "name",
    "kind",
    "org_id",
    "covering_org_id",
    "boundary",
    "households",
    "population",
    "buildings",
    "leader_id",
)


def require_grid_admin(principal: Principal) -> None:
    require_role(principal, Role.org_admin, Role.branch_secretary)


async def _check_covering(
    session: AsyncSession,
    principal: Principal,
    community: Organisation,
    covering_id: uuid.UUID | None,
) -> None:
    if covering_id is None:
        return
    covering = await load_visible(
        session, principal, Organisation, covering_id, field="covering_org_id"
    )
    allowed = (*BRANCH_TYPES, OrgType.group)
    if not is_under(covering.path, community.path) or OrgType(covering.type) not in allowed:
        raise Unprocessable.field(
            "covering_org_id",
            ErrorCode.grid_covering_not_in_community,
            Text(
                zh="须为本社区下属的党支部或党小组",
                en="a branch or party group of the community's subtree",
            ),
        )


async def _check_leader(
    session: AsyncSession, principal: Principal, leader_id: uuid.UUID | None
) -> None:
    if leader_id is None:
        return
    member = await load_visible(session, principal, Member, leader_id, field="leader_id")
    if member.status in ENDED_STATUSES:
        raise Unprocessable.field(
            "leader_id",
            ErrorCode.grid_leader_invalid,
            Text(zh="须为您可见的在册党员", en="a current member you can see"),
        )


async def create_grid(session: AsyncSession, principal: Principal, data: dict[str, Any]) -> Grid:
    """Create a grid (划分网格) in a community of your subtree.

    The covering organisation must be a branch or party group in that community's
    subtree; the code is unique.
    """
    require_grid_admin(principal)
    community = await load_visible(
        session, principal, Organisation, data["org_id"], field="org_id", copies_path=True
    )
    await check_community(session, community.id, "org_id")
    await _check_covering(session, principal, community, data.get("covering_org_id"))
    await _check_leader(session, principal, data.get("leader_id"))
    if await session.scalar(select(Grid.id).where(Grid.code == data["code"])):
        raise Conflict(ErrorCode.grid_code_taken)
    grid = Grid(**data, org_path=community.path)
    session.add(grid)
    await session.flush()
    audit.record(
        session, principal, "grid.created", "grid", grid.id, grid.org_path,
        after=audit.snapshot(grid, GRID_FIELDS),
    )  # fmt: skip
    return grid


async def get_visible(session: AsyncSession, principal: Principal, grid_id: uuid.UUID) -> Grid:
    grid = await load_visible(session, principal, Grid, grid_id)
    if principal.role is Role.member:
        raise not_found(ErrorCode.grid_not_found)
    return grid


async def update_grid(
    session: AsyncSession, principal: Principal, grid: Grid, changes: dict[str, Any]
) -> Grid:
    """Edit a grid: sizes, boundary, buildings, leader, covering organisation."""
    require_grid_admin(principal)
    community = await session.get(Organisation, grid.org_id)
    assert community is not None
    if "covering_org_id" in changes:
        await _check_covering(session, principal, community, changes["covering_org_id"])
    if "leader_id" in changes:
        await _check_leader(session, principal, changes["leader_id"])
    before = audit.snapshot(grid, GRID_FIELDS)
    for field, value in changes.items():
        setattr(grid, field, value)
    await session.flush()
    audit.record(
        session, principal, "grid.updated", "grid", grid.id, grid.org_path,
        before=before, after=audit.snapshot(grid, GRID_FIELDS),
    )  # fmt: skip
    return grid


# The orders the list offers (`?sort=`); ties are broken by id.
GRID_SORT = "code"
GRID_SORTABLE = {"code": Grid.code}


async def list_grids(
    session: AsyncSession,
    principal: Principal,
    *,
    within_path: str | None,
    limit: int | None,
    cursor: str | None,
    sort: str | None = None,
    include_total: bool = False,
) -> Page[Grid]:
    refuse_member_role(principal)
    stmt: Select[Grid] = select(Grid).where(subtree_filter(principal, Grid.org_path))
    if within_path:
        stmt = stmt.where(under(Grid.org_path, within_path))
    keys = parse_sort(sort, GRID_SORTABLE, Grid.id, default=GRID_SORT)
    return await paginate(
        session, stmt, keys, limit=limit, cursor=cursor, include_total=include_total
    )


async def residents(session: AsyncSession, grid_id: uuid.UUID) -> list[GridResident]:
    rows = await session.scalars(
        select(GridResident).where(GridResident.grid_id == grid_id).order_by(GridResident.member_id)
    )
    return list(rows.all())


async def assign_residents(
    session: AsyncSession,
    principal: Principal,
    grid: Grid,
    ids: list[uuid.UUID],
    served: Mapping[uuid.UUID, list[str]],
) -> list[GridResident]:
    """Set the members living in this grid (网格党员), with the households a central
    household (党员中心户) serves. A member is in one grid at most: assigning them
    here moves them from any other grid. A central household is one of the members
    assigned here.
    """
    require_grid_admin(principal)
    if served:
        await load_all_visible(session, principal, Member, served, field="central_households")
        if not set(served) <= set(ids):
            raise Unprocessable.field(
                "central_households", ErrorCode.grid_central_household_not_resident
            )
    entries = [(member_id, list(served.get(member_id, []))) for member_id in ids]
    if len(set(ids)) != len(ids):
        raise Unprocessable.field(
            "member_ids",
            ErrorCode.grid_member_repeated,
            Text(zh="党员重复", en="a member appears twice"),
        )
    if ids:
        visible = await load_all_visible(session, principal, Member, ids, field="member_ids")
        if any(m.status in ENDED_STATUSES for m in visible):
            raise Unprocessable.field(
                "member_ids",
                ErrorCode.grid_member_ended,
                Text(zh="该党员的登记已结束", en="a member's record ended"),
            )
    before = [str(r.member_id) for r in await residents(session, grid.id)]
    await session.execute(
        delete(GridResident).where(
            or_(GridResident.grid_id == grid.id, GridResident.member_id.in_(ids))
        )
    )
    for member_id, households in entries:
        await session.execute(
            insert(GridResident).values(
                member_id=member_id, grid_id=grid.id, served_households=households
            )
        )
    grid.updated_at = clock.utcnow()  # bumps the grid's version
    await session.flush()
    audit.record(
        session, principal, "grid.residents_assigned", "grid", grid.id, grid.org_path,
        before={"member_ids": before}, after={"member_ids": [str(i) for i in ids]},
    )  # fmt: skip
    return await residents(session, grid.id)
