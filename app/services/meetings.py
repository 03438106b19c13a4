"""Meetings (三会一课 and organisational life): planning, attendance, quorum, locking.

A record is planned, its attendance and votes recorded, then finalized, which
locks it; later corrections are amendments that never overwrite the original.
Finalizing writes a `meeting.finalized` outbox event in the same transaction:
the points engine scores attendance from it exactly once.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import date
from typing import Any

from sqlalchemy import Select, select
from sqlalchemy.ext.asyncio import AsyncSession

from app import clock
from app.errors import Conflict, ErrorCode, NotFound, Unprocessable
from app.models.enums import (
    BRANCH_TYPES,
    COMMITTEE_TYPES,
    MeetingState,
    MeetingType,
    MemberStatus,
    OrgType,
    Presence,
    Role,
    VoteKind,
)
from app.models.meeting import Meeting, MeetingAmendment, MeetingAttendee, MeetingVote
from app.models.member import Member
from app.models.organisation import Organisation, OrganisationLeader
from app.pagination import Page, paginate, parse_sort
from app.security.scope import (
    Principal,
    is_under,
    load_all_visible,
    load_visible,
    member_rows_only,
    require_role,
    subtree_filter,
    under,
)
from app.services import audit, lifecycle, points
from app.services import changes as change_feed

BRANCH_MEETINGS = frozenset(
    {"general_meeting", "party_lecture", "theme_day", "life_meeting", "democratic_review"}
)
EDITABLE = ("held_on", "place", "topic", "host_id", "recorder_id", "minutes", "resolutions")
AMENDABLE = ("place", "topic", "minutes", "resolutions", "attendance")
ATTENDING_STATUSES = (MemberStatus.full, MemberStatus.probationary)
COMMITTEE_MINIMUM = 3


async def current_committee(session: AsyncSession, org_id: uuid.UUID, day: date) -> list[uuid.UUID]:
    """Members of the organisation's committee (班子) serving on `day`."""
    rows = await session.scalars(
        select(OrganisationLeader.member_id)
        .where(
            OrganisationLeader.org_id == org_id,
            OrganisationLeader.started_on <= day,
            (OrganisationLeader.ended_on.is_(None)) | (OrganisationLeader.ended_on >= day),
        )
        .distinct()
    )
    return list(rows.all())


async def _check_type_suits(
    session: AsyncSession, org: Organisation, meeting_type: str, day: date
) -> None:
    org_type = OrgType(org.type)
    if meeting_type == MeetingType.group_meeting:
        if org_type is not OrgType.group:
            raise Conflict(
                ErrorCode.meeting_type_not_for_org, "group meetings are held by a party group"
            )
        return
    if meeting_type == MeetingType.committee_meeting:
        if org_type in COMMITTEE_TYPES or org_type is OrgType.general_branch:
            return
        committee = await current_committee(session, org.id, day)
        if org_type in BRANCH_TYPES and len(committee) >= COMMITTEE_MINIMUM:
            return
        raise Conflict(
            ErrorCode.meeting_no_committee,
            "a committee meeting needs a branch committee (支委会) of 3+",
        )
    if org_type not in BRANCH_TYPES:
        raise Conflict(ErrorCode.meeting_type_not_for_org, f"{meeting_type} is held by a branch")


async def _default_attendees(
    session: AsyncSession, org: Organisation, meeting_type: str, day: date
) -> list[tuple[uuid.UUID, bool]]:
    """(member, has_vote): the group's, the committee's or the branch's current members."""
    if meeting_type == MeetingType.committee_meeting:
        return [(m, True) for m in await current_committee(session, org.id, day)]
    column = Member.group_id if meeting_type == MeetingType.group_meeting else Member.org_id
    rows = await session.execute(
        select(Member.id, Member.status)
        .where(column == org.id, Member.status.in_([s.value for s in ATTENDING_STATUSES]))
        .order_by(Member.id)
    )
    return [(member_id, status == MemberStatus.full) for member_id, status in rows.all()]


async def get_visible(
    session: AsyncSession, principal: Principal, meeting_id: uuid.UUID, *, lock: bool = False
) -> Meeting:
    meeting = await load_visible(session, principal, Meeting, meeting_id, lock=lock)
    own = member_rows_only(principal)
    if own is not None:
        attends = await session.scalar(
            select(MeetingAttendee.member_id).where(
                MeetingAttendee.meeting_id == meeting.id,
                MeetingAttendee.member_id == own,
            )
        )
        if attends is None:
            raise NotFound(ErrorCode.meeting_not_found)
    return meeting


def _writer(principal: Principal) -> None:
    require_role(principal, Role.org_admin, Role.branch_secretary)


async def _check_members_of(
    session: AsyncSession,
    principal: Principal,
    org: Organisation,
    member_ids: list[uuid.UUID],
    field: str,
) -> None:
    """Each id is a member you can see (else 404 naming `field`, see `load_visible`) who
    belongs to the meeting's organisation (else 422 `meeting.member_not_in_org`)."""
    found = await load_all_visible(session, principal, Member, member_ids, field=field)
    # A party group's members belong to its branch: look in the branch's subtree.
    path = org.path
    if org.type == OrgType.group:
        path = path[: path.rstrip("/").rfind("/") + 1]
    if any(not is_under(m.org_path, path) for m in found):
        raise Unprocessable.field(
            field, ErrorCode.meeting_member_not_in_org, "a member is not in scope"
        )


async def _check_people(
    session: AsyncSession, principal: Principal, org: Organisation, data: dict[str, Any]
) -> None:
    """The host and the recorder, when named: members of the meeting's organisation."""
    for field in ("host_id", "recorder_id"):
        if data.get(field) is not None:
            await _check_members_of(session, principal, org, [data[field]], field)


async def plan_meeting(
    session: AsyncSession,
    principal: Principal,
    org: Organisation,
    data: dict[str, Any],
    expected: list[uuid.UUID] | None,
) -> Meeting:
    """Plan a meeting (会议计划). The type must suit the organisation: a committee meeting
    only where a committee exists, a group meeting only in a party group, the others
    in a branch. Expected attendees default to the group's members, the committee, or
    the branch's full and probationary members; probationary members attend without a vote.
    """
    _writer(principal)
    if org.dissolved_on is not None:
        raise Conflict(ErrorCode.organisation_dissolved)
    await _check_type_suits(session, org, data["type"], data["held_on"])
    await _check_people(session, principal, org, data)
    meeting = Meeting(org_id=org.id, org_path=org.path, state=MeetingState.planned, **data)
    session.add(meeting)
    await session.flush()
    if expected is None:
        attendees = await _default_attendees(session, org, data["type"], data["held_on"])
    else:
        attendees = await _explicit_attendees(
            session, principal, org, data["type"], expected, data["held_on"]
        )
    session.add_all(
        [MeetingAttendee(meeting_id=meeting.id, member_id=m, has_vote=v) for m, v in attendees]
    )
    await session.flush()
    audit.record(
        session,
        principal,
        "meeting.planned",
        "meeting",
        meeting.id,
        meeting.org_path,
        after=audit.snapshot(meeting, ("type", "held_on", "topic", "org_id")),
    )
    return meeting


async def _explicit_attendees(
    session: AsyncSession,
    principal: Principal,
    org: Organisation,
    meeting_type: str,
    expected: list[uuid.UUID],
    day: date,
    field: str = "expected_member_ids",
) -> list[tuple[uuid.UUID, bool]]:
    await _check_members_of(session, principal, org, expected, field)
    committee = set(await current_committee(session, org.id, day))
    rows = await session.execute(select(Member.id, Member.status).where(Member.id.in_(expected)))
    out = []
    for member_id, status in rows.all():
        vote = (
            member_id in committee
            if meeting_type == MeetingType.committee_meeting
            else status == MemberStatus.full
        )
        out.append((member_id, vote))
    return out


def _require_open(meeting: Meeting) -> None:
    if meeting.state == MeetingState.finalized:
        raise Conflict(
            ErrorCode.meeting_finalized, "the record is locked: add an amendment instead"
        )


async def update_meeting(
    session: AsyncSession, principal: Principal, meeting: Meeting, changes: dict[str, Any]
) -> Meeting:
    """Edit a planned meeting; a finalized one only takes amendments."""
    _writer(principal)
    _require_open(meeting)
    org = await session.get(Organisation, meeting.org_id)
    assert org is not None
    await _check_people(session, principal, org, changes)
    before = audit.snapshot(meeting, EDITABLE)
    for field, value in changes.items():
        setattr(meeting, field, value)
    await session.flush()
    audit.record(
        session,
        principal,
        "meeting.updated",
        "meeting",
        meeting.id,
        meeting.org_path,
        before=before,
        after=audit.snapshot(meeting, EDITABLE),
    )
    return meeting


async def attendees(session: AsyncSession, meeting_id: uuid.UUID) -> list[MeetingAttendee]:
    rows = await session.scalars(
        select(MeetingAttendee)
        .where(MeetingAttendee.meeting_id == meeting_id)
        .order_by(MeetingAttendee.member_id)
    )
    return list(rows.all())


async def record_attendance(
    session: AsyncSession,
    principal: Principal,
    meeting: Meeting,
    entries: list[dict[str, Any]],
) -> list[MeetingAttendee]:
    """Record attendance (签到): present, excused (with a reason) or absent.

    Members not expected yet are added (as guests without a vote unless full members of
    a general meeting's branch). Refused once votes are recorded, since they were
    counted against this attendance.
    """
    _writer(principal)
    _require_open(meeting)
    if await session.scalar(
        select(MeetingVote.id).where(MeetingVote.meeting_id == meeting.id).limit(1)
    ):
        raise Conflict(
            ErrorCode.meeting_votes_recorded, "votes were counted against this attendance"
        )
    current = {a.member_id: a for a in await attendees(session, meeting.id)}
    new_ids = [e["member_id"] for e in entries if e["member_id"] not in current]
    if new_ids:
        org = await session.get(Organisation, meeting.org_id)
        assert org is not None
        for member_id, vote in await _explicit_attendees(
            session, principal, org, meeting.type, new_ids, meeting.held_on, "member_id"
        ):
            current[member_id] = MeetingAttendee(
                meeting_id=meeting.id, member_id=member_id, has_vote=vote
            )
            session.add(current[member_id])
    for entry in entries:
        if entry["presence"] == Presence.excused and not entry.get("reason"):
            raise Unprocessable.field("reason", ErrorCode.meeting_excuse_needs_reason)
        row = current[entry["member_id"]]
        row.presence = entry["presence"]
        row.reason = entry.get("reason")
    # Attendance is part of the record: touching the row bumps the meeting's version.
    meeting.updated_at = clock.utcnow()
    await session.flush()
    audit.record(
        session,
        principal,
        "meeting.attendance_recorded",
        "meeting",
        meeting.id,
        meeting.org_path,
        after={"attendance": [{**e, "member_id": str(e["member_id"])} for e in entries]},
    )
    return await attendees(session, meeting.id)


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
    _writer(principal)
    _require_open(meeting)
    if meeting.type not in (MeetingType.general_meeting, MeetingType.committee_meeting):
        raise Conflict(
            ErrorCode.meeting_votes_not_held, "votes are taken in general or committee meetings"
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
            ErrorCode.meeting_temporary_branch_no_election, "a temporary branch holds no elections"
        )
    rows = await attendees(session, meeting.id)
    if any(a.presence is None for a in rows):
        raise Conflict(
            ErrorCode.meeting_attendance_incomplete, "record everyone's attendance first"
        )
    voters = [a for a in rows if a.has_vote]
    present = sum(1 for a in voters if a.presence == Presence.present)
    cast = data["ayes"] + data["nays"] + data["abstentions"]
    if cast > present:
        raise Unprocessable.field(
            "ayes",
            ErrorCode.meeting_votes_exceed_present,
            f"{cast} votes but {present} voters present",
        )
    outcome = judge_vote(
        meeting.type,
        data["kind"],
        voters_expected=len(voters),
        voters_present=present,
        ayes=data["ayes"],
    )
    vote = MeetingVote(
        meeting_id=meeting.id,
        kind=data["kind"],
        subject=data["subject"],
        ayes=data["ayes"],
        nays=data["nays"],
        abstentions=data["abstentions"],
        voters_expected=len(voters),
        voters_present=present,
        valid=outcome.valid,
        invalid_reason=outcome.invalid_reason,
        passed=outcome.passed,
        member_id=data.get("member_id"),
        to_status=data["to_status"].value if data.get("to_status") else None,
    )
    session.add(vote)
    await session.flush()
    if vote.valid and vote.passed and subject_member is not None and data.get("to_status"):
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


async def finalize_meeting(
    session: AsyncSession, principal: Principal, meeting: Meeting, today: date
) -> Meeting:
    """Finalize (归档) a held meeting: the record is locked from now on.

    Needs the meeting date reached and everyone's attendance recorded. Writes the
    `meeting.finalized` event (with the attendance) in the same transaction; a second
    finalize is refused, so attendance scores once.
    """
    _writer(principal)
    _require_open(meeting)
    if meeting.held_on > today:
        raise Conflict(ErrorCode.meeting_not_yet_held, f"the meeting is on {meeting.held_on}")
    rows = await attendees(session, meeting.id)
    if any(a.presence is None for a in rows):
        raise Conflict(
            ErrorCode.meeting_attendance_incomplete, "record everyone's attendance first"
        )
    meeting.state = MeetingState.finalized
    meeting.finalized_at = clock.utcnow()
    meeting.finalized_by = principal.user_id
    await session.flush()
    await change_feed.record_event(
        session,
        meeting,
        "meeting.finalized",
        {
            "meeting_id": str(meeting.id),
            "org_id": str(meeting.org_id),
            "type": meeting.type,
            "held_on": meeting.held_on.isoformat(),
            "attendance": [{"member_id": str(a.member_id), "presence": a.presence} for a in rows],
        },
    )
    # Attendance scores through the points engine in this same transaction.
    await points.score_meeting(
        session, meeting.id, meeting.held_on, [(a.member_id, a.presence or "") for a in rows]
    )
    audit.record(session, principal, "meeting.finalized", "meeting", meeting.id, meeting.org_path)
    return meeting


async def amend_meeting(
    session: AsyncSession,
    principal: Principal,
    meeting: Meeting,
    field: str,
    value: Any,
    reason: str,
) -> MeetingAmendment:
    """Correct a finalized record (更正): who, when, what and why; the original stays.

    The value has the corrected field's type (the schema checks it). Corrected attendance
    names members you can see (404 naming `value` otherwise) who attended or belong to
    the meeting's organisation (422), as when attendance is first recorded."""
    _writer(principal)
    if meeting.state != MeetingState.finalized:
        raise Conflict(ErrorCode.meeting_not_finalized, "edit a planned meeting directly")
    if field not in AMENDABLE:
        raise Unprocessable.field(
            "field", ErrorCode.meeting_field_not_amendable, f"one of {AMENDABLE}"
        )
    if field == "attendance":
        value = await _corrected_attendance(session, principal, meeting, value)
    amendment = MeetingAmendment(
        meeting_id=meeting.id,
        field=field,
        value=value,
        reason=reason,
        actor_id=principal.user_id,
        actor_username=principal.username,
    )
    session.add(amendment)
    await session.flush()
    audit.record(
        session,
        principal,
        "meeting.amended",
        "meeting",
        meeting.id,
        meeting.org_path,
        after={"field": field, "value": value, "reason": reason},
    )
    return amendment


async def _corrected_attendance(
    session: AsyncSession, principal: Principal, meeting: Meeting, entries: list[dict[str, Any]]
) -> list[dict[str, Any]]:
    """Corrected attendance entries, checked like recorded ones, as JSON values."""
    ids = [e["member_id"] for e in entries]
    expected = {a.member_id for a in await attendees(session, meeting.id)}
    await load_all_visible(session, principal, Member, ids, field="value")
    others = [i for i in ids if i not in expected]
    if others:
        org = await session.get(Organisation, meeting.org_id)
        assert org is not None
        await _check_members_of(session, principal, org, others, "value")
    for entry in entries:
        if entry["presence"] == Presence.excused and not entry.get("reason"):
            raise Unprocessable.field("value", ErrorCode.meeting_excuse_needs_reason)
    return [
        {"member_id": str(e["member_id"]), "presence": e["presence"], "reason": e.get("reason")}
        for e in entries
    ]


async def amendments(session: AsyncSession, meeting_id: uuid.UUID) -> list[MeetingAmendment]:
    rows = await session.scalars(
        select(MeetingAmendment)
        .where(MeetingAmendment.meeting_id == meeting_id)
        .order_by(MeetingAmendment.recorded_at)
    )
    return list(rows.all())


async def list_meetings(
    session: AsyncSession,
    principal: Principal,
    *,
    within_path: str | None,
    org_id: uuid.UUID | None,
    meeting_type: str | None,
    state: str | None,
    held_from: date | None,
    held_to: date | None,
    limit: int | None,
    cursor: str | None,
) -> Page[Meeting]:
    """Meetings in your subtree, newest first."""
    stmt: Select[Meeting] = select(Meeting).where(subtree_filter(principal, Meeting.org_path))
    own = member_rows_only(principal)
    if own is not None:
        stmt = stmt.where(
            Meeting.id.in_(
                select(MeetingAttendee.meeting_id).where(MeetingAttendee.member_id == own)
            )
        )
    if within_path:
        stmt = stmt.where(under(Meeting.org_path, within_path))
    if org_id:
        stmt = stmt.where(Meeting.org_id == org_id)
    if meeting_type:
        stmt = stmt.where(Meeting.type == meeting_type)
    if state:
        stmt = stmt.where(Meeting.state == state)
    if held_from:
        stmt = stmt.where(Meeting.held_on >= held_from)
    if held_to:
        stmt = stmt.where(Meeting.held_on <= held_to)
    keys = parse_sort("-held_on", {"held_on": Meeting.held_on}, Meeting.id)
    return await paginate(session, stmt, keys, limit=limit, cursor=cursor)


@dataclass(frozen=True)
class MemberMeetingRow:
    meeting: Meeting
    presence: str | None
    reason: str | None


async def member_meetings(
    session: AsyncSession, member: Member, *, since: date | None = None
) -> tuple[list[MemberMeetingRow], float | None]:
    """A member's meetings with their presence, and the attendance rate over finalized ones."""
    stmt = (
        select(Meeting, MeetingAttendee.presence, MeetingAttendee.reason)
        .join(MeetingAttendee, MeetingAttendee.meeting_id == Meeting.id)
        .where(MeetingAttendee.member_id == member.id)
        .order_by(Meeting.held_on.desc())
    )
    if since is not None:
        stmt = stmt.where(Meeting.held_on >= since)
    rows = [MemberMeetingRow(m, p, r) for m, p, r in (await session.execute(stmt)).all()]
    finalized = [r for r in rows if r.meeting.state == MeetingState.finalized]
    rate = (
        sum(1 for r in finalized if r.presence == Presence.present) / len(finalized)
        if finalized
        else None
    )
    return rows, rate
