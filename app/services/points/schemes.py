"""Points schemes and rule items: the nearest ancestor's scheme applies; a rule's caps,
approval and evidence needs.
"""

from __future__ import annotations

import uuid
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from app.errors import Conflict, ErrorCode, Unprocessable
from app.i18n import Text
from app.models.enums import Role
from app.models.organisation import Organisation
from app.models.points import PointRule, PointRuleVersion, PointScheme
from app.security.scope import Principal, is_under, not_found, require_role
from app.services import organisations
from app.services.integration import audit
from app.services.policies import ancestor_node_ids

RULE_FIELDS = (
    "code",
    "name",
    "category",
    "points",
    "cap_month",
    "cap_year",
    "needs_approval",
    "needs_evidence",
    "trigger",
    "active",
)


GRADES = ("excellent", "qualified", "basically_qualified", "unqualified")
TRIGGERS = ("meeting.present", "meeting.absent", "service.hours")


def require_points_admin(principal: Principal) -> None:
    require_role(principal, Role.org_admin, Role.branch_secretary)


# --- Schemes and rules ---------------------------------------------------------------------


async def upsert_scheme(
    session: AsyncSession,
    principal: Principal,
    org_id: uuid.UUID,
    year: int,
    base: int,
    grade_bands: list[dict[str, Any]],
) -> PointScheme:
    """Set an organisation's scheme for a year (积分方案): base points and grade bands.

    The scheme applies to the whole subtree unless a lower organisation sets its own. The
    organisation is one the principal may see (else 404 naming `org_id`).
    """
    org = await organisations.get_visible(
        session, principal, org_id, field="org_id", copies_path=True
    )
    require_role(principal, Role.org_admin)
    mins = [band["min"] for band in grade_bands]
    if len(set(mins)) != len(mins):
        raise Unprocessable.field(
            "grade_bands",
            ErrorCode.points_bands_overlap,
            Text(zh="分档最低分重复", en="band minimums repeat"),
        )
    scheme = await session.scalar(
        select(PointScheme).where(PointScheme.org_id == org.id, PointScheme.year == year)
    )
    bands = sorted(grade_bands, key=lambda b: b["min"], reverse=True)
    if scheme is None:
        scheme = PointScheme(
            org_id=org.id, org_path=org.path, year=year, base=base, grade_bands=bands
        )
        session.add(scheme)
    else:
        scheme.base, scheme.grade_bands = base, bands
    await session.flush()
    audit.record(
        session,
        principal,
        "points.scheme_set",
        "organisation",
        org.id,
        org.path,
        after={"year": year, "base": base, "grade_bands": bands},
    )
    return scheme


async def scheme_for(session: AsyncSession, org_path: str, year: int) -> PointScheme | None:
    """The nearest scheme on the organisation's path (itself or an ancestor)."""
    node_ids = ancestor_node_ids(org_path)
    return await session.scalar(
        select(PointScheme)
        .join(Organisation, Organisation.id == PointScheme.org_id)
        .where(Organisation.node_id.in_(node_ids), PointScheme.year == year)
        .order_by(func.length(PointScheme.org_path).desc())
        .limit(1)
    )


def _check_within_parent(parent: dict[str, Any], data: dict[str, Any]) -> None:
    """A lower organisation's item stays inside the caps of the item it refines."""
    if data["category"] != parent["category"]:
        raise Conflict(
            ErrorCode.points_category_differs,
            Text(
                zh=f"上级项目类别为 {parent['category']}",
                en=f"the parent item is {parent['category']}",
            ),
        )
    for cap in ("cap_month", "cap_year"):
        limit = parent[cap]
        if limit is None:
            continue
        value = data.get(cap)
        if value is None or value > limit:
            raise Conflict(
                ErrorCode.points_cap_exceeds_parent,
                Text(
                    zh=f"{cap} 不能超过 {limit}（由 {parent['code']} 设定）",
                    en=f"{cap} must be at most {limit} (set by {parent['code']})",
                ),
            )
        if data["points"] > limit:
            raise Conflict(
                ErrorCode.points_cap_exceeds_parent,
                Text(
                    zh=f"分值不能超过 {limit}（由 {parent['code']} 设定）",
                    en=f"points must be at most {limit} (set by {parent['code']})",
                ),
            )


async def create_rule(
    session: AsyncSession, principal: Principal, org_id: uuid.UUID, data: dict[str, Any]
) -> PointRule:
    """Add a rule item (积分细则) for your organisation's subtree (one the principal may
    see, else 404 naming `org_id`).

    A lower organisation may refine an ancestor's item (`parent_rule_id`): same
    category, and points and caps no larger than the ancestor's caps.
    """
    org = await organisations.get_visible(
        session, principal, org_id, field="org_id", copies_path=True
    )
    require_role(principal, Role.org_admin)
    parent_id = data.pop("parent_rule_id", None)
    if parent_id is not None:
        parent = await get_rule(session, principal, parent_id, field="parent_rule_id")
        await _lock_parent(session, parent)
        if not is_under(org.path, parent.org_path) or parent.org_id == org.id:
            raise Unprocessable.field(
                "parent_rule_id",
                ErrorCode.points_parent_not_ancestor,
                Text(zh="上级项目须属于上级党组织", en="the item must be an ancestor's"),
            )
        _check_within_parent(audit.snapshot(parent, RULE_FIELDS), data)
    if data.get("trigger") not in (None, *TRIGGERS):
        raise Unprocessable.field(
            "trigger",
            ErrorCode.points_trigger_unknown,
            Text(zh=f"须为以下之一：{TRIGGERS}", en=f"one of {TRIGGERS}"),
        )
    if await session.scalar(
        select(PointRule.id).where(PointRule.org_id == org.id, PointRule.code == data["code"])
    ):
        raise Conflict(ErrorCode.points_rule_code_taken)
    rule = PointRule(
        org_id=org.id, org_path=org.path, parent_rule_id=parent_id, active=True, **data
    )
    session.add(rule)
    await session.flush()
    await _snapshot(session, rule)
    audit.record(
        session,
        principal,
        "points.rule_created",
        "organisation",
        org.id,
        org.path,
        after={"rule_id": str(rule.id), **audit.snapshot(rule, RULE_FIELDS)},
    )
    return rule


async def _snapshot(session: AsyncSession, rule: PointRule) -> None:
    session.add(
        PointRuleVersion(
            rule_id=rule.id, version=rule.version, snapshot=audit.snapshot(rule, RULE_FIELDS)
        )
    )
    await session.flush()


async def _lock_parent(session: AsyncSession, parent: PointRule) -> None:
    """Read the refined item afresh FOR SHARE: a change of its caps in flight is waited
    for, and cannot pass a refinement being checked against it (see `update_rule`)."""
    await session.refresh(parent, with_for_update={"read": True})


async def update_rule(
    session: AsyncSession, principal: Principal, rule: PointRule, changes: dict[str, Any]
) -> PointRule:
    """Change a rule item: a new version; entries keep the version they were scored under.

    Its points and caps stay within the item it refines and above its refinements'.
    """
    require_role(principal, Role.org_admin)
    merged = {**audit.snapshot(rule, RULE_FIELDS), **changes}
    if rule.parent_rule_id is not None:
        parent = await session.get(PointRule, rule.parent_rule_id)
        assert parent is not None
        await _lock_parent(session, parent)
        _check_within_parent(audit.snapshot(parent, RULE_FIELDS), merged)
    before = audit.snapshot(rule, RULE_FIELDS)
    for field, value in changes.items():
        setattr(rule, field, value)
    # The update holds the row: a refinement created or changed meanwhile (which locks
    # this row FOR SHARE to check against it) has committed and is read here.
    await session.flush()
    children = (
        await session.scalars(
            select(PointRule)
            .where(PointRule.parent_rule_id == rule.id)
            .execution_options(populate_existing=True)
        )
    ).all()
    for child in children:
        _check_within_parent(merged, audit.snapshot(child, RULE_FIELDS))
    await _snapshot(session, rule)
    audit.record(
        session,
        principal,
        "points.rule_updated",
        "organisation",
        rule.org_id,
        rule.org_path,
        before=before,
        after=audit.snapshot(rule, RULE_FIELDS),
    )
    return rule


def rule_visible(principal: Principal, rule_path: str) -> bool:
    """Rules of ancestors apply to you, so you may read them; rules below you too."""
    return principal.scope.covers(rule_path) or is_under(principal.org_path, rule_path)


async def get_rule(
    session: AsyncSession, principal: Principal, rule_id: uuid.UUID, *, field: str | None = None
) -> PointRule:
    """A rule you may read (yours, below you or an ancestor's); else 404 as `load_visible`."""
    rule = await session.get(PointRule, rule_id)
    if rule is None or not rule_visible(principal, rule.org_path):
        raise not_found(ErrorCode.points_rule_not_found, field)
    return rule


async def list_rules(
    session: AsyncSession, principal: Principal, org: Organisation, *, include_inherited: bool
) -> list[PointRule]:
    """Rule items defined at the organisation, plus those inherited from its ancestors."""
    if include_inherited:
        stmt = (
            select(PointRule)
            .join(Organisation, Organisation.id == PointRule.org_id)
            .where(Organisation.node_id.in_(ancestor_node_ids(org.path)))
        )
    else:
        stmt = select(PointRule).where(PointRule.org_id == org.id)
    rows = await session.scalars(stmt.order_by(func.length(PointRule.org_path), PointRule.code))
    return list(rows.all())
