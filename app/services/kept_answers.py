"""Answers kept by this process and served again while the table they were read from is
unchanged: the one place that decides when a kept answer may be sent.

A versioned table (`app.models.versions`) has a counter that every committed write to it
moves on, in the writing transaction. A request reads the version first (its first
statement: for a hot read it is also the login's check, `services.principals`); an
answer kept at that same version is sent as it was written, without reading or
rendering it again. Otherwise the answer is read and kept, stamped with the version read
*before* it: the answer then shows at least the writes of its stamp, and any write that
it might show beyond them moved the version past its stamp, so it is never served as
current after a write it does not show.

An answer is kept with the organisation path it was read for and is sent only to a
principal whose scope covers that path (`Scope.covers`); a refusal (absent, out of
scope) is never kept: it is read and answered the usual way. Kept answers are bounded
by `Settings.kept_answer_bytes` per process (0 keeps none), oldest used first out.
"""

from __future__ import annotations

import uuid
from collections import OrderedDict
from collections.abc import Awaitable, Callable, Hashable
from dataclasses import dataclass

from sqlalchemy.ext.asyncio import AsyncSession

from app import db
from app.config import get_settings
from app.metrics import KEPT_ANSWERS
from app.security.scope import Principal

Version = tuple[uuid.UUID, int]  # (epoch, counter) of a `table_versions` row

# No version inside a transaction that has written: what it reads may include its own
# writes, which a rollback would leave unwritten under a counter another write reuses.
_VERSION_SQL = (
    "SELECT epoch, counter FROM table_versions "
    "WHERE table_name = $1 AND pg_current_xact_id_if_assigned() IS NULL"
)

# A single answer above this share of the bound is not kept (it would evict the rest).
_LARGEST_SHARE = 8


@dataclass(frozen=True, slots=True)
class _Kept:
    version: Version
    path: str  # the organisation the answer was read for
    body: bytes


class KeptAnswers:
    """The answers of one `kind` (its name in the metrics), read from `table` (a
    `VERSIONED_TABLES` entry)."""

    def __init__(self, kind: str, table: str) -> None:
        self.table = table
        self._answers: OrderedDict[Hashable, _Kept] = OrderedDict()
        self._bytes = 0
        self._sent = KEPT_ANSWERS.labels(kind, "sent")
        self._read = KEPT_ANSWERS.labels(kind, "read")

    async def answer(
        self,
        session: AsyncSession,
        key: Hashable,
        principal: Principal,
        read: Callable[[], Awaitable[tuple[bytes, str]]],
    ) -> bytes:
        """The answer for `key`: kept, or `read` (its body and the organisation path it
        was read for) and kept, stamped with the version read before it (module
        docstring: the order is what makes a kept answer never older than its stamp)."""
        version = await self.version(session)
        body = self.get(key, version, principal)
        if body is None:
            body, path = await read()
            self.keep(key, version, path, body)
        return body

    async def version(self, session: AsyncSession) -> Version | None:
        """The table's version as the session sees it now; None (nothing is kept or
        sent) if it has no row (a truncated `table_versions`, until the table's next
        write) or the session's transaction has written."""
        row = await db.fetchrow(session, _VERSION_SQL, self.table)
        return None if row is None else (row[0], row[1])

    def get(self, key: Hashable, version: Version | None, principal: Principal) -> bytes | None:
        """The answer kept for `key` at `version`, if `principal` may be sent it; None:
        the caller reads it (and may `keep` it)."""
        body = self._kept(key, version, principal)
        (self._read if body is None else self._sent).inc()
        return body

    def _kept(self, key: Hashable, version: Version | None, principal: Principal) -> bytes | None:
        kept = self._answers.get(key)
        if kept is None or version is None or not get_settings().kept_answer_bytes:
            return None
        if kept.version != version:
            self._drop(key)
            return None
        if not principal.scope.covers(kept.path):
            return None
        self._answers.move_to_end(key)
        return kept.body

    def keep(self, key: Hashable, version: Version | None, path: str, body: bytes) -> None:
        """Keep `body`, read for the organisation at `path` after `version` was read."""
        limit = get_settings().kept_answer_bytes
        if version is None or len(body) > limit // _LARGEST_SHARE:
            return
        self._drop(key)
        self._answers[key] = _Kept(version, path, body)
        self._bytes += len(body)
        while self._bytes > limit:
            self._drop(next(iter(self._answers)))

    def _drop(self, key: Hashable) -> None:
        kept = self._answers.pop(key, None)
        if kept is not None:
            self._bytes -= len(kept.body)
