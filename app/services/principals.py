"""Who the caller is: the principal of an access token, read from the database, and the
check that a principal known from an earlier request still holds, made by the request's
first read itself (one round trip fewer).

The principal of a request is the token's user and login as they are now: the user
active, the login not revoked, the user's role, organisation (and its path), member
record and username as stored. `principal_from_access_token` reads it with one
statement (`_PRINCIPAL_SQL`) before anything else the request does.

For the routes that opt in (`api.routing.principal_checked_by_read`: the hot reads), a
principal read by an earlier request of the same login is used at once instead, marked
unchecked on the request's session (`LateCheck`). The check is then made by the
request's first statement, in the same round trip and snapshot:

- a plain SELECT (`db.fetch`, `db.fetchrow`) runs wrapped: `principal_guard` (the same
  conditions as `_PRINCIPAL_SQL`'s, with every principal field compared to the known
  one) gates its rows, a one-time filter PostgreSQL tests before it reads anything; the
  rows keep their order (a subquery with ORDER BY is not flattened, the outer query
  only filters); a statement that writes with its read (the audited member read)
  gates its own rows on the guard (`GUARD_CTE` in its text, `guard_values` last);
- any row returned means the principal held when the statement ran: checked;
- no row (the guard failed, or nothing matched) leaves it unchecked, and any other
  statement (a write, a locking read) checks it first the slow way (`confirm`).

Nothing is answered or committed while the principal is unchecked: the route confirms it
before its commit and before an answer or refusal goes out (`confirm_pending`): an
invalid login is 401 as always; a principal that changed (a new role, organisation...)
raises `PrincipalChanged` and the route runs again with the principal read first. The
answer is therefore always the one the slow path gives.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from app import db
from app.config import Settings
from app.errors import Unauthorized
from app.models.enums import Role
from app.security import tokens
from app.security.scope import Principal
from app.sessions import PRINCIPAL_UNCHECKED as UNCHECKED

_FROM = (
    "users AS u JOIN organisations AS o ON o.id = u.org_id "
    "JOIN auth_sessions AS s ON s.user_id = u.id"
)

# A principal's columns (`_principal` reads them in this order) and the login's state.
_COLUMNS = "u.username, u.role, u.org_id, u.member_id, u.active, o.path"

# Every request without a known principal runs this: on the driver connection it skips
# SQLAlchemy's statement and ORM machinery (no User object is needed, only these columns).
_PRINCIPAL_SQL = f"SELECT {_COLUMNS}, s.revoked_at FROM {_FROM} WHERE u.id = $1 AND s.id = $2"  # noqa: S608  # constant text

_USER_PRINCIPAL_SQL = (
    f"SELECT {_COLUMNS} FROM users AS u JOIN organisations AS o ON o.id = u.org_id "  # noqa: S608  # constant text
    "WHERE u.id = $1"
)


def _principal(user_id: uuid.UUID, row: Any, session_id: uuid.UUID | None = None) -> Principal:
    """The principal of a row of `_COLUMNS` (whose `active` the caller checked)."""
    username, role, org_id, member_id, _, path = tuple(row)[:6]
    return Principal(
        user_id=user_id, username=username, role=Role(role), org_id=org_id, org_path=path,
        member_id=member_id, session_id=session_id,
    )  # fmt: skip


def principal_guard(first: int) -> str:
    """A query with a row exactly when the principal of `guard_values` (parameters
    `$first`...) is what `principal_from_access_token` would read now: `_PRINCIPAL_SQL`'s
    conditions (active user, login not revoked) and every field the same."""
    p = [f"${first + i}" for i in range(7)]
    return (
        f"SELECT FROM {_FROM} WHERE u.id = {p[0]}::uuid AND s.id = {p[1]}::uuid "  # noqa: S608  # constant text
        f"AND u.active AND s.revoked_at IS NULL AND u.username = {p[2]}::varchar "
        f"AND u.role = {p[3]}::varchar AND u.org_id = {p[4]}::uuid "
        f"AND u.member_id IS NOT DISTINCT FROM {p[5]}::uuid AND o.path = {p[6]}::varchar"
    )


GUARD_CTE = "dj_principal"  # the name a statement gives `principal_guard` in its WITH


def guard_values(principal: Principal) -> tuple[Any, ...]:
    """The parameters of `principal_guard` for `principal`."""
    return (
        principal.user_id,
        principal.session_id,
        principal.username,
        principal.role.value,
        principal.org_id,
        principal.member_id,
        principal.org_path,
    )


class PrincipalChanged(Exception):
    """The login is valid but its principal is not the one the request started with:
    the route runs again (`api.routing`). Never answered as such."""


# The principals last read per login (user, login): bounded, first in first out.
_KNOWN: dict[tuple[uuid.UUID, uuid.UUID], Principal] = {}
_KNOWN_MAX = 10_000


def _remember(principal: Principal) -> None:
    assert principal.user_id is not None and principal.session_id is not None
    _KNOWN[principal.user_id, principal.session_id] = principal
    if len(_KNOWN) > _KNOWN_MAX:
        del _KNOWN[next(iter(_KNOWN))]


def _forget(user_id: uuid.UUID, session_id: uuid.UUID) -> None:
    _KNOWN.pop((user_id, session_id), None)


async def _read(session: AsyncSession, user_id: uuid.UUID, session_id: uuid.UUID) -> Principal:
    """The principal as stored now (`_PRINCIPAL_SQL`); 401 for an unknown, deactivated or
    revoked login."""
    row = await db.fetchrow_first(session, _PRINCIPAL_SQL, user_id, session_id)
    if row is None:
        _forget(user_id, session_id)
        raise Unauthorized()
    if not row["active"] or row["revoked_at"] is not None:
        _forget(user_id, session_id)
        raise Unauthorized()
    principal = _principal(user_id, row, session_id)
    _remember(principal)
    return principal


async def principal_from_access_token(
    session: AsyncSession, settings: Settings, token: str, *, late: bool = False
) -> Principal:
    """Decode the token and load the user, their organisation path and the login state.
    With `late`, a principal an earlier request of this login read is returned at once,
    to be checked by the request's first read (module docstring)."""
    try:
        claims = tokens.decode_access_token(settings, token)
    except tokens.InvalidToken as exc:
        raise Unauthorized() from exc
    if late:
        known = _KNOWN.get((claims.user_id, claims.session_id))
        if known is not None:
            session.info[UNCHECKED] = LateCheck(known)
            return known
    return await _read(session, claims.user_id, claims.session_id)


async def principal_of_user(session: AsyncSession, user_id: uuid.UUID) -> Principal | None:
    """The principal of a user acting outside a request (a queued import run by the
    worker): their role and organisation as they are now; None once deactivated."""
    row = await db.fetchrow(session, _USER_PRINCIPAL_SQL, user_id)
    if row is None or not row["active"]:
        return None
    return _principal(user_id, row)


class LateCheck:
    """A request's principal known from an earlier request, not yet checked (held in the
    session's `info` under `sessions.UNCHECKED` until it is)."""

    __slots__ = ("principal", "values")

    def __init__(self, principal: Principal) -> None:
        self.principal = principal
        self.values = guard_values(principal)

    async def run(
        self,
        session: AsyncSession,
        method: str,
        sql: str,
        args: Sequence[Any],
        begin: bool | None,
        gated: bool,
    ) -> Any:
        """Run a driver statement of the request (`db`): a plain read wrapped in the
        guard, or one that is `gated` on it, checks the principal when it returns a row;
        anything else runs once the principal is confirmed."""
        info = session.info
        del info[UNCHECKED]
        if not gated and (method not in ("fetch", "fetchrow") or db.writes(sql)):
            await self.confirm(session)
            return await db.run_driver(session, method, sql, args, begin)
        if not gated:
            sql, args = _guarded(sql, len(args)), (*args, *self.values)
        try:
            result = await db.run_driver(session, method, sql, args, begin, first=True)
        except BaseException:
            info[UNCHECKED] = self  # a refusal too waits for the check
            raise
        if not result:
            info[UNCHECKED] = self  # still to be confirmed
        return result

    async def confirm(self, session: AsyncSession) -> None:
        """Check the principal the slow way: 401 if the login is no longer valid,
        `PrincipalChanged` if it is but its principal differs."""
        session.info.pop(UNCHECKED, None)
        known = self.principal
        assert known.user_id is not None and known.session_id is not None
        current = await _read(session, known.user_id, known.session_id)
        if current != known:
            raise PrincipalChanged()


async def confirm_pending(session: AsyncSession) -> None:
    """Confirm the request's principal if it is still unchecked (`LateCheck.confirm`)."""
    check: LateCheck | None = session.info.get(UNCHECKED)
    if check is not None:
        await check.confirm(session)


_GUARDED: dict[tuple[str, int], str] = {}
_GUARDED_MAX = 512  # texts of up to ~12 KB; the driver caches 100 statements a connection


def _guarded(sql: str, count: int) -> str:
    """`sql` (a plain SELECT of `count` parameters) returning its rows only while the
    principal guard holds: one text per statement, kept (the driver's statement cache
    looks texts up by hash, and a new copy of a long text is hashed again)."""
    key = (sql, count)
    text = _GUARDED.get(key)
    if text is None:
        text = (
            f"WITH {GUARD_CTE} AS ({principal_guard(count + 1)}) SELECT dj_rows.* "  # noqa: S608  # the app's own statement
            f"FROM ({sql}) AS dj_rows WHERE EXISTS (SELECT FROM {GUARD_CTE})"
        )
        if len(_GUARDED) >= _GUARDED_MAX:
            del _GUARDED[next(iter(_GUARDED))]  # the oldest
        _GUARDED[key] = text
    return text
