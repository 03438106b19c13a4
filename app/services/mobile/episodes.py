"""Mobile member episodes: the home organisation registers the outflow, the host the
inflow; the contact state (check-in overdue: alert; 6 months without contact: lost
contact); return or settlement closes the episode (settling becomes a transfer).
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any

from sqlalchemy import ColumnElement, Select, and_, case, func, literal, select, true
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import aliased

from app.errors import Conflict, ErrorCode, Forbidden, NotFound, Unprocessable
from app.i18n import Text
from app.models.enums import (
    BRANCH_TYPES,
    ENDED_STATUSES,
    EpisodeState,
    MemberStatus,
    OrgType,
    Role,
    TransferState,
    label_zh,
)
from app.models.lifecycle import Transfer
from app.models.member import Member
from app.models.mobile import OPEN_EPISODE_STATES, MobileEpisode, episode_open
from app.models.organisation import Organisation
from app.pagination import Page, paginate, parse_sort
from app.security.pii import mask_phone, pii_cipher
from app.security.scope import (
    Principal,
    in_scope,
    load_anywhere,
    load_visible,
    member_rows_only,
    require_role,
    under_any,
)
from app.services import members
from app.services.integration import audit
from app.services.lifecycle import add_months_sql, lost_contact_on
from app.services.mobile.areas import check_area
from app.services.policies import policy_int_sql

CONTACT_FIELD = "mobile.contact"


def contact_state_sql(today: date) -> ColumnElement[str]:
    """SQL: on_track, overdue (a check-in is past the home organisation's cadence,
    `mobile_check_in_months`) or lost_contact (6+ months silent). The one definition,
    for the item and the lists and statistics alike: each episode is judged by its own
    home organisation's policy, whoever asks."""
    last = MobileEpisode.last_contact_on
    cadence = policy_int_sql("mobile_check_in_months", MobileEpisode.home_path)
    return case(
        (lost_contact_on(last, today), literal("lost_contact")),
        (last < add_months_sql(today, -cadence), literal("overdue")),
        else_=literal("on_track"),
    )


def overdue_sql(today: date) -> ColumnElement[bool]:
    """SQL: an open episode whose check-in is overdue or that lost contact (`?overdue=`
    and the to-do list alike)."""
    return and_(episode_open(), contact_state_sql(today) != "on_track")


def _visible(principal: Principal) -> ColumnElement[bool]:
    return principal.scope.filter_any(MobileEpisode.home_path, MobileEpisode.host_path)


def listed_for(principal: Principal) -> ColumnElement[bool]:
    """SQL: the episodes the principal's lists carry (home or host in the subtree; a
    member user: its own)."""
    own = member_rows_only(principal)
    return and_(_visible(principal), true() if own is None else MobileEpisode.member_id == own)


@dataclass(frozen=True)
class EpisodeView:
    episode: MobileEpisode
    member_name: str
    home_org: Organisation
    host_org: Organisation | None
    home_side: bool
    host_side: bool
    contact: str | None
    contact_state: str


async def views(
    session: AsyncSession, principal: Principal, episodes: Sequence[MobileEpisode], today: date
) -> list[EpisodeView]:
    """What the caller may see of each episode, one statement for the whole page (the
    member's name, both organisations and the contact state joined in): the home side
    reads the contact (audited), the host a mask. The one way to render an episode, for
    the lists and the single read alike."""
    if not episodes:
        return []
    home, host = aliased(Organisation), aliased(Organisation)
    rows = await session.execute(
        select(MobileEpisode.id, Member.name, home, host, contact_state_sql(today))
        .join(Member, Member.id == MobileEpisode.member_id)
        .join(home, home.id == MobileEpisode.home_org_id)
        .outerjoin(host, host.id == MobileEpisode.host_org_id)
        .where(MobileEpisode.id.in_([e.id for e in episodes]))
    )
    joined = {row[0]: row[1:] for row in rows}
    return [
        EpisodeView(
            episode=e,
            member_name=joined[e.id][0],
            home_org=joined[e.id][1],
            host_org=joined[e.id][2],
            home_side=in_scope(principal, e.home_path),
            host_side=e.host_path is not None and in_scope(principal, e.host_path),
            contact=_contact(session, principal, e),
            contact_state=str(joined[e.id][3]),
        )
        for e in episodes
    ]


def _contact(session: AsyncSession, principal: Principal, episode: MobileEpisode) -> str | None:
    """The contact in clear for the home side (not the member role) and the member
    themself, audited; masked for everyone else."""
    if episode.contact_enc is None:
        return None
    plain = pii_cipher().decrypt(episode.contact_enc, field=CONTACT_FIELD)
    home_side = in_scope(principal, episode.home_path) and principal.role is not Role.auditor
    if (
        home_side and principal.role is not Role.member
    ) or principal.member_id == episode.member_id:
        audit.record(
            session,
            principal,
            "mobile.contact_read",
            "mobile_episode",
            episode.id,
            episode.home_path,
        )
        return plain
    return mask_phone(plain)


async def view(
    session: AsyncSession, principal: Principal, episode: MobileEpisode, today: date
) -> EpisodeView:
    return (await views(session, principal, [episode], today))[0]


async def get_visible(
    session: AsyncSession, principal: Principal, episode_id: uuid.UUID, *, lock: bool = False
) -> MobileEpisode:
    episode = await load_visible(session, principal, MobileEpisode, episode_id, lock=lock)
    if principal.role is Role.member and principal.member_id != episode.member_id:
        raise NotFound(ErrorCode.mobile_not_found)
    return episode


async def current_episode_id(session: AsyncSession, member_id: uuid.UUID) -> uuid.UUID:
    """A member's open episode (registered or hosted; at most one is open), else the
    latest closed one; 404 `mobile.not_found` when the member never went out."""
    found = await session.scalar(
        select(MobileEpisode.id)
        .where(MobileEpisode.member_id == member_id)
        .order_by(episode_open().desc(), MobileEpisode.started_on.desc())
        .limit(1)
    )
    if found is None:
        raise NotFound(ErrorCode.mobile_not_found)
    return found


def require_mobile_writer(principal: Principal) -> None:
    require_role(principal, Role.org_admin, Role.branch_secretary)


async def _host_org(session: AsyncSession, org_id: uuid.UUID) -> Organisation:
    org = await load_anywhere(
        session,
        Organisation,
        org_id,
        field="host_org_id",
        reference="mobile.host_org_id",
        copies_path=True,
    )
    if OrgType(org.type) not in BRANCH_TYPES or org.dissolved_on is not None:
        raise Unprocessable.field(
            "host_org_id",
            ErrorCode.mobile_host_not_branch,
            Text(zh="须为现存的党支部", en="a current branch"),
        )
    return org


async def register_outflow(
    session: AsyncSession,
    principal: Principal,
    member_id: uuid.UUID,
    data: dict[str, Any],
    today: date,
) -> MobileEpisode:
    """Register an outflow (流出登记) of a member of your subtree (else 404 naming
    `member_id`).

    One open episode per member; a member with a pending transfer or an ended record
    cannot flow out. Naming the intended host makes the episode visible to it; a host
    can also find it by the activity certificate number (流动党员活动证).
    """
    member = await members.get_visible(
        session, principal, member_id, field="member_id", copies_path=True
    )
    require_mobile_writer(principal)
    await _check_may_flow_out(session, member)
    host = None
    if data.get("host_org_id"):
        host = await _host_org(session, data["host_org_id"])
    episode = MobileEpisode(
        member_id=member.id,
        home_org_id=member.org_id,
        home_path=member.org_path,
        host_org_id=host.id if host else None,
        host_path=host.path if host else None,
        destination_area=check_area(data["destination_area"], "destination_area"),
        reason=data["reason"],
        expected_months=data["expected_months"],
        contact_enc=pii_cipher().encrypt(data["contact"], field=CONTACT_FIELD)
        if data.get("contact")
        else None,
        certificate_no=data["certificate_no"],
        location_consent=data["location_consent"],
        state=EpisodeState.registered,
        started_on=data.get("started_on") or today,
        last_contact_on=data.get("started_on") or today,
    )
    session.add(episode)
    await session.flush()
    audit.record(
        session,
        principal,
        "mobile.outflow_registered",
        "mobile_episode",
        episode.id,
        episode.home_path,
        after={"member_id": str(member.id), "destination_area": episode.destination_area},
    )
    return episode


async def _check_may_flow_out(session: AsyncSession, member: Member) -> None:
    """A member with an ended record, a pending transfer or an open episode cannot flow out."""
    if member.status in ENDED_STATUSES:
        raise Conflict(
            ErrorCode.mobile_member_ended,
            Text(
                zh=f"该党员当前状态为{label_zh(MemberStatus, member.status)}",
                en=f"the member's status is {member.status}",
            ),
        )
    pending = await session.scalar(
        select(Transfer.id).where(
            Transfer.member_id == member.id, Transfer.state == TransferState.pending
        )
    )
    if pending is not None:
        raise Conflict(
            ErrorCode.mobile_transfer_pending,
            Text(
                zh="有待办的组织关系转接，期间不能登记外出",
                en="a transfer is pending: no outflow meanwhile",
            ),
        )
    if await session.scalar(
        select(MobileEpisode.id).where(MobileEpisode.member_id == member.id, episode_open())
    ):
        raise Conflict(
            ErrorCode.mobile_already_open,
            Text(zh="该党员已有未结束的流动记录", en="the member already has an open episode"),
        )


async def find_for_host(
    session: AsyncSession, principal: Principal, certificate_no: str
) -> list[MobileEpisode]:
    """Registered episodes carrying this certificate number, for a host about to take them in."""
    require_mobile_writer(principal)
    rows = await session.scalars(
        select(MobileEpisode).where(
            MobileEpisode.certificate_no == certificate_no,
            MobileEpisode.state == EpisodeState.registered,
        )
    )
    return list(rows.all())


async def register_inflow(
    session: AsyncSession,
    principal: Principal,
    episode_id: uuid.UUID,
    host_org_id: uuid.UUID,
    certificate_no: str | None,
    today: date,
) -> MobileEpisode:
    """Register the inflow (流入登记) at a branch of your subtree.

    The episode must name your branch as intended host, or you present its activity
    certificate number.
    """
    require_mobile_writer(principal)
    episode = await session.scalar(
        select(MobileEpisode).where(MobileEpisode.id == episode_id).with_for_update()
    )
    host = await load_visible(
        session, principal, Organisation, host_org_id, field="host_org_id", copies_path=True
    )
    if episode is None:
        raise NotFound(ErrorCode.mobile_not_found)
    named = episode.host_path is not None and in_scope(principal, episode.host_path)
    if not named and certificate_no != episode.certificate_no:
        raise NotFound(ErrorCode.mobile_not_found)
    await _host_org(session, host.id)
    if episode.state != EpisodeState.registered:
        raise Conflict(
            ErrorCode.mobile_not_registered,
            Text(
                zh=f"该流动记录当前状态为{label_zh(EpisodeState, episode.state)}",
                en=f"the episode is {episode.state}",
            ),
        )
    episode.host_org_id = host.id
    episode.host_path = host.path
    episode.state = EpisodeState.hosted
    episode.hosted_on = today
    await session.flush()
    audit.record(
        session,
        principal,
        "mobile.inflow_registered",
        "mobile_episode",
        episode.id,
        host.path,
        after={"host_org_id": str(host.id)},
    )
    return episode


async def close_episode(
    session: AsyncSession,
    principal: Principal | None,
    episode: MobileEpisode,
    state: str,
    on: date,
) -> MobileEpisode:
    """End an episode: `returned` by the home side, `transferred` when a transfer lands."""
    if episode.state not in OPEN_EPISODE_STATES:
        raise Conflict(
            ErrorCode.mobile_episode_closed,
            Text(
                zh=f"该流动记录当前状态为{label_zh(EpisodeState, episode.state)}",
                en=f"the episode is {episode.state}",
            ),
        )
    episode.state = state
    episode.ended_on = on
    await session.flush()
    audit.record(
        session, principal, f"mobile.{state}", "mobile_episode", episode.id, episode.home_path
    )
    return episode


async def return_home(
    session: AsyncSession, principal: Principal, episode: MobileEpisode, on: date
) -> MobileEpisode:
    """Record the member's return (返回): the home side closes the episode."""
    require_mobile_writer(principal)
    if not in_scope(principal, episode.home_path):
        raise Forbidden(ErrorCode.mobile_not_home_side)
    return await close_episode(session, principal, episode, "returned", on)


async def close_for_transfer(session: AsyncSession, member_id: uuid.UUID, on: date) -> None:
    """A settled member's transfer ends the open episode (应转尽转)."""
    episode = await session.scalar(
        select(MobileEpisode).where(MobileEpisode.member_id == member_id, episode_open())
    )
    if episode is not None:
        await close_episode(session, None, episode, "transferred", on)


# The orders the list offers (`?sort=`); ties are broken by id.
EPISODE_SORT = "-started_on"
EPISODE_SORTABLE = {"started_on": MobileEpisode.started_on}


async def list_episodes(
    session: AsyncSession,
    principal: Principal,
    *,
    within_path: str | None,
    state: str | None,
    contact: str | None,
    overdue: bool | None,
    today: date,
    limit: int | None,
    cursor: str | None,
    sort: str | None = None,
    include_total: bool = False,
) -> Page[MobileEpisode]:
    """Episodes whose home or host lies in your subtree (or in `within`)."""
    stmt: Select[MobileEpisode] = select(MobileEpisode).where(listed_for(principal))
    if within_path is not None:
        stmt = stmt.where(under_any(MobileEpisode.home_path, MobileEpisode.host_path, within_path))
    if state is not None:
        stmt = stmt.where(MobileEpisode.state == state)
    state_sql = contact_state_sql(today)
    if contact is not None:
        stmt = stmt.where(episode_open(), state_sql == contact)
    if overdue is not None:
        late = overdue_sql(today)
        stmt = stmt.where(late if overdue else ~late)
    keys = parse_sort(sort, EPISODE_SORTABLE, MobileEpisode.id, default=EPISODE_SORT)
    return await paginate(
        session, stmt, keys, limit=limit, cursor=cursor, include_total=include_total
    )


async def statistics(
    session: AsyncSession, principal: Principal, within_path: str, today: date
) -> dict[str, Any]:
    """Counts in a subtree: by state, by destination province, overdue and lost contact
    (each episode judged by its home organisation's cadence, as its item is)."""
    base = and_(
        _visible(principal),
        under_any(MobileEpisode.home_path, MobileEpisode.host_path, within_path),
    )
    by_state = dict(
        (
            await session.execute(
                select(MobileEpisode.state, func.count()).where(base).group_by(MobileEpisode.state)
            )
        ).all()
    )
    province = func.substr(MobileEpisode.destination_area, 1, 2)
    open_base = and_(base, episode_open())
    province_rows = await session.execute(
        select(province, func.count()).where(open_base).group_by(province)
    )
    by_province: dict[str, int] = {str(k): int(v) for k, v in province_rows.all()}
    state_sql = contact_state_sql(today)
    by_contact = dict(
        (
            await session.execute(
                select(state_sql, func.count()).where(open_base).group_by(state_sql)
            )
        ).all()
    )
    return {
        "as_of": today,
        "by_state": {k: int(v) for k, v in by_state.items()},
        "by_destination_province": by_province,
        "overdue": int(by_contact.get("overdue", 0)),
        "lost_contact": int(by_contact.get("lost_contact", 0)),
        "on_track": int(by_contact.get("on_track", 0)),
    }
