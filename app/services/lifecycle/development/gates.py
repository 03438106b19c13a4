"""The gates of the admission record: the transition into activist, candidate,
probationary and full needs the steps of its stage done, in order and in time, by its
effective day (409 `lifecycle.step_missing` / `lifecycle.step_early` /
`lifecycle.step_late`, the step named in the detail and in `errors[].step`).

The transition is itself its deciding step (listing as activist or candidate, the vote
on admission or full membership); its own rules come first and keep their codes: a year
as an activist (`lifecycle.activist_period_too_short`), probation over
(`lifecycle.probation_not_complete`), the general meeting's passed vote
(`lifecycle.admission_vote_required` / `_not_passed`).
"""

from __future__ import annotations

import uuid
from datetime import date

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from app.errors import Conflict, ErrorCode
from app.i18n import Text
from app.models.enums import DevelopmentStepCode, MeetingType, MemberStatus, VoteKind
from app.models.meeting import Meeting, MeetingVote
from app.models.member import Member
from app.models.organisation import Organisation
from app.services.lifecycle.development import rules
from app.services.lifecycle.development.catalogue import Step, gated_by
from app.services.lifecycle.development.order import check_order, names, refuse, step_missing
from app.services.lifecycle.development.records import StepEntry, steps_of
from app.services.lifecycle.periods import (
    ACTIVIST_REVIEW_MONTHS,
    PROBATION_REVIEW_MONTHS,
    probation_ends_on,
)
from app.services.policies import effective_policy

C = DevelopmentStepCode
S = MemberStatus

# The next status on the way in, and the step each such transition is.
NEXT = {S.applicant: S.activist, S.activist: S.candidate, S.candidate: S.probationary,
        S.probationary: S.full}  # fmt: skip
DECIDES = {S.activist: C.activist_decision, S.candidate: C.candidate_decision,
           S.probationary: C.admission_vote, S.full: C.full_vote}  # fmt: skip
REVIEWS = {C.activist_review: ("activist_on", ACTIVIST_REVIEW_MONTHS),
           C.probation_review: ("joined_on", PROBATION_REVIEW_MONTHS)}  # fmt: skip


def _check_activist_period(member: Member, day: date) -> None:
    """The candidate decision's rule: one year after being listed as activist, not before."""
    since = member.activist_on or member.status_since
    if since is None:
        raise Conflict(
            ErrorCode.lifecycle_activist_date_unknown,
            Text(zh="请先登记列为入党积极分子日期 (activist_on)", en="record activist_on first"),
        )
    breach = rules.candidate_in_time(since, day)
    if breach is not None:
        raise Conflict(
            ErrorCode.lifecycle_activist_period_too_short,
            Text(
                zh=f"入党积极分子培养满一年方可列为发展对象，最早 {breach.limit}",
                en="an activist becomes a candidate after one year, "
                f"on {breach.limit} at the earliest",
            ),
        )


def _check_probation_complete(member: Member, day: date) -> None:
    """The full-membership vote's rule: on the day probation ends, not before."""
    ends = probation_ends_on(member)
    if ends is None:
        raise Conflict(
            ErrorCode.lifecycle_joined_date_unknown,
            Text(zh="请先登记入党日期 (joined_on)", en="record joined_on first"),
        )
    if rules.full_in_time(ends, day) is not None:
        raise Conflict(
            ErrorCode.lifecycle_probation_not_complete,
            Text(
                zh=f"预备期至 {ends} 届满，届满后方可转为正式党员",
                en=f"probation ends on {ends}; full membership is possible from then",
            ),
        )


async def _check_admission_vote(
    session: AsyncSession, member: Member, meeting_id: uuid.UUID | None, day: date
) -> None:
    """The admission vote's evidence (支部大会讨论通过): the transition names a general meeting
    of the member's own branch held on the effective date, with a valid, passed decision
    (决议) naming the member (and, if it names a status, probationary)."""
    if meeting_id is None:
        raise Conflict(
            ErrorCode.lifecycle_admission_vote_required,
            Text(zh="须注明讨论接收的支部大会", en="name the general meeting"),
        )
    vote = await session.scalar(
        select(MeetingVote.id)
        .join(Meeting, Meeting.id == MeetingVote.meeting_id)
        .where(
            Meeting.id == meeting_id,
            Meeting.type == MeetingType.general_meeting,
            Meeting.org_id == member.org_id,
            Meeting.held_on == day,
            MeetingVote.member_id == member.id,
            MeetingVote.kind == VoteKind.decision,
            MeetingVote.valid.is_(True),
            MeetingVote.passed.is_(True),
            MeetingVote.to_status.is_(None) | (MeetingVote.to_status == S.probationary.value),
        )
        .limit(1)
    )
    if vote is None:
        raise Conflict(
            ErrorCode.lifecycle_admission_vote_not_passed,
            Text(
                zh="该会议没有通过接收该同志为预备党员的表决",
                en="the meeting has no passed vote admitting this member",
            ),
        )


def _check_timing(step: Step, own: list[StepEntry], member: Member, day: date) -> None:
    """The step's own time limit, where it has one."""
    first = min(e.done_on for e in own)
    code = step.code
    breach: rules.Breach | None = None
    if code is C.talk and member.applied_on is not None:
        breach = rules.talk_in_time(member.applied_on, first)
    elif code is C.approval and member.joined_on is not None:
        breach = rules.approval_in_time(member.joined_on, first)
    elif code is C.notice:
        breach = rules.notice_over(min(e.notice_ends_on or e.done_on for e in own), day)
    elif code in REVIEWS:
        field, every = REVIEWS[code]
        since = getattr(member, field)
        if since is not None:
            breach = rules.reviews_in_time(since, day, every, [e.done_on for e in own])
    if breach is None:
        return
    zh, en = names(code)
    if breach.way == "too_few":
        raise step_missing(code, day, (f"（须 {breach.limit} 次）", f" ({breach.limit} times due)"))
    code_ = (
        ErrorCode.lifecycle_step_late if breach.way == "late" else ErrorCode.lifecycle_step_early
    )
    word = ("最迟", "by") if breach.way == "late" else ("须在其后", "after")
    raise refuse(
        code_,
        Text(zh=f"「{zh}」{word[0]} {breach.limit}", en=f"'{en}' is due {word[1]} {breach.limit}"),
        code,
    )


async def _skipped(session: AsyncSession, member: Member) -> frozenset[DevelopmentStepCode]:
    """Steps the subtree's policy leaves out: 推优 unless `development_recommendation` is
    `required`."""
    org = await session.get(Organisation, member.org_id)
    assert org is not None
    policy = await effective_policy(session, org)
    return (
        frozenset()
        if policy["development_recommendation"] == "required"
        else frozenset({C.recommendation})
    )


async def check_gate(
    session: AsyncSession,
    member: Member,
    current: MemberStatus,
    to: MemberStatus,
    day: date,
    meeting_id: uuid.UUID | None,
) -> None:
    """Refuse the transition from `current` into `to` on `day` unless the steps it needs
    are done by then, in order and in time (nothing to check off the way in)."""
    if NEXT.get(current) is not to:
        return
    if to is S.candidate:
        _check_activist_period(member, day)
    elif to is S.full:
        _check_probation_complete(member, day)
    elif to is S.probationary:
        await _check_admission_vote(session, member, meeting_id, day)
    entries = [e for e in await steps_of(session, member) if e.done_on <= day]
    entries.append(StepEntry(DECIDES[to], 0, day, "member"))
    done: dict[DevelopmentStepCode, list[date]] = {}
    for entry in entries:
        done.setdefault(entry.step, []).append(entry.done_on)
    skipped = await _skipped(session, member)
    for step in gated_by(to):
        own = [e for e in entries if e.step is step.code]
        if step.code in skipped:
            continue
        if not own:
            raise step_missing(step.code, day)
        if not step.repeats:
            check_order(step, min(e.done_on for e in own), done)
        _check_timing(step, own, member, day)
