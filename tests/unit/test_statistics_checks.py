"""The cross-table check before submission (services/organisations/checks.py) reads the
tables in Python: a table not summing to its member count fails it. The record rules
run in SQL and are tested through the API (tests/api/test_statistics_checks.py)."""

from __future__ import annotations

import uuid
from datetime import date

from app.schemas.statistics import (
    MeetingTables,
    MemberTables,
    OrganisationTables,
    PointsTables,
    StatisticsTables,
    StatRow,
)
from app.services.organisations.checks import CHECKS, totals_disagree

AS_OF = date(2026, 6, 30)


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


def _statistics(members: MemberTables) -> StatisticsTables:
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
    return StatisticsTables(
        org_id=uuid.uuid4(),
        as_of=AS_OF,
        members=members,
        new_members=_tables(0),
        organisations=organisations,
        meetings=MeetingTables(period="2026", rate=None, by_type=[]),
        points=PointsTables(year=2026, ranked=1, by_grade=[]),
    )


def test_the_codes_are_unique_and_each_check_is_a_record_rule_or_a_table_rule():
    codes = [c.code for c in CHECKS]
    assert len(codes) == len(set(codes))
    for check in CHECKS:
        assert (check.record is None) != (check.tables is None), check.code
        assert (check.kind == "statistics_table") == (check.tables is not None), check.code


def test_tables_summing_to_the_member_count_pass_the_totals_check():
    assert totals_disagree(_statistics(_tables(1))) == []


def test_a_table_not_summing_to_the_member_count_is_named_by_the_totals_check():
    failed = totals_disagree(_statistics(_tables(1, row_count=2)))
    assert {r.name for r in failed} >= {"members.by_gender", "members.by_contact"}
    assert all(r.kind == "statistics_table" and r.link is None for r in failed)
