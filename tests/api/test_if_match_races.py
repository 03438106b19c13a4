"""`If-Match` under concurrency: of many PATCHes naming the same version, exactly one
wins and every other answers 412 (never 409), and the stored row is the winner's."""

from __future__ import annotations

import asyncio

from app.services.code_lists import EDUCATIONS

CONCURRENT = 30


async def test_concurrent_patches_with_one_if_match_give_one_200_and_412s(api, county):
    member = await api.member(county.admin_a, county.branch_a["id"])
    url = f"/api/v1/members/{member['id']}"
    etag = (await api.client.get(url, headers=api.auth(county.admin_a))).headers["etag"]
    values = list(EDUCATIONS.values())[:CONCURRENT]  # distinct values of the code list

    async def patch(value):
        return await api.client.patch(
            url, json={"education": value}, headers={**api.auth(county.admin_a), "If-Match": etag}
        )

    responses = await asyncio.wait_for(asyncio.gather(*(patch(v) for v in values)), 120)
    statuses = sorted(r.status_code for r in responses)
    assert statuses == [200] + [412] * (CONCURRENT - 1), statuses
    assert {r.json()["code"] for r in responses if r.status_code == 412} == {"precondition.failed"}
    winner = next(v for v, r in zip(values, responses, strict=True) if r.status_code == 200)
    stored = await api.client.get(url, headers=api.auth(county.admin_a))
    assert stored.json()["education"] == winner  # no lost update
    assert stored.headers["etag"] == f'"{int(etag.strip(chr(34))) + 1}"'


async def test_concurrent_patches_without_if_match_all_apply_in_some_order(api, county):
    member = await api.member(county.admin_a, county.branch_a["id"])
    url = f"/api/v1/members/{member['id']}"
    values = ["大学本科", "研究生", "高中", "大学专科"]

    async def patch(value):
        return await api.client.patch(
            url, json={"education": value}, headers=api.auth(county.admin_a)
        )

    responses = await asyncio.wait_for(asyncio.gather(*(patch(v) for v in values)), 60)
    assert all(r.status_code in (200, 409) for r in responses), [r.text for r in responses]
    assert 412 not in {r.status_code for r in responses}
