"""The annual tables (党内统计) of a subtree as of a date: members, the year's new
members, organisations, and the meetings and points indicators."""

from __future__ import annotations

import uuid
from collections import defaultdict
from collections.abc import Callable, Sequence
from datetime import date, timedelta
from typing import Any

from sqlalchemy import ColumnElement, and_, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from app.id_sets import among
from app.models.enums import (
    OrgType,
)
from app.models.member import Member
from app.models.organisation import Organisation, OrganisationLeader
from app.schemas.statistics import MemberTables, OrganisationTables, StatisticsTables, StatRow
from app.security.scope import under
from app.services import code_lists
from app.services.lifecycle.membership import (
    FACT_COLUMNS,
    MemberFacts,
    MemberHistory,
    Where,
    unchanged,
    unchanged_counted_on,
)
from app.services.organisations import indicators
from app.services.organisations.member_changes import Subtree, admitted_between, load_subtree
from app.services.organisations.recorded_values import Revised, as_recorded, recorded_on
from app.services.organisations.tally import (
    UNKNOWN,
    Row,
    Tally,
    coded,
    labelled,
    member_tally,
    unchanged_tally,
)
from app.services.organisations.terms import org_term_flags, term_years
from app.services.policies import effective_policies

# --- Statistical tables as of a date (党内统计年报) ------------------------------------

UNIT_CATEGORIES: dict[int, tuple[str, str]] = {
    1: ("国有企业", "State-owned enterprise"),
    2: ("非公有制经济组织", "Non-public enterprise"),
    3: ("农村", "Village"),
    4: ("党政机关", "Party and government organ"),
    5: ("学校", "School"),
    6: ("其他事业单位", "Other public institution"),
    7: ("街道社区", "Street or community"),
    8: ("社会组织", "Social organisation"),
    9: ("其他", "Other"),
}

COMMITTEE_SEATS = frozenset(
    {"organisation_member", "propaganda_member", "discipline_member", "committee_member"}
)
TERM_STATUSES: dict[str, tuple[str, str]] = {
    "current": ("任期内", "Within the term"),
    "ending_soon": ("即将到期", "Ending soon"),
    "expired": ("已到期未换届", "Expired, election overdue"),
    "start_unknown": ("任期起始日期未填写", "Term start not recorded"),
}


async def organisations_as_of(
    session: AsyncSession, where: Where, as_of: date
) -> Sequence[Organisation]:
    """The subtree's organisations founded by `as_of` and not dissolved by then."""
    return (await session.scalars(select(Organisation).where(existing_on(where, as_of)))).all()


def _of_subtree(where: Where) -> ColumnElement[bool]:
    if isinstance(where, str):
        return under(Organisation.path, where)
    return among(Organisation.id, where)


def existing_on(where: Where, as_of: date) -> ColumnElement[bool]:
    """SQL: an organisation of the subtree `where` (its path today, or the
    organisations it held on `as_of`) existing on `as_of`: founded by then (one
    without a founding date counts as founded: a record is often entered long after
    the organisation was founded) and not dissolved by then."""
    return and_(
        _of_subtree(where),
        or_(Organisation.founded_on.is_(None), Organisation.founded_on <= as_of),
        or_(Organisation.dissolved_on.is_(None), Organisation.dissolved_on > as_of),
    )


async def _with_committee(session: AsyncSession, where: Where, as_of: date) -> set[uuid.UUID]:
    """Organisations of the subtree holding a committee seat (委员) on `as_of`."""
    rows = await session.scalars(
        select(OrganisationLeader.org_id)
        .join(Organisation, Organisation.id == OrganisationLeader.org_id)
        .where(
            _of_subtree(where),
            OrganisationLeader.role.in_(COMMITTEE_SEATS),
            OrganisationLeader.started_on <= as_of,
            or_(OrganisationLeader.ended_on.is_(None), OrganisationLeader.ended_on >= as_of),
        )
    )
    return set(rows)


# The unit's details of the national form (党组织所在单位情况): table, field, row.
UNIT_FORM: dict[str, tuple[str, Callable[[Any], Row]]] = {
    "by_unit_type": ("unit_type", coded(code_lists.UNIT_TYPES, code_lists.UNIT_TYPES_EN)),
    "by_economic_type": (
        "economic_type",
        coded(code_lists.ECONOMIC_TYPES, code_lists.ECONOMIC_TYPES_EN),
    ),
    "by_unit_size": ("unit_size", coded(code_lists.UNIT_SIZES, code_lists.UNIT_SIZES_EN)),
}


def _term_status(org: Organisation, policy: dict[str, Any], as_of: date) -> str | None:
    if term_years(org, policy) is None:
        return None
    _, flags = org_term_flags(org, policy, as_of)
    return flags[0].code.removeprefix("term.") if flags else "current"


async def organisation_tables(
    session: AsyncSession, org: Organisation, where: Where, as_of: date
) -> dict[str, Any]:
    """Organisations of the subtree `where` on `as_of` by type, unit category, with and
    without a committee (parties groups aside) and by term status (those with terms)."""
    orgs = await organisations_as_of(session, where, as_of)
    committees = await _with_committee(session, where, as_of)
    policies = await effective_policies(session, org.path, [(o.id, o.path) for o in orgs])
    by_type: dict[Row, int] = defaultdict(int)
    by_unit: dict[Row, int] = defaultdict(int)
    by_term: dict[Row, int] = defaultdict(int)
    by_unit_form: dict[str, dict[Row, int]] = {name: defaultdict(int) for name in UNIT_FORM}
    with_committee = without_committee = 0
    for o in orgs:
        for name, (attribute, row_of) in UNIT_FORM.items():
            by_unit_form[name][row_of(getattr(o, attribute))] += 1
        by_type[labelled(OrgType, o.type)] += 1
        unit = UNIT_CATEGORIES.get(o.unit_category or 0)
        by_unit[(str(o.unit_category), *unit) if unit else UNKNOWN] += 1
        if o.type != OrgType.group:
            with_committee += o.id in committees
            without_committee += o.id not in committees
        status = _term_status(o, policies[o.id], as_of)
        if status is not None:
            by_term[(status, *TERM_STATUSES[status])] += 1
    return {
        "total": len(orgs),
        "by_type": by_type,
        "by_unit_category": by_unit,
        "with_committee": with_committee,
        "without_committee": without_committee,
        "by_term_status": by_term,
        **by_unit_form,
    }


def _rows(table: dict[Row, int]) -> list[StatRow]:
    return [
        StatRow(key=key, label_zh=zh, label_en=en, count=n)
        for (key, zh, en), n in sorted(table.items(), key=lambda item: item[0][0])
    ]


def _member_tables(tally: Tally) -> MemberTables:
    tables = {**tally.tables, "by_age_band": tally.age_rows()}
    return MemberTables(total=tally.total, **{k: _rows(v) for k, v in tables.items()})


async def statistics_tables(
    session: AsyncSession, org: Organisation, as_of: date, subtree: Subtree | None = None
) -> StatisticsTables:
    """The annual tables (党内统计) of the subtree as of `as_of`: the members counted
    that day (probationary and full, as in the 增减 ledger) by gender, ethnicity (GB/T
    3304), age band (full years on `as_of`), education (GB/T 4658 category), category
    and joining period (入党时间); the members admitted (发展党员) from 1 January of
    `as_of`'s year to `as_of` by the same; the organisations existing that day by type,
    unit category, with and without a committee seat (委员; party groups aside), by
    term status (换届: those with terms) and by the unit's type, economic type and size;
    the members also by 学位, 工作岗位, 新社会阶层, 困难情况 and 失联 (lost contact by
    `as_of`); the meetings (三会一课 compliance) and points (the members counted that
    day by grade, their entries up to `as_of`) indicators of `as_of`'s year. Rows are
    keyed by code with zh and en labels; `unknown` counts records without the field. A
    past day reads the tree as it stood then (a subtree moved since counts where it
    sat: `placements`) and each member's details as recorded then (changed since:
    `recorded_values`)."""
    year_start = as_of.replace(month=1, day=1)
    subtree = subtree or await load_subtree(
        session, org, changed_only=True, since=year_before(as_of)
    )
    histories, where = subtree.histories, subtree.tree.where_on(as_of)
    changed_counted = counted_histories(subtree, as_of)
    changed = [h.member for h in changed_counted]
    new = admitted_between(histories, subtree.tree, year_start, as_of)
    admitted = [h.member for h in histories if h.member_id in new]
    revised = await recorded_on(session, as_of, where, {m.id for m in changed} | new)
    counted = await _counted_tally(session, subtree, where, as_of, changed, revised)
    organisations = await organisation_tables(session, org, where, as_of)
    return StatisticsTables(
        org_id=org.id,
        as_of=as_of,
        members=_member_tables(counted),
        new_members=_member_tables(member_tally(as_recorded(admitted, revised), as_of)),
        organisations=OrganisationTables(
            total=organisations["total"],
            by_type=_rows(organisations["by_type"]),
            by_unit_category=_rows(organisations["by_unit_category"]),
            with_committee=organisations["with_committee"],
            without_committee=organisations["without_committee"],
            by_term_status=_rows(organisations["by_term_status"]),
            **{name: _rows(organisations[name]) for name in UNIT_FORM},
        ),
        meetings=await indicators.meeting_tables(session, org, as_of),
        points=await indicators.points_tables(
            session, org, where, as_of, changed_counted, subtree.quiet_since
        ),
    )


async def _counted_tally(
    session: AsyncSession,
    subtree: Subtree,
    where: Where,
    as_of: date,
    changed: list[MemberFacts],
    revised: Revised,
) -> Tally:
    """The member tables of the members counted on `as_of` (`changed`: those with a
    recorded change, the rest by SQL), each with the details recorded that day
    (`revised`: the records changed since, read back from the audit trail, are
    tallied here, the others by SQL as they are)."""
    counted = member_tally(as_recorded(changed, revised), as_of)
    quiet = subtree.quiet_since
    if quiet is None:
        return counted
    excluding = frozenset(revised)
    counted.add(await unchanged_tally(session, where, as_of, quiet, excluding))
    if excluding:
        rows = await session.execute(
            select(*FACT_COLUMNS).where(
                among(Member.id, excluding), unchanged_counted_on(where, as_of), unchanged(quiet)
            )
        )
        members = [MemberFacts(*row) for row in rows.all()]
        counted.add(member_tally(as_recorded(members, revised), as_of))
    return counted


def year_before(as_of: date) -> date:
    """The last day before `as_of`'s year: the tables (the year's new members) and the
    year's ledger read the subtree as it stood on every day from then on."""
    return as_of.replace(month=1, day=1) - timedelta(days=1)


def counted_members(subtree: Subtree, day: date) -> list[MemberFacts]:
    """The members the subtree counts at the end of `day` (the tables' population;
    of the members with a recorded change only when the subtree leaves the rest to
    SQL), against the organisations it held that day."""
    return [h.member for h in counted_histories(subtree, day)]


def counted_histories(subtree: Subtree, day: date) -> list[MemberHistory]:
    """The histories of `counted_members`."""
    inside = subtree.tree.inside_on(day)
    return [h for h in subtree.histories if _counted_in(h, inside, day)]


def _counted_in(history: MemberHistory, inside: frozenset[uuid.UUID], day: date) -> bool:
    place = history.place_on(day)
    return place.counted and place.org_id in inside
