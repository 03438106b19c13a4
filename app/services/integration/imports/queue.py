"""Queued imports, run by `dangjian worker`: claimed with a lease, committed per batch.

A large upload is kept on its job (`upload`). A worker claims the oldest queued job
whose lease is absent or expired (SKIP LOCKED, so workers never share one), parses
the upload in a thread and runs the rows from the job's `position` in batches: each
batch commits its rows together with the job's counts, report and new `position`,
and renews the lease. A worker that dies leaves the lease to expire; the next claim
resumes at `position`, so no committed row is applied twice. An atomic import, and an
organisation import (whose rows refer to each other), run as one batch.
"""

from __future__ import annotations

import uuid
from datetime import timedelta

import anyio.to_thread
from sqlalchemy import or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from app import clock
from app.config import get_settings
from app.db import get_sessionmaker
from app.models.enums import ImportKind, ImportState
from app.models.imports import ImportJob
from app.services import auth
from app.services.integration.imports.jobs import add_report, finish, import_report
from app.services.integration.imports.parsing import Table, read_records

LEASE = timedelta(minutes=5)
BATCH_ROWS = 1000
# A job's `error` is one stored text: both languages in it.
_INACTIVE = "发起导入的用户已停用 (the user who started the import is no longer active)"


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
            update(ImportJob).where(ImportJob.id == job_id).values(lease_until=now + LEASE)
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
        content = await session.scalar(select(ImportJob.upload).where(ImportJob.id == job_id))
        user = job.created_by
        principal = await auth.principal_of_user(session, user) if user else None
        kind, filename, position, atomic = job.kind, job.filename or "", job.position, job.atomic
    if principal is None or content is None:
        raise RuntimeError(_INACTIVE)
    table = await anyio.to_thread.run_sync(read_records, kind, filename, content, get_settings())
    records = table.records
    whole = atomic or kind == ImportKind.organisations
    size = len(records) if whole else BATCH_ROWS
    while True:
        end = min(position + size, len(records))
        async with maker() as session, session.begin():
            job = await session.get(ImportJob, job_id, with_for_update=True)
            assert job is not None
            if job.position != position:  # another worker took it over: it goes on
                return
            if position < end:
                part = Table(records[position:end], table.headers)
                today = job.import_date or clock.today()
                report = await import_report(session, principal, job, part, today)
                add_report(job, report)
            job.total_rows, job.position, job.processed_rows = len(records), end, end
            job.lease_until = clock.utcnow() + LEASE
            if end >= len(records):
                finish(job)
                return
        position = end
