"""Import jobs: running an import (at once or in the background), the template, who may import."""

from __future__ import annotations

import csv
import io
from datetime import date
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from app import clock
from app.models.enums import ImportKind, ImportState, Role
from app.models.imports import ImportJob
from app.security.scope import Principal, require_role
from app.services.integration.imports.members import import_members
from app.services.integration.imports.organisations import Rollback, import_organisations
from app.services.integration.imports.parsing import COLUMNS

# --- Jobs --------------------------------------------------------------------------------------


async def run_import(
    session: AsyncSession,
    principal: Principal,
    job: ImportJob,
    records: list[tuple[int, dict[str, str]]],
    today: date,
    progress: Any = None,
) -> None:
    """Run an import in the given session and fill the job's report."""
    if job.kind == ImportKind.members:
        report = await import_members(
            session,
            principal,
            records,
            dry_run=job.dry_run,
            atomic=job.atomic,
            today=today,
            progress=progress,
        )
    else:
        try:
            async with session.begin_nested():
                report = await import_organisations(
                    session, principal, records, dry_run=job.dry_run, atomic=job.atomic
                )
        except Rollback as rollback:
            report = rollback.report
    job.total_rows = report.total_rows
    job.processed_rows = report.total_rows
    job.created, job.updated, job.unchanged = report.created, report.updated, report.unchanged
    job.accepted = report.created + report.updated + report.unchanged
    if job.atomic and report.rejected:
        job.accepted = 0
    job.rejected = report.rejected
    job.state = ImportState.finished
    job.finished_at = clock.utcnow()
    await session.flush()


def template(kind: str) -> bytes:
    """The CSV template: Chinese headers (English names are accepted too), UTF-8 with BOM."""
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow([zh for _, zh in COLUMNS[kind]])
    return ("\ufeff" + out.getvalue()).encode("utf-8")


def require_importer(principal: Principal) -> None:
    require_role(principal, Role.org_admin, Role.branch_secretary)
