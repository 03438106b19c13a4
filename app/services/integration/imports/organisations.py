"""Importing organisations: rows upserted by code under the parent rules."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from app.errors import DangjianError, ErrorCode
from app.models.organisation import Organisation
from app.schemas.organisations import OrganisationCreate, OrganisationUpdate
from app.security.scope import Principal, in_scope
from app.services import organisations
from app.services.integration.imports.parsing import (
    REQUIRED,
    Report,
    RowError,
    convert_cell,
    row_error,
)


class ImportedRow:
    """Attribute access over a dict, for audit snapshots of bulk rows."""

    def __init__(self, values: dict[str, Any]) -> None:
        self.__dict__.update(values)


# --- Organisations -----------------------------------------------------------------------------


async def import_organisations(
    session: AsyncSession,
    principal: Principal,
    records: list[tuple[int, dict[str, str]]],
    *,
    dry_run: bool,
    atomic: bool,
) -> Report:
    """Create or update organisations by code; parents may be earlier in the same file."""
    report = Report(total_rows=len(records))
    pending = list(records)
    progressed = True
    while pending and progressed:
        progressed = False
        waiting = []
        codes_in_file = {r.get("code") for _, r in pending}
        for number, raw in pending:
            parent_code = raw.get("parent_code") or None
            if parent_code in codes_in_file and parent_code != raw.get("code"):
                waiting.append((number, raw))
                continue
            progressed = True
            try:
                async with session.begin_nested():
                    outcome = await _upsert_org(session, principal, raw)
            except RowError as err:
                report.reject(number, err.column, err.code, err.message)
                continue
            except DangjianError as exc:
                problem = row_error(exc)
                report.reject(number, problem.column or "code", problem.code, problem.message)
                continue
            setattr(report, outcome, getattr(report, outcome) + 1)
        pending = waiting
    for number, _ in pending:
        report.reject(
            number, "parent_code", ErrorCode.import_parent_cycle, "parents refer to each other"
        )
    if dry_run or (atomic and report.rejected):
        if atomic and report.rejected:
            report.created = report.updated = 0
        raise Rollback(report)
    return report


class Rollback(Exception):
    """Carries the report out of a transaction that must not be kept."""

    def __init__(self, report: Report) -> None:
        self.report = report


async def _upsert_org(session: AsyncSession, principal: Principal, raw: dict[str, str]) -> str:
    values = {k: convert_cell(k, v) for k, v in raw.items()}
    for key in REQUIRED["organisations"]:
        if not values.get(key):
            raise RowError(key, ErrorCode.import_value_missing, f"{key} is required")
    current = await session.scalar(select(Organisation).where(Organisation.code == values["code"]))
    parent_id = None
    if values.get("parent_code"):
        parent = await session.scalar(
            select(Organisation).where(Organisation.code == values["parent_code"])
        )
        # An exported subtree's root names its parent, which may lie above your scope:
        # the row still describes that organisation as it stands.
        keeps_parent = current is not None and parent is not None and current.parent_id == parent.id
        if parent is None or not (keeps_parent or in_scope(principal, parent.path)):
            raise RowError(
                "parent_code", ErrorCode.import_parent_unknown, "no such parent in your scope"
            )
        parent_id = parent.id
    fields = {
        k: values.get(k)
        for k in (
            "unit_category",
            "unit_credit_code",
            "unit_count",
            "founded_on",
            "term_started_on",
        )
    }
    if current is not None:
        if not in_scope(principal, current.path):
            raise RowError(
                "code", ErrorCode.organisation_code_taken, "the code is used outside your scope"
            )
        if current.parent_id != parent_id or current.type != values["type"]:
            raise RowError(
                "parent_code",
                ErrorCode.import_org_move_not_supported,
                "use /organisations/{id}/move",
            )
        changes = {
            k: v for k, v in {"name": values["name"], **fields}.items() if getattr(current, k) != v
        }
        if not changes:
            return "unchanged"
        await organisations.update_organisation(
            session, principal, current, OrganisationUpdate(**changes)
        )
        return "updated"
    try:
        data = OrganisationCreate(
            code=values["code"],
            name=values["name"],
            type=values["type"],
            parent_id=parent_id,
            **fields,
        )
    except ValueError as exc:
        raise RowError(
            "type", ErrorCode.import_value_invalid, str(exc).splitlines()[0][:200]
        ) from exc
    await organisations.create_organisation(session, principal, data)
    return "created"
