"""Access tokens: the only module that touches python-jose.

One pinned algorithm (HS256); `exp`, `iss` and `aud` are always checked, so a
token with `alg: none`, another key, another audience or a past `exp` fails.
Refresh tokens are opaque random strings stored hashed (see services/auth.py).
"""

from __future__ import annotations

import uuid
from collections import OrderedDict
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from jose import JWTError, jwt

from app.config import Settings

ALGORITHM = "HS256"


class InvalidToken(Exception):
    """The token is malformed, forged, expired or meant for someone else."""


@dataclass(frozen=True)
class AccessClaims:
    user_id: uuid.UUID
    session_id: uuid.UUID


def bearer_token(authorization: str | None) -> str | None:
    """The token of an `Authorization: Bearer <token>` header value; None for any other
    scheme, or none (the one reading of the header: the principal and the idempotency
    record's owner)."""
    scheme, _, token = (authorization or "").partition(" ")
    if scheme.lower() != "bearer" or not token:
        return None
    return token


def issue_access_token(
    settings: Settings, *, user_id: uuid.UUID, session_id: uuid.UUID, role: str, now: datetime
) -> str:
    claims = {
        "sub": str(user_id),
        "sid": str(session_id),
        "role": role,
        "iss": settings.token_issuer,
        "aud": settings.token_audience,
        "iat": int(now.timestamp()),
        "nbf": int(now.timestamp()),
        "exp": int((now + timedelta(minutes=settings.access_token_minutes)).timestamp()),
        "jti": uuid.uuid4().hex,  # uuid4: a token id must be unguessable, not time-ordered
        "typ": "access",
    }
    token: str = jwt.encode(claims, settings.secret_key, algorithm=ALGORITHM)
    return token


# Verified tokens, so that a client sending the same token on every request pays for
# the signature check and claim parsing once. Keyed by everything the check depends
# on; `exp` and `nbf` are still compared with the clock on every use. Revocation is
# not cached: it is read from the database with the user on every request.
_VERIFIED: OrderedDict[tuple[str, str, str, str], tuple[AccessClaims, int, int]] = OrderedDict()
_VERIFIED_MAX = 4096


def decode_access_token(settings: Settings, token: str) -> AccessClaims:
    key = (token, settings.secret_key, settings.token_audience, settings.token_issuer)
    cached = _VERIFIED.get(key)
    if cached is None:
        cached = _verify(settings, token)
        _VERIFIED[key] = cached
        if len(_VERIFIED) > _VERIFIED_MAX:
            _VERIFIED.popitem(last=False)
    else:
        _VERIFIED.move_to_end(key)
    claims, not_before, expires = cached
    # The one clock for `exp` and `nbf`, fresh or cached (python-jose's own check is off).
    now = utcnow().timestamp()
    if now >= expires:
        raise InvalidToken("expired")
    if now < not_before:
        raise InvalidToken("not yet valid")
    return claims


def _verify(settings: Settings, token: str) -> tuple[AccessClaims, int, int]:
    try:
        header = jwt.get_unverified_header(token)
        if header.get("alg") != ALGORITHM:
            raise InvalidToken("unexpected algorithm")
        claims = jwt.decode(
            token,
            settings.secret_key,
            algorithms=[ALGORITHM],
            audience=settings.token_audience,
            issuer=settings.token_issuer,
            options={
                "require_exp": True,
                "require_iat": True,
                "require_sub": True,
                "verify_exp": False,  # checked by decode_access_token, cached or not
                "verify_nbf": False,
            },
        )
    except JWTError as exc:
        raise InvalidToken(str(exc)) from exc
    if claims.get("typ") != "access":
        raise InvalidToken("not an access token")
    try:
        access = AccessClaims(user_id=uuid.UUID(claims["sub"]), session_id=uuid.UUID(claims["sid"]))
        return access, int(claims.get("nbf", 0)), int(claims["exp"])
    except (KeyError, ValueError, TypeError) as exc:
        raise InvalidToken("malformed claims") from exc


def utcnow() -> datetime:
    return datetime.now(UTC)
