"""Route infrastructure: one session per request, committed before the response is sent.

`DangjianRoute` opens the request's `AsyncSession`, runs the endpoint, stores the
response of a POST carrying `Idempotency-Key` in the same transaction, and only
then commits. Services never commit; an exception rolls everything back. A read
(GET, HEAD, OPTIONS) serves its driver SELECTs without BEGIN/COMMIT (`db.serve_reads`:
under READ COMMITTED each statement has its own snapshot anyway) and, when it began
no transaction, is closed rather than committed (`db.nothing_to_commit`).

It also keeps the answers' order when a dependency loads the path's resource
(`VisibleMember`, `VisibleOrganisation`): FastAPI resolves dependencies before it
validates the endpoint's own query, header and body parameters, so a loader that
raised its 404 would answer before a 422 that bad input must get. A loader marked
`@defers_refusal` returns its refusal as a `Deferred` value instead, and the route
raises it just before the endpoint runs, that is only once every parameter was valid.

A route marked `@principal_checked_by_read` may start with the caller's principal as an
earlier request of the same login read it, checked by its first read
(`services.principals`); the route confirms it before committing and before anything
is answered, a refusal included, and runs once more, the principal read first, if the
login's principal changed.
"""

from __future__ import annotations

import functools
import hashlib
import uuid
from collections.abc import Awaitable, Callable, Coroutine
from typing import Annotated, Any, TypeVar, get_args, get_origin, get_type_hints

from fastapi import Request, Response, params
from sqlalchemy import delete, select, update
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession
from starlette.types import Message

from app.api import replica
from app.api.solver import SolvedRoute
from app.config import get_settings
from app.db import (
    commit,
    get_replica_sessionmaker,
    get_sessionmaker,
    nothing_to_commit,
    serve_reads,
)
from app.errors import Conflict, DangjianError, DatabaseUnavailable, ErrorCode, Unprocessable
from app.i18n import Text
from app.models.audit import IdempotencyRecord
from app.security.tokens import InvalidToken, bearer_token, decode_access_token
from app.services.integration import audit
from app.services.principals import PrincipalChanged, confirm_pending

F = TypeVar("F", bound=Callable[..., Any])

# Headers worth replaying with a stored response.
_REPLAYED_HEADERS = ("location", "etag", "content-type")
_READS = ("GET", "HEAD", "OPTIONS")


def _idempotency_user(request: Request) -> str | None:
    """The caller's user id from the bearer token, or None when it cannot be read."""
    token = bearer_token(request.headers.get("authorization"))
    if token is None:
        return None
    try:
        return str(decode_access_token(get_settings(), token).user_id)
    except InvalidToken:
        return None


class _Fingerprint:
    """A request's fingerprint (SHA-256 of method, path, query and body) taken from the
    body as the endpoint reads it, through `receive`: never the body held whole (an
    import upload may be 50 MB).

    A multipart body's boundary is left out: a client draws a new one for every request,
    so the same file sent again under the same key is the same request."""

    def __init__(self, request: Request) -> None:
        self._digest = hashlib.sha256()
        for part in (request.method, request.url.path, request.url.query):
            self._digest.update(part.encode() + b"\x00")
        self._receive = request.receive
        self._done = False
        self._boundary = _multipart_boundary(request.headers.get("content-type", ""))
        self._held = b""  # the end of what came, which may begin a boundary

    async def receive(self) -> Message:
        message = await self._receive()
        if message["type"] == "http.request":
            self._take(message.get("body", b""))
            self._done = not message.get("more_body", False)
        else:  # the client went away: nothing more will come
            self._done = True
        return message

    def _take(self, chunk: bytes) -> None:
        if not self._boundary:
            self._digest.update(chunk)
            return
        data = (self._held + chunk).replace(self._boundary, b"")
        keep = len(self._boundary) - 1
        self._digest.update(data[:-keep])
        self._held = data[-keep:]

    async def value(self) -> bytes:
        """The fingerprint, once the rest of the body (what the endpoint left unread, or
        all of it) has gone through."""
        while not self._done:
            await self.receive()
        self._digest.update(self._held)
        self._held = b""
        return self._digest.digest()


def _multipart_boundary(content_type: str) -> bytes:
    kind, _, params = content_type.partition(";")
    if kind.strip().lower() != "multipart/form-data":
        return b""
    for param in params.split(";"):
        name, _, value = param.strip().partition("=")
        if name.lower() == "boundary" and len(value.strip('"')) > 1:
            return value.strip('"').encode("latin-1")
    return b""


def replica_read(endpoint: F) -> F:
    """Mark a GET endpoint whose reads may go to the read replica (lists and reports that
    write nothing: never ledger balances, never read-after-write)."""
    endpoint.__dict__["replica_read"] = True
    return endpoint


def principal_checked_by_read(endpoint: F) -> F:
    """Mark an endpoint whose first read may check the caller's login in the same
    statement (`services.principals`): a hot path, one round trip fewer."""
    endpoint.__dict__["principal_checked_by_read"] = True
    return endpoint


class Deferred:
    """A path resource's refusal (404), held until the endpoint's parameters are valid."""

    __slots__ = ("error",)

    def __init__(self, error: DangjianError) -> None:
        self.error = error


_DEFERRING: set[Callable[..., Any]] = set()


def defers_refusal(loader: F) -> F:
    """Mark a dependency that returns `Deferred(error)` rather than raising it."""
    _DEFERRING.add(loader)
    return loader


def _uses_deferring_loader(endpoint: Callable[..., Any]) -> bool:
    for hint in get_type_hints(endpoint, include_extras=True).values():
        if get_origin(hint) is Annotated and any(
            isinstance(meta, params.Depends) and meta.dependency in _DEFERRING
            for meta in get_args(hint)[1:]
        ):
            return True
    return False


def _raising_deferred(endpoint: Callable[..., Any]) -> Callable[..., Any]:
    """The endpoint, first raising a loader's deferred refusal (FastAPI calls it only
    once the parameters validated). Endpoints without such a loader run as they are."""
    if getattr(endpoint, "raises_deferred", False) or not _uses_deferring_loader(endpoint):
        return endpoint

    @functools.wraps(endpoint)
    async def guarded(**values: Any) -> Any:
        for value in values.values():
            if isinstance(value, Deferred):
                raise value.error
        return await endpoint(**values)

    guarded.__dict__["raises_deferred"] = True
    return guarded


class DangjianRoute(SolvedRoute):
    def __init__(self, path: str, endpoint: Callable[..., Any], **kwargs: Any) -> None:
        super().__init__(path, _raising_deferred(endpoint), **kwargs)

    def get_route_handler(self) -> Callable[[Request], Coroutine[Any, Any, Response]]:
        handler = super().get_route_handler()
        on_replica = getattr(self.endpoint, "replica_read", False)
        late = getattr(self.endpoint, "principal_checked_by_read", False)

        async def route_handler(request: Request) -> Response:
            try:
                return await serve(request, late)
            except PrincipalChanged:
                # The login is valid, its principal is not the one the request started
                # with: everything was rolled back; again, the principal read first.
                return await serve(request, False)

        async def serve(request: Request, late: bool) -> Response:
            key = request.headers.get("idempotency-key")
            user_id = _idempotency_user(request) if request.method == "POST" and key else None
            replicas = get_replica_sessionmaker()
            settings = get_settings()
            replica_db = None
            if replicas is not None and on_replica and request.method == "GET":
                replica_db = await replica.replica_session(request, replicas, settings)
            request.state.on_replica = replica_db is not None
            request.state.principal_late = late
            async with replica_db or get_sessionmaker()() as session:
                request.state.db = session
                if request.method in _READS:
                    serve_reads(session)
                try:
                    if key is not None and user_id is not None:
                        response = await _run_idempotent(request, handler, key, user_id)
                    else:
                        response = await handler(request)
                    await audit.write_pending(session)
                    await confirm_pending(session)  # nothing answered for an unchecked login
                    if not nothing_to_commit(session):
                        await commit(session)
                except BaseException as exc:
                    await session.rollback()
                    if isinstance(exc, Exception) and not isinstance(exc, DatabaseUnavailable):
                        # A refusal too waits for the login's check: 401 (or the route
                        # again) comes before what an unchecked principal was refused.
                        await confirm_pending(session)
                    raise
                if (
                    replicas is not None
                    and request.method not in _READS
                    and response.status_code < 400
                ):
                    await replica.remember_write(session, response, settings)
            return response

        return route_handler


async def _claim(session: AsyncSession, owner: uuid.UUID, key: str, request: Request) -> bool:
    """Insert the key's placeholder; False when another request already holds the key.
    Its fingerprint is stored with the outcome (the body is read by then)."""
    claimed = await session.scalar(
        insert(IdempotencyRecord)
        .values(
            user_id=owner,
            key=key,
            method=request.method,
            path=request.url.path,
            request_hash=b"",
            status_code=0,
            headers={},
            body=b"",
        )
        .on_conflict_do_nothing(index_elements=["user_id", "key"])
        .returning(IdempotencyRecord.key)
    )
    return claimed is not None


async def _replay(
    session: AsyncSession, owner: uuid.UUID, key: str, fingerprint: bytes
) -> Response:
    """The stored response of the key's first request, marked as replayed."""
    stored = await session.scalar(
        select(IdempotencyRecord).where(
            IdempotencyRecord.user_id == owner, IdempotencyRecord.key == key
        )
    )
    if stored is None or stored.status_code == 0:
        raise Conflict(ErrorCode.idempotency_in_progress)
    if stored.request_hash != fingerprint:
        raise Unprocessable(ErrorCode.idempotency_key_reused)
    headers = dict(stored.headers)
    headers["idempotent-replayed"] = "true"
    return Response(content=stored.body, status_code=stored.status_code, headers=headers)


async def _store_outcome(
    session: AsyncSession, owner: uuid.UUID, key: str, response: Response, fingerprint: bytes
) -> None:
    """Keep a success for replay; a failed attempt leaves the key free for a retry."""
    record = (IdempotencyRecord.user_id == owner) & (IdempotencyRecord.key == key)
    if 200 <= response.status_code < 300:
        await session.execute(
            update(IdempotencyRecord)
            .where(record)
            .values(
                status_code=response.status_code,
                request_hash=fingerprint,
                headers={k: v for k, v in response.headers.items() if k in _REPLAYED_HEADERS},
                body=bytes(response.body),
            )
        )
    else:
        await session.execute(delete(IdempotencyRecord).where(record))


async def _run_idempotent(
    request: Request,
    handler: Callable[[Request], Awaitable[Response]],
    key: str,
    user_id: str,
) -> Response:
    """Claim the key first, then run: concurrent retries wait for the first and replay it.

    The claim is an INSERT ... ON CONFLICT DO NOTHING in the request's transaction.
    A concurrent retry's INSERT waits until the first transaction ends: if it
    committed, the retry reads and replays the stored response; if it rolled back
    (an error), the claim is free again and the retry runs afresh.
    """
    if not 1 <= len(key) <= 255:
        raise Unprocessable.field(
            "Idempotency-Key",
            ErrorCode.idempotency_key_invalid,
            Text(zh="长度须为 1-255 个字符", en="1-255 characters"),
        )
    session = request.state.db
    fingerprint = _Fingerprint(request)
    owner = uuid.UUID(user_id)
    if not await _claim(session, owner, key, request):
        return await _replay(session, owner, key, await fingerprint.value())
    # The endpoint reads the body through the fingerprint; the request's state (session,
    # principal) lives in the scope, shared by both request objects.
    response = await handler(Request(request.scope, fingerprint.receive))
    await _store_outcome(session, owner, key, response, await fingerprint.value())
    return response
