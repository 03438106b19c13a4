"""GET /organisations/{id}/statistics/checks (逻辑校验) through HTTP: the failed rules with
their records and links, fixed records passing, a secretary satisfying the branch rule,
and another subtree answered 404."""

from __future__ import annotations

import itertools
import uuid
from datetime import date

import pytest
from sqlalchemy import select, update
from statistics_support import mixed_members
from support import new_id_number

from app.clock import today
from app.db import get_sessionmaker
from app.models.member import Member
from app.models.organisation import Organisation
from app.services.members.validation import age_on
from app.services.organisations import checks, member_changes
from app.services.organisations.stats import counted_members
from app.services.organisations.tally import UNKNOWN, education_row, ethnicity_row

V = "/api/v1"
AS_OF = {"as_of": "2026-06-30"}


async def _checks(api, token, org_id, **params):
    r = await api.client.get(
        f"{V}/organisations/{org_id}/statistics/checks",
        params={**AS_OF, **params},
        headers=api.auth(token),
    )
    assert r.status_code == 200, r.text
    return {c["code"]: c for c in r.json()["failed"]}, r.json()


async def test_a_counted_member_without_education_or_ethnicity_is_listed_with_a_link(api, county):
    member = await api.member(county.admin_a, county.branch_a["id"], joined_on="2015-07-01")
    failed, body = await _checks(api, county.admin_a, county.town_a["id"])
    assert not body["passed"] and "statistics.education_missing" in body["checked"]
    for code in ("statistics.education_missing", "statistics.ethnicity_missing"):
        assert failed[code]["count"] == 1 and failed[code]["message_en"]
        assert failed[code]["records"] == [
            {
                "kind": "member_record",
                "id": member["id"],
                "name": member["name"],
                "link": f"/api/v1/members/{member['id']}",
            }
        ]
    r = await api.client.patch(
        f"{V}/members/{member['id']}",
        json={"education": "21", "ethnicity": "01"},
        headers=api.auth(county.admin_a),
    )
    assert r.status_code == 200, r.text
    failed, _ = await _checks(api, county.admin_a, county.town_a["id"])
    assert "statistics.education_missing" not in failed
    assert "statistics.ethnicity_missing" not in failed
    assert "statistics.totals_disagree" not in failed


async def test_a_member_not_yet_joined_on_the_day_is_not_checked(api, county):
    await api.member(county.admin_a, county.branch_a["id"], joined_on="2026-06-01")
    failed, _ = await _checks(api, county.admin_a, county.town_a["id"], as_of="2026-05-31")
    assert "statistics.education_missing" not in failed
    failed, _ = await _checks(api, county.admin_a, county.town_a["id"], as_of="2026-06-01")
    assert failed["statistics.education_missing"]["count"] == 1


async def test_a_branch_without_a_secretary_fails_until_one_serves(api, county):
    failed, _ = await _checks(api, county.admin_a, county.town_a["id"])
    records = failed["statistics.branch_without_secretary"]["records"]
    assert [r["id"] for r in records] == [county.branch_a["id"]]
    member = await api.member(
        county.admin_a,
        county.branch_a["id"],
        joined_on="2015-07-01",
        education="21",
        ethnicity="01",
    )
    r = await api.client.post(
        f"{V}/organisations/{county.branch_a['id']}/leaders",
        json={"member_id": member["id"], "role": "secretary", "started_on": "2026-01-01"},
        headers=api.auth(county.county_admin),
    )
    assert r.status_code == 201, r.text
    failed, body = await _checks(api, county.admin_a, county.town_a["id"])
    assert "statistics.branch_without_secretary" not in failed
    assert body["passed"] is True, body
    before, _ = await _checks(api, county.admin_a, county.town_a["id"], as_of="2025-12-31")
    assert "statistics.branch_without_secretary" in before


async def test_the_checks_of_another_subtree_answer_404(api, county):
    r = await api.client.get(
        f"{V}/organisations/{county.branch_b['id']}/statistics/checks",
        params=AS_OF,
        headers=api.auth(county.admin_a),
    )
    assert r.status_code == 404


# --- Each record rule, failed by a legacy record (written past the API's validation) ---

BORN = date(1980, 1, 1)
CLEAN = {"joined_on": "2010-07-01", "full_on": "2011-07-01", "education": "21", "ethnicity": "01"}

# (rule, birth date, columns written into a clean counted record, fails): one failing
# record per rule and the edges that pass; ages in full years as `validation.age_on`.
CASES = [
    ("statistics.education_missing", BORN, {"education": None}, True),
    ("statistics.education_missing", BORN, {"education": "大专"}, False),
    ("statistics.ethnicity_missing", BORN, {"ethnicity": "火星族"}, True),
    ("statistics.ethnicity_missing", BORN, {"ethnicity": "1"}, False),
    ("statistics.gender_or_birth_missing", BORN, {"birth_date": date(2099, 1, 1)}, True),
    ("statistics.gender_or_birth_missing", BORN, {"birth_date": date(2000, 6, 30)}, False),
    ("statistics.joined_on_missing", BORN, {"joined_on": None}, True),
    ("statistics.joined_under_age", BORN, {"joined_on": date(1997, 12, 31)}, True),
    ("statistics.joined_under_age", BORN, {"joined_on": date(1998, 1, 1)}, False),
    ("statistics.joined_under_age", date(1992, 2, 29), {"joined_on": date(2010, 2, 28)}, True),
    ("statistics.joined_under_age", date(1992, 2, 29), {"joined_on": date(2010, 3, 1)}, False),
    ("statistics.full_before_joined", BORN, {"full_on": date(2010, 7, 1)}, True),
    ("statistics.full_before_joined", BORN, {"full_on": date(2010, 7, 2)}, False),
]


async def _legacy(api, county, born, columns):
    """A clean counted member of branch A, then `columns` written directly (a record
    imported before the rules existed)."""
    member = await api.member(
        county.admin_a, county.branch_a["id"], id_number=new_id_number(born), **CLEAN
    )
    async with get_sessionmaker()() as session, session.begin():
        await session.execute(
            update(Member).where(Member.id == uuid.UUID(member["id"])).values(**columns)
        )
    return member


def test_every_record_rule_has_a_failing_case():
    record_rules = {c.code for c in checks.CHECKS if c.record is not None}
    record_rules.discard("statistics.branch_without_secretary")  # its own test above
    assert {code for code, *_, fails in CASES if fails} == record_rules


@pytest.mark.parametrize(
    ("code", "born", "columns", "fails"), CASES, ids=lambda v: v if isinstance(v, str) else ""
)
async def test_each_record_rule_lists_the_record_failing_it(
    api, county, code, born, columns, fails
):
    member = await _legacy(api, county, born, columns)
    # Today: a record without a joining date is counted from the day it was created.
    failed, _ = await _checks(api, county.admin_a, county.town_a["id"], as_of=str(today()))
    if fails:
        assert failed[code]["count"] == 1
        assert [r["id"] for r in failed[code]["records"]] == [member["id"]]
    else:
        assert code not in failed, failed[code]


async def test_the_records_of_a_failed_check_are_capped_by_id_but_counted(api, county, monkeypatch):
    monkeypatch.setattr(checks, "RECORDS_CAP", 2)
    members = [await _legacy(api, county, BORN, {"education": None}) for _ in range(3)]
    failed, _ = await _checks(api, county.admin_a, county.town_a["id"])
    education = failed["statistics.education_missing"]
    assert education["count"] == 3
    assert [r["id"] for r in education["records"]] == sorted(m["id"] for m in members)[:2]


# --- The SQL rules equal the first implementation over everyone's histories ---------


def _oracle_rules(as_of):
    """The rules as first written in Python over the counted members' records."""
    genders = {"male", "female"}
    return {
        "statistics.education_missing": lambda m: education_row(m.education) == UNKNOWN,
        "statistics.ethnicity_missing": lambda m: ethnicity_row(m.ethnicity) == UNKNOWN,
        "statistics.gender_or_birth_missing": lambda m: (
            m.gender not in genders or m.birth_date is None or m.birth_date > as_of
        ),
        "statistics.joined_on_missing": lambda m: m.joined_on is None,
        "statistics.joined_under_age": lambda m: (
            m.joined_on is not None and age_on(m.birth_date, m.joined_on) < 18
        ),
        "statistics.full_before_joined": lambda m: (
            m.full_on is not None and m.joined_on is not None and m.full_on <= m.joined_on
        ),
    }


async def _oracle(org_id, as_of):
    async with get_sessionmaker()() as session:
        org = await session.scalar(select(Organisation).where(Organisation.id == uuid.UUID(org_id)))
        counted = counted_members(await member_changes.load_subtree(session, org), as_of)
    found = {}
    for code, fails in _oracle_rules(as_of).items():
        ids = sorted(str(m.id) for m in counted if fails(m))
        if ids:
            found[code] = ids
    return found


async def test_the_sql_rules_equal_the_python_rules_over_everyones_histories(api, county):
    await mixed_members(api, county)
    async with get_sessionmaker()() as session, session.begin():
        ids = list(
            await session.scalars(
                select(Member.id)
                .where(
                    Member.org_id.in_(
                        [uuid.UUID(county.branch_a["id"]), uuid.UUID(county.branch_b["id"])]
                    )
                )
                .order_by(Member.created_at)
            )
        )
        # Legacy faults on records as created and on those with a recorded change.
        for i, columns in enumerate(
            [{"joined_on": None}, {"full_on": date(1970, 1, 1)}, {"birth_date": date(2026, 12, 1)}]
        ):
            await session.execute(update(Member).where(Member.id.in_(ids[i::5])).values(**columns))
    orgs = [county.county["id"], county.town_a["id"], county.branch_b["id"]]
    days = [date(2012, 10, 31), date(2025, 12, 31), date(2026, 4, 1), today()]
    compared = 0
    for org_id, as_of in itertools.product(orgs, days):
        expected = await _oracle(org_id, as_of)
        failed, _ = await _checks(api, county.county_admin, org_id, as_of=str(as_of))
        got = {
            code: [r["id"] for r in c["records"]]
            for code, c in failed.items()
            if code in _oracle_rules(as_of)
        }
        assert got == expected, (org_id, as_of)
        assert all(failed[code]["count"] == len(ids) for code, ids in expected.items())
        compared += sum(len(ids) for ids in expected.values())
    assert compared > 0


# --- Every failing record, page by page ------------------------------------------------

EDUCATION = "statistics.education_missing"


def _records_url(org_id, code=EDUCATION):
    return f"{V}/organisations/{org_id}/statistics/checks/{code}/records"


async def _walk(api, token, url, limit):
    """Every page of `url` through its cursor: the ids in order and the first total."""
    ids, params, total, pages = [], {**AS_OF, "limit": limit, "include_total": "true"}, None, 0
    while True:
        r = await api.client.get(url, params=params, headers=api.auth(token))
        assert r.status_code == 200, r.text
        body = r.json()
        assert len(body["items"]) <= limit
        total = body["total"] if total is None else total
        ids += [record["id"] for record in body["items"]]
        pages += 1
        for record in body["items"]:
            assert record["link"] == f"/api/v1/members/{record['id']}"
        if body["next_cursor"] is None:
            return ids, total, pages
        params = {**AS_OF, "limit": limit, "cursor": body["next_cursor"]}


async def test_a_rule_failing_more_records_than_a_page_is_walked_whole_by_its_cursor(
    api, county, monkeypatch
):
    monkeypatch.setattr(checks, "RECORDS_CAP", 2)
    members = [await _legacy(api, county, BORN, {"education": None}) for _ in range(7)]
    await _legacy(api, county, BORN, {})  # a clean record, not listed
    failed, _ = await _checks(api, county.admin_a, county.town_a["id"])
    education = failed[EDUCATION]
    assert education["count"] == 7 and len(education["records"]) == 2
    url = _records_url(county.town_a["id"])
    assert education["all_records"] == f"{url}?as_of={AS_OF['as_of']}"
    ids, total, pages = await _walk(api, county.admin_a, url, limit=3)
    assert pages == 3 and total == education["count"]
    assert len(ids) == len(set(ids)) == education["count"]
    assert ids == sorted(m["id"] for m in members)
    assert ids[:2] == [r["id"] for r in education["records"]]


async def test_the_records_of_a_branch_rule_link_to_the_organisation(api, county):
    code = "statistics.branch_without_secretary"
    r = await api.client.get(
        _records_url(county.town_a["id"], code), params=AS_OF, headers=api.auth(county.admin_a)
    )
    assert r.status_code == 200, r.text
    assert r.json()["items"] == [
        {
            "kind": "organisation_record",
            "id": county.branch_a["id"],
            "name": county.branch_a["name"],
            "link": f"/api/v1/organisations/{county.branch_a['id']}",
        }
    ]


async def test_the_records_of_another_subtree_answer_404_and_an_unknown_rule_422_first(api, county):
    headers = api.auth(county.admin_a)
    r = await api.client.get(_records_url(county.branch_b["id"]), params=AS_OF, headers=headers)
    assert r.status_code == 404, r.text
    for code in ("statistics.totals_disagree", "no.such_rule"):
        r = await api.client.get(
            _records_url(county.branch_b["id"], code), params=AS_OF, headers=headers
        )
        assert r.status_code == 422, r.text
        assert r.json()["code"] == "statistics.check_unknown"


async def test_a_member_user_may_not_read_the_records_of_a_check(api, county):
    member = await api.member(county.admin_a, county.branch_a["id"], joined_on="2015-07-01")
    _, token = await api.user(county.admin_a, "member", county.branch_a["id"], member["id"])
    r = await api.client.get(
        _records_url(county.branch_a["id"]), params=AS_OF, headers=api.auth(token)
    )
    assert r.status_code == 403, r.text
    r = await api.client.get(
        f"{V}/organisations/{county.branch_a['id']}/statistics/checks",
        params=AS_OF,
        headers=api.auth(token),
    )
    assert r.status_code == 403, r.text
