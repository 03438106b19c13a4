"""Members: ID-number rules, PII encryption and masking, filters, scope, pagination."""

from __future__ import annotations

from datetime import date

import asyncpg
import pytest
from support import new_id_number

from app.db import sync_database_url
from app.services.id_numbers import make_id_number

MEMBERS = "/api/v1/members"


async def test_birth_date_and_gender_are_derived_from_the_id_number(api, county):
    number = make_id_number("110105", date(1980, 5, 17), 123)  # odd sequence: male
    member = await api.member(county.county_admin, county.branch_a["id"], id_number=number)
    assert member["birth_date"] == "1980-05-17"
    assert member["gender"] == "male"
    assert member["id_number"] == number  # an org admin holds PII rights


async def test_bad_checksum_is_422_with_a_stable_code(api, county):
    number = make_id_number("110105", date(1980, 5, 17), 124)
    wrong = number[:-1] + ("0" if number[-1] != "0" else "1")
    r = await api.client.post(
        MEMBERS,
        json={
            "name": "李四",
            "id_number": wrong,
            "org_id": county.branch_a["id"],
            "status": "full",
            "category": "employed",
        },
        headers=api.auth(county.county_admin),
    )
    assert r.status_code == 422
    body = r.json()
    assert body["code"] == "member.id_number_checksum"
    assert body["errors"][0]["field"] == "id_number"
    assert body["title"] == "身份证号码校验位错误"


async def test_problem_titles_follow_accept_language(api, county):
    r = await api.client.post(
        MEMBERS,
        json={
            "name": "李四",
            "id_number": "110105198002301234",
            "org_id": county.branch_a["id"],
            "status": "full",
            "category": "employed",
        },
        headers={**api.auth(county.county_admin), "Accept-Language": "en-US,en;q=0.9"},
    )
    assert r.status_code == 422
    assert r.json()["code"] == "member.id_number_birth_date_invalid"
    assert r.json()["title"] == "The birth date in the ID number is invalid"
    assert r.headers["content-language"] == "en"


async def test_conflicting_birth_date_or_gender_is_422(api, county):
    number = make_id_number("110105", date(1975, 3, 3), 200)  # even: female
    base = {
        "name": "王五",
        "id_number": number,
        "org_id": county.branch_a["id"],
        "status": "full",
        "category": "employed",
    }
    headers = api.auth(county.county_admin)
    r = await api.client.post(MEMBERS, json={**base, "gender": "male"}, headers=headers)
    assert r.json()["code"] == "member.gender_mismatch"
    r = await api.client.post(MEMBERS, json={**base, "birth_date": "1975-03-04"}, headers=headers)
    assert r.json()["code"] == "member.birth_date_mismatch"


async def test_legacy_fifteen_digit_number_is_upgraded(api, county):
    member = await api.member(
        county.county_admin, county.branch_a["id"], id_number="110105491231002"
    )
    assert member["id_number"] == "11010519491231002X"
    assert member["gender"] == "female"


async def test_id_number_is_unique_among_living_members(api, county):
    number = new_id_number()
    await api.member(county.county_admin, county.branch_a["id"], id_number=number)
    r = await api.client.post(
        MEMBERS,
        json={
            "name": "重复",
            "id_number": number,
            "org_id": county.branch_b["id"],
            "status": "full",
            "category": "employed",
        },
        headers=api.auth(county.county_admin),
    )
    assert r.status_code == 409
    assert r.json()["code"] == "member.id_number_taken"
    # A deceased record with the same number may exist beside the living one.
    dead = await api.member(
        county.county_admin, county.branch_b["id"], id_number=number, status="deceased"
    )
    assert dead["status"] == "deceased"


async def test_members_belong_to_a_branch_not_a_committee(api, county):
    r = await api.client.post(
        MEMBERS,
        json={
            "name": "赵六",
            "id_number": new_id_number(),
            "org_id": county.town_a["id"],
            "status": "full",
            "category": "employed",
        },
        headers=api.auth(county.county_admin),
    )
    assert r.status_code == 422
    assert r.json()["code"] == "member.org_not_branch"


async def test_applicant_must_be_eighteen_on_the_application_date(api, county):
    number = make_id_number("110105", date(2010, 1, 1), 11)
    r = await api.client.post(
        MEMBERS,
        json={
            "name": "少年",
            "id_number": number,
            "org_id": county.branch_a["id"],
            "status": "applicant",
            "category": "student",
            "applied_on": "2025-06-01",
        },
        headers=api.auth(county.county_admin),
    )
    assert r.status_code == 422
    assert r.json()["code"] == "member.under_age"


async def test_membership_dates_must_be_in_order(api, county):
    r = await api.client.post(
        MEMBERS,
        json={
            "name": "次序",
            "id_number": new_id_number(),
            "org_id": county.branch_a["id"],
            "status": "full",
            "category": "employed",
            "joined_on": "2020-01-01",
            "full_on": "2019-01-01",
        },
        headers=api.auth(county.county_admin),
    )
    assert r.status_code == 422
    assert r.json()["code"] == "member.dates_out_of_order"


async def test_database_holds_no_plaintext_id_number_or_phone(api, county):
    number = new_id_number()
    phone = "13812348000"
    member = await api.member(
        county.county_admin, county.branch_a["id"], id_number=number, phone=phone
    )
    conn = await asyncpg.connect(sync_database_url())
    try:
        row = await conn.fetchrow("SELECT * FROM members WHERE id = $1", member["id"])
        dump = repr(dict(row)).encode()
        raw = b"".join(v for v in dict(row).values() if isinstance(v, bytes))
        audit_rows = await conn.fetch("SELECT before::text, after::text FROM audit_events")
    finally:
        await conn.close()
    assert row is not None
    for secret in (number, phone):
        assert secret.encode() not in dump
        assert secret.encode() not in raw
        assert all(secret not in (b or "") and secret not in (a or "") for b, a in audit_rows)


async def test_auditor_sees_masked_id_number_and_phone(api, county):
    number = new_id_number()
    member = await api.member(
        county.county_admin, county.branch_a["id"], id_number=number, phone="13812348000"
    )
    _, auditor = await api.user(county.county_admin, "auditor", county.county["id"])
    r = await api.client.get(f"{MEMBERS}/{member['id']}", headers=api.auth(auditor))
    assert r.status_code == 200
    body = r.json()
    assert body["id_number"] == number[:6] + "********" + number[-4:]
    assert body["phone"] == "138****8000"
    assert body["pii_masked"] is True
    listed = await api.client.get(
        MEMBERS, params={"org_id": county.branch_a["id"]}, headers=api.auth(auditor)
    )
    assert number not in listed.text
    assert "13812348000" not in listed.text


async def test_member_user_sees_only_their_own_record_unmasked(api, county):
    me = await api.member(county.county_admin, county.branch_a["id"], phone="13912345678")
    other = await api.member(county.county_admin, county.branch_a["id"])
    _, token = await api.user(county.county_admin, "member", county.branch_a["id"], me["id"])
    own = await api.client.get(f"{MEMBERS}/{me['id']}", headers=api.auth(token))
    assert own.status_code == 200
    assert own.json()["phone"] == "13912345678"
    assert (
        await api.client.get(f"{MEMBERS}/{other['id']}", headers=api.auth(token))
    ).status_code == 404
    listed = await api.client.get(MEMBERS, headers=api.auth(token))
    assert [m["id"] for m in listed.json()["items"]] == [me["id"]]
    r = await api.client.patch(f"{MEMBERS}/{me['id']}", json={"name": "x"}, headers=api.auth(token))
    assert r.status_code == 403


async def test_unmasked_reads_are_audited(api, county):
    member = await api.member(county.county_admin, county.branch_a["id"])
    r = await api.client.get(f"{MEMBERS}/{member['id']}", headers=api.auth(county.admin_a))
    assert r.json()["pii_masked"] is False
    events = await api.client.get(
        "/api/v1/audit-events",
        params={"resource_id": member["id"], "resource": "member"},
        headers=api.auth(county.county_admin),
    )
    actions = [e["action"] for e in events.json()["items"]]
    assert "member.pii_read" in actions
    assert "member.created" in actions


async def test_an_unmasked_read_records_who_read_which_member_where_and_a_refused_one_nothing(
    api, county
):
    from app import db
    from app.db import get_sessionmaker

    member = await api.member(county.county_admin, county.branch_a["id"])
    own = await api.member(county.county_admin, county.branch_a["id"])
    _, member_user = await api.user(county.county_admin, "member", county.branch_a["id"], own["id"])
    reads = (
        "SELECT actor_username, org_path, request_id FROM audit_events"
        " WHERE resource_id = $1 AND action = 'member.pii_read' ORDER BY id"
    )

    async def audited(member_id):
        async with get_sessionmaker()() as session:
            return [tuple(r) for r in await db.fetch(session, reads, member_id)]

    before = await audited(member["id"])
    headers = api.auth(county.admin_a, **{"X-Request-ID": "read-audit-1"})
    r = await api.client.get(f"{MEMBERS}/{member['id']}", headers=headers)
    assert r.status_code == 200 and r.json()["pii_masked"] is False
    new = (await audited(member["id"]))[len(before) :]
    reader = await api.client.get("/api/v1/auth/me", headers=api.auth(county.admin_a))
    async with get_sessionmaker()() as session:
        branch_path = (
            await db.fetchrow(
                session, "SELECT path FROM organisations WHERE id = $1", county.branch_a["id"]
            )
        )[0]
    assert new == [(reader.json()["username"], branch_path, "read-audit-1")]
    # Refused reads (another township's admin, a member user's other record): 404, no row.
    for token in (county.admin_b, member_user):
        r = await api.client.get(f"{MEMBERS}/{member['id']}", headers=api.auth(token))
        assert r.status_code == 404
    assert len(await audited(member["id"])) == len(before) + 1
    # The member user's own record: unmasked, audited.
    r = await api.client.get(f"{MEMBERS}/{own['id']}", headers=api.auth(member_user))
    assert r.status_code == 200 and r.json()["pii_masked"] is False
    assert len(await audited(own["id"])) >= 1


async def test_lookup_by_id_number_uses_the_blind_index(api, county):
    number = new_id_number()
    member = await api.member(county.county_admin, county.branch_a["id"], id_number=number)
    r = await api.client.get(
        MEMBERS, params={"id_number": number.lower()}, headers=api.auth(county.county_admin)
    )
    assert [m["id"] for m in r.json()["items"]] == [member["id"]]
    # The same lookup from the sibling township finds nothing.
    r = await api.client.get(
        MEMBERS, params={"id_number": number}, headers=api.auth(county.admin_b)
    )
    assert r.json()["items"] == []


async def test_sibling_admin_gets_404_and_empty_lists(api, county):
    member = await api.member(county.county_admin, county.branch_a["id"])
    headers = api.auth(county.admin_b)
    r = await api.client.get(f"{MEMBERS}/{member['id']}", headers=headers)
    assert r.status_code == 404
    assert r.json()["code"] == "member.not_found"
    r = await api.client.patch(f"{MEMBERS}/{member['id']}", json={"name": "x"}, headers=headers)
    assert r.status_code == 404
    r = await api.client.get(
        MEMBERS, params={"org_id": county.branch_a["id"], "include_total": "true"}, headers=headers
    )
    # A filter naming another subtree's branch is answered like the branch itself: 404.
    assert r.status_code == 404
    assert [e["field"] for e in r.json()["errors"]] == ["org_id"]
    r = await api.client.get(MEMBERS, params={"within": county.town_a["id"]}, headers=headers)
    assert r.status_code == 404
    r = await api.client.post(
        MEMBERS,
        json={
            "name": "越权",
            "id_number": new_id_number(),
            "org_id": county.branch_a["id"],
            "status": "full",
            "category": "employed",
        },
        headers=headers,
    )
    assert r.status_code == 404


async def test_filters_by_status_and_category(api, county):
    branch = county.branch_a["id"]
    farmer = await api.member(county.county_admin, branch, category="farmer")
    await api.member(county.county_admin, branch, status="probationary")
    r = await api.client.get(
        MEMBERS,
        params={"org_id": branch, "category": "farmer", "status": "full"},
        headers=api.auth(county.county_admin),
    )
    assert [m["id"] for m in r.json()["items"]] == [farmer["id"]]


async def test_pages_walk_every_member_once_in_sort_order(api, county):
    branch = county.branch_b["id"]
    names = ["甲", "乙", "丙", "丁", "戊", "己", "庚"]
    created = {(await api.member(county.county_admin, branch, name=n))["id"] for n in names}
    seen: list[dict] = []
    cursor = None
    while True:
        params = {"org_id": branch, "limit": 3, "sort": "-name"}
        if cursor:
            params["cursor"] = cursor
        r = await api.client.get(MEMBERS, params=params, headers=api.auth(county.county_admin))
        assert r.status_code == 200
        seen.extend(r.json()["items"])
        cursor = r.json()["next_cursor"]
        if cursor is None:
            break
    assert {m["id"] for m in seen} == created
    assert len(seen) == len(created)
    assert [m["name"] for m in seen] == sorted(names, reverse=True)


async def test_a_garbled_cursor_is_422_not_500(api, county):
    r = await api.client.get(
        MEMBERS, params={"cursor": "not-a-cursor"}, headers=api.auth(county.county_admin)
    )
    assert r.status_code == 422
    assert r.json()["code"] == "pagination.cursor_invalid"
    r = await api.client.get(
        MEMBERS, params={"sort": "password"}, headers=api.auth(county.county_admin)
    )
    assert r.status_code == 422
    assert r.json()["code"] == "pagination.sort_invalid"


async def test_status_cannot_be_patched(api, county):
    member = await api.member(county.county_admin, county.branch_a["id"])
    r = await api.client.patch(
        f"{MEMBERS}/{member['id']}", json={"status": "left"}, headers=api.auth(county.county_admin)
    )
    assert r.status_code == 422
    assert r.json()["errors"][0]["field"] == "status"


async def test_patch_honours_if_match_and_bumps_version(api, county):
    member = await api.member(county.county_admin, county.branch_a["id"])
    url = f"{MEMBERS}/{member['id']}"
    headers = api.auth(county.county_admin)
    r = await api.client.patch(
        url, json={"education": "大学本科"}, headers={**headers, "If-Match": '"1"'}
    )
    assert r.status_code == 200
    assert r.json()["version"] == 2
    r = await api.client.patch(
        url, json={"education": "研究生"}, headers={**headers, "If-Match": '"1"'}
    )
    assert r.status_code == 412


async def test_idempotency_key_replays_the_first_response(api, county):
    payload = {
        "name": "重试",
        "id_number": new_id_number(),
        "org_id": county.branch_a["id"],
        "status": "full",
        "category": "employed",
    }
    headers = {**api.auth(county.county_admin), "Idempotency-Key": "create-member-42"}
    first = await api.client.post(MEMBERS, json=payload, headers=headers)
    second = await api.client.post(MEMBERS, json=payload, headers=headers)
    assert first.status_code == second.status_code == 201
    assert first.json() == second.json()
    assert second.headers["location"] == first.headers["location"]
    assert second.headers["idempotent-replayed"] == "true"
    listed = await api.client.get(
        MEMBERS,
        params={"org_id": county.branch_a["id"], "q": "重试"},
        headers=api.auth(county.county_admin),
    )
    assert len(listed.json()["items"]) == 1
    changed = await api.client.post(MEMBERS, json={**payload, "name": "别的"}, headers=headers)
    assert changed.status_code == 422
    assert changed.json()["code"] == "idempotency.key_reused"


async def test_idempotency_keys_are_per_user(api, county):
    payload = {
        "code": "IDEM-" + new_id_number()[-8:],
        "name": "幂等",
        "type": "branch",
        "parent_id": county.town_a["id"],
    }
    key = {"Idempotency-Key": "same-key"}
    r = await api.client.post(
        "/api/v1/organisations", json=payload, headers={**api.auth(county.admin_a), **key}
    )
    assert r.status_code == 201
    r2 = await api.client.post(
        "/api/v1/organisations", json=payload, headers={**api.auth(county.county_admin), **key}
    )
    # Another user with the same key is not a replay: the code is simply taken.
    assert r2.status_code == 409


async def test_concurrent_retries_with_one_idempotency_key_create_one_member(api, county):
    import asyncio

    payload = {
        "name": "并发",
        "id_number": new_id_number(),
        "org_id": county.branch_b["id"],
        "status": "full",
        "category": "employed",
    }
    headers = {**api.auth(county.county_admin), "Idempotency-Key": "concurrent-create-1"}
    responses = await asyncio.gather(
        *[api.client.post(MEMBERS, json=payload, headers=headers) for _ in range(5)]
    )
    # The retries wait for the first request and replay its answer: one member, five 201s.
    assert [r.status_code for r in responses] == [201] * 5
    assert len({r.json()["id"] for r in responses}) == 1
    replays = [r for r in responses if r.headers.get("idempotent-replayed") == "true"]
    assert len(replays) == 4
    listed = await api.client.get(
        MEMBERS,
        params={"org_id": county.branch_b["id"], "q": "并发"},
        headers=api.auth(county.county_admin),
    )
    assert len(listed.json()["items"]) == 1


async def test_default_member_pages_walk_the_subtree_branch_by_branch(api, county):
    created = []
    for branch in (
        county.branch_a,
        county.branch_b,
        county.branch_a,
        county.branch_b,
        county.branch_a,
    ):
        created.append(await api.member(county.county_admin, branch["id"]))
    seen, cursor = [], None
    while True:
        params = {"within": county.county["id"], "limit": 2}
        if cursor:
            params["cursor"] = cursor
        body = (
            await api.client.get(MEMBERS, params=params, headers=api.auth(county.county_admin))
        ).json()
        seen += body["items"]
        cursor = body["next_cursor"]
        if not cursor:
            break
    assert sorted(m["id"] for m in seen) == sorted(m["id"] for m in created)
    orgs = [m["org_id"] for m in seen]
    # Each branch's members come together (tree order), none twice.
    assert orgs == sorted(orgs, key=orgs.index)
    assert len(set(orgs)) == 2 and orgs.count(county.branch_a["id"]) == 3


async def test_member_read_and_page_bodies_are_exactly_the_documented_schema(api, county):
    # GET /members/{id} and the list write their JSON straight from rows (orjson, no
    # pydantic model): the body must still be MemberRead field for field, with the same
    # values, dates and UTC times as the create response, which goes through the model.
    from app.schemas.members import MemberRead

    created = await api.member(
        county.county_admin,
        county.branch_a["id"],
        phone="13812348000",
        joined_on="2020-07-01",
        full_on="2021-07-01",
        work_unit="青山县农机站",
    )
    r = await api.client.get(f"{MEMBERS}/{created['id']}", headers=api.auth(county.admin_a))
    assert r.status_code == 200
    assert r.headers["content-type"] == "application/json"
    assert r.headers["etag"] == f'"{created["version"]}"'
    body = r.json()
    assert set(body) == set(MemberRead.model_fields)
    assert MemberRead.model_validate(body).model_dump(mode="json") == body
    assert body == created
    assert body["created_at"].endswith("Z")
    listed = await api.client.get(
        MEMBERS,
        params={"org_id": county.branch_a["id"], "limit": 500},
        headers=api.auth(county.admin_a),
    )
    assert set(listed.json()) == {"items", "next_cursor", "total"}
    [item] = [m for m in listed.json()["items"] if m["id"] == created["id"]]
    assert item == created


async def test_name_prefix_is_literal_and_pages_by_birth_date_walk_every_match_once(api, county):
    # `%` and `_` in `q` are characters, not wildcards; a page by birth date with a
    # cursor (a date key) and a total walks each matching member exactly once.
    token = county.county_admin
    branch = county.branch_b["id"]
    literal = await api.member(token, branch, name="王_明")
    await api.member(token, branch, name="王小明")
    percent = await api.member(token, branch, name="王%")
    headers = api.auth(token)
    for q, expected in (("王_", {literal["id"]}), ("王%", {percent["id"]})):
        r = await api.client.get(MEMBERS, params={"org_id": branch, "q": q}, headers=headers)
        assert {m["id"] for m in r.json()["items"]} == expected
    made = [await api.member(token, branch, name=f"赵{i}", status="probationary") for i in range(5)]
    seen: list[dict] = []
    params = {"org_id": branch, "status": "probationary", "q": "赵", "sort": "-birth_date"}
    params |= {"limit": 2, "include_total": "true"}
    while True:
        r = await api.client.get(MEMBERS, params=params, headers=headers)
        assert r.status_code == 200, r.text
        page = r.json()
        assert page["total"] == 5
        seen += page["items"]
        if not page["next_cursor"]:
            break
        params["cursor"] = page["next_cursor"]
    assert sorted(m["id"] for m in seen) == sorted(m["id"] for m in made)
    keys = [(m["birth_date"], m["id"]) for m in seen]
    assert [k[0] for k in keys] == sorted((k[0] for k in keys), reverse=True)


@pytest.mark.parametrize("status", ["applicant", "activist", "candidate"])
async def test_the_development_pipeline_requires_the_application_date(api, county, status):
    r = await api.client.post(
        MEMBERS,
        json={
            "name": "申请人",
            "id_number": new_id_number(date(1990, 1, 1)),
            "org_id": county.branch_a["id"],
            "status": status,
            "category": "employed",
        },
        headers=api.auth(county.county_admin),
    )
    assert r.status_code == 422
    body = r.json()
    assert body["code"] == "member.applied_on_required"
    assert body["errors"][0]["field"] == "applied_on"


async def test_an_applicant_is_eighteen_on_the_eighteenth_birthday_not_the_day_before(api, county):
    born = date(2006, 6, 1)

    async def apply(applied_on):
        return await api.client.post(
            MEMBERS,
            json={
                "name": "青年",
                "id_number": new_id_number(born),
                "org_id": county.branch_a["id"],
                "status": "applicant",
                "category": "student",
                "applied_on": applied_on,
            },
            headers=api.auth(county.county_admin),
        )

    day_before = await apply("2024-05-31")
    assert day_before.status_code == 422
    assert day_before.json()["code"] == "member.under_age"
    assert (await apply("2024-06-01")).status_code == 201


async def test_an_activist_cannot_lose_the_application_date(api, county):
    member = await api.member(
        county.county_admin, county.branch_a["id"], status="activist", applied_on="2021-01-01"
    )
    r = await api.client.patch(
        f"{MEMBERS}/{member['id']}",
        json={"applied_on": None},
        headers=api.auth(county.county_admin),
    )
    assert r.status_code == 422, r.text
    assert r.json()["code"] == "member.applied_on_required"
