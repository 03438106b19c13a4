"""Points (积分) endpoints."""

from __future__ import annotations

import uuid
from operator import attrgetter
from typing import Annotated

from fastapi import Query, Response, status

from app.api.common import (
    API_PREFIX,
    CursorQuery,
    IfMatch,
    LimitQuery,
    TotalQuery,
    doc,
    envelope,
    json_response,
    make_router,
    sort_query,
    whole_list_order,
    whole_page,
)
from app.api.deps import (
    PrincipalDep,
    SessionDep,
    TodayDep,
    VisibleMember,
    VisibleOrganisation,
    check_if_match,
    set_etag,
)
from app.api.routing import principal_checked_by_read, replica_read
from app.errors import ErrorCode, NotFound
from app.models.enums import EntryState
from app.schemas.common import Page, Year
from app.schemas.points import (
    BalanceRead,
    EntryCreate,
    EntryDecision,
    EntryRead,
    GradesConfirm,
    GradesConfirmed,
    Ranking,
    RuleCreate,
    RuleRead,
    RuleUpdate,
    SchemeCreate,
    SchemeRead,
)
from app.services import organisations
from app.services import points as service

router = make_router("points")


@router.post(
    "/point-schemes",
    name="points_schemes_set",
    status_code=status.HTTP_201_CREATED,
    description=doc(service.upsert_scheme),
)
async def points_schemes_set(
    body: SchemeCreate, response: Response, session: SessionDep, principal: PrincipalDep
) -> SchemeRead:
    scheme = await service.upsert_scheme(
        session,
        principal,
        body.org_id,
        body.year,
        body.base,
        [b.model_dump() for b in body.grade_bands],
    )
    response.headers["Location"] = (
        f"{API_PREFIX}/organisations/{body.org_id}/point-scheme?year={body.year}"
    )
    return SchemeRead.model_validate(scheme, from_attributes=True)


@router.get("/organisations/{org_id}/point-scheme", name="points_scheme_get")
async def points_scheme_get(
    org: VisibleOrganisation,
    session: SessionDep,
    principal: PrincipalDep,
    today: TodayDep,
    year: Year | None = None,
) -> SchemeRead:
    """The scheme in force for the organisation: its own or the nearest ancestor's."""
    scheme = await service.scheme_for(session, org.path, year or today.year)
    if scheme is None:
        raise NotFound(ErrorCode.points_scheme_not_found)
    return SchemeRead.model_validate(scheme, from_attributes=True)


@router.post(
    "/point-rules",
    name="points_rules_create",
    status_code=status.HTTP_201_CREATED,
    description=doc(service.create_rule),
)
async def points_rules_create(
    body: RuleCreate, response: Response, session: SessionDep, principal: PrincipalDep
) -> RuleRead:
    rule = await service.create_rule(
        session, principal, body.org_id, body.model_dump(exclude={"org_id"})
    )
    response.headers["Location"] = f"{API_PREFIX}/point-rules/{rule.id}"
    set_etag(response, rule.version)
    return RuleRead.model_validate(rule, from_attributes=True)


@router.get("/point-rules", name="points_rules_list", description=doc(service.list_rules))
async def points_rules_list(
    org_id: uuid.UUID,
    session: SessionDep,
    principal: PrincipalDep,
    include_inherited: bool = True,
    sort: str = sort_query("scheme"),
    include_total: TotalQuery = False,
) -> Page[RuleRead]:
    whole_list_order(sort, "scheme")
    org = await organisations.get_visible(session, principal, org_id, field="org_id")
    rules = await service.list_rules(session, principal, org, include_inherited=include_inherited)
    return whole_page(
        [RuleRead.model_validate(r, from_attributes=True) for r in rules], include_total
    )


@router.get("/point-rules/{rule_id}", name="points_rules_get")
async def points_rules_get(
    rule_id: uuid.UUID, response: Response, session: SessionDep, principal: PrincipalDep
) -> RuleRead:
    """One rule item that applies in, or is defined inside, your subtree."""
    rule = await service.get_rule(session, principal, rule_id)
    set_etag(response, rule.version)
    return RuleRead.model_validate(rule, from_attributes=True)


@router.patch(
    "/point-rules/{rule_id}", name="points_rules_update", description=doc(service.update_rule)
)
async def points_rules_update(
    rule_id: uuid.UUID,
    body: RuleUpdate,
    response: Response,
    session: SessionDep,
    principal: PrincipalDep,
    if_match: IfMatch = None,
) -> RuleRead:
    rule = await service.get_rule(session, principal, rule_id)
    await organisations.get_visible(session, principal, rule.org_id)  # only your own subtree edits
    check_if_match(if_match, rule.version)
    rule = await service.update_rule(session, principal, rule, body.model_dump(exclude_unset=True))
    set_etag(response, rule.version)
    return RuleRead.model_validate(rule, from_attributes=True)


# The answer's fields (`EntryRead`), read from the written line in one C call.
_ENTRY_READ = tuple(EntryRead.model_fields)
_entry_read_values = attrgetter(*_ENTRY_READ)


@router.post(
    "/point-entries",
    name="points_entries_create",
    status_code=status.HTTP_201_CREATED,
    responses={
        200: {
            "model": EntryRead,
            "description": "The source key had already scored: the existing entry.",
        }
    },
    description=doc(service.create_entry),
    response_model=EntryRead,
)
@principal_checked_by_read
async def points_entries_create(
    body: EntryCreate, session: SessionDep, principal: PrincipalDep
) -> Response:
    entry, created = await service.create_entry(
        session,
        principal,
        service.EntryRequest(
            body.member_id,
            body.rule_id,
            body.occurred_on,
            body.source_key,
            body.note,
            body.evidence,
        ),
    )
    return json_response(
        dict(zip(_ENTRY_READ, _entry_read_values(entry), strict=True)),
        status.HTTP_201_CREATED if created else status.HTTP_200_OK,
        {"Location": f"{API_PREFIX}/point-entries/{entry.id}"},
    )


@router.get("/point-entries", name="points_entries_list", description=doc(service.list_entries))
async def points_entries_list(
    session: SessionDep,
    principal: PrincipalDep,
    within: uuid.UUID | None = None,
    member_id: uuid.UUID | None = None,
    state: EntryState | None = None,
    year: Year | None = None,
    sort: str = sort_query(service.ENTRY_SORT, *service.ENTRY_SORTABLE),
    limit: LimitQuery = None,
    cursor: CursorQuery = None,
    include_total: TotalQuery = False,
) -> Page[EntryRead]:
    within_path = await organisations.within_path(session, principal, within)
    page = await service.list_entries(
        session,
        principal,
        within_path=within_path,
        member_id=member_id,
        state=state,
        year=year,
        limit=limit,
        cursor=cursor,
        sort=sort,
        include_total=include_total,
    )
    return envelope(page, [service.entry_read(e) for e in page.items])


@router.get("/point-entries/{entry_id}", name="points_entries_get")
async def points_entries_get(
    entry_id: uuid.UUID, session: SessionDep, principal: PrincipalDep
) -> EntryRead:
    """One ledger line in your subtree (a member: their own)."""
    return service.entry_read(await service.get_entry(session, principal, entry_id))


@router.post(
    "/point-entries/{entry_id}/approve",
    name="points_entries_approve",
    description=doc(service.approve_entry),
)
async def points_entries_approve(
    entry_id: uuid.UUID, session: SessionDep, principal: PrincipalDep
) -> EntryRead:
    entry = await service.get_entry(session, principal, entry_id)
    return service.entry_read(await service.approve_entry(session, principal, entry))


@router.post(
    "/point-entries/{entry_id}/reject",
    name="points_entries_reject",
    description=doc(service.reject_entry),
)
async def points_entries_reject(
    entry_id: uuid.UUID, body: EntryDecision, session: SessionDep, principal: PrincipalDep
) -> EntryRead:
    entry = await service.get_entry(session, principal, entry_id)
    return service.entry_read(await service.reject_entry(session, principal, entry, body.reason))


@router.post(
    "/point-entries/{entry_id}/reverse",
    name="points_entries_reverse",
    status_code=status.HTTP_201_CREATED,
    description=doc(service.reverse_entry),
)
async def points_entries_reverse(
    entry_id: uuid.UUID,
    body: EntryDecision,
    response: Response,
    session: SessionDep,
    principal: PrincipalDep,
) -> EntryRead:
    entry = await service.get_entry(session, principal, entry_id)
    reversal = await service.reverse_entry(session, principal, entry, body.reason)
    response.headers["Location"] = f"{API_PREFIX}/point-entries/{reversal.id}"
    return service.entry_read(reversal)


@router.get("/members/{member_id}/points", name="points_balance", description=doc(service.balance))
async def points_balance(
    member: VisibleMember,
    session: SessionDep,
    principal: PrincipalDep,
    today: TodayDep,
    year: Year | None = None,
) -> BalanceRead:
    return await service.balance_read(session, member, year or today.year)


@router.get(
    "/organisations/{org_id}/points/ranking",
    name="points_ranking",
    response_model=Ranking,
    description=doc(service.ranking)
    + "\n\nA member user gets its own place only (`me`, and itself among `items`).",
)
@replica_read
@principal_checked_by_read
async def points_ranking(
    org_id: uuid.UUID,
    session: SessionDep,
    principal: PrincipalDep,
    today: TodayDep,
    year: Year | None = None,
    limit: Annotated[int, Query(ge=1, le=500)] = 100,
    sort: str = sort_query("rank"),
) -> Response:
    whole_list_order(sort, "rank")
    org = await organisations.get_visible_node(session, principal, org_id)
    year = year or today.year
    items, mine = await service.visible_ranking(session, principal, org.path, year, limit)
    return json_response({"year": year, "items": items, "me": mine, "next_cursor": None})


@router.post(
    "/organisations/{org_id}/points/review-grades",
    name="points_review_grades",
    description=doc(service.confirm_grades),
)
async def points_review_grades(
    org: VisibleOrganisation, body: GradesConfirm, session: SessionDep, principal: PrincipalDep
) -> GradesConfirmed:
    count = await service.confirm_grades(
        session, principal, org, body.year, [(g.member_id, g.grade) for g in body.grades]
    )
    return GradesConfirmed(year=body.year, confirmed=count)
