"""Demo data (演示数据): a realistic county, built through the same services as the API.

青山县委 -> township committees, a street working committee and the county organs
working committee -> villages, communities, units -> branches and party groups,
about 1,500 members in every status and category with valid synthetic ID
numbers, leaders with terms (some ending soon, some expired) and one login per
role. Loading is idempotent: a second run finds the county and creates nothing.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from datetime import date, timedelta

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from app import clock
from app.models.enums import LeaderRole, MemberCategory, MemberStatus, OrgType, Role
from app.models.member import Member
from app.models.organisation import Organisation
from app.models.user import User
from app.schemas.members import MemberCreate
from app.schemas.organisations import LeaderCreate, OrganisationCreate
from app.schemas.users import UserCreate
from app.security.passwords import hash_password
from app.security.scope import Principal, under
from app.services import grids, meetings, mobile, points, transfers
from app.services import organisations as org_service
from app.services.id_numbers import make_id_number
from app.services.lifecycle import add_months
from app.services.members import create_member
from app.services.users import create_user

# Demo only: printed by `dangjian demo` and listed in README.
DEMO_PASSWORD = "Dangjian-demo-2026"
COUNTY_CODE = "DEMO-COUNTY"

SURNAMES = (
    "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁"
    "谢宋唐许韩冯邓曹彭曾肖田董袁潘蒋蔡余杜叶程苏魏吕丁任沈"
)
GIVEN = "伟芳娜敏静丽强磊军洋勇艳杰涛明超秀霞平刚桂英华建国志红梅兰玉海云飞鹏辉斌宇浩凯晨欣怡佳琳"
EDUCATION_LEVELS = ["研究生", "大学本科", "大专", "中专", "高中", "初中", "小学"]
LOGINS: list[tuple[str, Role, str]] = [
    ("admin", Role.system_admin, "county"),
    ("county_admin", Role.org_admin, "county"),
    ("township_admin", Role.org_admin, "township"),
    ("street_admin", Role.org_admin, "street"),
    ("branch_secretary", Role.branch_secretary, "village_branch"),
    ("member_user", Role.member, "village_branch"),
    ("auditor", Role.auditor, "county"),
]


@dataclass
class DemoSummary:
    created: bool
    organisations: int
    members: int
    logins: list[tuple[str, str, str]] = field(default_factory=list)


@dataclass
class _BranchPlan:
    org: Organisation
    size: int
    categories: list[MemberCategory]
    area_code: str
    groups: list[Organisation] = field(default_factory=list)


class _Builder:
    def __init__(self, session: AsyncSession, principal: Principal, today: date) -> None:
        self.session = session
        self.principal = principal
        self.today = today
        self.rng = random.Random(2026)
        self.sequence = 0
        self.branches: list[_BranchPlan] = []
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
    ) -> _BranchPlan:
        plan = _BranchPlan(org, size, categories, area_code)
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

    async def members(self, plan: _BranchPlan) -> list[Member]:
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

    async def leaders(self, plan: _BranchPlan, members: list[Member]) -> None:
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


async def _counts(session: AsyncSession, root: Organisation) -> tuple[int, int]:
    orgs = await session.scalar(select(func.count()).where(under(Organisation.path, root.path)))
    members = await session.scalar(select(func.count()).where(under(Member.org_path, root.path)))
    return int(orgs or 0), int(members or 0)


async def _login_list(session: AsyncSession) -> list[tuple[str, str, str]]:
    rows = await session.execute(
        select(User.username, User.role, Organisation.name)
        .join(Organisation, Organisation.id == User.org_id)
        .where(User.username.in_([name for name, _, _ in LOGINS]))
    )
    found = {username: (role, org) for username, role, org in rows.all()}
    return [(u, *found[u]) for u, _, _ in LOGINS if u in found]


async def load_demo(session: AsyncSession, *, today: date | None = None) -> DemoSummary:
    """Load the demo county once; later calls report what is there and create nothing."""
    today = today or clock.today()
    existing = await session.scalar(select(Organisation).where(Organisation.code == COUNTY_CODE))
    if existing is not None:
        orgs, members = await _counts(session, existing)
        return DemoSummary(False, orgs, members, await _login_list(session))

    # The county root first, then its system administrator, so every later
    # audit event names a real actor.
    county = await org_service.insert_root(session, COUNTY_CODE, "青山县委")
    county.unit_category = 4
    county.founded_on = date(1949, 10, 1)
    county.term_started_on = date(today.year - 2, 6, 1)
    admin = User(
        username="admin",
        password_hash=hash_password(DEMO_PASSWORD),
        role=Role.system_admin.value,
        org_id=county.id,
        active=True,
    )
    session.add(admin)
    await session.flush()
    principal = Principal(admin.id, admin.username, Role.system_admin, county.id, county.path, None)
    b = _Builder(session, principal, today)

    farmers = [MemberCategory.farmer] * 6 + [MemberCategory.retired, MemberCategory.self_employed]
    residents = [
        MemberCategory.retired,
        MemberCategory.retired,
        MemberCategory.employed,
        MemberCategory.self_employed,
        MemberCategory.unemployed,
        MemberCategory.other,
    ]
    staff = [MemberCategory.employed] * 8 + [MemberCategory.retired]

    townships = [
        ("T01", "青山镇", "330121"),
        ("T02", "溪口乡", "330122"),
        ("T03", "石门镇", "330123"),
    ]
    first_village_branch: Organisation | None = None
    for index, (code, name, area) in enumerate(townships):
        town = await b.org(
            county, f"{COUNTY_CODE}-{code}", f"{name}党委", OrgType.committee, unit_category=3
        )
        b.named.setdefault("township", town)
        for v in range(1, 6):
            village_code = f"{COUNTY_CODE}-{code}-V{v:02d}"
            village_name = f"{name}{'东西南北中'[v - 1]}村"
            if v == 5 and index == 0:
                # A large village: a general branch with three branches below it.
                general = await b.org(
                    town,
                    village_code,
                    f"{village_name}党总支",
                    OrgType.general_branch,
                    unit_category=3,
                )
                for n in range(1, 4):
                    sub = await b.org(
                        general,
                        f"{village_code}-B{n}",
                        f"{village_name}第{n}党支部",
                        OrgType.branch,
                        unit_category=3,
                    )
                    b.branch(sub, 22, farmers, area)
                continue
            branch = await b.org(
                town, village_code, f"{village_name}党支部", OrgType.branch, unit_category=3
            )
            size = (2, 9, 30, 55, 18)[v - 1] if index == 0 else b.rng.randint(8, 40)
            plan = b.branch(branch, size, farmers, area)
            if size >= 18:
                for g in range(1, 3):
                    plan.groups.append(
                        await b.org(
                            branch,
                            f"{village_code}-G{g}",
                            f"{village_name}第{g}党小组",
                            OrgType.group,
                        )
                    )
            if first_village_branch is None and size >= 9:
                first_village_branch = branch
                b.named["village_branch"] = branch

    street = await b.org(
        county, f"{COUNTY_CODE}-S01", "城关街道党工委", OrgType.working_committee, unit_category=7
    )
    b.named["street"] = street
    for c, community in enumerate(("幸福社区", "和平社区", "光明社区", "阳光社区"), start=1):
        code = f"{COUNTY_CODE}-S01-C{c:02d}"
        if c == 1:
            committee = await b.org(
                street, code, f"{community}党委", OrgType.committee, unit_category=7
            )
            b.named["community"] = committee
            for n in range(1, 4):
                sub = await b.org(
                    committee,
                    f"{code}-B{n}",
                    f"{community}第{n}党支部",
                    OrgType.branch,
                    unit_category=7,
                )
                b.branch(sub, 35, residents, "330102")
            continue
        branch = await b.org(street, code, f"{community}党支部", OrgType.branch, unit_category=7)
        b.branch(branch, b.rng.randint(25, 60), residents, "330102")
    joint = await b.org(
        street,
        f"{COUNTY_CODE}-S01-J01",
        "城关街道非公企业联合党支部",
        OrgType.joint_branch,
        unit_category=2,
        unit_count=4,
    )
    b.branch(joint, 14, [MemberCategory.employed, MemberCategory.self_employed], "330102")
    await b.org(
        street,
        f"{COUNTY_CODE}-S01-TMP",
        "旧城改造项目临时党支部",
        OrgType.temporary_branch,
        unit_category=9,
    )

    organs = await b.org(
        county, f"{COUNTY_CODE}-J01", "县直机关工委", OrgType.working_committee, unit_category=4
    )
    for u, bureau in enumerate(("县教育局", "县卫生健康局", "县农业农村局", "县财政局"), start=1):
        branch = await b.org(
            organs,
            f"{COUNTY_CODE}-J01-U{u:02d}",
            f"{bureau}党支部",
            OrgType.branch,
            unit_category=4,
        )
        b.branch(branch, b.rng.randint(12, 45), staff, "330100")
    school = await b.org(
        organs, f"{COUNTY_CODE}-J01-SCH", "青山中学党总支", OrgType.general_branch, unit_category=5
    )
    for n, name in enumerate(("教师第一党支部", "教师第二党支部", "离退休教师党支部"), start=1):
        branch = await b.org(
            school,
            f"{COUNTY_CODE}-J01-SCH-B{n}",
            f"青山中学{name}",
            OrgType.branch,
            unit_category=5,
        )
        categories = [MemberCategory.retired] if n == 3 else [*staff, MemberCategory.student]
        b.branch(branch, b.rng.randint(20, 40), categories, "330100")

    # Scale the plans to about 1,500 members in all.
    planned = sum(p.size for p in b.branches)
    extra = max(0, 1500 - planned)
    for plan in b.branches:
        if plan.size >= 12:
            plan.size += round(extra * plan.size / planned)
    member_user: Member | None = None
    rosters: list[tuple[_BranchPlan, list[Member]]] = []
    for plan in b.branches:
        recorded = await b.members(plan)
        await b.leaders(plan, recorded)
        rosters.append((plan, recorded))
        if plan.org is b.named.get("village_branch"):
            member_user = next(m for m in recorded if m.status == MemberStatus.full)
    await _activity(session, principal, county, b, rosters, member_user, today)

    targets = {"county": county, **b.named}
    for username, role, where in LOGINS[1:]:
        org = targets[where]
        await create_user(
            session,
            principal,
            UserCreate(
                username=username,
                password=DEMO_PASSWORD,
                role=role,
                org_id=org.id,
                member_id=member_user.id if role is Role.member and member_user else None,
            ),
        )
    orgs, members = await _counts(session, county)
    return DemoSummary(True, orgs, members, await _login_list(session))


async def _activity(
    session: AsyncSession,
    principal: Principal,
    county: Organisation,
    b: _Builder,
    rosters: list[tuple[_BranchPlan, list[Member]]],
    member_user: Member | None,
    today: date,
) -> None:
    """A points scheme, a quarter of meetings, a grid, a mobile member and a transfer,
    so every area of the API has something to show."""
    year = today.year
    await points.upsert_scheme(
        session,
        principal,
        county,
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
        await points.create_rule(session, principal, county, dict(rule))
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
                plan.org,
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
    village = next(r for p, r in rosters if p.org is b.named.get("village_branch"))
    movers = [m for m in village if m.status == MemberStatus.full and m is not member_user]
    if len(movers) >= 2:
        await mobile.register_outflow(
            session,
            principal,
            movers[0],
            {
                "destination_area": "440305", "reason": "外出务工", "expected_months": 12,
                "contact": "13900001111", "certificate_no": "DEMO-CERT-0001",
                "location_consent": True, "started_on": today - timedelta(days=200),
            },
            today,
        )  # fmt: skip
        bureau = next(p.org for p, _ in rosters if p.org.unit_category == 4)
        await transfers.create_transfer(session, principal, movers[1].id, bureau.id, "工作调动")
