"""Attachment endpoints: a member's development record (纪实 materials), one step of it,
and a meeting's minutes and photos; each parses the request, calls one service function
(app.services.attachments) and shapes the answer."""

from __future__ import annotations

import base64
import uuid
from typing import Annotated
from urllib.parse import quote

from fastapi import File, Form, Response, UploadFile, status
from fastapi.responses import StreamingResponse

from app.api.common import (
    API_PREFIX,
    CursorQuery,
    LimitQuery,
    TotalQuery,
    doc,
    envelope,
    make_router,
    sort_query,
)
from app.api.deps import PrincipalDep, SessionDep
from app.models.attachment import AttachmentOwnerKind
from app.schemas.attachments import AttachmentRead
from app.schemas.common import Page
from app.services import attachments as service

router = make_router("attachments")

FileField = Annotated[
    UploadFile,
    File(
        description="The file: PDF, JPEG, PNG, DOCX or XLSX by default; its type is read "
        "from the content."
    ),
]
DescriptionField = Annotated[str | None, Form(max_length=500)]
Sort = sort_query(service.ATTACHMENT_SORT, *service.ATTACHMENT_SORTABLE)


async def _upload(
    session: SessionDep,
    principal: PrincipalDep,
    kind: AttachmentOwnerKind,
    owner_id: uuid.UUID,
    file: UploadFile,
    description: str | None,
    response: Response,
) -> AttachmentRead:
    row = await service.upload(
        session, principal, kind, owner_id, filename=file.filename or "",
        declared_type=file.content_type, read=file.read, description=description,
    )  # fmt: skip
    response.headers["Location"] = f"{API_PREFIX}/attachments/{row.id}"
    return AttachmentRead.model_validate(row)


async def _list(
    session: SessionDep,
    principal: PrincipalDep,
    kind: AttachmentOwnerKind,
    owner_id: uuid.UUID,
    sort: str,
    limit: int | None,
    cursor: str | None,
    include_total: bool,
) -> Page[AttachmentRead]:
    page = await service.list_for(
        session, principal, kind, owner_id, limit=limit, cursor=cursor, sort=sort,
        include_total=include_total,
    )  # fmt: skip
    return envelope(page, [AttachmentRead.model_validate(a) for a in page.items])


@router.post(
    "/members/{member_id}/attachments",
    name="members_attachments_upload",
    status_code=status.HTTP_201_CREATED,
    description=doc(service.upload),
)
async def members_attachments_upload(
    member_id: uuid.UUID,
    file: FileField,
    session: SessionDep,
    principal: PrincipalDep,
    response: Response,
    description: DescriptionField = None,
) -> AttachmentRead:
    kind = AttachmentOwnerKind.member
    return await _upload(session, principal, kind, member_id, file, description, response)


@router.get(
    "/members/{member_id}/attachments",
    name="members_attachments_list",
    description=doc(service.list_for),
)
async def members_attachments_list(
    member_id: uuid.UUID,
    session: SessionDep,
    principal: PrincipalDep,
    sort: str = Sort,
    limit: LimitQuery = None,
    cursor: CursorQuery = None,
    include_total: TotalQuery = False,
) -> Page[AttachmentRead]:
    kind = AttachmentOwnerKind.member
    return await _list(session, principal, kind, member_id, sort, limit, cursor, include_total)


@router.post(
    "/development-steps/{step_id}/attachments",
    name="development_steps_attachments_upload",
    status_code=status.HTTP_201_CREATED,
    description=doc(service.upload),
)
async def development_steps_attachments_upload(
    step_id: uuid.UUID,
    file: FileField,
    session: SessionDep,
    principal: PrincipalDep,
    response: Response,
    description: DescriptionField = None,
) -> AttachmentRead:
    kind = AttachmentOwnerKind.development_step
    return await _upload(session, principal, kind, step_id, file, description, response)


@router.get(
    "/development-steps/{step_id}/attachments",
    name="development_steps_attachments_list",
    description=doc(service.list_for),
)
async def development_steps_attachments_list(
    step_id: uuid.UUID,
    session: SessionDep,
    principal: PrincipalDep,
    sort: str = Sort,
    limit: LimitQuery = None,
    cursor: CursorQuery = None,
    include_total: TotalQuery = False,
) -> Page[AttachmentRead]:
    kind = AttachmentOwnerKind.development_step
    return await _list(session, principal, kind, step_id, sort, limit, cursor, include_total)


@router.post(
    "/meetings/{meeting_id}/attachments",
    name="meetings_attachments_upload",
    status_code=status.HTTP_201_CREATED,
    description=doc(service.upload),
)
async def meetings_attachments_upload(
    meeting_id: uuid.UUID,
    file: FileField,
    session: SessionDep,
    principal: PrincipalDep,
    response: Response,
    description: DescriptionField = None,
) -> AttachmentRead:
    kind = AttachmentOwnerKind.meeting
    return await _upload(session, principal, kind, meeting_id, file, description, response)


@router.get(
    "/meetings/{meeting_id}/attachments",
    name="meetings_attachments_list",
    description=doc(service.list_for),
)
async def meetings_attachments_list(
    meeting_id: uuid.UUID,
    session: SessionDep,
    principal: PrincipalDep,
    sort: str = Sort,
    limit: LimitQuery = None,
    cursor: CursorQuery = None,
    include_total: TotalQuery = False,
) -> Page[AttachmentRead]:
    kind = AttachmentOwnerKind.meeting
    return await _list(session, principal, kind, meeting_id, sort, limit, cursor, include_total)


@router.get("/attachments/{attachment_id}", name="attachments_get")
async def attachments_get(
    attachment_id: uuid.UUID, session: SessionDep, principal: PrincipalDep
) -> AttachmentRead:
    """A file's name, type, size and SHA-256 (404 once deleted or out of scope)."""
    row, _ = await service.get_visible(session, principal, attachment_id)
    return AttachmentRead.model_validate(row)


@router.get(
    "/attachments/{attachment_id}/content",
    name="attachments_download",
    response_class=StreamingResponse,
    description=doc(service.download),
)
async def attachments_download(
    attachment_id: uuid.UUID, session: SessionDep, principal: PrincipalDep
) -> StreamingResponse:
    got = await service.download(session, principal, attachment_id)
    row = got.attachment
    digest = base64.b64encode(bytes.fromhex(row.sha256)).decode()
    return StreamingResponse(
        got.chunks,
        media_type=row.media_type,
        headers={
            "Content-Length": str(row.size_bytes),
            "Content-Disposition": f"attachment; filename*=UTF-8''{quote(row.filename)}",
            "Repr-Digest": f"sha-256=:{digest}:",
            "X-Content-Type-Options": "nosniff",
        },
    )


@router.delete(
    "/attachments/{attachment_id}",
    name="attachments_delete",
    status_code=status.HTTP_204_NO_CONTENT,
    description=doc(service.delete),
)
async def attachments_delete(
    attachment_id: uuid.UUID, session: SessionDep, principal: PrincipalDep
) -> Response:
    await service.delete(session, principal, attachment_id)
    return Response(status_code=status.HTTP_204_NO_CONTENT)
