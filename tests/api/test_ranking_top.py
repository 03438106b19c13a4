"""A ranking's first places do not depend on how many are asked for.

The top places are read from the head of the year's totals when that decides them,
else from the whole subtree (app.services.points.ranking): every `limit` must give
the first `limit` places of the whole ranking, with the same ranks, grades and
suggested review grades, whichever way they were found.
"""

from __future__ import annotations

import itertools
from typing import Any

from support import Api, County

YEAR = 2026
_keys = itertools.count()


async def _post(api: Api, token: str, url: str, body: dict[str, Any]) -> dict[str, Any]:
    r = await api.client.post(url, json=body, headers=api.auth(token))
    assert r.status_code == 201, r.text
    result: dict[str, Any] = r.json()
    return result


async def _scheme(api: Api, token: str, org_id: str, base: int) -> None:
    bands = [{"min": base + 6, "label": "优"}, {"min": base + 2, "label": "合格"}]
    body = {"org_id": org_id, "year": YEAR, "base": base, "grade_bands": bands}
    await _post(api, token, "/api/v1/point-schemes", body)


async def _ranking(api: Api, token: str, org_id: str, limit: int) -> list[dict[str, Any]]:
    r = await api.client.get(
        f"/api/v1/organisations/{org_id}/points/ranking",
        params={"year": YEAR, "limit": limit},
        headers=api.auth(token),
    )
    assert r.status_code == 200, r.text
    items: list[dict[str, Any]] = r.json()["items"]
    return items


async def _award(api: Api, county: County, awards: dict[str, list[int]]) -> int:
    """Members in both branches with the given number of 2-point awards each (ties
    included, some with none); returns how many members there are."""
    token = county.county_admin
    rule = await _post(
        api,
        token,
        "/api/v1/point-rules",
        {"org_id": county.county["id"], "code": f"R{next(_keys)}", "name": "志愿服务"}
        | {"category": "bonus", "points": 2, "needs_approval": False},
    )
    count = 0
    for branch, counts in awards.items():
        for n in counts:
            member = await api.member(token, branch)
            count += 1
            for _ in range(n):
                await _post(
                    api,
                    token,
                    "/api/v1/point-entries",
                    {"member_id": member["id"], "rule_id": rule["id"]}
                    | {"occurred_on": "2026-11-01", "source_key": f"k{next(_keys)}"},
                )
    return count


async def test_every_limit_gives_the_first_places_of_the_whole_ranking(
    api: Api, county: County
) -> None:
    token = county.county_admin
    await _scheme(api, token, county.county["id"], base=60)
    total = await _award(
        api, county, {county.branch_a["id"]: [3, 1, 1, 0, 2, 3], county.branch_b["id"]: [1, 2, 0]}
    )
    whole = await _ranking(api, token, county.county["id"], 50)
    assert len(whole) == total
    for limit in range(1, total + 1):
        assert await _ranking(api, token, county.county["id"], limit) == whole[:limit], limit
    # a township with a higher base: several bases in the county, the same answers
    await _scheme(api, token, county.town_b["id"], base=65)
    whole = await _ranking(api, token, county.county["id"], 50)
    assert whole[0]["total"] == 65 + 4  # branch_b's best, ahead of branch_a's 60 + 6
    for limit in range(1, total + 1):
        assert await _ranking(api, token, county.county["id"], limit) == whole[:limit], limit
