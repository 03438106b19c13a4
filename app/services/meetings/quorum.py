"""Quorum and votes: more than half present and ayes from more than half for a general
meeting's decision, more than 4/5 present for an election, more than half of the
committee for a committee meeting; who votes.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import date
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from app.errors import Conflict, ErrorCode, Unprocessable
from app.i18n import Text
from app.models.enums import MeetingType, OrgType, Presence, VoteKind
from app.models.meeting import Meeting, MeetingVote
from app.models.member import Member
from app.models.organisation import Organisation
from app.security.scope import Principal, load_visible
from app.services import lifecycle
from app.services.integration import audit
from app.services.meetings.attendance import attendees
from app.services.meetings.records import require_meeting_writer, require_open, voting_rights


@dataclass(frozen=True)
class VoteOutcome:
    valid: bool
    invalid_reason: str | None
    passed: bool


def more_than_half(count: int, of: int) -> bool:
    """`count` is more than half of `of` (过半数): 5 of 10 is not, 6 of 10 is."""
    return count * 2 > of


def judge_vote(
    meeting_type: str,
    kind: str,
    *,
    voters_expected: int,
    voters_present: int,
    ayes: int,
) -> VoteOutcome:
    """The quorum and majority rules of the Branch Work Regulations.

    General meeting: a decision needs more than half of the voting members present and
    ayes from more than half of those who should attend (entitled to vote); an election
    needs more than 4/5 present and, like a decision, ayes from more than half of those
    entitled, not of those present. A committee meeting needs more than half of its
    committee present.
    A vote that fails quorum is recorded as invalid, never silently accepted.
    """
    if voters_expected == 0:
        return VoteOutcome(False, "quorum.no_voting_members", False)
    if meeting_type == MeetingType.general_meeting and kind == VoteKind.election:
        if voters_present * 5 <= voters_expected * 4:
            return VoteOutcome(False, "quorum.election_needs_four_fifths", False)
        return VoteOutcome(True, None, more_than_half(ayes, voters_expected))
    if not more_than_half(voters_present, voters_expected):
        return VoteOutcome(False, "quorum.more_than_half_not_present", False)
    return VoteOutcome(True, None, more_than_half(ayes, voters_expected))


async def _voters(session: AsyncSession, meeting: Meeting, cast: int) -> tuple[int, int]:
    """(members entitled to vote, those of them present), once everyone's attendance is
    recorded; more votes cast than voters present is refused."""
    rows = await attendees(session, meeting.id)
    if any(a.presence is None for a in rows):
        raise Conflict(
            ErrorCode.meeting_attendance_incomplete,
            Text(zh="请先登记全部参会情况", en="record everyone's attendance first"),
        )
    votes = await voting_rights(session, meeting)
    voters = [a for a in rows if votes[a.member_id]]
    present = sum(1 for a in voters if a.presence == Presence.present)
    if cast > present:
        raise Unprocessable.field(
            "ayes",
            ErrorCode.meeting_votes_exceed_present,
            Text(
                zh=f"票数 {cast} 超过到会有表决权人数 {present}",
                en=f"{cast} votes but {present} voters present",
            ),
        )
    return len(voters), present


async def _enact(
    session: AsyncSession,
    principal: Principal,
    meeting: Meeting,
    vote: MeetingVote,
    subject_member: Member,
    data: dict[str, Any],
    today: date,
) -> None:
    """A passed vote naming a member and a status records that member's transition,
    linked to the meeting and effective on its date."""
    transition = await lifecycle.record_transition(
        session,
        principal,
        subject_member,
        lifecycle.TransitionRequest(
            to_status=data["to_status"],
            effective_date=meeting.held_on,
            reason=f"{data['subject']} (会议表决通过)",
            meeting_id=meeting.id,
            extension_months=data.get("extension_months"),
        ),
        today,
    )
    vote.transition_id = transition.id
    await session.flush()


async def _check_vote_allowed(
    session: AsyncSession, principal: Principal, meeting: Meeting, data: dict[str, Any]
) -> Member | None:
    """Votes are taken in an open general or committee meeting, never an election in a
    temporary branch; returns the member the vote names (within scope), if any."""
    require_meeting_writer(principal)
    require_open(meeting)
    if meeting.type not in (MeetingType.general_meeting, MeetingType.committee_meeting):
        raise Conflict(
            ErrorCode.meeting_votes_not_held,
            Text(
                zh="表决只在党员大会或委员会会议上进行",
                en="votes are taken in general or committee meetings",
            ),
        )
    subject_member = None
    if data.get("member_id") is not None:
        subject_member = await load_visible(
            session, principal, Member, data["member_id"], field="member_id"
        )
    org = await session.get(Organisation, meeting.org_id)
    assert org is not None
    if org.type == OrgType.temporary_branch and data["kind"] == VoteKind.election:
        raise Conflict(
            ErrorCode.meeting_temporary_branch_no_election,
            Text(zh="临时党支部不进行选举", en="a temporary branch holds no elections"),
        )
    return subject_member


def _vote_record(
    meeting: Meeting, data: dict[str, Any], expected: int, present: int, outcome: VoteOutcome
) -> MeetingVote:
    return MeetingVote(
        meeting_id=meeting.id,
        kind=data["kind"],
        subject=data["subject"],
        ayes=data["ayes"],
        nays=data["nays"],
        abstentions=data["abstentions"],
        voters_expected=expected,
        voters_present=present,
        valid=outcome.valid,
        invalid_reason=outcome.invalid_reason,
        passed=outcome.passed,
        member_id=data.get("member_id"),
        to_status=data["to_status"].value if data.get("to_status") else None,
    )


async def record_vote(
    session: AsyncSession,
    principal: Principal,
    meeting: Meeting,
    data: dict[str, Any],
    today: date,
) -> MeetingVote:
    """Record a vote (表决) and judge it against quorum and majority.

    A passed, valid vote naming a member and a status (admitting a candidate,
    making a probationary member full) records that member's transition, linked to
    this meeting, effective on the meeting's date.
    """
    subject_member = await _check_vote_allowed(session, principal, meeting, data)
    cast = data["ayes"] + data["nays"] + data["abstentions"]
    expected, present = await _voters(session, meeting, cast)
    outcome = judge_vote(
        meeting.type,
        data["kind"],
        voters_expected=expected,
        voters_present=present,
        ayes=data["ayes"],
    )
    vote = _vote_record(meeting, data, expected, present, outcome)
    session.add(vote)
    await session.flush()
    if vote.valid and vote.passed and subject_member is not None and data.get("to_status"):
        await _enact(session, principal, meeting, vote, subject_member, data, today)
    audit.record(
        session,
        principal,
        "meeting.vote_recorded",
        "meeting",
        meeting.id,
        meeting.org_path,
        after={"vote_id": str(vote.id), "valid": vote.valid, "passed": vote.passed},
    )
    return vote


async def votes(session: AsyncSession, meeting_id: uuid.UUID) -> list[MeetingVote]:
    rows = await session.scalars(
        select(MeetingVote)
        .where(MeetingVote.meeting_id == meeting_id)
        .order_by(MeetingVote.recorded_at)
    )
    return list(rows.all())
