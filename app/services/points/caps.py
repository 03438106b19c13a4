"""Which rule applies to an entry and its caps per month or year (a rule family shares one cap)."""

from __future__ import annotations

import uuid
from dataclasses import dataclass, fields

from sqlalchemy.ext.asyncio import AsyncSession

from app import db
from app.errors import Conflict, ErrorCode, Unprocessable
from app.i18n import Text
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


# The rule item and every item it refines (parent, grandparent, ...): each one's caps bind.
# Their rows are locked FOR SHARE in one fixed order (by id), so a cap change waits for
# the awards in flight and an award reads the cap as committed; share locks never block
# one another, and the member's row lock (taken before) serialises one member's awards.
_CHAIN_SQL = (
    "WITH RECURSIVE chain (id, parent_rule_id) AS ("
    " SELECT id, parent_rule_id FROM point_rules WHERE id = $1"
    " UNION SELECT r.id, r.parent_rule_id FROM point_rules AS r"
    " JOIN chain AS c ON r.id = c.parent_rule_id)"
    " SELECT id, code, cap_month, cap_year FROM point_rules"
    " WHERE id IN (SELECT id FROM chain) ORDER BY id FOR SHARE"
)


# Points already approved this month and this year, per capped item, under the item and
# the whole chain of its refinements (children, grandchildren, any depth).
_CAP_USED_SQL = (
    "WITH RECURSIVE refinements (capped, id) AS ("
    " SELECT capped, capped FROM unnest($5::uuid[]) AS capped"
    " UNION SELECT f.capped, r.id FROM point_rules AS r"
    " JOIN refinements AS f ON r.parent_rule_id = f.id)"
    " SELECT f.capped,"
    " coalesce(sum(abs(e.points)) FILTER (WHERE e.occurred_on >= $3 AND e.occurred_on < $4), 0),"
    " coalesce(sum(abs(e.points)), 0)"
    " FROM refinements AS f LEFT JOIN point_entries AS e ON e.rule_id = f.id"
    " AND e.member_id = $1 AND e.year = $2 AND e.state = 'approved'"
    " GROUP BY f.capped"
)


@dataclass(frozen=True)
class CapUse:
    """One capped item of the chain and what the member already used under it."""

    code: str
    cap: int | None
    used: int
    period: str


def first_cap_exceeded(uses: list[CapUse], points: int) -> CapUse | None:
    """The first cap that `points` more would pass: a cap of 10 admits the tenth point,
    never the eleventh (deductions count by their magnitude)."""
    for use in uses:
        if use.cap is not None and use.used + abs(points) > use.cap:
            return use
    return None


async def check_caps(session: AsyncSession, entry: PointEntry, rule_id: uuid.UUID) -> None:
    """Refuse (409 `points.cap_exceeded`) an entry that would pass a cap per month or
    year of its item or of any item it refines, counted over each capped item and all
    of its refinements. The caller holds the member's row lock."""
    chain = await db.fetch(session, _CHAIN_SQL, rule_id)
    capped = {r["id"]: r for r in chain if r["cap_month"] is not None or r["cap_year"] is not None}
    if not capped:
        return
    month = entry.occurred_on.replace(day=1)
    rows = await db.fetch(
        session,
        _CAP_USED_SQL,
        entry.member_id,
        entry.year,
        month,
        add_months(month, 1),
        sorted(capped),
    )
    uses = []
    for item_id, used_month, used_year in sorted(rows, key=lambda r: r[0]):
        item = capped[item_id]
        uses.append(CapUse(item["code"], item["cap_month"], int(used_month), "month"))
        uses.append(CapUse(item["code"], item["cap_year"], int(used_year), "year"))
    over = first_cap_exceeded(uses, entry.points)
    if over is not None:
        raise Conflict(
            ErrorCode.points_cap_exceeded,
            Text(
                zh=f"{over.code}：本{'年' if over.period == 'year' else '月'}已批准 "
                f"{over.used} 分，上限 {over.cap} 分",
                en=f"{over.code}: {over.used} of {over.cap} points "
                f"this {over.period} already approved",
            ),
        )


def applicable_rule(principal: Principal, member_path: str, rule: RuleView | None) -> RuleView:
    if rule is None or not rule_visible(principal, rule.org_path):
        raise not_found(ErrorCode.points_rule_not_found, "rule_id")
    if not is_under(member_path, rule.org_path):
        raise Unprocessable.field(
            "rule_id",
            ErrorCode.points_rule_not_applicable,
            Text(
                zh="该规则不在该党员适用的积分方案中", en="the rule is not in the member's scheme"
            ),
        )
    if not rule.active:
        raise Conflict(ErrorCode.points_rule_inactive)
    return rule
