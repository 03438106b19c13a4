"""Bulk import and export endpoints: each parses the request, calls one service
function (app.services.integration.imports) and shapes the answer."""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import File, Query, Response, UploadFile, status
from fastapi.responses import StreamingResponse

from app.api.common import API_PREFIX, make_router
from app.api.deps import LanguageDep, PrincipalDep, SessionDep, TodayDep
from app.models.enums import ImportKind
from app.schemas.imports import ImportJobRead
from app.services.integration import imports as service

router = make_router("integration")


@router.post(
    "/imports",
    name="imports_create",
    status_code=status.HTTP_201_CREATED,
    description=(service.__doc__ or "")
    + "\n\nSmall files are processed at once; larger ones are queued for `dangjian worker` "
    "(202): poll `GET /imports/{id}` for `processed_rows`.",
)
async def imports_create(
    session: SessionDep,
    principal: PrincipalDep,
    today: TodayDep,
    lang: LanguageDep,
    response: Response,
    file: Annotated[UploadFile, File(description="CSV (UTF-8 or GB18030) or XLSX.")],
    kind: ImportKind,
    dry_run: bool = False,
    atomic: bool = False,
) -> ImportJobRead:
    started = await service.start_import(
        session, principal, kind=kind, filename=file.filename or "", upload=file.file,
        dry_run=dry_run, atomic=atomic, today=today,
    )  # fmt: skip
    if started.queued:
        response.status_code = status.HTTP_202_ACCEPTED
    response.headers["Location"] = f"{API_PREFIX}/imports/{started.job.id}"
    return ImportJobRead.model_validate(service.job_view(started.job, lang))


@router.get("/imports/template", name="imports_template")
async def imports_template(
    kind: ImportKind,
    principal: PrincipalDep,
    format: Annotated[service.TemplateFormat, Query()] = "csv",
) -> Response:
    """The import template: CSV (Chinese headers) or XLSX (headers, an example row,
    drop-downs of the Chinese labels for enum columns, the ID number column as text).
    English field names are accepted as headers too."""
    media = service.XLSX_MEDIA if format == "xlsx" else "text/csv; charset=utf-8"
    return Response(
        service.template(kind, format),
        media_type=media,
        headers={"Content-Disposition": f'attachment; filename="{kind}-template.{format}"'},
    )


@router.get("/imports/{job_id}", name="imports_get")
async def imports_get(
    job_id: uuid.UUID, session: SessionDep, principal: PrincipalDep, lang: LanguageDep
) -> ImportJobRead:
    """An import job's progress and row-level report."""
    job = await service.get_job(session, principal, job_id)
    return ImportJobRead.model_validate(service.job_view(job, lang))


@router.get("/exports", name="exports_get")
async def exports_get(
    session: SessionDep,
    principal: PrincipalDep,
    kind: ImportKind,
    within: uuid.UUID | None = None,
    format: Annotated[service.ExportFormat, Query()] = "csv",
    labels: Annotated[service.LabelStyle, Query()] = "zh",
) -> StreamingResponse:
    """Stream a subtree as CSV or XLSX with the import's headers (scope-filtered; ID
    numbers and phones masked unless you hold PII rights, then the export is audited).
    Enum columns hold the Chinese labels (正式党员, 在职); `labels=codes` writes the codes
    (full, employed) for integrators. The import reads both. A member user's members
    export holds its own record only. The last column is the record's id: re-importing
    the file matches it and changes nothing."""
    export = await service.export_file(
        session, principal, kind=kind, within=within, fmt=format, style=labels
    )
    return StreamingResponse(
        export.chunks,
        media_type=export.media_type,
        headers={"Content-Disposition": f'attachment; filename="{export.filename}"'},
    )
