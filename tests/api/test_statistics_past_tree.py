"""The statistics as of a past day read the tree and the member records as they were
that day: a township moved since is counted where it sat then (tables, points
indicator, checks and their paged records, and the 增减 ledger, which reconciles
across the move); an organisation founded since is not yet
counted; a member's details changed since are counted with their value of that day."""

from __future__ import annotations

from datetime import date
from urllib.parse import parse_qsl

from app.clock import today

V = "/api/v1"
BEFORE = date(2026, 6, 30)  # a day before the move (the move is made today)


async def _tables(api, token, org_id, as_of):
    r = await api.client.get(
        f"{V}/organisations/{org_id}/statistics",
        params={"as_of": str(as_of)},
        headers=api.auth(token),
    )
    assert r.status_code == 200, r.text
    return r.json()


async def _ledger(api, token, org_id, date_from, date_to):
    r = await api.client.get(
        f"{V}/organisations/{org_id}/member-changes",
        params={"from": str(date_from), "to": str(date_to), "limit": 200},
        headers=api.auth(token),
    )
    assert r.status_code == 200, r.text
    return r.json()


def _table(rows):
    return {row["key"]: row["count"] for row in rows}


async def _township_with_members(api, county, members=3):
    """A township committee under township A (here the 'county' it moves out of),
    with a branch and `members` full members joined in 2020."""
    admin = county.county_admin
    township = await api.org(admin, county.town_a["id"], "committee", name="丙镇党委")
    branch = await api.org(admin, township["id"], "branch", name="丙村党支部")
    for _ in range(members):
        await api.member(admin, branch["id"], joined_on="2020-01-01", education="大学本科")
    return township, branch


async def _move(api, token, org_id, new_parent_id):
    r = await api.client.post(
        f"{V}/organisations/{org_id}/move",
        json={"new_parent_id": new_parent_id},
        headers=api.auth(token),
    )
    assert r.status_code == 200, r.text


async def test_a_moved_township_is_counted_where_it_sat_on_the_day(api, county):
    township, _ = await _township_with_members(api, county)
    await api.member(county.county_admin, county.branch_a["id"], joined_on="2020-01-01")
    await api.member(county.county_admin, county.branch_b["id"], joined_on="2020-01-01")
    await _move(api, county.county_admin, township["id"], county.town_b["id"])
    now = today()

    a_before = await _tables(api, county.admin_a, county.town_a["id"], BEFORE)
    b_before = await _tables(api, county.admin_b, county.town_b["id"], BEFORE)
    assert a_before["members"]["total"] == 4  # its own member and the township's three
    assert b_before["members"]["total"] == 1
    # Town A, its branch, the township and its branch; town B and its branch.
    assert a_before["organisations"]["total"] == 4
    assert b_before["organisations"]["total"] == 2

    a_now = await _tables(api, county.admin_a, county.town_a["id"], now)
    b_now = await _tables(api, county.admin_b, county.town_b["id"], now)
    assert (a_now["members"]["total"], b_now["members"]["total"]) == (1, 4)
    assert (a_now["organisations"]["total"], b_now["organisations"]["total"]) == (2, 4)
    # The points indicator grades the members the tables count, in the tree of the day.
    assert (a_before["points"]["ranked"], b_before["points"]["ranked"]) == (4, 1)
    assert (a_now["points"]["ranked"], b_now["points"]["ranked"]) == (1, 4)
    # The county as a whole counts everyone either way.
    for day in (BEFORE, now):
        whole = await _tables(api, county.county_admin, county.county["id"], day)
        assert whole["members"]["total"] == 5


async def test_the_ledger_reconciles_across_a_move(api, county):
    township, _ = await _township_with_members(api, county)
    await api.member(county.county_admin, county.branch_a["id"], joined_on="2020-01-01")
    await _move(api, county.county_admin, township["id"], county.town_b["id"])
    now = today()

    out = await _ledger(api, county.admin_a, county.town_a["id"], BEFORE, now)
    assert (out["count_at_start"], out["count_at_end"]) == (4, 1)
    assert out["count_at_start"] + out["added"] - out["removed"] == out["count_at_end"]
    moved = [e for e in out["items"] if e["reason"] == "reorganised"]
    assert len(moved) == 3 and {e["direction"] for e in moved} == {"removed"}
    assert {e["on"] for e in moved} == {str(now)}

    into = await _ledger(api, county.admin_b, county.town_b["id"], BEFORE, now)
    assert (into["count_at_start"], into["count_at_end"]) == (0, 3)
    assert into["count_at_start"] + into["added"] - into["removed"] == into["count_at_end"]
    assert _table_of_reasons(into) == {("reorganised", "added"): 3}
    # The count at the start of a day is the tables' total of the day before.
    start = await _tables(api, county.admin_a, county.town_a["id"], date(2026, 6, 29))
    assert start["members"]["total"] == out["count_at_start"]


def _table_of_reasons(ledger):
    return {(t["reason"], t["direction"]): t["count"] for t in ledger["by_reason"] if t["count"]}


async def test_an_organisation_founded_after_the_day_is_not_counted_on_it(api, county):
    founded = await api.org(
        county.county_admin, county.town_a["id"], "branch", founded_on="2026-07-01"
    )
    tables = await _tables(api, county.admin_a, county.town_a["id"], BEFORE)
    assert tables["organisations"]["total"] == 2  # town A and its first branch
    later = await _tables(api, county.admin_a, county.town_a["id"], date(2026, 7, 1))
    assert later["organisations"]["total"] == 3
    assert founded["id"]


async def test_a_member_changed_after_the_day_is_counted_with_the_old_details(api, county):
    member = await api.member(
        county.county_admin,
        county.branch_a["id"],
        joined_on="2020-01-01",
        education="大学本科",
        post="01",
    )
    r = await api.client.patch(
        f"{V}/members/{member['id']}",
        json={"education": "硕士研究生毕业"},
        headers=api.auth(county.county_admin),
    )
    assert r.status_code == 200, r.text
    before = await _tables(api, county.admin_a, county.town_a["id"], BEFORE)
    assert _table(before["members"]["by_education"]) == {"20": 1}
    now = await _tables(api, county.admin_a, county.town_a["id"], today())
    assert _table(now["members"]["by_education"]) == {"10": 1}
    # Unchanged fields read the same either way.
    assert _table(before["members"]["by_post"]) == _table(now["members"]["by_post"])


async def test_a_member_with_a_transition_changed_after_the_day_is_counted_with_the_old_details(
    api, county
):
    member = await api.member(
        county.county_admin, county.branch_a["id"], joined_on="2020-01-01", ethnicity="汉族"
    )
    r = await api.client.patch(
        f"{V}/members/{member['id']}",
        json={"ethnicity": "回族"},
        headers=api.auth(county.county_admin),
    )
    assert r.status_code == 200, r.text
    r = await api.client.post(
        f"{V}/members/{member['id']}/transitions",
        json={"to_status": "deceased", "effective_date": "2026-08-01"},
        headers=api.auth(county.county_admin),
    )
    assert r.status_code == 201, r.text
    before = await _tables(api, county.admin_a, county.town_a["id"], BEFORE)
    assert _table(before["members"]["by_ethnicity"]) == {"01": 1}


async def test_another_subtree_gets_404_for_the_past_tables_of_a_moved_township(api, county):
    township, _ = await _township_with_members(api, county)
    await _move(api, county.county_admin, township["id"], county.town_b["id"])
    r = await api.client.get(
        f"{V}/organisations/{county.town_a['id']}/statistics",
        params={"as_of": str(BEFORE)},
        headers=api.auth(county.admin_b),
    )
    assert r.status_code == 404
    # Town A's admin no longer reaches the township itself, not even for a past day.
    r = await api.client.get(
        f"{V}/organisations/{township['id']}/statistics",
        params={"as_of": str(BEFORE)},
        headers=api.auth(county.admin_a),
    )
    assert r.status_code == 404


async def test_the_checks_and_the_workbook_of_a_day_before_a_move_read_the_tree_of_that_day(
    api, county
):
    township, _ = await _township_with_members(api, county)
    await _move(api, county.county_admin, township["id"], county.town_b["id"])
    r = await api.client.get(
        f"{V}/organisations/{county.town_a['id']}/statistics/checks",
        params={"as_of": str(BEFORE)},
        headers=api.auth(county.admin_a),
    )
    assert r.status_code == 200, r.text
    failed = {f["code"]: f for f in r.json()["failed"]}
    assert "statistics.totals_disagree" not in failed
    # The township's three members (no ethnicity recorded) are checked where they sat.
    assert failed["statistics.ethnicity_missing"]["count"] == 3
    r = await api.client.get(
        f"{V}/organisations/{county.town_a['id']}/statistics.xlsx",
        params={"as_of": str(BEFORE)},
        headers=api.auth(county.admin_a),
    )
    assert r.status_code == 200


async def _walk(api, token, url):
    """The ids of every record of a check's paged list (`all_records`, its own query
    kept), two a page."""
    path, _, query = url.partition("?")
    ids, cursor = [], None
    while True:
        params = dict(parse_qsl(query)) | {"limit": 2, "include_total": "true"}
        params |= {"cursor": cursor} if cursor else {}
        r = await api.client.get(path, params=params, headers=api.auth(token))
        assert r.status_code == 200, r.text
        page = r.json()
        ids += [item["id"] for item in page["items"]]
        if not page["next_cursor"]:
            return ids, page["total"]
        cursor = page["next_cursor"]


async def test_the_paged_records_of_a_day_before_a_move_are_those_of_the_tree_of_that_day(
    api, county
):
    township, branch = await _township_with_members(api, county)
    await _move(api, county.county_admin, township["id"], county.town_b["id"])
    token = county.admin_a
    for day, members, branches in ((BEFORE, 3, 2), (today(), 0, 1)):
        r = await api.client.get(
            f"{V}/organisations/{county.town_a['id']}/statistics/checks",
            params={"as_of": str(day)},
            headers=api.auth(token),
        )
        assert r.status_code == 200, r.text
        failed = {f["code"]: f for f in r.json()["failed"]}
        assert failed.get("statistics.ethnicity_missing", {}).get("count", 0) == members
        secretary = failed["statistics.branch_without_secretary"]
        assert secretary["count"] == branches
        ids, total = await _walk(api, token, secretary["all_records"])
        assert total == branches and ids == [r["id"] for r in secretary["records"]]
        assert (branch["id"] in ids) == (day == BEFORE)
        if members:
            ethnicity = failed["statistics.ethnicity_missing"]
            ids, total = await _walk(api, token, ethnicity["all_records"])
            assert total == members and ids == [r["id"] for r in ethnicity["records"]]
