"""Meeting sign-in (签到): a rotating code on the host's screen, members sign in with it
within the meeting's window, a secretary signs in for someone (a proxy sign-in).

Codes are derived, never stored: HMAC-SHA256 over (meeting id, time window) with a
secret kept per meeting, rotating every `sign_in_code_seconds` *(policy)*. The current
and the previous window's codes are accepted (a code read just before it rotates).
A sign-in is accepted from `sign_in_early_minutes` before the start until
`sign_in_close_after_minutes` after it, flagged late after `sign_in_late_after_minutes`.
It is attendance `present`, written by the one attendance writer, so it counts for
points when the meeting is finalized.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from app import clock
from app.errors import Conflict, ErrorCode, Forbidden, Unprocessable
from app.models.enums import Presence, Role
from app.models.meeting import Meeting
from app.models.member import Member
from app.models.organisation import Organisation
from app.models.sign_in import MeetingSignIn, MeetingSignInWindow
from app.security.scope import Principal, load_visible, member_rows_only, require_role
from app.services import policies
from app.services.integration import audit
from app.services.meetings.attendance import mark_attendee
from app.services.meetings.records import require_open

CODE_DIGITS = 8


@dataclass(frozen=True)
class SignInCode:
    meeting_id: uuid.UUID
    code: str
    qr_content: str
    code_seconds: int
    valid_until: datetime
    starts_at: datetime
    opens_at: datetime
    late_after: datetime
    closes_at: datetime


@dataclass(frozen=True)
class Bounds:
    opens_at: datetime
    late_after: datetime
    closes_at: datetime


def derive_code(secret: bytes, meeting_id: uuid.UUID, window: int) -> str:
    """The code of one time window: HMAC-SHA256 over (meeting id, window), as digits."""
    mac = hmac.new(secret, f"{meeting_id}:{window}".encode(), hashlib.sha256).digest()
    return str(int.from_bytes(mac[:8], "big") % 10**CODE_DIGITS).zfill(CODE_DIGITS)


def window_of(moment: datetime, seconds: int) -> int:
    return int(moment.timestamp()) // seconds


# How far back an old code is still recognised as this meeting's (to say "expired"
# rather than "not this meeting's"): the longest sign-in period the policies allow.
EXPIRED_LOOKBACK = timedelta(minutes=240 + 720)


def _matches(secret: bytes, meeting_id: uuid.UUID, code: str, window: int) -> bool:
    return hmac.compare_digest(derive_code(secret, meeting_id, window).encode(), code.encode())


def check_code(
    secret: bytes,
    meeting_id: uuid.UUID,
    code: str | None,
    moment: datetime,
    seconds: int,
    since: datetime,
) -> None:
    """Accept the current or the previous window's code at `moment`; an older code of
    this meeting (since sign-in opened) is `sign_in.code_expired`, anything else
    `sign_in.code_invalid` (another meeting's, or no code)."""
    current = window_of(moment, seconds)
    if code and any(_matches(secret, meeting_id, code, w) for w in (current, current - 1)):
        return
    oldest = window_of(max(since, moment - EXPIRED_LOOKBACK), seconds)
    if code and any(
        _matches(secret, meeting_id, code, w) for w in range(current - 2, oldest - 1, -1)
    ):
        raise Unprocessable.field("code", ErrorCode.sign_in_code_expired)
    raise Unprocessable.field("code", ErrorCode.sign_in_code_invalid)


async def _bounds(session: AsyncSession, meeting: Meeting, starts_at: datetime) -> Bounds:
    org = await session.get(Organisation, meeting.org_id)
    assert org is not None
    policy = await policies.effective_policy(session, org)
    return Bounds(
        opens_at=starts_at - timedelta(minutes=policy["sign_in_early_minutes"]),
        late_after=starts_at + timedelta(minutes=policy["sign_in_late_after_minutes"]),
        closes_at=starts_at + timedelta(minutes=policy["sign_in_close_after_minutes"]),
    )


async def attendee_named(
    session: AsyncSession, principal: Principal, member_id: uuid.UUID | None
) -> uuid.UUID:
    """Whom a sign-in or a leave request is for: a member user's own record (a member
    names nobody else: 404 as for any member out of sight); a secretary or an
    administrator names a member in their scope (404 naming `member_id` otherwise)."""
    own = member_rows_only(principal)
    if member_id is not None:
        await load_visible(session, principal, Member, member_id, field="member_id")
    if own is not None:
        return own
    require_role(principal, Role.org_admin, Role.branch_secretary)
    if member_id is None:
        raise Unprocessable.field("member_id", ErrorCode.request_validation_failed)
    return member_id


def require_host(principal: Principal, meeting: Meeting) -> None:
    """The meeting's host (a member user), a branch secretary or an administrator."""
    if principal.member_id is not None and principal.member_id == meeting.host_id:
        return
    try:
        require_role(principal, Role.org_admin, Role.branch_secretary)
    except Forbidden:
        raise Forbidden(ErrorCode.sign_in_not_host) from None


async def open_sign_in(
    session: AsyncSession, principal: Principal, meeting: Meeting, starts_at: datetime | None
) -> SignInCode:
    """Open sign-in for a meeting (开启签到) starting at `starts_at` (default: now), or
    move the start of an open one; answers the current code for the host's screen."""
    require_host(principal, meeting)
    require_open(meeting)
    now = clock.utcnow()
    org = await session.get(Organisation, meeting.org_id)
    assert org is not None
    seconds = int((await policies.effective_policy(session, org))["sign_in_code_seconds"])
    window = await session.get(MeetingSignInWindow, meeting.id, with_for_update=True)
    if window is None:
        window = MeetingSignInWindow(
            meeting_id=meeting.id,
            secret=secrets.token_bytes(32),
            starts_at=starts_at or now,
            code_seconds=seconds,
            opened_by=principal.user_id,
            opened_at=now,
        )
        session.add(window)
    elif starts_at is not None:
        window.starts_at = starts_at
    await session.flush()
    audit.record(
        session,
        principal,
        "meeting.sign_in_opened",
        "meeting",
        meeting.id,
        meeting.org_path,
        after={"starts_at": window.starts_at.isoformat()},
    )
    return await _code(session, meeting, window, now)


async def current_code(session: AsyncSession, principal: Principal, meeting: Meeting) -> SignInCode:
    """The code to show now (the QR's content), rotating every `sign_in_code_seconds`."""
    require_host(principal, meeting)
    window = await _window(session, meeting)
    return await _code(session, meeting, window, clock.utcnow())


async def _window(session: AsyncSession, meeting: Meeting) -> MeetingSignInWindow:
    window = await session.get(MeetingSignInWindow, meeting.id)
    if window is None:
        raise Conflict(ErrorCode.sign_in_not_open)
    return window


async def _code(
    session: AsyncSession, meeting: Meeting, window: MeetingSignInWindow, now: datetime
) -> SignInCode:
    index = window_of(now, window.code_seconds)
    code = derive_code(window.secret, meeting.id, index)
    bounds = await _bounds(session, meeting, window.starts_at)
    return SignInCode(
        meeting_id=meeting.id,
        code=code,
        qr_content=f"dangjian:sign-in:{meeting.id}:{code}",
        code_seconds=window.code_seconds,
        valid_until=datetime.fromtimestamp((index + 1) * window.code_seconds, now.tzinfo),
        starts_at=window.starts_at,
        opens_at=bounds.opens_at,
        late_after=bounds.late_after,
        closes_at=bounds.closes_at,
    )


async def sign_in(
    session: AsyncSession,
    principal: Principal,
    meeting: Meeting,
    code: str | None,
    member_id: uuid.UUID | None,
) -> MeetingSignIn:
    """Sign in to a meeting (签到). A member signs in themself with the live code; a
    branch secretary or administrator signs in an expected attendee for them (recorded
    as a proxy sign-in, no code needed). An expired code (`sign_in.code_expired`) and
    another meeting's code (`sign_in.code_invalid`) are refused; outside the window
    `sign_in.too_early` or `sign_in.closed`; after `sign_in_late_after_minutes` the
    sign-in is flagged late."""
    proxy = member_rows_only(principal) is None
    member_id = await attendee_named(session, principal, member_id)
    window = await _window(session, meeting)
    now = clock.utcnow()
    if not proxy:
        check_code(window.secret, meeting.id, code, now, window.code_seconds, window.opened_at)
    bounds = await _bounds(session, meeting, window.starts_at)
    if now < bounds.opens_at:
        raise Conflict(ErrorCode.sign_in_too_early)
    if now > bounds.closes_at:
        raise Conflict(ErrorCode.sign_in_closed)
    if await session.get(MeetingSignIn, (meeting.id, member_id)) is not None:
        raise Conflict(ErrorCode.sign_in_repeated)
    row = await mark_attendee(
        session, principal, meeting, member_id, Presence.present, None, "meeting.signed_in"
    )
    if row is None:
        raise Unprocessable.field("member_id", ErrorCode.sign_in_not_expected)
    record = MeetingSignIn(
        meeting_id=meeting.id,
        member_id=member_id,
        signed_at=now,
        late=now > bounds.late_after,
        proxy=proxy,
        recorded_by=principal.user_id,
    )
    session.add(record)
    await session.flush()
    return record


async def sign_ins(
    session: AsyncSession, principal: Principal, meeting: Meeting
) -> list[MeetingSignIn]:
    """A meeting's sign-ins in the order made, late and proxy flagged; a member user
    sees its own."""
    stmt = (
        select(MeetingSignIn)
        .where(MeetingSignIn.meeting_id == meeting.id)
        .order_by(MeetingSignIn.signed_at, MeetingSignIn.member_id)
    )
    own = member_rows_only(principal)
    if own is not None:
        stmt = stmt.where(MeetingSignIn.member_id == own)
    return list((await session.scalars(stmt)).all())
