"""The meetings and points indicators of the statistics tables, read from their owners:
meeting compliance (三会一课, `services/compliance.meeting_compliance`) and the points
grades (积分, `services/points/ranking.grade_counts_on`) of the members the tables
count (`membership.counted_on`). Nothing here recounts a meeting or a point."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import date

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from app.id_sets import among
from app.models.enums import LABELS, MeetingType
from app.models.labels_en import LABELS_EN
from app.models.organisation import Organisation
from app.schemas.statistics import MeetingIndicator, MeetingTables, PointsTables, StatRow
from app.services import compliance
from app.services.lifecycle.membership import MemberHistory, Where, counted_on
from app.services.points.ranking import grade_counts_on

UNGRADED = ("ungraded", "未达等次或未设等次", "Below every band or no bands")


async def meeting_tables(session: AsyncSession, org: Organisation, as_of: date) -> MeetingTables:
    """Meeting compliance of the subtree for `as_of`'s year as of that day: per meeting
    type the sub-periods required, held and whether any is overdue, and the rate."""
    report = await compliance.meeting_compliance(
        session, org.path, year=as_of.year, quarter=None, month=None, as_of=as_of
    )
    return MeetingTables(
        period=report.period,
        rate=report.rate,
        by_type=[
            MeetingIndicator(
                key=meeting_type,
                label_zh=LABELS[MeetingType].get(meeting_type, meeting_type),
                label_en=LABELS_EN[MeetingType].get(meeting_type, meeting_type),
                required=int(totals["required"] or 0),
                held=int(totals["held"] or 0),
                overdue=int(totals["overdue"] or 0),
                rate=totals["rate"],
            )
            for meeting_type, totals in sorted(report.totals.items())
        ],
    )


async def _paths_on(
    session: AsyncSession, changed: Sequence[MemberHistory], as_of: date
) -> dict[uuid.UUID, str]:
    """The organisation path each of `changed` stood at on `as_of`, for those it is not
    their record's organisation (moved since)."""
    stood = {h.member_id: (h.place_on(as_of).org_id, h.member.org_id) for h in changed}
    moved = {member_id: then for member_id, (then, now) in stood.items() if then != now}
    if not moved:
        return {}
    rows = await session.execute(
        select(Organisation.id, Organisation.path).where(
            among(Organisation.id, set(moved.values()))
        )
    )
    paths = {org_id: path for org_id, path in rows.all()}
    return {member_id: paths[org_id] for member_id, org_id in moved.items()}


async def points_tables(
    session: AsyncSession,
    org: Organisation,
    where: Where,
    as_of: date,
    changed: Sequence[MemberHistory],
    since: date | None = None,
) -> PointsTables:
    """The points year of `as_of` as of that day: the members the subtree counts on
    `as_of` (`counted_on` over `where`, the subtree as it stood that day, of the
    records unchanged since `since`; `changed`: the histories of those with a recorded
    change it counts), by the grade of the
    scheme in force at the organisation (积分等次) of their base (the scheme nearest to
    the organisation they stood at that day, by its path of today) plus their approved
    entries dated up to `as_of`, with those below every band."""
    moved = await _paths_on(session, changed, as_of)
    counted = counted_on(where, as_of, [h.member_id for h in changed], since)
    ranked, grades = await grade_counts_on(session, org, as_of, counted, moved)
    by_grade = [
        StatRow(key=grade, label_zh=grade, label_en=grade, count=n)
        for grade, n in sorted((g, n) for g, n in grades.items() if g is not None)
    ]
    if grades.get(None):
        by_grade.append(
            StatRow(key=UNGRADED[0], label_zh=UNGRADED[1], label_en=UNGRADED[2], count=grades[None])
        )
    return PointsTables(year=as_of.year, ranked=ranked, by_grade=by_grade)
