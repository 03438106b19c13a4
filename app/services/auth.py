"""Logins, rotating refresh tokens, logout and login throttling."""

from __future__ import annotations

import asyncio
import hashlib
import json
import secrets
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import delete, select, update
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from app import clock
from app.config import Settings
from app.db import get_sessionmaker
from app.errors import ErrorCode, TooManyRequests, Unauthorized
from app.models.user import AuthSession, LoginAddressThrottle, LoginThrottle, RefreshToken, User
from app.security import tokens
from app.security.passwords import verify_dummy, verify_password
from app.security.pii import pii_cipher
from app.security.scope import Principal


@dataclass(frozen=True)
class TokenPair:
    access_token: str
    refresh_token: str
    expires_in: int


def _hash_refresh(token: str) -> bytes:
    return hashlib.sha256(token.encode()).digest()


async def _issue(
    session: AsyncSession, settings: Settings, user: User, auth_session: AuthSession, now: datetime
) -> TokenPair:
    refresh = secrets.token_urlsafe(48)
    session.add(
        RefreshToken(
            token_hash=_hash_refresh(refresh),
            session_id=auth_session.id,
            issued_at=now,
            expires_at=auth_session.expires_at,
        )
    )
    await session.flush()
    access = tokens.issue_access_token(
        settings, user_id=user.id, session_id=auth_session.id, role=user.role, now=now
    )
    return TokenPair(access, refresh, settings.access_token_minutes * 60)


async def _check_not_locked(
    session: AsyncSession, username: str, address: str, now: datetime
) -> bool:
    """429 while the address, or the username from this address, is locked; True when
    this username has earlier failures on record from this address."""
    throttle = await session.get(LoginThrottle, (username, address))
    for row in (await session.get(LoginAddressThrottle, address), throttle):
        if row is not None and row.locked_until is not None and row.locked_until > now:
            retry = int((row.locked_until - now).total_seconds()) + 1
            raise TooManyRequests(ErrorCode.auth_locked, headers={"Retry-After": str(retry)})
    return throttle is not None


async def _record_failure(settings: Settings, username: str, address: str, now: datetime) -> int:
    """Count a failure for (username, address) and for the address; the first's count."""
    # Its own transaction: the request's is rolled back by the 401, the count must stay.
    async with get_sessionmaker()() as session, session.begin():
        await _count_failure(
            session,
            LoginAddressThrottle,
            {"address": address},
            settings.login_address_max_failures,
            settings,
            now,
        )
        return await _count_failure(
            session,
            LoginThrottle,
            {"username": username, "address": address},
            settings.login_max_failures,
            settings,
            now,
        )


async def _count_failure(
    session: AsyncSession,
    model: type[LoginThrottle] | type[LoginAddressThrottle],
    key: dict[str, str],
    max_failures: int,
    settings: Settings,
    now: datetime,
) -> int:
    """One more failure on `model`'s row for `key`; at `max_failures` the row locks
    for `DANGJIAN_LOGIN_LOCK_MINUTES` and its count starts again."""
    stmt = (
        insert(model)
        .values(**key, failures=1, last_failure_at=now)
        .on_conflict_do_update(
            index_elements=list(key),
            set_={"failures": model.failures + 1, "last_failure_at": now},
        )
        .returning(model.failures)
    )
    failures = int((await session.execute(stmt)).scalar_one())
    if failures >= max_failures:
        await session.execute(
            update(model)
            .where(*[getattr(model, column) == value for column, value in key.items()])
            .values(locked_until=now + timedelta(minutes=settings.login_lock_minutes), failures=0)
        )
    return failures


async def login(
    session: AsyncSession, settings: Settings, username: str, password: str, address: str
) -> TokenPair:
    """Exchange a username and password for tokens (登录).

    Failures are counted per username and client address: after
    `DANGJIAN_LOGIN_SLOWDOWN_AFTER` of them each answer is slowed; after
    `DANGJIAN_LOGIN_MAX_FAILURES` that username is locked for that address for
    `DANGJIAN_LOGIN_LOCK_MINUTES` (429 with `Retry-After`), whether or not it exists;
    from other addresses it still signs in. An address with
    `DANGJIAN_LOGIN_ADDRESS_MAX_FAILURES` failures across usernames is locked as a whole.
    The address is the peer's, or the `X-Forwarded-For` entry a proxy listed in
    `DANGJIAN_TRUSTED_PROXIES` added.
    """
    now = clock.utcnow()
    # Usernames are at most 64 characters: a longer one can only fail, counted as its prefix.
    username = username.strip()[:64]
    had_failures = await _check_not_locked(session, username, address, now)
    user = await session.scalar(select(User).where(User.username == username))
    if user is None:
        verify_dummy(password)
        ok = False
    else:
        ok = verify_password(user.password_hash, password) and user.active
    if not ok:
        failures = await _record_failure(settings, username, address, now)
        if failures > settings.login_slowdown_after:
            extra = failures - settings.login_slowdown_after
            await asyncio.sleep(settings.login_slowdown_seconds * extra)
        raise Unauthorized(ErrorCode.auth_invalid_credentials)
    assert user is not None
    if had_failures:
        await session.execute(
            delete(LoginThrottle).where(
                LoginThrottle.username == username, LoginThrottle.address == address
            )
        )
    return await start_login(session, settings, user, now)


async def start_login(
    session: AsyncSession, settings: Settings, user: User, now: datetime
) -> TokenPair:
    """A new login (refresh-token family) for a user already authenticated: by password
    here, by WeChat in `services/wechat.py`."""
    auth_session = AuthSession(
        user_id=user.id,
        created_at=now,
        expires_at=now + timedelta(days=settings.refresh_token_days),
    )
    session.add(auth_session)
    await session.flush()
    return await _issue(session, settings, user, auth_session, now)


async def refresh(session: AsyncSession, settings: Settings, refresh_token: str) -> TokenPair:
    """Rotate a refresh token (刷新令牌): the old one dies; reusing a dead one revokes the
    whole login.

    Two tabs refreshing at once send the same token: the one presented again within
    `DANGJIAN_REFRESH_GRACE_SECONDS` (default 30) of its rotation gets the same new pair
    the first request got (with the seconds its access token has left), while the login
    is alive. Presented again after that, it is taken as leaked and the login ends for
    every holder.
    """
    now = clock.utcnow()
    stored = await session.get(RefreshToken, _hash_refresh(refresh_token), with_for_update=True)
    if stored is None:
        raise Unauthorized(ErrorCode.auth_refresh_invalid)
    if stored.used_at is not None and now - stored.used_at <= timedelta(
        seconds=settings.refresh_grace_seconds
    ):
        # The row lock made a concurrent refresh wait for the first one's commit: this is
        # that concurrent refresh, answered with the first one's pair.
        return await _same_pair(session, settings, stored, now)
    if stored.used_at is not None:
        # A used token presented again means it leaked: end the login for everyone holding
        # it, in a transaction of its own since this request's is rolled back by the 401.
        await _revoke_elsewhere(stored.session_id, now)
        raise Unauthorized(ErrorCode.auth_refresh_invalid)
    stored.used_at = now
    pair = await _reissue(session, settings, stored, now)
    successor = json.dumps([pair.access_token, pair.refresh_token])
    stored.successor_enc = pii_cipher().encrypt(successor, field=SUCCESSOR_FIELD)
    return pair


# The PII cipher's associated data for a rotated token's successor pair.
SUCCESSOR_FIELD = "refresh_tokens.successor"


async def _same_pair(
    session: AsyncSession, settings: Settings, stored: RefreshToken, now: datetime
) -> TokenPair:
    """The pair `stored` was rotated into, while the login is alive (a token rotated
    before successors were kept gets a fresh pair of the same login)."""
    if stored.successor_enc is None:
        return await _reissue(session, settings, stored, now)
    await _live_user(session, stored, now)
    access, refresh = json.loads(pii_cipher().decrypt(stored.successor_enc, field=SUCCESSOR_FIELD))
    assert stored.used_at is not None
    elapsed = int((now - stored.used_at).total_seconds())
    return TokenPair(access, refresh, max(0, settings.access_token_minutes * 60 - elapsed))


async def _live_user(
    session: AsyncSession, stored: RefreshToken, now: datetime
) -> tuple[User, AuthSession]:
    """The user and login `stored` belongs to; 401 once the login is revoked or expired
    or the user deactivated."""
    auth_session = await session.get(AuthSession, stored.session_id)
    assert auth_session is not None
    if auth_session.revoked_at is not None or stored.expires_at <= now:
        raise Unauthorized(ErrorCode.auth_refresh_invalid)
    user = await session.get(User, auth_session.user_id)
    if user is None or not user.active:
        raise Unauthorized(ErrorCode.auth_refresh_invalid)
    return user, auth_session


async def _reissue(
    session: AsyncSession, settings: Settings, stored: RefreshToken, now: datetime
) -> TokenPair:
    """A new pair for the login `stored` belongs to, while that login is alive."""
    user, auth_session = await _live_user(session, stored, now)
    return await _issue(session, settings, user, auth_session, now)


async def _revoke_elsewhere(session_id: uuid.UUID, now: datetime) -> None:
    async with get_sessionmaker()() as session, session.begin():
        await session.execute(
            update(AuthSession)
            .where(AuthSession.id == session_id, AuthSession.revoked_at.is_(None))
            .values(revoked_at=now)
        )


async def logout(session: AsyncSession, refresh_token: str, principal: Principal) -> None:
    """Revoke the login the refresh token belongs to; its access tokens stop working too."""
    stored = await session.get(RefreshToken, _hash_refresh(refresh_token))
    if stored is None:
        raise Unauthorized(ErrorCode.auth_refresh_invalid)
    auth_session = await session.get(AuthSession, stored.session_id, with_for_update=True)
    if auth_session is None or auth_session.user_id != principal.user_id:
        raise Unauthorized(ErrorCode.auth_refresh_invalid)
    auth_session.revoked_at = auth_session.revoked_at or clock.utcnow()
