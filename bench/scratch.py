"""A scratch database for a benchmark that runs the app in process: created on the
server, set as `DATABASE_URL` (with the log level quiet) for the app the benchmark then
imports, dropped when the benchmark ends, whatever happened."""

from __future__ import annotations

import os
import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager


@asynccontextmanager
async def scratch_database(server: str) -> AsyncIterator[str]:
    import asyncpg
    from sqlalchemy.engine import make_url

    name = f"dangjian_bench_{uuid.uuid4().hex[:8]}"
    admin = await asyncpg.connect(server)
    await admin.execute(f'CREATE DATABASE "{name}"')
    await admin.close()
    url = make_url(server).set(database=name).render_as_string(hide_password=False)
    os.environ["DATABASE_URL"] = url
    os.environ["DANGJIAN_LOG_LEVEL"] = "WARNING"
    try:
        yield url
    finally:
        admin = await asyncpg.connect(server)
        await admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        await admin.close()
