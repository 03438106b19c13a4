"""Correcting a finalized meeting's attendance re-scores the points it changed: the
standing entry is reversed and the corrected presence scored, once."""

from __future__ import annotations

from datetime import date

import pytest
from sqlalchemy import text
from support import unique

from app.db import get_sessionmaker

TODAY = date(2026, 11, 24)

M = "/api/v1/meetings"


pytestmark = pytest.mark.usefixtures("frozen_today")  # every test on `TODAY`


async def _rule(api, county, **fields):
    payload = {
        "org_id": county.county["id"],
        "code": unique("R"),
        "name": "参加会议",
        "category": "bonus",
        "points": 2,
        "needs_approval": False,
        **fields,
    }
    r = await api.client.post(
        "/api/v1/point-rules", json=payload, headers=api.auth(county.county_admin)
    )
    assert r.status_code == 201, r.text


async def _ledger(member_id):
    """(sum of approved points, number of lines) read from the table itself."""
    async with get_sessionmaker()() as session:
        row = (
            await session.execute(
                text(
                    "SELECT COALESCE(sum(points) FILTER (WHERE state = 'approved'), 0), "
                    "count(*) FROM point_entries WHERE member_id = :m"
                ),
                {"m": member_id},
            )
        ).one()
    return int(row[0]), int(row[1])


async def _finalized(api, county):
    await _rule(api, county, trigger="meeting.present")
    await _rule(api, county, trigger="meeting.absent", category="deduction", points=3)
    branch = await api.org(county.county_admin, county.town_a["id"], "branch")
    a, b = [await api.member(county.county_admin, branch["id"]) for _ in range(2)]
    r = await api.client.post(
        M,
        json={"org_id": branch["id"], "type": "theme_day", "held_on": "2026-11-05"}
        | {"topic": "主题党日"},
        headers=api.auth(county.admin_a),
    )
    meeting = r.json()
    entries = [
        {"member_id": a["id"], "presence": "present"},
        {"member_id": b["id"], "presence": "absent"},
    ]
    r = await api.client.put(
        f"{M}/{meeting['id']}/attendance", json=entries, headers=api.auth(county.admin_a)
    )
    assert r.status_code == 200, r.text
    r = await api.client.post(f"{M}/{meeting['id']}/finalize", headers=api.auth(county.admin_a))
    assert r.status_code == 200, r.text
    return meeting, a, b


async def _correct(api, county, meeting, member, presence, **extra):
    r = await api.client.post(
        f"{M}/{meeting['id']}/amendments",
        json={
            "field": "attendance",
            "value": [{"member_id": member["id"], "presence": presence, **extra}],
            "reason": "签到记录有误",
        },
        headers=api.auth(county.admin_a),
    )
    assert r.status_code == 201, r.text


async def test_correcting_an_absence_to_present_reverses_the_deduction_and_awards(api, county):
    meeting, a, b = await _finalized(api, county)
    assert (await _ledger(b["id"]))[0] == -3
    await _correct(api, county, meeting, b, "present")
    # The deduction is reversed (the original plus its reversing line) and +2 scored.
    assert await _ledger(b["id"]) == (2, 3)
    assert await _ledger(a["id"]) == (2, 1)  # not named in the correction: untouched


async def test_repeating_a_correction_scores_nothing_more(api, county):
    meeting, _, b = await _finalized(api, county)
    await _correct(api, county, meeting, b, "present")
    await _correct(api, county, meeting, b, "present")
    assert await _ledger(b["id"]) == (2, 3)


async def test_correcting_to_excused_only_reverses_and_back_scores_again(api, county):
    meeting, a, _ = await _finalized(api, county)
    await _correct(api, county, meeting, a, "excused", reason="病假")
    assert await _ledger(a["id"]) == (0, 2)
    await _correct(api, county, meeting, a, "present")
    assert await _ledger(a["id"]) == (2, 3)


async def test_a_correction_that_keeps_the_presence_changes_no_points(api, county):
    meeting, a, _ = await _finalized(api, county)
    await _correct(api, county, meeting, a, "present")
    assert await _ledger(a["id"]) == (2, 1)
