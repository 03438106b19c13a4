"""Member flags (suggestions for a person to act on, never automatic status changes):
talk overdue, approval due or overdue, probation ending, out of contact, a move that
calls for a transfer, a mobile episode past its expected months, a 双报到 registration
not reviewed this year, a 留党察看 awaiting its outcome, suspended long enough to record
as left.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import date, timedelta
from functools import lru_cache

from sqlalchemy import (
    BindParameter,
    ColumnElement,
    Date,
    String,
    Uuid,
    and_,
    any_,
    bindparam,
    case,
    exists,
    func,
    literal,
    null,
    or_,
    select,
    union_all,
)
from sqlalchemy.dialects.postgresql import ARRAY, array
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import aliased

from app import clock, db
from app.errors import ErrorCode, Unprocessable
from app.i18n import Text
from app.models.discipline import Discipline
from app.models.enums import (
    PARTY_MEMBER_STATUSES,
    CommunityReportState,
    DisciplineKind,
    MemberStatus,
    TransferState,
)
from app.models.grid import CommunityReport
from app.models.lifecycle import Transfer
from app.models.member import Member, probation_ends_on_sql
from app.models.mobile import MobileEpisode, episode_open
from app.models.organisation import OrganisationLeader
from app.models.sql import add_months_sql, in_text
from app.services.lifecycle.periods import (
    APPROVAL_DUE_MONTHS,
    APPROVAL_LIMIT_MONTHS,
    PROBATION_ENDING_DAYS,
    SUSPENDED_LEFT_MONTHS,
    TALK_DUE_MONTHS,
    S,
    add_months,
    lost_contact_on,
)
from app.services.unpaid_dues import UNPAID_FLAG, unpaid_run_candidates, unpaid_run_flag

# --- Flags ---------------------------------------------------------------------------


def registration_review_due(today: date) -> ColumnElement[bool]:
    """A 双报到 registration row due for its yearly review: active, from before this
    year, not reviewed this year. The member's flag and the community's both read it."""
    return and_(
        CommunityReport.state == CommunityReportState.active,
        CommunityReport.registered_on < date(today.year, 1, 1),
        or_(CommunityReport.review_year.is_(None), CommunityReport.review_year < today.year),
    )


@lru_cache(maxsize=16)
def flag_conditions(today: date) -> dict[str, ColumnElement[bool]]:
    """Each flag as one SQL condition: the member record and `?flag=` lists agree by design.

    Cached per day: building these expressions costs more than running them.
    """
    # In this order: the member record lists its flags in FLAG_CODES order.
    return {**_admission(today), **_whereabouts(today), **_follow_ups(today)}


def _status(status: MemberStatus) -> ColumnElement[bool]:
    """The member row holds `status`, written into the statement's text: a date flag's
    partial index (`ix_members_probation_end`, ...) is proved from it."""
    return Member.status == in_text(status.value, String)


def _day(day: date) -> BindParameter[date]:
    """A date flag's bound, in the statement's text: the planner estimates from the
    statistics of the flag's index how many members it matches, and walks the status
    in tree order where many do or starts from the index where few do."""
    return in_text(day, Date)


def _admission(today: date) -> dict[str, ColumnElement[bool]]:
    """From the application to the end of probation."""
    m = Member
    probation_end = probation_ends_on_sql()
    awaiting_approval = and_(_status(S.probationary), m.admission_approved_on.is_(None))
    return {
        # 谈话: a talk is due within a month of the application.
        "applicant.talk_overdue": and_(
            _status(S.applicant),
            m.talked_on.is_(None),
            m.applied_on < _day(add_months(today, -TALK_DUE_MONTHS)),
        ),
        # The committee above approves an admission within 3 months; past 6 it is redone.
        "admission.approval_overdue": and_(
            awaiting_approval,
            m.joined_on < _day(add_months(today, -APPROVAL_DUE_MONTHS)),
            m.joined_on >= _day(add_months(today, -APPROVAL_LIMIT_MONTHS)),
        ),
        "admission.approval_expired": and_(
            awaiting_approval, m.joined_on < _day(add_months(today, -APPROVAL_LIMIT_MONTHS))
        ),
        "probation.ending": and_(
            _status(S.probationary),
            probation_end > _day(today),
            probation_end <= _day(today + timedelta(days=PROBATION_ENDING_DAYS)),
        ),
        "probation.due": and_(_status(S.probationary), probation_end <= _day(today)),
    }


def _whereabouts(today: date) -> dict[str, ColumnElement[bool]]:
    """Where the member is: out of contact, or moved without a transfer."""
    m = Member
    return {
        # Out of contact 6+ months (recorded, or silent on a mobile episode):
        # suspension (停止党籍) is suggested to the branch.
        "contact.lost": _contact_lost(today, as_ids=False),
        # The work unit or residence changed (DOMAIN: a transfer is required): suggested
        # until a transfer (pending or accepted) or a mobile episode is registered since.
        "transfer.suggested": and_(
            m.status.in_(PARTY_MEMBER_STATUSES),
            m.relocated_on.is_not(None),
            ~exists().where(
                Transfer.member_id == m.id,
                Transfer.state.in_((TransferState.pending, TransferState.accepted)),
                clock.local_date_sql(Transfer.created_at) >= m.relocated_on,
            ),
            ~exists().where(
                MobileEpisode.member_id == m.id,
                episode_open(),
                MobileEpisode.started_on >= m.relocated_on,
            ),
        ),
    }


def _silent_episode(today: date) -> ColumnElement[bool]:
    """SQL over a mobile episode: open, and silent long enough to count as lost."""
    return and_(
        episode_open(),
        lost_contact_on(MobileEpisode.last_contact_on, today),
    )


def _contact_lost(today: date, *, as_ids: bool) -> ColumnElement[bool]:
    """`contact.lost`: a Party member silent for 6 months or more, by the record
    (`lost_contact_since`) or on an open mobile episode.

    As a row condition (the member record, the page's flags) a column ORed with an
    EXISTS, which PostgreSQL can only test member by member: a list filtered on it read
    a whole subtree (a province's `?flag=contact.lost`: 2.3 s at 1M members with none
    lost). `as_ids`: the same as a set of member ids, the members lost by record (a
    partial index on `lost_contact_since`) and those silent on an episode, which a list
    joins from those few rows."""
    silent: ColumnElement[bool]
    if as_ids:
        lost = aliased(Member)
        ids = union_all(
            select(lost.id).where(lost_contact_on(lost.lost_contact_since, today)),
            select(MobileEpisode.member_id).where(_silent_episode(today)),
        )
        silent = Member.id.in_(ids.scalar_subquery())
    else:
        silent = or_(
            lost_contact_on(Member.lost_contact_since, today),
            exists().where(MobileEpisode.member_id == Member.id, _silent_episode(today)),
        )
    return and_(Member.status.in_(PARTY_MEMBER_STATUSES), silent)


@lru_cache(maxsize=16)
def _filter_forms(today: date) -> dict[str, ColumnElement[bool]]:
    """The flags a list filters on in another form than the row condition (the same
    members): `contact.lost` as a set of ids; the unpaid dues with the members who can
    owe them first (`unpaid_run_candidates`: an index range where few owe)."""
    return {
        "contact.lost": _contact_lost(today, as_ids=True),
        UNPAID_FLAG: and_(unpaid_run_candidates(today), unpaid_run_flag(today)),
    }


def _follow_ups(today: date) -> dict[str, ColumnElement[bool]]:
    """An earlier decision or registration whose next step is due."""
    m = Member
    return {
        # 留党察看 whose period is over without a recorded outcome: restore or expel.
        "discipline.outcome_due": exists().where(
            Discipline.member_id == m.id,
            Discipline.kind == DisciplineKind.probation,
            Discipline.outcome.is_(None),
            Discipline.ends_on <= literal(today),
        ),
        # A mobile episode lasting longer than its expected months: return, extend or
        # transfer (应转尽转).
        "mobile.expected_period_exceeded": exists().where(
            MobileEpisode.member_id == m.id,
            episode_open(),
            add_months_sql(MobileEpisode.started_on, MobileEpisode.expected_months)
            < literal(today),
        ),
        # 双报到 is reviewed at least yearly: an active registration from before this year
        # with no review this year.
        "community_report.review_due": exists().where(
            CommunityReport.member_id == m.id, registration_review_due(today)
        ),
        # 撤销党内职务, and 留党察看 (which ends party posts too): a post held since before
        # the decision is still current; end its term.
        "discipline.post_still_held": exists().where(
            Discipline.member_id == m.id,
            Discipline.kind.in_((DisciplineKind.removal_from_post, DisciplineKind.probation)),
            Discipline.decided_on <= literal(today),
            exists().where(
                # The decision's member, i.e. the member row's (`m.id` two levels down
                # was not correlated: any member's post raised the flag).
                OrganisationLeader.member_id == Discipline.member_id,
                OrganisationLeader.started_on <= Discipline.decided_on,
                or_(
                    OrganisationLeader.ended_on.is_(None),
                    OrganisationLeader.ended_on >= literal(today),
                ),
            ),
        ),
        # 连续 6 个月不交党费: the six months ending with this one owed and unpaid.
        UNPAID_FLAG: unpaid_run_flag(today),
        # Suspended 2+ years: the branch may record `left` (自行脱党).
        "suspension.left_suggested": and_(
            _status(S.suspended),
            m.status_since <= _day(add_months(today, -SUSPENDED_LEFT_MONTHS)),
        ),
    }


FLAG_CODES = tuple(flag_conditions(date(2000, 1, 1)))
# The timing flags of the development process (application to the end of probation):
# what the development pipeline reports as overdue.
ADMISSION_FLAGS = tuple(_admission(date(2000, 1, 1)))


def check_flags(flags: Sequence[str]) -> None:
    """422 for a flag code that does not exist."""
    unknown = [f for f in flags if f not in FLAG_CODES]
    if unknown:
        raise Unprocessable.field(
            "flag",
            ErrorCode.member_flag_unknown,
            Text(
                zh=f"未知的提示标记 {unknown[0]!r}，可用：{', '.join(FLAG_CODES)}",
                en=f"unknown flag {unknown[0]!r}; use {list(FLAG_CODES)}",
            ),
        )


def flag_filter(flags: Sequence[str], today: date) -> ColumnElement[bool]:
    """SQL over a member row for a list: any of `flags` raised (each flag's row condition,
    or its set form where a list needs one: `_filter_forms`)."""
    check_flags(flags)
    conditions = {**flag_conditions(today), **_filter_forms(today)}
    return or_(*[conditions[f] for f in flags])


def raised_flags(today: date, codes: Sequence[str] = FLAG_CODES) -> ColumnElement[list[str]]:
    """SQL over a member row: the codes of its raised flags (of `codes`) as one array, in
    FLAG_CODES order (the database assembles the lists, not a Python loop over every
    condition of every member)."""
    conditions = flag_conditions(today)
    return func.array_remove(
        array(
            [
                case((c, literal(code)), else_=null())
                for code, c in conditions.items()
                if code in codes
            ]
        ),
        null(),
    )


@lru_cache(maxsize=4)
def _flags_query(today: date) -> db.DriverStatement:
    """The flags statement compiled once per day; per call only the member ids change.

    Sending the rest as precompiled values skips SQLAlchemy's per-execution processing
    of ~35 parameters, which was a tenth of the CPU of a member read.
    """
    statement = select(Member.id, raised_flags(today)).where(
        Member.id == any_(bindparam("member_ids", [], type_=ARRAY(Uuid)))
    )
    return db.DriverStatement.compile(statement)


async def flags_for(
    session: AsyncSession, member_ids: list[uuid.UUID], today: date
) -> dict[uuid.UUID, list[str]]:
    """The flags of several members in one query."""
    if not member_ids:
        return {}
    query = _flags_query(today)
    rows = await db.fetch(session, query.sql, *query.args(member_ids=member_ids))
    return {member_id: raised for member_id, raised in rows}
