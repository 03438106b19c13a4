"""Attachments (附件): upload, list, download and delete the files of a record.

The type is read from the content (its magic bytes), never from the name: it must be
one of `attachment_allowed_types`, and a name or declared type that says otherwise is
refused. Uploads are at most `attachment_max_bytes`. Each file keeps its SHA-256. A
deleted file stays as a tombstone: out of every list and download, still in the audit
trail. Every upload, download and delete is audited (resource `attachment`, filed under
the owner's organisation); an upload and a delete are events on the owner's change feed.
"""

from __future__ import annotations

import hashlib
import mimetypes
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass
from pathlib import PureWindowsPath
from typing import Any, Literal

import filetype
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from app.clock import utcnow
from app.config import get_settings
from app.errors import ErrorCode, NotFound, Unprocessable
from app.i18n import Text
from app.models.attachment import Attachment, AttachmentOwnerKind
from app.pagination import Page, decode_cursor, paginate, parse_sort
from app.schemas.common import storable_text
from app.security.scope import Principal
from app.services.attachments import storage
from app.services.attachments.owners import OWNERS, Owner, load_owner
from app.services.integration import audit, changes

ATTACHMENT_SORT = "created_at"
ATTACHMENT_SORTABLE = {"created_at": Attachment.created_at}
AUDITED = ("filename", "media_type", "size_bytes", "sha256", "storage")
# Declared types that say nothing about the content.
_UNSPECIFIC = {"", "application/octet-stream", "binary/octet-stream"}


def _filename(raw: str) -> str:
    """The upload's base name (a browser may send a whole Windows or POSIX path)."""
    name = PureWindowsPath(raw.replace("/", "\\")).name.strip()
    if not name or not storable_text(name):
        raise Unprocessable.field("file", ErrorCode.request_text_invalid)
    return name[-255:]


def sniff_type(content: bytes, filename: str, declared: str | None) -> str:
    """The content's media type by its magic bytes, when it is allowed and nothing the
    client said contradicts it; else 422 naming `file`."""
    allowed = get_settings().attachment_type_list()
    sniffed: str | None = filetype.guess_mime(content)
    if sniffed is None or sniffed not in allowed:
        raise Unprocessable.field(
            "file",
            ErrorCode.attachment_type_not_allowed,
            Text(
                zh=f"文件内容为 {sniffed or '未知类型'}；允许：{', '.join(sorted(allowed))}",
                en=f"the content is {sniffed or 'of no known type'}; allowed: {sorted(allowed)}",
            ),
        )
    by_name, _ = mimetypes.guess_type(filename, strict=False)
    stated = (declared or "").split(";")[0].strip().lower()
    for claim in (by_name, None if stated in _UNSPECIFIC else stated):
        if claim is not None and claim != sniffed:
            raise Unprocessable.field(
                "file",
                ErrorCode.attachment_type_mismatch,
                Text(
                    zh=f"文件内容为 {sniffed}，但文件名或声明的类型为 {claim}",
                    en=f"the content is {sniffed} but the name or declared type says {claim}",
                ),
            )
    return sniffed


async def _read_limited(read: Callable[[int], Awaitable[bytes]]) -> bytes:
    limit = get_settings().attachment_max_bytes
    content = await read(limit + 1)
    if len(content) > limit:
        raise Unprocessable.field(
            "file",
            ErrorCode.attachment_too_large,
            Text(zh=f"最多 {limit} 字节", en=f"{limit} bytes at most"),
        )
    if not content:
        raise Unprocessable.field("file", ErrorCode.attachment_empty)
    return content


async def upload(
    session: AsyncSession,
    principal: Principal,
    kind: AttachmentOwnerKind,
    owner_id: uuid.UUID,
    *,
    filename: str,
    declared_type: str | None,
    read: Callable[[int], Awaitable[bytes]],
    description: str | None,
) -> Attachment:
    """Attach a file (PDF, JPEG, PNG, DOCX or XLSX by default, recognised from its
    content) to the record. A name or declared type that contradicts the content is
    refused (422 `attachment.type_mismatch`), as is a type not allowed (422
    `attachment.type_not_allowed`) or a file over the size limit (422
    `attachment.too_large`). The answer carries the file's SHA-256."""
    owner = await load_owner(session, principal, kind, owner_id)
    OWNERS[owner.kind].require_writer(principal)
    name = _filename(filename)
    if description is not None and not storable_text(description):
        raise Unprocessable.field("description", ErrorCode.request_text_invalid)
    content = await _read_limited(read)
    media_type = sniff_type(content, name, declared_type)
    backend = storage.store(get_settings().attachment_storage)
    row = Attachment(
        owner_kind=owner.kind.value, owner_id=owner.id, filename=name, media_type=media_type,
        size_bytes=len(content), sha256=hashlib.sha256(content).hexdigest(),
        storage=backend.kind.value, description=description, uploaded_by=principal.user_id,
    )  # fmt: skip
    session.add(row)
    await session.flush()
    await backend.put(session, row.id, content, media_type)
    await _record(session, principal, owner, row, "added")
    return row


def _audited(owner: Owner, row: Attachment) -> dict[str, Any]:
    """What an audit row says of a file: its owner, name, type, size, hash and backend."""
    return {"owner_kind": owner.kind.value, "owner_id": str(owner.id)} | audit.snapshot(
        row, AUDITED
    )


async def _record(
    session: AsyncSession,
    principal: Principal,
    owner: Owner,
    row: Attachment,
    action: Literal["added", "deleted"],
) -> None:
    """The audit row of one change, and the owner's change-feed event
    (`member.attachment_added`, `meeting.attachment_deleted`, ...)."""
    audit.record(
        session, principal, f"attachment.{action}", "attachment",
        row.id, owner.org_path, after=_audited(owner, row),
    )  # fmt: skip
    kind = OWNERS[owner.kind]
    event = kind.added if action == "added" else kind.deleted
    await changes.record_event(session, owner.record, event, {"attachment_id": str(row.id)})


async def list_for(
    session: AsyncSession,
    principal: Principal,
    kind: AttachmentOwnerKind,
    owner_id: uuid.UUID,
    *,
    limit: int | None,
    cursor: str | None,
    sort: str | None,
    include_total: bool,
) -> Page[Attachment]:
    """The record's files, oldest first; deleted ones are left out. A bad sort or cursor
    is refused (422) before the owner is looked for (404), as on every list."""
    keys = parse_sort(sort, ATTACHMENT_SORTABLE, Attachment.id, default=ATTACHMENT_SORT)
    if cursor:
        decode_cursor(keys, cursor)
    owner = await load_owner(session, principal, kind, owner_id)
    stmt = select(Attachment).where(
        Attachment.owner_kind == owner.kind.value,
        Attachment.owner_id == owner.id,
        Attachment.deleted_at.is_(None),
    )
    return await paginate(
        session, stmt, keys, limit=limit, cursor=cursor, include_total=include_total
    )


async def get_visible(
    session: AsyncSession, principal: Principal, attachment_id: uuid.UUID, *, lock: bool = False
) -> tuple[Attachment, Owner]:
    """A file not deleted whose owner the principal may see; else 404
    `attachment.not_found` (absent, deleted and out of scope alike)."""
    row = await session.get(Attachment, attachment_id, with_for_update=lock or None)
    if row is None or row.deleted_at is not None:
        raise NotFound(ErrorCode.attachment_not_found)
    try:
        owner = await load_owner(session, principal, row.owner_kind, row.owner_id)
    except NotFound:
        raise NotFound(ErrorCode.attachment_not_found) from None
    return row, owner


@dataclass(frozen=True)
class Download:
    attachment: Attachment
    chunks: AsyncIterator[bytes]


async def download(
    session: AsyncSession, principal: Principal, attachment_id: uuid.UUID
) -> Download:
    """The file's content as uploaded, streamed, with its SHA-256 in `Repr-Digest`.
    Every download is audited (`attachment.downloaded`)."""
    row, owner = await get_visible(session, principal, attachment_id)
    chunks = await storage.opened(storage.store(row.storage).chunks(row.id))
    audit.record(
        session, principal, "attachment.downloaded", "attachment", row.id, owner.org_path,
        after=_audited(owner, row),
    )  # fmt: skip
    return Download(row, chunks)


async def delete(session: AsyncSession, principal: Principal, attachment_id: uuid.UUID) -> None:
    """Delete the file: it leaves the record's list and can no longer be downloaded; the
    row and its content stay as a tombstone, named in the audit trail."""
    row, owner = await get_visible(session, principal, attachment_id, lock=True)
    OWNERS[owner.kind].require_writer(principal)
    row.deleted_at = utcnow()
    row.deleted_by = principal.user_id
    await session.flush()
    await _record(session, principal, owner, row, "deleted")
