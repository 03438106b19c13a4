"""Access tokens: the only module that touches python-jose.

One pinned algorithm (HS256); `exp`, `iss` and `aud` are always checked, so a
token with `alg: none`, another key, another audience or a past `exp` fails.
Refresh tokens are opaque random strings stored hashed (see services/auth.py).
"""

from __future__ import annotations

import uuid
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
        "jti": uuid.uuid4().hex,
        "typ": "access",
    }
    token: str = jwt.encode(claims, settings.secret_key, algorithm=ALGORITHM)
    return token


def decode_access_token(settings: Settings, token: str) -> AccessClaims:
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
            options={"require_exp": True, "require_iat": True, "require_sub": True},
        )
    except JWTError as exc:
        raise InvalidToken(str(exc)) from exc
    if claims.get("typ") != "access":
        raise InvalidToken("not an access token")
    try:
        return AccessClaims(user_id=uuid.UUID(claims["sub"]), session_id=uuid.UUID(claims["sid"]))
    except (KeyError, ValueError, TypeError) as exc:
        raise InvalidToken("malformed claims") from exc


def utcnow() -> datetime:
    return datetime.now(UTC)
