"""No N+1: the statements an endpoint sends do not grow with the page or the subtree."""

from __future__ import annotations

import uuid

from support import counting, unique


async def _count(api, token, path, **params) -> int:
    """The statements of a request whose login's principal is known (read by the one before,
    see `services.principals`): how a caller's requests run after its first."""
    r = await api.client.get(path, params=params, headers=api.auth(token))
    assert r.status_code == 200, r.text
    with counting() as statements:
        r = await api.client.get(path, params=params, headers=api.auth(token))
    assert r.status_code == 200, r.text
    return len(statements)


async def test_a_members_page_costs_the_same_statements_for_2_or_20_members(api, county):
    for _ in range(21):
        await api.member(county.county_admin, county.branch_a["id"])
    within = county.branch_a["id"]
    small = await _count(api, county.admin_a, "/api/v1/members", within=within, limit=2)
    large = await _count(api, county.admin_a, "/api/v1/members", within=within, limit=20)
    assert small == large


async def test_a_tree_costs_the_same_statements_at_any_depth(api, county, monkeypatch):
    from app.config import get_settings

    monkeypatch.setattr(get_settings(), "kept_answer_bytes", 0)  # every call reads its tree
    group = await api.org(county.county_admin, county.branch_a["id"], "group")
    assert group["id"]
    url = f"/api/v1/organisations/{county.county['id']}/tree"
    shallow = await _count(api, county.county_admin, url, depth=1)
    deep = await _count(api, county.county_admin, url, depth=5)
    assert shallow == deep


async def test_compliance_costs_the_same_statements_for_one_branch_or_five(api, county):
    token = county.county_admin
    one = await api.org(token, county.county["id"], "committee")
    five = await api.org(token, county.county["id"], "committee")
    await api.org(token, one["id"], "branch")
    for _ in range(5):
        await api.org(token, five["id"], "branch")
    params = {"year": 2026, "quarter": 1}
    url = "/api/v1/organisations/{}/meeting-compliance"
    assert await _count(api, token, url.format(one["id"]), **params) == await _count(
        api, token, url.format(five["id"]), **params
    )


async def test_stats_and_ranking_cost_the_same_statements_for_any_subtree(api, county):
    token = county.county_admin
    for org in (county.branch_a, county.county):
        assert await _count(api, token, f"/api/v1/organisations/{org['id']}/stats") == 3
    small = await _count(
        api, token, f"/api/v1/organisations/{county.branch_a['id']}/points/ranking", year=2026
    )
    large = await _count(
        api, token, f"/api/v1/organisations/{county.county['id']}/points/ranking", year=2026
    )
    assert small == large


async def test_a_login_s_first_member_read_sends_the_principal_then_the_row(api, county):
    member = await api.member(county.county_admin, county.branch_a["id"])
    _, token = await api.user(county.county_admin, "org_admin", county.county["id"])
    with counting() as statements:
        r = await api.client.get(f"/api/v1/members/{member['id']}", headers=api.auth(token))
    assert r.status_code == 200, r.text
    assert len(statements) == 2, statements
    principal, row = statements
    assert "auth_sessions" in principal and "FROM members" not in principal
    assert "FROM members" in row


async def test_a_member_read_checks_the_login_in_the_statement_with_the_row_and_audit_row(
    api, county
):
    member = await api.member(county.county_admin, county.branch_a["id"])
    path = f"/api/v1/members/{member['id']}"
    await _count(api, county.admin_a, path)  # the login's principal known, statements prepared
    with counting() as statements:
        r = await api.client.get(path, headers=api.auth(county.admin_a))
    assert r.status_code == 200, r.text
    assert r.json()["pii_masked"] is False  # an unmasked read: audited
    assert len(statements) == 1, statements
    (row,) = statements
    assert "auth_sessions" in row and "revoked_at IS NULL" in row  # the login, checked
    assert "FROM members" in row and "array_remove" in row  # the flags come with the row
    assert "INSERT INTO audit_events" in row  # and the read's audit row with both


async def test_a_masked_member_read_sends_no_audit_row(api, county):
    member = await api.member(county.county_admin, county.branch_a["id"])
    _, auditor = await api.user(county.county_admin, "auditor", county.county["id"])
    path = f"/api/v1/members/{member['id']}"
    await _count(api, auditor, path)
    with counting() as statements:
        r = await api.client.get(path, headers=api.auth(auditor))
    assert r.status_code == 200, r.text
    assert r.json()["pii_masked"] is True
    assert len(statements) == 1, statements
    assert "auth_sessions" in statements[0]
    assert not any("audit_events" in s for s in statements)


async def test_a_ranking_sends_the_organisation_with_the_login_s_check_then_the_ranking(
    api, county
):
    path = f"/api/v1/organisations/{county.county['id']}/points/ranking"
    await _count(api, county.county_admin, path, year=2026)  # statements prepared
    with counting() as statements:
        r = await api.client.get(path, params={"year": 2026}, headers=api.auth(county.county_admin))
    assert r.status_code == 200, r.text
    assert len(statements) == 2, statements
    organisation, ranking = statements
    assert "auth_sessions" in organisation  # the login, checked by the first read
    assert "FROM organisations" in organisation and "point_schemes" not in organisation
    # the schemes (bases and grade bands) are read by the ranking statement itself
    assert "point_schemes" in ranking and "point_totals" in ranking


async def _award_statements(
    api, county, begun: list[str] | None = None, **rule_fields
) -> list[str]:
    token = county.county_admin
    rule = {"org_id": county.county["id"], "code": unique("R"), "name": "学习"}
    rule |= {"category": "bonus", "points": 2, "needs_approval": False, **rule_fields}
    r = await api.client.post("/api/v1/point-rules", json=rule, headers=api.auth(token))
    assert r.status_code == 201, r.text
    member = await api.member(token, county.branch_a["id"])
    sent = []
    for _ in range(2):  # the first prepares the statements and fills the caches
        body = {"member_id": member["id"], "rule_id": r.json()["id"]}
        body |= {"occurred_on": "2026-11-02", "source_key": unique("k")}
        if begun is not None:
            begun.clear()  # the rule's and the member's writes began theirs
        with counting() as statements:
            c = await api.client.post("/api/v1/point-entries", json=body, headers=api.auth(token))
        assert c.status_code == 201, c.text
        sent = statements
    return sent


async def test_an_award_of_a_known_rule_item_is_one_statement_and_no_begin_or_commit(
    api, county, monkeypatch
):
    """The rule item known from the award before: the entry with its change-feed event and
    its audit row in one write that checks the caller's login, locks the member and the
    chain and writes only while the checks hold: a transaction of its own."""
    import asyncpg.transaction

    begun: list[str] = []
    start = asyncpg.transaction.Transaction.start

    async def counted_start(self):  # type: ignore[no-untyped-def]
        begun.append("BEGIN")
        return await start(self)

    monkeypatch.setattr(asyncpg.transaction.Transaction, "start", counted_start)
    statements = await _award_statements(api, county, begun)
    assert len(statements) == 1, statements
    assert begun == []
    (entry,) = statements
    assert "auth_sessions" in entry and "revoked_at IS NULL" in entry  # the login, checked
    assert "FROM members WHERE id = $2 FOR UPDATE" in entry and "FOR SHARE" in entry
    assert "version = $5" in entry  # the rule item as known
    assert "INSERT INTO point_entries" in entry
    assert "INSERT INTO outbox_events" in entry and "INSERT INTO audit_events" in entry


async def test_an_award_of_a_rule_item_not_known_yet_reads_it_and_the_member_first(api, county):
    """The first award of an item in a process: the rule, the member, the chain's caps and
    the caller's login in one read, unlocked; then the checked write."""
    from app.services.points import caps

    token = county.county_admin
    rule = {"org_id": county.county["id"], "code": unique("R"), "name": "学习"}
    rule |= {"category": "bonus", "points": 2, "needs_approval": False}
    r = await api.client.post("/api/v1/point-rules", json=rule, headers=api.auth(token))
    assert r.status_code == 201, r.text
    member = await api.member(token, county.branch_a["id"])
    assert caps.known_rule(uuid.UUID(r.json()["id"])) is None
    body = {"member_id": member["id"], "rule_id": r.json()["id"]}
    body |= {"occurred_on": "2026-11-02", "source_key": unique("k")}
    with counting() as statements:
        c = await api.client.post("/api/v1/point-entries", json=body, headers=api.auth(token))
    assert c.status_code == 201, c.text
    read, entry = statements[-2:]
    assert "FROM point_rules" in read and "FROM members" in read and " FOR " not in read
    assert "INSERT INTO point_entries" in entry and "version = $5" in entry


async def test_a_capped_award_reads_locked_then_the_source_key_and_the_points_used(api, county):
    statements = await _award_statements(api, county, cap_month=10)
    assert len(statements) == 4, statements
    assert "FOR UPDATE" in statements[0]
    assert "source_key = $2" in statements[1] and "sum(abs(e.points))" in statements[2]


async def test_a_read_begins_no_transaction_and_a_write_begins_one(api, county, monkeypatch):
    """A GET's statements are each their own transaction (no BEGIN, no COMMIT round trip);
    its audit row is one statement, written all the same. A write begins one."""
    import asyncpg.transaction

    begun: list[str] = []
    start = asyncpg.transaction.Transaction.start

    async def counted_start(self):  # type: ignore[no-untyped-def]
        begun.append("BEGIN")
        return await start(self)

    member = await api.member(county.county_admin, county.branch_a["id"])
    path = f"/api/v1/members/{member['id']}"
    monkeypatch.setattr(asyncpg.transaction.Transaction, "start", counted_start)
    r = await api.client.get(path, headers=api.auth(county.admin_a))
    assert r.status_code == 200, r.text
    assert begun == []
    audit = await api.client.get(
        "/api/v1/audit-events",
        params={"resource_id": member["id"], "limit": 50},
        headers=api.auth(county.county_admin),
    )
    assert audit.status_code == 200, audit.text
    assert "member.pii_read" in [e["action"] for e in audit.json()["items"]]
    begun.clear()  # the audit list may read through the ORM, which begins as it always did
    patched = await api.client.patch(
        path, json={"work_unit": "县委组织部"}, headers=api.auth(county.admin_a)
    )
    assert patched.status_code == 200, patched.text
    assert begun == ["BEGIN"]


async def test_a_signed_in_request_checks_its_pooled_connection_with_its_sign_in_read(
    api, county, monkeypatch
):
    """The checkout's `SELECT 1` ping is one round trip per request; a signed-in request's
    first statement, the read of its sign-in, is the check instead (with the ping's
    timeout, tests/api/test_database_outage.py). A request that reads no sign-in (a
    login) is still pinged."""
    import asyncpg.connection

    sent: list[str] = []
    execute = asyncpg.connection.Connection.execute

    async def recorded(self, query, *args, **kw):  # type: ignore[no-untyped-def]
        sent.append(query)
        return await execute(self, query, *args, **kw)

    member = await api.member(county.county_admin, county.branch_a["id"])
    path = f"/api/v1/members/{member['id']}"
    assert (await api.client.get(path, headers=api.auth(county.admin_a))).status_code == 200
    monkeypatch.setattr(asyncpg.connection.Connection, "execute", recorded)
    for _ in range(3):  # pooled connections, each used before
        r = await api.client.get(path, headers=api.auth(county.admin_a))
        assert r.status_code == 200, r.text
    assert "SELECT 1" not in sent, sent
    login = await api.client.post(
        "/api/v1/auth/token", data={"username": "nobody-here", "password": "wrong password"}
    )
    assert login.status_code == 401, login.text
    assert "SELECT 1" in sent, sent


async def test_a_write_with_nothing_left_to_flush_commits_on_the_driver(api, county):
    """An award writes on the driver only: its transaction is committed there, without
    SQLAlchemy's commit machinery (no `before_commit`), and the entry is stored (a write
    with ORM changes waiting for a flush commits through the session, as every ORM test
    shows)."""
    from sqlalchemy import event
    from sqlalchemy.orm import Session

    await _award_statements(api, county)  # a rule, a member and two awards
    committed: list[str] = []

    def seen(session: Session) -> None:
        committed.append("session.commit")

    event.listen(Session, "before_commit", seen)
    try:
        ledger_before = await api.client.get(
            "/api/v1/point-entries", params={"limit": 100}, headers=api.auth(county.county_admin)
        )
        entry = ledger_before.json()["items"][0]
        body = {"member_id": entry["member_id"], "rule_id": entry["rule_id"]}
        body |= {"occurred_on": "2026-11-03", "source_key": unique("k")}
        r = await api.client.post(
            "/api/v1/point-entries", json=body, headers=api.auth(county.county_admin)
        )
    finally:
        event.remove(Session, "before_commit", seen)
    assert r.status_code == 201, r.text
    assert committed == []
    stored = await api.client.get(
        f"/api/v1/point-entries/{r.json()['id']}", headers=api.auth(county.county_admin)
    )
    assert stored.status_code == 200, stored.text
    assert stored.json()["occurred_on"] == "2026-11-03"
