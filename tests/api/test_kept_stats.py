"""The dashboard's counts (`GET /organisations/{id}/stats`) from kept counts: a snapshot
per subtree path built by the worker, plus the changes since written by the trigger on
`members`, answer exactly what counting the subtree's members live answers, through
creates, transitions, transfers, updates, a subtree move and folds, and a fold under a
concurrent write loses nothing."""

from __future__ import annotations

import csv
import io
from datetime import date, timedelta
from typing import Any

import pytest
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st
from sqlalchemy import delete, func, select, update
from support import new_id_number

from app import clock, worker
from app.db import get_sessionmaker
from app.models.member import Member
from app.models.member_stats import MemberStatDelta, MemberStatRollup, MemberStatSnapshot
from app.models.organisation import Organisation
from app.services.organisations import counts, kept_stats
from app.services.organisations.terms import add_years

ORGS = "/api/v1/organisations"
IMPORT_HEADER = [
    "姓名",
    "公民身份号码",
    "所在党组织编码",
    "党员状态",
    "人员类别",
    "联系电话",
    "入党日期",
]
M = "/api/v1/members"


pytestmark = pytest.mark.usefixtures("no_snapshot_left_behind")


async def fold() -> kept_stats.Snapshot:
    """What the worker and `dangjian stats-snapshot` run."""
    return await kept_stats.refresh_snapshot(clock.today())


async def kept_answer(api, token: str, org_id: str, day: date | None = None) -> dict[str, Any]:
    params = {"as_of": str(day)} if day else {}
    r = await api.client.get(f"{ORGS}/{org_id}/stats", params=params, headers=api.auth(token))
    assert r.status_code == 200, r.text
    return dict(r.json())


async def live_answer(org_id: str, day: date) -> dict[str, Any]:
    """The same service with no snapshot for the day (deleted in a transaction that is
    rolled back): the members of the subtree counted live."""
    async with get_sessionmaker()() as session, session.begin():
        assert await session.scalar(
            select(func.count())
            .select_from(MemberStatSnapshot)
            .where(MemberStatSnapshot.day == day)
        ), "the kept answer was not read from a snapshot"
        await session.execute(delete(MemberStatSnapshot))
        org = await session.get(Organisation, org_id)
        assert org is not None
        answer = await counts.organisation_stats(session, org, day)
        await session.rollback()
    return answer.model_dump(mode="json")


async def assert_kept_equals_live(api, county) -> None:
    """Today's and tomorrow's answers (a snapshot answers for both: the bands differ)."""
    today = clock.today()
    for day in (today, today + timedelta(days=1)):
        for org in (county.county, county.town_a, county.town_b, county.branch_a, county.branch_b):
            kept = await kept_answer(api, county.county_admin, org["id"], day)
            assert kept == await live_answer(org["id"], day), (org["name"], day)


def near_a_band_edge(offset: int, years: int) -> date:
    """A birth date around the day a member turns `years`: age bands turn on birthdays."""
    return add_years(clock.today(), -years) + timedelta(days=offset)


async def transition(api, token: str, member_id: str, to_status: str) -> None:
    r = await api.client.post(
        f"{M}/{member_id}/transitions",
        json={"to_status": to_status, "effective_date": str(clock.today())},
        headers=api.auth(token),
    )
    assert r.status_code == 201, r.text


async def transfer(api, token: str, member_id: str, to_org_id: str) -> None:
    sent = await api.client.post(
        "/api/v1/transfers",
        json={"member_id": member_id, "to_org_id": to_org_id, "reason": "工作调动"},
        headers=api.auth(token),
    )
    assert sent.status_code == 201, sent.text
    r = await api.client.post(
        f"/api/v1/transfers/{sent.json()['id']}/accept", headers=api.auth(token)
    )
    assert r.status_code == 200, r.text


async def move(api, token: str, org_id: str, new_parent_id: str) -> None:
    r = await api.client.post(
        f"{ORGS}/{org_id}/move", json={"new_parent_id": new_parent_id}, headers=api.auth(token)
    )
    assert r.status_code == 200, r.text


EDGES = st.builds(near_a_band_edge, st.integers(-1, 1), st.sampled_from([31, 41, 51, 61, 71]))
STEPS = st.lists(
    st.one_of(
        st.tuples(
            st.just("create"),
            st.sampled_from(["branch_a", "branch_b"]),
            st.sampled_from(["employed", "retired", "farmer"]),
            st.sampled_from([None, "大学本科", "高中"]),
            EDGES,
        ),
        st.tuples(
            st.just("transition"),
            st.integers(0, 99),
            st.sampled_from(["suspended", "deceased", "left"]),
        ),
        st.tuples(st.just("transfer"), st.integers(0, 99)),
        st.tuples(
            st.just("update"),
            st.integers(0, 99),
            st.sampled_from(["retired", "farmer"]),
            st.sampled_from(["研究生", None]),
            EDGES,
        ),
        st.tuples(st.just("move")),
        st.tuples(st.just("fold")),
    ),
    min_size=3,
    max_size=9,
)


async def _apply(api, county, members: list[dict[str, Any]], step: tuple[Any, ...]) -> None:
    token = county.county_admin
    kind = step[0]
    if kind == "create":
        _, branch, category, education, born = step
        members.append(
            await api.member(
                token,
                getattr(county, branch)["id"],
                category=category,
                education=education,
                id_number=new_id_number(born),
            )
        )
        return
    if kind in ("move", "fold"):
        if kind == "fold":
            await fold()
            return
        # branch_a between the two townships (one way, then back)
        async with get_sessionmaker()() as session:
            parent = await session.scalar(
                select(Organisation.parent_id).where(Organisation.id == county.branch_a["id"])
            )
        target = county.town_b if str(parent) == county.town_a["id"] else county.town_a
        await move(api, token, county.branch_a["id"], target["id"])
        return
    living = [m for m in members if m["status"] not in ("deceased", "left")]
    if not living:
        return
    member = living[step[1] % len(living)]
    if kind == "transition":
        to_status = "full" if member["status"] == "suspended" else step[2]
        await transition(api, token, member["id"], to_status)
        member["status"] = to_status
    elif kind == "transfer":
        here = member["org_id"]
        there = county.branch_b if here == county.branch_a["id"] else county.branch_a
        await transfer(api, token, member["id"], there["id"])
        member["org_id"] = there["id"]
    else:
        _, _, category, education, born = step
        r = await api.client.patch(
            f"{M}/{member['id']}",
            json={"category": category, "education": education, "id_number": new_id_number(born)},
            headers=api.auth(token),
        )
        assert r.status_code == 200, r.text


# No shrinking: each example is a few dozen requests (the failing steps are printed).
@settings(
    max_examples=8,
    deadline=None,
    suppress_health_check=list(HealthCheck),
    phases=[Phase.explicit, Phase.reuse, Phase.generate],
)
@given(steps=STEPS)
async def test_kept_counts_answer_what_the_live_count_answers_through_any_changes(api, steps):
    county = await api.county()
    members = [
        await api.member(county.county_admin, county.branch_a["id"]),
        await api.member(county.county_admin, county.branch_b["id"], category="retired"),
    ]
    await fold()
    for step in steps:
        await _apply(api, county, members, step)
        await assert_kept_equals_live(api, county)


async def test_stats_are_right_right_after_a_subtree_move_and_after_the_next_fold(api, county):
    token = county.county_admin
    for _ in range(3):
        await api.member(token, county.branch_a["id"])
    await api.member(token, county.branch_b["id"])
    await fold()
    before = {
        name: (await kept_answer(api, token, getattr(county, name)["id"]))["members"]
        for name in ("county", "town_a", "town_b", "branch_a")
    }
    assert before == {"county": 4, "town_a": 3, "town_b": 1, "branch_a": 3}
    await move(api, token, county.branch_a["id"], county.town_b["id"])
    for _ in range(2):  # a fold in between changes nothing
        after = {
            name: (await kept_answer(api, token, getattr(county, name)["id"]))["members"]
            for name in ("county", "town_a", "town_b", "branch_a")
        }
        assert after == {"county": 4, "town_a": 0, "town_b": 4, "branch_a": 3}
        await assert_kept_equals_live(api, county)
        await fold()


async def test_the_dashboard_reads_the_kept_counts_when_a_snapshot_answers_for_today(api, county):
    await api.member(county.county_admin, county.branch_a["id"])
    await fold()
    async with get_sessionmaker()() as session, session.begin():
        await session.execute(
            update(MemberStatRollup)
            .where(
                MemberStatRollup.path
                == (await session.get(Organisation, county.branch_a["id"])).path
            )
            .values(n=MemberStatRollup.n + 1000)
        )
    kept = await kept_answer(api, county.county_admin, county.branch_a["id"])
    assert kept["members"] == 1001  # the (tampered) rollup, not the member rows
    async with get_sessionmaker()() as session, session.begin():
        await session.execute(delete(MemberStatSnapshot))
    assert (await kept_answer(api, county.county_admin, county.branch_a["id"]))["members"] == 1


async def test_a_fold_loses_no_change_committed_while_it_runs(api, county, monkeypatch):
    """A member changed by a transaction that commits after the fold deleted the deltas
    it sees and before it counts the members: neither counted in the rollups nor folded
    away (under READ COMMITTED it would be counted twice)."""
    member = await api.member(county.county_admin, county.branch_a["id"], category="employed")
    await fold()
    writer = get_sessionmaker()()
    await writer.begin()
    await writer.execute(update(Member).where(Member.id == member["id"]).values(category="retired"))
    paired = kept_stats._ancestor_pairs

    async def the_writer_commits_then_pairs(*args: Any) -> Any:
        await writer.commit()
        return await paired(*args)

    monkeypatch.setattr(kept_stats, "_ancestor_pairs", the_writer_commits_then_pairs)
    try:
        await fold()
    finally:
        await writer.close()
    kept = await kept_answer(api, county.county_admin, county.branch_a["id"])
    assert kept["by_category"] == {"retired": 1}
    await assert_kept_equals_live(api, county)
    async with get_sessionmaker()() as session:
        left = await session.scalar(select(func.count()).select_from(MemberStatDelta))
    assert left == 2  # the writer's -employed / +retired, kept for the next fold


async def test_the_worker_builds_a_snapshot_when_due_and_only_then(api, county, monkeypatch):
    async with get_sessionmaker()() as session, session.begin():
        await session.execute(delete(MemberStatSnapshot))
    built = await worker.snapshot_stats_if_due()
    assert built is not None
    assert built.days == (clock.today(), clock.today() + timedelta(days=1))
    assert await worker.snapshot_stats_if_due() is None
    monkeypatch.setattr(kept_stats, "FOLD_AFTER_DELTAS", 1)
    await api.member(county.county_admin, county.branch_a["id"])
    await api.member(county.county_admin, county.branch_a["id"])
    again = await worker.snapshot_stats_if_due()
    assert again is not None
    assert again.folded == 2
    await assert_kept_equals_live(api, county)


async def test_stats_of_another_subtree_are_404_with_kept_counts(api, county):
    await api.member(county.county_admin, county.branch_b["id"])
    await fold()
    r = await api.client.get(
        f"{ORGS}/{county.town_b['id']}/stats", headers=api.auth(county.admin_a)
    )
    assert r.status_code == 404
    assert r.json()["code"] == "organisation.not_found"
    other = await api.county()
    r = await api.client.get(
        f"{ORGS}/{county.county['id']}/stats", headers=api.auth(other.county_admin)
    )
    assert r.status_code == 404


async def test_imported_members_are_counted_in_the_kept_counts(api, county):
    await fold()
    rows = [
        ["导一", new_id_number(), county.branch_a["code"], "正式党员", "在职", "", ""],
        ["导二", new_id_number(), county.branch_a["code"], "预备党员", "学生", "", "2026-01-05"],
        ["导三", new_id_number(), county.branch_b["code"], "full", "farmer", "", ""],
    ]
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(IMPORT_HEADER)
    writer.writerows(rows)
    r = await api.client.post(
        "/api/v1/imports",
        params={"kind": "members"},
        files={"file": ("m.csv", out.getvalue().encode("utf-8"))},
        headers=api.auth(county.county_admin),
    )
    assert r.status_code in (201, 202), r.text
    kept = await kept_answer(api, county.county_admin, county.county["id"])
    assert kept["members"] == 3
    assert kept["by_status"] == {"full": 2, "probationary": 1}
    await assert_kept_equals_live(api, county)
