"""The tree as it was: where each organisation sat from which day to which
(`OrganisationPlacement`), written when organisations are created or moved, read by
the statistics and the 增减 ledger as of a past day.

A day is read at its end, like the ledger's: a move made on day M places the subtree
under its new parent from M on; on the days before M it sat under the old one. The
placements valid on one day form a consistent tree of paths (a move opens a row for
every organisation of the moved subtree), so "the subtree of X on day D" is the
placements valid on D whose path lies under X's path of that day.

Only a day before the last move touching a subtree needs this history: otherwise
(the tables as of today, or no move since) the organisations' own paths are the tree
of that day and the reads stay on them (`Trees.where_on` gives the path then).
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import date

from sqlalchemy import (
    ColumnElement,
    Date,
    Insert,
    Update,
    and_,
    exists,
    insert,
    literal,
    or_,
    select,
    update,
)
from sqlalchemy.ext.asyncio import AsyncSession

from app.id_sets import among
from app.models.organisation import Organisation, OrganisationPlacement
from app.security.scope import under
from app.services.lifecycle.membership import Where

P = OrganisationPlacement


def placement_statements(path: str, since: date | None) -> tuple[Update, Insert]:
    """The one writer's two statements (`record_placements`): the places the
    organisations of the subtree at `path` held end on `since`; they sit where the
    organisations table has them now from `since` (None: from their beginning, a
    creation). Also run as they are by the bulk loader (`devtools.synth`)."""
    in_subtree = select(Organisation.id).where(under(Organisation.path, path))
    close = (
        update(P)
        .where(P.valid_to.is_(None), P.org_id.in_(in_subtree))
        .values(valid_to=since)
        .execution_options(synchronize_session=False)
    )
    open_ = insert(P).from_select(
        ["org_id", "parent_id", "path", "valid_from"],
        select(
            Organisation.id,
            Organisation.parent_id,
            Organisation.path,
            literal(since, Date()),
        ).where(under(Organisation.path, path)),
    )
    return close, open_


async def record_placements(session: AsyncSession, path: str, since: date | None) -> None:
    """The one writer: the organisations of the subtree at `path` (as the
    organisations table has it now) sit where they are from `since` (None: from their
    beginning, for a creation); the places they held until then end on `since`."""
    for statement in placement_statements(path, since):
        await session.execute(statement)


def _valid_on(day: date) -> ColumnElement[bool]:
    return and_(
        or_(P.valid_from.is_(None), P.valid_from <= day),
        or_(P.valid_to.is_(None), P.valid_to > day),
    )


async def _moved_since(session: AsyncSession, path: str, day: date) -> bool:
    """Whether a move after `day` opened or closed a placement under `path` (today's
    path: an organisation moved in or out, or the subtree itself moved)."""
    touched = exists().where(
        under(P.path, path),
        or_(P.valid_from > day, P.valid_to > day),
    )
    return bool(await session.scalar(select(touched)))


async def organisations_on(
    session: AsyncSession, org_id: uuid.UUID, day: date
) -> frozenset[uuid.UUID]:
    """The organisations of `org_id`'s subtree as the tree stood at the end of `day`."""
    path = await session.scalar(select(P.path).where(P.org_id == org_id, _valid_on(day)))
    if path is None:
        return frozenset()
    rows = await session.scalars(select(P.org_id).where(under(P.path, path), _valid_on(day)))
    return frozenset(rows)


@dataclass(frozen=True)
class Trees:
    """A subtree's organisations from `since` on: `now` (under `path` today) and,
    when a move touched the subtree after `since`, `past`: from each day its
    organisations changed, the organisations it held from then (ascending; the first
    from `since`)."""

    path: str
    now: frozenset[uuid.UUID]
    past: tuple[tuple[date, frozenset[uuid.UUID]], ...] = ()

    def inside_on(self, day: date) -> frozenset[uuid.UUID]:
        """The subtree's organisations at the end of `day` (a day from `since` on)."""
        found = self.past[0][1] if self.past else self.now
        for first, ids in self.past:
            if first > day:
                break
            found = ids
        return found

    def where_on(self, day: date) -> Where:
        """Where the subtree's members were on `day`: its path when the subtree held
        then what it holds today (the hot path), else those organisations."""
        ids = self.inside_on(day)
        return self.path if ids == self.now else ids

    def changes_between(self, first: date, last: date) -> list[date]:
        """The days from `first` (excluded) to `last` (included) on which a move
        changed the subtree's organisations."""
        return [day for day, _ in self.past[1:] if first < day <= last]

    @property
    def formerly(self) -> frozenset[uuid.UUID]:
        """The organisations the subtree held since `since` and holds no more."""
        return frozenset().union(*(ids for _, ids in self.past)) - self.now


async def load_trees(
    session: AsyncSession, org: Organisation, now: frozenset[uuid.UUID], since: date | None
) -> Trees:
    """The subtree's organisations from `since` on (None: today's tree only). One
    indexed EXISTS when nothing moved since; else one statement per day a move touched
    one of its organisations (of `since`, of today, or placed under its path between:
    moved in and out again)."""
    if since is None or not await _moved_since(session, org.path, since):
        return Trees(org.path, now)
    first = await organisations_on(session, org.id, since)
    days = await session.scalars(
        select(P.valid_from)
        .where(
            P.valid_from > since,
            or_(among(P.org_id, first | now | {org.id}), under(P.path, org.path)),
        )
        .distinct()
        .order_by(P.valid_from)
    )
    past = [(since, first)]
    for day in days.all():
        assert day is not None  # selected above: after `since`
        ids = await organisations_on(session, org.id, day)
        if ids != past[-1][1]:
            past.append((day, ids))
    return Trees(org.path, now, tuple(past))
