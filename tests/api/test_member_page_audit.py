"""A page of members that reveals their ID numbers and phones is audited: one
`member.pii_read` event per page, naming exactly the members shown, in their order."""

from __future__ import annotations

import json

MEMBERS = "/api/v1/members"
READS = (
    "SELECT resource, resource_id, org_path, before, after, actor_username FROM audit_events"
    " WHERE request_id = $1 AND action = 'member.pii_read' ORDER BY id"
)


async def _rows(sql: str, arg: str) -> list[dict[str, object]]:
    from app import db
    from app.db import get_sessionmaker

    async with get_sessionmaker()() as session:
        return [dict(r) for r in await db.fetch(session, sql, arg)]


async def _events(request_id: str) -> list[dict[str, object]]:
    return [
        {**r, "after": json.loads(r["after"]) if isinstance(r["after"], str) else r["after"]}
        for r in await _rows(READS, request_id)
    ]


async def _page(api, token: str, request_id: str, **params: object) -> dict[str, object]:
    headers = api.auth(token, **{"X-Request-ID": request_id})
    r = await api.client.get(MEMBERS, params=params, headers=headers)
    assert r.status_code == 200, r.text
    body: dict[str, object] = r.json()
    return body


async def _org_path(org_id: str) -> str:
    path: str = (await _rows("SELECT path FROM organisations WHERE id = $1", org_id))[0]["path"]
    return path


async def test_a_page_names_the_members_it_shows_in_their_order_and_not_the_next_page(api, county):
    for _ in range(3):
        await api.member(county.county_admin, county.branch_a["id"])
    within = county.branch_a["id"]
    await _page(api, county.admin_a, "warm-page-audit", within=within, limit=2)
    page = await _page(api, county.admin_a, "page-audit-two", within=within, limit=2)
    shown = [m["id"] for m in page["items"]]  # type: ignore[index]
    assert (
        len(shown) == 2
        and page["next_cursor"]
        and all(
            m["pii_masked"] is False
            for m in page["items"]  # type: ignore[attr-defined]
        )
    )
    events = await _events("page-audit-two")
    assert events == [
        {
            "resource": "member",
            "resource_id": None,
            "org_path": await _org_path(county.town_a["id"]),  # the caller's own organisation
            "before": None,
            "after": {"member_ids": shown},
            "actor_username": events[0]["actor_username"],
        }
    ]
    rest = await _page(
        api, county.admin_a, "page-audit-rest", within=within, limit=2, cursor=page["next_cursor"]
    )
    last = [m["id"] for m in rest["items"]]  # type: ignore[attr-defined]
    assert len(last) == 1 and last[0] not in shown  # the third member alone: a read of it
    assert [(e["resource_id"], e["after"]) for e in await _events("page-audit-rest")] == [
        (last[0], None)
    ]


async def test_a_page_of_one_member_is_audited_as_a_read_of_that_member(api, county):
    member = await api.member(county.county_admin, county.branch_b["id"])
    await _page(api, county.admin_b, "warm-page-one", within=county.branch_b["id"])
    page = await _page(api, county.admin_b, "page-audit-one", within=county.branch_b["id"])
    assert [m["id"] for m in page["items"]] == [member["id"]]  # type: ignore[attr-defined]
    events = await _events("page-audit-one")
    assert [(e["resource_id"], e["org_path"], e["after"]) for e in events] == [
        (member["id"], await _org_path(county.branch_b["id"]), None)
    ]


async def test_an_empty_page_and_a_masked_page_write_no_event(api, county):
    empty = await api.org(county.county_admin, county.town_a["id"], "branch")
    await _page(api, county.admin_a, "warm-page-empty", within=empty["id"])
    page = await _page(api, county.admin_a, "page-audit-empty", within=empty["id"])
    assert page["items"] == []
    assert await _events("page-audit-empty") == []

    await api.member(county.county_admin, county.branch_a["id"])
    _, auditor = await api.user(county.county_admin, "auditor", county.town_a["id"])
    await _page(api, auditor, "warm-page-masked", within=county.branch_a["id"])
    masked = await _page(api, auditor, "page-audit-masked", within=county.branch_a["id"])
    assert masked["items"] and all(m["pii_masked"] for m in masked["items"])  # type: ignore[attr-defined]
    assert await _events("page-audit-masked") == []
