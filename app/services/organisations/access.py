"""Loading an organisation within the principal's scope, and who may write organisations."""

from __future__ import annotations

import uuid

from sqlalchemy.ext.asyncio import AsyncSession

from app.models.enums import OrgType, Role
from app.models.organisation import Organisation
from app.security.scope import Principal, load_visible, require_role

AUDITED_FIELDS = (
    "code",
    "name",
    "type",
    "parent_id",
    "path",
    "unit_category",
    "unit_credit_code",
    "unit_count",
    "contact_person",
    "division_code",
    "unit_type",
    "economic_type",
    "unit_size",
    "may_approve_probationary",
    "national_id",
    "founded_on",
    "term_started_on",
    "dissolved_on",
)


ORG_SORT = "tree"
ORG_SORTABLE = {
    # Tree order (parents before their children), the default.
    "tree": Organisation.path,
    "code": Organisation.code,
    "name": Organisation.name,
    "depth": Organisation.depth,
    "created_at": Organisation.created_at,
}


async def get_visible(
    session: AsyncSession,
    principal: Principal,
    org_id: uuid.UUID,
    *,
    field: str | None = None,
    lock: bool = False,
    copies_path: bool = False,
) -> Organisation:
    """Load an organisation the principal may see; 404 when missing or out of scope.

    `field` names the body or query field the id came from; `copies_path` for a caller
    that stores the organisation's path (see `load_visible`)."""
    return await load_visible(
        session, principal, Organisation, org_id, field=field, lock=lock, copies_path=copies_path
    )


async def within_path(
    session: AsyncSession, principal: Principal, within: uuid.UUID | None
) -> str | None:
    """The path of a `?within=` organisation the principal may see (404 otherwise)."""
    if within is None:
        return None
    return (await get_visible(session, principal, within, field="within")).path


def require_org_writer(principal: Principal, org_type: OrgType | None = None) -> None:
    if principal.role is Role.branch_secretary and org_type is OrgType.group:
        return  # a branch secretary keeps the party groups of their branch
    require_role(principal, Role.org_admin)
