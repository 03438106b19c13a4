"""Helpers for API tests: unique codes, valid ID numbers, and an `Api` wrapper."""

from __future__ import annotations

import itertools
import uuid
from datetime import date, timedelta
from typing import Any

import httpx

from app.services.id_numbers import make_id_number

PASSWORD = "correct horse battery"
_serial = itertools.count(1)


def unique(prefix: str = "T") -> str:
    return f"{prefix}-{uuid.uuid4().hex[:12]}"


def new_id_number(birth: date | None = None, male: bool | None = None) -> str:
    """A valid ID number not used before in this run."""
    n = next(_serial)
    born = birth or date(1960, 1, 1) + timedelta(days=(n * 37) % 12000)
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

    async def user(
        self, token: str, role: str, org_id: str, member_id: str | None = None
    ) -> tuple[dict[str, Any], str]:
        """Create a user through the API and return it with a fresh access token."""
        username = unique("u").replace("-", "_")
        payload = {
            "username": username,
            "password": PASSWORD,
            "role": role,
            "org_id": org_id,
            "member_id": member_id,
        }
        r = await self.client.post("/api/v1/users", json=payload, headers=self.auth(token))
        assert r.status_code == 201, r.text
        return r.json(), await self.token(username)

    async def county(self) -> County:
        """A fresh county: committee -> two townships -> a branch each, with admins."""
        county = await self.org(self.admin_token, self.root_id, "committee", name="县委")
        _, county_admin = await self.user(self.admin_token, "org_admin", county["id"])
        town_a = await self.org(county_admin, county["id"], "committee", name="甲镇党委")
        town_b = await self.org(county_admin, county["id"], "committee", name="乙镇党委")
        branch_a = await self.org(county_admin, town_a["id"], "branch", name="甲村党支部")
        branch_b = await self.org(county_admin, town_b["id"], "branch", name="乙村党支部")
        _, admin_a = await self.user(county_admin, "org_admin", town_a["id"])
        _, admin_b = await self.user(county_admin, "org_admin", town_b["id"])
        return County(county, town_a, town_b, branch_a, branch_b, county_admin, admin_a, admin_b)


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
