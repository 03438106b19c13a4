"""The channels a notification leaves by: email over SMTP and the WeChat subscribe
message (订阅消息). Each answers None when sent, or the error to record; `Permanent`
marks an error no retry can mend (the user refused the template, no address)."""

from __future__ import annotations

import asyncio
import smtplib
from email.message import EmailMessage
from typing import Any

import httpx

from app.config import Settings
from app.models.notification import Notification


class Permanent(Exception):
    """A refusal that no retry mends."""


# WeChat errcodes: the access token is invalid or expired (fetch a new one and retry);
# the user has not subscribed to the template (no retry mends it).
TOKEN_ERRORS = frozenset({40001, 42001, 40014})
REFUSED_ERRORS = frozenset({43101, 40003})
# A subscribe message's `thing` values hold at most 20 characters.
THING_MAX = 20


def _email(settings: Settings, to: str, n: Notification) -> EmailMessage:
    msg = EmailMessage()
    msg["From"] = settings.smtp_from
    msg["To"] = to
    msg["Subject"] = n.title
    lines = [n.body]
    if n.due_on is not None:
        lines.append(f"期限 / Due: {n.due_on.isoformat()}")
    msg.set_content("\n\n".join(lines))
    return msg


def _smtp_send(settings: Settings, msg: EmailMessage) -> None:
    assert settings.smtp_host is not None
    with smtplib.SMTP(
        settings.smtp_host, settings.smtp_port, timeout=settings.smtp_timeout_seconds
    ) as smtp:
        if settings.smtp_starttls:
            smtp.starttls()
        if settings.smtp_username and settings.smtp_password:
            smtp.login(settings.smtp_username, settings.smtp_password)
        smtp.send_message(msg)


async def send_email(settings: Settings, to: str, n: Notification) -> None:
    """One message through the configured SMTP server (STARTTLS when set); a refused
    recipient is permanent, anything else (connection, 4xx) is retried."""
    try:
        await asyncio.to_thread(_smtp_send, settings, _email(settings, to, n))
    except smtplib.SMTPRecipientsRefused as exc:
        raise Permanent(f"recipient refused: {exc.recipients}") from exc


class WechatSender:
    """POST {wechat_api_base}/cgi-bin/message/subscribe/send with an access token from
    GET {wechat_api_base}/cgi-bin/token, fetched once per batch and again if refused."""

    def __init__(self, settings: Settings, client: httpx.AsyncClient) -> None:
        self._settings = settings
        self._client = client
        self._token: str | None = None

    async def _fetch_token(self) -> str:
        s = self._settings
        response = await self._client.get(
            f"{s.wechat_api_base}/cgi-bin/token",
            params={
                "grant_type": "client_credential",
                "appid": s.wechat_app_id or "",
                "secret": s.wechat_app_secret or "",
            },
            timeout=s.wechat_timeout_seconds,
        )
        body: Any = response.json()
        token = body.get("access_token") if isinstance(body, dict) else None
        if not isinstance(token, str) or not token:
            errcode = body.get("errcode") if isinstance(body, dict) else None
            raise RuntimeError(f"cgi-bin/token refused: errcode {errcode}")
        return token

    def payload(self, openid: str, n: Notification) -> dict[str, Any]:
        """The documented request body: touser, template_id, page, data of {"value": ...}."""
        due = n.due_on.isoformat() if n.due_on else n.created_at.date().isoformat()
        return {
            "touser": openid,
            "template_id": self._settings.wechat_reminder_template_id,
            "page": "pages/todos/index",
            "miniprogram_state": "formal",
            "lang": "zh_CN",
            "data": {
                "thing1": {"value": n.title[:THING_MAX]},
                "date2": {"value": due},
                "thing3": {"value": n.body[:THING_MAX]},
            },
        }

    async def send(self, openid: str, n: Notification) -> None:
        for fresh in (False, True):
            if self._token is None or fresh:
                self._token = await self._fetch_token()
            response = await self._client.post(
                f"{self._settings.wechat_api_base}/cgi-bin/message/subscribe/send",
                params={"access_token": self._token},
                json=self.payload(openid, n),
                timeout=self._settings.wechat_timeout_seconds,
            )
            body: Any = response.json()
            errcode = body.get("errcode", -1) if isinstance(body, dict) else -1
            if errcode == 0:
                return
            if errcode in REFUSED_ERRORS:
                raise Permanent(f"subscribe/send refused: errcode {errcode}")
            if errcode not in TOKEN_ERRORS:
                raise RuntimeError(f"subscribe/send failed: errcode {errcode}")
        raise RuntimeError("subscribe/send refused the access token twice")
