"""Which rule applies to an entry and its caps per month or year (a rule family shares one cap)."""

from __future__ import annotations

import uuid
from dataclasses import dataclass

from sqlalchemy.ext.asyncio import AsyncSession

from app import db
from app.errors import Conflict, ErrorCode, Unprocessable
from app.models.points import PointEntry, PointRule
from app.security.scope import Principal, is_under, not_found
from app.services.lifecycle import add_months
from app.services.points.schemes import rule_visible


@dataclass(frozen=True)
class RuleView:
    """What awarding reads of a rule item, from one driver row (no ORM object)."""

    id: uuid.UUID
    org_path: str
    parent_rule_id: uuid.UUID | None
    code: str
    category: str
    points: int
    cap_month: int | None
    cap_year: int | None
    needs_approval: bool
    needs_evidence: bool
    active: bool
    version: int


RULE_SQL = (
    "SELECT id, org_path, parent_rule_id, code, category, points, cap_month, cap_year, "
    "needs_approval, needs_evidence, active, version FROM point_rules WHERE id = $1"
)


AnyRule = PointRule | RuleView


async def _family(session: AsyncSession, rule: AnyRule) -> list[AnyRule]:
    """The rule and the ancestor items it refines: each one's caps bind."""
    chain: list[AnyRule] = [rule]
    while chain[-1].parent_rule_id is not None:
        parent = await session.get(PointRule, chain[-1].parent_rule_id)
        assert parent is not None
        chain.append(parent)
    return chain


# Points already approved this month and this year under a rule item and the whole chain
# of its refinements (children, grandchildren, ...): a cap binds every item refining it.
_CAP_USED_SQL = (
    "WITH RECURSIVE refinements (id) AS ("
    " SELECT $5::uuid"
    " UNION SELECT r.id FROM point_rules AS r JOIN refinements AS f ON r.parent_rule_id = f.id)"
    " SELECT coalesce(sum(abs(points)) FILTER (WHERE occurred_on >= $3 AND occurred_on < $4), 0),"
    " coalesce(sum(abs(points)), 0) FROM point_entries"
    " WHERE member_id = $1 AND year = $2 AND state = 'approved'"
    " AND rule_id IN (SELECT id FROM refinements)"
)


async def check_caps(session: AsyncSession, entry: PointEntry, rule: AnyRule) -> None:
    month = entry.occurred_on.replace(day=1)
    next_month = add_months(month, 1)
    for item in await _family(session, rule):
        if item.cap_month is None and item.cap_year is None:
            continue
        used_month, used_year = await db.fetchrow(
            session, _CAP_USED_SQL, entry.member_id, entry.year, month, next_month, item.id
        )
        for cap, used, period in (
            (item.cap_month, used_month, "month"),
            (item.cap_year, used_year, "year"),
        ):
            if cap is not None and int(used) + abs(entry.points) > cap:
                raise Conflict(
                    ErrorCode.points_cap_exceeded,
                    f"{item.code}: {used} of {cap} points this {period} already approved",
                )


def applicable_rule(principal: Principal, member_path: str, rule: RuleView | None) -> RuleView:
    if rule is None or not rule_visible(principal, rule.org_path):
        raise not_found(ErrorCode.points_rule_not_found, "rule_id")
    if not is_under(member_path, rule.org_path):
        raise Unprocessable.field(
            "rule_id",
            ErrorCode.points_rule_not_applicable,
            "the rule is not in the member's scheme",
        )
    if not rule.active:
        raise Conflict(ErrorCode.points_rule_inactive)
    return rule
