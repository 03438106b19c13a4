"""Meeting records: planning, editing, listing; which organisation holds which meeting
type; the current committee.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import date
from typing import Any

from sqlalchemy import Select, select
from sqlalchemy.ext.asyncio import AsyncSession

from app.errors import Conflict, ErrorCode, NotFound, Unprocessable
from app.i18n import Text
from app.models.enums import (
    BRANCH_TYPES,
    COMMITTEE_TYPES,
    PARTY_MEMBER_STATUS_VALUES,
    MeetingState,
    MeetingType,
    MemberStatus,
    OrgType,
    Presence,
    Role,
    label_zh,
)
from app.models.meeting import Meeting, MeetingAttendee
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
from app.services import discipline, organisations
from app.services.integration import audit
from app.services.meetings.participants import hosted_participants

BRANCH_MEETINGS = frozenset(
    {"general_meeting", "party_lecture", "theme_day", "life_meeting", "democratic_review"}
)


EDITABLE = ("held_on", "place", "topic", "host_id", "recorder_id", "minutes", "resolutions")
AMENDABLE = ("place", "topic", "minutes", "resolutions", "attendance")
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
                ErrorCode.meeting_type_not_for_org,
                Text(zh="党小组会由党小组召开", en="group meetings are held by a party group"),
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
            Text(
                zh="支委会须由设有 3 人以上支部委员会的支部召开",
                en="a committee meeting needs a branch committee (支委会) of 3+",
            ),
        )
    if org_type not in BRANCH_TYPES:
        raise Conflict(
            ErrorCode.meeting_type_not_for_org,
            Text(
                zh=f"{label_zh(MeetingType, meeting_type)}由党支部召开",
                en=f"{meeting_type} is held by a branch",
            ),
        )


async def _default_attendees(
    session: AsyncSession, org: Organisation, meeting_type: str, day: date
) -> list[tuple[uuid.UUID, bool]]:
    """(member, has_vote): the group's, the committee's or the branch's current members,
    and at a branch's meetings the mobile members it hosts that day (without a vote)."""
    if meeting_type == MeetingType.committee_meeting:
        return [(m, True) for m in await current_committee(session, org.id, day)]
    column = Member.group_id if meeting_type == MeetingType.group_meeting else Member.org_id
    rows = await session.execute(
        select(Member.id, Member.status)
        .where(column == org.id, Member.status.in_(PARTY_MEMBER_STATUS_VALUES))
        .order_by(Member.id)
    )
    own = await _with_votes(session, [(m, s) for m, s in rows.all()], day)
    if meeting_type == MeetingType.group_meeting:
        return own
    listed = {m for m, _ in own}
    guests = sorted(await hosted_participants(session, org.id, day) - listed)
    return own + [(m, False) for m in guests]


async def _with_votes(
    session: AsyncSession, rows: list[tuple[uuid.UUID, str]], day: date
) -> list[tuple[uuid.UUID, bool]]:
    """(member, has_vote) for (member, status) rows: the one place voting rights are
    decided. Full members vote; probationary members, and members under 留党察看 on the
    meeting's day, attend without a vote."""
    barred = await discipline.without_vote(session, [m for m, _ in rows], day)
    return [(m, status == MemberStatus.full and m not in barred) for m, status in rows]


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


def require_meeting_writer(principal: Principal) -> None:
    require_role(principal, Role.org_admin, Role.branch_secretary)


async def check_members_of(
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
            field,
            ErrorCode.meeting_member_not_in_org,
            Text(zh="有党员不在您的管理范围内", en="a member is not in scope"),
        )


async def _check_people(
    session: AsyncSession, principal: Principal, org: Organisation, data: dict[str, Any]
) -> None:
    """The host and the recorder, when named: members of the meeting's organisation."""
    for field in ("host_id", "recorder_id"):
        if data.get(field) is not None:
            await check_members_of(session, principal, org, [data[field]], field)


async def plan_meeting(
    session: AsyncSession,
    principal: Principal,
    org_id: uuid.UUID,
    data: dict[str, Any],
    expected: list[uuid.UUID] | None,
) -> Meeting:
    """Plan a meeting (会议计划). The type must suit the organisation: a committee meeting
    only where a committee exists, a group meeting only in a party group, the others
    in a branch. Expected attendees default to the group's members, the committee, or
    the branch's full and probationary members; probationary members attend without a vote.
    The organisation is one the principal may see (else 404 naming `org_id`).
    """
    org = await organisations.get_visible(
        session, principal, org_id, field="org_id", copies_path=True
    )
    require_meeting_writer(principal)
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
        attendees = await explicit_attendees(
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


async def explicit_attendees(
    session: AsyncSession,
    principal: Principal,
    org: Organisation,
    meeting_type: str,
    expected: list[uuid.UUID],
    day: date,
    field: str = "expected_member_ids",
) -> list[tuple[uuid.UUID, bool]]:
    """(member, has_vote) for named attendees: members of the organisation, and the mobile
    members it hosts that day (participants, never a vote; the host cannot read their
    records, so they are checked through their episode instead)."""
    guests: set[uuid.UUID] = set()
    if meeting_type != MeetingType.committee_meeting:
        guests = await hosted_participants(session, org.id, day, expected)
    await check_members_of(session, principal, org, [m for m in expected if m not in guests], field)
    committee = set(await current_committee(session, org.id, day))
    rows = await session.execute(select(Member.id, Member.status).where(Member.id.in_(expected)))
    if meeting_type == MeetingType.committee_meeting:
        return [(member_id, member_id in committee) for member_id, _ in rows.all()]
    voting = await _with_votes(session, [(m, s) for m, s in rows.all() if m not in guests], day)
    return voting + [(m, False) for m in sorted(guests)]


async def voting_rights(session: AsyncSession, meeting: Meeting) -> dict[uuid.UUID, bool]:
    """Each attendee's vote at this meeting as it stands now: the vote noted when the
    attendee was listed, less a 留党察看 in force on the meeting's day even if recorded
    after the meeting was planned. Quorum and the attendance listing both read this."""
    rows = (
        await session.execute(
            select(MeetingAttendee.member_id, MeetingAttendee.has_vote).where(
                MeetingAttendee.meeting_id == meeting.id
            )
        )
    ).all()
    barred = await discipline.without_vote(session, [m for m, _ in rows], meeting.held_on)
    return {m: bool(vote) and m not in barred for m, vote in rows}


def require_open(meeting: Meeting) -> None:
    if meeting.state == MeetingState.finalized:
        raise Conflict(
            ErrorCode.meeting_finalized,
            Text(
                zh="记录已锁定，请添加更正记录", en="the record is locked: add an amendment instead"
            ),
        )


async def update_meeting(
    session: AsyncSession, principal: Principal, meeting: Meeting, changes: dict[str, Any]
) -> Meeting:
    """Edit a planned meeting; a finalized one only takes amendments."""
    require_meeting_writer(principal)
    require_open(meeting)
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


# The orders the list offers (`?sort=`); ties are broken by id.
MEETING_SORT = "-held_on"
MEETING_SORTABLE = {"held_on": Meeting.held_on}


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
    sort: str | None = None,
    include_total: bool = False,
) -> Page[Meeting]:
    """Meetings in your subtree, newest first."""
    if org_id is not None:  # a filter's id answers like any other id (load_visible)
        await organisations.get_visible_node(session, principal, org_id, field="org_id")
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
    keys = parse_sort(sort, MEETING_SORTABLE, Meeting.id, default=MEETING_SORT)
    return await paginate(
        session, stmt, keys, limit=limit, cursor=cursor, include_total=include_total
    )


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
