"""Organisation health: the thresholds on full members (branch size, committee, general
branch, joint branch), the secretary, and the health report that adds the term flags
(`terms.py`).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import date
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from app.models.enums import (
    BRANCH_TYPES,
    COMMITTEE_TYPES,
    ENDED_STATUSES,
    LeaderRole,
    MemberStatus,
    OrgType,
)
from app.models.member import Member
from app.models.organisation import Organisation, OrganisationLeader
from app.schemas.organisations import HealthFlag, OrganisationHealth
from app.security.scope import under
from app.services.organisations.flags import flag
from app.services.organisations.leaders import terms_overlap
from app.services.organisations.report_flags import report_flags
from app.services.organisations.terms import org_term_flags
from app.services.policies import effective_policy

# Typical sizes of a general branch and of a basic-level committee (DOMAIN: below
# or above them an organisation may exist with approval, so these are info flags).
GENERAL_BRANCH_TYPICAL_FULL_MEMBERS = (50, 100)
COMMITTEE_TYPICAL_MIN_FULL_MEMBERS = 100
COMMITTEE_SIZE_RANGE = (3, 7)
COMMITTEE_TYPICAL_MAX = 5
COMMITTEE_REQUIRED_ROLES = (
    LeaderRole.organisation_member,
    LeaderRole.propaganda_member,
    LeaderRole.discipline_member,
)


def branch_size_flags(full_members: int, policy: Mapping[str, Any]) -> list[HealthFlag]:
    """A branch needs at least `branch_min_full_members` (3) full members (fewer: join
    a joint branch) and generally has at most `branch_max_members` (50)."""
    flags = []
    minimum = int(policy["branch_min_full_members"])
    if full_members < minimum:
        flags.append(
            flag(
                "branch.too_few_full_members",
                "warning",
                "fewer full members than a branch needs: consider a joint branch",
                full_members,
                minimum,
            )
        )
    maximum = int(policy["branch_max_members"])
    if full_members > maximum:
        flags.append(
            flag(
                "branch.too_many_members",
                "warning",
                "more full members than a branch generally has: consider a general branch",
                full_members,
                maximum,
            )
        )
    return flags


def branch_committee_flags(
    full_members: int,
    leader_roles: Sequence[str],
    policy: Mapping[str, Any],
    committee_size: int | None = None,
) -> list[HealthFlag]:
    """From `branch_committee_from_full_members` (7) full members a branch needs a
    committee (支委会) of 3-5 people, at most 7 (6-7: allowed, an info flag), with a
    组织委员, 宣传委员 and 纪检委员 among its seats (one person may hold two); below it,
    a secretary and optional deputy only. `leader_roles` has one entry per seat,
    `committee_size` counts people (default: one seat each)."""
    size = len(leader_roles) if committee_size is None else committee_size
    committee_at = int(policy["branch_committee_from_full_members"])
    if full_members >= committee_at:
        return _committee_size_flags(size) or _committee_role_flags(leader_roles)
    secretaries = (LeaderRole.secretary, LeaderRole.deputy_secretary)
    if any(r not in secretaries for r in leader_roles):
        return [
            flag(
                "branch.committee_not_expected",
                "info",
                "below the committee threshold a branch has a secretary and optional deputy",
                full_members,
                committee_at,
            )
        ]
    return []


def _committee_size_flags(size: int) -> list[HealthFlag]:
    smallest, largest = COMMITTEE_SIZE_RANGE
    if size < smallest:
        return [
            flag(
                "branch.committee_required",
                "warning",
                "a branch with this many full members needs a committee (支委会) of 3-7",
                size,
                smallest,
            )
        ]
    if size > largest:
        return [
            flag(
                "branch.committee_too_large", "warning", "a committee has at most 7", size, largest
            )
        ]
    if size > COMMITTEE_TYPICAL_MAX:
        return [
            flag(
                "branch.committee_above_typical_size",
                "info",
                "a branch committee typically has 3-5 members (at most 7)",
                size,
                COMMITTEE_TYPICAL_MAX,
            )
        ]
    return []


def _committee_role_flags(leader_roles: Sequence[str]) -> list[HealthFlag]:
    """A committee's seats include 组织委员, 宣传委员 and 纪检委员 (the size flags above
    come first: a committee too small or too large is fixed before its seats)."""
    missing = [r.value for r in COMMITTEE_REQUIRED_ROLES if r.value not in leader_roles]
    if not missing:
        return []
    return [
        flag(
            "branch.committee_roles_missing",
            "warning",
            "a branch committee has an organisation, a propaganda and a discipline member "
            "(组织委员, 宣传委员, 纪检委员)",
            ",".join(missing),
        )
    ]


def joint_branch_flags(unit_count: int | None, policy: Mapping[str, Any]) -> list[HealthFlag]:
    """A joint branch covers at most `joint_branch_max_units` (5) units."""
    max_units = int(policy["joint_branch_max_units"])
    if unit_count is not None and unit_count > max_units:
        return [
            flag(
                "joint_branch.too_many_units",
                "warning",
                "a joint branch covers at most 5 units",
                unit_count,
                max_units,
            )
        ]
    return []


def general_branch_flags(full_members: int) -> list[HealthFlag]:
    """A general branch typically has 50-100 full members (outside: info, approval)."""
    low, high = GENERAL_BRANCH_TYPICAL_FULL_MEMBERS
    if full_members < low:
        return [
            flag(
                "general_branch.below_typical_size",
                "info",
                "a general branch typically has 50-100 full members (needs approval below)",
                full_members,
                low,
            )
        ]
    if full_members > high:
        return [
            flag(
                "general_branch.above_typical_size",
                "info",
                "a general branch typically has 50-100 full members",
                full_members,
                high,
            )
        ]
    return []


def basic_committee_flags(full_members: int) -> list[HealthFlag]:
    """A basic-level committee typically has 100+ full members (below: info, approval)."""
    if full_members < COMMITTEE_TYPICAL_MIN_FULL_MEMBERS:
        return [
            flag(
                "committee.below_typical_size",
                "info",
                "a basic-level committee typically has 100+ full members (needs approval below)",
                full_members,
                COMMITTEE_TYPICAL_MIN_FULL_MEMBERS,
            )
        ]
    return []


def threshold_flags(
    org_type: OrgType,
    full_members: int,
    leader_roles: Sequence[str],
    unit_count: int | None,
    policy: Mapping[str, Any],
    committee_size: int | None = None,
) -> list[HealthFlag]:
    """The size thresholds of DOMAIN "Organisations", all counted on *full* members.

    Applicants, activists, candidates, probationary and suspended members are not
    counted. A branch (or joint branch) with fewer than `branch_min_full_members`
    (3) is too small, with more than `branch_max_members` (50) too large; from
    `branch_committee_from_full_members` (7) it needs a committee of 3-7, below it
    a secretary and optional deputy only. A general branch typically has 50-100,
    a committee or working committee 100+ (both: info flags). A joint branch
    covers at most `joint_branch_max_units` (5) units. `leader_roles` are the
    current leaders' seats (one person may hold two); `committee_size` the people.
    """
    flags: list[HealthFlag] = []
    if org_type in (OrgType.branch, OrgType.joint_branch):
        flags += branch_size_flags(full_members, policy)
        flags += branch_committee_flags(full_members, leader_roles, policy, committee_size)
    if org_type is OrgType.joint_branch:
        flags += joint_branch_flags(unit_count, policy)
    if org_type is OrgType.general_branch:
        flags += general_branch_flags(full_members)
    if org_type in COMMITTEE_TYPES:
        flags += basic_committee_flags(full_members)
    return flags


def leadership_flags(org_type: OrgType, leader_roles: Sequence[str]) -> list[HealthFlag]:
    """Every organisation but a party group has a current secretary (书记); a temporary
    branch cannot admit members, discipline, collect dues or hold elections."""
    flags = []
    if org_type is not OrgType.group and LeaderRole.secretary.value not in leader_roles:
        flags.append(flag("leaders.no_secretary", "warning", "no current secretary (书记)"))
    if org_type is OrgType.temporary_branch:
        flags.append(
            flag(
                "temporary_branch.limited_powers",
                "info",
                "a temporary branch does not admit members, discipline, collect dues or hold "
                "elections",
            )
        )
    return flags


async def _member_counts(session: AsyncSession, org: Organisation) -> tuple[int, int]:
    """(full members, members of any non-ended status): a branch or group counts its own
    members, any other organisation its whole subtree."""
    org_type = OrgType(org.type)
    direct = org_type in BRANCH_TYPES or org_type is OrgType.group
    member_filter = (
        (Member.group_id == org.id)
        if org_type is OrgType.group
        else (Member.org_id == org.id)
        if direct
        else under(Member.org_path, org.path)
    )
    counts = (
        await session.execute(
            select(
                func.count().filter(Member.status == MemberStatus.full),
                func.count().filter(Member.status.notin_([s.value for s in ENDED_STATUSES])),
            ).where(member_filter)
        )
    ).one()
    return int(counts[0]), int(counts[1])


async def _current_leaders(
    session: AsyncSession, org: Organisation, today: date
) -> tuple[list[str], int]:
    """(the current seats' roles, the number of people holding them)."""
    rows = await session.execute(
        select(OrganisationLeader.member_id, OrganisationLeader.role).where(
            OrganisationLeader.org_id == org.id,
            terms_overlap(OrganisationLeader.started_on, OrganisationLeader.ended_on, today, today),
        )
    )
    seats = rows.all()
    return [role for _, role in seats], len({member_id for member_id, _ in seats})


async def organisation_health(
    session: AsyncSession, org: Organisation, today: date
) -> OrganisationHealth:
    """Setup rules, thresholds and term flags (组织设置与换届提醒) as of `today`.

    Thresholds are counted on full members only (see `threshold_flags`); `members`
    reports every non-ended status for information. Terms: flagged within the
    warning window before the end and once expired (换届).
    """
    policy = await effective_policy(session, org)
    org_type = OrgType(org.type)
    full_members, members = await _member_counts(session, org)
    leaders, people = await _current_leaders(session, org, today)
    term_ends_on, terms = org_term_flags(org, policy, today)
    flags = [
        *threshold_flags(org_type, full_members, leaders, org.unit_count, policy, people),
        *leadership_flags(org_type, leaders),
        *terms,
        *await report_flags(session, org, today),
    ]
    return OrganisationHealth(
        org_id=org.id,
        as_of=today,
        full_members=full_members,
        members=members,
        committee_size=people,
        has_secretary=LeaderRole.secretary.value in leaders,
        term_ends_on=term_ends_on,
        flags=flags,
    )
