"""Each check before submission (services/organisations/checks.py) has an input that makes
it fail and one that passes; the enumerating test fails when a check is added without."""

from __future__ import annotations

import dataclasses
import uuid
from collections.abc import Callable
from datetime import UTC, date, datetime

import pytest

from app.schemas.statistics import (
    MeetingTables,
    MemberTables,
    OrganisationTables,
    PointsTables,
    StatisticsTables,
    StatRow,
)
from app.services.lifecycle.membership import MemberFacts
from app.services.organisations.checks import CHECKS, CheckInput, OrgFacts, run_checks

AS_OF = date(2026, 6, 30)
BRANCH = OrgFacts(uuid.uuid4(), "甲村党支部", "branch")


def _member(**fields: object) -> MemberFacts:
    values: dict[str, object] = {
        "id": uuid.uuid4(),
        "name": "张三",
        "status": "full",
        "org_id": BRANCH.id,
        "joined_on": date(2010, 7, 1),
        "created_at": datetime(2026, 1, 10, tzinfo=UTC),
        "gender": "male",
        "ethnicity": "汉族",
        "birth_date": date(1980, 1, 1),
        "education": "大学本科毕业",
        "category": "employed",
        "full_on": date(2011, 7, 1),
    }
    return MemberFacts(**{**values, **fields})  # type: ignore[arg-type]


def _tables(total: int, row_count: int | None = None) -> MemberTables:
    rows = [
        StatRow(
            key="k", label_zh="k", label_en="k", count=total if row_count is None else row_count
        )
    ]
    return MemberTables(
        total=total,
        by_gender=rows,
        by_ethnicity=rows,
        by_age_band=rows,
        by_education=rows,
        by_category=rows,
        by_joining_period=rows,
        by_degree=rows,
        by_post=rows,
        by_new_social_stratum=rows,
        by_hardship=rows,
        by_contact=rows,
    )


def _clean(**changes: object) -> CheckInput:
    organisations = OrganisationTables(
        total=1,
        by_type=[],
        by_unit_category=[],
        with_committee=0,
        without_committee=1,
        by_term_status=[],
        by_unit_type=[],
        by_economic_type=[],
        by_unit_size=[],
    )
    data = CheckInput(
        as_of=AS_OF,
        tables=StatisticsTables(
            org_id=BRANCH.id,
            as_of=AS_OF,
            members=_tables(1),
            new_members=_tables(0),
            organisations=organisations,
            meetings=MeetingTables(period="2026", rate=None, by_type=[]),
            points=PointsTables(year=2026, ranked=1, by_grade=[]),
        ),
        members=[_member()],
        organisations=[BRANCH],
        with_secretary=frozenset({BRANCH.id}),
    )
    return dataclasses.replace(data, **changes)  # type: ignore[arg-type]


def _bad_totals() -> CheckInput:
    data = _clean()
    tables = data.tables.model_copy(update={"members": _tables(1, row_count=2)})
    return dataclasses.replace(data, tables=tables)


FAILING: dict[str, Callable[[], CheckInput]] = {
    "statistics.totals_disagree": _bad_totals,
    "statistics.education_missing": lambda: _clean(members=[_member(education=None)]),
    "statistics.ethnicity_missing": lambda: _clean(members=[_member(ethnicity="火星族")]),
    "statistics.gender_or_birth_missing": lambda: _clean(
        members=[_member(birth_date=date(2027, 1, 1), joined_on=None, full_on=None)]
    ),
    "statistics.joined_on_missing": lambda: _clean(members=[_member(joined_on=None)]),
    # Birth + 18 years is 1998-01-01: the day before fails, the day itself passes.
    "statistics.joined_under_age": lambda: _clean(members=[_member(joined_on=date(1997, 12, 31))]),
    "statistics.full_before_joined": lambda: _clean(
        members=[_member(joined_on=date(2010, 7, 1), full_on=date(2010, 7, 1))]
    ),
    "statistics.branch_without_secretary": lambda: _clean(with_secretary=frozenset()),
}

PASSING_EDGES: dict[str, Callable[[], CheckInput]] = {
    "statistics.joined_under_age": lambda: _clean(members=[_member(joined_on=date(1998, 1, 1))]),
    "statistics.full_before_joined": lambda: _clean(
        members=[_member(joined_on=date(2010, 7, 1), full_on=date(2010, 7, 2))]
    ),
    "statistics.branch_without_secretary": lambda: _clean(
        organisations=[OrgFacts(uuid.uuid4(), "甲镇党委", "committee")], with_secretary=frozenset()
    ),
}


def test_every_check_has_a_failing_input_and_the_codes_are_unique():
    codes = [c.code for c in CHECKS]
    assert len(codes) == len(set(codes))
    assert set(FAILING) == set(codes)


@pytest.mark.parametrize("check", CHECKS, ids=lambda c: c.code)
def test_each_check_fails_on_its_input_and_passes_on_a_clean_record(check):
    assert check.run(FAILING[check.code]()), check.code
    assert check.run(_clean()) == [], check.code
    if check.code in PASSING_EDGES:
        assert check.run(PASSING_EDGES[check.code]()) == [], check.code


def test_a_clean_subtree_passes_every_check():
    assert run_checks(_clean()) == []


def test_the_records_of_a_failed_check_are_capped_but_counted():
    failed = run_checks(_clean(members=[_member(education=None) for _ in range(150)]))
    (education,) = [f for f in failed if f.code == "statistics.education_missing"]
    assert (education.count, len(education.records)) == (150, 100)
