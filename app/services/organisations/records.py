"""Creating, updating, listing and dissolving organisations (dissolving keeps history)."""

from __future__ import annotations

import uuid
from datetime import date

from sqlalchemy import Select, func, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from app.errors import Conflict, ErrorCode, Forbidden, Unprocessable
from app.i18n import Text
from app.models.enums import ENDED_STATUSES, OrgType
from app.models.member import Member
from app.models.organisation import Organisation
from app.pagination import Page, like_escape, paginate, parse_sort
from app.schemas.organisations import OrganisationCreate, OrganisationUpdate
from app.security.scope import Principal, subtree_filter, under
from app.services.credit_codes import is_valid_credit_code
from app.services.integration import audit
from app.services.organisations.access import (
    AUDITED_FIELDS,
    ORG_SORT,
    ORG_SORTABLE,
    get_visible,
    require_org_writer,
)
from app.services.organisations.national import check_national_fields, ensure_national_id_free
from app.services.organisations.placements import record_placements
from app.services.organisations.tree import next_node_id, parent_for


async def _ensure_code_free(session: AsyncSession, code: str) -> None:
    if await session.scalar(select(Organisation.id).where(Organisation.code == code)):
        raise Conflict(
            ErrorCode.organisation_code_taken,
            Text(zh=f"代码 {code!r} 已被使用", en=f"code {code!r} is already used"),
        )


def check_credit_code(code: str | None) -> None:
    """A unit's unified social credit code, when given, passes its GB 32100 check character."""
    if code is not None and not is_valid_credit_code(code):
        raise Unprocessable.field("unit_credit_code", ErrorCode.organisation_credit_code_invalid)


async def create_organisation(
    session: AsyncSession, principal: Principal, data: OrganisationCreate
) -> Organisation:
    """Create an organisation under a parent in your subtree (建立党组织).

    The parent must accept the type: a party group only under a branch; branches
    under a committee, working committee or general branch; a general branch under
    a committee; committees under committees or as a root (system administrators only).
    """
    require_org_writer(principal, data.type)
    check_credit_code(data.unit_credit_code)
    values = data.model_dump(exclude={"type"})
    check_national_fields(values)
    parent = await parent_for(session, principal, data.parent_id, data.type)
    await _ensure_code_free(session, data.code)
    await ensure_national_id_free(session, data.national_id)
    node_id = await next_node_id(session)
    org = Organisation(
        **values,
        type=data.type.value,
        node_id=node_id,
        path=(parent.path if parent else "/") + f"{node_id}/",
        depth=(parent.depth + 1) if parent else 0,
    )
    session.add(org)
    await session.flush()
    await record_placements(session, org.path, None)
    audit.record(
        session,
        principal,
        "organisation.created",
        "organisation",
        org.id,
        org.path,
        after=audit.snapshot(org, AUDITED_FIELDS),
    )
    return org


async def update_organisation(
    session: AsyncSession, principal: Principal, org: Organisation, data: OrganisationUpdate
) -> Organisation:
    """Edit an organisation's descriptive fields; the code and type are stable."""
    require_org_writer(principal, OrgType(org.type))
    if not principal.sees_everything and org.path == principal.org_path:
        raise Forbidden(
            ErrorCode.auth_forbidden,
            Text(zh="本级组织由上级维护", en="your own organisation is kept by the level above"),
        )
    check_credit_code(data.unit_credit_code)
    changes = data.model_dump(exclude_unset=True)
    if "may_approve_probationary" in changes and changes["may_approve_probationary"] is None:
        changes["may_approve_probationary"] = False
    check_national_fields(changes)
    if "national_id" in changes:
        await ensure_national_id_free(session, changes["national_id"], exclude=org.id)
    before = audit.snapshot(org, AUDITED_FIELDS)
    for field, value in changes.items():
        setattr(org, field, value)
    await session.flush()
    audit.record(
        session,
        principal,
        "organisation.updated",
        "organisation",
        org.id,
        org.path,
        before=before,
        after=audit.snapshot(org, AUDITED_FIELDS),
    )
    return org


async def list_organisations(
    session: AsyncSession,
    principal: Principal,
    *,
    parent_id: uuid.UUID | None,
    within: uuid.UUID | None,
    org_type: OrgType | None,
    q: str | None,
    include_dissolved: bool,
    sort: str | None,
    limit: int | None,
    cursor: str | None,
    include_total: bool,
) -> Page[Organisation]:
    stmt: Select[Organisation] = select(Organisation).where(
        subtree_filter(principal, Organisation.path)
    )
    if within is not None:
        root = await get_visible(session, principal, within, field="within")
        stmt = stmt.where(under(Organisation.path, root.path))
    if parent_id is not None:
        stmt = stmt.where(Organisation.parent_id == parent_id)
    if org_type is not None:
        stmt = stmt.where(Organisation.type == org_type.value)
    if q:
        pattern = "%" + like_escape(q) + "%"
        stmt = stmt.where(or_(Organisation.name.ilike(pattern), Organisation.code.ilike(pattern)))
    if not include_dissolved:
        stmt = stmt.where(Organisation.dissolved_on.is_(None))
    keys = parse_sort(sort, ORG_SORTABLE, Organisation.id, default=ORG_SORT)
    return await paginate(
        session, stmt, keys, limit=limit, cursor=cursor, include_total=include_total
    )


async def dissolve_organisation(
    session: AsyncSession, principal: Principal, org: Organisation, today: date
) -> None:
    """Dissolve (撤销) an organisation: kept for history, refused while members or
    sub-organisations remain."""
    require_org_writer(principal, OrgType(org.type))
    if not principal.sees_everything and org.path == principal.org_path:
        raise Forbidden(
            ErrorCode.auth_forbidden,
            Text(
                zh="本级组织由上级撤销", en="your own organisation is dissolved by the level above"
            ),
        )
    if org.dissolved_on is not None:
        raise Conflict(ErrorCode.organisation_dissolved)
    members = await session.scalar(
        select(func.count())
        .select_from(Member)
        .where(
            under(Member.org_path, org.path),
            Member.status.notin_([s.value for s in ENDED_STATUSES]),
        )
    )
    if members:
        raise Conflict(
            ErrorCode.organisation_has_members,
            Text(zh=f"仍有 {members} 名在册党员", en=f"{members} current member(s) remain"),
        )
    children = await session.scalar(
        select(func.count())
        .select_from(Organisation)
        .where(Organisation.parent_id == org.id, Organisation.dissolved_on.is_(None))
    )
    if children:
        raise Conflict(
            ErrorCode.organisation_has_children,
            Text(zh=f"仍有 {children} 个下级组织", en=f"{children} sub-organisation(s) remain"),
        )
    before = audit.snapshot(org, AUDITED_FIELDS)
    org.dissolved_on = today
    await session.flush()
    audit.record(
        session,
        principal,
        "organisation.dissolved",
        "organisation",
        org.id,
        org.path,
        before=before,
        after=audit.snapshot(org, AUDITED_FIELDS),
    )
