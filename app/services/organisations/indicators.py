"""The meetings and points indicators of the statistics tables, read from their owners:
meeting compliance (三会一课, `services/compliance.meeting_compliance`) and the points
ranking's grades (积分, `services/points/ranking.grade_counts`). Nothing here
recounts a meeting or a point."""

from __future__ import annotations

from datetime import date

from sqlalchemy.ext.asyncio import AsyncSession

from app.models.enums import LABELS, MeetingType
from app.models.labels_en import LABELS_EN
from app.models.organisation import Organisation
from app.schemas.statistics import MeetingIndicator, MeetingTables, PointsTables, StatRow
from app.services import compliance
from app.services.points.ranking import grade_counts

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


async def points_tables(session: AsyncSession, org: Organisation, as_of: date) -> PointsTables:
    """The points year of `as_of`: the members the ranking ranks, by the grade of the
    scheme in force at the organisation (积分等次), with those below every band."""
    ranked, grades = await grade_counts(session, org, as_of.year)
    by_grade = [
        StatRow(key=grade, label_zh=grade, label_en=grade, count=n)
        for grade, n in sorted((g, n) for g, n in grades.items() if g is not None)
    ]
    if grades.get(None):
        by_grade.append(
            StatRow(key=UNGRADED[0], label_zh=UNGRADED[1], label_en=UNGRADED[2], count=grades[None])
        )
    return PointsTables(year=as_of.year, ranked=ranked, by_grade=by_grade)
