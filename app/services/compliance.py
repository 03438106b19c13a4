"""Meeting compliance (三会一课落实情况): who held what they should, and what is overdue.

For every organisation in a subtree that should hold a meeting type under the
cadence policy (branches: general meetings, lectures, theme days, life meetings,
reviews, and committee meetings where a committee exists; party groups: group
meetings), the report splits the period into the cadence's sub-periods (months,
quarters, the year) and counts those with a finalized meeting. A sub-period that
ended before `as_of` without one is overdue.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import date
from functools import lru_cache
from typing import Any, TypedDict

from sqlalchemy import Date, Uuid, any_, bindparam, cast, func, or_, select
from sqlalchemy import Text as TextType
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.ext.asyncio import AsyncSession

from app import db
from app.errors import ErrorCode, Unprocessable
from app.i18n import Text
from app.models.enums import MeetingState, OrgType, Presence
from app.models.meeting import Meeting, MeetingAttendee
from app.models.organisation import Organisation, OrganisationLeader
from app.security.scope import like_prefix, subtree_prefix
from app.services.lifecycle import add_months
from app.services.meetings import COMMITTEE_MINIMUM
from app.services.policies import effective_policies

BRANCH_DUTIES = (
    "general_meeting",
    "party_lecture",
    "theme_day",
    "life_meeting",
    "democratic_review",
)
# A branch with a committee (支委会) also holds committee meetings, listed second.
COMMITTEE_BRANCH_DUTIES = (BRANCH_DUTIES[0], "committee_meeting", *BRANCH_DUTIES[1:])
GROUP_DUTIES = ("group_meeting",)
CADENCE_MONTHS = {"monthly": 1, "quarterly": 3, "yearly": 12}
# The types as the driver reads them (plain text): text compared with a StrEnum member
# costs ten times a comparison of texts, several times per organisation.
_BRANCH_TYPES = frozenset({OrgType.branch.value, OrgType.joint_branch.value})
_GROUP_TYPE = OrgType.group.value


@dataclass(frozen=True)
class Period:
    start: date
    end: date  # exclusive
    label: str

    @property
    def months(self) -> int:
        return (self.end.year - self.start.year) * 12 + self.end.month - self.start.month


def period_for(year: int, quarter: int | None, month: int | None) -> Period:
    if quarter is not None and month is not None:
        raise Unprocessable.field(
            "quarter",
            ErrorCode.compliance_period_ambiguous,
            Text(zh="季度与月份只能填写其一", en="quarter or month"),
        )
    if quarter is not None:
        start = date(year, 3 * quarter - 2, 1)
        return Period(start, add_months(start, 3), f"{year}-Q{quarter}")
    if month is not None:
        start = date(year, month, 1)
        return Period(start, add_months(start, 1), f"{year}-{month:02d}")
    return Period(date(year, 1, 1), date(year + 1, 1, 1), str(year))


@lru_cache(maxsize=256)
def sub_periods(period: Period, cadence: str) -> tuple[Period, ...]:
    """The cadence's slots inside the period; none when a slot is longer than the period."""
    length = CADENCE_MONTHS.get(cadence)
    if length is None or length > period.months:
        return ()
    slots = []
    start = period.start
    while start < period.end:
        end = add_months(start, length)
        if length == 1:
            label = f"{start:%Y-%m}"
        elif length == 3:
            label = f"{start.year}-Q{(start.month - 1) // 3 + 1}"
        else:
            label = str(start.year)
        slots.append(Period(start, end, label))
        start = end
    return tuple(slots)


class ComplianceRow(TypedDict):
    """One duty of one organisation; a plain dict, written by orjson as is (its keys, in
    this order, are the `Compliance` schema's row, checked by a test): a county report is
    hundreds of rows, and a dict costs a fraction of an object to build and to write."""

    org_id: str  # the organisation's UUID as text: written as is, read by nothing else
    org_code: str
    org_name: str
    type: str
    cadence: str
    required: int
    held: int
    dates: list[date]
    attendance_rate: float | None
    overdue: bool
    missing: list[str]


@dataclass(frozen=True, slots=True)
class _CadencePlan:
    """A cadence's slots in one period as of one day, as the report's loop reads them."""

    length: int  # months per slot
    required: int  # slots in the period
    over: tuple[tuple[int, str], ...]  # (index, label) of the slots ended by the day
    over_labels: tuple[str, ...]  # their labels: what a row without meetings misses

    @classmethod
    def of(cls, period: Period, cadence: str, as_of: date) -> _CadencePlan | None:
        slots = sub_periods(period, cadence)
        if not slots:
            return None
        over = tuple((i, slot.label) for i, slot in enumerate(slots) if slot.end <= as_of)
        return cls(
            CADENCE_MONTHS[cadence],
            len(slots),
            over,
            tuple(label for _, label in over),
        )


@dataclass
class ComplianceReport:
    as_of: date
    period: str
    rate: float | None
    rows: list[ComplianceRow]
    totals: dict[str, dict[str, float | int | None]]


@lru_cache(maxsize=1)
def _statements() -> dict[str, db.DriverStatement]:
    """The report's statements, compiled once; per request only their values change."""
    start, end, as_of = (
        bindparam("start", None, type_=Date),
        bindparam("end", None, type_=Date),
        bindparam("as_of", None, type_=Date),
    )
    # Organisation ids are read as text: the report writes them as text, and a text key
    # hashes once (a driver UUID hashes afresh at every dict lookup, several per row).
    orgs = (
        select(cast(Organisation.id, TextType), Organisation.code, Organisation.name)
        .add_columns(Organisation.type, Organisation.path)
        .where(
            like_prefix(Organisation.path, "prefix"),
            or_(Organisation.dissolved_on.is_(None), Organisation.dissolved_on >= end),
            Organisation.type.in_([OrgType.branch, OrgType.joint_branch, OrgType.group]),
        )
        .order_by(Organisation.path)
    )
    # One array parameter: the statement text (and its prepared plan) does not change with
    # the number of branches, unlike an expanded IN list.
    committees = (
        select(
            cast(OrganisationLeader.org_id, TextType),
            func.count(func.distinct(OrganisationLeader.member_id)),
        )
        .where(
            OrganisationLeader.org_id == any_(bindparam("branch_ids", [], type_=ARRAY(Uuid))),
            OrganisationLeader.started_on <= as_of,
            or_(OrganisationLeader.ended_on.is_(None), OrganisationLeader.ended_on >= as_of),
        )
        .group_by(OrganisationLeader.org_id)
    )
    meetings = (
        select(
            cast(Meeting.org_id, TextType),
            Meeting.type,
            Meeting.held_on,
            func.count().filter(MeetingAttendee.presence == Presence.present),
            func.count(MeetingAttendee.member_id),
        )
        .outerjoin(MeetingAttendee, MeetingAttendee.meeting_id == Meeting.id)
        .where(
            like_prefix(Meeting.org_path, "prefix"),
            Meeting.state == MeetingState.finalized,
            Meeting.held_on >= start,
            Meeting.held_on < end,
            Meeting.held_on <= as_of,
        )
        .group_by(Meeting.id)
        .order_by(Meeting.held_on)
    )
    return {
        name: db.DriverStatement.compile(statement)
        for name, statement in (("orgs", orgs), ("committees", committees), ("meetings", meetings))
    }


async def _duties(
    session: AsyncSession, orgs: Sequence[Any], as_of: date
) -> dict[str, tuple[str, ...]]:
    # `orgs`: rows of (id as text, code, name, type, path), not ORM objects: reports read many.
    branch_ids = [o[0] for o in orgs if o[3] in _BRANCH_TYPES]
    committee_sizes: dict[str, int] = {}
    if branch_ids:
        query = _statements()["committees"]
        rows = await db.fetch(session, query.sql, *query.args(branch_ids=branch_ids, as_of=as_of))
        committee_sizes = {org_id: int(n) for org_id, n in rows}
    duties: dict[str, tuple[str, ...]] = {}
    for org_id, _, _, org_type, _ in orgs:
        if org_type == _GROUP_TYPE:
            duties[org_id] = GROUP_DUTIES
        elif org_type in _BRANCH_TYPES:
            with_committee = committee_sizes.get(org_id, 0) >= COMMITTEE_MINIMUM
            duties[org_id] = COMMITTEE_BRANCH_DUTIES if with_committee else BRANCH_DUTIES
    return duties


def _group_held(meetings: Sequence[Any]) -> dict[tuple[str, str], list[Any]]:
    """Per organisation and meeting type, its rows as they arrive (in date order).
    `meetings`: rows of (org id as text, type, held on, present, expected). Rows are only
    grouped here: each group is read once, by `_judge` (a fold per row cost more)."""
    held: dict[tuple[str, str], list[Any]] = {}
    for row in meetings:
        key = (row[0], row[1])
        rows = held.get(key)
        if rows is None:
            held[key] = [row]
        else:
            rows.append(row)
    return held


def _judge(
    slots: _CadencePlan, held: Sequence[Any], first_month: int
) -> tuple[list[date], int, list[str], float | None]:
    """One organisation's duty for one meeting type, from its meetings of the period
    (rows of `_group_held`, in date order): (days held, slots filled, labels of the
    slots that are over and missing, attendance rate)."""
    if not held:
        # Nothing held: every slot that is over is missing.
        return [], 0, list(slots.over_labels), None
    days: list[date] = []
    filled: set[int] = set()
    present = expected = 0
    length = slots.length
    for _, _, held_on, n_present, n_expected in held:
        days.append(held_on)
        # The slot of the month (counted from year 0): months since the period's start
        # over the length.
        filled.add((held_on.year * 12 + held_on.month - first_month) // length)
        present += n_present
        expected += n_expected
    missing = []  # a loop, not a comprehension: no function object per call
    for i, label in slots.over:
        if i not in filled:
            missing.append(label)
    rate = round(present / expected, 4) if expected else None
    return days, len(filled), missing, rate


def _totals(
    counts: dict[str, list[int]],
) -> tuple[dict[str, dict[str, float | int | None]], float | None]:
    """Per meeting type and overall: required, held, overdue and the rate held/required."""
    totals: dict[str, dict[str, float | int | None]] = {
        meeting_type: {
            "required": required,
            "held": n_held,
            "overdue": overdue,
            "rate": round(n_held / required, 4) if required else None,
        }
        for meeting_type, (required, n_held, overdue) in counts.items()
    }
    required_all = sum(required for required, _, _ in counts.values())
    held_all = sum(n_held for _, n_held, _ in counts.values())
    return totals, round(held_all / required_all, 4) if required_all else None


_Plan = tuple[tuple[str, str, _CadencePlan], ...]


def _plan_per_policy(
    period: Period, as_of: date
) -> Callable[[dict[str, Any], tuple[str, ...]], _Plan]:
    """An organisation's duties that have a slot in the period, in order, each as (meeting
    type, cadence, plan), for its effective policy and its duties. Worked out once per
    cadence and once per distinct policy dict and duties (organisations inheriting the
    same overrides share one policy dict; duties are one of the module's tuples)."""
    by_cadence = {cadence: _CadencePlan.of(period, cadence, as_of) for cadence in CADENCE_MONTHS}
    plans: dict[tuple[int, int], _Plan] = {}

    def plan_for(policy: dict[str, Any], duties: tuple[str, ...]) -> _Plan:
        key = (id(policy), id(duties))
        plan = plans.get(key)
        if plan is None:
            active = []
            for meeting_type in duties:
                cadence = str(policy[f"cadence_{meeting_type}"])
                slots = by_cadence.get(cadence)
                if slots is not None:  # None: no slot of the cadence fits in the period
                    active.append((meeting_type, cadence, slots))
            plan = plans[key] = tuple(active)
        return plan

    return plan_for


async def meeting_compliance(
    session: AsyncSession,
    root_path: str,
    *,
    year: int,
    quarter: int | None,
    month: int | None,
    as_of: date,
    only_overdue: bool = False,
) -> ComplianceReport:
    """Compliance of the whole subtree for a year, quarter or month, as of a date."""
    period = period_for(year, quarter, month)
    queries = _statements()
    prefix = subtree_prefix(root_path)
    orgs_query = queries["orgs"]
    sql, args = orgs_query.bind(prefix=prefix, end=period.end)
    orgs = await db.fetch(session, sql, *args)
    duties = await _duties(session, orgs, as_of)
    policies = await effective_policies(session, root_path, orgs)
    meetings_query = queries["meetings"]
    sql, args = meetings_query.bind(prefix=prefix, start=period.start, end=period.end, as_of=as_of)
    meetings = await db.fetch(session, sql, *args)
    held = _group_held(meetings)
    rows: list[ComplianceRow] = []
    counts: dict[str, list[int]] = defaultdict(lambda: [0, 0, 0])  # required, held, overdue
    first_month = period.start.year * 12 + period.start.month
    plan_of = _plan_per_policy(period, as_of)
    for org_id, org_code, org_name, _, _ in orgs:
        for meeting_type, cadence, slots in plan_of(policies[org_id], duties.get(org_id, ())):
            days, n_held, missing, rate = _judge(
                slots, held.get((org_id, meeting_type), ()), first_month
            )
            overdue = bool(missing)
            count = counts[meeting_type]
            count[0] += slots.required
            count[1] += n_held
            count[2] += overdue
            if overdue or not only_overdue:
                rows.append({
                    "org_id": org_id, "org_code": org_code, "org_name": org_name,
                    "type": meeting_type, "cadence": cadence, "required": slots.required,
                    "held": n_held, "dates": days, "attendance_rate": rate,
                    "overdue": overdue, "missing": missing,
                })  # fmt: skip
    totals, rate = _totals(counts)
    return ComplianceReport(
        as_of=as_of,
        period=period.label,
        rate=rate,
        rows=rows,
        totals=totals,
    )
