"""`db.work_mem` raises work_mem for the statements inside only (the statistics'
grouping statement) and puts the setting back after them."""

from __future__ import annotations

from sqlalchemy import text

from app.db import get_sessionmaker
from app.services.organisations.tally import work_mem


async def test_work_mem_is_raised_inside_and_put_back_after(api):
    setting = text("SELECT current_setting('work_mem')")
    async with get_sessionmaker()() as session, session.begin():
        before = await session.scalar(setting)
        async with work_mem(session, "48MB"):
            assert await session.scalar(setting) == "48MB"
        assert await session.scalar(setting) == before != "48MB"
