"""DATABASE_REPLICA_URL: list and report reads go to the replica, ledgers and writes never."""

from __future__ import annotations

import app.api.routing as routing
from app.db import get_sessionmaker


async def test_reports_read_the_replica_and_balances_do_not(api, county, monkeypatch):
    used: list[str] = []
    primary = get_sessionmaker()

    def replica_maker():
        def open_session():
            used.append("replica")
            return primary()

        return open_session

    monkeypatch.setattr(routing, "get_replica_sessionmaker", replica_maker)
    member = await api.member(county.county_admin, county.branch_a["id"])
    assert used == []
    headers = api.auth(county.admin_a)
    for path in (
        f"/api/v1/organisations/{county.town_a['id']}/stats",
        f"/api/v1/organisations/{county.town_a['id']}/tree",
        f"/api/v1/organisations/{county.town_a['id']}/points/ranking",
        f"/api/v1/organisations/{county.town_a['id']}/meeting-compliance",
    ):
        before = len(used)
        assert (await api.client.get(path, headers=headers)).status_code == 200
        assert len(used) == before + 1, path
    before = len(used)
    for path in (f"/api/v1/members/{member['id']}/points", f"/api/v1/members/{member['id']}"):
        assert (await api.client.get(path, headers=headers)).status_code == 200
    assert len(used) == before
