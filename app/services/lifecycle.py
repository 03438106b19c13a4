"""Member lifecycle (发展党员与党籍管理): transitions, date-driven flags and the timeline.

The graph: applicant -> activist -> candidate -> probationary -> full;
probation extended once (6-12 months) or cancelled (recorded as `left`);
full/probationary -> suspended -> full (restored) or left; any -> left or deceased.
Flags inform people; only a recorded transition changes a status.
"""

from __future__ import annotations

import calendar
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from functools import lru_cache
from typing import Any

from sqlalchemy import (
    ColumnElement,
    Uuid,
    and_,
    any_,
    bindparam,
    case,
    exists,
    func,
    literal,
    null,
    or_,
    select,
)
from sqlalchemy.dialects.postgresql import ARRAY, array
from sqlalchemy.ext.asyncio import AsyncSession

from app import db
from app.errors import Conflict, ErrorCode, Unprocessable
from app.i18n import Text
from app.models.enums import MeetingState, MemberStatus, OrgType, Role
from app.models.lifecycle import DuesPayment, MemberTransition, Transfer
from app.models.meeting import Meeting, MeetingAttendee
from app.models.member import Member
from app.models.mobile import MobileEpisode
from app.models.organisation import Organisation
from app.security.scope import Principal, load_visible, require_role
from app.services import audit

S = MemberStatus
ALLOWED: dict[MemberStatus, frozenset[MemberStatus]] = {
    S.applicant: frozenset({S.activist, S.left, S.deceased}),
    S.activist: frozenset({S.candidate, S.left, S.deceased}),
    S.candidate: frozenset({S.probationary, S.left, S.deceased}),
    S.probationary: frozenset({S.full, S.probationary, S.suspended, S.left, S.deceased}),
    S.full: frozenset({S.suspended, S.left, S.deceased}),
    S.suspended: frozenset({S.full, S.left, S.deceased}),
    S.left: frozenset(),
    S.deceased: frozenset(),
}
ACTIVIST_MONTHS = 12  # at least one year as an activist before becoming a candidate
PROBATION_MONTHS = 12
EXTENSION_RANGE = (6, 12)
TALK_DUE_MONTHS = 1
APPROVAL_DUE_MONTHS = 3
APPROVAL_LIMIT_MONTHS = 6
LOST_CONTACT_MONTHS = 6
SUSPENDED_LEFT_MONTHS = 24
PROBATION_ENDING_DAYS = 30


def add_months(day: date, months: int) -> date:
    """Calendar months later (or earlier); the 31st becomes the month's last day."""
    year, month0 = divmod(day.year * 12 + day.month - 1 + months, 12)
    last_day = calendar.monthrange(year, month0 + 1)[1]
    return date(year, month0 + 1, min(day.day, last_day))


def probation_ends_on(member: Member) -> date | None:
    if member.joined_on is None:
        return None
    return add_months(member.joined_on, PROBATION_MONTHS + (member.probation_extension_months or 0))


# --- Flags ---------------------------------------------------------------------------


@lru_cache(maxsize=16)
def flag_conditions(today: date) -> dict[str, ColumnElement[bool]]:
    """Each flag as one SQL condition: the member record and `?flag=` lists agree by design.

    Cached per day: building these expressions costs more than running them.
    """
    m = Member
    probation_end = m.joined_on + func.make_interval(
        0, PROBATION_MONTHS + func.coalesce(m.probation_extension_months, 0)
    )
    return {
        # 谈话: a talk is due within a month of the application.
        "applicant.talk_overdue": and_(
            m.status == S.applicant,
            m.talked_on.is_(None),
            m.applied_on < add_months(today, -TALK_DUE_MONTHS),
        ),
        # The committee above approves an admission within 3 months; past 6 it is redone.
        "admission.approval_overdue": and_(
            m.status == S.probationary,
            m.admission_approved_on.is_(None),
            m.joined_on < add_months(today, -APPROVAL_DUE_MONTHS),
            m.joined_on >= add_months(today, -APPROVAL_LIMIT_MONTHS),
        ),
        "admission.approval_expired": and_(
            m.status == S.probationary,
            m.admission_approved_on.is_(None),
            m.joined_on < add_months(today, -APPROVAL_LIMIT_MONTHS),
        ),
        "probation.ending": and_(
            m.status == S.probationary,
            probation_end > literal(today),
            probation_end <= literal(today) + func.make_interval(0, 0, 0, PROBATION_ENDING_DAYS),
        ),
        "probation.due": and_(m.status == S.probationary, probation_end <= literal(today)),
        # Out of contact 6+ months (recorded, or silent on a mobile episode):
        # suspension (停止党籍) is suggested to the branch.
        "contact.lost": and_(
            m.status.in_([S.full, S.probationary]),
            or_(
                m.lost_contact_since <= add_months(today, -LOST_CONTACT_MONTHS),
                exists().where(
                    MobileEpisode.member_id == m.id,
                    MobileEpisode.state.in_(("registered", "hosted")),
                    MobileEpisode.last_contact_on <= add_months(today, -LOST_CONTACT_MONTHS),
                ),
            ),
        ),
        # Suspended 2+ years: the branch may record `left` (自行脱党).
        "suspension.left_suggested": and_(
            m.status == S.suspended,
            m.status_since <= add_months(today, -SUSPENDED_LEFT_MONTHS),
        ),
    }


FLAG_CODES = tuple(flag_conditions(date(2000, 1, 1)))


def check_flags(flags: Sequence[str]) -> None:
    """422 for a flag code that does not exist."""
    unknown = [f for f in flags if f not in FLAG_CODES]
    if unknown:
        raise Unprocessable.field(
            "flag",
            ErrorCode.member_flag_unknown,
            Text(
                zh=f"未知的提示标记 {unknown[0]!r}，可用：{', '.join(FLAG_CODES)}",
                en=f"unknown flag {unknown[0]!r}; use {list(FLAG_CODES)}",
            ),
        )


def flag_filter(flags: Sequence[str], today: date) -> ColumnElement[bool]:
    check_flags(flags)
    conditions = flag_conditions(today)
    return or_(*[conditions[f] for f in flags])


@lru_cache(maxsize=4)
def _flags_query(today: date) -> db.DriverStatement:
    """The flags statement compiled once per day; per call only the member ids change.

    Sending the rest as precompiled values skips SQLAlchemy's per-execution processing
    of ~35 parameters, which was a tenth of the CPU of a member read.
    """
    conditions = flag_conditions(today)
    # The raised flags' codes as one array per member, in FLAG_CODES order: the database
    # assembles the lists, not a Python loop over every condition of every member.
    raised = func.array_remove(
        array([case((c, literal(code)), else_=null()) for code, c in conditions.items()]),
        null(),
    )
    statement = select(Member.id, raised).where(
        Member.id == any_(bindparam("member_ids", [], type_=ARRAY(Uuid)))
    )
    return db.DriverStatement.compile(statement)


async def flags_for(
    session: AsyncSession, member_ids: list[uuid.UUID], today: date
) -> dict[uuid.UUID, list[str]]:
    """The flags of several members in one query."""
    if not member_ids:
        return {}
    query = _flags_query(today)
    rows = await db.fetch(session, query.sql, *query.args(member_ids=member_ids))
    return {member_id: raised for member_id, raised in rows}


# --- Transitions ---------------------------------------------------------------------


@dataclass(frozen=True)
class TransitionRequest:
    to_status: MemberStatus
    effective_date: date
    reason: str | None
    meeting_id: uuid.UUID | None
    extension_months: int | None


def _refuse(code: ErrorCode, detail: str | Text) -> Conflict:
    return Conflict(code, detail)


def _check_timing(member: Member, current: MemberStatus, req: TransitionRequest) -> str:
    """Apply the timing rules of DOMAIN.md; returns the transition's kind."""
    to, day = req.to_status, req.effective_date
    if current is S.activist and to is S.candidate:
        since = member.activist_on or member.status_since
        if since is None:
            raise _refuse(ErrorCode.lifecycle_activist_date_unknown, "record activist_on first")
        earliest = add_months(since, ACTIVIST_MONTHS)
        if day < earliest:
            raise _refuse(
                ErrorCode.lifecycle_activist_period_too_short,
                Text(
                    zh=f"入党积极分子培养满一年方可列为发展对象，最早 {earliest}",
                    en="an activist becomes a candidate after one year, "
                    f"on {earliest} at the earliest",
                ),
            )
        return "became_candidate"
    if current is S.probationary and to is S.probationary:
        if member.probation_extension_months:
            raise _refuse(
                ErrorCode.lifecycle_extension_already_used, "probation is extended once at most"
            )
        months = req.extension_months
        if months is None or not EXTENSION_RANGE[0] <= months <= EXTENSION_RANGE[1]:
            raise Unprocessable.field(
                "extension_months",
                ErrorCode.lifecycle_extension_length_invalid,
                "an extension lasts 6 to 12 months",
            )
        return "probation_extended"
    if current is S.probationary and to is S.full:
        ends = probation_ends_on(member)
        if ends is None:
            raise _refuse(ErrorCode.lifecycle_joined_date_unknown, "record joined_on first")
        if day < ends:
            raise _refuse(
                ErrorCode.lifecycle_probation_not_complete,
                f"probation ends on {ends}; full membership is possible from then",
            )
        return "became_full"
    if current is S.probationary and to is S.left:
        return "probation_cancelled"
    if current is S.suspended and to is S.full:
        return "restored"
    return {
        S.activist: "became_activist",
        S.probationary: "admitted",
        S.suspended: "suspended",
        S.left: "left",
        S.deceased: "deceased",
    }.get(to, "changed")


async def record_transition(
    session: AsyncSession,
    principal: Principal,
    member: Member,
    req: TransitionRequest,
    today: date,
) -> MemberTransition:
    """Record a status change (党籍变动) after the decision was taken by the people named in
    the rules.

    Refused with 409 and a code naming the rule when the change is outside the graph
    (`lifecycle.transition_not_allowed`) or breaks a timing rule: one year as an activist
    before candidacy (`lifecycle.activist_period_too_short`), a one-year probation
    (`lifecycle.probation_not_complete`), a single 6-12 month extension
    (`lifecycle.extension_already_used`). Admissions are refused in a temporary branch.
    """
    require_role(principal, Role.org_admin, Role.branch_secretary)
    if req.meeting_id is not None:
        # The deciding meeting, checked first: absent or elsewhere is the same 404.
        await load_visible(session, principal, Meeting, req.meeting_id, field="meeting_id")
    current = MemberStatus(member.status)
    to = req.to_status
    if to not in ALLOWED[current]:
        raise _refuse(
            ErrorCode.lifecycle_transition_not_allowed, f"{current.value} cannot become {to.value}"
        )
    if req.effective_date > today:
        raise Unprocessable.field(
            "effective_date",
            ErrorCode.lifecycle_effective_date_in_future,
            "the date is in the future",
        )
    previous = max(
        (d for d in (member.status_since, *_milestones(member)) if d is not None), default=None
    )
    if previous is not None and req.effective_date < previous:
        raise Unprocessable.field(
            "effective_date",
            ErrorCode.lifecycle_effective_date_before_previous,
            f"the member's last recorded change was on {previous}",
        )
    if req.extension_months is not None and not (current is to is S.probationary):
        raise Unprocessable.field(
            "extension_months", ErrorCode.lifecycle_extension_not_applicable, "only for extensions"
        )
    if to is S.probationary and current is S.candidate:
        org = await session.get(Organisation, member.org_id)
        if org is not None and org.type == OrgType.temporary_branch:
            raise _refuse(
                ErrorCode.lifecycle_temporary_branch_cannot_admit, "a temporary branch cannot admit"
            )
    kind = _check_timing(member, current, req)
    before = audit.snapshot(member, ("status", "status_since", *MILESTONE_FIELDS))
    day = req.effective_date
    if kind == "became_activist":
        member.activist_on = day
    elif kind == "became_candidate":
        member.candidate_on = day
    elif kind == "admitted":
        member.joined_on = day
        member.admission_approved_on = None
        member.probation_extension_months = None
    elif kind == "became_full":
        member.full_on = day
    elif kind == "probation_extended":
        member.probation_extension_months = req.extension_months
    if kind in ("restored", "became_full"):
        member.lost_contact_since = None
    member.status = to.value
    member.status_since = day
    transition = MemberTransition(
        member_id=member.id,
        from_status=current.value,
        to_status=to.value,
        kind=kind,
        effective_date=day,
        reason=req.reason,
        meeting_id=req.meeting_id,
        extension_months=req.extension_months,
        actor_id=principal.user_id,
        actor_username=principal.username,
    )
    session.add(transition)
    await session.flush()
    audit.record(
        session,
        principal,
        f"member.{kind}",
        "member",
        member.id,
        member.org_path,
        before=before,
        after=audit.snapshot(member, ("status", "status_since", *MILESTONE_FIELDS)),
    )
    return transition


MILESTONE_FIELDS = ("applied_on", "activist_on", "candidate_on", "joined_on", "full_on")


def _milestones(member: Member) -> list[date | None]:
    return [getattr(member, f) for f in MILESTONE_FIELDS]


# --- Timeline ------------------------------------------------------------------------


@dataclass(frozen=True)
class TimelineEvent:
    on: date
    kind: str
    summary: str
    data: dict[str, Any]


async def member_timeline(session: AsyncSession, member: Member) -> list[TimelineEvent]:
    """The electronic record (电子档案): milestones, status changes, transfers, meetings, dues."""
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
    events.sort(key=lambda e: (e.on, e.kind))
    return events
