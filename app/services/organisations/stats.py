"""Organisation statistics: members by status, category, gender, age band and education;
the annual tables (党内统计) as of a date."""

from __future__ import annotations

import uuid
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date
from enum import StrEnum
from typing import Any

from sqlalchemy import ColumnElement, case, func, literal_column, or_, select, tuple_
from sqlalchemy.ext.asyncio import AsyncSession

from app.models.enums import (
    ENDED_STATUSES,
    LABELS,
    Gender,
    MemberCategory,
    MemberChangeReason,
    OrgType,
)
from app.models.labels_en import LABELS_EN
from app.models.member import Member
from app.models.organisation import Organisation, OrganisationLeader
from app.schemas.organisations import OrganisationStats
from app.schemas.statistics import MemberTables, OrganisationTables, StatisticsTables, StatRow
from app.security.scope import under
from app.services.lifecycle.membership import (
    MemberFacts,
    MemberHistory,
    unchanged,
    unchanged_counted_on,
)
from app.services.members.code_lists import (
    EDUCATIONS,
    ETHNICITIES,
    resolve_education,
    resolve_ethnicity,
)
from app.services.organisations import indicators
from app.services.organisations.member_changes import Subtree, ledger, load_subtree
from app.services.organisations.terms import add_years, term_flags, term_years
from app.services.policies import effective_policies

AGE_BANDS = (("<=30", 30), ("31-40", 40), ("41-50", 50), ("51-60", 60), ("61-70", 70))


async def _member_groups(session: AsyncSession, org: Organisation, today: date) -> Sequence[Any]:
    """Rows of (education, status, category, gender, count, born after each age cut-off).

    One pass over the subtree's members, read from the covering index
    `ix_members_org_path_stats` (no table access), hashed by education, status,
    category and gender (a few hundred groups at most, whatever the subtree's size)
    with one `count(*) FILTER` per age cut-off. Aged at most `limit` full years <=>
    born after the day `limit + 1` years ago.
    """
    younger_than = [
        func.count().filter(Member.birth_date > add_years(today, -(limit + 1)))
        for _, limit in AGE_BANDS
    ]
    education = func.coalesce(Member.education, "unknown")
    return (
        await session.execute(
            select(
                education,
                Member.status,
                Member.category,
                Member.gender,
                func.count(),
                *younger_than,
            )
            .where(under(Member.org_path, org.path))
            .group_by(education, Member.status, Member.category, Member.gender)
        )
    ).all()


def age_band_counts(younger: Sequence[int], current: int) -> dict[str, int]:
    """Members per age band from the cumulative counts born after each cut-off: a band
    is those born after its cut-off but not after the younger band's; the rest of the
    `current` members are over 70. Empty bands are left out."""
    counts = [n - (younger[i - 1] if i else 0) for i, n in enumerate(younger)]
    counts.append(current - (younger[-1] if younger else 0))
    labels = [*[label for label, _ in AGE_BANDS], ">70"]
    return {label: n for label, n in zip(labels, counts, strict=True) if n}


async def _organisation_types(session: AsyncSession, org: Organisation) -> dict[str, int]:
    """Organisations of the subtree (not dissolved) by type."""
    rows = await session.execute(
        select(Organisation.type, func.count())
        .where(under(Organisation.path, org.path), Organisation.dissolved_on.is_(None))
        .group_by(Organisation.type)
    )
    return {org_type: int(count) for org_type, count in rows.all()}


async def organisation_stats(
    session: AsyncSession, org: Organisation, today: date
) -> OrganisationStats:
    """Counts over the whole subtree: by status, category, gender, age band, education.

    `by_status` counts every record; the other breakdowns and `members` count current
    members only (not `left` or `deceased`). Age is in full years on `as_of`.
    """
    ended = {s.value for s in ENDED_STATUSES}
    by_status: dict[str, int] = defaultdict(int)
    by_category: dict[str, int] = defaultdict(int)
    by_gender: dict[str, int] = defaultdict(int)
    by_education: dict[str, int] = defaultdict(int)
    younger = [0] * len(AGE_BANDS)  # cumulative: born after each cut-off
    current = 0
    for edu, status, category, gender, n, *born_after in await _member_groups(session, org, today):
        by_status[status] += n
        if status in ended:
            continue  # the breakdowns count current members only
        current += n
        by_category[category] += n
        by_gender[gender] += n
        by_education[edu] += n
        younger = [a + b for a, b in zip(younger, born_after, strict=True)]
    by_type = await _organisation_types(session, org)
    return OrganisationStats(
        org_id=org.id,
        as_of=today,
        organisations=sum(by_type.values()),
        members=sum(by_category.values()),
        by_status=dict(by_status),
        by_category=dict(by_category),
        by_gender=dict(by_gender),
        by_age_band=age_band_counts(younger, current),
        by_education=dict(by_education),
        by_org_type=by_type,
    )


# --- Statistical tables as of a date (党内统计年报) ------------------------------------

# (key, zh, en): a row of a table, keyed by the code it counts.
Row = tuple[str, str, str]

UNIT_CATEGORIES: dict[int, tuple[str, str]] = {
    1: ("国有企业", "State-owned enterprise"),
    2: ("非公有制经济组织", "Non-public enterprise"),
    3: ("农村", "Village"),
    4: ("党政机关", "Party and government organ"),
    5: ("学校", "School"),
    6: ("其他事业单位", "Other public institution"),
    7: ("街道社区", "Street or community"),
    8: ("社会组织", "Social organisation"),
    9: ("其他", "Other"),
}

# The GB/T 4658 categories the annual tables count (the first digit of the code).
EDUCATION_CATEGORIES: dict[str, str] = {
    "10": "Postgraduate",
    "20": "Undergraduate",
    "30": "Junior college",
    "40": "Secondary vocational",
    "60": "Senior high school",
    "70": "Junior high school",
    "80": "Primary school",
    "90": "Other",
}

# 入党时间: the periods of the annual tables, each from its first day.
JOINING_PERIODS: tuple[tuple[str, str, str, date], ...] = (
    ("before_1949_10", "1949年9月及以前", "Up to September 1949", date.min),
    ("1949_10_1966_04", "1949年10月至1966年4月", "Oct 1949 to Apr 1966", date(1949, 10, 1)),
    ("1966_05_1976_10", "1966年5月至1976年10月", "May 1966 to Oct 1976", date(1966, 5, 1)),
    ("1976_11_1978_12", "1976年11月至1978年12月", "Nov 1976 to Dec 1978", date(1976, 11, 1)),
    ("1979_01_2002_10", "1979年1月至2002年10月", "Jan 1979 to Oct 2002", date(1979, 1, 1)),
    ("2002_11_2012_10", "2002年11月至2012年10月", "Nov 2002 to Oct 2012", date(2002, 11, 1)),
    ("2012_11_on", "2012年11月以来", "Since November 2012", date(2012, 11, 1)),
)  # fmt: skip

UNKNOWN: Row = ("unknown", "未填写", "Not recorded")
COMMITTEE_SEATS = frozenset(
    {"organisation_member", "propaganda_member", "discipline_member", "committee_member"}
)
TERM_STATUSES: dict[str, tuple[str, str]] = {
    "current": ("任期内", "Within the term"),
    "ending_soon": ("即将到期", "Ending soon"),
    "expired": ("已到期未换届", "Expired, election overdue"),
    "start_unknown": ("任期起始日期未填写", "Term start not recorded"),
}


def _labelled(vocabulary: type[StrEnum], value: str) -> Row:
    return value, LABELS[vocabulary].get(value, value), LABELS_EN[vocabulary].get(value, value)


def ethnicity_row(value: str | None) -> Row:
    code = resolve_ethnicity(value) if value else None
    if code is None:
        return UNKNOWN
    return code, ETHNICITIES[code], "Han" if code == "01" else f"Ethnic minority ({code})"


def education_row(value: str | None) -> Row:
    code = resolve_education(value) if value else None
    if code is None:
        return UNKNOWN
    category = code[0] + "0"
    return category, EDUCATIONS[category], EDUCATION_CATEGORIES[category]


def joining_period_row(joined_on: date | None) -> Row:
    if joined_on is None:
        return UNKNOWN
    key, zh, en, _ = next(p for p in reversed(JOINING_PERIODS) if joined_on >= p[3])
    return key, zh, en


MEMBER_TABLES = ("by_gender", "by_ethnicity", "by_education", "by_category", "by_joining_period")


@dataclass
class Tally:
    """A population's member tables while counting: a count per row of each table, the
    members born after each age cut-off (cumulative, as `age_band_counts` reads) and
    the total. Tallies of two disjoint populations add up."""

    tables: dict[str, dict[Row, int]] = field(
        default_factory=lambda: {t: defaultdict(int) for t in MEMBER_TABLES}
    )
    younger: list[int] = field(default_factory=lambda: [0] * len(AGE_BANDS))
    total: int = 0

    def add(self, other: Tally) -> None:
        for name, table in other.tables.items():
            for row, n in table.items():
                self.tables[name][row] += n
        self.younger = [a + b for a, b in zip(self.younger, other.younger, strict=True)]
        self.total += other.total

    def age_rows(self) -> dict[Row, int]:
        bands = age_band_counts(self.younger, self.total)
        return {(band, band, band): n for band, n in bands.items()}


def member_tally(members: Sequence[MemberFacts], as_of: date) -> Tally:
    """The member tables of `members`: by gender, ethnicity, education, category,
    joining period, and age on `as_of` through the cut-offs of `organisation_stats`."""
    tally = Tally(total=len(members))
    tables = tally.tables
    for m in members:
        tables["by_gender"][_labelled(Gender, m.gender)] += 1
        tables["by_ethnicity"][ethnicity_row(m.ethnicity)] += 1
        tables["by_education"][education_row(m.education)] += 1
        tables["by_category"][_labelled(MemberCategory, m.category)] += 1
        tables["by_joining_period"][joining_period_row(m.joined_on)] += 1
    cut_offs = [add_years(as_of, -(limit + 1)) for _, limit in AGE_BANDS]
    tally.younger = [sum(m.birth_date > cut for m in members) for cut in cut_offs]
    return tally


def _joining_period() -> ColumnElement[str]:
    """SQL: the key of `joining_period_row` (the periods' first days written as
    constants, so the grouping and the selected expression are the same text)."""
    periods = [
        (Member.joined_on >= literal_column(f"DATE '{start.isoformat()}'"), key)
        for key, _, _, start in reversed(JOINING_PERIODS[1:])
    ]
    first = (Member.joined_on.is_not(None), JOINING_PERIODS[0][0])
    return case(*periods, first, else_=UNKNOWN[0])


PERIOD_ROWS = {key: (key, zh, en) for key, zh, en, _ in JOINING_PERIODS} | {UNKNOWN[0]: UNKNOWN}


def _row_of(table: str, value: str | None) -> Row:
    if table == "by_gender":
        return _labelled(Gender, str(value))
    if table == "by_ethnicity":
        return ethnicity_row(value)
    if table == "by_education":
        return education_row(value)
    if table == "by_category":
        return _labelled(MemberCategory, str(value))
    return PERIOD_ROWS[str(value)]


async def unchanged_tally(session: AsyncSession, path: str, as_of: date) -> Tally:
    """The member tables of the records without a recorded change counted by the
    subtree at `path` on `as_of`, aggregated by PostgreSQL in one statement (a
    grouping set per table and one for the total and the age cut-offs): the same
    rows as `member_tally` of those records, read without loading them."""
    dims = (Member.gender, Member.ethnicity, Member.education, Member.category)
    columns = [*dims, _joining_period()]
    younger = [
        func.count().filter(Member.birth_date > add_years(as_of, -(limit + 1)))
        for _, limit in AGE_BANDS
    ]
    sets = [*(tuple_(c) for c in columns), tuple_()]
    rows = await session.execute(
        select(func.grouping(*columns), *columns, func.count(), *younger)
        .where(unchanged_counted_on(path, as_of), unchanged())
        .group_by(func.grouping_sets(*sets))
    )
    tally = Tally()
    everything = (1 << len(columns)) - 1  # the grouping bits when no column is grouped
    for mask, *values in rows.all():
        counts = values[len(columns) :]
        if mask == everything:
            tally.total, tally.younger = int(counts[0]), [int(n) for n in counts[1:]]
            continue
        i = next(
            i for i in range(len(columns)) if mask == everything ^ (1 << (len(columns) - 1 - i))
        )
        table = MEMBER_TABLES[i]
        tally.tables[table][_row_of(table, values[i])] += int(counts[0])
    return tally


async def organisations_as_of(
    session: AsyncSession, org: Organisation, as_of: date
) -> Sequence[Organisation]:
    """The subtree's organisations founded by `as_of` and not dissolved by then."""
    return (
        await session.scalars(
            select(Organisation).where(
                under(Organisation.path, org.path),
                or_(Organisation.founded_on.is_(None), Organisation.founded_on <= as_of),
                or_(Organisation.dissolved_on.is_(None), Organisation.dissolved_on > as_of),
            )
        )
    ).all()


async def _with_committee(session: AsyncSession, org: Organisation, as_of: date) -> set[uuid.UUID]:
    """Organisations of the subtree holding a committee seat (委员) on `as_of`."""
    rows = await session.scalars(
        select(OrganisationLeader.org_id)
        .join(Organisation, Organisation.id == OrganisationLeader.org_id)
        .where(
            under(Organisation.path, org.path),
            OrganisationLeader.role.in_(COMMITTEE_SEATS),
            OrganisationLeader.started_on <= as_of,
            or_(OrganisationLeader.ended_on.is_(None), OrganisationLeader.ended_on >= as_of),
        )
    )
    return set(rows)


def _term_status(org: Organisation, policy: dict[str, Any], as_of: date) -> str | None:
    years = term_years(org, policy)
    if years is None:
        return None
    _, flags = term_flags(org.term_started_on, years, as_of, int(policy["term_warning_days"]))
    return flags[0].code.removeprefix("term.") if flags else "current"


async def organisation_tables(
    session: AsyncSession, org: Organisation, as_of: date
) -> dict[str, Any]:
    """Organisations on `as_of` by type, unit category, with and without a committee
    (parties groups aside) and by term status (those with terms)."""
    orgs = await organisations_as_of(session, org, as_of)
    committees = await _with_committee(session, org, as_of)
    policies = await effective_policies(session, org.path, [(o.id, o.path) for o in orgs])
    by_type: dict[Row, int] = defaultdict(int)
    by_unit: dict[Row, int] = defaultdict(int)
    by_term: dict[Row, int] = defaultdict(int)
    with_committee = without_committee = 0
    for o in orgs:
        by_type[_labelled(OrgType, o.type)] += 1
        unit = UNIT_CATEGORIES.get(o.unit_category or 0)
        by_unit[(str(o.unit_category), *unit) if unit else UNKNOWN] += 1
        if o.type != OrgType.group:
            with_committee += o.id in committees
            without_committee += o.id not in committees
        status = _term_status(o, policies[o.id], as_of)
        if status is not None:
            by_term[(status, *TERM_STATUSES[status])] += 1
    return {
        "total": len(orgs),
        "by_type": by_type,
        "by_unit_category": by_unit,
        "with_committee": with_committee,
        "without_committee": without_committee,
        "by_term_status": by_term,
    }


def _rows(table: dict[Row, int]) -> list[StatRow]:
    return [
        StatRow(key=key, label_zh=zh, label_en=en, count=n)
        for (key, zh, en), n in sorted(table.items(), key=lambda item: item[0][0])
    ]


def _member_tables(tally: Tally) -> MemberTables:
    tables = {**tally.tables, "by_age_band": tally.age_rows()}
    return MemberTables(total=tally.total, **{k: _rows(v) for k, v in tables.items()})


async def statistics_tables(
    session: AsyncSession, org: Organisation, as_of: date, subtree: Subtree | None = None
) -> StatisticsTables:
    """The annual tables (党内统计) of the subtree as of `as_of`: the members counted
    that day (probationary and full, as in the 增减 ledger) by gender, ethnicity (GB/T
    3304), age band (full years on `as_of`), education (GB/T 4658 category), category
    and joining period (入党时间); the members admitted (发展党员) from 1 January of
    `as_of`'s year to `as_of` by the same; the organisations existing that day by type,
    unit category, with and without a committee seat (委员; party groups aside) and by
    term status (换届: those with terms). Rows are keyed by code with zh and en labels;
    `unknown` counts records without the field."""
    subtree = subtree or await load_subtree(session, org, changed_only=True)
    histories, inside = subtree.histories, subtree.inside
    counted = member_tally(counted_members(subtree, as_of), as_of)
    if subtree.unchanged_path is not None:
        counted.add(await unchanged_tally(session, subtree.unchanged_path, as_of))
    year = ledger(histories, inside, as_of.replace(month=1, day=1), as_of)
    new = {e.member_id for e in year.entries if e.reason is MemberChangeReason.admission}
    admitted = [h.member for h in histories if h.member_id in new]
    organisations = await organisation_tables(session, org, as_of)
    return StatisticsTables(
        org_id=org.id,
        as_of=as_of,
        members=_member_tables(counted),
        new_members=_member_tables(member_tally(admitted, as_of)),
        organisations=OrganisationTables(
            total=organisations["total"],
            by_type=_rows(organisations["by_type"]),
            by_unit_category=_rows(organisations["by_unit_category"]),
            with_committee=organisations["with_committee"],
            without_committee=organisations["without_committee"],
            by_term_status=_rows(organisations["by_term_status"]),
        ),
        meetings=await indicators.meeting_tables(session, org, as_of),
        points=await indicators.points_tables(session, org, as_of),
    )


def counted_members(subtree: Subtree, day: date) -> list[MemberFacts]:
    """The members the subtree counts at the end of `day` (the tables' population;
    of the members with a recorded change only when the subtree leaves the rest to
    SQL)."""
    return [h.member for h in subtree.histories if _counted_in(h, subtree.inside, day)]


def _counted_in(history: MemberHistory, inside: set[uuid.UUID], day: date) -> bool:
    place = history.place_on(day)
    return place.counted and place.org_id in inside
