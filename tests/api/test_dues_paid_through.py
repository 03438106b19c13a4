"""The latest month a member's dues are paid for (`members.dues_paid_through`), kept by
the triggers on `dues_payment_months` whatever writes them, and the unpaid-dues list
that starts from it: the members paid before the six months, ahead of them or never,
not those who paid one of them."""

from __future__ import annotations

from datetime import date

from sqlalchemy import text

from app.db import get_sessionmaker

TODAY = date(2026, 6, 15)

V = "/api/v1"
FLAG = "dues.six_months_unpaid"
# Every member whose kept month is not its latest payment month.
DRIFTED = """
SELECT count(*) FROM members AS m
WHERE m.dues_paid_through IS DISTINCT FROM
      (SELECT max(d.month) FROM dues_payment_months AS d WHERE d.member_id = m.id)
"""


async def _pay(api, county, member_id: str, *months: str, paid_on: str = "2026-06-15") -> None:
    body = {"member_id": member_id, "months": list(months), "amount_fen": 50 * len(months)}
    r = await api.client.post(
        f"{V}/dues/payments", json=body | {"paid_on": paid_on}, headers=api.auth(county.admin_a)
    )
    assert r.status_code == 201, r.text


async def _sql(statement: str, **params: object) -> None:
    async with get_sessionmaker()() as session, session.begin():
        await session.execute(text(statement), params)


async def _kept(*member_ids: str) -> list[date | None]:
    async with get_sessionmaker()() as session:
        assert await session.scalar(text(DRIFTED)) == 0
        rows = await session.execute(
            text("SELECT id::text, dues_paid_through FROM members WHERE id::text = ANY(:ids)"),
            {"ids": list(member_ids)},
        )
        kept = dict(rows.all())
    return [kept[m] for m in member_ids]


async def test_the_latest_month_paid_is_kept_through_any_write_of_the_payment_months(
    api, county, frozen_today
):
    branch = county.branch_a["id"]
    a, b, c = [
        (await api.member(county.county_admin, branch, category="farmer"))["id"] for _ in "abc"
    ]
    assert await _kept(a, b, c) == [None, None, None]
    await _pay(api, county, a, "2026-01", "2026-02")
    await _pay(api, county, a, "2025-12")  # an earlier month: the latest stays
    await _pay(api, county, b, "2026-08")  # ahead
    assert await _kept(a, b, c) == [date(2026, 2, 1), date(2026, 8, 1), None]
    # Whatever else writes the months: an update, a move to another member, deletes.
    await _sql(
        "UPDATE dues_payment_months SET month = '2026-03-01' "
        "WHERE member_id = CAST(:m AS uuid) AND month = '2026-02-01'",
        m=a,
    )
    assert await _kept(a, b, c) == [date(2026, 3, 1), date(2026, 8, 1), None]
    await _sql(
        "UPDATE dues_payment_months SET member_id = CAST(:c AS uuid) "
        "WHERE member_id = CAST(:a AS uuid) AND month = '2026-03-01'",
        a=a,
        c=c,
    )
    assert await _kept(a, b, c) == [date(2026, 1, 1), date(2026, 8, 1), date(2026, 3, 1)]
    await _sql("DELETE FROM dues_payment_months WHERE member_id = CAST(:b AS uuid)", b=b)
    # a's payments, and with them their months, c's moved one too (a cascade)
    await _sql("DELETE FROM dues_payments WHERE member_id = CAST(:a AS uuid)", a=a)
    assert await _kept(a, b, c) == [None, None, None]


async def test_the_unpaid_list_finds_the_members_paid_before_ahead_or_never(
    api, county, frozen_today
):
    def member():
        return api.member(
            county.county_admin, county.branch_a["id"], category="farmer", joined_on="2020-01-01"
        )

    never, before, ahead, within, early = [(await member())["id"] for _ in range(5)]
    await _pay(api, county, before, "2025-10", "2025-11", "2025-12", paid_on="2025-12-15")
    await _pay(api, county, ahead, "2026-07", "2026-08")  # none of January to June
    await _pay(api, county, within, "2026-03")
    await _pay(api, county, early, "2025-12", "2026-01")  # January: one of the six
    r = await api.client.get(
        f"{V}/members",
        params={"flag": FLAG, "org_id": county.branch_a["id"], "limit": 2, "include_total": True},
        headers=api.auth(county.admin_a),
    )
    assert r.status_code == 200, r.text
    listed, cursor = [m["id"] for m in r.json()["items"]], r.json()["next_cursor"]
    assert r.json()["total"] == 3
    r = await api.client.get(
        f"{V}/members",
        params={"flag": FLAG, "org_id": county.branch_a["id"], "limit": 2, "cursor": cursor},
        headers=api.auth(county.admin_a),
    )
    listed += [m["id"] for m in r.json()["items"]]
    assert sorted(listed) == sorted([never, before, ahead])
    # each member's own record says the same
    for member_id in (never, before, ahead, within, early):
        r = await api.client.get(f"{V}/members/{member_id}", headers=api.auth(county.admin_a))
        assert (FLAG in r.json()["flags"]) == (member_id in listed), member_id
