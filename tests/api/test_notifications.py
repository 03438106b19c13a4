"""Notifications: the inbox through `/me/notifications`, reminders from the to-dos
delivered by the worker to a real SMTP server (aiosmtpd) and to a local server with the
WeChat subscribe-message contract."""

from __future__ import annotations

import json
import socket
import threading
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from email import message_from_bytes
from email.header import decode_header, make_header
from email.policy import default
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlparse

import httpx
import pytest
from aiosmtpd.controller import Controller
from sqlalchemy import select
from support import unique

from app import clock
from app.config import get_settings
from app.db import get_sessionmaker
from app.models.notification import Notification, NotificationAddress, NotificationDelivery
from app.services import notifications
from app.services.notifications.channels import Permanent, WechatSender
from app.worker import run_once

V = "/api/v1"
APP_ID, SECRET, TEMPLATE = "wx-notify-app", "notify-secret", "tmpl-reminder"
REFUSER = "openid-who-refused"


class Mailbox:
    """aiosmtpd handler: keeps every message it accepts."""

    def __init__(self) -> None:
        self.messages: list[tuple[list[str], bytes]] = []

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:  # noqa: N802 (aiosmtpd calls it so)
        self.messages.append((list(envelope.rcpt_tos), bytes(envelope.content)))
        return "250 Message accepted for delivery"

    def subjects(self) -> list[str]:
        return [
            str(make_header(decode_header(message_from_bytes(raw)["Subject"])))
            for _, raw in self.messages
        ]


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture
def smtp(monkeypatch) -> Iterator[Mailbox]:
    box = Mailbox()
    controller = Controller(box, hostname="127.0.0.1", port=_free_port())
    controller.start()
    settings = get_settings()
    monkeypatch.setattr(settings, "smtp_host", "127.0.0.1")
    monkeypatch.setattr(settings, "smtp_port", controller.port)
    monkeypatch.setattr(settings, "smtp_from", "dangjian@test.invalid")
    yield box
    controller.stop()


class FakeWechat:
    """jscode2session (to bind), GET /cgi-bin/token?grant_type=client_credential&appid&
    secret -> {access_token, expires_in}, POST /cgi-bin/message/subscribe/send?access_token
    with {touser, template_id, page, data} -> {errcode: 0, errmsg: "ok"}."""

    def __init__(self) -> None:
        self.codes: dict[str, str] = {}
        self.token_queries: list[dict[str, list[str]]] = []
        self.sends: list[tuple[dict[str, list[str]], dict[str, Any]]] = []
        self.token = unique("token")

    def get(self, path: str, query: dict[str, list[str]]) -> dict[str, Any]:
        if path == "/sns/jscode2session":
            openid = self.codes.pop((query.get("js_code") or [""])[0], None)
            return {"openid": openid, "session_key": "k"} if openid else {"errcode": 40029}
        if path == "/cgi-bin/token":
            self.token_queries.append(query)
            if query.get("appid") != [APP_ID] or query.get("secret") != [SECRET]:
                return {"errcode": 40013, "errmsg": "invalid appid"}
            return {"access_token": self.token, "expires_in": 7200}
        return {"errcode": 404}

    def post(self, path: str, query: dict[str, list[str]], body: dict[str, Any]) -> dict[str, Any]:
        if path != "/cgi-bin/message/subscribe/send":
            return {"errcode": 404}
        self.sends.append((query, body))
        if body.get("touser") == REFUSER:
            return {"errcode": 43101, "errmsg": "user refuse to accept the msg"}
        if query.get("access_token") != [self.token]:
            return {"errcode": 40001, "errmsg": "invalid credential"}
        return {"errcode": 0, "errmsg": "ok"}


@pytest.fixture
def wechat(monkeypatch) -> Iterator[FakeWechat]:
    fake = FakeWechat()

    class Handler(BaseHTTPRequestHandler):
        def _answer(self, body: dict[str, Any]) -> None:
            data = json.dumps(body).encode()
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def do_GET(self) -> None:
            url = urlparse(self.path)
            self._answer(fake.get(url.path, parse_qs(url.query)))

        def do_POST(self) -> None:
            url = urlparse(self.path)
            raw = self.rfile.read(int(self.headers.get("Content-Length", "0")))
            self._answer(fake.post(url.path, parse_qs(url.query), json.loads(raw)))

        def log_message(self, *args: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    settings = get_settings()
    monkeypatch.setattr(settings, "wechat_api_base", f"http://127.0.0.1:{server.server_port}")
    monkeypatch.setattr(settings, "wechat_app_id", APP_ID)
    monkeypatch.setattr(settings, "wechat_app_secret", SECRET)
    monkeypatch.setattr(settings, "wechat_reminder_template_id", TEMPLATE)
    yield fake
    server.shutdown()
    server.server_close()


async def _get(api, token: str, url: str, **params: Any) -> Any:
    r = await api.client.get(V + url, params=params, headers=api.auth(token))
    assert r.status_code == 200, r.text
    return r.json()


async def _user_id(api, token: str) -> uuid.UUID:
    return uuid.UUID((await _get(api, token, "/auth/me"))["id"])


async def _set_address(api, token: str, email: str | None) -> None:
    r = await api.client.put(
        f"{V}/me/notification-address", json={"email": email}, headers=api.auth(token)
    )
    assert r.status_code == 200, r.text


async def _worker_pass(user_id: uuid.UUID) -> int:
    """The worker's daily reminder step for one user, then one delivery pass."""
    async with get_sessionmaker()() as session, session.begin():
        written = await notifications.remind_user(session, get_settings(), user_id, clock.today())
    async with httpx.AsyncClient(timeout=5.0) as client:
        await run_once(client)
    return written


async def _flagged_applicant(api, county) -> dict[str, Any]:
    """An applicant whose talk (谈话) is years overdue: one member flag, one to-do."""
    name = unique("申请人")
    return await api.member(
        county.admin_a, county.branch_a["id"], status="applicant", applied_on="2020-01-01",
        name=name,
    )  # fmt: skip


async def test_a_reminder_arrives_once_by_email_and_not_again_the_same_day(api, county, smtp):
    applicant = await _flagged_applicant(api, county)
    await _set_address(api, county.admin_a, "secretary@test.invalid")
    user_id = await _user_id(api, county.admin_a)

    first = await _worker_pass(user_id)
    assert first >= 1
    assert len(smtp.messages) == first
    assert all(to == ["secretary@test.invalid"] for to, _ in smtp.messages)
    assert all(s.startswith("待办提醒") for s in smtp.subjects())
    bodies = [message_from_bytes(raw, policy=default).get_content() for _, raw in smtp.messages]
    assert sum(applicant["name"] in b for b in bodies) == 1, bodies

    assert await _worker_pass(user_id) == 0
    assert len(smtp.messages) == first

    inbox = await _get(api, county.admin_a, "/me/notifications", include_total="true")
    assert inbox["total"] == first
    links = [n["link"] for n in inbox["items"] if applicant["name"] in n["body"]]
    assert links == [{"resource": "member", "id": applicant["id"]}]


async def test_a_kind_the_policy_turns_off_is_not_reminded(api, county, smtp):
    await _flagged_applicant(api, county)
    r = await api.client.put(
        f"{V}/organisations/{county.town_a['id']}/policies",
        json={"values": {"reminder_member_flagged": "none"}},
        headers=api.auth(county.county_admin),
    )
    assert r.status_code == 200, r.text
    user_id = await _user_id(api, county.admin_a)
    await _worker_pass(user_id)
    inbox = await _get(api, county.admin_a, "/me/notifications")
    assert [n for n in inbox["items"] if n["kind"] == "member_flagged"] == []


async def _notify(user_id: uuid.UUID, title: str) -> uuid.UUID:
    message = notifications.Message(kind="meeting_due", title=title, body="本季度应开党员大会")
    async with get_sessionmaker()() as session, session.begin():
        written = await notifications.notify(session, get_settings(), user_id, message)
    assert written is not None
    return written


async def test_the_inbox_answers_only_the_callers_notifications(api, county):
    mine = await _notify(await _user_id(api, county.admin_a), unique("通知"))
    other = county.admin_b
    assert (await _get(api, other, "/me/notifications"))["items"] == []
    assert (await _get(api, other, "/me/notifications/unread-count")) == {"unread": 0}
    r = await api.client.post(f"{V}/me/notifications/{mine}/read", headers=api.auth(other))
    assert r.status_code == 404, r.text
    assert r.json()["code"] == "notification.not_found"
    absent = uuid.uuid4()
    r = await api.client.post(f"{V}/me/notifications/{absent}/read", headers=api.auth(other))
    assert r.status_code == 404, r.text
    ids = [n["id"] for n in (await _get(api, county.admin_a, "/me/notifications"))["items"]]
    assert ids == [str(mine)]


async def test_reading_a_notification_records_the_receipt_once(api, county):
    user_id = await _user_id(api, county.admin_a)
    first, second = await _notify(user_id, unique("甲")), await _notify(user_id, unique("乙"))
    token = county.admin_a
    assert await _get(api, token, "/me/notifications/unread-count") == {"unread": 2}
    r = await api.client.post(f"{V}/me/notifications/{first}/read", headers=api.auth(token))
    assert r.status_code == 200, r.text
    read_at = r.json()["read_at"]
    assert read_at is not None
    again = await api.client.post(f"{V}/me/notifications/{first}/read", headers=api.auth(token))
    assert again.json()["read_at"] == read_at
    assert await _get(api, token, "/me/notifications/unread-count") == {"unread": 1}
    unread = await _get(api, token, "/me/notifications", unread="true")
    assert [n["id"] for n in unread["items"]] == [str(second)]
    seen = await _get(api, token, "/me/notifications", unread="false")
    assert [n["id"] for n in seen["items"]] == [str(first)]


async def test_the_wechat_reminder_is_the_subscribe_message_contract(api, county, wechat):
    member = await api.member(county.admin_a, county.branch_a["id"])
    user, token = await api.user(
        county.admin_a, "member", county.branch_a["id"], member_id=member["id"]
    )
    openid = unique("openid")
    code = unique("code")
    wechat.codes[code] = openid
    r = await api.client.post(f"{V}/auth/wechat/bind", json={"code": code}, headers=api.auth(token))
    assert r.status_code == 200, r.text
    user_id = uuid.UUID(user["id"])
    message = notifications.Message(
        kind="check_in_overdue", title="待办提醒：流动党员逾期未报到超过二十个字的标题文字",
        body="请尽快报到", resource="mobile_episode", resource_id=uuid.uuid4(),
        due_on=datetime(2026, 12, 1, tzinfo=UTC).date(),
    )  # fmt: skip
    async with get_sessionmaker()() as session, session.begin():
        notification_id = await notifications.notify(session, get_settings(), user_id, message)
    async with httpx.AsyncClient(timeout=5.0) as client:
        await run_once(client)

    assert wechat.token_queries[-1]["grant_type"] == ["client_credential"]
    assert wechat.token_queries[-1]["appid"] == [APP_ID]
    query, body = wechat.sends[-1]
    assert query == {"access_token": [wechat.token]}
    assert body["touser"] == openid
    assert body["template_id"] == TEMPLATE
    assert body["data"]["thing1"] == {"value": message.title[:20]}
    assert body["data"]["date2"] == {"value": "2026-12-01"}
    assert body["data"]["thing3"] == {"value": "请尽快报到"}
    async with get_sessionmaker()() as session:
        delivery = await session.scalar(
            select(NotificationDelivery).where(
                NotificationDelivery.notification_id == notification_id
            )
        )
    assert delivery is not None
    assert (delivery.channel, delivery.state, delivery.attempts) == ("wechat", "delivered", 1)


async def test_a_refused_delivery_is_retried_later_with_the_error_recorded(
    api, county, monkeypatch
):
    settings = get_settings()
    monkeypatch.setattr(settings, "smtp_host", "127.0.0.1")
    monkeypatch.setattr(settings, "smtp_port", _free_port())  # nobody listens
    await _set_address(api, county.admin_a, "secretary@test.invalid")
    notification_id = await _notify(await _user_id(api, county.admin_a), unique("通知"))
    before = clock.utcnow()
    async with httpx.AsyncClient(timeout=5.0) as client:
        await run_once(client)
        await run_once(client)  # not due again yet: the backoff holds it
    async with get_sessionmaker()() as session:
        delivery = await session.scalar(
            select(NotificationDelivery).where(
                NotificationDelivery.notification_id == notification_id
            )
        )
        assert await session.get(Notification, notification_id) is not None
    assert delivery is not None
    assert (delivery.state, delivery.attempts) == ("pending", 1)
    assert delivery.last_error and "ConnectionRefused" in delivery.last_error
    assert delivery.next_attempt_at > before


@pytest.mark.parametrize(
    ("email", "status"),
    [("a@b.cn", 200), ("a" * 249 + "@b.cn", 200), ("a" * 250 + "@b.cn", 422), ("ab.cn", 422)],
)
async def test_the_reminder_address_is_an_email_of_at_most_254_characters(
    api, county, email, status
):
    r = await api.client.put(
        f"{V}/me/notification-address", json={"email": email}, headers=api.auth(county.admin_a)
    )
    assert r.status_code == status, r.text


async def test_the_reminder_address_is_read_back_by_its_user_and_never_stored_in_clear(api, county):
    email = unique("s") + "@test.invalid"
    await _set_address(api, county.admin_a, email)
    assert await _get(api, county.admin_a, "/me/notification-address") == {"email": email}
    assert await _get(api, county.admin_b, "/me/notification-address") == {"email": None}
    async with get_sessionmaker()() as session:
        row = await session.get(NotificationAddress, await _user_id(api, county.admin_a))
    assert row is not None and email.encode() not in row.email_enc
    await _set_address(api, county.admin_a, None)
    assert await _get(api, county.admin_a, "/me/notification-address") == {"email": None}


async def test_a_weekly_kind_is_not_reminded_again_within_seven_days(api, county):
    applicant = await _flagged_applicant(api, county)
    user_id = await _user_id(api, county.admin_a)
    today = clock.today()

    async def remind(day_offset: int) -> list[str]:
        day = today + timedelta(days=day_offset)
        async with get_sessionmaker()() as session, session.begin():
            await notifications.remind_user(session, get_settings(), user_id, day)
        inbox = await _get(api, county.admin_a, "/me/notifications", limit=100)
        return [n["id"] for n in inbox["items"] if applicant["name"] in n["body"]]

    first = await remind(0)
    assert len(first) == 1  # member_flagged is weekly by default
    assert await remind(6) == first  # the sixth day after: still within the week
    assert len(await remind(7)) == 2  # the seventh day after: reminded again


async def test_wechat_takes_a_new_token_when_the_old_one_is_refused(wechat):
    n = Notification(title="提醒", body="请报到", due_on=None, created_at=clock.utcnow())
    stale = wechat.token
    async with httpx.AsyncClient(timeout=5.0) as client:
        sender = WechatSender(get_settings(), client)
        await sender.send("openid-x", n)
        wechat.token = unique("token")  # WeChat expired the token the sender holds
        await sender.send("openid-x", n)
    tokens = [q["access_token"] for q, _ in wechat.sends]
    assert tokens == [[stale], [stale], [wechat.token]]
    assert len(wechat.token_queries) == 2


async def test_a_user_who_refused_the_template_fails_at_once_with_the_error(wechat):
    n = Notification(title="提醒", body="请报到", due_on=None, created_at=clock.utcnow())
    async with httpx.AsyncClient(timeout=5.0) as client:
        with pytest.raises(Permanent, match="43101"):
            await WechatSender(get_settings(), client).send(REFUSER, n)


async def test_the_workers_daily_step_reminds_once_per_day_per_worker(
    api, county, smtp, monkeypatch
):
    from app import worker

    await _flagged_applicant(api, county)
    await _set_address(api, county.admin_a, "secretary@test.invalid")
    user_id = await _user_id(api, county.admin_a)

    async def only_this_user(session: Any) -> list[uuid.UUID]:
        return [user_id]  # the suite's database holds every other test's users too

    monkeypatch.setattr(notifications, "active_users", only_this_user)
    day = await worker.remind_if_due(None)
    assert day == clock.today()
    async with httpx.AsyncClient(timeout=5.0) as client:
        await run_once(client)
    sent = len(smtp.messages)
    assert sent >= 1
    assert await worker.remind_if_due(day) == day  # this worker: already done today
    assert await worker.remind_if_due(None) == day  # another worker: the key refuses it
    async with httpx.AsyncClient(timeout=5.0) as client:
        await run_once(client)
    assert len(smtp.messages) == sent
