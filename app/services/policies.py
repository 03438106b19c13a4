"""Policies (政策参数): the *(policy)* values of DOMAIN.md, inherited down the tree.

An organisation may override any value for its subtree; the nearest ancestor
that sets a value wins, and the defaults below apply where nobody does.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from typing import Any

from sqlalchemy import Integer, func, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import aliased
from sqlalchemy.sql.elements import ColumnElement

from app import db
from app.errors import ErrorCode, Unprocessable
from app.i18n import Text
from app.models.enums import Role, TodoKind
from app.models.organisation import Organisation
from app.models.policy import OrganisationPolicy
from app.security.scope import (
    Principal,
    ancestors,
    fill_prefixes,
    is_under,
    prefix_mark,
    require_role,
    subtree_prefix,
    under_column,
)
from app.services.integration import audit

# Kinds that wait on one person's decision are reminded daily; standing situations weekly.
REMINDER_DEFAULTS = {
    TodoKind.transfer_to_accept: "daily",
    TodoKind.claim_to_approve: "daily",
    TodoKind.change_request_to_decide: "daily",
    TodoKind.leave_to_decide: "daily",
    TodoKind.check_in_overdue: "daily",
}
REMINDER_CHOICES = ("daily", "weekly", "none")

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
    # Mobile members (流动党员)
    "mobile_check_in_months": 1,
    "location_retention_days": 365,
    # Grids (网格) and 双报到
    "grid_urban_min_households": 300,
    "grid_urban_max_households": 500,
    "grid_rural_min_households": 200,
    "grid_rural_max_households": 400,
    "service_hours_target": 50,
    # Meetings (三会一课): how often each type is due
    "cadence_general_meeting": "quarterly",
    "cadence_committee_meeting": "monthly",
    "cadence_group_meeting": "monthly",
    "cadence_party_lecture": "quarterly",
    "cadence_theme_day": "monthly",
    "cadence_life_meeting": "yearly",
    "cadence_democratic_review": "yearly",
    # Meeting sign-in (签到): how often the code rotates, and the window around the start
    "sign_in_code_seconds": 30,
    "sign_in_early_minutes": 30,
    "sign_in_late_after_minutes": 10,
    "sign_in_close_after_minutes": 120,
    # Admission (发展党员): the public notice (公示) runs at least this many working days
    "notice_min_working_days": 5,
    # Admission record (全程纪实): 推优 required before listing an activist, or optional;
    # the candidates' training lasts at least this many hours (3 days: 24)
    "development_recommendation": "optional",
    "development_training_min_hours": 24,
    # Reminders (待办提醒) the worker sends of each kind of to-do: daily, weekly (not again
    # within 7 days for the same item) or none
    **{f"reminder_{k.value}": REMINDER_DEFAULTS.get(k, "weekly") for k in TodoKind},
}


# Allowed values: (minimum, maximum) for numbers, a tuple of choices for strings.
SPEC: dict[str, tuple[int, int] | tuple[str, ...]] = {
    "branch_min_full_members": (1, 20),
    "branch_max_members": (10, 500),
    "branch_committee_from_full_members": (3, 50),
    "joint_branch_max_units": (2, 20),
    "term_years_committee": (1, 10),
    "term_years_branch": (1, 10),
    "term_years_village_community": (1, 10),
    "term_warning_days": (0, 365),
    "transfer_overdue_months": (1, 24),
    "dues_farmer_monthly_fen": (20, 100),
    "dues_rounding": ("half_up", "half_even", "down", "up"),
    "mobile_check_in_months": (1, 6),
    "grid_urban_min_households": (1, 5000),
    "grid_urban_max_households": (1, 5000),
    "grid_rural_min_households": (1, 5000),
    "grid_rural_max_households": (1, 5000),
    "service_hours_target": (0, 1000),
    "location_retention_days": (30, 3650),
    "sign_in_code_seconds": (30, 60),
    "sign_in_early_minutes": (0, 240),
    "sign_in_late_after_minutes": (0, 120),
    "sign_in_close_after_minutes": (10, 720),
    "notice_min_working_days": (5, 30),
    "development_recommendation": ("optional", "required"),
    "development_training_min_hours": (24, 480),
    **{f"reminder_{k.value}": REMINDER_CHOICES for k in TodoKind},
    **{
        f"cadence_{t}": ("monthly", "quarterly", "yearly", "none")
        for t in (
            "general_meeting",
            "committee_meeting",
            "group_meeting",
            "party_lecture",
            "theme_day",
            "life_meeting",
            "democratic_review",
        )
    },
}


def validate_overrides(values: dict[str, Any]) -> dict[str, Any]:
    """Check each override against SPEC; 422 naming the first bad key."""
    for key, value in values.items():
        spec = SPEC.get(key)
        if spec is None:
            raise Unprocessable.field(
                key,
                ErrorCode.policy_unknown_key,
                Text(zh=f"可设置的键：{sorted(SPEC)}", en=f"known keys: {sorted(SPEC)}"),
            )
        if isinstance(spec[0], int):
            low, high = spec
            if not isinstance(value, int) or isinstance(value, bool) or not low <= value <= high:
                raise Unprocessable.field(
                    key,
                    ErrorCode.policy_value_invalid,
                    Text(
                        zh=f"须为 {low} 至 {high} 之间的整数", en=f"an integer from {low} to {high}"
                    ),
                )
        elif value not in spec:
            raise Unprocessable.field(
                key,
                ErrorCode.policy_value_invalid,
                Text(zh=f"须为以下之一：{list(spec)}", en=f"one of {list(spec)}"),
            )
    return values


async def own_overrides(session: AsyncSession, org: Organisation) -> OrganisationPolicy | None:
    return await session.get(OrganisationPolicy, org.id)


async def set_overrides(
    session: AsyncSession, principal: Principal, org: Organisation, values: dict[str, Any]
) -> OrganisationPolicy:
    """Replace the policy values this organisation sets for its subtree (政策参数).

    Keys left out fall back to the nearest ancestor that sets them, then to the
    defaults. Only administrators whose scope includes the organisation may edit.
    """
    require_role(principal, Role.org_admin)
    validate_overrides(values)
    policy = await session.get(OrganisationPolicy, org.id)
    before = dict(policy.values) if policy else {}
    if policy is None:
        policy = OrganisationPolicy(org_id=org.id, values=values)
        session.add(policy)
    else:
        policy.values = values
    await session.flush()
    audit.record(
        session,
        principal,
        "policy.updated",
        "organisation",
        org.id,
        org.path,
        before=before,
        after=values,
    )
    return policy


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


def policy_int_sql(key: str, path: Any) -> ColumnElement[int]:
    """SQL: the integer value of `key` in force for the organisation at `path` (a path
    column of the row being filtered): the deepest ancestor-or-self that sets it, else
    the default. The per-row form of `effective_policy`, for list filters that must
    judge each record by its own organisation's policy."""
    holder = aliased(Organisation)
    setting = (
        select(OrganisationPolicy.values[key].astext.cast(Integer))
        .join(holder, holder.id == OrganisationPolicy.org_id)
        .where(OrganisationPolicy.values.has_key(key), under_column(path, holder.path))
        .order_by(holder.depth.desc())
        .limit(1)
        .scalar_subquery()
    )
    return func.coalesce(setting, int(DEFAULTS[key]))


# Organisations holding a policy that bear on a subtree: its root's ancestors (and the root),
# and any inside it. Usually a handful, whatever the subtree's size.
_SUBTREE_POLICIES_SQL = (
    "SELECT o.path, p.values FROM organisation_policies AS p "  # noqa: S608  # a constant mark
    "JOIN organisations AS o ON o.id = p.org_id "
    f"WHERE o.path LIKE {prefix_mark('prefix')} OR o.path = ANY($1::text[]) ORDER BY o.depth"
)


async def effective_policies(
    session: AsyncSession, root_path: str, orgs: Sequence[Any]
) -> dict[uuid.UUID, dict[str, Any]]:
    """Effective values for the organisations of one subtree (rows of id first, path
    last), from one query for the few organisations that hold a policy.

    Organisations overridden by the same ancestors share one (read-only) dict: each
    distinct set of overriding ancestors is resolved once."""
    holders = await db.fetch(
        session,
        fill_prefixes(_SUBTREE_POLICIES_SQL, {"prefix": subtree_prefix(root_path)}),
        ancestors(root_path),
    )
    # Root first (ordered by depth): later overrides win, as in `effective_policy`.
    paths = [(path, values) for path, values in holders]
    # Holders at the root or above it bear on every organisation of the subtree: without
    # one inside it (the usual case), an organisation of the subtree has them all.
    everyone = tuple(path for path, _ in paths)
    inside = any(not is_under(root_path, path) for path in everyone)
    result: dict[uuid.UUID, dict[str, Any]] = {}
    resolved: dict[tuple[str, ...], dict[str, Any]] = {}
    for org in orgs:
        org_id, org_path = org[0], org[-1]
        if not inside and is_under(org_path, root_path):
            overriding = everyone
        else:
            overriding = tuple(path for path, _ in paths if is_under(org_path, path))
        values = resolved.get(overriding)
        if values is None:
            values = dict(DEFAULTS)
            for path, overrides in paths:
                if path in overriding:
                    values.update({k: v for k, v in overrides.items() if k in DEFAULTS})
            resolved[overriding] = values
        result[org_id] = values
    return result
