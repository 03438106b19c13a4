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

A POST (or any method) sends `--body`, JSON text in which `{seq}` becomes a new value
for every request (warm-up included), so that each one is a new write (a new source
key):

    python bench/asgi_cost.py app /api/v1/point-entries 200 --token TOKEN --method POST \
        --body '{"member_id": "ID", "rule_id": "ID", "occurred_on": "2026-06-01",
                 "source_key": "cost:{seq}"}'
"""

from __future__ import annotations

import argparse
import asyncio
import cProfile
import itertools
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


def _scope(path: str, token: str | None, method: str = "GET", body: bool = False) -> dict[str, Any]:
    raw_path, _, query = path.partition("?")
    headers = [
        (b"host", b"127.0.0.1:8000"),
        (b"user-agent", b"wrk"),
        (b"accept", b"*/*"),
    ]
    if token:
        headers.append((b"authorization", f"Bearer {token}".encode()))
    if body:
        headers.append((b"content-type", b"application/json"))
    return {
        "type": "http",
        "asgi": {"version": "3.0", "spec_version": "2.4"},
        "http_version": "1.1",
        "server": ("127.0.0.1", 8000),
        "client": ("127.0.0.1", 40000),
        "scheme": "http",
        "method": method,
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


class Bodies:
    """The request bodies: `template` with `{seq}` replaced by a new value each time
    (a run tag and a counter, so that runs against the same database never collide)."""

    def __init__(self, template: str | None) -> None:
        self.template = template
        self.tag = f"{os.getpid()}-{os.urandom(3).hex()}"
        self.counter = itertools.count()

    def next(self) -> bytes:
        if self.template is None:
            return b""
        return self.template.replace("{seq}", f"{self.tag}-{next(self.counter)}").encode()


async def _request(
    app: Any, scope: dict[str, Any], state: dict[str, Any], body: bytes = b""
) -> int:
    status = 0
    request = {"type": "http.request", "body": body, "more_body": False}
    headers = list(scope["headers"])
    if body:
        headers.append((b"content-length", str(len(body)).encode()))

    async def receive() -> dict[str, Any]:
        return request

    async def send(message: dict[str, Any]) -> None:
        nonlocal status
        if message["type"] == "http.response.start":
            status = message["status"]

    await app({**scope, "headers": headers, "state": state.copy()}, receive, send)
    return status


def _instrument(args: argparse.Namespace, switch: str) -> None:
    """Under `valgrind --tool=callgrind --instr-atstart=no`: count only the requests."""
    if args.callgrind:
        subprocess.run(["callgrind_control", "-i", switch, str(os.getpid())], check=True)


async def main(args: argparse.Namespace) -> None:
    app = _load(args.app)
    task, inbox, state = await _lifespan(app)
    scope = _scope(args.path, args.token, args.method, args.body is not None)
    bodies = Bodies(args.body)
    for _ in range(args.warmup):
        status = await _request(app, scope, state, bodies.next())
        assert 200 <= status < 300, status
    profile = cProfile.Profile() if args.profile else None
    if profile is not None:
        profile.enable()
    _instrument(args, "on")
    statuses = [await _request(app, scope, state, bodies.next()) for _ in range(args.n)]
    _instrument(args, "off")
    assert all(200 <= s < 300 for s in statuses), sorted(set(statuses))
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
    parser.add_argument("--method", default="GET")
    parser.add_argument("--body", help="JSON text; {seq} becomes a new value per request")
    parser.add_argument("--warmup", type=int, default=50)
    parser.add_argument("--callgrind", action="store_true")
    parser.add_argument("--profile", action="store_true")
    parser.add_argument("--sort", default="tottime")
    parser.add_argument("--top", type=int, default=40)
    arguments = parser.parse_args()
    import uvloop

    uvloop.run(main(arguments))
