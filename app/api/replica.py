"""Which database serves a replica-routed read (`@replica_read`): the replica, unless
it is down, too far behind, or has not yet replayed the caller's own last write.

One statement on the replica session decides, and the read then runs in the same
transaction (one snapshot):
- **Lag.** A standby with WAL received but not replayed is as old as its last replayed
  transaction (`now() - pg_last_xact_replay_timestamp()`); all received WAL replayed
  is lag 0. Past `replica_max_lag_seconds`, or with no WAL receiver running (the standby
  has lost its primary and cannot tell how far behind it is), the read goes to the
  primary. A server that is not in recovery (a URL naming the primary) is never behind.
- **Read-after-write.** A successful write answers with the primary's WAL position
  after its commit in the `dj_written_lsn` cookie (kept `replica_max_lag_seconds` + 1 s:
  past that the lag rule covers it); a replica read carrying it is served by the
  replica only once the replica has replayed that position. Clients that keep cookies
  (browsers, httpx, the generated client with a cookie jar) read their own writes in
  reports; a forged or stale value can only send its caller to the primary.
- **Down.** A replica that refuses or does not answer (`DatabaseUnavailable`) sends the
  read to the primary, and so does every replica read for `replica_retry_seconds` after,
  without trying it (one connect timeout per retry period, not per request).
Every read sent to the primary this way counts in `dangjian_replica_fallbacks_total`.
"""

from __future__ import annotations

import math
import re
import time

from fastapi import Request, Response
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from app import db
from app.config import Settings
from app.errors import DatabaseUnavailable
from app.metrics import REPLICA_FALLBACKS

WRITTEN_LSN_COOKIE = "dj_written_lsn"
_LSN = re.compile(r"[0-9A-F]{1,8}/[0-9A-F]{1,8}")

_FRESHNESS = """
SELECT pg_is_in_recovery() AS standby,
       CASE WHEN pg_last_wal_receive_lsn() IS NOT DISTINCT FROM pg_last_wal_replay_lsn()
            THEN 0
            ELSE extract(epoch FROM clock_timestamp() - pg_last_xact_replay_timestamp())
       END AS lag,
       EXISTS (SELECT 1 FROM pg_stat_wal_receiver) AS receiving,
       $1::text IS NULL OR pg_last_wal_replay_lsn() >= $1::text::pg_lsn AS replayed
"""

# monotonic() before which the replica is not tried again (it failed just before).
_down_until = 0.0


def written_lsn(request: Request) -> str | None:
    """The caller's last write position from its cookie, if well formed."""
    value = request.cookies.get(WRITTEN_LSN_COOKIE, "").upper()
    return value if _LSN.fullmatch(value) else None


async def _stale_reason(session: AsyncSession, settings: Settings, lsn: str | None) -> str | None:
    """None when the replica may serve this read, else the fallback's reason."""
    row = await db.fetchrow(session, _FRESHNESS, lsn)
    if not row["standby"]:
        return None
    if not row["receiving"] or (row["lag"] or 0) > settings.replica_max_lag_seconds:
        return "lag"
    if not row["replayed"]:
        return "read_after_write"
    return None


async def replica_session(
    request: Request, replicas: async_sessionmaker[AsyncSession], settings: Settings
) -> AsyncSession | None:
    """A session on the replica, its transaction begun and found fresh enough for this
    caller; None when the read must go to the primary (counted by reason)."""
    global _down_until
    if time.monotonic() < _down_until:
        REPLICA_FALLBACKS.labels("down").inc()
        return None
    session = replicas()
    try:
        reason = await _stale_reason(session, settings, written_lsn(request))
    except DatabaseUnavailable:
        _down_until = time.monotonic() + settings.replica_retry_seconds
        reason = "down"
    except BaseException:
        await session.close()
        raise
    if reason is None:
        return session
    await session.close()
    REPLICA_FALLBACKS.labels(reason).inc()
    return None


async def remember_write(session: AsyncSession, response: Response, settings: Settings) -> None:
    """Give a committed write's caller the primary's WAL position (read-after-write).
    The write is committed: a primary lost just now only leaves the cookie out."""
    try:
        lsn = await db.fetchrow(session, "SELECT pg_current_wal_lsn()::text AS lsn")
    except DatabaseUnavailable:
        return
    response.set_cookie(
        WRITTEN_LSN_COOKIE,
        lsn["lsn"],
        max_age=math.ceil(settings.replica_max_lag_seconds) + 1,
        httponly=True,
        samesite="lax",
    )
