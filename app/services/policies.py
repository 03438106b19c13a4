"""Policies (政策参数): the *(policy)* values of DOMAIN.md, inherited down the tree.

An organisation may override any value for its subtree; the nearest ancestor
that sets a value wins, and the defaults below apply where nobody does.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from app.models.organisation import Organisation
from app.models.policy import OrganisationPolicy

DEFAULTS: dict[str, Any] = {
    # Organisations
    "branch_min_full_members": 3,
    "branch_max_members": 50,
    "branch_committee_from_full_members": 7,
    "joint_branch_max_units": 5,
    "term_years_committee": 5,
    "term_years_branch": 3,
    "term_years_village_community": 5,
    "term_warning_days": 90,
    # Transfers
    "transfer_overdue_months": 3,
    # Dues
    "dues_farmer_monthly_fen": 50,
    "dues_rounding": "half_up",
}


def ancestor_node_ids(path: str) -> list[int]:
    """`/1/22/333/` -> [1, 22, 333]: the organisation and its ancestors, root first."""
    return [int(part) for part in path.strip("/").split("/") if part]


async def effective_policy(session: AsyncSession, org: Organisation) -> dict[str, Any]:
    """The values in force for `org`: defaults, overridden root-first down to `org` itself."""
    rows = (
        await session.execute(
            select(Organisation.depth, OrganisationPolicy.values)
            .join(OrganisationPolicy, OrganisationPolicy.org_id == Organisation.id)
            .where(Organisation.node_id.in_(ancestor_node_ids(org.path)))
            .order_by(Organisation.depth)
        )
    ).all()
    values = dict(DEFAULTS)
    for _depth, overrides in rows:
        values.update({k: v for k, v in overrides.items() if k in DEFAULTS})
    return values
