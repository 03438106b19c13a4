"""Where a member may be placed: a branch that accepts members, a party group of that
branch, a community (for residence).
"""

from __future__ import annotations

import uuid

from sqlalchemy.ext.asyncio import AsyncSession

from app.errors import Conflict, ErrorCode, Unprocessable
from app.i18n import Text
from app.models.enums import BRANCH_TYPES, OrgType
from app.models.organisation import Organisation
from app.security.scope import Principal, load_anywhere, load_visible


def check_branch(org: Organisation) -> None:
    """A member's organisation: a branch or joint branch."""
    if OrgType(org.type) not in BRANCH_TYPES or org.type == OrgType.temporary_branch:
        # A temporary branch's members keep their relationship at their home branch.
        raise Unprocessable.field("org_id", ErrorCode.member_org_not_branch)


def check_accepts_members(org: Organisation) -> None:
    """A new member's branch is not dissolved (its ended records stay where they were)."""
    if org.dissolved_on is not None:
        raise Conflict(ErrorCode.organisation_dissolved)


def check_group(
    branch: Organisation, group_id: uuid.UUID | None, group: Organisation | None
) -> None:
    """`group_id`, when given, names a party group of `branch` (`group`: that row, loaded)."""
    if group_id is None:
        return
    if group is None or group.type != OrgType.group or group.parent_id != branch.id:
        raise Unprocessable.field("group_id", ErrorCode.member_group_invalid)


async def load_and_check_group(
    session: AsyncSession, principal: Principal, branch: Organisation, group_id: uuid.UUID | None
) -> None:
    group = (
        await load_visible(session, principal, Organisation, group_id, field="group_id")
        if group_id is not None
        else None
    )
    check_group(branch, group_id, group)


COMMUNITY_UNIT_CATEGORIES = (3, 7)  # 农村 (villages), 街道社区 (streets and communities)


async def check_community(
    session: AsyncSession,
    org_id: uuid.UUID | None,
    field: str = "residence_community_id",
    reference: str = "member.residence_community_id",
    *,
    copies_path: bool = False,
) -> Organisation | None:
    """A community-level organisation: a village's or a community's, not a party group.

    Named anywhere in the tree (where a member lives or reports is not their branch's
    business to own); absent is 404 naming `field`."""
    if org_id is None:
        return None
    org = await load_anywhere(
        session, Organisation, org_id, field=field, reference=reference, copies_path=copies_path
    )
    if org.unit_category not in COMMUNITY_UNIT_CATEGORIES or org.type == OrgType.group:
        raise Unprocessable.field(
            field,
            ErrorCode.grid_org_not_community,
            Text(zh="须为村或社区党组织", en="a village or community organisation"),
        )
    return org
