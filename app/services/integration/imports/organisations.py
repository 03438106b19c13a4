"""Importing organisations: rows upserted by code under the parent rules."""

from __future__ import annotations

import uuid
from dataclasses import replace
from typing import Any

from pydantic import ValidationError
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from app.errors import DangjianError, ErrorCode
from app.models.organisation import Organisation
from app.schemas.organisations import OrganisationCreate, OrganisationUpdate
from app.security.scope import Principal, in_scope
from app.services import organisations
from app.services.integration.imports.faults import (
    Report,
    RowError,
    service_fault,
    validation_faults,
)
from app.services.integration.imports.parsing import REQUIRED
from app.services.integration.imports.spill import Spill
from app.services.integration.imports.values import convert_row


class ImportedRow:
    """Attribute access over a dict, for audit snapshots of bulk rows."""

    def __init__(self, values: dict[str, Any]) -> None:
        self.__dict__.update(values)


# --- Organisations -----------------------------------------------------------------------------


# What the passes over an organisation file decide on, held per row (`Spill`).
KEPT = ("code", "parent_code")
# Rows taken between two clearings of the session's loaded organisations.
_CLEAR_EVERY = 500


async def import_organisations(
    session: AsyncSession,
    principal: Principal,
    rows: Spill,
    *,
    dry_run: bool,
    atomic: bool,
) -> Report:
    """Create or update organisations by code; parents may be later in the same file.

    Rows are taken in passes over the file: a row whose parent's code belongs to a row
    not yet taken waits for the next pass; rows still waiting when a pass takes none name
    each other as parents. Only each row's code and parent code are held (`rows` keeps
    the rest on disk, read back when the row is taken)."""
    report = Report(total_rows=len(rows), headers=rows.headers)
    pending = [
        (number, offset, code, parent or None) for number, offset, (code, parent) in rows.rows
    ]
    progressed, taken = True, 0
    while pending and progressed:
        progressed = False
        waiting = []
        codes_in_file = {code for _, _, code, _ in pending}
        for number, offset, code, parent_code in pending:
            if parent_code in codes_in_file and parent_code != code:
                waiting.append((number, offset, code, parent_code))
                continue
            progressed, taken = True, taken + 1
            raw = rows.read(offset)
            try:
                async with session.begin_nested():
                    outcome = await _upsert_org(session, principal, raw)
            except RowError as err:
                report.reject(number, err)
                continue
            except DangjianError as exc:
                fault = service_fault(exc, "code")
                report.reject(number, RowError(replace(fault, value=raw.get(fault.field))))
                continue
            setattr(report, outcome, getattr(report, outcome) + 1)
            if taken % _CLEAR_EVERY == 0:  # written: the loaded organisations may go
                await session.flush()
                session.expunge_all()
        pending = waiting
    for number, _, _, parent_code in pending:
        report.reject(
            number,
            RowError.one(
                "parent_code",
                ErrorCode.import_parent_cycle,
                "上级组织编码相互引用",
                "parents refer to each other",
                parent_code,
            ),
        )
    if dry_run or (atomic and report.rejected):
        if atomic and report.rejected:
            report.keep_nothing()
        raise Rollback(report)
    return report


class Rollback(Exception):
    """Carries the report out of a transaction that must not be kept."""

    def __init__(self, report: Report) -> None:
        self.report = report


_FIELDS = (
    "unit_category",
    "unit_credit_code",
    "unit_count",
    "founded_on",
    "term_started_on",
    "division_code",
    "contact_person",
    "unit_type",
    "economic_type",
    "unit_size",
    "national_id",
)


async def _upsert_org(session: AsyncSession, principal: Principal, raw: dict[str, str]) -> str:
    """Create the row's organisation or correct the stored one: "created", "updated" or
    "unchanged"."""
    values, faults = convert_row(raw, REQUIRED["organisations"])
    if faults:
        raise RowError(*faults)
    current = await session.scalar(select(Organisation).where(Organisation.code == values["code"]))
    parent_id = await _parent_id(session, principal, current, values, raw)
    fields = {k: values.get(k) for k in _FIELDS}
    if current is not None:
        return await _correct(session, principal, current, parent_id, values, fields, raw)
    try:
        data = OrganisationCreate(
            code=values["code"], name=values["name"], type=values["type"], parent_id=parent_id,
            **fields,
        )  # fmt: skip
    except ValidationError as exc:
        raise RowError(*validation_faults(exc.errors(), raw)) from exc
    await organisations.create_organisation(session, principal, data)
    return "created"


async def _parent_id(
    session: AsyncSession,
    principal: Principal,
    current: Organisation | None,
    values: dict[str, Any],
    raw: dict[str, str],
) -> uuid.UUID | None:
    """The parent named by code: in scope, or the one a stored organisation already has
    (an exported subtree's root names its parent, which may lie above your scope)."""
    if not values.get("parent_code"):
        return None
    parent = await session.scalar(
        select(Organisation).where(Organisation.code == values["parent_code"])
    )
    keeps_parent = current is not None and parent is not None and current.parent_id == parent.id
    if parent is None or not (keeps_parent or in_scope(principal, parent.path)):
        raise RowError.one(
            "parent_code",
            ErrorCode.import_parent_unknown,
            "您的管辖范围内没有该上级组织",
            "no such parent in your scope",
            raw.get("parent_code"),
        )
    return parent.id


async def _correct(
    session: AsyncSession,
    principal: Principal,
    current: Organisation,
    parent_id: uuid.UUID | None,
    values: dict[str, Any],
    fields: dict[str, Any],
    raw: dict[str, str],
) -> str:
    """A stored organisation corrected by its row (never moved: that is /move)."""
    if not in_scope(principal, current.path):
        raise RowError.one(
            "code",
            ErrorCode.organisation_code_taken,
            "该组织编码已在您的管辖范围外使用",
            "the code is used outside your scope",
            raw.get("code"),
        )
    if current.parent_id != parent_id or current.type != values["type"]:
        raise RowError.one(
            "parent_code",
            ErrorCode.import_org_move_not_supported,
            "调整上级组织或组织类别请使用“移动党组织”功能",
            "use /organisations/{id}/move",
            raw.get("parent_code"),
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
