"""Import jobs: an upload read within the limits, run at once or queued for the worker, the
job's report in the caller's language, and who may import."""

from __future__ import annotations

import os
import uuid
from dataclasses import dataclass
from datetime import date
from typing import IO, Any

import anyio.to_thread
from sqlalchemy.ext.asyncio import AsyncSession

from app import clock
from app.config import Settings, get_settings
from app.errors import ErrorCode, Unprocessable
from app.i18n import Language, Text
from app.models.enums import ImportKind, ImportState, Role
from app.models.imports import ImportChunk, ImportJob
from app.schemas.common import storable_text
from app.security.scope import Principal, load_visible, require_role
from app.services.attachments.storage import write_chunks
from app.services.integration import audit
from app.services.integration.imports.faults import Report, localized_rejections
from app.services.integration.imports.members import import_members
from app.services.integration.imports.organisations import KEPT, Rollback, import_organisations
from app.services.integration.imports.parsing import (
    BACKGROUND_ROWS,
    ImportFileError,
    Table,
    open_records,
)
from app.services.integration.imports.spill import Spill

# --- Jobs --------------------------------------------------------------------------------------


async def import_report(
    session: AsyncSession,
    principal: Principal,
    job: ImportJob,
    table: Table,
    today: date,
    progress: Any = None,
) -> Report:
    """Run an import's rows in the given session; what it did."""
    if job.kind == ImportKind.members:
        return await import_members(
            session, principal, table, dry_run=job.dry_run, atomic=job.atomic, today=today,
            progress=progress,
        )  # fmt: skip
    with Spill(KEPT, table.headers) as rows:
        rows.add(table.records)
        return await organisation_report(session, principal, job, rows)


async def organisation_report(
    session: AsyncSession, principal: Principal, job: ImportJob, rows: Spill
) -> Report:
    """Run an organisation import's rows (`rows`, kept on disk) in the given session, in
    a savepoint that a dry run or a refused atomic import rolls back; what it did."""
    try:
        async with session.begin_nested():
            return await import_organisations(
                session, principal, rows, dry_run=job.dry_run, atomic=job.atomic
            )
    except Rollback as rollback:
        return rollback.report


def add_report(job: ImportJob, report: Report) -> None:
    """Count a report (the whole file's, or one batch's of a queued import) on its job."""
    job.created += report.created
    job.updated += report.updated
    job.unchanged += report.unchanged
    job.accepted += report.created + report.updated + report.unchanged
    if job.atomic and report.rejected:
        job.accepted = 0
    job.rejected = [*job.rejected, *report.rejected]


def finish(job: ImportJob) -> None:
    job.state = ImportState.finished
    job.finished_at = clock.utcnow()
    job.upload = None
    job.lease_until = None


async def run_import(
    session: AsyncSession, principal: Principal, job: ImportJob, table: Table, today: date
) -> None:
    """Run an import at once in the given session and fill the job's report."""
    report = await import_report(session, principal, job, table, today)
    job.total_rows = job.processed_rows = job.position = report.total_rows
    add_report(job, report)
    finish(job)
    await session.flush()


@dataclass
class Started:
    """An import begun: its job, and whether it waits in the queue for `dangjian worker`
    (a large file) rather than having run at once."""

    job: ImportJob
    queued: bool


# An upload's name longer than its column is kept cut, not refused.
_FILENAME_CHARS: int = getattr(ImportJob.__table__.c.filename.type, "length", 255)


async def start_import(
    session: AsyncSession,
    principal: Principal,
    *,
    kind: ImportKind,
    filename: str,
    upload: IO[bytes],
    dry_run: bool,
    atomic: bool,
    today: date,
) -> Started:
    """Read the upload (a binary file: a request's spooled upload) within the limits, one
    row at a time, record the job and run it at once; a large file is kept on the job in
    chunks, queued for the worker. The upload is never held whole."""
    require_importer(principal)
    # The upload's name is kept on the job: the one text rule, cut to its column.
    if not storable_text(filename):
        raise Unprocessable.field("file", ErrorCode.request_text_invalid)
    settings = get_settings()
    limit = settings.import_max_upload_bytes
    if _size(upload) > limit:
        raise ImportFileError.field(
            "file",
            ErrorCode.import_file_too_large,
            Text(zh=f"最多 {limit} 字节", en=f"{limit} bytes at most"),
        )
    # Parsing is CPU work: in a worker thread, so other requests keep answering.
    table, rows = await anyio.to_thread.run_sync(
        _survey, kind, filename, upload, settings, BACKGROUND_ROWS
    )
    job = ImportJob(
        kind=kind, dry_run=dry_run, atomic=atomic, state=ImportState.running,
        filename=filename[:_FILENAME_CHARS] or None, total_rows=rows, org_path=principal.org_path,
        created_by=principal.user_id, rejected=[],
    )  # fmt: skip
    session.add(job)
    await session.flush()
    audit.record(
        session, principal, "import.started", "import", job.id, principal.org_path,
        after={"kind": kind, "rows": rows, "dry_run": dry_run, "atomic": atomic},
    )  # fmt: skip
    if table is None:
        await _keep(session, job, upload)
        job.upload, job.import_date = b"", today  # empty: the content is in `import_chunks`
        await session.flush()
        return Started(job, queued=True)
    await run_import(session, principal, job, table, today)
    await session.refresh(job)
    return Started(job, queued=False)


def _size(upload: IO[bytes]) -> int:
    size = upload.seek(0, os.SEEK_END)
    upload.seek(0)
    return size


def _survey(
    kind: str, filename: str, upload: IO[bytes], settings: Settings, small: int
) -> tuple[Table | None, int]:
    """Read the whole upload, checking it, and count its records: a small file's records
    (at most `small`) as a table to run at once, None for a larger one (kept for the
    worker); blocking."""
    opened = open_records(kind, filename, upload, settings)
    kept = opened.take(small + 1)
    rows = len(kept) + sum(1 for _ in opened.records)
    return (Table(kept, opened.headers) if rows <= small else None), rows


async def _keep(session: AsyncSession, job: ImportJob, upload: IO[bytes]) -> None:
    """The upload written to `import_chunks` a chunk at a time, from its start."""
    upload.seek(0)

    async def read(size: int) -> bytes:
        return await anyio.to_thread.run_sync(upload.read, size)

    await write_chunks(session, ImportChunk, {"job_id": job.id}, read)


async def get_job(session: AsyncSession, principal: Principal, job_id: uuid.UUID) -> ImportJob:
    """An import job in your scope (404 otherwise)."""
    return await load_visible(session, principal, ImportJob, job_id)


def job_view(job: ImportJob, lang: Language) -> dict[str, Any]:
    """A job as answered: its row faults' messages in the caller's language."""
    fields = (
        "id", "kind", "dry_run", "atomic", "state", "total_rows", "processed_rows",
        "accepted", "created", "updated", "unchanged", "error", "created_at", "finished_at",
    )  # fmt: skip
    return {
        **{name: getattr(job, name) for name in fields},
        "rejected": localized_rejections(job.rejected, lang),
    }


def require_importer(principal: Principal) -> None:
    require_role(principal, Role.org_admin, Role.branch_secretary)
