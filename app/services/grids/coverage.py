"""Grid coverage flags: size outside the policy range, grids no party organisation covers,
residents not assigned to a grid.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import date
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from app.models.enums import ENDED_STATUSES
from app.models.grid import Grid, GridResident
from app.models.member import Member
from app.models.organisation import Organisation
from app.security.scope import under
from app.services.policies import effective_policy


@dataclass
class Coverage:
    as_of: date
    out_of_range: list[uuid.UUID]
    uncovered: list[uuid.UUID]
    without_leader: list[uuid.UUID]
    unassigned_members: list[uuid.UUID]
    totals: dict[str, int]


def size_in_range(policy: dict[str, Any], kind: str, households: int) -> bool:
    """A grid's household count lies within its kind's policy bounds (inclusive)."""
    low = policy[f"grid_{kind}_min_households"]
    high = policy[f"grid_{kind}_max_households"]
    return bool(low <= households <= high)


async def _grid_faults(
    session: AsyncSession, grids: list[Grid]
) -> tuple[list[uuid.UUID], list[uuid.UUID], list[uuid.UUID]]:
    """(out of the policy size, covered by no organisation, without a leader), by code."""
    out_of_range, uncovered, without_leader = [], [], []
    policies: dict[uuid.UUID, dict[str, Any]] = {}
    for grid in sorted(grids, key=lambda g: g.code):
        if grid.org_id not in policies:
            community = await session.get(Organisation, grid.org_id)
            assert community is not None
            policies[grid.org_id] = await effective_policy(session, community)
        if not size_in_range(policies[grid.org_id], grid.kind, grid.households):
            out_of_range.append(grid.id)
        if grid.covering_org_id is None:
            uncovered.append(grid.id)
        if grid.leader_id is None:
            without_leader.append(grid.id)
    return out_of_range, uncovered, without_leader


async def _unassigned_members(session: AsyncSession, root: Organisation) -> list[uuid.UUID]:
    """Current members living in one of the subtree's communities and in no grid."""
    communities = select(Organisation.id).where(under(Organisation.path, root.path))
    rows = await session.scalars(
        select(Member.id)
        .outerjoin(GridResident, GridResident.member_id == Member.id)
        .where(
            Member.residence_community_id.in_(communities),
            Member.status.notin_([s.value for s in ENDED_STATUSES]),
            GridResident.member_id.is_(None),
        )
        .order_by(Member.id)
    )
    return list(rows.all())


async def grid_coverage(session: AsyncSession, root: Organisation, as_of: date) -> Coverage:
    """Grid rules for a subtree (网格覆盖情况): grids outside the policy size for their kind
    (by default urban 300-500 households, rural 200-400), grids no party organisation
    covers, grids without a leader, and members living in one of the subtree's
    communities but assigned to no grid."""
    grids = list((await session.scalars(select(Grid).where(under(Grid.org_path, root.path)))).all())
    out_of_range, uncovered, without_leader = await _grid_faults(session, grids)
    unassigned = await _unassigned_members(session, root)
    assigned = int(
        await session.scalar(
            select(func.count())
            .select_from(GridResident)
            .join(Grid, Grid.id == GridResident.grid_id)
            .where(under(Grid.org_path, root.path))
        )
        or 0
    )
    return Coverage(
        as_of=as_of,
        out_of_range=out_of_range,
        uncovered=uncovered,
        without_leader=without_leader,
        unassigned_members=unassigned,
        totals={
            "grids": len(grids),
            "households": sum(g.households for g in grids),
            "population": sum(g.population for g in grids),
            "assigned_members": assigned,
            "unassigned_members": len(unassigned),
            "out_of_range": len(out_of_range),
            "uncovered": len(uncovered),
            "without_leader": len(without_leader),
        },
    )
