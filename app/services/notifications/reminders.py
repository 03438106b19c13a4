"""Reminders (待办提醒) scheduled from the to-dos: for each active user, the to-do list
the rules give them today (`services.todos.todos`, never recomputed here), filtered by
the policy of their organisation (`reminder_<kind>`: daily, weekly or none), written as
notifications through the one writer. The unique (user, item, day) key means no item is
reminded twice the same day, however many passes or workers run."""

from __future__ import annotations

import uuid
from datetime import date, timedelta

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from app.config import Settings
from app.models.enums import TodoKind, label_zh
from app.models.labels_en import LABELS_EN
from app.models.notification import Notification
from app.models.organisation import Organisation
from app.models.user import User
from app.pagination import MAX_LIMIT
from app.security.scope import Principal
from app.services.notifications.writer import Message, notify
from app.services.policies import effective_policy
from app.services.principals import principal_of_user
from app.services.todos import Todo, todos

WEEK = timedelta(days=7)


def item_key(t: Todo) -> str:
    """The to-do item a reminder is about: the same item on another day has the same key."""
    return f"{t.kind.value}:{t.code}:{t.resource}:{t.resource_id}"[:200]


def message_of(t: Todo) -> Message:
    zh, en = label_zh(TodoKind, t.kind), LABELS_EN[TodoKind].get(t.kind.value, t.kind.value)
    return Message(
        kind=t.kind.value,
        title=f"待办提醒：{zh}",
        body=f"{t.subject} · {zh} / {en} ({t.code})",
        resource=t.resource,
        resource_id=t.resource_id,
        due_on=t.due_on,
    )


async def _wanted(session: AsyncSession, org_id: uuid.UUID) -> dict[TodoKind, str]:
    org = await session.get(Organisation, org_id)
    assert org is not None
    policy = await effective_policy(session, org)
    return {
        k: policy[f"reminder_{k.value}"]
        for k in TodoKind
        if policy[f"reminder_{k.value}"] != "none"
    }


async def _all_todos(
    session: AsyncSession, principal: Principal, kinds: list[TodoKind], today: date
) -> list[Todo]:
    out: list[Todo] = []
    cursor = None
    while True:
        page = await todos(
            session, principal, kinds=kinds, today=today, limit=MAX_LIMIT, cursor=cursor,
            include_total=False,
        )  # fmt: skip
        out += page.items
        if page.next_cursor is None:
            return out
        cursor = page.next_cursor


async def _reminded_this_week(
    session: AsyncSession, user_id: uuid.UUID, key: str, today: date
) -> bool:
    found = await session.scalar(
        select(Notification.id)
        .where(
            Notification.user_id == user_id,
            Notification.item_key == key,
            Notification.day > today - WEEK,
            Notification.day < today,
        )
        .limit(1)
    )
    return found is not None


async def remind_user(
    session: AsyncSession, settings: Settings, user_id: uuid.UUID, today: date
) -> int:
    """Today's reminders of one user; answers how many were written (0 when all were
    already written today)."""
    principal = await principal_of_user(session, user_id)
    if principal is None or principal.user_id is None:
        return 0
    wanted = await _wanted(session, principal.org_id)
    if not wanted:
        return 0
    written = 0
    for t in await _all_todos(session, principal, list(wanted), today):
        key = item_key(t)
        if wanted[t.kind] == "weekly" and await _reminded_this_week(session, user_id, key, today):
            continue
        if await notify(session, settings, user_id, message_of(t), item_key=key, day=today):
            written += 1
    return written


async def active_users(session: AsyncSession) -> list[uuid.UUID]:
    return list((await session.scalars(select(User.id).where(User.active).order_by(User.id))).all())
