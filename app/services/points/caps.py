"""Which rule applies to an entry and its caps per month or year (a rule family shares one cap);
the one statement an award reads its rule, member and caps with."""

from __future__ import annotations

import uuid
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any, NamedTuple

from sqlalchemy.ext.asyncio import AsyncSession

from app import db
from app.errors import Conflict, ErrorCode, Unprocessable
from app.i18n import Text
from app.models.points import PointEntry
from app.security.scope import Principal, is_under, not_found
from app.services import principals
from app.services.lifecycle import add_months
from app.services.points.schemes import rule_visible


class RuleView(NamedTuple):
    """The one read model of a rule item for awarding, approval and automatic scoring:
    read as a driver row (`read_for_award`) or a Core select of `RULE_COLUMNS`, in that order;
    never an ORM object (the ORM `PointRule` is for writing rules). A NamedTuple: built
    in C from the row, once per award."""

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


RULE_COLUMNS: tuple[str, ...] = RuleView._fields


# The rule item and every item it refines (parent, grandparent, ...): each one's caps bind.
# Their rows are locked FOR SHARE in one fixed order (by id), so a cap change waits for
# the awards in flight and an award reads the cap as committed; share locks never block
# one another, and the member's row lock (taken before) serialises one member's awards.
def chain_ctes(seed: str, lock: bool = True) -> str:
    """`chain` (the item `seed` selects, as `id, parent_rule_id`, and every item it
    refines) and `chain_caps` (their caps, locked as above unless not `lock`): the CTEs of
    a WITH RECURSIVE list, so that a statement reading more (an award's rule and member)
    locks them too."""
    return (
        f"chain (id, parent_rule_id) AS ({seed}"  # noqa: S608  # `seed` is constant SQL text
        " UNION SELECT r.id, r.parent_rule_id FROM point_rules AS r"
        " JOIN chain AS c ON r.id = c.parent_rule_id),"
        " chain_caps AS (SELECT id, code, cap_month, cap_year FROM point_rules"
        " WHERE id IN (SELECT id FROM chain) ORDER BY id" + (" FOR SHARE)" if lock else ")")
    )


_CHAIN_SQL = (
    "WITH RECURSIVE "  # noqa: S608  # constant text
    + chain_ctes("SELECT id, parent_rule_id FROM point_rules WHERE id = $1")
    + " SELECT id, code, cap_month, cap_year FROM chain_caps"
)


@dataclass(frozen=True)
class CappedItem:
    """An item of a rule's chain with a cap per month or year."""

    id: uuid.UUID
    code: str
    cap_month: int | None
    cap_year: int | None


def capped_items(chain: Iterable[Sequence[Any]]) -> list[CappedItem]:
    """The capped items among a chain's (id, code, cap_month, cap_year) rows."""
    items = [CappedItem(*row) for row in chain]
    return [i for i in items if i.cap_month is not None or i.cap_year is not None]


async def chain_caps(session: AsyncSession, rule_id: uuid.UUID) -> list[CappedItem]:
    """The capped items of the rule's chain, locked (see above) until the commit."""
    return capped_items(await db.fetch(session, _CHAIN_SQL, rule_id))


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


async def check_caps(
    session: AsyncSession,
    entry: PointEntry,
    rule_id: uuid.UUID,
    chain: Sequence[CappedItem] | None = None,
) -> None:
    """Refuse (409 `points.cap_exceeded`) an entry that would pass a cap per month or
    year of its item or of any item it refines, counted over each capped item and all
    of its refinements. The caller holds the member's row lock; `chain`: the capped
    items of the rule's chain when the caller has read them (`chain_caps`, or the same
    CTEs in its own statement)."""
    items = await chain_caps(session, rule_id) if chain is None else chain
    capped = {item.id: item for item in items}
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
        uses.append(CapUse(item.code, item.cap_month, int(used_month), "month"))
        uses.append(CapUse(item.code, item.cap_year, int(used_year), "year"))
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


async def lock_member(session: AsyncSession, member_id: uuid.UUID) -> None:
    """Every change to a member's approved points takes this lock: caps hold under races."""
    await db.execute(session, "SELECT 1 FROM members WHERE id = $1 FOR UPDATE", member_id)


_MEMBER_SQL = "SELECT id, org_path, status FROM members WHERE id = $1"


# What an award needs before it writes, in one statement: the rule item ($2); the member
# ($1), locked as the entry needs (`approve`, from the rule): an entry approved at once
# locks the member FOR UPDATE (caps), a pending one only holds it FOR KEY SHARE against a
# subtree move, whose path it copies (see scope.row_lock); and for an approved one the
# caps of the item's chain, locked FOR SHARE (`chain_ctes`). The member's row is locked
# before the chain's (the outer side of the join is read first), as `check_caps`
# expects. A missing rule or member leaves its columns NULL (the caller answers 404).
# Unlocked, the same read for a write that takes its locks itself (`ledger`).
def _award_read_sql(lock: bool) -> str:
    member, held = (" FOR UPDATE", " FOR KEY SHARE") if lock else ("", "")
    return (
        f"WITH RECURSIVE {principals.GUARD_CTE} AS ({principals.principal_guard(3)}),"  # noqa: S608  # constant column names and CTE text
        f" rule AS (SELECT {', '.join(RULE_COLUMNS)} FROM point_rules WHERE id = $2),"
        " approve (yes) AS (SELECT coalesce((SELECT NOT needs_approval FROM rule), false)),"
        f" locked AS ({_MEMBER_SQL} AND (SELECT yes FROM approve){member}),"
        f" held AS ({_MEMBER_SQL} AND NOT (SELECT yes FROM approve){held}), "
        + chain_ctes("SELECT id, parent_rule_id FROM rule WHERE (SELECT yes FROM approve)", lock)
        + " SELECT m.id, m.org_path, m.status, (SELECT yes FROM approve),"
        " c.ids, c.codes, c.months, c.years, "
        + ", ".join(f"r.{name}" for name in RULE_COLUMNS)
        + " FROM (SELECT * FROM locked UNION ALL SELECT * FROM held) AS m"  # noqa: S608  # constant text
        " RIGHT JOIN (SELECT 1) AS one ON true"
        " LEFT JOIN rule AS r ON true"
        " LEFT JOIN LATERAL (SELECT array_agg(id ORDER BY id) AS ids,"
        " array_agg(code ORDER BY id) AS codes, array_agg(cap_month ORDER BY id) AS months,"
        " array_agg(cap_year ORDER BY id) AS years FROM chain_caps) AS c ON true"
        f" WHERE EXISTS (SELECT FROM {principals.GUARD_CTE})"
    )


_AWARD_READ_SQL = {lock: _award_read_sql(lock) for lock in (True, False)}


# Rule items as last read for an award, per process: an award whose item is known here
# writes its line at once, the write checking that the item is still as known (its
# version and path: every change of an item makes a new version) and the member in
# scope, scored and under the item (`ledger._insert_checked_sql`), else reads both
# first. Bounded, first in first out; a stale entry costs a statement, never a check.
class KnownRule(NamedTuple):
    rule: RuleView
    capped: bool  # approved at once, and an item of its chain has a cap


_KNOWN_RULES: dict[uuid.UUID, KnownRule] = {}
_KNOWN_RULES_MAX = 4096


def known_rule(rule_id: uuid.UUID) -> KnownRule | None:
    """The rule item as last read for an award in this process, if it was."""
    return _KNOWN_RULES.get(rule_id)


def remember_rule(read: AwardRead, rule: RuleView) -> KnownRule:
    """Keep the rule item an award read (`read_for_award`), checked (`rule`)."""
    if len(_KNOWN_RULES) >= _KNOWN_RULES_MAX and rule.id not in _KNOWN_RULES:
        del _KNOWN_RULES[next(iter(_KNOWN_RULES))]  # the oldest
    known = _KNOWN_RULES[rule.id] = KnownRule(rule, read.approve and bool(read.capped))
    return known


def forget_rule(rule_id: uuid.UUID) -> None:
    """Drop a rule item found changed since it was read."""
    _KNOWN_RULES.pop(rule_id, None)


class AwardRead(NamedTuple):
    """What an award reads before it writes (`read_for_award`)."""

    member: tuple[uuid.UUID, str, str] | None  # id, path, status
    approve: bool
    rule: RuleView | None
    capped: list[CappedItem]


async def read_for_award(
    session: AsyncSession,
    principal: Principal,
    member_id: uuid.UUID,
    rule_id: uuid.UUID,
    lock: bool = True,
) -> AwardRead:
    """The member (locked) and the rule item an award names, and for an entry to be
    approved at once the capped items of the rule's chain (locked): one statement, which
    also checks the caller's login (`principals.principal_guard`: no row while it does
    not hold; the login is then read the slow way, 401 or the route again, else the
    statement is run again). No scope check here: the caller checks the member's path
    and `applicable_rule`. Not `lock`: nothing locked, a statement of its own (no
    transaction begun), for a write that checks what it read (`ledger`)."""
    guard = principals.guard_values(principal)
    sql, alone = _AWARD_READ_SQL[lock], not lock
    row = await db.fetchrow_gated(session, sql, member_id, rule_id, *guard, alone=alone)
    if row is None:
        await principals.confirm_pending(session)
        row = await db.fetchrow_gated(session, sql, member_id, rule_id, *guard, alone=alone)
    if row is None:  # the principal holds no login (a caller outside a request)
        raise RuntimeError("an award is made by a signed-in principal (its login is checked)")
    ids, codes, months, years = row[4:8]
    return AwardRead(
        None if row[0] is None else (row[0], row[1], row[2]),
        row[3],
        None if row[8] is None else RuleView._make(row[8:]),
        capped_items(zip(ids, codes, months, years, strict=True)) if ids else [],
    )
