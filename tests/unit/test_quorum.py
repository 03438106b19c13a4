"""Quorum and majority (Branch Work Regulations) as a pure rule."""

from app.models.enums import MeetingType, VoteKind
from app.services.meetings import judge_vote, more_than_half

GENERAL = MeetingType.general_meeting


def test_more_than_half_means_strictly_more_five_of_ten_is_not_six_is():
    assert not more_than_half(5, 10)
    assert more_than_half(6, 10)


def test_election_passes_with_ayes_over_half_of_those_entitled_not_of_those_present():
    fails = judge_vote(GENERAL, VoteKind.election, voters_expected=10, voters_present=9, ayes=5)
    assert (fails.valid, fails.passed) == (True, False)
    passes = judge_vote(GENERAL, VoteKind.election, voters_expected=10, voters_present=9, ayes=6)
    assert (passes.valid, passes.passed) == (True, True)


def test_election_needs_more_than_four_fifths_present_eight_of_ten_is_not_nine_is():
    eight = judge_vote(GENERAL, VoteKind.election, voters_expected=10, voters_present=8, ayes=8)
    assert (eight.valid, eight.invalid_reason) == (False, "quorum.election_needs_four_fifths")
    nine = judge_vote(GENERAL, VoteKind.election, voters_expected=10, voters_present=9, ayes=8)
    assert nine.valid and nine.passed


def test_decision_needs_more_than_half_present_and_ayes_over_half_of_those_entitled():
    half = judge_vote(GENERAL, VoteKind.decision, voters_expected=10, voters_present=5, ayes=5)
    assert (half.valid, half.invalid_reason) == (False, "quorum.more_than_half_not_present")
    five = judge_vote(GENERAL, VoteKind.decision, voters_expected=10, voters_present=6, ayes=5)
    assert (five.valid, five.passed) == (True, False)
    six = judge_vote(GENERAL, VoteKind.decision, voters_expected=10, voters_present=6, ayes=6)
    assert (six.valid, six.passed) == (True, True)


def test_election_with_four_of_five_present_is_exactly_four_fifths_and_invalid_five_is_valid():
    four = judge_vote(GENERAL, VoteKind.election, voters_expected=5, voters_present=4, ayes=4)
    assert (four.valid, four.invalid_reason) == (False, "quorum.election_needs_four_fifths")
    five = judge_vote(GENERAL, VoteKind.election, voters_expected=5, voters_present=5, ayes=3)
    assert (five.valid, five.passed) == (True, True)


def test_election_of_five_entitled_needs_three_ayes_two_fail():
    two = judge_vote(GENERAL, VoteKind.election, voters_expected=5, voters_present=5, ayes=2)
    assert (two.valid, two.passed) == (True, False)


def test_committee_meeting_needs_more_than_half_of_its_committee_two_of_four_is_not_three_is():
    committee = MeetingType.committee_meeting
    two = judge_vote(committee, VoteKind.decision, voters_expected=4, voters_present=2, ayes=2)
    assert (two.valid, two.invalid_reason) == (False, "quorum.more_than_half_not_present")
    three = judge_vote(committee, VoteKind.decision, voters_expected=4, voters_present=3, ayes=3)
    assert (three.valid, three.passed) == (True, True)


def test_no_one_entitled_to_vote_is_no_quorum():
    none = judge_vote(GENERAL, VoteKind.decision, voters_expected=0, voters_present=0, ayes=0)
    assert (none.valid, none.invalid_reason) == (False, "quorum.no_voting_members")
