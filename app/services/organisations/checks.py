"""Checks before submission (逻辑校验) of the statistics tables: the cross-table rules
the statistics departments apply, one rule per function in `CHECKS`.

A rule on one record is an SQL condition that the record fails (`member_rule`,
`organisation_rule`), run by PostgreSQL over the population the tables count: the
members counted on `as_of` (`counted_on`: the records as created counted by
`unchanged_counted_on`, those with a recorded change by their histories) or the
organisations existing that day. A rule across tables reads the tables. Each failed
check answers how many records fail it and the first `RECORDS_CAP` of them (by id), a
member, an organisation or a table, each with the API path that fixes it; every record
of a record rule, past the first ones, is read page by page (`check_records`, at the
path `records_path` names).
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any, Literal, cast

from sqlalchemy import ColumnElement, and_, exists, func, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from app.models.enums import BRANCH_TYPES, Gender, LeaderRole
from app.models.member import Member
from app.models.organisation import Organisation, OrganisationLeader
from app.pagination import Page, paginate, parse_sort
from app.schemas.statistics import (
    CheckRecord,
    FailedCheck,
    MemberTables,
    StatisticsChecks,
    StatisticsTables,
)
from app.services.code_lists import EDUCATION_SPELLINGS, ETHNICITY_SPELLINGS
from app.services.lifecycle.membership import counted_on
from app.services.members.validation import MIN_APPLICATION_AGE
from app.services.organisations.member_changes import Subtree, load_subtree, load_tree
from app.services.organisations.stats import (
    counted_members,
    existing_on,
    statistics_tables,
    year_before,
)

# Offending records answered per failed check (the count tells how many there are).
RECORDS_CAP = 100

Kind = Literal["member_record", "organisation_record"]
Rule = Callable[[date], ColumnElement[bool]]


@dataclass(frozen=True, slots=True)
class Check:
    """A rule: its code and zh/en message, and either the SQL condition a record of
    `kind` fails on `as_of` (`record`) or the failing tables (`tables`)."""

    code: str
    zh: str
    en: str
    kind: Kind | Literal["statistics_table"]
    record: Rule | None = None
    tables: Callable[[StatisticsTables], list[CheckRecord]] | None = None


def _table_sums(part: str, tables: MemberTables) -> list[CheckRecord]:
    return [
        CheckRecord(kind="statistics_table", id=None, name=f"{part}.{name}", link=None)
        for name, rows in tables
        if isinstance(rows, list) and sum(r.count for r in rows) != tables.total
    ]


def totals_disagree(tables: StatisticsTables) -> list[CheckRecord]:
    """Each member table (members and new members) sums to its member count."""
    return _table_sums("members", tables.members) + _table_sums("new_members", tables.new_members)


def _not_in(column: Any, values: Sequence[str]) -> ColumnElement[bool]:
    return or_(column.is_(None), column.not_in(values))


def education_missing(as_of: date) -> ColumnElement[bool]:
    """A counted member without an education of GB/T 4658 (a spelling
    `resolve_education` reads)."""
    return _not_in(Member.education, list(EDUCATION_SPELLINGS))


def ethnicity_missing(as_of: date) -> ColumnElement[bool]:
    """A counted member without an ethnicity of GB/T 3304 (a spelling
    `resolve_ethnicity` reads)."""
    return _not_in(Member.ethnicity, list(ETHNICITY_SPELLINGS))


def gender_or_birth_missing(as_of: date) -> ColumnElement[bool]:
    """A counted member without a gender, or without a birth date not after `as_of`."""
    return or_(
        _not_in(Member.gender, [g.value for g in Gender]),
        Member.birth_date.is_(None),
        Member.birth_date > as_of,
    )


def joined_on_missing(as_of: date) -> ColumnElement[bool]:
    """A counted member without a joining date (入党日期), read by the joining periods."""
    return Member.joined_on.is_(None)


def joined_under_age(as_of: date) -> ColumnElement[bool]:
    """A counted member who joined younger than `MIN_APPLICATION_AGE` in full years
    (`validation.age_on`; one applies before joining)."""
    years = func.extract("year", func.age(Member.joined_on, Member.birth_date))
    return and_(Member.joined_on.is_not(None), years < MIN_APPLICATION_AGE)


def full_before_joined(as_of: date) -> ColumnElement[bool]:
    """A counted member who became full (转正) on or before joining (入党)."""
    return and_(
        Member.full_on.is_not(None),
        Member.joined_on.is_not(None),
        Member.full_on <= Member.joined_on,
    )


def branch_without_secretary(as_of: date) -> ColumnElement[bool]:
    """A branch (支部, joint and temporary included) without a secretary serving on
    `as_of`."""
    serving = exists().where(
        OrganisationLeader.org_id == Organisation.id,
        OrganisationLeader.role == LeaderRole.secretary.value,
        OrganisationLeader.started_on <= as_of,
        or_(OrganisationLeader.ended_on.is_(None), OrganisationLeader.ended_on >= as_of),
    )
    return and_(Organisation.type.in_([t.value for t in BRANCH_TYPES]), ~serving)


MEMBER: Kind = "member_record"
ORGANISATION: Kind = "organisation_record"
CHECKS: tuple[Check, ...] = (
    Check("statistics.totals_disagree", "统计表合计与党员总数不一致", "A table's total differs from the member count", "statistics_table", tables=totals_disagree),  # noqa: E501
    Check("statistics.education_missing", "党员学历未填写或不在代码表中", "Education missing or not in GB/T 4658", MEMBER, education_missing),  # noqa: E501
    Check("statistics.ethnicity_missing", "党员民族未填写或不在代码表中", "Ethnicity missing or not in GB/T 3304", MEMBER, ethnicity_missing),  # noqa: E501
    Check("statistics.gender_or_birth_missing", "党员性别或出生日期缺失或有误", "Gender or birth date missing or wrong", MEMBER, gender_or_birth_missing),  # noqa: E501
    Check("statistics.joined_on_missing", "党员入党日期未填写", "Joining date missing", MEMBER, joined_on_missing),  # noqa: E501
    Check("statistics.joined_under_age", "入党时未满 18 周岁", "Joined before the age of 18", MEMBER, joined_under_age),  # noqa: E501
    Check("statistics.full_before_joined", "转正日期不晚于入党日期", "Full membership not after joining", MEMBER, full_before_joined),  # noqa: E501
    Check("statistics.branch_without_secretary", "党支部未配备书记", "Branch without a secretary", ORGANISATION, branch_without_secretary),  # noqa: E501
)  # fmt: skip


RECORD_CHECKS: dict[str, Check] = {c.code: c for c in CHECKS if c.record is not None}


def records_path(org_id: uuid.UUID, code: str, as_of: date) -> str:
    """The API path listing every record of `org_id`'s subtree failing the record rule
    `code` on `as_of`, page by page (add `limit`, then each page's `cursor`)."""
    return f"/api/v1/organisations/{org_id}/statistics/checks/{code}/records?as_of={as_of}"


def _record(kind: Kind, id_: uuid.UUID, name: str) -> CheckRecord:
    base = "members" if kind == "member_record" else "organisations"
    return CheckRecord(kind=kind, id=id_, name=name, link=f"/api/v1/{base}/{id_}")


def _model(kind: Kind) -> type[Member] | type[Organisation]:
    return Member if kind == MEMBER else Organisation


async def failed_records(
    session: AsyncSession,
    checks: Sequence[Check],
    population: ColumnElement[bool],
    as_of: date,
) -> dict[str, tuple[int, list[CheckRecord]]]:
    """Per failed check of `checks` (all of one kind), how many records of `population`
    fail it (one statement for all) and the first `RECORDS_CAP` of them by id (one
    statement per failed check)."""
    if not checks:
        return {}
    kind: Kind = MEMBER if checks[0].kind == MEMBER else ORGANISATION
    model = _model(kind)
    rules = [(c, c.record(as_of)) for c in checks if c.record is not None]
    counts = (
        await session.execute(
            select(*(func.count().filter(rule) for _, rule in rules)).where(population)
        )
    ).one()
    failed: dict[str, tuple[int, list[CheckRecord]]] = {}
    for (check, rule), count in zip(rules, counts, strict=True):
        if count:
            rows = await session.execute(
                select(model.id, model.name)
                .where(population, rule)
                .order_by(model.id)
                .limit(RECORDS_CAP)
            )
            failed[check.code] = (count, [_record(kind, i, name) for i, name in rows])
    return failed


async def _population(
    session: AsyncSession, org: Organisation, as_of: date, kind: Kind, subtree: Subtree | None
) -> ColumnElement[bool]:
    """SQL: the records of `kind` the subtree's tables count on `as_of` (the members by
    `counted_on`, the organisations by `existing_on`), in the tree as it stood that day
    (`where_on`). `subtree` is the one the tables read (loaded since a day up to
    `as_of`); without it, only what that day needs is loaded (since `as_of`)."""
    if kind == ORGANISATION:
        tree = subtree.tree if subtree else await load_tree(session, org, since=as_of)
        return existing_on(tree.where_on(as_of), as_of)
    subtree = subtree or await load_subtree(session, org, changed_only=True, since=as_of)
    changed = [m.id for m in counted_members(subtree, as_of)]
    return counted_on(subtree.tree.where_on(as_of), as_of, changed, subtree.quiet_since)


async def check_records(
    session: AsyncSession,
    org: Organisation,
    as_of: date,
    code: str,
    *,
    limit: int | None,
    cursor: str | None,
    include_total: bool,
) -> Page[CheckRecord]:
    """Every record of the subtree failing the record rule `code` on `as_of`, a page at
    a time in id order (a signed keyset cursor), each with the API path that fixes it:
    the same records, counted the same, as the rule's `count` in the checks."""
    check = RECORD_CHECKS[code]
    assert check.record is not None and check.kind != "statistics_table"
    kind: Kind = check.kind
    model = _model(kind)
    population = await _population(session, org, as_of, kind, None)
    page = await paginate(
        session,
        select(model).where(population, check.record(as_of)),
        parse_sort("id", {}, model.id),
        limit=limit,
        cursor=cursor,
        include_total=include_total,
    )
    rows = cast(list[Member | Organisation], page.items)
    records = [_record(kind, r.id, r.name) for r in rows]
    return Page(records, page.next_cursor, page.total)


def _failed(
    org: Organisation, as_of: date, check: Check, count: int, records: list[CheckRecord]
) -> FailedCheck:
    return FailedCheck(
        code=check.code,
        message_zh=check.zh,
        message_en=check.en,
        count=count,
        records=records,
        all_records=(
            records_path(org.id, check.code, as_of) if check.code in RECORD_CHECKS else None
        ),
    )


async def statistics_checks(
    session: AsyncSession, org: Organisation, as_of: date
) -> StatisticsChecks:
    """The checks before submission (逻辑校验) of the subtree's statistics as of `as_of`:
    each failed rule with its code, zh and en message, how many records break it and
    up to 100 of them by id (a member, an organisation or a table, with the API path
    to fix it); a record rule's `all_records` is the path of the paged list of all of
    them on that day (`GET .../statistics/checks/{check}/records?as_of=`). Rules: every
    table sums to the member count; every counted member has an education (GB/T 4658),
    an ethnicity (GB/T 3304), a gender and a birth date, a joining date at 18 or older
    in full years and a full date after it; every branch has a secretary serving that
    day. The records are those of the tree as it stood on `as_of` (`_population`).
    The record rules run in the database."""
    subtree = await load_subtree(session, org, changed_only=True, since=year_before(as_of))
    tables = await statistics_tables(session, org, as_of, subtree)
    found: dict[str, tuple[int, list[CheckRecord]]] = {}
    for kind in (MEMBER, ORGANISATION):
        population = await _population(session, org, as_of, kind, subtree)
        of_kind = [c for c in CHECKS if c.kind == kind]
        found |= await failed_records(session, of_kind, population, as_of)
    for check in CHECKS:
        if check.tables is not None and (records := check.tables(tables)):
            found[check.code] = (len(records), records[:RECORDS_CAP])
    failed = [_failed(org, as_of, c, *found[c.code]) for c in CHECKS if c.code in found]
    return StatisticsChecks(
        org_id=org.id,
        as_of=as_of,
        checked=[c.code for c in CHECKS],
        passed=not failed,
        failed=failed,
    )
