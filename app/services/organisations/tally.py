"""The member tables of the statistics (党内统计) while counting: each table's rows
(keyed by code, zh and en labels), counted from member records in Python
(`member_tally`, the members with a recorded change) or by PostgreSQL
(`unchanged_tally`, the records as created), the two adding up to the same rows."""

from __future__ import annotations

import uuid
from collections import defaultdict
from collections.abc import AsyncIterator, Callable, Sequence
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from datetime import date
from enum import StrEnum
from typing import Any

from sqlalchemy import (
    ColumnElement,
    and_,
    case,
    func,
    literal,
    literal_column,
    select,
    text,
    tuple_,
)
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import InstrumentedAttribute

from app.id_sets import not_among
from app.models.enums import LABELS, Gender, MemberCategory
from app.models.labels_en import LABELS_EN
from app.models.member import Member
from app.services import code_lists
from app.services.code_lists import (
    EDUCATIONS,
    ETHNICITIES,
    resolve_education,
    resolve_ethnicity,
)
from app.services.lifecycle.membership import (
    MemberFacts,
    Where,
    unchanged,
    unchanged_counted_on,
)
from app.services.organisations.terms import add_years

# work_mem of the grouping statement (bench/RESULTS.md, statistics).
GROUPING_WORK_MEM = "64MB"


@asynccontextmanager
async def work_mem(session: AsyncSession, size: str) -> AsyncIterator[None]:
    """`work_mem` raised to `size` (`'64MB'`) for the statements run inside, in this
    transaction only, then put back (a failed statement ends the transaction, which
    puts it back): for one aggregation the planner would otherwise sort and spill to
    disk."""
    previous = await session.scalar(text("SELECT current_setting('work_mem')"))
    await session.execute(text("SELECT set_config('work_mem', :size, true)"), {"size": size})
    yield
    await session.execute(text("SELECT set_config('work_mem', :size, true)"), {"size": previous})


AGE_BANDS = (("<=30", 30), ("31-40", 40), ("41-50", 50), ("51-60", 60), ("61-70", 70))
OLDEST_BAND = ">70"
BAND_LABELS = (*(label for label, _ in AGE_BANDS), OLDEST_BAND)
# The education of a member without one recorded, in the dashboard's counts.
EDUCATION_UNKNOWN = "unknown"


def age_cut_offs(as_of: date) -> list[date]:
    """The age cut-offs on `as_of`, one per band of `AGE_BANDS`: aged at most `limit`
    full years <=> born after the day `limit + 1` years before."""
    return [add_years(as_of, -(limit + 1)) for _, limit in AGE_BANDS]


def age_band(
    birth_date: ColumnElement[date] | InstrumentedAttribute[date], as_of: date
) -> ColumnElement[str]:
    """The age band of `birth_date` on `as_of` as SQL: the youngest band whose cut-off
    it is born after, else the oldest. The one band rule of the dashboard's counts:
    the live query, the kept rollups and the deltas since are all grouped by it."""
    whens = [
        (birth_date > cut, label)
        for cut, (label, _) in zip(age_cut_offs(as_of), AGE_BANDS, strict=True)
    ]
    return case(*whens, else_=literal(OLDEST_BAND))


def counted_education(
    education: ColumnElement[str | None] | InstrumentedAttribute[str | None],
) -> ColumnElement[str]:
    """The education a member is counted under: the recorded code, else `unknown`."""
    return func.coalesce(education, EDUCATION_UNKNOWN)


def age_band_counts(younger: Sequence[int], current: int) -> dict[str, int]:
    """Members per age band from the cumulative counts born after each cut-off: a band
    is those born after its cut-off but not after the younger band's; the rest of the
    `current` members are over 70. Empty bands are left out."""
    counts = [n - (younger[i - 1] if i else 0) for i, n in enumerate(younger)]
    counts.append(current - (younger[-1] if younger else 0))
    labels = BAND_LABELS
    return {label: n for label, n in zip(labels, counts, strict=True) if n}


# (key, zh, en): a row of a table, keyed by the code it counts.
Row = tuple[str, str, str]


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


def labelled(vocabulary: type[StrEnum], value: str) -> Row:
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


def coded(values: dict[str, str], english: dict[str, str]) -> Callable[[Any], Row]:
    def row(value: Any) -> Row:
        return UNKNOWN if value is None else code_lists.coded_row(values, english, str(value))

    return row


CONTACT_ROWS: dict[str, Row] = {
    "in_contact": ("in_contact", "保持联系", "In contact"),
    "lost_contact": ("lost_contact", "失去联系", "Lost contact"),
}
PERIOD_ROWS = {key: (key, zh, en) for key, zh, en, _ in JOINING_PERIODS} | {UNKNOWN[0]: UNKNOWN}

# Each member table and the row of a value it groups by (the value read in Python by
# `_values`, in SQL by `_columns`, in this order).
ROW_OF: dict[str, Callable[[Any], Row]] = {
    "by_gender": lambda v: labelled(Gender, str(v)),
    "by_ethnicity": ethnicity_row,
    "by_education": education_row,
    "by_category": lambda v: labelled(MemberCategory, str(v)),
    "by_joining_period": lambda v: PERIOD_ROWS[str(v)],
    "by_degree": coded(code_lists.DEGREES, code_lists.DEGREES_EN),
    "by_post": coded(code_lists.POSTS, code_lists.POSTS_EN),
    "by_new_social_stratum": coded(code_lists.NEW_SOCIAL_STRATA, code_lists.NEW_SOCIAL_STRATA_EN),
    "by_hardship": coded(code_lists.HARDSHIPS, code_lists.HARDSHIPS_EN),
    "by_contact": lambda v: CONTACT_ROWS[str(v)],
}
MEMBER_TABLES = tuple(ROW_OF)


def _lost(lost_since: date | None, as_of: date) -> bool:
    return lost_since is not None and lost_since <= as_of


def _values(m: MemberFacts, as_of: date) -> tuple[Any, ...]:
    contact = "lost_contact" if _lost(m.lost_contact_since, as_of) else "in_contact"
    period = joining_period_row(m.joined_on)[0]
    return (
        m.gender, m.ethnicity, m.education, m.category, period,
        m.degree, m.post, m.new_social_stratum, m.hardship, contact,
    )  # fmt: skip


def _day(day: date) -> ColumnElement[Any]:
    """A day written as a constant, so a grouped expression and its selected copy are
    the same text."""
    return literal_column(f"DATE '{day.isoformat()}'")


def _columns(as_of: date) -> list[Any]:
    periods = [
        (Member.joined_on >= _day(start), key) for key, _, _, start in reversed(JOINING_PERIODS[1:])
    ]
    period = case(
        *periods, (Member.joined_on.is_not(None), JOINING_PERIODS[0][0]), else_=UNKNOWN[0]
    )
    lost = and_(Member.lost_contact_since.is_not(None), Member.lost_contact_since <= _day(as_of))
    contact = case((lost, "lost_contact"), else_="in_contact")
    return [
        Member.gender, Member.ethnicity, Member.education, Member.category, period,
        Member.degree, Member.post, Member.new_social_stratum, Member.hardship, contact,
    ]  # fmt: skip


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
    """The member tables of `members` (`ROW_OF`) and their ages on `as_of` through the
    cut-offs of `organisation_stats`."""
    tally = Tally(total=len(members))
    rows = list(ROW_OF.items())
    for m in members:
        for (table, row_of), value in zip(rows, _values(m, as_of), strict=True):
            tally.tables[table][row_of(value)] += 1
    tally.younger = [sum(m.birth_date > cut for m in members) for cut in age_cut_offs(as_of)]
    return tally


async def unchanged_tally(
    session: AsyncSession,
    where: Where,
    as_of: date,
    since: date | None,
    excluding: frozenset[uuid.UUID] = frozenset(),
) -> Tally:
    """The member tables of the records without a recorded change since `since`
    (`membership.unchanged`) counted by the
    subtree `where` on `as_of` (but those `excluding`), aggregated by PostgreSQL in
    one statement: the
    records grouped once on all the tables' values (one hash per record, with the
    counts born after each age cut-off), then a grouping set per table and one for the
    total over those few combinations, hashed in `GROUPING_WORK_MEM` (the planner
    sorted and spilled to disk at 1M members with the default). The same rows as
    `member_tally` of those records, read without loading them."""
    keys = [c.label(f"v{i}") for i, c in enumerate(_columns(as_of))]
    younger = [
        func.count().filter(Member.birth_date > cut).label(f"y{i}")
        for i, cut in enumerate(age_cut_offs(as_of))
    ]
    population = [unchanged_counted_on(where, as_of), unchanged(since)]
    if excluding:
        population.append(not_among(Member.id, excluding))
    combinations = (
        select(*keys, func.count().label("n"), *younger)
        .where(*population)
        .group_by(*keys)
        .subquery()
    )
    columns = [combinations.c[k.name] for k in keys]
    sums = [
        func.coalesce(func.sum(combinations.c[name]), 0)
        for name in ("n", *(y.name for y in younger))
    ]
    sets = [*(tuple_(c) for c in columns), tuple_()]
    async with work_mem(session, GROUPING_WORK_MEM):
        rows = await session.execute(
            select(func.grouping(*columns), *columns, *sums).group_by(func.grouping_sets(*sets))
        )
    tally = Tally()
    everything = (1 << len(columns)) - 1  # the grouping bits when no column is grouped
    grouped = {everything ^ (1 << (len(columns) - 1 - i)): i for i in range(len(columns))}
    for mask, *values in rows.all():
        counts = values[len(columns) :]
        if mask == everything:
            tally.total, tally.younger = int(counts[0]), [int(n) for n in counts[1:]]
            continue
        i = grouped[mask]
        table = MEMBER_TABLES[i]
        tally.tables[table][ROW_OF[table](values[i])] += int(counts[0])
    return tally
