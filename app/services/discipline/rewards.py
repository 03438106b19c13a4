"""Rewards (表彰): title, level, date, granting organisation and document number."""

from __future__ import annotations

from datetime import date

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from app.errors import Conflict, ErrorCode, Unprocessable
from app.models.discipline import Reward
from app.models.enums import ENDED_STATUSES
from app.models.member import Member
from app.models.organisation import Organisation
from app.schemas.discipline import RewardCreate
from app.security.scope import Principal, load_visible
from app.services.discipline.records import require_discipline_writer
from app.services.integration import audit, changes

AUDITED = ("title", "level", "awarded_on", "org_id", "document_number")


async def record_reward(
    session: AsyncSession, principal: Principal, member: Member, data: RewardCreate, today: date
) -> Reward:
    """Record a reward (表彰) granted to the member by an organisation in your scope.

    A member who has left or died is not rewarded (409 `reward.member_not_eligible`);
    the date is not in the future.
    """
    require_discipline_writer(principal)
    await load_visible(session, principal, Organisation, data.org_id, field="org_id")
    if data.awarded_on > today:
        raise Unprocessable.field("awarded_on", ErrorCode.discipline_date_in_future)
    if member.status in ENDED_STATUSES:
        raise Conflict(ErrorCode.reward_member_not_eligible)
    reward = Reward(
        member_id=member.id,
        title=data.title,
        level=data.level.value,
        awarded_on=data.awarded_on,
        org_id=data.org_id,
        document_number=data.document_number,
        recorded_by=principal.user_id,
    )
    session.add(reward)
    await session.flush()
    await changes.record_event(
        session, member, changes.DomainEvent.member_rewarded, {"reward_id": str(reward.id)}
    )
    audit.record(
        session,
        principal,
        "member.rewarded",
        "member",
        member.id,
        member.org_path,
        after=audit.snapshot(reward, AUDITED),
    )
    return reward


async def list_rewards(session: AsyncSession, member: Member) -> list[Reward]:
    rows = await session.scalars(
        select(Reward).where(Reward.member_id == member.id).order_by(Reward.awarded_on, Reward.id)
    )
    return list(rows.all())
