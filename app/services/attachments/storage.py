"""Where attachment content lies: one interface (`AttachmentStore`), two backends.

`database` (the default) keeps the content in PostgreSQL, in `attachment_chunks` rows of
`CHUNK_BYTES`, written in the upload's own transaction: the record and its content
commit or roll back together. `s3` keeps it in an S3-compatible bucket (AWS S3, MinIO,
Ceph, OSS/COS in S3 mode) named by the `attachment_s3_*` settings, for installations
whose files outgrow the database; the bucket must exist. An object is written before
the record commits, so a failed transaction can leave an unreferenced object behind,
never a record without content. Each record names its backend, so rows stored before
a switch of `attachment_storage` still download while both are configured.
"""

from __future__ import annotations

import io
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any, Protocol

from aiobotocore.session import get_session
from botocore.config import Config
from botocore.exceptions import BotoCoreError, ClientError
from sqlalchemy import ColumnElement, insert, select
from sqlalchemy.ext.asyncio import AsyncSession

from app.config import Settings, get_settings
from app.db import get_sessionmaker
from app.errors import ErrorCode, ServiceUnavailable
from app.i18n import Text
from app.models.attachment import AttachmentChunk, AttachmentStorage

# One database row, and one read of the download stream, per this many bytes.
CHUNK_BYTES = 1024 * 1024


async def write_chunks(
    session: AsyncSession,
    model: Any,
    owner: dict[str, Any],
    read: Callable[[int], Awaitable[bytes]],
) -> int:
    """Keep content in rows of `model` (`owner`'s columns, `seq`, `data`), one chunk of
    `CHUNK_BYTES` read and inserted at a time (`read(n)`: at most n bytes, b"" at the
    end), so the content is never held whole; the bytes written."""
    seq = written = 0
    while data := await read(CHUNK_BYTES):
        await session.execute(insert(model), [{**owner, "seq": seq, "data": data}])
        seq, written = seq + 1, written + len(data)
    return written


async def read_chunks(model: Any, owner: ColumnElement[bool]) -> AsyncIterator[bytes]:
    """Content kept by `write_chunks` (the rows of `model` where `owner`), in order, one
    chunk at a time, on a connection of its own."""
    async with get_sessionmaker()() as session:
        seq = 0
        while True:
            data = await session.scalar(select(model.data).where(owner, model.seq == seq))
            if data is None:
                return
            yield data
            seq += 1


class AttachmentStore(Protocol):
    """A place for attachment content, keyed by the attachment's id."""

    kind: AttachmentStorage

    async def put(
        self, session: AsyncSession, attachment_id: uuid.UUID, content: bytes, media_type: str
    ) -> None:
        """Keep `content` (the request's `session` for a backend inside the database)."""
        ...

    def chunks(self, attachment_id: uuid.UUID) -> AsyncIterator[bytes]:
        """The content, in order, read while it streams (a connection of its own)."""
        ...


class DatabaseStore:
    kind = AttachmentStorage.database

    async def put(
        self, session: AsyncSession, attachment_id: uuid.UUID, content: bytes, media_type: str
    ) -> None:
        buffer = io.BytesIO(content)

        async def read(size: int) -> bytes:
            return buffer.read(size)

        await write_chunks(session, AttachmentChunk, {"attachment_id": attachment_id}, read)

    def chunks(self, attachment_id: uuid.UUID) -> AsyncIterator[bytes]:
        return read_chunks(AttachmentChunk, AttachmentChunk.attachment_id == attachment_id)


def _unavailable(reason: str) -> ServiceUnavailable:
    return ServiceUnavailable(ErrorCode.attachment_storage_unavailable, Text(zh=reason, en=reason))


class S3Store:
    """An S3-compatible bucket, spoken to with aiobotocore (SigV4, path-style URLs for a
    custom endpoint)."""

    kind = AttachmentStorage.s3

    def __init__(self, settings: Settings) -> None:
        if not settings.attachment_s3_bucket:
            raise _unavailable("DANGJIAN_ATTACHMENT_S3_BUCKET is not set")
        self.bucket = settings.attachment_s3_bucket
        self.options: dict[str, Any] = {
            "endpoint_url": settings.attachment_s3_endpoint_url,
            "region_name": settings.attachment_s3_region,
            "aws_access_key_id": settings.attachment_s3_access_key_id,
            "aws_secret_access_key": settings.attachment_s3_secret_access_key,
            # A store that does not answer is a 503 within seconds, not a held request.
            "config": Config(
                connect_timeout=3, read_timeout=30, retries={"max_attempts": 2, "mode": "standard"}
            ),
        }

    @staticmethod
    def key(attachment_id: uuid.UUID) -> str:
        return f"attachments/{attachment_id}"

    async def put(
        self, session: AsyncSession, attachment_id: uuid.UUID, content: bytes, media_type: str
    ) -> None:
        try:
            async with get_session().create_client("s3", **self.options) as client:
                await client.put_object(
                    Bucket=self.bucket,
                    Key=self.key(attachment_id),
                    Body=content,
                    ContentType=media_type,
                )
        except (BotoCoreError, ClientError) as exc:
            raise _unavailable(type(exc).__name__) from exc

    async def chunks(self, attachment_id: uuid.UUID) -> AsyncIterator[bytes]:
        try:
            async with get_session().create_client("s3", **self.options) as client:
                answer = await client.get_object(Bucket=self.bucket, Key=self.key(attachment_id))
                async with answer["Body"] as body:
                    while chunk := await body.read(CHUNK_BYTES):
                        yield chunk
        except (BotoCoreError, ClientError) as exc:
            raise _unavailable(type(exc).__name__) from exc


def store(kind: AttachmentStorage | str) -> AttachmentStore:
    """The backend of that name (an upload's: `attachment_storage` in the settings)."""
    if AttachmentStorage(kind) is AttachmentStorage.s3:
        return S3Store(get_settings())
    return DatabaseStore()


async def opened(chunks: AsyncIterator[bytes]) -> AsyncIterator[bytes]:
    """The content with its first chunk already read, so a backend that cannot serve it
    answers the request with a problem (503) before the response starts."""
    try:
        first = await anext(chunks)
    except StopAsyncIteration:
        first = b""

    async def rest() -> AsyncIterator[bytes]:
        if first:
            yield first
        async for chunk in chunks:
            yield chunk

    return rest()
