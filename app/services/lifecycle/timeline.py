"""A member's timeline: milestones, transitions, transfers and other recorded events in order."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from app.models.discipline import Discipline, Reward
from app.models.enums import LABELS, DisciplineKind, DisciplineOutcome, MeetingState, RewardLevel
from app.models.lifecycle import DuesPayment, MemberTransition, Transfer
from app.models.meeting import Meeting, MeetingAttendee
from app.models.member import Member
from app.models.mobile import MobileEpisode
from app.models.organisation import Organisation
from app.schemas.members import Timeline, TimelineEventRead

MILESTONE_FIELDS = ("applied_on", "activist_on", "candidate_on", "joined_on", "full_on")


def milestone_dates(member: Member) -> list[date | None]:
    return [getattr(member, f) for f in MILESTONE_FIELDS]


# --- Timeline ------------------------------------------------------------------------


@dataclass(frozen=True)
class TimelineEvent:
    on: date
    kind: str
    summary: str
    data: dict[str, Any]


def _milestone_events(member: Member) -> list[TimelineEvent]:
    """The milestones recorded on the member, application to full membership."""
    events: list[TimelineEvent] = []
    labels = {
        "applied_on": "递交入党申请书 applied",
        "activist_on": "确定为入党积极分子 activist",
        "candidate_on": "列为发展对象 candidate",
        "joined_on": "接收为预备党员 admitted",
        "full_on": "转为正式党员 full member",
    }
    for field, label in labels.items():
        day = getattr(member, field)
        if day is not None:
            events.append(TimelineEvent(day, "milestone", label, {"field": field}))
    return events


async def _transition_events(session: AsyncSession, member: Member) -> list[TimelineEvent]:
    """Status changes, in the order they were recorded."""
    events: list[TimelineEvent] = []
    for t in (
        await session.scalars(
            select(MemberTransition)
            .where(MemberTransition.member_id == member.id)
            .order_by(MemberTransition.recorded_at)
        )
    ).all():
        events.append(
            TimelineEvent(
                t.effective_date,
                "transition",
                f"{t.from_status} -> {t.to_status}",
                {
                    "kind": t.kind,
                    "reason": t.reason,
                    "meeting_id": str(t.meeting_id) if t.meeting_id else None,
                    "extension_months": t.extension_months,
                    "recorded_by": t.actor_username,
                },
            )
        )
    return events


async def _transfer_events(session: AsyncSession, member: Member) -> list[TimelineEvent]:
    """Transfers (组织关系转接) and where they stand."""
    events: list[TimelineEvent] = []
    transfers = (
        await session.execute(
            select(Transfer, Organisation.code, Organisation.name)
            .join(Organisation, Organisation.id == Transfer.to_org_id)
            .where(Transfer.member_id == member.id)
            .order_by(Transfer.created_at)
        )
    ).all()
    for transfer, code, name in transfers:
        events.append(
            TimelineEvent(
                transfer.created_at.date(),
                "transfer",
                f"组织关系转接 to {name} ({transfer.state})",
                {
                    "transfer_id": str(transfer.id),
                    "to_org_code": code,
                    "state": transfer.state,
                    "dues_paid_until": transfer.dues_paid_until,
                },
            )
        )
    return events


async def _payment_events(session: AsyncSession, member: Member) -> list[TimelineEvent]:
    """Dues payments."""
    events: list[TimelineEvent] = []
    payments = (
        await session.scalars(
            select(DuesPayment)
            .where(DuesPayment.member_id == member.id)
            .order_by(DuesPayment.paid_on)
        )
    ).all()
    for payment in payments:
        events.append(
            TimelineEvent(
                payment.paid_on,
                "dues_payment",
                f"缴纳党费 {payment.amount_fen / 100:.2f} 元",
                {"payment_id": str(payment.id), "amount_fen": payment.amount_fen},
            )
        )
    return events


async def _meeting_events(session: AsyncSession, member: Member) -> list[TimelineEvent]:
    """Finalized meetings the member was expected at, with the presence."""
    events: list[TimelineEvent] = []
    attended = (
        await session.execute(
            select(Meeting, MeetingAttendee.presence)
            .join(MeetingAttendee, MeetingAttendee.meeting_id == Meeting.id)
            .where(MeetingAttendee.member_id == member.id, Meeting.state == MeetingState.finalized)
        )
    ).all()
    for meeting, presence in attended:
        events.append(
            TimelineEvent(
                meeting.held_on,
                "meeting",
                f"{meeting.type}: {meeting.topic} ({presence})",
                {"meeting_id": str(meeting.id), "type": meeting.type, "presence": presence},
            )
        )
    return events


async def _mobile_events(session: AsyncSession, member: Member) -> list[TimelineEvent]:
    """Mobile-member episodes (流出)."""
    events: list[TimelineEvent] = []
    episodes = (
        await session.scalars(select(MobileEpisode).where(MobileEpisode.member_id == member.id))
    ).all()
    for episode in episodes:
        events.append(
            TimelineEvent(
                episode.started_on,
                "mobile_episode",
                f"流出 to area {episode.destination_area} ({episode.state})",
                {
                    "episode_id": str(episode.id),
                    "state": episode.state,
                    "ended_on": episode.ended_on.isoformat() if episode.ended_on else None,
                },
            )
        )
    return events


async def _discipline_events(session: AsyncSession, member: Member) -> list[TimelineEvent]:
    """Disciplinary decisions (党纪处分) and the outcome of a 留党察看."""
    events: list[TimelineEvent] = []
    kinds, outcomes = LABELS[DisciplineKind], LABELS[DisciplineOutcome]
    rows = (
        await session.execute(
            select(Discipline, Organisation.name)
            .join(Organisation, Organisation.id == Discipline.org_id)
            .where(Discipline.member_id == member.id)
        )
    ).all()
    for d, org_name in rows:
        data = {
            "discipline_id": str(d.id),
            "kind": d.kind,
            "org_name": org_name,
            "document_number": d.document_number,
            "period_years": d.period_years,
        }
        events.append(TimelineEvent(d.decided_on, "discipline", kinds[d.kind], data))
        if d.outcome is not None and d.concluded_on is not None:
            events.append(
                TimelineEvent(
                    d.concluded_on,
                    "discipline_concluded",
                    f"{kinds[d.kind]}: {outcomes[d.outcome]}",
                    {**data, "outcome": d.outcome, "document_number": d.conclusion_document},
                )
            )
    return events


async def _reward_events(session: AsyncSession, member: Member) -> list[TimelineEvent]:
    """Rewards (表彰)."""
    rows = (
        await session.execute(
            select(Reward, Organisation.name)
            .join(Organisation, Organisation.id == Reward.org_id)
            .where(Reward.member_id == member.id)
        )
    ).all()
    return [
        TimelineEvent(
            r.awarded_on,
            "reward",
            f"表彰 {r.title} ({LABELS[RewardLevel][r.level]})",
            {
                "reward_id": str(r.id),
                "level": r.level,
                "org_name": org_name,
                "document_number": r.document_number,
            },
        )
        for r, org_name in rows
    ]


async def member_timeline(session: AsyncSession, member: Member) -> list[TimelineEvent]:
    """The electronic record (电子档案): milestones, status changes, transfers, meetings, dues,
    mobile episodes, discipline and rewards."""
    events = [
        *_milestone_events(member),
        *await _transition_events(session, member),
        *await _transfer_events(session, member),
        *await _payment_events(session, member),
        *await _meeting_events(session, member),
        *await _mobile_events(session, member),
        *await _discipline_events(session, member),
        *await _reward_events(session, member),
    ]
    events.sort(key=lambda e: (e.on, e.kind))
    return events


async def timeline_read(session: AsyncSession, member: Member) -> Timeline:
    """The timeline as `GET /members/{id}/timeline` (and `GET /me/timeline`) shows it."""
    events = await member_timeline(session, member)
    return Timeline(
        member_id=member.id,
        events=[
            TimelineEventRead(on=e.on, kind=e.kind, summary=e.summary, data=e.data) for e in events
        ],
    )
