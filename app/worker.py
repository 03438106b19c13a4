"""`dangjian worker`: webhook fan-out and delivery, notification delivery (email, WeChat),
queued imports, and the daily steps: location purge, to-do reminders and the snapshot of
the dashboard's member counts (again whenever the changes since exceed a threshold).

Run as many workers as you like: deliveries (webhook and notification) and imports are
claimed with SKIP LOCKED
(an import with a lease, taken again once it expires) and the fan-out cursor row is
locked while it advances.
"""

from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass
from datetime import date

import httpx

from app import clock
from app.config import get_settings
from app.db import get_sessionmaker
from app.services import mobile, notifications
from app.services.integration import webhooks
from app.services.integration.imports import queue as import_queue
from app.services.organisations import kept_stats

log = logging.getLogger("dangjian.worker")


@dataclass
class Tick:
    fanned_out: int  # outbox events the fan-out cursor passed
    attempted: int
    delivered: int
    imported: int = 0
    notified: int = 0  # notification deliveries attempted (email, WeChat)


async def run_once(client: httpx.AsyncClient) -> Tick:
    """One pass: fan out new events, attempt the webhook and notification deliveries
    that are due, then run one queued import if any waits."""
    maker = get_sessionmaker()
    async with maker() as session, session.begin():
        fanned = await webhooks.fan_out(session)
    async with maker() as session, session.begin():
        attempts = await webhooks.deliver_due(session, client)
    async with maker() as session, session.begin():
        sent = await notifications.deliver_due(session, get_settings(), client)
    imported = int(await import_queue.run_next())
    return Tick(fanned, len(attempts), sum(a.delivered for a in attempts), imported, len(sent))


async def purge_if_due(last: date | None) -> date:
    today = clock.today()
    if last != today:
        async with get_sessionmaker()() as session, session.begin():
            purged = await mobile.purge_locations(session, today)
        log.info("location purge", extra={"purged": purged})
    return today


async def remind_if_due(last: date | None) -> date:
    """Once a day per worker: write today's to-do reminders, one transaction per user.
    A second worker (or a restart) the same day writes nothing new: the notifications'
    (user, item, day) key refuses it."""
    today = clock.today()
    if last == today:
        return today
    maker, settings, written = get_sessionmaker(), get_settings(), 0
    async with maker() as session:
        users = await notifications.active_users(session)
    for user_id in users:
        try:
            async with maker() as session, session.begin():
                written += await notifications.remind_user(session, settings, user_id, today)
        except Exception:  # one user's failure does not hold back everyone after them
            log.exception("reminders failed for a user", extra={"user_id": str(user_id)})
    log.info("reminders", extra={"written": written})
    return today


async def snapshot_stats_if_due() -> kept_stats.Snapshot | None:
    """A new snapshot of the member counts when today's or tomorrow's is missing or the
    deltas since the last one exceed `kept_stats.FOLD_AFTER_DELTAS`; several workers
    queue on the build lock (the second finds nothing due, or builds again: harmless)."""
    today = clock.today()
    async with get_sessionmaker()() as session:
        if not await kept_stats.snapshot_due(session, today):
            return None
    built = await kept_stats.refresh_snapshot(today)
    log.info(
        "member stats snapshot",
        extra={"members": built.members, "rollups": built.rollups, "folded": built.folded},
    )
    return built


async def run_imports(interval: float, stop: asyncio.Event | None = None) -> None:
    """A worker for queued imports only (`dangjian worker --imports-only`): imports are
    long, and a dedicated process keeps deliveries and reminders from waiting behind
    them (run the other duties in another `dangjian worker`)."""
    while stop is None or not stop.is_set():
        try:
            imported = await import_queue.run_next()
        except Exception:  # keep the worker alive through a database restart
            log.exception("import pass failed")
            imported = False
        if not imported:
            await asyncio.sleep(interval)


async def run_forever(interval: float, stop: asyncio.Event | None = None) -> None:
    last_purge: date | None = None
    last_reminders: date | None = None
    async with httpx.AsyncClient(timeout=10.0, follow_redirects=False) as client:
        while stop is None or not stop.is_set():
            try:
                last_purge = await purge_if_due(last_purge)
                last_reminders = await remind_if_due(last_reminders)
                await snapshot_stats_if_due()
                tick = await run_once(client)
            except Exception:  # keep the worker alive through a database restart
                log.exception("worker pass failed")
                await asyncio.sleep(interval)
                continue
            if tick.attempted or tick.fanned_out or tick.imported or tick.notified:
                log.info("worker pass", extra=tick.__dict__)
            else:
                await asyncio.sleep(interval)
