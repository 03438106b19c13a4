"""The pure rules of the services, without a database: review-grade suggestions, meeting
cadence slots, calendar months and probation, dues brackets and months, the org-type
parent rule, leader terms, area codes, paths, change-feed cursors, webhook backoff and
signatures, spreadsheet-cell quoting. Properties (hypothesis) where one is natural."""

from __future__ import annotations

import calendar
import hashlib
import hmac
import itertools
from datetime import date, timedelta
from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from app.errors import Unprocessable
from app.models.enums import BRANCH_TYPES, COMMITTEE_TYPES, OrgType
from app.models.member import Member
from app.models.organisation import Organisation
from app.security.scope import ancestors, is_under
from app.services.compliance import period_for, sub_periods
from app.services.dues.arrears import longest_run
from app.services.dues.assessment import month_index, parse_month
from app.services.dues.brackets import PENSION_BRACKETS, SALARY_BRACKETS, bracket_rate
from app.services.integration import changes, webhooks
from app.services.integration.imports import cells
from app.services.lifecycle.periods import PROBATION_MONTHS, add_months, probation_ends_on
from app.services.mobile.areas import valid_area_code
from app.services.organisations.leaders import term_current
from app.services.organisations.terms import term_years
from app.services.organisations.tree import may_sit_under
from app.services.points.ranking import grade_for
from app.services.points.review import excellent_share_allowed, suggested_grade
from app.services.policies import DEFAULTS, ancestor_node_ids

days = st.dates(min_value=date(1900, 1, 1), max_value=date(2200, 12, 31))
BANDS = [
    {"min": 90, "label": "优秀"},
    {"min": 60, "label": "合格"},
    {"min": 40, "label": "基本合格"},
]

# --- Review grades (民主评议) ----------------------------------------------------------


def test_grade_is_the_highest_band_reached_whatever_the_order_of_the_bands():
    assert grade_for(95, BANDS) == "优秀"
    assert grade_for(90, list(reversed(BANDS))) == "优秀"
    assert grade_for(89, BANDS) == "合格"
    assert grade_for(40, BANDS) == "基本合格"
    assert grade_for(39, BANDS) is None
    assert grade_for(1000, []) is None


def test_only_full_members_get_a_suggested_grade():
    for status in ("probationary", "candidate", "suspended"):
        assert suggested_grade(status, 100, 1, 9, BANDS) is None


def test_below_the_lowest_band_the_suggestion_is_basically_qualified():
    assert suggested_grade("full", 39, 1, 9, BANDS) == "basically_qualified"
    assert suggested_grade("full", 40, 9, 9, BANDS) == "qualified"


def test_excellent_needs_the_top_band_and_a_place_in_the_best_third():
    assert suggested_grade("full", 90, 3, 9, BANDS) == "excellent"
    assert suggested_grade("full", 95, 4, 9, BANDS) == "qualified"  # 4th of 9
    assert suggested_grade("full", 89, 1, 9, BANDS) == "qualified"  # below the top band
    assert suggested_grade("full", 0, 1, 3, []) == "excellent"  # no bands: place alone


@given(full_members=st.integers(0, 300), totals=st.lists(st.integers(0, 200), max_size=300))
def test_suggested_excellent_never_exceeds_the_third_the_review_allows(full_members, totals):
    totals = sorted(totals[:full_members], reverse=True)
    suggested = [
        suggested_grade("full", total, order, full_members, BANDS)
        for order, total in enumerate(totals, start=1)
    ]
    assert excellent_share_allowed(suggested.count("excellent"), full_members)


# --- Meeting cadence (三会一课) ---------------------------------------------------------


def test_a_quarter_holds_three_monthly_slots_and_one_quarterly_but_no_yearly():
    q2 = period_for(2026, 2, None)
    assert (q2.start, q2.end, q2.label, q2.months) == (
        date(2026, 4, 1),
        date(2026, 7, 1),
        "2026-Q2",
        3,
    )
    assert [p.label for p in sub_periods(q2, "monthly")] == ["2026-04", "2026-05", "2026-06"]
    assert [p.label for p in sub_periods(q2, "quarterly")] == ["2026-Q2"]
    assert sub_periods(q2, "yearly") == ()
    assert sub_periods(q2, "fortnightly") == ()


def test_a_year_holds_twelve_months_four_quarters_and_itself():
    year = period_for(2026, None, None)
    assert len(sub_periods(year, "monthly")) == 12
    assert [p.label for p in sub_periods(year, "quarterly")] == [f"2026-Q{q}" for q in range(1, 5)]
    assert [p.label for p in sub_periods(year, "yearly")] == ["2026"]


def test_a_period_is_a_quarter_or_a_month_never_both():
    assert period_for(2026, None, 12).label == "2026-12"
    assert period_for(2026, None, 12).end == date(2027, 1, 1)
    with pytest.raises(Unprocessable):
        period_for(2026, 1, 1)


@given(
    year=st.integers(2000, 2100),
    quarter=st.one_of(st.none(), st.integers(1, 4)),
    cadence=st.sampled_from(["monthly", "quarterly", "yearly"]),
)
def test_cadence_slots_tile_their_period_without_gaps(year, quarter, cadence):
    period = period_for(year, quarter, None)
    slots = sub_periods(period, cadence)
    if slots:
        assert slots[0].start == period.start and slots[-1].end == period.end
        assert all(a.end == b.start for a, b in itertools.pairwise(slots))
        assert len({s.label for s in slots}) == len(slots)


# --- Calendar months, probation ----------------------------------------------------------


def test_the_31st_plus_a_month_is_the_last_day_of_the_next_month():
    assert add_months(date(2026, 1, 31), 1) == date(2026, 2, 28)
    assert add_months(date(2028, 1, 31), 1) == date(2028, 2, 29)
    assert add_months(date(2026, 3, 31), -1) == date(2026, 2, 28)
    assert add_months(date(2026, 11, 15), 2) == date(2027, 1, 15)


@given(day=days, months=st.integers(-600, 600))
def test_adding_months_moves_the_month_index_exactly(day, months):
    later = add_months(day, months)
    assert month_index(later) == month_index(day) + months
    last_day = calendar.monthrange(later.year, later.month)[1]
    assert later.day == min(day.day, last_day)


def test_probation_is_twelve_months_plus_any_extension():
    assert PROBATION_MONTHS == 12
    member = Member(joined_on=date(2025, 6, 30), probation_extension_months=None)
    assert probation_ends_on(member) == date(2026, 6, 30)
    member.probation_extension_months = 6
    assert probation_ends_on(member) == date(2026, 12, 30)
    assert probation_ends_on(Member(joined_on=None)) is None


# --- Dues brackets and months -------------------------------------------------------------


def test_bracket_rate_upper_bounds_are_inclusive():
    assert bracket_rate(300_000, SALARY_BRACKETS) == Decimal("0.005")
    assert bracket_rate(300_001, SALARY_BRACKETS) == Decimal("0.01")
    assert bracket_rate(10**9, SALARY_BRACKETS) == Decimal("0.02")
    assert bracket_rate(500_000, PENSION_BRACKETS) == Decimal("0.005")
    assert bracket_rate(500_001, PENSION_BRACKETS) == Decimal("0.01")


@given(a=st.integers(0, 10**8), b=st.integers(0, 10**8))
def test_a_higher_base_never_pays_a_lower_rate(a, b):
    low, high = sorted((a, b))
    for brackets in (SALARY_BRACKETS, PENSION_BRACKETS):
        assert bracket_rate(low, brackets) <= bracket_rate(high, brackets)


def test_months_are_written_yyyy_mm():
    assert parse_month("2026-02") == date(2026, 2, 1)
    for raw in ("2026-2", "26-02", "2026-13", "2026/02", "", "2026-02-01"):
        with pytest.raises(Unprocessable):
            parse_month(raw)


@given(start=days, length=st.integers(1, 40))
def test_a_run_of_consecutive_months_is_as_long_as_the_run(start, length):
    months = [add_months(start.replace(day=1), n) for n in range(length)]
    assert longest_run(months) == length
    gapped = months[: length // 2] + [add_months(m, 1) for m in months[length // 2 :]]
    assert longest_run(gapped) == max(length // 2, length - length // 2)


# --- Organisations: parent types, terms ----------------------------------------------------


def test_a_group_sits_only_under_a_branch_and_only_committees_are_roots():
    for parent in OrgType:
        assert may_sit_under(OrgType.group, parent) == (parent in BRANCH_TYPES)
    roots = {child for child in OrgType if may_sit_under(child, None)}
    assert roots == set(COMMITTEE_TYPES)
    assert not may_sit_under(OrgType.branch, OrgType.branch)
    assert may_sit_under(OrgType.branch, OrgType.general_branch)
    assert not may_sit_under(OrgType.general_branch, OrgType.general_branch)


def test_a_term_is_current_from_its_first_to_its_last_day():
    start, end = date(2026, 1, 1), date(2026, 12, 31)
    assert term_current(start, end, start) and term_current(start, end, end)
    assert not term_current(start, end, start - timedelta(1))
    assert not term_current(start, end, end + timedelta(1))
    assert term_current(start, None, date(2099, 1, 1))


def test_term_length_by_type_and_village_or_community_unit():
    def org(type_: OrgType, unit_category: int | None = None) -> Organisation:
        return Organisation(type=type_.value, unit_category=unit_category)

    assert term_years(org(OrgType.committee), DEFAULTS) == 5
    assert term_years(org(OrgType.branch), DEFAULTS) == 3
    assert term_years(org(OrgType.branch, unit_category=3), DEFAULTS) == 5  # 农村
    assert term_years(org(OrgType.branch, unit_category=7), DEFAULTS) == 5  # 街道社区
    assert term_years(org(OrgType.group), DEFAULTS) is None


# --- Areas, paths ------------------------------------------------------------------------


def test_an_area_code_is_six_digits_with_a_real_province():
    assert valid_area_code("440305")
    for code in ("990305", "44030", "4403051", "44030x", "", "22.543"):
        assert not valid_area_code(code)


paths = st.lists(st.integers(1, 10**6), min_size=1, max_size=8).map(
    lambda ids: "/" + "".join(f"{i}/" for i in ids)
)


@given(path=paths)
def test_a_path_lies_under_each_of_its_ancestors_and_they_name_its_nodes(path):
    chain = ancestors(path)
    assert chain[-1] == path
    assert all(is_under(path, a) for a in chain)
    assert [int(a.strip("/").rsplit("/", 1)[-1]) for a in chain] == ancestor_node_ids(path)


def test_a_sibling_with_a_longer_number_is_not_under():
    assert not is_under("/1/22/", "/1/2/")
    assert is_under("/1/2/", "/1/2/")


# --- Change-feed cursor, webhooks, cells -------------------------------------------------


@given(xact=st.integers(0, changes.INT64_MAX), event=st.integers(0, changes.INT64_MAX))
def test_a_change_cursor_round_trips(xact, event):
    assert changes.decode_cursor(changes.encode_cursor(xact, event)) == (xact, event)


def test_no_cursor_is_the_start_and_a_bad_one_is_422():
    assert changes.decode_cursor(None) == (0, 0)
    for bad in ("!!", changes.encode_cursor(1, 2)[:-3] + "xyz", "LTEuMQ"):  # last: "-1.1"
        with pytest.raises(Unprocessable):
            changes.decode_cursor(bad)


def test_webhook_retries_back_off_doubling_up_to_an_hour():
    assert [webhooks.backoff(n).total_seconds() for n in range(0, 5)] == [1, 1, 2, 4, 8]
    assert webhooks.backoff(13) == timedelta(hours=1)
    assert webhooks.backoff(1000) == timedelta(hours=1)


def test_a_webhook_signature_is_hmac_sha256_of_timestamp_dot_body():
    expected = hmac.new(b"whsec_k", b"1700000000.{}", hashlib.sha256).hexdigest()
    assert webhooks.sign("whsec_k", 1700000000, b"{}") == expected


@given(text=st.text(max_size=20))
def test_an_exported_cell_reads_back_as_it_was_written(text):
    if text.startswith(cells.QUOTE):
        return  # see the test below
    quoted = cells.neutralise(text)
    assert cells.restore(quoted) == text  # type: ignore[arg-type]
    assert not str(quoted).startswith(cells.FORMULA_TRIGGERS)


def test_a_cell_that_starts_with_a_quote_and_a_trigger_reads_back_as_written():
    for text in ("'=1+1", "''=1+1", "'@x", "'plain", "=1+1"):
        assert cells.restore(cells.neutralise(text)) == text  # type: ignore[arg-type]
    assert cells.neutralise("'=1+1") == "''=1+1"


def test_age_bands_split_the_cumulative_counts_and_the_rest_are_over_seventy():
    from app.services.organisations.tally import age_band_counts

    # Born after each cut-off (<=30, <=40, <=50, <=60, <=70), cumulative, of 8 current.
    assert age_band_counts([1, 3, 3, 5, 6], 8) == {
        "<=30": 1,
        "31-40": 2,
        "51-60": 2,
        "61-70": 1,
        ">70": 2,
    }
    assert age_band_counts([0, 0, 0, 0, 0], 0) == {}
