"""The demo county: its organisation tree, members and logins, loaded once."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from app import clock
from app.devtools.demo.activity import add_activity
from app.devtools.demo.builder import BranchPlan, Builder
from app.models.enums import MemberCategory, MemberStatus, OrgType, Role
from app.models.member import Member
from app.models.organisation import Organisation
from app.models.user import User
from app.schemas.users import UserCreate
from app.security.passwords import hash_password
from app.security.scope import Principal, under
from app.services import organisations as org_service
from app.services.users import create_user

# Demo only: printed by `dangjian demo` and listed in README.
DEMO_PASSWORD = "Dangjian-demo-2026"
COUNTY_CODE = "DEMO-COUNTY"
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


FARMERS = [MemberCategory.farmer] * 6 + [MemberCategory.retired, MemberCategory.self_employed]
RESIDENTS = [
    MemberCategory.retired,
    MemberCategory.retired,
    MemberCategory.employed,
    MemberCategory.self_employed,
    MemberCategory.unemployed,
    MemberCategory.other,
]


STAFF = [MemberCategory.employed] * 8 + [MemberCategory.retired]


async def _townships(b: Builder, county: Organisation) -> None:
    """Three townships of five villages each; the first has a general branch, a branch
    too small and one too large."""
    farmers = FARMERS
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


async def _street(b: Builder, county: Organisation) -> None:
    """A street working committee: communities (one a committee), a joint branch of
    four non-public units, a temporary branch."""
    residents = RESIDENTS
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


async def _county_organs(b: Builder, county: Organisation) -> None:
    """The county organs' working committee: bureaus and a school's general branch."""
    staff = STAFF
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


async def _rosters(b: Builder) -> tuple[list[tuple[BranchPlan, list[Member]]], Member | None]:
    """Members and leaders of every planned branch, scaled to about 1,500 members; the
    member who gets the demo member login."""
    # Scale the plans to about 1,500 members in all.
    planned = sum(p.size for p in b.branches)
    extra = max(0, 1500 - planned)
    for plan in b.branches:
        if plan.size >= 12:
            plan.size += round(extra * plan.size / planned)
    member_user: Member | None = None
    rosters: list[tuple[BranchPlan, list[Member]]] = []
    for plan in b.branches:
        recorded = await b.members(plan)
        await b.leaders(plan, recorded)
        rosters.append((plan, recorded))
        if plan.org is b.named.get("village_branch"):
            member_user = next(m for m in recorded if m.status == MemberStatus.full)
    return rosters, member_user


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
    b = Builder(session, principal, today)

    await _townships(b, county)
    await _street(b, county)
    await _county_organs(b, county)
    rosters, member_user = await _rosters(b)
    await add_activity(session, principal, county, b, rosters, member_user, today)

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
