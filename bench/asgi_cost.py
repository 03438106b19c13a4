"""Per-request cost of the app's machinery, in-process, without a server or a client.

Calls the ASGI app directly with the scope uvicorn would build (lifespan run first, as
under `dangjian serve`), `n` times after a warm-up, so that instruction counts under
callgrind, which do not move with the load on the machine, can be compared:

    valgrind --tool=callgrind --callgrind-out-file=/dev/null \
        python bench/asgi_cost.py app /healthz 2000     # minus the same with 0

The difference between a run of `n` and a run of 0 divided by `n` is the cost of one
request. `bare` is bench/floor/bare_app.py's app (the /healthz floor). With `--profile`
the `n` requests run under cProfile instead (attribution; its timings are inflated).

    python bench/asgi_cost.py app /api/v1/members/ID 2000 --token TOKEN
"""

from __future__ import annotations

import argparse
import asyncio
import cProfile
import os
import pstats
import subprocess
import sys
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench" / "floor"))


def _load(which: str) -> Any:
    if which == "bare":
        import bare_app  # type: ignore[import-not-found]

        return bare_app.create_app()
    from app.main import create_app

    return create_app()


def _scope(path: str, token: str | None) -> dict[str, Any]:
    raw_path, _, query = path.partition("?")
    headers = [
        (b"host", b"127.0.0.1:8000"),
        (b"user-agent", b"wrk"),
        (b"accept", b"*/*"),
    ]
    if token:
        headers.append((b"authorization", f"Bearer {token}".encode()))
    return {
        "type": "http",
        "asgi": {"version": "3.0", "spec_version": "2.4"},
        "http_version": "1.1",
        "server": ("127.0.0.1", 8000),
        "client": ("127.0.0.1", 40000),
        "scheme": "http",
        "method": "GET",
        "root_path": "",
        "path": raw_path,
        "raw_path": raw_path.encode(),
        "query_string": query.encode(),
        "headers": headers,
    }


async def _lifespan(
    app: Any,
) -> tuple[asyncio.Task[None], asyncio.Queue[dict[str, Any]], dict[str, Any]]:
    inbox: asyncio.Queue[dict[str, Any]] = asyncio.Queue()
    outbox: asyncio.Queue[dict[str, Any]] = asyncio.Queue()
    state: dict[str, Any] = {}
    scope = {"type": "lifespan", "asgi": {"version": "3.0"}, "state": state}
    task = asyncio.create_task(app(scope, inbox.get, outbox.put))
    await inbox.put({"type": "lifespan.startup"})
    message = await outbox.get()
    assert message["type"] == "lifespan.startup.complete", message
    return task, inbox, state


async def _request(app: Any, scope: dict[str, Any], state: dict[str, Any]) -> int:
    status = 0
    request = {"type": "http.request", "body": b"", "more_body": False}

    async def receive() -> dict[str, Any]:
        return request

    async def send(message: dict[str, Any]) -> None:
        nonlocal status
        if message["type"] == "http.response.start":
            status = message["status"]

    await app({**scope, "headers": list(scope["headers"]), "state": state.copy()}, receive, send)
    return status


def _instrument(args: argparse.Namespace, switch: str) -> None:
    """Under `valgrind --tool=callgrind --instr-atstart=no`: count only the requests."""
    if args.callgrind:
        subprocess.run(["callgrind_control", "-i", switch, str(os.getpid())], check=True)


async def main(args: argparse.Namespace) -> None:
    app = _load(args.app)
    task, inbox, state = await _lifespan(app)
    scope = _scope(args.path, args.token)
    for _ in range(args.warmup):
        status = await _request(app, scope, state)
        assert status == 200, status
    profile = cProfile.Profile() if args.profile else None
    if profile is not None:
        profile.enable()
    _instrument(args, "on")
    for _ in range(args.n):
        await _request(app, scope, state)
    _instrument(args, "off")
    if profile is not None:
        profile.disable()
        pstats.Stats(profile).sort_stats(args.sort).print_stats(args.top)
    await inbox.put({"type": "lifespan.shutdown"})
    await task


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("app", choices=("app", "bare"))
    parser.add_argument("path")
    parser.add_argument("n", type=int)
    parser.add_argument("--token", default=os.environ.get("BENCH_TOKEN"))
    parser.add_argument("--warmup", type=int, default=50)
    parser.add_argument("--callgrind", action="store_true")
    parser.add_argument("--profile", action="store_true")
    parser.add_argument("--sort", default="tottime")
    parser.add_argument("--top", type=int, default=40)
    arguments = parser.parse_args()
    import uvloop

    uvloop.run(main(arguments))
