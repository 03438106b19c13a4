"""Party statistics (党内统计) endpoints: the 增减 ledger and the annual tables."""

from __future__ import annotations

import base64
import uuid
from datetime import date
from typing import Annotated

from fastapi import Path, Query
from fastapi.responses import StreamingResponse

from app.api.common import (
    CursorQuery,
    LimitQuery,
    TotalQuery,
    doc,
    envelope,
    make_router,
    sort_query,
    whole_list_order,
)
from app.api.deps import AsOfDep, PrincipalDep, SessionDep
from app.api.routing import replica_read
from app.errors import ErrorCode, Unprocessable
from app.i18n import Text
from app.models.enums import LABELS, MemberChangeReason
from app.models.labels_en import LABELS_EN
from app.pagination import clamp_limit
from app.schemas.common import Day, Page
from app.schemas.statistics import (
    CheckRecord,
    MemberChangeRead,
    MemberChangesPage,
    MemberChangeTotal,
    StatisticsChecks,
    StatisticsTables,
)
from app.security.scope import refuse_member_role
from app.services import organisations
from app.services.integration.imports.exports import XLSX_MEDIA
from app.services.organisations import checks, stats, workbook
from app.services.organisations import member_changes as service

router = make_router("statistics")

ORDER = "on"


def _offset(cursor: str | None) -> int:
    """A page's cursor is the position of its first entry in the ledger's one order."""
    if not cursor:
        return 0
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)).decode()
        if not raw.startswith("at:") or not raw[3:].isdigit():
            raise ValueError(raw)
        return int(raw[3:])
    except (ValueError, UnicodeDecodeError) as exc:
        raise Unprocessable.field("cursor", ErrorCode.pagination_cursor_invalid) from exc


def _cursor(offset: int) -> str:
    return base64.urlsafe_b64encode(f"at:{offset}".encode()).decode().rstrip("=")


def _period(date_from: date | None, date_to: date | None, as_of: date) -> tuple[date, date]:
    """Default: the year of `as_of` up to `as_of`."""
    end = date_to or as_of
    start = date_from or end.replace(month=1, day=1)
    if start > end:
        raise Unprocessable.field(
            "from",
            ErrorCode.statistics_period_order,
            Text(zh=f"开始日期 {start} 晚于结束日期 {end}", en=f"{start} is after {end}"),
        )
    return start, end


@router.get(
    "/organisations/{org_id}/member-changes",
    name="organisations_member_changes",
    description=doc(service.member_changes) + "\n\nNot for the member role (403).",
)
@replica_read
async def organisations_member_changes(
    org_id: uuid.UUID,
    session: SessionDep,
    principal: PrincipalDep,
    as_of: AsOfDep,
    date_from: Annotated[
        Day | None, Query(alias="from", description="First day (included); default 1 January.")
    ] = None,
    date_to: Annotated[
        Day | None, Query(alias="to", description="Last day (included); default as_of.")
    ] = None,
    sort: str = sort_query(ORDER),
    limit: LimitQuery = None,
    cursor: CursorQuery = None,
    include_total: TotalQuery = False,
) -> MemberChangesPage:
    refuse_member_role(principal)
    whole_list_order(sort, ORDER)
    start, end = _period(date_from, date_to, as_of)
    offset, size = _offset(cursor), clamp_limit(limit)
    org = await organisations.get_visible(session, principal, org_id)
    ledger = await service.member_changes(session, org, start, end)
    page = await service.shown_counterparts(
        session, principal, ledger.entries[offset : offset + size]
    )
    more = offset + size < len(ledger.entries)
    reasons, reasons_en = LABELS[MemberChangeReason], LABELS_EN[MemberChangeReason]
    return MemberChangesPage(
        org_id=org.id,
        period_from=start,
        period_to=end,
        count_at_start=ledger.count_at_start,
        added=ledger.added,
        removed=ledger.removed,
        count_at_end=ledger.count_at_end,
        by_reason=[
            MemberChangeTotal(
                reason=t.reason,
                direction=t.direction,
                count=t.count,
                label_zh=reasons[t.reason],
                label_en=reasons_en[t.reason],
            )
            for t in ledger.by_reason
        ],
        items=[MemberChangeRead.model_validate(e, from_attributes=True) for e in page],
        next_cursor=_cursor(offset + size) if more else None,
        total=len(ledger.entries) if include_total else None,
    )


@router.get(
    "/organisations/{org_id}/statistics",
    name="organisations_statistics",
    description=doc(stats.statistics_tables) + "\n\nNot for the member role (403).",
)
@replica_read
async def organisations_statistics(
    org_id: uuid.UUID, session: SessionDep, principal: PrincipalDep, as_of: AsOfDep
) -> StatisticsTables:
    refuse_member_role(principal)
    org = await organisations.get_visible(session, principal, org_id)
    return await stats.statistics_tables(session, org, as_of)


@router.get(
    "/organisations/{org_id}/statistics/checks",
    name="organisations_statistics_checks",
    description=doc(checks.statistics_checks) + "\n\nNot for the member role (403).",
)
@replica_read
async def organisations_statistics_checks(
    org_id: uuid.UUID, session: SessionDep, principal: PrincipalDep, as_of: AsOfDep
) -> StatisticsChecks:
    refuse_member_role(principal)
    org = await organisations.get_visible(session, principal, org_id)
    return await checks.statistics_checks(session, org, as_of)


RecordCheckPath = Annotated[
    str,
    Path(
        description="The code of a record rule of the checks (not the table rule).",
        json_schema_extra={"enum": list(checks.RECORD_CHECKS)},
    ),
]


@router.get(
    "/organisations/{org_id}/statistics/checks/{check}/records",
    name="organisations_statistics_check_records",
    description=doc(checks.check_records) + "\n\nNot for the member role (403).",
)
@replica_read
async def organisations_statistics_check_records(
    org_id: uuid.UUID,
    check: RecordCheckPath,
    session: SessionDep,
    principal: PrincipalDep,
    as_of: AsOfDep,
    sort: str = sort_query("id"),
    limit: LimitQuery = None,
    cursor: CursorQuery = None,
    include_total: TotalQuery = False,
) -> Page[CheckRecord]:
    refuse_member_role(principal)
    whole_list_order(sort, "id")
    if check not in checks.RECORD_CHECKS:
        raise Unprocessable.field(
            "check",
            ErrorCode.statistics_check_unknown,
            Text(
                zh=f"未知的规则 {check!r}，可用：{', '.join(checks.RECORD_CHECKS)}",
                en=f"unknown rule {check!r}; use {list(checks.RECORD_CHECKS)}",
            ),
        )
    org = await organisations.get_visible(session, principal, org_id)
    page = await checks.check_records(
        session, org, as_of, check, limit=limit, cursor=cursor, include_total=include_total
    )
    return envelope(page, page.items)


@router.get(
    "/organisations/{org_id}/statistics.xlsx",
    name="organisations_statistics_xlsx",
    description=doc(workbook.statistics_workbook) + "\n\nNot for the member role (403).",
    response_class=StreamingResponse,
)
@replica_read
async def organisations_statistics_xlsx(
    org_id: uuid.UUID, session: SessionDep, principal: PrincipalDep, as_of: AsOfDep
) -> StreamingResponse:
    refuse_member_role(principal)
    org = await organisations.get_visible(session, principal, org_id)
    chunks = await workbook.statistics_workbook(session, org, as_of)
    name = f"statistics-{org.code}-{as_of.isoformat()}.xlsx"
    return StreamingResponse(
        chunks,
        media_type=XLSX_MEDIA,
        headers={"Content-Disposition": f'attachment; filename="{name}"'},
    )
