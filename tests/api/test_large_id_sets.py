"""Statements held to a set of ids take a large one as one array parameter
(`app.id_sets`), so a set of any size runs: an expanding `IN` list took one parameter
per id and failed past the protocol's 32,767 (the statistics tables of a county with 34k
members with a recorded transition were 503). Each function below is called with more
ids than that."""

from __future__ import annotations

import uuid

from sqlalchemy import func, select

from app.clock import today
from app.db import get_sessionmaker
from app.id_sets import among, not_among
from app.models.member import Member
from app.models.organisation import Organisation
from app.services.lifecycle.membership import placed, subtree_histories
from app.services.organisations import member_changes, recorded_values, tally

MANY = 40_000  # more than the protocol's 32,767 parameters a statement


def _ids() -> frozenset[uuid.UUID]:
    return frozenset(uuid.uuid4() for _ in range(MANY))


async def test_among_and_not_among_take_a_set_of_any_size_as_one_parameter(county):
    ids = _ids() | {uuid.UUID(county.branch_a["id"])}
    async with get_sessionmaker()() as session:
        found = await session.scalar(select(func.count()).where(among(Organisation.id, ids)))
        kept = await session.scalar(
            select(func.count()).where(
                not_among(Organisation.id, ids), Organisation.id == county.branch_a["id"]
            )
        )
        none = await session.scalar(select(func.count()).where(among(Organisation.id, [])))
    assert (found, kept, none) == (1, 0, 0)


async def test_the_statistics_functions_that_take_id_sets_run_with_more_than_32767(api, county):
    for _ in range(2):
        await api.member(county.county_admin, county.branch_a["id"])
    day = today()
    async with get_sessionmaker()() as session:
        org = await session.get(Organisation, uuid.UUID(county.county["id"]))
        assert org is not None
        members = (await session.scalars(select(Member.id).where(placed(org.path)))).all()
        many_members, many_orgs = _ids() | set(members), _ids() | {org.id}
        revised = await recorded_values.recorded_on(session, day, org.path, many_members)
        assert revised == {}
        counted = await tally.unchanged_tally(session, org.path, day, None, frozenset(many_members))
        assert counted.total == 0  # every member of the county excluded
        everyone = await tally.unchanged_tally(session, org.path, day, None, _ids())
        assert (
            everyone.total == (await tally.unchanged_tally(session, org.path, day, None)).total > 0
        )
        histories = await subtree_histories(session, org.path, False, many_orgs)
        assert {h.member_id for h in histories} >= set(members)
        in_orgs = await session.scalar(select(func.count()).where(placed(many_orgs)))
        assert in_orgs == await session.scalar(select(func.count()).where(Member.org_id == org.id))
        assert await member_changes._expulsions(session, set(many_members)) == set()
