"""Which rule applies to an entry and its caps per month or year (a rule family shares one cap)."""

from __future__ import annotations

import uuid
from dataclasses import dataclass, fields

from sqlalchemy.ext.asyncio import AsyncSession

from app import db
from app.errors import Conflict, ErrorCode, Unprocessable
from app.models.points import PointEntry
from app.security.scope import Principal, is_under, not_found
from app.services.lifecycle import add_months
from app.services.points.schemes import rule_visible


@dataclass(frozen=True)
class RuleView:
    """The one read model of a rule item for awarding, approval and automatic scoring:
    read as a driver row (`load_rule`) or a Core select of `RULE_COLUMNS`, in that order;
    never an ORM object (the ORM `PointRule` is for writing rules)."""

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


RULE_COLUMNS = tuple(f.name for f in fields(RuleView))
RULE_SQL = f"SELECT {', '.join(RULE_COLUMNS)} FROM point_rules WHERE id = $1"  # noqa: S608  # constant column names


async def load_rule(session: AsyncSession, rule_id: uuid.UUID) -> RuleView | None:
    """A rule item by id on the driver connection (no scope check: see `applicable_rule`)."""
    row = await db.fetchrow(session, RULE_SQL, rule_id)
    return RuleView(*row) if row is not None else None


async def _family(session: AsyncSession, rule: RuleView) -> list[RuleView]:
    """The rule and the ancestor items it refines: each one's caps bind."""
    chain = [rule]
    while chain[-1].parent_rule_id is not None:
        parent = await load_rule(session, chain[-1].parent_rule_id)
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


async def check_caps(session: AsyncSession, entry: PointEntry, rule: RuleView) -> None:
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
