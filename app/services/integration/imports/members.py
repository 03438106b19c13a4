"""Importing members: each row prepared through the member service's checks, matched to a
stored member by ID number, created or updated.
"""

from __future__ import annotations

import asyncio
import uuid
from dataclasses import dataclass, field, replace
from datetime import date
from typing import Any

from pydantic import ValidationError
from sqlalchemy import insert, select
from sqlalchemy.ext.asyncio import AsyncSession

from app.errors import DangjianError, ErrorCode
from app.i18n import Text
from app.models.base import new_uuid
from app.models.enums import ENDED_STATUSES, MemberStatus
from app.models.member import Member
from app.models.organisation import Organisation
from app.schemas.members import MemberCreate, MemberUpdate
from app.security.scope import Principal, in_scope
from app.services import members as members_service
from app.services.integration import audit
from app.services.integration import changes as changes_service
from app.services.integration.imports.faults import (
    Fault,
    Report,
    RowError,
    service_fault,
    service_faults,
    validation_faults,
)
from app.services.integration.imports.organisations import ImportedRow
from app.services.integration.imports.parsing import (
    BATCH,
    MEMBER_COLUMNS,
    REQUIRED,
    YIELD_EVERY,
    Table,
)
from app.services.integration.imports.values import convert_row

# --- Members -----------------------------------------------------------------------------------


@dataclass
class Seen:
    """What an import's rows have claimed so far, carried from one batch to the next when
    an import runs its file in batches inside one transaction (an atomic queued import):
    the stored members a row matched (id -> row), the living ID numbers of new rows
    (index -> row), and the members this import created, which a later row never matches
    (it is a duplicate, as it would be in a run of the whole file at once). A few dozen
    bytes a row, against the whole file's records."""

    claimed: dict[uuid.UUID, int] = field(default_factory=dict)
    new_living: dict[bytes, int] = field(default_factory=dict)
    created: set[uuid.UUID] = field(default_factory=set)


@dataclass
class _Prepared:
    row: int
    prepared: members_service.PreparedMember
    member_id: uuid.UUID | None  # the export's 系统编号, when the file has one
    raw: dict[str, str]  # the row's cells, echoed in its faults

    def fault(self, field_name: str, code: ErrorCode, zh: str, en: str) -> RowError:
        return RowError.one(field_name, code, zh, en, self.raw.get(field_name))

    def refused(self, exc: DangjianError, column: str) -> RowError:
        fault = service_fault(exc, column)
        return RowError(replace(fault, value=self.raw.get(fault.field)))

    @property
    def values(self) -> dict[str, Any]:
        return self.prepared.values

    @property
    def index(self) -> bytes:
        return self.prepared.id_index


async def _org_lookup(
    session: AsyncSession, principal: Principal, codes: set[str]
) -> dict[str, Organisation]:
    found: dict[str, Organisation] = {}
    code_list = sorted(codes)
    for start in range(0, len(code_list), BATCH):
        chunk = code_list[start : start + BATCH]
        # FOR KEY SHARE: rows copy these paths, so a subtree move in flight finishes first.
        stmt = select(Organisation).where(Organisation.code.in_(chunk))
        for org in (await session.scalars(stmt.with_for_update(read=True, key_share=True))).all():
            if in_scope(principal, org.path):
                found[org.code] = org
    return found


# The API fields a member row carries (the rest of MemberCreate keeps its default).
_MEMBER_FIELDS = tuple(
    key for key, _ in MEMBER_COLUMNS if key not in ("org_code", "group_code", "id")
)


def _placement(
    values: dict[str, Any], raw: dict[str, str], orgs: dict[str, Organisation]
) -> tuple[Organisation | None, Organisation | None, list[Fault]]:
    """The row's branch and party group, found by code in scope (faults when not)."""
    faults = []
    org = orgs.get(values.get("org_code") or "")
    if org is None and values.get("org_code"):
        faults.append(
            Fault(
                "org_code",
                ErrorCode.import_org_unknown,
                Text(zh="您的管辖范围内没有该党组织", en="no such organisation in your scope"),
                raw.get("org_code"),
            )
        )
    group = orgs.get(values["group_code"]) if values.get("group_code") else None
    if values.get("group_code") and group is None:
        faults.append(
            Fault(
                "group_code",
                ErrorCode.member_group_invalid,
                Text(zh="应为该支部下的党小组", en="a party group of that branch"),
                raw.get("group_code"),
            )
        )
    return org, group, faults


def _prepare_member(
    number: int,
    raw: dict[str, str],
    orgs: dict[str, Organisation],
    today: date,
) -> _Prepared:
    """A row as `MemberCreate`, through `members.prepare_member`: the API's own rules.
    Every fault the row has is collected (cells, placement, the input model); the rules
    that need a whole valid record run once those pass."""
    values, faults = convert_row(raw, REQUIRED["members"])
    org, group, placement = _placement(values, raw, orgs)
    faults += placement
    try:
        data = MemberCreate.model_validate(
            {
                **{k: values[k] for k in _MEMBER_FIELDS if values.get(k) is not None},
                "id_number": str(values.get("id_number") or ""),
                "org_id": org.id if org else None,
                "group_id": group.id if group else None,
            }
        )
    except ValidationError as exc:
        found = {f.field for f in faults}
        faults += [f for f in validation_faults(exc.errors(), raw) if f.field not in found]
    if faults:
        # The cells' own member rules, though the record as a whole is already refused.
        found = {f.field for f in faults}
        for refusal in members_service.cell_faults(values, today):
            faults += [f for f in service_faults(refusal, raw) if f.field not in found]
        raise RowError(*faults)
    assert org is not None  # a missing branch is a fault above
    try:
        prepared = members_service.prepare_member(data, org, group, today)
    except DangjianError as exc:
        raise RowError(*service_faults(exc, raw, "org_code")) from exc
    return _Prepared(number, prepared, values.get("id"), raw)


COMPARED = (
    "name",
    "category",
    "ethnicity",
    "education",
    "degree",
    "post",
    "new_social_stratum",
    "hardship",
    "group_id",
    "work_unit",
    "residence",
    "dues_base_fen",
    *members_service.MILESTONES,
)


def _differences(item: _Prepared, current: Member) -> dict[str, Any]:
    """The row's values that differ from the stored record (none: the row is unchanged)."""
    changes = {k: item.values[k] for k in COMPARED if getattr(current, k) != item.values[k]}
    if item.prepared.phone_index != current.phone_index:
        changes["phone"] = item.prepared.phone
    return changes


async def _stored(
    session: AsyncSession, principal: Principal, prepared: list[_Prepared], created: set[uuid.UUID]
) -> tuple[dict[uuid.UUID, Member], dict[bytes, list[Member]]]:
    """Stored members the rows may match, ended ones included: by the export's id (in
    scope), and by ID number (every record with it, in scope or not, oldest first); not
    those this import `created`."""
    by_id: dict[uuid.UUID, Member] = {}
    by_index: dict[bytes, list[Member]] = {}
    ids = sorted({p.member_id for p in prepared if p.member_id is not None})
    for start in range(0, len(ids), BATCH):
        rows = await session.scalars(
            select(Member).where(Member.id.in_(ids[start : start + BATCH]))
        )
        by_id.update(
            {m.id: m for m in rows.all() if in_scope(principal, m.org_path) and m.id not in created}
        )
    indexes = sorted({p.index for p in prepared})
    for start in range(0, len(indexes), BATCH):
        rows = await session.scalars(
            select(Member)
            .where(Member.id_number_index.in_(indexes[start : start + BATCH]))
            .order_by(Member.id)
        )
        for m in rows.all():
            if m.id not in created:
                by_index.setdefault(m.id_number_index, []).append(m)
    return by_id, by_index


def _match(
    principal: Principal,
    item: _Prepared,
    by_id: dict[uuid.UUID, Member],
    by_index: dict[bytes, list[Member]],
    claimed: dict[uuid.UUID, int],
) -> Member | None:
    """The stored record a row describes, or None for a new one.

    The export's id wins when it names a record in scope with the same ID number.
    Otherwise a living row matches the living record with its ID number (one outside
    your scope: `member.id_number_taken`); an ended row (left, deceased) matches an
    ended record of the same branch and status, the one equal to the row first. A
    record matches one row of a file only.
    """
    stored = by_id.get(item.member_id) if item.member_id is not None else None
    if stored is not None and stored.id_number_index == item.index:
        candidates = [stored]
    else:
        candidates = by_index.get(item.index, [])
        status = item.values["status"]
        if MemberStatus(status) in ENDED_STATUSES:
            ended = [
                m
                for m in candidates
                if m.status == status
                and m.org_id == item.values["org_id"]
                and in_scope(principal, m.org_path)
                and m.id not in claimed
            ]
            # An ended row for a living record of the same branch is a status change.
            living = [
                m
                for m in candidates
                if MemberStatus(m.status) not in ENDED_STATUSES
                and m.org_id == item.values["org_id"]
                and m.id not in claimed
            ]
            candidates = sorted(ended, key=lambda m: bool(_differences(item, m))) or living
        else:
            candidates = [m for m in candidates if MemberStatus(m.status) not in ENDED_STATUSES]
    if not candidates:
        return None
    current = candidates[0]
    if not in_scope(principal, current.org_path):
        raise item.fault(
            "id_number",
            ErrorCode.member_id_number_taken,
            "已有在册党员使用该身份证号码",
            "a living member has this ID number",
        )
    if current.id in claimed:
        raise item.fault(
            "id_number",
            ErrorCode.import_duplicate_in_file,
            f"与第 {claimed[current.id]} 行重复",
            f"same as row {claimed[current.id]}",
        )
    return current


def _check_new(
    item: _Prepared, orgs_by_id: dict[uuid.UUID, Organisation], new_living: dict[bytes, int]
) -> None:
    """A new member: the organisation accepts members, and no living ID number appears
    twice in the file (`new_living`: index -> first row, updated here)."""
    try:
        members_service.check_accepts_members(orgs_by_id[item.values["org_id"]])
    except DangjianError as exc:
        raise item.refused(exc, "org_code") from exc
    if MemberStatus(item.values["status"]) not in ENDED_STATUSES:
        if item.index in new_living:
            raise item.fault(
                "id_number",
                ErrorCode.import_duplicate_in_file,
                f"与第 {new_living[item.index]} 行重复",
                f"same as row {new_living[item.index]}",
            )
        new_living[item.index] = item.row


def _check_update(principal: Principal, item: _Prepared, current: Member) -> dict[str, Any]:
    """The corrections a row makes to a stored member (empty: unchanged). An import never
    moves a member (a transfer) or changes a status (a transition)."""
    if current.org_id != item.values["org_id"]:
        raise item.fault(
            "org_code",
            ErrorCode.import_org_change_requires_transfer,
            "调整所在党组织请办理组织关系转接",
            "use a transfer to move a member",
        )
    if current.status != item.values["status"]:
        raise item.fault(
            "status",
            ErrorCode.member_status_requires_transition,
            "变更党员状态请走相应的办理程序",
            "use a transition",
        )
    changes = _differences(item, current)
    if changes:
        try:
            members_service.check_may_correct(principal, current)
        except DangjianError as exc:
            raise item.refused(exc, "status") from exc
    return changes


async def _write(
    session: AsyncSession,
    principal: Principal,
    inserts: list[_Prepared],
    updates: list[tuple[Member, dict[str, Any]]],
    today: date,
    progress: Any,
    seen: Seen,
) -> None:
    """Insert new members in batches (audit and change feed per batch), then update."""
    for start in range(0, len(inserts), BATCH):
        chunk = inserts[start : start + BATCH]
        new_rows = [{**item.prepared.columns(), "id": new_uuid(), "version": 1} for item in chunk]
        seen.created.update(r["id"] for r in new_rows)
        await session.execute(insert(Member), new_rows)
        for r in new_rows:
            members_service.record_created(session, principal, ImportedRow(r), "member.imported")
        await audit.write_pending(session)
        await changes_service.record_created(session, Member, new_rows)
        if progress is not None:
            await progress(start + len(chunk))
    for current, changes in updates:
        await members_service.update_member(
            session, principal, current, MemberUpdate(**changes), today
        )


async def import_members(
    session: AsyncSession,
    principal: Principal,
    table: Table,
    *,
    dry_run: bool,
    atomic: bool,
    today: date,
    progress: Any = None,
    seen: Seen | None = None,
) -> Report:
    """Validate every row with the API's rules, match it to a stored record (ended ones
    included), then insert new members in batches and update changed ones. `seen`: what
    earlier batches of the same file claimed (`Seen`), updated here."""
    seen = seen or Seen()
    records = table.records
    report = Report(total_rows=len(records), headers=table.headers)
    codes = {r.get("org_code", "") for _, r in records} | {
        r.get("group_code", "") for _, r in records
    }
    orgs = await _org_lookup(session, principal, {c for c in codes if c})
    prepared: list[_Prepared] = []
    for position, (number, raw) in enumerate(records):
        if position % YIELD_EVERY == YIELD_EVERY - 1:
            await asyncio.sleep(0)
        try:
            prepared.append(_prepare_member(number, raw, orgs, today))
        except RowError as err:
            report.reject(number, err)
    inserts, updates = await _sort_rows(session, principal, prepared, orgs, report, seen)
    report.created, report.updated = len(inserts), len(updates)
    if dry_run or (atomic and report.rejected):
        if atomic and report.rejected:
            report.keep_nothing()
        return report
    await _write(session, principal, inserts, updates, today, progress, seen)
    await session.flush()
    return report


async def _sort_rows(
    session: AsyncSession,
    principal: Principal,
    prepared: list[_Prepared],
    orgs: dict[str, Organisation],
    report: Report,
    seen: Seen,
) -> tuple[list[_Prepared], list[tuple[Member, dict[str, Any]]]]:
    """The valid rows as inserts and updates (unchanged and refused ones counted in the
    report)."""
    by_id, by_index = await _stored(session, principal, prepared, seen.created)
    orgs_by_id = {org.id: org for org in orgs.values()}
    inserts: list[_Prepared] = []
    updates: list[tuple[Member, dict[str, Any]]] = []
    claimed, new_living = seen.claimed, seen.new_living
    for item in prepared:
        try:
            current = _match(principal, item, by_id, by_index, claimed)
            if current is None:
                _check_new(item, orgs_by_id, new_living)
                inserts.append(item)
                continue
            claimed[current.id] = item.row
            changes = _check_update(principal, item, current)
            if not changes:
                report.unchanged += 1
                continue
            updates.append((current, changes))
        except RowError as err:
            report.reject(item.row, err)
    return inserts, updates
