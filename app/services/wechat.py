"""WeChat mini-program identity (微信登录): a login code exchanged through `jscode2session`
for our tokens; an openid bound to one user, once, after a password login or with a
binding code an administrator issued; unbound by the user or an administrator.

The openid and unionid are kept as keyed blind indexes (lookup) and PII-cipher blobs,
never in clear; the session key is dropped at once. Neither appears in a response, an
audit entry or a log line.
"""

from __future__ import annotations

import hashlib
import secrets
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import httpx
from sqlalchemy import delete, select
from sqlalchemy.ext.asyncio import AsyncSession

from app import clock
from app.config import Settings
from app.errors import (
    Conflict,
    ErrorCode,
    Forbidden,
    NotFound,
    ServiceUnavailable,
    Unauthorized,
)
from app.models.organisation import Organisation
from app.models.sign_in import WechatBindingCode, WechatIdentity
from app.models.user import User
from app.security.pii import pii_cipher
from app.security.scope import Principal
from app.services.auth import TokenPair, start_login
from app.services.integration import audit
from app.services.users import require_manages

OPENID, UNIONID = "wechat_openid", "wechat_unionid"
# jscode2session's errcode for a login code that is invalid (40029) or used (40163).
CODE_ERRORS = frozenset({40029, 40163, 40226})
BINDING_CODE_ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"  # no 0/O, 1/I
BINDING_CODE_LENGTH = 10


@dataclass(frozen=True)
class WechatUser:
    """Who jscode2session says the code belongs to (the session key is not kept)."""

    openid: str
    unionid: str | None


@dataclass(frozen=True)
class BindingCode:
    code: str
    expires_at: datetime


async def exchange_code(settings: Settings, code: str) -> WechatUser:
    """GET {wechat_api_base}/sns/jscode2session: the mini-program login code for the
    openid (and unionid). A refused code is 401 `wechat.code_invalid`; WeChat login not
    configured on this server is 403 `wechat.not_configured`; no answer is 503."""
    if not settings.wechat_app_id or not settings.wechat_app_secret:
        raise Forbidden(ErrorCode.wechat_not_configured)
    params = {
        "appid": settings.wechat_app_id,
        "secret": settings.wechat_app_secret,
        "js_code": code,
        "grant_type": "authorization_code",
    }
    try:
        async with httpx.AsyncClient(
            base_url=settings.wechat_api_base, timeout=settings.wechat_timeout_seconds
        ) as client:
            response = await client.get("/sns/jscode2session", params=params)
        body: Any = response.json()
    except (httpx.HTTPError, ValueError):
        raise ServiceUnavailable(ErrorCode.wechat_unavailable) from None
    if not isinstance(body, dict):
        raise ServiceUnavailable(ErrorCode.wechat_unavailable)
    errcode = body.get("errcode") or 0
    if errcode in CODE_ERRORS:
        raise Unauthorized(ErrorCode.wechat_code_invalid)
    openid = body.get("openid")
    if errcode or not isinstance(openid, str) or not openid:
        raise ServiceUnavailable(ErrorCode.wechat_unavailable)
    unionid = body.get("unionid")
    return WechatUser(openid, unionid if isinstance(unionid, str) and unionid else None)


def _index(value: str, field: str) -> bytes:
    return pii_cipher().blind_index(value, field=field)


async def _bound_user(session: AsyncSession, who: WechatUser) -> User | None:
    identity = await session.scalar(
        select(WechatIdentity).where(WechatIdentity.openid_index == _index(who.openid, OPENID))
    )
    return None if identity is None else await session.get(User, identity.user_id)


async def login(
    session: AsyncSession, settings: Settings, code: str, binding_code: str | None
) -> TokenPair:
    """Sign in with WeChat (微信登录): the mini-program's login code for our tokens. An
    openid bound to nobody is 401 `wechat.not_bound`, unless a binding code an
    administrator issued comes with it: then it is bound to that code's user first."""
    who = await exchange_code(settings, code)
    now = clock.utcnow()
    user = await _bound_user(session, who)
    if user is None and binding_code is not None:
        user = await _redeem(session, binding_code, now)
        await _bind(session, None, user, who, now)
    if user is None:
        raise Unauthorized(ErrorCode.wechat_not_bound)
    if not user.active:
        raise Unauthorized(ErrorCode.auth_invalid_credentials)
    return await start_login(session, settings, user, now)


async def bind(
    session: AsyncSession, settings: Settings, principal: Principal, code: str
) -> WechatIdentity:
    """Bind the WeChat of this login code to the signed-in user (绑定微信), once: a user
    has one WeChat, a WeChat one user (`wechat.already_bound`)."""
    who = await exchange_code(settings, code)
    user = await session.get(User, principal.user_id, with_for_update=True)
    assert user is not None
    return await _bind(session, principal, user, who, clock.utcnow())


async def _bind(
    session: AsyncSession, principal: Principal | None, user: User, who: WechatUser, now: datetime
) -> WechatIdentity:
    openid_index = _index(who.openid, OPENID)
    unionid_index = _index(who.unionid, UNIONID) if who.unionid else None
    taken = select(WechatIdentity.id).where(
        (WechatIdentity.user_id == user.id)
        | (WechatIdentity.openid_index == openid_index)
        | ((WechatIdentity.unionid_index == unionid_index) if unionid_index is not None else False)
    )
    if await session.scalar(taken.limit(1)) is not None:
        raise Conflict(ErrorCode.wechat_already_bound)
    cipher = pii_cipher()
    identity = WechatIdentity(
        user_id=user.id,
        openid_index=openid_index,
        openid_enc=cipher.encrypt(who.openid, field=OPENID),
        unionid_index=unionid_index,
        unionid_enc=cipher.encrypt(who.unionid, field=UNIONID) if who.unionid else None,
        bound_at=now,
    )
    session.add(identity)
    await session.flush()
    audit.record(
        session,
        principal,
        "user.wechat_bound",
        "user",
        user.id,
        await _path(session, user),
        after={"unionid": who.unionid is not None},
    )
    return identity


async def unbind(session: AsyncSession, principal: Principal, user: User) -> None:
    """Remove the user's WeChat binding (解绑): by the user, or whoever may manage the
    user's account."""
    if user.id != principal.user_id:
        require_manages(principal, user)
    deleted = await session.execute(
        delete(WechatIdentity).where(WechatIdentity.user_id == user.id).returning(WechatIdentity.id)
    )
    if deleted.first() is None:
        raise NotFound(ErrorCode.wechat_no_binding)
    audit.record(
        session, principal, "user.wechat_unbound", "user", user.id, await _path(session, user)
    )


async def binding_of(session: AsyncSession, user_id: uuid.UUID) -> WechatIdentity | None:
    return await session.scalar(select(WechatIdentity).where(WechatIdentity.user_id == user_id))


async def openid_of(session: AsyncSession, user_id: uuid.UUID) -> str | None:
    """The user's bound openid in clear, for the subscribe message sent to them (never
    for a response or a log line); None when WeChat is not bound."""
    binding = await binding_of(session, user_id)
    if binding is None:
        return None
    return pii_cipher().decrypt(binding.openid_enc, field=OPENID)


async def _path(session: AsyncSession, user: User) -> str:
    """The user's organisation path: where its audit entries are visible."""
    path = await session.scalar(select(Organisation.path).where(Organisation.id == user.org_id))
    assert path is not None
    return path


def _hash(code: str) -> bytes:
    return hashlib.sha256(code.strip().upper().encode()).digest()


async def issue_binding_code(
    session: AsyncSession, settings: Settings, principal: Principal, user: User
) -> BindingCode:
    """A one-time binding code (绑定码) for a user in your scope, valid for
    `DANGJIAN_WECHAT_BINDING_CODE_HOURS`: the user signs in with WeChat and the code
    instead of a password. Whoever may manage the user's account issues it."""
    require_manages(principal, user)
    code = "".join(secrets.choice(BINDING_CODE_ALPHABET) for _ in range(BINDING_CODE_LENGTH))
    expires_at = clock.utcnow() + timedelta(hours=settings.wechat_binding_code_hours)
    session.add(
        WechatBindingCode(
            code_hash=_hash(code),
            user_id=user.id,
            issued_by=principal.user_id,
            expires_at=expires_at,
        )
    )
    await session.flush()
    audit.record(
        session,
        principal,
        "user.wechat_binding_code_issued",
        "user",
        user.id,
        await _path(session, user),
    )
    return BindingCode(code, expires_at)


async def _redeem(session: AsyncSession, code: str, now: datetime) -> User:
    stored = await session.get(WechatBindingCode, _hash(code), with_for_update=True)
    if stored is None or stored.used_at is not None or stored.expires_at <= now:
        raise Unauthorized(ErrorCode.wechat_binding_code_invalid)
    stored.used_at = now
    user = await session.get(User, stored.user_id, with_for_update=True)
    assert user is not None
    return user
