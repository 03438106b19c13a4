"""Checks before submission (逻辑校验) of the statistics tables: the cross-table rules
the statistics departments apply, one rule per function in `CHECKS`.

Each check reads the same population as the tables (`stats.counted_members`, the
organisations existing on `as_of`) and answers the offending records: a member, an
organisation or a table, each with the API path that fixes it. A check that finds
nothing passed.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import date

from sqlalchemy import or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from app.models.enums import BRANCH_TYPES, Gender, LeaderRole
from app.models.organisation import Organisation, OrganisationLeader
from app.schemas.statistics import (
    CheckRecord,
    FailedCheck,
    MemberTables,
    StatisticsChecks,
    StatisticsTables,
)
from app.security.scope import under
from app.services.lifecycle.membership import MemberFacts
from app.services.organisations.member_changes import load_subtree
from app.services.organisations.stats import (
    counted_members,
    organisations_as_of,
    statistics_tables,
)
from app.services.organisations.tally import UNKNOWN, education_row, ethnicity_row
from app.services.organisations.terms import add_years

# Offending records answered per failed check (the count tells how many there are).
RECORDS_CAP = 100
JOINING_AGE = 18


@dataclass(frozen=True, slots=True)
class OrgFacts:
    id: uuid.UUID
    name: str
    type: str


@dataclass(frozen=True, slots=True)
class CheckInput:
    """What the checks read: the tables, the members they count and the organisations
    existing on `as_of` with the ids of those with a secretary serving that day."""

    as_of: date
    tables: StatisticsTables
    members: Sequence[MemberFacts]
    organisations: Sequence[OrgFacts]
    with_secretary: frozenset[uuid.UUID]


@dataclass(frozen=True, slots=True)
class Check:
    code: str
    zh: str
    en: str
    run: Callable[[CheckInput], list[CheckRecord]]


def _member(m: MemberFacts) -> CheckRecord:
    return CheckRecord(kind="member_record", id=m.id, name=m.name, link=f"/api/v1/members/{m.id}")


def _organisation(o: OrgFacts) -> CheckRecord:
    return CheckRecord(
        kind="organisation_record", id=o.id, name=o.name, link=f"/api/v1/organisations/{o.id}"
    )


def _table_sums(part: str, tables: MemberTables) -> list[CheckRecord]:
    return [
        CheckRecord(kind="statistics_table", id=None, name=f"{part}.{name}", link=None)
        for name, rows in tables
        if isinstance(rows, list) and sum(r.count for r in rows) != tables.total
    ]


def totals_agree(data: CheckInput) -> list[CheckRecord]:
    """Each member table (members and new members) sums to its member count."""
    return _table_sums("members", data.tables.members) + _table_sums(
        "new_members", data.tables.new_members
    )


def members_with_education(data: CheckInput) -> list[CheckRecord]:
    """Every counted member has an education of GB/T 4658."""
    return [_member(m) for m in data.members if education_row(m.education) == UNKNOWN]


def members_with_ethnicity(data: CheckInput) -> list[CheckRecord]:
    """Every counted member has an ethnicity of GB/T 3304."""
    return [_member(m) for m in data.members if ethnicity_row(m.ethnicity) == UNKNOWN]


def members_with_gender_and_birth(data: CheckInput) -> list[CheckRecord]:
    """Every counted member has a gender and a birth date not after `as_of`."""
    genders = {g.value for g in Gender}
    return [
        _member(m)
        for m in data.members
        if m.gender not in genders or m.birth_date is None or m.birth_date > data.as_of
    ]


def members_with_joining_date(data: CheckInput) -> list[CheckRecord]:
    """Every counted member has a joining date (入党日期), read by the joining periods."""
    return [_member(m) for m in data.members if m.joined_on is None]


def joined_of_age(data: CheckInput) -> list[CheckRecord]:
    """A member joined at 18 or older: the joining date is not before birth + 18 years."""
    return [
        _member(m)
        for m in data.members
        if m.joined_on is not None and m.joined_on < add_years(m.birth_date, JOINING_AGE)
    ]


def full_after_joining(data: CheckInput) -> list[CheckRecord]:
    """A member became full (转正) after joining (入党)."""
    return [
        _member(m)
        for m in data.members
        if m.full_on is not None and m.joined_on is not None and m.full_on <= m.joined_on
    ]


def branches_with_secretary(data: CheckInput) -> list[CheckRecord]:
    """Every branch (支部, joint and temporary included) has a secretary on `as_of`."""
    branches = {t.value for t in BRANCH_TYPES}
    return [
        _organisation(o)
        for o in data.organisations
        if o.type in branches and o.id not in data.with_secretary
    ]


CHECKS: tuple[Check, ...] = (
    Check("statistics.totals_disagree", "统计表合计与党员总数不一致", "A table's total differs from the member count", totals_agree),  # noqa: E501
    Check("statistics.education_missing", "党员学历未填写或不在代码表中", "Education missing or not in GB/T 4658", members_with_education),  # noqa: E501
    Check("statistics.ethnicity_missing", "党员民族未填写或不在代码表中", "Ethnicity missing or not in GB/T 3304", members_with_ethnicity),  # noqa: E501
    Check("statistics.gender_or_birth_missing", "党员性别或出生日期缺失或有误", "Gender or birth date missing or wrong", members_with_gender_and_birth),  # noqa: E501
    Check("statistics.joined_on_missing", "党员入党日期未填写", "Joining date missing", members_with_joining_date),  # noqa: E501
    Check("statistics.joined_under_age", "入党时未满 18 周岁", "Joined before the age of 18", joined_of_age),  # noqa: E501
    Check("statistics.full_before_joined", "转正日期不晚于入党日期", "Full membership not after joining", full_after_joining),  # noqa: E501
    Check("statistics.branch_without_secretary", "党支部未配备书记", "Branch without a secretary", branches_with_secretary),  # noqa: E501
)  # fmt: skip


def run_checks(data: CheckInput) -> list[FailedCheck]:
    """The failed checks in `CHECKS` order, each with up to `RECORDS_CAP` records."""
    failed = []
    for check in CHECKS:
        records = check.run(data)
        if records:
            failed.append(
                FailedCheck(
                    code=check.code,
                    message_zh=check.zh,
                    message_en=check.en,
                    count=len(records),
                    records=records[:RECORDS_CAP],
                )
            )
    return failed


async def _with_secretary(
    session: AsyncSession, org: Organisation, as_of: date
) -> frozenset[uuid.UUID]:
    rows = await session.scalars(
        select(OrganisationLeader.org_id)
        .join(Organisation, Organisation.id == OrganisationLeader.org_id)
        .where(
            under(Organisation.path, org.path),
            OrganisationLeader.role == LeaderRole.secretary.value,
            OrganisationLeader.started_on <= as_of,
            or_(OrganisationLeader.ended_on.is_(None), OrganisationLeader.ended_on >= as_of),
        )
    )
    return frozenset(rows)


async def statistics_checks(
    session: AsyncSession, org: Organisation, as_of: date
) -> StatisticsChecks:
    """The checks before submission (逻辑校验) of the subtree's statistics as of `as_of`:
    each failed rule with its code, zh and en message, how many records break it and
    up to 100 of them (a member, an organisation or a table, with the API path to fix
    it). Rules: every table sums to the member count; every counted member has an
    education (GB/T 4658), an ethnicity (GB/T 3304), a gender and a birth date, a
    joining date not before birth + 18 years and a full date after it; every branch
    has a secretary serving that day."""
    subtree = await load_subtree(session, org)
    organisations = await organisations_as_of(session, org, as_of)
    data = CheckInput(
        as_of=as_of,
        tables=await statistics_tables(session, org, as_of, subtree),
        members=counted_members(subtree, as_of),
        organisations=[OrgFacts(o.id, o.name, o.type) for o in organisations],
        with_secretary=await _with_secretary(session, org, as_of),
    )
    failed = run_checks(data)
    return StatisticsChecks(
        org_id=org.id,
        as_of=as_of,
        checked=[c.code for c in CHECKS],
        passed=not failed,
        failed=failed,
    )
