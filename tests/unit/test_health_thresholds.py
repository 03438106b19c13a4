"""Health thresholds (DOMAIN "Organisations") as a pure rule, counted on full members."""

from app.models.enums import OrgType
from app.services.organisations import threshold_flags
from app.services.policies import DEFAULTS

SECRETARY = ["secretary"]


def _codes(org_type: OrgType, full: int, roles: list[str] = SECRETARY, units: int | None = None):
    return {f.code for f in threshold_flags(org_type, full, roles, units, DEFAULTS)}


def test_branch_with_three_full_members_is_big_enough_and_two_is_too_few():
    assert "branch.too_few_full_members" not in _codes(OrgType.branch, 3)
    assert "branch.too_few_full_members" in _codes(OrgType.branch, 2)


def test_branch_with_fifty_full_members_is_not_too_large_and_fifty_one_is():
    assert "branch.too_many_members" not in _codes(OrgType.branch, 50, ["secretary"] * 3)
    assert "branch.too_many_members" in _codes(OrgType.branch, 51, ["secretary"] * 3)


def test_branch_needs_a_committee_from_seven_full_members_not_six():
    assert "branch.committee_required" in _codes(OrgType.branch, 7)
    assert "branch.committee_required" not in _codes(OrgType.branch, 6)


def test_committee_of_seven_is_allowed_and_eight_is_too_large():
    seven = ["secretary", "deputy_secretary", "organisation_member"] + ["committee_member"] * 4
    assert "branch.committee_too_large" not in _codes(OrgType.branch, 20, seven)
    assert "branch.committee_too_large" in _codes(OrgType.branch, 20, [*seven, "committee_member"])


def test_general_branch_is_typical_from_fifty_to_one_hundred_full_members():
    assert "general_branch.below_typical_size" in _codes(OrgType.general_branch, 49)
    assert not _codes(OrgType.general_branch, 50)
    assert not _codes(OrgType.general_branch, 100)
    assert "general_branch.above_typical_size" in _codes(OrgType.general_branch, 101)


def test_committee_and_working_committee_are_typical_from_one_hundred_full_members():
    for org_type in (OrgType.committee, OrgType.working_committee):
        assert "committee.below_typical_size" in _codes(org_type, 99)
        assert "committee.below_typical_size" not in _codes(org_type, 100)


def test_joint_branch_covers_five_units_and_six_is_too_many():
    assert "joint_branch.too_many_units" not in _codes(OrgType.joint_branch, 5, units=5)
    assert "joint_branch.too_many_units" in _codes(OrgType.joint_branch, 5, units=6)


def test_term_is_due_soon_within_the_warning_window_and_overdue_from_its_end():
    from datetime import date

    from app.services.organisations.terms import term_flags

    started = date(2021, 3, 1)  # a three-year term ends on 2024-03-01
    assert term_flags(started, 3, date(2023, 12, 1), 90) == (date(2024, 3, 1), [])
    ends, soon = term_flags(started, 3, date(2023, 12, 2), 90)
    assert (ends, [f.code for f in soon]) == (date(2024, 3, 1), ["term.ending_soon"])
    assert [f.code for f in term_flags(started, 3, date(2024, 3, 1), 90)[1]] == ["term.expired"]
    assert [f.code for f in term_flags(None, 3, date(2024, 3, 1), 90)[1]] == ["term.start_unknown"]
    assert term_flags(None, None, date(2024, 3, 1), 90) == (None, [])


def test_every_organisation_but_a_group_needs_a_secretary():
    from app.services.organisations.health import leadership_flags

    def codes(org_type, roles):
        return [f.code for f in leadership_flags(org_type, roles)]

    assert codes(OrgType.branch, ["deputy_secretary"]) == ["leaders.no_secretary"]
    assert codes(OrgType.branch, SECRETARY) == []
    assert codes(OrgType.group, []) == []
    assert codes(OrgType.temporary_branch, SECRETARY) == ["temporary_branch.limited_powers"]


FULL_COMMITTEE = ["secretary", "organisation_member", "propaganda_member", "discipline_member"]


def test_a_committee_of_five_is_typical_and_six_or_seven_are_allowed_but_flagged():
    five = [*FULL_COMMITTEE, "deputy_secretary"]
    assert "branch.committee_above_typical_size" not in _codes(OrgType.branch, 20, five)
    six = [*five, "committee_member"]
    assert "branch.committee_above_typical_size" in _codes(OrgType.branch, 20, six)
    seven = [*six, "committee_member"]
    codes = _codes(OrgType.branch, 20, seven)
    assert "branch.committee_above_typical_size" in codes
    assert "branch.committee_too_large" not in codes


def test_a_committee_without_organisation_propaganda_or_discipline_member_is_flagged():
    assert "branch.committee_roles_missing" not in _codes(OrgType.branch, 20, FULL_COMMITTEE)
    for role in FULL_COMMITTEE[1:]:
        seats = [r for r in FULL_COMMITTEE if r != role]
        flags = threshold_flags(OrgType.branch, 20, seats, None, DEFAULTS)
        missing = [f for f in flags if f.code == "branch.committee_roles_missing"]
        assert missing and missing[0].value == role


def test_committee_size_counts_people_not_seats():
    # Three people, four seats: the 组织委员 also serves as 纪检委员.
    seats = ["secretary", "organisation_member", "discipline_member", "propaganda_member"]
    two_people = threshold_flags(OrgType.branch, 20, seats, None, DEFAULTS, committee_size=2)
    assert "branch.committee_required" in {f.code for f in two_people}
    three = threshold_flags(OrgType.branch, 20, seats, None, DEFAULTS, committee_size=3)
    assert not {f.code for f in three} & {
        "branch.committee_required",
        "branch.committee_roles_missing",
    }
