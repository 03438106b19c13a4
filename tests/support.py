"""Helpers for API tests: unique codes, valid ID numbers, and an `Api` wrapper.

Fixture data that a test only stands on (the `county` subtree, its admins, users made
with `Api.user`) is written through the service functions in one transaction, not
over HTTP: the same rules apply (scope, grants, audit), at a fraction of the cost.
What a test exercises it still does over HTTP.
"""

from __future__ import annotations

import contextlib
import itertools
import uuid
from collections.abc import AsyncIterator, Iterator
from datetime import date, timedelta
from typing import Any

import httpx

from app import clock
from app.models.enums import OrgType, Role
from app.services.id_numbers import make_id_number

PASSWORD = "correct horse battery"
_serial = itertools.count(1)


def unique(prefix: str = "T") -> str:
    return f"{prefix}-{uuid.uuid4().hex[:12]}"


def new_id_number(birth: date | None = None, male: bool | None = None) -> str:
    """A valid ID number not used before in this run. Unless `birth` is given, its holder
    was born 1955-1979: old enough at any joining date the tests write (2000 on), however
    many numbers the run has drawn before (a later serial once gave a 1992 birth, under 18
    when joining in 2010, and the import refused the row)."""
    n = next(_serial)
    born = birth or date(1955, 1, 1) + timedelta(days=(n * 37) % 9000)
    sequence = (n % 499) * 2 + (1 if (male if male is not None else n % 2 == 1) else 0)
    area = f"{110100 + (n // 499) % 99:06d}"
    return make_id_number(area, born, sequence)


class Api:
    """Thin helpers over the HTTP API so tests read as the user's steps."""

    def __init__(self, client: httpx.AsyncClient, root_id: str, admin_token: str) -> None:
        self.client = client
        self.root_id = root_id
        self.admin_token = admin_token

    @staticmethod
    def auth(token: str, **extra: str) -> dict[str, str]:
        return {"Authorization": f"Bearer {token}", **extra}

    async def login(self, username: str, password: str = PASSWORD) -> dict[str, Any]:
        r = await self.client.post(
            "/api/v1/auth/token", data={"username": username, "password": password}
        )
        assert r.status_code == 200, r.text
        body: dict[str, Any] = r.json()
        return body

    async def token(self, username: str, password: str = PASSWORD) -> str:
        return str((await self.login(username, password))["access_token"])

    async def org(
        self, token: str, parent_id: str | None, type_: str = "committee", **fields: Any
    ) -> dict[str, Any]:
        payload = {
            "code": fields.pop("code", unique("ORG")),
            "name": fields.pop("name", "测试组织"),
            "type": type_,
            "parent_id": parent_id,
            **fields,
        }
        r = await self.client.post("/api/v1/organisations", json=payload, headers=self.auth(token))
        assert r.status_code == 201, r.text
        body: dict[str, Any] = r.json()
        return body

    async def member(self, token: str, org_id: str, **fields: Any) -> dict[str, Any]:
        if fields.get("status") in ("applicant", "activist", "candidate"):
            # The development pipeline needs its application date (the 18-year rule).
            fields.setdefault("applied_on", "2020-01-01")
        payload = {
            "name": fields.pop("name", "张三"),
            "id_number": fields.pop("id_number", None) or new_id_number(),
            "org_id": org_id,
            "status": fields.pop("status", "full"),
            "category": fields.pop("category", "employed"),
            **fields,
        }
        r = await self.client.post("/api/v1/members", json=payload, headers=self.auth(token))
        assert r.status_code == 201, r.text
        body: dict[str, Any] = r.json()
        return body

    async def transitions(
        self, token: str, member_id: str, steps: list[tuple[str, str]], reason: str = "失联后恢复"
    ) -> None:
        """Record the member's status history: each (to_status, effective_date) in turn."""
        for to_status, on in steps:
            r = await self.client.post(
                f"/api/v1/members/{member_id}/transitions",
                json={"to_status": to_status, "effective_date": on, "reason": reason},
                headers=self.auth(token),
            )
            assert r.status_code == 201, r.text

    async def user(
        self, token: str, role: str, org_id: str, member_id: str | None = None
    ) -> tuple[dict[str, Any], str]:
        """Create a user as the holder of `token` (through the services, so the same grant
        and scope rules apply) and return it with a fresh access token."""
        from app.db import get_sessionmaker

        async with get_sessionmaker()() as session, session.begin():
            return await _user(session, token, role, org_id, member_id)

    async def county(self) -> County:
        """A fresh county: committee -> two townships -> a branch each, with admins.

        Built through the services in one transaction (what 11 HTTP calls did)."""
        from app.db import get_sessionmaker

        async with get_sessionmaker()() as session, session.begin():
            county = await _org(session, self.admin_token, self.root_id, "committee", "县委")
            _, county_admin = await _user(session, self.admin_token, "org_admin", county["id"])
            town_a = await _org(session, county_admin, county["id"], "committee", "甲镇党委")
            town_b = await _org(session, county_admin, county["id"], "committee", "乙镇党委")
            branch_a = await _org(session, county_admin, town_a["id"], "branch", "甲村党支部")
            branch_b = await _org(session, county_admin, town_b["id"], "branch", "乙村党支部")
            _, admin_a = await _user(session, county_admin, "org_admin", town_a["id"])
            _, admin_b = await _user(session, county_admin, "org_admin", town_b["id"])
        return County(county, town_a, town_b, branch_a, branch_b, county_admin, admin_a, admin_b)


async def _principal(session: Any, token: str) -> Any:
    from app.config import get_settings
    from app.services import principals

    return await principals.principal_from_access_token(session, get_settings(), token)


async def _org(session: Any, token: str, parent_id: str, type_: str, name: str) -> dict[str, Any]:
    from app.schemas.organisations import OrganisationCreate, OrganisationRead
    from app.services.organisations import create_organisation

    data = OrganisationCreate(
        code=unique("ORG"), name=name, type=OrgType(type_), parent_id=uuid.UUID(parent_id)
    )
    org = await create_organisation(session, await _principal(session, token), data)
    body: dict[str, Any] = OrganisationRead.model_validate(org).model_dump(mode="json")
    return body


async def _user(
    session: Any, token: str, role: str, org_id: str, member_id: str | None = None
) -> tuple[dict[str, Any], str]:
    from app.config import get_settings
    from app.schemas.users import UserCreate, UserRead
    from app.services import auth
    from app.services.users import create_user

    data = UserCreate(
        username=unique("u").replace("-", "_"),
        password=PASSWORD,
        role=Role(role),
        org_id=uuid.UUID(org_id),
        member_id=uuid.UUID(member_id) if member_id else None,
    )
    user = await create_user(session, await _principal(session, token), data)
    pair = await auth.login(session, get_settings(), data.username, PASSWORD, "factory")
    body: dict[str, Any] = UserRead.model_validate(user).model_dump(mode="json")
    return body, pair.access_token


class County:
    def __init__(
        self,
        county: dict[str, Any],
        town_a: dict[str, Any],
        town_b: dict[str, Any],
        branch_a: dict[str, Any],
        branch_b: dict[str, Any],
        county_admin: str,
        admin_a: str,
        admin_b: str,
    ) -> None:
        self.county = county
        self.town_a = town_a
        self.town_b = town_b
        self.branch_a = branch_a
        self.branch_b = branch_b
        self.county_admin = county_admin
        self.admin_a = admin_a
        self.admin_b = admin_b


async def drain_changes(
    api: Api, token: str, since: str | None = None
) -> tuple[list[dict[str, Any]], str | None]:
    """Read the change feed to its current end; returns (changes, cursor)."""
    out: list[dict[str, Any]] = []
    while True:
        params: dict[str, Any] = {"limit": 50}
        if since:
            params["since"] = since
        r = await api.client.get("/api/v1/changes", params=params, headers=api.auth(token))
        assert r.status_code == 200, r.text
        body = r.json()
        out += body["items"]
        if not body["items"]:
            return out, body["next_cursor"] or since
        since = body["next_cursor"]


@contextlib.asynccontextmanager
async def every_pooled_connection(engine: Any) -> AsyncIterator[list[Any]]:
    """Every connection of the engine's pool at once (each an `AsyncConnection`), the one
    a request session handed on included (`sessions.return_idle`), plus one more."""
    from app.sessions import return_idle

    await return_idle(engine)
    async with contextlib.AsyncExitStack() as stack:
        count = engine.sync_engine.pool.checkedin() + 1
        yield [await stack.enter_async_context(engine.connect()) for _ in range(count)]


@contextlib.contextmanager
def counting() -> Iterator[list[str]]:
    """The SQL statements sent while the block runs: SQLAlchemy's and the raw driver's."""
    from sqlalchemy import event

    from app import db

    statements: list[str] = []

    def record(conn: Any, cursor: Any, statement: str, *args: Any) -> None:
        statements.append(statement)

    def record_driver(statement: str, args: Any, many: bool) -> None:
        statements.append(statement)

    engine = db.get_engine().sync_engine
    event.listen(engine, "before_cursor_execute", record)
    db.driver_statement_hooks.append(record_driver)
    try:
        yield statements
    finally:
        event.remove(engine, "before_cursor_execute", record)
        db.driver_statement_hooks.remove(record_driver)


@contextlib.contextmanager
def driver_statements() -> Iterator[list[tuple[str, tuple[Any, ...]]]]:
    """The statements sent on the driver (`app.db`'s hot path) while the block runs,
    each with its arguments, to EXPLAIN them as sent."""
    from app import db

    sent: list[tuple[str, tuple[Any, ...]]] = []

    def record(statement: str, args: Any, many: bool) -> None:
        sent.append((statement, tuple(args)))

    db.driver_statement_hooks.append(record)
    try:
        yield sent
    finally:
        db.driver_statement_hooks.remove(record)


def sql_literal(value: object) -> str:
    """A statement argument as SQL text, for `EXECUTE` of a `PREPARE`d statement."""
    if value is None:
        return "NULL"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, list | tuple):
        return "'{" + ",".join(str(v) for v in value) + "}'"
    return "'" + str(value).replace("'", "''") + "'"


async def admission_meeting(
    api: Api, token: str, branch_id: str, member_id: str, held_on: str, *, add_voter: bool = True
) -> str:
    """A general meeting of the branch on `held_on` whose passed decision admits the member
    to probation (no status named: the transition is entered by hand and names the
    meeting). `add_voter=False` when the branch already has full members to vote, so a
    test counting members sees no extra one."""
    if add_voter:
        await api.member(token, branch_id)
    r = await api.client.post(
        "/api/v1/meetings",
        json={"org_id": branch_id, "type": "general_meeting", "held_on": held_on, "topic": "t"},
        headers=api.auth(token),
    )
    assert r.status_code == 201, r.text
    meeting = r.json()
    present = [{"member_id": a["member_id"], "presence": "present"} for a in meeting["attendance"]]
    assert present, "the branch has nobody to vote"
    r = await api.client.put(
        f"/api/v1/meetings/{meeting['id']}/attendance", json=present, headers=api.auth(token)
    )
    assert r.status_code == 200, r.text
    r = await api.client.post(
        f"/api/v1/meetings/{meeting['id']}/votes",
        json={"kind": "decision", "subject": "接收", "ayes": len(present), "nays": 0}
        | {"member_id": member_id},
        headers=api.auth(token),
    )
    assert r.json()["passed"] is True, r.text
    return str(meeting["id"])


async def _steps_done(api: Api, token: str, member_id: str) -> dict[str, set[str]]:
    """The member's steps done so far: the days of each."""
    r = await api.client.get(
        f"/api/v1/members/{member_id}/development-steps", headers=api.auth(token)
    )
    assert r.status_code == 200, r.text
    done: dict[str, set[str]] = {}
    for e in r.json()["items"]:
        done.setdefault(e["step"], set()).add(e["done_on"])
    return done


async def _contact(api: Api, token: str, member: dict[str, Any]) -> str:
    """A full member of the member's organisation to name as contact (培养联系人)."""
    r = await api.client.get(
        "/api/v1/members",
        params={"org_id": member["org_id"], "status": "full", "limit": 5},
        headers=api.auth(token),
    )
    assert r.status_code == 200, r.text
    others = [m["id"] for m in r.json()["items"] if m["id"] != member["id"]]
    return others[0] if others else str((await api.member(token, member["org_id"]))["id"])


async def record_steps(api: Api, token: str, member_id: str, to_status: str, on: str) -> None:
    """Record, over the API, the steps of the admission record that the member's next
    transition (into `to_status`, effective `on`) needs, each on the earliest day the rules
    allow: what a test that is not about the steps does before a transition."""
    from app.services.lifecycle.development.rules import months_between
    from app.services.lifecycle.periods import add_months

    r = await api.client.get(f"/api/v1/members/{member_id}", headers=api.auth(token))
    assert r.status_code == 200, r.text
    member = r.json()
    day = date.fromisoformat(on)
    done = await _steps_done(api, token, member_id)
    url = f"/api/v1/members/{member_id}/development-steps"

    async def step(code: str, when: date, **extra: Any) -> None:
        body = {"step": code, "done_on": str(when), **extra}
        r = await api.client.post(url, json=body, headers=api.auth(token))
        assert r.status_code == 201, (code, r.text)

    async def reviews(code: str, since: date, every: int) -> None:
        for k in range(1, months_between(since, day) // every + 1):
            if str(add_months(since, k * every)) not in done.get(code, set()):
                await step(code, add_months(since, k * every))

    if to_status == "activist" and "talk" not in done:
        await step("talk", date.fromisoformat(member["applied_on"]))
    elif to_status == "candidate":
        since = date.fromisoformat(member["activist_on"] or member["status_since"])
        if "contacts_assigned" not in done:
            await step(
                "contacts_assigned", since, responsible_ids=[await _contact(api, token, member)]
            )
        await reviews("activist_review", since, 6)
    elif to_status == "probationary":
        await _admission_steps(api, token, member, done, step, day)
    elif to_status == "full":
        joined = date.fromisoformat(member["joined_on"])
        for code in ("committee_talk", "approval", "oath", "full_application"):
            if code not in done:
                await step(code, joined)
        await reviews("probation_review", joined, 3)


async def _admission_steps(
    api: Api,
    token: str,
    member: dict[str, Any],
    done: dict[str, set[str]],
    step: Any,
    day: date,
) -> None:
    """Stage 3 and 4 before the vote: review, training, pre-review on the candidate day,
    a 5-working-day 公示 from then and a 志愿书 number from a fresh range (a record with no
    candidate day: two months before the vote)."""
    known = member["candidate_on"] or member["status_since"]
    since = date.fromisoformat(known) if known else day - timedelta(days=60)
    for code, extra in (
        ("political_review", {}),
        ("training", {"training_hours": 24}),
        ("pre_review", {}),
    ):
        if code not in done:
            await step(code, since, **extra)
    mid = member["id"]
    if "notice" not in done:
        r = await api.client.post(
            f"/api/v1/members/{mid}/notices",
            json={"kind": "admission", "starts_on": str(since), "working_days": 5},
            headers=api.auth(token),
        )
        assert r.status_code == 201, r.text
    if "form_issued" not in done:
        prefix = unique("F")[:20]
        r = await api.client.post(
            "/api/v1/form-number-ranges",
            json={"org_id": member["org_id"], "prefix": prefix, "first_number": 1,
                  "last_number": 1},
            headers=api.auth(token),
        )  # fmt: skip
        assert r.status_code == 201, r.text
        r = await api.client.post(
            f"/api/v1/members/{mid}/form-number",
            json={"prefix": prefix, "number": 1, "used_on": str(since)},
            headers=api.auth(token),
        )
        assert r.status_code == 201, r.text


# --- Fakes shared by several test modules ------------------------------------------


class Now:
    """`app.clock.utcnow` frozen at a moment the test moves (tokens read the same clock)."""

    def __init__(self) -> None:
        self.at = clock.utcnow().replace(microsecond=0)

    def move(self, **delta: float) -> None:
        self.at += timedelta(**delta)


APP_ID, SECRET = "wx-test-app", "test-app-secret"


class FakeWechat:
    """GET /sns/jscode2session?appid&secret&js_code&grant_type=authorization_code ->
    {openid, session_key, unionid?} or {errcode, errmsg}; each code works once."""

    def __init__(self) -> None:
        self.codes: dict[str, dict[str, Any]] = {}
        self.requests: list[dict[str, list[str]]] = []
        self.session_keys: list[str] = []

    def code_for(self, openid: str, unionid: str | None = None) -> str:
        code = unique("code")
        session_key = unique("sessionkey")
        self.session_keys.append(session_key)
        answer = {"openid": openid, "session_key": session_key}
        if unionid:
            answer["unionid"] = unionid
        self.codes[code] = answer
        return code

    def answer(self, query: dict[str, list[str]]) -> dict[str, Any]:
        self.requests.append(query)
        if query.get("appid") != [APP_ID] or query.get("secret") != [SECRET]:
            return {"errcode": 40013, "errmsg": "invalid appid"}
        if query.get("grant_type") != ["authorization_code"]:
            return {"errcode": 40002, "errmsg": "invalid grant_type"}
        code = (query.get("js_code") or [""])[0]
        if code == "busy":
            return {"errcode": -1, "errmsg": "system error"}
        answer = self.codes.pop(code, None)
        return answer or {"errcode": 40029, "errmsg": "invalid code"}
