"""Transfers (组织关系转接) between sibling subtrees."""

from __future__ import annotations

import asyncio
from datetime import date, datetime, timedelta

from app.clock import local_date
from app.services.lifecycle import add_months

T = "/api/v1/transfers"


async def _send(api, county, member_id, to_org_id, token=None):
    return await api.client.post(
        T,
        json={"member_id": member_id, "to_org_id": to_org_id, "reason": "工作调动"},
        headers=api.auth(token or county.admin_a),
    )


async def test_transfer_accepted_by_the_receiver_moves_the_member(api, county):
    member = await api.member(county.county_admin, county.branch_a["id"])
    r = await _send(api, county, member["id"], county.branch_b["id"])
    assert r.status_code == 201, r.text
    sent = r.json()
    assert sent["state"] == "pending"
    # The sender sees the receiver only as code and name.
    assert sent["to_org"] == {
        "id": None,
        "code": county.branch_b["code"],
        "name": county.branch_b["name"],
    }
    # The receiver finds it in its list and accepts.
    inbox = await api.client.get(T, params={"state": "pending"}, headers=api.auth(county.admin_b))
    assert sent["id"] in {t["id"] for t in inbox.json()["items"]}
    r = await api.client.post(f"{T}/{sent['id']}/accept", headers=api.auth(county.admin_b))
    assert r.status_code == 200, r.text
    assert r.json()["state"] == "accepted"
    moved = await api.client.get(
        f"/api/v1/members/{member['id']}", headers=api.auth(county.admin_b)
    )
    assert moved.status_code == 200
    assert moved.json()["org_id"] == county.branch_b["id"]
    gone = await api.client.get(f"/api/v1/members/{member['id']}", headers=api.auth(county.admin_a))
    assert gone.status_code == 404
    # Both sides keep seeing the transfer itself.
    assert (
        await api.client.get(f"{T}/{sent['id']}", headers=api.auth(county.admin_a))
    ).status_code == 200


async def test_third_parties_see_nothing_of_a_transfer(api, county):
    other = await api.county()
    member = await api.member(county.county_admin, county.branch_a["id"])
    sent = (await _send(api, county, member["id"], county.branch_b["id"])).json()
    headers = api.auth(other.county_admin)
    assert (await api.client.get(f"{T}/{sent['id']}", headers=headers)).status_code == 404
    assert (await api.client.post(f"{T}/{sent['id']}/accept", headers=headers)).status_code == 404
    listed = await api.client.get(T, params={"limit": 500}, headers=headers)
    assert sent["id"] not in {t["id"] for t in listed.json()["items"]}


async def test_only_the_receiver_accepts_and_only_the_sender_cancels(api, county):
    member = await api.member(county.county_admin, county.branch_a["id"])
    sent = (await _send(api, county, member["id"], county.branch_b["id"])).json()
    r = await api.client.post(f"{T}/{sent['id']}/accept", headers=api.auth(county.admin_a))
    assert r.status_code == 403
    assert r.json()["code"] == "transfer.not_receiver"
    r = await api.client.post(f"{T}/{sent['id']}/cancel", json={}, headers=api.auth(county.admin_b))
    assert r.status_code == 403
    r = await api.client.post(f"{T}/{sent['id']}/cancel", json={}, headers=api.auth(county.admin_a))
    assert r.json()["state"] == "cancelled"
    r = await api.client.post(f"{T}/{sent['id']}/accept", headers=api.auth(county.admin_b))
    assert r.status_code == 409
    assert r.json()["code"] == "transfer.not_pending"


async def test_rejected_transfer_leaves_the_member_with_the_sender(api, county):
    member = await api.member(county.county_admin, county.branch_a["id"])
    sent = (await _send(api, county, member["id"], county.branch_b["id"])).json()
    r = await api.client.post(
        f"{T}/{sent['id']}/reject",
        json={"reason": "不在本单位工作"},
        headers=api.auth(county.admin_b),
    )
    assert r.json()["state"] == "rejected"
    still = await api.client.get(
        f"/api/v1/members/{member['id']}", headers=api.auth(county.admin_a)
    )
    assert still.json()["org_id"] == county.branch_a["id"]


async def test_one_pending_transfer_per_member(api, county):
    member = await api.member(county.county_admin, county.branch_a["id"])
    assert (await _send(api, county, member["id"], county.branch_b["id"])).status_code == 201
    r = await _send(api, county, member["id"], county.branch_b["id"])
    assert r.status_code == 409
    assert r.json()["code"] == "transfer.already_pending"


async def test_two_transfers_of_one_member_sent_at_once_leave_one_pending(api, county):
    member = await api.member(county.county_admin, county.branch_a["id"])
    other = await api.org(county.county_admin, county.town_b["id"], "branch")
    results = await asyncio.wait_for(
        asyncio.gather(
            *(
                _send(api, county, member["id"], target["id"])
                for target in (county.branch_b, other, county.branch_b, other)
            )
        ),
        60,
    )
    assert sorted(r.status_code for r in results) == [201, 409, 409, 409], [r.text for r in results]
    assert {r.json()["code"] for r in results if r.status_code == 409} == {
        "transfer.already_pending"
    }
    listed = await api.client.get(
        T, params={"state": "pending", "limit": 500}, headers=api.auth(county.county_admin)
    )
    assert [t["member_id"] for t in listed.json()["items"]].count(member["id"]) == 1


async def test_a_sender_can_reach_a_branch_outside_its_scope_but_not_a_committee(api, county):
    member = await api.member(county.county_admin, county.branch_a["id"])
    r = await _send(api, county, member["id"], county.town_b["id"])
    assert r.status_code == 422
    assert r.json()["code"] == "transfer.target_not_branch"


async def test_two_concurrent_accepts_move_the_member_once(api, county):
    member = await api.member(county.county_admin, county.branch_a["id"])
    sent = (await _send(api, county, member["id"], county.branch_b["id"])).json()
    results = await asyncio.gather(
        *[
            api.client.post(f"{T}/{sent['id']}/accept", headers=api.auth(county.admin_b))
            for _ in range(4)
        ]
    )
    codes = sorted(r.status_code for r in results)
    assert codes == [200, 409, 409, 409]
    events = await api.client.get(
        "/api/v1/audit-events",
        params={"resource_id": member["id"], "resource": "member"},
        headers=api.auth(county.county_admin),
    )
    moves = [e for e in events.json()["items"] if e["action"] == "member.transferred"]
    assert len(moves) == 1


async def test_pending_transfer_is_overdue_after_three_months(api, county):
    member = await api.member(county.county_admin, county.branch_a["id"])
    sent = (await _send(api, county, member["id"], county.branch_b["id"])).json()
    assert sent["overdue"] is False
    params = {"overdue": "true", "as_of": "2099-01-01", "limit": 500}
    r = await api.client.get(T, params=params, headers=api.auth(county.admin_a))
    assert sent["id"] in {t["id"] for t in r.json()["items"]}
    r = await api.client.get(
        f"{T}/{sent['id']}", params={"as_of": "2099-01-01"}, headers=api.auth(county.admin_a)
    )
    assert r.json()["overdue"] is True


async def test_the_letter_records_the_month_dues_are_paid_up_to(api, county):
    member = await api.member(county.county_admin, county.branch_a["id"], category="student")

    month = date.today().strftime("%Y-%m")
    r = await api.client.post(
        "/api/v1/dues/payments",
        json={
            "member_id": member["id"],
            "months": [month],
            "amount_fen": 20,
            "paid_on": str(date.today()),
        },
        headers=api.auth(county.admin_a),
    )
    assert r.status_code == 201, r.text
    sent = (await _send(api, county, member["id"], county.branch_b["id"])).json()
    assert sent["dues_paid_until"] == month


async def test_overdue_follows_the_senders_policy_in_the_item_and_the_receivers_list(api, county):
    # The sending township waits one month; the receiving one keeps the default three.
    r = await api.client.put(
        f"/api/v1/organisations/{county.town_a['id']}/policies",
        json={"values": {"transfer_overdue_months": 1}},
        headers=api.auth(county.county_admin),
    )
    assert r.status_code == 200, r.text
    member = await api.member(county.county_admin, county.branch_a["id"])
    sent = (await _send(api, county, member["id"], county.branch_b["id"])).json()
    created = _sent_on(sent)

    async def seen_by_receiver(as_of):
        listed = await api.client.get(
            T,
            params={"overdue": "true", "as_of": str(as_of), "limit": 500},
            headers=api.auth(county.admin_b),
        )
        item = await api.client.get(
            f"{T}/{sent['id']}", params={"as_of": str(as_of)}, headers=api.auth(county.admin_b)
        )
        return sent["id"] in {t["id"] for t in listed.json()["items"]}, item.json()["overdue"]

    one_month = add_months(created, 1)
    assert await seen_by_receiver(one_month) == (False, False)
    assert await seen_by_receiver(one_month + timedelta(days=1)) == (True, True)


async def test_a_pending_transfer_is_not_overdue_on_its_third_month_day_and_is_the_day_after(
    api, county
):
    member = await api.member(county.county_admin, county.branch_a["id"])
    sent = (await _send(api, county, member["id"], county.branch_b["id"])).json()
    three_months = add_months(_sent_on(sent), 3)

    async def overdue_on(as_of):
        headers = api.auth(county.admin_a)
        params = {"overdue": "true", "as_of": str(as_of), "limit": 500}
        listed = await api.client.get(T, params=params, headers=headers)
        item = await api.client.get(
            f"{T}/{sent['id']}", params={"as_of": str(as_of)}, headers=headers
        )
        return sent["id"] in {t["id"] for t in listed.json()["items"]}, item.json()["overdue"]

    assert await overdue_on(three_months) == (False, False)
    assert await overdue_on(three_months + timedelta(days=1)) == (True, True)


def _sent_on(transfer) -> date:
    """The day a transfer was sent on China's calendar, the day its due date counts from."""
    return local_date(datetime.fromisoformat(transfer["created_at"]))


async def test_a_transfer_sent_before_eight_in_the_morning_counts_from_that_day_in_china(
    api, county
):
    """Sent at 07:30 China time on 1 April (23:30 UTC on 31 March): due three months from
    1 April, so not overdue on 1 July and overdue on 2 July, in the list, the item and the
    to-do list's due date alike."""
    from sqlalchemy import text

    from app.db import get_sessionmaker

    member = await api.member(county.county_admin, county.branch_a["id"])
    sent = (await _send(api, county, member["id"], county.branch_b["id"])).json()
    async with get_sessionmaker()() as session, session.begin():
        await session.execute(
            text("UPDATE transfers SET created_at = '2026-03-31T23:30:00+00' WHERE id = :id"),
            {"id": sent["id"]},
        )

    async def overdue_on(as_of):
        headers = api.auth(county.admin_a)
        params = {"overdue": "true", "as_of": str(as_of), "limit": 500}
        listed = await api.client.get(T, params=params, headers=headers)
        item = await api.client.get(
            f"{T}/{sent['id']}", params={"as_of": str(as_of)}, headers=headers
        )
        return sent["id"] in {t["id"] for t in listed.json()["items"]}, item.json()["overdue"]

    assert await overdue_on(date(2026, 7, 1)) == (False, False)
    assert await overdue_on(date(2026, 7, 2)) == (True, True)
    todos = await api.client.get(
        "/api/v1/todos",
        params={"kind": "transfer_to_accept", "limit": 500},
        headers=api.auth(county.admin_b),
    )
    assert todos.status_code == 200, todos.text
    due = {t["link"]["id"]: t["due_on"] for t in todos.json()["items"]}
    assert due[sent["id"]] == "2026-07-01"
