"""Democratic review: excellent at most a third of a branch's full members."""

from app.services.points import excellent_share_allowed


def test_excellent_may_be_a_third_of_full_members_three_of_nine_but_not_four():
    assert excellent_share_allowed(3, 9)
    assert not excellent_share_allowed(4, 9)


def test_a_branch_of_three_full_members_may_have_one_excellent_not_two():
    assert excellent_share_allowed(1, 3)
    assert not excellent_share_allowed(2, 3)


def test_a_branch_of_two_full_members_has_no_room_for_excellent():
    assert not excellent_share_allowed(1, 2)
    assert excellent_share_allowed(0, 2)
