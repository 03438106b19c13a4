"""Leaders (班子) and terms: one current secretary at most; term lengths by organisation type
(policy).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any

from sqlalchemy import and_, or_, select, true
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.sql.elements import ColumnElement

from app.errors import Conflict, ErrorCode, Unprocessable
from app.i18n import Text
from app.models.enums import ENDED_STATUSES, LeaderRole
from app.models.member import Member
from app.models.organisation import Organisation, OrganisationLeader
from app.schemas.organisations import LeaderCreate
from app.security.scope import Principal, is_under, load_visible, shows_member
from app.services.integration import audit
from app.services.organisations.access import require_org_writer

# --- Leaders (班子) -------------------------------------------------------------


def term_current(started_on: date, ended_on: date | None, today: date) -> bool:
    """A leader's term is current when `today` lies in [started_on, ended_on]."""
    return started_on <= today and (ended_on is None or today <= ended_on)


def terms_overlap(
    started_on: Any, ended_on: Any, other_start: date, other_end: date | None
) -> ColumnElement[bool]:
    """SQL: the stored term [started_on, ended_on] shares a day with [other_start, other_end].

    The partial unique index `uq_organisation_leaders_current_secretary` can only
    refuse two *open* secretary terms: a unique index compares equal keys, and
    overlapping date ranges are not equal (that needs an EXCLUDE constraint over
    daterange with btree_gist, an extension the deployment may not allow). So the
    overlap rule is the service's, under a lock on the organisation row.
    """
    starts_in_time = true() if other_end is None else started_on <= other_end
    return and_(starts_in_time, or_(ended_on.is_(None), ended_on >= other_start))


@dataclass(frozen=True)
class LeaderRow:
    leader: OrganisationLeader
    member_name: str


async def list_leaders(session: AsyncSession, org: Organisation) -> list[LeaderRow]:
    rows = (
        await session.execute(
            select(OrganisationLeader, Member.name)
            .join(Member, Member.id == OrganisationLeader.member_id)
            .where(OrganisationLeader.org_id == org.id)
            .order_by(
                OrganisationLeader.ended_on.desc().nulls_first(), OrganisationLeader.started_on
            )
        )
    ).all()
    return [LeaderRow(leader, name) for leader, name in rows]


async def visible_leaders(
    session: AsyncSession, principal: Principal, org: Organisation
) -> list[LeaderRow]:
    """The organisation's leaders the principal may see (a member user: only itself)."""
    return [
        r for r in await list_leaders(session, org) if shows_member(principal, r.leader.member_id)
    ]


async def add_leader(
    session: AsyncSession, principal: Principal, org: Organisation, data: LeaderCreate, today: date
) -> LeaderRow:
    """Appoint a leader (班子成员) for a term; one current secretary at most.

    A term is current on the days from `started_on` to `ended_on` inclusive (an
    open `ended_on` never ends). A secretary's term may not overlap another
    secretary's term of the same organisation, so no day has two current
    secretaries: a successor is appointed after the predecessor's term is ended,
    whether that end is past or future (409 `leader.secretary_exists`).
    """
    require_org_writer(principal)
    member = await load_visible(session, principal, Member, data.member_id, field="member_id")
    if not is_under(member.org_path, org.path) or member.status in ENDED_STATUSES:
        raise Conflict(ErrorCode.leader_member_not_in_org)
    if data.ended_on is not None and data.ended_on < data.started_on:
        raise Unprocessable.field(
            "ended_on",
            ErrorCode.leader_term_order,
            Text(
                zh="任职结束日期 (ended_on) 早于开始日期 (started_on)",
                en="ended_on is before started_on",
            ),
        )
    if data.role is LeaderRole.secretary:
        await _check_no_other_secretary(session, org, data)
    leader = OrganisationLeader(
        org_id=org.id,
        member_id=member.id,
        role=data.role.value,
        started_on=data.started_on,
        ended_on=data.ended_on,
    )
    session.add(leader)
    await session.flush()
    audit.record(
        session,
        principal,
        "organisation.leader_added",
        "organisation",
        org.id,
        org.path,
        after=audit.snapshot(leader, ("member_id", "role", "started_on", "ended_on")),
    )
    return LeaderRow(leader, member.name)


async def _check_no_other_secretary(
    session: AsyncSession, org: Organisation, data: LeaderCreate
) -> None:
    """No secretary term of the organisation overlaps the new secretary's term."""
    # Serialise secretary appointments per organisation: two racing requests
    # would each see no overlap. FOR NO KEY UPDATE leaves path-copying writers
    # (FOR KEY SHARE) alone.
    await session.execute(
        select(Organisation.id).where(Organisation.id == org.id).with_for_update(key_share=True)
    )
    overlapping = await session.scalar(
        select(OrganisationLeader.id).where(
            OrganisationLeader.org_id == org.id,
            OrganisationLeader.role == LeaderRole.secretary,
            terms_overlap(
                OrganisationLeader.started_on,
                OrganisationLeader.ended_on,
                data.started_on,
                data.ended_on,
            ),
        )
    )
    if overlapping is not None:
        raise Conflict(ErrorCode.leader_secretary_exists)


# --- Health and statistics -------------------------------------------------------------
