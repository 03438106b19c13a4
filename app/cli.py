"""The `dangjian` command: serve, migrate, demo, openapi, users create."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path
from typing import Annotated, Any

import typer

from app.config import get_settings

cli = typer.Typer(help="Dangjian 智慧党建 API", no_args_is_help=True, add_completion=False)
users_cli = typer.Typer(help="Manage users.", no_args_is_help=True)
cli.add_typer(users_cli, name="users")

ROOT = Path(__file__).resolve().parent.parent


def alembic_config(database_url: str | None = None) -> object:
    from alembic.config import Config

    config = Config(str(ROOT / "alembic.ini"))
    config.set_main_option("script_location", str(ROOT / "migrations"))
    if database_url:
        config.attributes["database_url"] = database_url
    return config


def run_migrations(database_url: str | None = None) -> None:
    """Apply pending Alembic migrations to the primary database."""
    from alembic import command
    from alembic.config import Config

    config = alembic_config(database_url)
    assert isinstance(config, Config)
    command.upgrade(config, "head")


@cli.command()
def migrate() -> None:
    """Apply pending database migrations."""
    run_migrations()
    typer.echo("database is at the latest revision")


# How `dangjian serve` runs uvicorn (bench/floor/bare_app.py, the /healthz floor, too).
# uvicorn's own X-Forwarded-For handling is off: which peer may name the client is the
# app's one rule (`DANGJIAN_TRUSTED_PROXIES`, `api.deps.client_address`); uvicorn's
# would also trust any loopback peer (its FORWARDED_ALLOW_IPS default) before the app
# saw the request. Access lines are the app's own (one per request, with its id).
SERVER_OPTIONS: dict[str, Any] = {"access_log": False, "log_config": None, "proxy_headers": False}


@cli.command()
def serve(
    host: Annotated[str, typer.Option(help="Interface to bind.")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="TCP port.")] = 8000,
    workers: Annotated[int, typer.Option(help="Worker processes.")] = 1,
    migrate_first: Annotated[bool, typer.Option("--migrate/--no-migrate")] = True,
) -> None:
    """Run pending migrations, then serve the API with uvicorn."""
    import uvicorn

    from app.db import sync_database_url

    settings = get_settings()
    url = sync_database_url(settings)  # starts the embedded server when needed
    if migrate_first:
        run_migrations(url)
    typer.echo(f"serving on http://{host}:{port}  (docs: http://{host}:{port}/docs)")
    uvicorn.run(
        "app.main:create_app", factory=True, host=host, port=port, workers=workers, **SERVER_OPTIONS
    )


@cli.command()
def demo() -> None:
    """Load the demo county (idempotent) and print the demo logins."""
    from app.devtools.demo import DEMO_PASSWORD, load_demo

    async def _run() -> None:
        from app.db import get_engine, get_sessionmaker

        async with get_sessionmaker()() as session, session.begin():
            summary = await load_demo(session)
        await get_engine().dispose()
        state = "loaded" if summary.created else "already present"
        typer.echo(
            f"demo data {state}: {summary.organisations} organisations, {summary.members} members"
        )
        typer.echo(f"demo logins (password for all: {DEMO_PASSWORD}):")
        for username, role, org in summary.logins:
            typer.echo(f"  {username:<22} {role:<17} {org}")

    asyncio.run(_run())


@cli.command()
def worker(
    once: Annotated[bool, typer.Option(help="One pass, then exit.")] = False,
    interval: Annotated[float, typer.Option(help="Seconds to sleep when idle.")] = 1.0,
    imports_only: Annotated[
        bool, typer.Option(help="Run queued imports only (a dedicated import worker).")
    ] = False,
) -> None:
    """Deliver webhooks and notifications (PostgreSQL as the queue), run queued imports,
    keep the member counts' snapshot, write the day's reminders and purge old check-in
    locations. With --imports-only, queued imports only."""
    import httpx

    from app.config import get_settings
    from app.db import get_engine
    from app.logging import configure_logging
    from app.services.integration.imports import queue
    from app.worker import run_forever, run_imports, run_once

    settings = get_settings()
    configure_logging(settings.log_level, settings.log_json)

    async def _run() -> None:
        if imports_only and once:
            typer.echo(f"imports run: {int(await queue.run_next())}")
        elif imports_only:
            await run_imports(interval)
        elif once:
            async with httpx.AsyncClient(timeout=10.0) as client:
                tick = await run_once(client)
            typer.echo(f"fanned out {tick.fanned_out}, delivered {tick.delivered}/{tick.attempted}")
        else:
            await run_forever(interval)
        await get_engine().dispose()

    asyncio.run(_run())


@cli.command()
def synth(
    orgs: Annotated[int, typer.Option(help="About this many organisations.")] = 3000,
    members: Annotated[int, typer.Option(help="Members to generate.")] = 100_000,
) -> None:
    """Load synthetic national-scale data with COPY (benchmarks only)."""
    import time

    import asyncpg
    from rich.progress import BarColumn, Progress, TextColumn, TimeRemainingColumn

    from app import clock
    from app.db import get_engine, sync_database_url
    from app.devtools.synth import synthesise, vacuum
    from app.services.organisations.kept_stats import refresh_snapshot

    async def _run() -> None:
        conn = await asyncpg.connect(sync_database_url())
        try:
            with Progress(
                TextColumn("{task.description}"), BarColumn(), TextColumn("{task.completed:,}"),
                TimeRemainingColumn(),
            ) as bar:  # fmt: skip
                task = bar.add_task("members", total=members)
                indexing = bar.add_task("indexes", total=None)

                def advance(kind: str, n: int) -> None:
                    if kind in ("members", "indexes"):
                        bar.advance(task if kind == "members" else indexing, n)

                async with conn.transaction():
                    report = await synthesise(conn, orgs=orgs, members=members, progress=advance)
            await vacuum(conn)
        finally:
            await conn.close()
        started = time.perf_counter()
        built = await refresh_snapshot(clock.today())
        await get_engine().dispose()
        typer.echo(
            f"stats snapshot: {built.rollups:,} rollup rows in "
            f"{time.perf_counter() - started:.1f} s"
        )
        typer.echo(f"{report.organisations:,} organisations, {report.branches:,} branches")
        typer.echo(f"{report.indexes} indexes built after the load in {report.index_s:.1f} s")
        typer.echo("| table | rows | generate s | COPY s | total rows/s | raw COPY rows/s |")
        typer.echo("|---|---|---|---|---|---|")
        for table, t in report.timings.items():
            total = t.rows / t.total_s if t.total_s else 0.0
            raw = t.rows / t.copy_s if t.copy_s else 0.0
            typer.echo(
                f"| {table} | {t.rows:,} | {t.generate_s:.1f} | {t.copy_s:.1f} "
                f"| {total:,.0f} | {raw:,.0f} |"
            )

    asyncio.run(_run())


@cli.command("stats-snapshot")
def stats_snapshot() -> None:
    """Build the snapshot of the dashboard's member counts now (for today and tomorrow),
    folding in the changes since the last one; the worker does it daily."""
    import time

    from app import clock
    from app.db import get_engine
    from app.services.organisations.kept_stats import refresh_snapshot

    async def _run() -> None:
        started = time.perf_counter()
        built = await refresh_snapshot(clock.today())
        await get_engine().dispose()
        typer.echo(
            f"snapshot for {', '.join(map(str, built.days))}: {built.members:,} member records, "
            f"{built.rollups:,} rollup rows, {built.folded:,} deltas folded "
            f"in {time.perf_counter() - started:.2f} s"
        )

    asyncio.run(_run())


@cli.command("purge-locations")
def purge_locations() -> None:
    """Remove check-in area codes older than each subtree's retention policy."""
    from app import clock
    from app.db import get_engine, get_sessionmaker
    from app.services.mobile import purge_locations as purge

    async def _run() -> int:
        async with get_sessionmaker()() as session, session.begin():
            count = await purge(session, clock.today())
        await get_engine().dispose()
        return count

    typer.echo(f"purged {asyncio.run(_run())} check-in location(s)")


@cli.command()
def openapi(
    output: Annotated[Path, typer.Option(help="Where to write the schema.")] = ROOT
    / "openapi"
    / "openapi.json",
) -> None:
    """Write the OpenAPI schema generated from the app."""
    output.parent.mkdir(parents=True, exist_ok=True)
    output.write_text(render_openapi(), encoding="utf-8")
    typer.echo(f"wrote {output}")


def render_openapi() -> str:
    from app.main import create_app

    return json.dumps(create_app().openapi(), ensure_ascii=False, indent=2, sort_keys=True) + "\n"


@users_cli.command("create")
def users_create(
    username: Annotated[str, typer.Option()],
    role: Annotated[str, typer.Option(help="system_admin, org_admin, ...")],
    org_code: Annotated[str, typer.Option(help="Code of the organisation the user is bound to.")],
    password: Annotated[str, typer.Option(prompt=True, hide_input=True, confirmation_prompt=True)],
) -> None:
    """Create a user directly in the database (for the first administrators)."""
    from sqlalchemy import select

    from app.db import get_engine, get_sessionmaker
    from app.errors import DangjianError
    from app.i18n import localized_detail
    from app.models.enums import Role
    from app.models.organisation import Organisation
    from app.models.user import User
    from app.schemas.users import UserCreate
    from app.security.scope import Principal
    from app.services.users import create_user

    async def _run() -> None:
        async with get_sessionmaker()() as session, session.begin():
            org = await session.scalar(select(Organisation).where(Organisation.code == org_code))
            if org is None:
                raise typer.BadParameter(f"no organisation with code {org_code!r}")
            operator = Principal(
                user_id=None,
                username="cli",
                role=Role.system_admin,
                org_id=org.id,
                org_path="/",
                member_id=None,
            )
            user: User = await create_user(
                session,
                operator,
                UserCreate(username=username, password=password, role=Role(role), org_id=org.id),
            )
            typer.echo(f"created {user.username} ({user.role}) in {org.name}")
        await get_engine().dispose()

    try:
        asyncio.run(_run())
    except DangjianError as exc:
        # zh-CN, as every message by default: the catalogue's title, then the detail.
        detail = localized_detail(exc.detail, exc.code, "zh")
        extra = f"（{detail}）" if detail != exc.code.zh else ""
        typer.echo(f"错误 {exc.code}：{exc.code.zh}{extra}", err=True)
        raise typer.Exit(1) from exc


def main() -> None:
    cli()


if __name__ == "__main__":
    main()
