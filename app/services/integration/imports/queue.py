"""Queued imports, run by `dangjian worker`: claimed with a lease, committed per batch.

A large upload is kept for its job in chunks (`import_chunks`; `upload` marks the job
queued). A worker claims the oldest queued job whose lease is absent or expired (SKIP
LOCKED, so workers never share one), copies the upload to a temporary file a chunk at a
time, reads its rows one at a time in a thread and runs them from the job's `position`
in batches (only a batch's records are held): each
batch commits its rows together with the job's counts, report and new `position`,
and renews the lease. A worker that dies leaves the lease to expire; the next claim
resumes at `position`, so no committed row is applied twice. An atomic import, and an
organisation import (whose rows refer to each other), run as one batch.
"""

from __future__ import annotations

import tempfile
import uuid
from datetime import datetime, timedelta
from typing import IO

import anyio.to_thread
from sqlalchemy import delete, or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from app import clock
from app.config import get_settings
from app.db import get_sessionmaker
from app.models.enums import ImportKind, ImportState
from app.models.imports import ImportChunk, ImportJob
from app.security.scope import Principal
from app.services import auth
from app.services.attachments.storage import CHUNK_BYTES, read_chunks
from app.services.integration.imports.jobs import add_report, finish, import_report
from app.services.integration.imports.parsing import Records, Table, open_records

# A job's `error` is one stored text: both languages in it.
_INACTIVE = "发起导入的用户已停用 (the user who started the import is no longer active)"


def _lease_until() -> datetime:
    """A claim's end, from now (`DANGJIAN_IMPORT_LEASE_SECONDS`)."""
    return clock.utcnow() + timedelta(seconds=get_settings().import_lease_seconds)


async def claim(session: AsyncSession) -> uuid.UUID | None:
    """The oldest queued job no live worker holds, now leased to the caller."""
    now = clock.utcnow()
    job_id = await session.scalar(
        select(ImportJob.id)
        .where(
            ImportJob.upload.is_not(None),
            ImportJob.state == ImportState.running,
            or_(ImportJob.lease_until.is_(None), ImportJob.lease_until < now),
        )
        .order_by(ImportJob.created_at)
        .limit(1)
        .with_for_update(skip_locked=True)
    )
    if job_id is not None:
        await session.execute(
            update(ImportJob).where(ImportJob.id == job_id).values(lease_until=_lease_until())
        )
    return job_id


async def run_next() -> bool:
    """Claim one queued import and run it to the end; False when none was waiting."""
    maker = get_sessionmaker()
    async with maker() as session, session.begin():
        job_id = await claim(session)
    if job_id is None:
        return False
    try:
        await _run(maker, job_id)
    except Exception as exc:  # the job records why; its committed batches stay
        async with maker() as session, session.begin():
            await session.execute(delete(ImportChunk).where(ImportChunk.job_id == job_id))
            await session.execute(
                update(ImportJob)
                .where(ImportJob.id == job_id)
                .values(state=ImportState.failed, error=str(exc)[:500], upload=None)
            )
    return True


async def _run(maker: async_sessionmaker[AsyncSession], job_id: uuid.UUID) -> None:
    async with maker() as session:
        job = await session.get(ImportJob, job_id)
        assert job is not None
        kept = await session.scalar(select(ImportJob.upload).where(ImportJob.id == job_id))
        user = job.created_by
        principal = await auth.principal_of_user(session, user) if user else None
        kind, filename, position, atomic = job.kind, job.filename or "", job.position, job.atomic
        total = job.total_rows
    if principal is None or kept is None:
        raise RuntimeError(_INACTIVE)
    with tempfile.SpooledTemporaryFile(max_size=CHUNK_BYTES) as upload:
        await _copy(job_id, kept, upload)
        opened = await anyio.to_thread.run_sync(
            open_records, kind, filename, upload, get_settings()
        )
        try:
            await anyio.to_thread.run_sync(opened.take, position)  # the rows committed before
            whole = atomic or kind == ImportKind.organisations
            size = max(total, 1) if whole else get_settings().import_batch_rows
            await _batches(maker, job_id, principal, opened, (position, size))
        finally:
            opened.close()


async def _copy(job_id: uuid.UUID, kept: bytes, upload: IO[bytes]) -> None:
    """The job's upload into a temporary file, a chunk at a time (a job queued before
    the chunks holds its bytes on the job)."""
    if kept:
        upload.write(kept)
    async for chunk in read_chunks(ImportChunk, ImportChunk.job_id == job_id):
        await anyio.to_thread.run_sync(upload.write, chunk)
    upload.seek(0)


async def _batches(
    maker: async_sessionmaker[AsyncSession],
    job_id: uuid.UUID,
    principal: Principal,
    opened: Records,
    start: tuple[int, int],
) -> None:
    """The records from `position`, `size` at a time, each batch committed with the job's
    counts, report, position and lease (`start`: the position and the batch's size)."""
    position, size = start
    while True:
        records = await anyio.to_thread.run_sync(opened.take, size)
        end = position + len(records)
        async with maker() as session, session.begin():
            job = await session.get(ImportJob, job_id, with_for_update=True)
            assert job is not None
            if job.position != position:  # another worker took it over: it goes on
                return
            if records:
                part = Table(records, opened.headers)
                today = job.import_date or clock.today()
                report = await import_report(session, principal, job, part, today)
                add_report(job, report)
            job.position, job.processed_rows = end, end
            job.lease_until = _lease_until()
            if len(records) < size or end >= job.total_rows:
                job.total_rows = end
                finish(job)
                await session.execute(delete(ImportChunk).where(ImportChunk.job_id == job_id))
                return
        position = end
