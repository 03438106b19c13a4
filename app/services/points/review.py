"""Points inform the democratic review: suggested grades, the excellent share (at most 1/3
of full members), confirmed grades.
"""

from __future__ import annotations

import uuid
from collections import defaultdict
from collections.abc import Callable
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from app.errors import Conflict, ErrorCode
from app.i18n import Text
from app.models.enums import Grade, MemberStatus
from app.models.member import Member
from app.models.organisation import Organisation
from app.models.points import ReviewGrade
from app.security.scope import Principal, not_found, under
from app.services.integration import audit
from app.services.points.schemes import require_points_admin


def suggested_grade(
    status: str, total: int, full_order: int, full_members: int, bands: list[dict[str, Any]]
) -> str | None:
    """Points inform the democratic review, never decide it: a suggestion to confirm.

    Probationary members are not graded; "excellent" goes to at most a third of the
    full members (the best placed who also reach the top band); below the lowest band,
    "basically qualified". `full_order` is the member's place (1 = best) among the
    `full_members` of their own branch: the third is counted per branch.
    """
    return review_grader(bands)(status, total, full_order, full_members)


def review_grader(bands: list[dict[str, Any]]) -> Callable[[str, int, int, int], str | None]:
    """`suggested_grade` under one scheme's `bands`, sorted once: for grading many members
    (a ranking's places), called as `grade(status, total, full_order, full_members)`."""
    ordered = sorted(bands, key=lambda b: b["min"], reverse=True)
    lowest = ordered[-1]["min"] if ordered else None
    top_band = ordered[0]["min"] if ordered else None

    def grade(status: str, total: int, full_order: int, full_members: int) -> str | None:
        if status != MemberStatus.full:
            return None
        if lowest is not None and total < lowest:
            return "basically_qualified"
        if excellent_share_allowed(full_order, full_members) and (
            top_band is None or total >= top_band
        ):
            return "excellent"
        return "qualified"

    return grade


def excellent_share_allowed(excellent: int, full_members: int) -> bool:
    """Excellent (优秀) at most 1/3 of a branch's full members: 3 of 9 yes, 4 of 9 no."""
    return excellent * 3 <= full_members


async def _check_excellent_share(
    session: AsyncSession,
    branch_id: uuid.UUID,
    year: int,
    graded_now: list[uuid.UUID],
    new_excellent: int,
) -> None:
    """Refuse a branch's grades when its excellent ones (kept from before, except those
    regraded now, plus `new_excellent`) pass a third of its full members."""
    # Serialise grading per branch: two submissions racing for the last excellent
    # would each see room for it.
    await session.execute(
        select(Organisation.id).where(Organisation.id == branch_id).with_for_update(key_share=True)
    )
    full_count = int(
        await session.scalar(
            select(func.count()).where(
                Member.org_id == branch_id, Member.status == MemberStatus.full
            )
        )
        or 0
    )
    existing_excellent = int(
        await session.scalar(
            select(func.count())
            .select_from(ReviewGrade)
            .join(Member, Member.id == ReviewGrade.member_id)
            .where(
                ReviewGrade.year == year,
                ReviewGrade.grade == Grade.excellent,
                Member.org_id == branch_id,
                ReviewGrade.member_id.notin_(graded_now),
            )
        )
        or 0
    )
    excellent = existing_excellent + new_excellent
    if not excellent_share_allowed(excellent, full_count):
        raise Conflict(
            ErrorCode.points_excellent_over_third,
            Text(
                zh=f"同一支部 {full_count} 名正式党员中评为优秀的有 {excellent} 名",
                en=f"{excellent} excellent of {full_count} full members in one branch",
            ),
        )


async def confirm_grades(
    session: AsyncSession,
    principal: Principal,
    org: Organisation,
    year: int,
    grades: list[tuple[uuid.UUID, str]],
) -> int:
    """Confirm democratic-review grades (民主评议结果): a person decides; points only suggest.

    At most a third of each branch's full members may be excellent, counted per
    branch (the members' own organisation) whichever organisation the grades are
    submitted through, and probationary members are not graded.
    """
    require_points_admin(principal)
    ids = [member_id for member_id, _ in grades]
    members = {
        m.id: m
        for m in (
            await session.scalars(
                select(Member).where(Member.id.in_(ids), under(Member.org_path, org.path))
            )
        ).all()
    }
    if len(members) != len(set(ids)):
        raise not_found(ErrorCode.member_not_found, "grades")
    if any(members[m].status != MemberStatus.full for m in ids):
        raise Conflict(
            ErrorCode.points_only_full_members_graded,
            Text(zh="预备党员不参加评定", en="probationary members are not graded"),
        )
    by_branch: dict[uuid.UUID, list[uuid.UUID]] = defaultdict(list)
    for member_id in ids:
        by_branch[members[member_id].org_id].append(member_id)
    new_grade = dict(grades)
    for branch_id in sorted(by_branch):
        excellent = sum(1 for m in by_branch[branch_id] if new_grade[m] == Grade.excellent)
        await _check_excellent_share(session, branch_id, year, ids, excellent)
    await _store_grades(session, principal, year, grades)
    audit.record(
        session,
        principal,
        "points.review_grades_confirmed",
        "organisation",
        org.id,
        org.path,
        after={"year": year, "grades": {str(m): g for m, g in grades}},
    )
    return len(grades)


async def _store_grades(
    session: AsyncSession, principal: Principal, year: int, grades: list[tuple[uuid.UUID, str]]
) -> None:
    """Write each member's grade for the year, replacing one confirmed before."""
    for member_id, grade in grades:
        stmt = insert(ReviewGrade).values(
            member_id=member_id, year=year, grade=grade, confirmed_by=principal.user_id
        )
        await session.execute(
            stmt.on_conflict_do_update(
                index_elements=["member_id", "year"],
                set_={
                    "grade": grade,
                    "confirmed_by": principal.user_id,
                    "confirmed_at": func.now(),
                },
            )
        )
