"""Bulk import and export endpoints."""

from __future__ import annotations

import uuid
from typing import Annotated, Any, Literal

import anyio.to_thread
from fastapi import BackgroundTasks, File, Query, Response, UploadFile, status
from fastapi.responses import StreamingResponse
from sqlalchemy import update

from app.api.common import API_PREFIX, make_router
from app.api.deps import PrincipalDep, SessionDep, TodayDep
from app.config import get_settings
from app.db import get_sessionmaker
from app.errors import ErrorCode, Unprocessable
from app.models.enums import ImportKind, ImportState
from app.models.imports import ImportJob
from app.schemas.common import storable_text
from app.schemas.imports import ImportJobRead
from app.security.scope import Principal, load_visible
from app.services import organisations
from app.services.integration import audit
from app.services.integration import imports as service

# An upload's name longer than its column is kept cut, not refused.
_FILENAME_CHARS: int = getattr(ImportJob.__table__.c.filename.type, "length", 255)

router = make_router("integration")


async def _background(
    job_id: uuid.UUID, principal: Principal, records: list[Any], today: Any
) -> None:
    maker = get_sessionmaker()

    async def progress(done: int) -> None:
        async with maker() as s, s.begin():
            await s.execute(
                update(ImportJob).where(ImportJob.id == job_id).values(processed_rows=done)
            )

    try:
        async with maker() as session, session.begin():
            job = await session.get(ImportJob, job_id)
            assert job is not None
            await service.run_import(session, principal, job, records, today, progress)
    except Exception as exc:  # the job records why it failed; nothing was written
        async with maker() as s, s.begin():
            await s.execute(
                update(ImportJob)
                .where(ImportJob.id == job_id)
                .values(state=ImportState.failed, error=str(exc)[:500])
            )


@router.post(
    "/imports",
    name="imports_create",
    status_code=status.HTTP_201_CREATED,
    description=(service.__doc__ or "")
    + "\n\nSmall files are processed at once; larger ones run as a job: poll `GET /imports/{id}`.",
)
async def imports_create(
    session: SessionDep,
    principal: PrincipalDep,
    today: TodayDep,
    response: Response,
    background: BackgroundTasks,
    file: Annotated[UploadFile, File(description="CSV (UTF-8 or GB18030) or XLSX.")],
    kind: ImportKind,
    dry_run: bool = False,
    atomic: bool = False,
) -> ImportJobRead:
    service.require_importer(principal)
    # The upload's name is kept on the job: the one text rule, cut to its column.
    filename = file.filename or ""
    if not storable_text(filename):
        raise Unprocessable.field("file", ErrorCode.request_text_invalid)
    settings = get_settings()
    limit = settings.import_max_upload_bytes
    content = await file.read(limit + 1)
    if len(content) > limit:
        raise service.ImportFileError.field(
            "file", ErrorCode.import_file_too_large, f"{limit} bytes at most"
        )
    # Parsing is CPU work: in a worker thread, so other requests keep answering.
    records = await anyio.to_thread.run_sync(
        service.read_records, kind, filename, content, settings
    )
    job = ImportJob(
        kind=kind,
        dry_run=dry_run,
        atomic=atomic,
        state=ImportState.running,
        filename=filename[:_FILENAME_CHARS] or None,
        total_rows=len(records),
        org_path=principal.org_path,
        created_by=principal.user_id,
        rejected=[],
    )
    session.add(job)
    await session.flush()
    audit.record(
        session, principal, "import.started", "import", job.id, principal.org_path,
        after={"kind": kind, "rows": len(records), "dry_run": dry_run, "atomic": atomic},
    )  # fmt: skip
    if len(records) > service.BACKGROUND_ROWS:
        background.add_task(_background, job.id, principal, records, today)
        response.status_code = status.HTTP_202_ACCEPTED
    else:
        await service.run_import(session, principal, job, records, today)
    response.headers["Location"] = f"{API_PREFIX}/imports/{job.id}"
    await session.refresh(job)
    return ImportJobRead.model_validate(job, from_attributes=True)


@router.get("/imports/template", name="imports_template")
async def imports_template(kind: ImportKind, principal: PrincipalDep) -> Response:
    """A CSV template with the documented Chinese headers (English field names work too)."""
    return Response(
        service.template(kind),
        media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": f'attachment; filename="{kind}-template.csv"'},
    )


@router.get("/imports/{job_id}", name="imports_get")
async def imports_get(
    job_id: uuid.UUID, session: SessionDep, principal: PrincipalDep
) -> ImportJobRead:
    """An import job's progress and row-level report."""
    job = await load_visible(session, principal, ImportJob, job_id)
    return ImportJobRead.model_validate(job, from_attributes=True)


@router.get("/exports", name="exports_get")
async def exports_get(
    session: SessionDep,
    principal: PrincipalDep,
    kind: ImportKind,
    within: uuid.UUID | None = None,
    format: Annotated[Literal["csv", "xlsx"], Query()] = "csv",
) -> StreamingResponse:
    """Stream a subtree as CSV or XLSX with the import's headers (scope-filtered; ID
    numbers and phones masked unless you hold PII rights, then the export is audited).
    A member user's members export holds its own record only. The last column is the
    record's id: re-importing the file matches it and changes nothing."""
    root = await organisations.get_visible(
        session, principal, within or principal.org_id, field="within"
    )
    if kind == ImportKind.members:
        audit.record(
            session, principal, "export.members", "organisation", root.id, root.path,
            after={"format": format},
        )  # fmt: skip

    async def stream() -> Any:
        async with get_sessionmaker()() as export_session:
            rows = service.export_rows(export_session, principal, kind, root)
            chunks = service.export_xlsx(rows) if format == "xlsx" else service.export_csv(rows)
            async for chunk in chunks:
                yield chunk

    media = (
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
        if format == "xlsx"
        else "text/csv; charset=utf-8"
    )
    return StreamingResponse(
        stream(),
        media_type=media,
        headers={"Content-Disposition": f'attachment; filename="{kind}.{format}"'},
    )
