"""Arrears: 6 consecutive unpaid months without an approved reason flag the branch (not an
automatic status change).
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import date

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession

from app.models.enums import MemberStatus
from app.models.organisation import Organisation
from app.security.scope import subtree_prefix
from app.services.dues.assessment import due_in_month, month_index, status_histories
from app.services.lifecycle import add_months
from app.services.unpaid_dues import CONSECUTIVE_UNPAID_FLAG

# Months of the window a member neither paid nor was exempted from, per member, for the
# members who are due now or left a due status during or after the window; `arrears`
# keeps the months `due_in_month` says were owed (the status of each month).
ARREARS_SQL = text(
    """
    WITH months AS (
        SELECT d::date AS m
        FROM generate_series(CAST(:start AS date), CAST(:end AS date), interval '1 month') AS d
    )
    SELECT mem.id, mem.name, mem.org_id, mem.status, mem.joined_on,
           array_agg(months.m ORDER BY months.m) AS unpaid
    FROM members AS mem
    JOIN months ON mem.joined_on IS NULL OR months.m >= date_trunc('month', mem.joined_on)
    LEFT JOIN dues_payment_months AS paid
        ON paid.member_id = mem.id AND paid.month = months.m
    LEFT JOIN dues_reliefs AS relief
        ON relief.member_id = mem.id AND relief.kind = 'exemption'
        AND months.m BETWEEN relief.from_month AND relief.to_month
    WHERE mem.org_path LIKE :prefix
      AND (mem.status IN ('probationary', 'full') OR EXISTS (
          SELECT 1 FROM member_transitions AS t
          WHERE t.member_id = mem.id AND t.from_status IN ('probationary', 'full')
            AND t.effective_date >= CAST(:start AS date)))
      AND paid.member_id IS NULL
      AND relief.id IS NULL
      AND (CAST(:after AS uuid) IS NULL OR mem.id > CAST(:after AS uuid))
    GROUP BY mem.id, mem.name, mem.org_id, mem.status, mem.joined_on
    ORDER BY mem.id
    LIMIT :limit
    """
)


@dataclass(frozen=True)
class Arrears:
    member_id: uuid.UUID
    name: str
    org_id: uuid.UUID
    unpaid_months: list[date]
    longest_unpaid_run: int
    flagged: bool


def longest_run(months: list[date]) -> int:
    """The longest run of consecutive calendar months in a sorted list."""
    best = run = 0
    previous: int | None = None
    for month in months:
        index = month_index(month)
        run = run + 1 if previous is not None and index == previous + 1 else 1
        best = max(best, run)
        previous = index
    return best


async def arrears(
    session: AsyncSession,
    org: Organisation,
    *,
    as_of: date,
    window_months: int,
    after_member: uuid.UUID | None,
    limit: int,
) -> tuple[list[Arrears], uuid.UUID | None]:
    """Members of the subtree with unpaid months in the window ending with `as_of`'s month.

    Exempt months do not count, nor months the member did not owe (the status of each
    month, as in `assess`): a member suspended since September still owes August. Six
    consecutive unpaid months are flagged for the branch (`dues.six_months_unpaid`): a
    suggestion, never an automatic status change. A page may hold fewer than `limit`
    members (one whose candidate months were all not owed is left out).
    """
    end = as_of.replace(day=1)
    start = add_months(end, -(window_months - 1))
    rows = (
        await session.execute(
            ARREARS_SQL,
            {
                "start": start,
                "end": end,
                "prefix": subtree_prefix(org.path),
                "after": after_member,
                "limit": limit + 1,
            },
        )
    ).all()
    page = rows[:limit]
    histories = await status_histories(session, [row[0] for row in page])
    items = []
    for member_id, name, org_id, status, joined_on, unpaid in page:
        history = histories.get(member_id, [])
        owed = [
            m
            for m in sorted(unpaid)
            if due_in_month(MemberStatus(status), history, joined_on, m)[0]
        ]
        if not owed:
            continue
        run = longest_run(owed)
        items.append(Arrears(member_id, name, org_id, owed, run, run >= CONSECUTIVE_UNPAID_FLAG))
    next_after = page[-1][0] if len(rows) > limit else None
    return items, next_after
