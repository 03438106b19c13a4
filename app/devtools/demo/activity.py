"""The demo's activity: meetings, points, dues, transfers, mobile members, grids."""

from __future__ import annotations

from datetime import date, timedelta

from sqlalchemy.ext.asyncio import AsyncSession

from app.devtools.demo.builder import BranchPlan, Builder
from app.models.enums import MemberStatus
from app.models.member import Member
from app.models.organisation import Organisation
from app.security.scope import Principal
from app.services import grids, meetings, mobile, points, transfers
from app.services.lifecycle import add_months


async def _points_scheme(
    session: AsyncSession, principal: Principal, county: Organisation, year: int
) -> None:
    """The county's points scheme: grade bands and four rules (two scored by meetings)."""
    await points.upsert_scheme(
        session,
        principal,
        county.id,
        year,
        100,
        [
            {"min": 110, "label": "优秀"},
            {"min": 100, "label": "合格"},
            {"min": 90, "label": "基本合格"},
        ],
    )
    rules = [
        {"code": "ATTEND", "name": "参加组织生活", "category": "bonus", "points": 2,
         "cap_month": 6, "trigger": "meeting.present", "needs_approval": False},
        {"code": "ABSENT", "name": "无故缺席组织生活", "category": "deduction", "points": 2,
         "trigger": "meeting.absent", "needs_approval": False},
        {"code": "SERVICE", "name": "社区志愿服务（每小时）", "category": "bonus", "points": 1,
         "cap_year": 20, "trigger": "service.hours", "needs_approval": False},
        {"code": "VOLUNTEER", "name": "志愿服务申报", "category": "bonus", "points": 3,
         "cap_year": 15, "needs_approval": True},
    ]  # fmt: skip
    for rule in rules:
        await points.create_rule(session, principal, county.id, dict(rule))


async def _meetings(
    session: AsyncSession,
    principal: Principal,
    b: Builder,
    rosters: list[tuple[BranchPlan, list[Member]]],
    today: date,
) -> None:
    """A quarter of finalized meetings in the first branches, with random attendance."""
    # The last full quarter before today: theme days monthly, one general meeting, one lecture.
    quarter_start = date(today.year, 3 * ((today.month - 1) // 3) + 1, 1)
    start = add_months(quarter_start, -3)
    for index, (plan, roster) in enumerate(rosters[:8]):
        if len(roster) < 3:
            continue
        schedule = [("theme_day", start + timedelta(days=9 + 30 * k)) for k in range(3)]
        if index % 2 == 0:  # half the branches hold their lecture: compliance shows the rest
            schedule.append(("party_lecture", start + timedelta(days=40)))
        schedule.append(("general_meeting", start + timedelta(days=55)))
        for meeting_type, held_on in schedule:
            meeting = await meetings.plan_meeting(
                session,
                principal,
                plan.org.id,
                {"type": meeting_type, "held_on": held_on, "topic": "学习贯彻会议精神"},
                None,
            )
            rows = await meetings.attendees(session, meeting.id)
            entries = []
            for row in rows:
                roll = b.rng.random()
                if roll < 0.82:
                    entries.append({"member_id": row.member_id, "presence": "present"})
                elif roll < 0.94:
                    entries.append(
                        {"member_id": row.member_id, "presence": "excused", "reason": "外出"}
                    )
                else:
                    entries.append({"member_id": row.member_id, "presence": "absent"})
            await meetings.record_attendance(session, principal, meeting, entries)
            await meetings.finalize_meeting(session, principal, meeting, today)


async def _grid(
    session: AsyncSession,
    principal: Principal,
    b: Builder,
    rosters: list[tuple[BranchPlan, list[Member]]],
) -> None:
    """One grid of the first community, covered by its first branch."""
    community = b.named["community"]
    community_branch = next(p for p, _ in rosters if p.org.parent_id == community.id)
    leader = next(
        m for p, r in rosters if p is community_branch for m in r if m.status == MemberStatus.full
    )
    await grids.create_grid(
        session,
        principal,
        {
            "code": "DEMO-GRID-01", "name": "幸福社区第一网格", "kind": "urban",
            "org_id": community.id, "covering_org_id": community_branch.org.id,
            "households": 420, "population": 1150, "leader_id": leader.id,
            "boundary": "幸福路以东、和平街以北", "buildings": [{"name": "1栋", "households": 96}],
        },
    )  # fmt: skip


async def _mobile_and_transfer(
    session: AsyncSession,
    principal: Principal,
    b: Builder,
    rosters: list[tuple[BranchPlan, list[Member]]],
    member_user: Member | None,
    today: date,
) -> None:
    """A village member gone to work elsewhere (mobile), another transferring to a bureau."""
    village = next(r for p, r in rosters if p.org is b.named.get("village_branch"))
    movers = [m for m in village if m.status == MemberStatus.full and m is not member_user]
    if len(movers) >= 2:
        await mobile.register_outflow(
            session,
            principal,
            movers[0].id,
            {
                "destination_area": "440305", "reason": "外出务工", "expected_months": 12,
                "contact": "13900001111", "certificate_no": "DEMO-CERT-0001",
                "location_consent": True, "started_on": today - timedelta(days=200),
            },
            today,
        )  # fmt: skip
        bureau = next(p.org for p, _ in rosters if p.org.unit_category == 4)
        await transfers.create_transfer(session, principal, movers[1].id, bureau.id, "工作调动")


async def add_activity(
    session: AsyncSession,
    principal: Principal,
    county: Organisation,
    b: Builder,
    rosters: list[tuple[BranchPlan, list[Member]]],
    member_user: Member | None,
    today: date,
) -> None:
    """A points scheme, a quarter of meetings, a grid, a mobile member and a transfer,
    so every area of the API has something to show."""
    await _points_scheme(session, principal, county, today.year)
    await _meetings(session, principal, b, rosters, today)
    await _grid(session, principal, b, rosters)
    await _mobile_and_transfer(session, principal, b, rosters, member_user, today)
