"""Queued imports, run by `dangjian worker`: claimed with a lease, committed per batch.

A large upload is kept for its job in chunks (`import_chunks`; `upload` marks the job
queued). A worker claims the oldest queued job whose lease is absent or expired (SKIP
LOCKED, so workers never share one), copies the upload to a temporary file a chunk at a
time, reads its rows one at a time in a thread and runs them from the job's `position`
in batches (only a batch's records are held): each
batch commits its rows together with the job's counts, report and new `position`,
and renews the lease. A worker that dies leaves the lease to expire; the next claim
resumes at `position`, so no committed row is applied twice.

An atomic member import runs its batches in one transaction (`_atomic_members`),
committed only if no row was refused: one batch's records are held at a time, and the
keys its rows claimed (`members.Seen`). An organisation import (whose rows may name a
parent further down the file) keeps its rows on disk as it reads them (`Spill`) and
runs them in one transaction.
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
from app.services import principals
from app.services.attachments.storage import CHUNK_BYTES, read_chunks
from app.services.integration.imports.faults import Report, merge_reports
from app.services.integration.imports.jobs import (
    add_report,
    finish,
    import_report,
    organisation_report,
)
from app.services.integration.imports.members import Seen, import_members
from app.services.integration.imports.organisations import KEPT
from app.services.integration.imports.parsing import Records, Table, open_records
from app.services.integration.imports.spill import Spill

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
        principal = await principals.principal_of_user(session, user) if user else None
        kind, filename, position, atomic = job.kind, job.filename or "", job.position, job.atomic
    if principal is None or kept is None:
        raise RuntimeError(_INACTIVE)
    with tempfile.SpooledTemporaryFile(max_size=CHUNK_BYTES) as upload:
        await _copy(job_id, kept, upload)
        opened = await anyio.to_thread.run_sync(
            open_records, kind, filename, upload, get_settings()
        )
        try:
            await anyio.to_thread.run_sync(opened.take, position)  # the rows committed before
            size = get_settings().import_batch_rows
            if kind == ImportKind.organisations:
                await _organisations(maker, job_id, principal, opened, size)
            elif atomic:
                await _atomic_members(maker, job_id, principal, opened, size)
            else:
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
                await _conclude(session, job, end)
                return
        position = end


async def _atomic_members(
    maker: async_sessionmaker[AsyncSession],
    job_id: uuid.UUID,
    principal: Principal,
    opened: Records,
    size: int,
) -> None:
    """An atomic member import, `size` records at a time in one transaction: committed
    with the job's report if no row was refused (and not a dry run), else rolled back and
    only the report kept. The job's row stays locked throughout, so no other worker
    claims it meanwhile (claims skip locked rows); a worker that dies leaves nothing
    written, and the next claim starts the file again."""
    async with maker() as session:
        job = await session.get(ImportJob, job_id, with_for_update=True)
        assert job is not None
        today, dry_run = job.import_date or clock.today(), job.dry_run
        report, seen, end = Report(headers=opened.headers), Seen(), 0
        while True:
            records = await anyio.to_thread.run_sync(opened.take, size)
            if records:
                # After a refusal nothing will be kept: the rest is only checked.
                done = await import_members(
                    session, principal, Table(records, opened.headers),
                    dry_run=dry_run or bool(report.rejected), atomic=False, today=today,
                    seen=seen,
                )  # fmt: skip
                merge_reports(report, done)
                await session.flush()
                session.expunge_all()  # the batch's members: written, or never to be
            end += len(records)
            if len(records) < size:
                break
        if dry_run or report.rejected:
            if report.rejected:
                report.keep_nothing()
            await session.rollback()  # the rows, and the job's lock with them
        # Read again (the batches cleared the session); locked again after a rollback.
        job = await session.get(ImportJob, job_id, with_for_update=True)
        assert job is not None
        if job.state != ImportState.running:  # finished by a worker that took it over
            return
        add_report(job, report)
        await _conclude(session, job, end)
        await session.commit()


async def _organisations(
    maker: async_sessionmaker[AsyncSession],
    job_id: uuid.UUID,
    principal: Principal,
    opened: Records,
    size: int,
) -> None:
    """An organisation import: its rows, whose parents may come later in the file, kept
    on disk as they are read (`Spill`; only each row's codes held), then run in one
    transaction, with the job's report."""
    with Spill(KEPT, opened.headers) as rows:
        while records := await anyio.to_thread.run_sync(opened.take, size):
            await anyio.to_thread.run_sync(rows.add, records)
        async with maker() as session, session.begin():
            job = await session.get(ImportJob, job_id, with_for_update=True)
            assert job is not None
            if job.state != ImportState.running:  # finished by a worker that took it over
                return
            add_report(job, await organisation_report(session, principal, job, rows))
            await _conclude(session, job, len(rows))


async def _conclude(session: AsyncSession, job: ImportJob, end: int) -> None:
    """A job's last batch: its counts at `end`, the job finished, its upload's chunks
    deleted (in the caller's transaction, with the batch)."""
    job.position = job.processed_rows = job.total_rows = end
    finish(job)
    await session.execute(delete(ImportChunk).where(ImportChunk.job_id == job.id))
