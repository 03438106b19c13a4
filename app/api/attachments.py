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


def _owner_routes(kind: AttachmentOwnerKind, collection: str, plural: str) -> None:
    """Upload and list for one owner kind: `POST`/`GET /{collection}/{owner_id}/attachments`,
    named `{plural}_attachments_upload` / `_list` (the operations table names them)."""

    async def upload(
        owner_id: uuid.UUID,
        file: FileField,
        session: SessionDep,
        principal: PrincipalDep,
        response: Response,
        description: DescriptionField = None,
    ) -> AttachmentRead:
        row = await service.upload(
            session, principal, kind, owner_id, filename=file.filename or "",
            declared_type=file.content_type, read=file.read, description=description,
        )  # fmt: skip
        response.headers["Location"] = f"{API_PREFIX}/attachments/{row.id}"
        return AttachmentRead.model_validate(row)

    async def listing(
        owner_id: uuid.UUID,
        session: SessionDep,
        principal: PrincipalDep,
        sort: str = Sort,
        limit: LimitQuery = None,
        cursor: CursorQuery = None,
        include_total: TotalQuery = False,
    ) -> Page[AttachmentRead]:
        page = await service.list_for(
            session, principal, kind, owner_id, limit=limit, cursor=cursor, sort=sort,
            include_total=include_total,
        )  # fmt: skip
        return envelope(page, [AttachmentRead.model_validate(a) for a in page.items])

    path = f"/{collection}/{{owner_id}}/attachments"
    router.add_api_route(
        path, upload, methods=["POST"], name=f"{plural}_attachments_upload",
        status_code=status.HTTP_201_CREATED, description=doc(service.upload),
    )  # fmt: skip
    router.add_api_route(
        path, listing, methods=["GET"], name=f"{plural}_attachments_list",
        description=doc(service.list_for),
    )  # fmt: skip


# The owner kinds' routes, in the order the document lists them.
_owner_routes(AttachmentOwnerKind.member, "members", "members")
_owner_routes(AttachmentOwnerKind.development_step, "development-steps", "development_steps")
_owner_routes(AttachmentOwnerKind.meeting, "meetings", "meetings")


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
