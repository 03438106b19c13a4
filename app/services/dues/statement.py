"""A member's dues statement (党费账单): per month what was assessed, what was paid, what is
still owed, from the one assessment rule (`assess`) and the recorded payment months.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from app.models.lifecycle import DuesPaymentMonth
from app.models.member import Member
from app.services.dues.assessment import Assessment, assess, load_reliefs
from app.services.unpaid_dues import months_owed


@dataclass(frozen=True)
class MonthStatement:
    assessment: Assessment
    paid_fen: int | None  # None: the month has no payment
    owed_fen: int  # assessed and unpaid (0 when paid or not due)


async def statement(
    session: AsyncSession, member: Member, year: int, until: date
) -> list[MonthStatement]:
    """The months of `year` up to `until`'s month, each assessed with `assess` (status of
    that month, reliefs) beside the amount the payment recorded for it."""
    last = until.month if until.year == year else (12 if until.year > year else 0)
    months = [date(year, m, 1) for m in range(1, last + 1)]
    if not months:
        return []
    paid = dict(
        (
            await session.execute(
                select(DuesPaymentMonth.month, DuesPaymentMonth.amount_fen).where(
                    DuesPaymentMonth.member_id == member.id,
                    DuesPaymentMonth.month.between(months[0], months[-1]),
                )
            )
        ).all()
    )
    reliefs = await load_reliefs(session, member.id)
    owed_months = await months_owed(session, member.id, months)
    out = []
    for month in months:
        a = await assess(session, member, month, reliefs=reliefs, owed=owed_months)
        amount = paid.get(month)
        owed = a.amount_fen if a.due and amount is None else 0
        out.append(MonthStatement(a, None if amount is None else int(amount), owed))
    return out
