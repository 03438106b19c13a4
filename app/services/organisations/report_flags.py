"""Report flags on the organisation they concern (health): the member flags that DOMAIN.md
addresses to the branch (6 months of unpaid dues, a mobile episode outlasting its
expected months) counted over the organisation's own members, and the community's 双报到
registrations not reviewed this year. Each reads the condition of `lifecycle.flags`, so
the organisation's count and the members' flags agree.
"""

from __future__ import annotations

from datetime import date

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from app.models.grid import CommunityReport
from app.models.member import Member
from app.models.organisation import Organisation
from app.schemas.organisations import HealthFlag
from app.services import lifecycle
from app.services.organisations.flags import flag
from app.services.unpaid_dues import UNPAID_FLAG

# Member flags the rules address to the member's branch, with the health message.
BRANCH_MEMBER_FLAGS = {
    UNPAID_FLAG: "members with 6 consecutive months of dues unpaid",
    "mobile.expected_period_exceeded": "mobile members past their expected months away",
}


async def report_flags(session: AsyncSession, org: Organisation, today: date) -> list[HealthFlag]:
    """Warnings whose `value` is how many members or registrations are concerned; none
    when there are none."""
    conditions = lifecycle.flag_conditions(today)
    counts = (
        await session.execute(
            select(
                *(
                    func.count().filter(conditions[code]).label(code.replace(".", "_"))
                    for code in BRANCH_MEMBER_FLAGS
                )
            ).where(Member.org_id == org.id)
        )
    ).one()
    flags = [
        flag(code, "warning", message, value=count)
        for (code, message), count in zip(BRANCH_MEMBER_FLAGS.items(), counts, strict=True)
        if count
    ]
    unreviewed = await session.scalar(
        select(func.count()).where(
            CommunityReport.community_org_id == org.id, lifecycle.registration_review_due(today)
        )
    )
    if unreviewed:
        flags.append(
            flag(
                "community_report.review_due",
                "warning",
                "双报到 registrations not reviewed this year",
                value=unreviewed,
            )
        )
    return flags
