"""Who counts where on which day (services/lifecycle/membership.py) and the ledger built
on it (services/organisations/member_changes.py), without a database."""

from __future__ import annotations

import uuid
from datetime import UTC, date, datetime

from app.services.lifecycle.membership import MemberFacts, Move, Transition, history_of
from app.services.organisations.member_changes import ledger
from app.services.organisations.placements import Trees

A, B = uuid.uuid4(), uuid.uuid4()


def _today(inside):
    """A subtree that held the organisations `inside` on every day (no move)."""
    return Trees("/1/", frozenset(inside))


def _facts(status="full", org_id=A, joined_on=date(2010, 1, 1)):
    return MemberFacts(
        id=uuid.uuid4(),
        name="张三",
        status=status,
        org_id=org_id,
        joined_on=joined_on,
        created_at=datetime(2026, 1, 10, 2, tzinfo=UTC),
        gender="male",
        ethnicity=None,
        birth_date=date(1980, 1, 1),
        education=None,
        category="employed",
    )


def _at(day, hour=0):
    return datetime(day.year, day.month, day.day, hour, tzinfo=UTC)


def test_a_record_created_as_a_member_counts_from_its_joined_date():
    h = history_of(_facts(joined_on=date(2026, 2, 1)), [], [])
    assert not h.place_on(date(2026, 1, 31)).counted
    assert h.place_on(date(2026, 2, 1)).counted


def test_without_a_joined_date_the_record_counts_from_the_day_it_was_created():
    h = history_of(_facts(joined_on=None), [], [])
    assert not h.place_on(date(2026, 1, 9)).counted
    assert h.place_on(date(2026, 1, 10)).counted


def test_a_suspended_member_is_not_counted_until_restored():
    day = date(2026, 3, 1)
    steps = [
        Transition("full", "suspended", "suspended", day, _at(day)),
        Transition("suspended", "full", "restored", date(2026, 4, 1), _at(day)),
    ]
    h = history_of(_facts(status="full"), steps, [])
    assert h.place_on(date(2026, 2, 28)).counted
    assert not h.place_on(day).counted
    assert h.place_on(date(2026, 4, 1)).counted


def test_before_the_first_transfer_the_member_is_where_it_came_from():
    day = date(2026, 6, 1)
    h = history_of(_facts(org_id=B), [], [Move(A, B, _at(day, 3))])
    assert h.place_on(date(2026, 5, 31)).org_id == A
    assert h.place_on(day).org_id == B


def test_changes_on_one_day_apply_in_the_order_recorded_and_the_ledger_reconciles():
    day = date(2026, 6, 1)
    # Transferred from A to B in the morning, died in the afternoon: seen from A a
    # transfer out, from B a transfer in and a death, all on the same day.
    h = history_of(
        _facts(status="deceased", org_id=B),
        [Transition("full", "deceased", "deceased", day, _at(day, 8))],
        [Move(A, B, _at(day, 1))],
    )
    at_a = ledger([h], _today({A}), day, day)
    assert [e.reason for e in at_a.entries] == ["transfer_out"]
    at_b = ledger([h], _today({B}), day, day)
    assert [e.reason for e in at_b.entries] == ["transfer_in", "deceased"]
    assert (at_b.count_at_start, at_b.count_at_end) == (0, 0)
    both = ledger([h], _today({A, B}), day, day)
    assert [e.reason for e in both.entries] == ["deceased"]
    assert (both.count_at_start, both.count_at_end) == (1, 0)


def test_a_move_of_the_members_organisation_is_a_reorganised_change_and_reconciles():
    # The subtree held A and B until the move on 1 June took B away.
    move = date(2026, 6, 1)
    trees = Trees(
        "/1/", frozenset({A}), ((date(2026, 5, 1), frozenset({A, B})), (move, frozenset({A})))
    )
    at_b = history_of(_facts(org_id=B), [], [])
    at_a = history_of(_facts(org_id=A), [], [])
    found = ledger([at_a, at_b], trees, date(2026, 5, 20), date(2026, 6, 10))
    assert (found.count_at_start, found.count_at_end) == (2, 1)
    assert [(e.on, e.reason, e.direction, e.member_id) for e in found.entries] == [
        (move, "reorganised", "removed", at_b.member_id)
    ]
    # After the move, the day's tree is today's: the path stands for it.
    assert trees.where_on(move) == "/1/" and trees.where_on(date(2026, 5, 31)) == {A, B}
