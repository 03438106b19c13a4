"""`dangjian worker`: webhook fan-out and delivery, queued imports, and the daily
location purge.

Run as many workers as you like: deliveries and imports are claimed with SKIP LOCKED
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
from app.db import get_sessionmaker
from app.services import mobile
from app.services.integration import webhooks
from app.services.integration.imports import queue as import_queue

log = logging.getLogger("dangjian.worker")


@dataclass
class Tick:
    fanned_out: int  # outbox events the fan-out cursor passed
    attempted: int
    delivered: int
    imported: int = 0


async def run_once(client: httpx.AsyncClient) -> Tick:
    """One pass: fan out new events, attempt the deliveries that are due, then run one
    queued import if any waits."""
    maker = get_sessionmaker()
    async with maker() as session, session.begin():
        fanned = await webhooks.fan_out(session)
    async with maker() as session, session.begin():
        attempts = await webhooks.deliver_due(session, client)
    imported = int(await import_queue.run_next())
    return Tick(fanned, len(attempts), sum(a.delivered for a in attempts), imported)


async def purge_if_due(last: date | None) -> date:
    today = clock.today()
    if last != today:
        async with get_sessionmaker()() as session, session.begin():
            purged = await mobile.purge_locations(session, today)
        log.info("location purge", extra={"purged": purged})
    return today


async def run_forever(interval: float, stop: asyncio.Event | None = None) -> None:
    last_purge: date | None = None
    async with httpx.AsyncClient(timeout=10.0, follow_redirects=False) as client:
        while stop is None or not stop.is_set():
            try:
                last_purge = await purge_if_due(last_purge)
                tick = await run_once(client)
            except Exception:  # keep the worker alive through a database restart
                log.exception("worker pass failed")
                await asyncio.sleep(interval)
                continue
            if tick.attempted or tick.fanned_out or tick.imported:
                log.info("worker pass", extra=tick.__dict__)
            else:
                await asyncio.sleep(interval)
