"""The 增减 ledger (党员增减): every reason a member is added to or removed from a
subtree's count, the totals reconciling, transfers within a subtree, period edges and
scope."""

from __future__ import annotations

from datetime import date, timedelta

from support import admission_meeting, record_steps, unique

from app.clock import today

V = "/api/v1"
START = date(2026, 1, 1)


async def _transition(api, token, member_id, to_status, on, **extra):
    await record_steps(api, token, member_id, to_status, str(on))
    r = await api.client.post(
        f"{V}/members/{member_id}/transitions",
        json={"to_status": to_status, "effective_date": str(on), "reason": "决议"} | extra,
        headers=api.auth(token),
    )
    assert r.status_code == 201, r.text


async def _transfer(api, member_id, to_org_id, sender, receiver):
    r = await api.client.post(
        f"{V}/transfers",
        json={"member_id": member_id, "to_org_id": to_org_id, "reason": "工作调动"},
        headers=api.auth(sender),
    )
    assert r.status_code == 201, r.text
    r = await api.client.post(f"{V}/transfers/{r.json()['id']}/accept", headers=api.auth(receiver))
    assert r.status_code == 200, r.text


async def _ledger(api, token, org_id, **params):
    params.setdefault("from", str(START))
    params.setdefault("to", str(today()))
    return await api.client.get(
        f"{V}/organisations/{org_id}/member-changes", params=params, headers=api.auth(token)
    )


def _reasons(body):
    return sorted((e["reason"], e["name"]) for e in body["items"])


def _reconciles(body):
    assert body["count_at_start"] + body["added"] - body["removed"] == body["count_at_end"]
    assert body["added"] == sum(t["count"] for t in body["by_reason"] if t["direction"] == "added")
    assert body["removed"] == sum(
        t["count"] for t in body["by_reason"] if t["direction"] == "removed"
    )


async def _scenario(api, county):
    """One member for each reason, in town A (branch A and a second branch A2)."""
    admin = county.county_admin
    a, b = county.branch_a["id"], county.branch_b["id"]
    a2 = (await api.org(admin, county.town_a["id"], "branch", name="甲村第二党支部"))["id"]
    old = {"joined_on": "2010-01-01", "full_on": "2011-01-01"}

    async def member(name, org=a, **fields):
        return (await api.member(admin, org, name=name, **fields))["id"]

    admitted = await member("发展", status="candidate")
    restored = await member("恢复", **old)
    await _transition(api, admin, restored, "suspended", date(2025, 6, 1))
    await _transition(api, admin, restored, "full", date(2026, 4, 1))
    await _transition(api, admin, await member("死亡", **old), "deceased", date(2026, 5, 1))
    await _transition(api, admin, await member("出党", **old), "left", date(2026, 5, 2))
    expelled = await member("开除", **old)
    r = await api.client.post(
        f"{V}/members/{expelled}/disciplines",
        json={
            "kind": "expulsion",
            "org_id": a,
            "decided_on": "2026-06-01",
            "document_number": unique("纪字"),
        },
        headers=api.auth(admin),
    )
    assert r.status_code == 201, r.text
    cancelled = await member("取消预备", status="probationary", joined_on="2025-12-01")
    await _transition(api, admin, cancelled, "left", date(2026, 6, 2))
    await _transition(api, admin, await member("停止党籍", **old), "suspended", date(2026, 7, 1))
    await _transfer(api, await member("转出", **old), b, county.admin_a, county.admin_b)
    await _transfer(api, await member("转入", b, **old), a, county.admin_b, county.admin_a)
    await _transfer(api, await member("内部调动", **old), a2, county.admin_a, county.admin_a)
    await member("建档", joined_on="2026-02-01")
    await member("在册", **old)
    await member("申请人", status="applicant")
    # Admitted by the branch's general meeting, where the branch's members vote.
    meeting = await admission_meeting(api, admin, a, admitted, "2026-03-01", add_voter=False)
    await _transition(api, admin, admitted, "probationary", date(2026, 3, 1), meeting_id=meeting)
    return a2


async def test_every_reason_is_typed_and_the_subtree_totals_reconcile(api, county):
    await _scenario(api, county)
    r = await _ledger(api, county.admin_a, county.town_a["id"], include_total="true")
    assert r.status_code == 200, r.text
    body = r.json()
    assert _reasons(body) == sorted(
        [
            ("admission", "发展"),
            ("restoration", "恢复"),
            ("transfer_in", "转入"),
            ("recorded", "建档"),
            ("deceased", "死亡"),
            ("left", "出党"),
            ("expelled", "开除"),
            ("probation_cancelled", "取消预备"),
            ("suspended", "停止党籍"),
            ("transfer_out", "转出"),
        ]
    )
    # The transfer between the town's two branches is no change for the town.
    assert "内部调动" not in {e["name"] for e in body["items"]}
    assert (body["count_at_start"], body["added"], body["removed"], body["count_at_end"]) == (
        8,
        4,
        6,
        6,
    )
    assert body["total"] == 10
    _reconciles(body)
    totals = {(t["reason"], t["direction"]): t for t in body["by_reason"]}
    assert totals[("expelled", "removed")]["count"] == 1
    assert totals[("expelled", "removed")]["label_zh"] == "开除党籍"
    assert totals[("transfer_in", "added")]["label_en"] == "Transferred in"
    # The end count is the stock on the last day: the town's current counted members.
    dead = next(e for e in body["items"] if e["reason"] == "deceased")
    assert dead["on"] == "2026-05-01" and dead["direction"] == "removed"


async def test_a_transfer_within_the_subtree_is_out_of_one_branch_and_into_the_other(api, county):
    a2 = await _scenario(api, county)
    branch_a = (await _ledger(api, county.admin_a, county.branch_a["id"])).json()
    internal = [e for e in branch_a["items"] if e["name"] == "内部调动"]
    assert [(e["reason"], e["counterpart_org_id"]) for e in internal] == [("transfer_out", a2)]
    assert (branch_a["count_at_start"], branch_a["added"], branch_a["removed"]) == (8, 4, 7)
    assert branch_a["count_at_end"] == 5
    _reconciles(branch_a)
    second = (await _ledger(api, county.admin_a, a2)).json()
    assert _reasons(second) == [("transfer_in", "内部调动")]
    assert (second["count_at_start"], second["count_at_end"]) == (0, 1)
    # At the county the transfers between towns are internal too.
    whole = (await _ledger(api, county.county_admin, county.county["id"])).json()
    assert {e["reason"] for e in whole["items"]} == {
        "admission",
        "restoration",
        "recorded",
        "deceased",
        "left",
        "expelled",
        "probation_cancelled",
        "suspended",
    }
    assert (whole["count_at_start"], whole["count_at_end"]) == (9, 7)
    _reconciles(whole)


async def test_members_of_another_subtree_are_never_counted(api, county):
    await _scenario(api, county)
    body = (await _ledger(api, county.admin_b, county.branch_b["id"])).json()
    # Branch B sees only the two transfers with town A, from its own side, and not
    # which organisation of town A (outside its scope) the other side was.
    assert _reasons(body) == [("transfer_in", "转出"), ("transfer_out", "转入")]
    assert {e["counterpart_org_id"] for e in body["items"]} == {None}
    assert (body["count_at_start"], body["count_at_end"]) == (1, 1)
    _reconciles(body)


async def test_another_subtrees_organisation_is_not_found(api, county):
    for org in (county.town_a, county.branch_a):
        r = await _ledger(api, county.admin_b, org["id"])
        assert r.status_code == 404, r.text


async def test_the_period_includes_its_first_and_last_day(api, county):
    admin = county.county_admin
    dead = await api.member(admin, county.branch_a["id"], name="死亡", joined_on="2010-01-01")
    await _transition(api, admin, dead["id"], "deceased", date(2026, 5, 1))
    org = county.branch_a["id"]

    async def counts(start, end):
        body = (await _ledger(api, admin, org, **{"from": str(start), "to": str(end)})).json()
        _reconciles(body)
        return body["count_at_start"], body["removed"], body["count_at_end"]

    day = date(2026, 5, 1)
    assert await counts(day, day) == (1, 1, 0)
    assert await counts(day + timedelta(days=1), date(2026, 6, 1)) == (0, 0, 0)
    assert await counts(date(2026, 4, 1), day - timedelta(days=1)) == (1, 0, 1)


async def test_a_period_that_starts_after_it_ends_is_refused(api, county):
    r = await _ledger(
        api, county.admin_a, county.branch_a["id"], **{"from": "2026-05-02", "to": "2026-05-01"}
    )
    assert r.status_code == 422 and r.json()["code"] == "statistics.period_order"


async def test_the_ledger_pages_in_one_order(api, county):
    await _scenario(api, county)
    seen, cursor = [], None
    while True:
        params = {"limit": 3, **({"cursor": cursor} if cursor else {})}
        body = (await _ledger(api, county.admin_a, county.town_a["id"], **params)).json()
        seen += [(e["on"], e["name"]) for e in body["items"]]
        if not (cursor := body["next_cursor"]):
            break
    assert len(seen) == 10 and seen == sorted(seen, key=lambda s: s[0])
    r = await _ledger(api, county.admin_a, county.town_a["id"], cursor="bm9wZQ")
    assert r.status_code == 422
