"""Building the demo's organisations, members and leaders from seeded random plans."""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from datetime import date, timedelta

from sqlalchemy.ext.asyncio import AsyncSession

from app.models.enums import LeaderRole, MemberCategory, MemberStatus, OrgType
from app.models.member import Member
from app.models.organisation import Organisation
from app.schemas.members import MemberCreate
from app.schemas.organisations import LeaderCreate, OrganisationCreate
from app.security.scope import Principal
from app.services import organisations as org_service
from app.services.id_numbers import make_id_number
from app.services.members import create_member

SURNAMES = (
    "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁"
    "谢宋唐许韩冯邓曹彭曾肖田董袁潘蒋蔡余杜叶程苏魏吕丁任沈"
)


GIVEN = "伟芳娜敏静丽强磊军洋勇艳杰涛明超秀霞平刚桂英华建国志红梅兰玉海云飞鹏辉斌宇浩凯晨欣怡佳琳"
EDUCATION_LEVELS = ["研究生", "大学本科", "大专", "中专", "高中", "初中", "小学"]


@dataclass
class BranchPlan:
    org: Organisation
    size: int
    categories: list[MemberCategory]
    area_code: str
    groups: list[Organisation] = field(default_factory=list)


class Builder:
    def __init__(self, session: AsyncSession, principal: Principal, today: date) -> None:
        self.session = session
        self.principal = principal
        self.today = today
        self.rng = random.Random(2026)
        self.sequence = 0
        self.branches: list[BranchPlan] = []
        self.named: dict[str, Organisation] = {}

    async def org(
        self,
        parent: Organisation | None,
        code: str,
        name: str,
        org_type: OrgType,
        *,
        unit_category: int | None = None,
        unit_count: int | None = None,
        term_started_on: date | None = None,
    ) -> Organisation:
        data = OrganisationCreate(
            code=code,
            name=name,
            type=org_type,
            parent_id=parent.id if parent else None,
            unit_category=unit_category,
            unit_count=unit_count,
            founded_on=date(1998, 7, 1),
            term_started_on=term_started_on or self._term_start(),
        )
        return await org_service.create_organisation(self.session, self.principal, data)

    def _term_start(self) -> date:
        # Mostly mid-term; a few terms end within 90 days, a few are overdue (换届 flags).
        roll = self.rng.random()
        if roll < 0.08:
            return self._years_ago(3) + timedelta(days=self.rng.randint(10, 80))
        if roll < 0.14:
            return self._years_ago(5) - timedelta(days=self.rng.randint(30, 300))
        return self._years_ago(1) - timedelta(days=self.rng.randint(0, 300))

    def _years_ago(self, years: int, today: date | None = None) -> date:
        day = today or self.today
        try:
            return day.replace(year=day.year - years)
        except ValueError:
            return day.replace(year=day.year - years, day=28)

    def name(self) -> str:
        given = "".join(self.rng.choice(GIVEN) for _ in range(self.rng.choice((1, 2, 2))))
        return self.rng.choice(SURNAMES) + given

    def branch(
        self,
        org: Organisation,
        size: int,
        categories: list[MemberCategory],
        area_code: str,
    ) -> BranchPlan:
        plan = BranchPlan(org, size, categories, area_code)
        self.branches.append(plan)
        return plan

    def _status(self) -> MemberStatus:
        roll = self.rng.random()
        for status, threshold in (
            (MemberStatus.full, 0.78),
            (MemberStatus.probationary, 0.84),
            (MemberStatus.candidate, 0.87),
            (MemberStatus.activist, 0.91),
            (MemberStatus.applicant, 0.94),
            (MemberStatus.suspended, 0.96),
            (MemberStatus.left, 0.98),
        ):
            if roll < threshold:
                return status
        return MemberStatus.deceased

    def _dates(self, status: MemberStatus, birth: date) -> dict[str, date | None]:
        """Milestones matching the status: applied, activist, candidate, joined, full."""
        # Applicants are 18 or older; everyone here is 22+, so every path fits before today.
        earliest = max(self._years_ago(-18, birth) + timedelta(days=30), date(1970, 1, 1))
        if status in (MemberStatus.applicant,):
            applied = self.today - timedelta(days=self.rng.randint(10, 300))
            return {"applied_on": max(applied, earliest)}
        if status is MemberStatus.activist:
            applied = max(self.today - timedelta(days=self.rng.randint(200, 700)), earliest)
            return {
                "applied_on": applied,
                "activist_on": min(applied + timedelta(days=90), self.today),
            }
        if status is MemberStatus.candidate:
            applied = max(self.today - timedelta(days=self.rng.randint(600, 1100)), earliest)
            activist = applied + timedelta(days=60)
            candidate = min(activist + timedelta(days=370), self.today)
            return {"applied_on": applied, "activist_on": activist, "candidate_on": candidate}
        if status is MemberStatus.probationary:
            joined = self.today - timedelta(days=self.rng.randint(20, 420))
            candidate = joined - timedelta(days=120)
            activist = candidate - timedelta(days=380)
            applied = activist - timedelta(days=60)
            if applied < earliest:
                applied, activist, candidate, joined = (
                    earliest,
                    earliest + timedelta(days=60),
                    earliest + timedelta(days=440),
                    min(earliest + timedelta(days=560), self.today),
                )
            return {
                "applied_on": applied,
                "activist_on": activist,
                "candidate_on": candidate,
                "joined_on": joined,
            }
        # full, suspended, left, deceased: became full members at some point.
        span = max((self.today - earliest).days - 800, 1)
        applied = earliest + timedelta(days=self.rng.randint(0, span))
        activist = applied + timedelta(days=60)
        candidate = activist + timedelta(days=370)
        joined = candidate + timedelta(days=120)
        full = min(joined + timedelta(days=366), self.today)
        return {
            "applied_on": applied,
            "activist_on": activist,
            "candidate_on": candidate,
            "joined_on": joined,
            "full_on": full,
        }

    def _birth(self, category: MemberCategory) -> date:
        low, high = {
            MemberCategory.retired: (60, 88),
            MemberCategory.student: (22, 26),
            MemberCategory.farmer: (25, 75),
        }.get(category, (23, 59))
        age_days = self.rng.randint(low * 365, high * 365)
        return self.today - timedelta(days=age_days)

    async def members(self, plan: BranchPlan) -> list[Member]:
        created: list[Member] = []
        for _ in range(plan.size):
            category = self.rng.choice(plan.categories)
            status = self._status()
            if category is MemberCategory.student and status is MemberStatus.full:
                status = MemberStatus.probationary
            birth = self._birth(category)
            self.sequence += 1
            number = make_id_number(plan.area_code, birth, self.sequence % 1000)
            base = None
            if category is MemberCategory.employed:
                base = self.rng.choice((280000, 350000, 480000, 620000, 900000, 1250000))
            elif category is MemberCategory.retired:
                base = self.rng.choice((320000, 450000, 520000, 680000))
            data = MemberCreate(
                name=self.name(),
                id_number=number,
                org_id=plan.org.id,
                status=status,
                category=category,
                ethnicity="汉族" if self.rng.random() < 0.93 else self.rng.choice(("回族", "畲族")),
                education=self.rng.choice(EDUCATION_LEVELS),
                phone=f"1{self.rng.choice('3578')}{self.rng.randint(0, 999999999):09d}"
                if self.rng.random() < 0.9
                else None,
                group_id=self.rng.choice(plan.groups).id if plan.groups else None,
                work_unit=plan.org.name.removesuffix("党支部") or None,
                dues_base_fen=base,
                **self._dates(status, birth),
            )
            created.append(await create_member(self.session, self.principal, data, self.today))
        return created

    async def leaders(self, plan: BranchPlan, members: list[Member]) -> None:
        full = [m for m in members if m.status == MemberStatus.full]
        if not full or self.rng.random() < 0.1:
            return  # some branches have no secretary: `health` flags them
        roles = [LeaderRole.secretary]
        if len(full) >= 7:
            roles += [
                LeaderRole.organisation_member,
                LeaderRole.propaganda_member,
                LeaderRole.discipline_member,
            ]
        elif len(full) >= 4:
            roles.append(LeaderRole.deputy_secretary)
        started = plan.org.term_started_on or self.today
        for role, member in zip(roles, full, strict=False):
            await org_service.add_leader(
                self.session,
                self.principal,
                plan.org,
                LeaderCreate(member_id=member.id, role=role, started_on=started),
                self.today,
            )
