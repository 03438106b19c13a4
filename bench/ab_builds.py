"""One endpoint served by two builds at once, measured in alternating rounds.

The ratio to the pgbench floor moves with the VM between runs by as much as a change of
the request path does; this compares the change alone. The old build is checked out as
a git worktree (`--old REF`) and served with `PYTHONPATH` pointing at it, the new one is
this checkout; both with `dangjian serve --workers 2` on the same database (one made by
`dangjian synth`, with the floor benchmark's `bench_admin`), then `wrk -t2 -c8` runs
rounds of `--seconds` on each in turn. Per round: requests/s, and the CPU per request of
the server's processes and of all PostgreSQL processes (from /proc, user + system).

    python bench/ab_builds.py --old 36aa28c --database dj_1m --rounds 4 --seconds 8 \\
        --path '/api/v1/members/{id}' --ids "SELECT id FROM members LIMIT 2000"
    python bench/ab_builds.py --old 36aa28c --path /api/v1/point-entries \\
        --ids "SELECT id FROM members WHERE status = 'full' LIMIT 64" \\
        --body '{"member_id": "{id}", "rule_id": "ID", "occurred_on": "2026-06-01",
                 "source_key": "ab:{seq}"}'
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent
USER, PASSWORD = "bench_admin", "bench-password-123"


def _ticks(pids: list[int]) -> int:
    total = 0
    for pid in pids:
        try:
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        total += int(fields[11]) + int(fields[12])
    return total


def _tree(pid: int) -> list[int]:
    out = subprocess.run(["pgrep", "-P", str(pid)], capture_output=True, text=True).stdout
    children = [int(p) for p in out.split()]
    return [pid] + [q for c in children for q in _tree(c)]


def _postgres() -> list[int]:
    out = subprocess.run(["pgrep", "postgres"], capture_output=True, text=True).stdout
    return [int(p) for p in out.split()]


def _serve(port: int, env: dict[str, str]) -> subprocess.Popen[bytes]:
    cmd = [str(BIN / "dangjian"), "serve", "--port", str(port), "--workers", "2"]
    proc = subprocess.Popen([*cmd, "--no-migrate"], env=env, stdout=subprocess.DEVNULL)
    for _ in range(120):
        try:
            if httpx.get(f"http://127.0.0.1:{port}/healthz").status_code == 200:
                time.sleep(2)  # every worker up
                return proc
        except httpx.HTTPError:
            pass
        time.sleep(0.5)
    raise SystemExit(f"server on {port} did not start")


def _script(path: str, body: str | None, ids: list[str]) -> list[str]:
    """wrk's script option for a POST of `body` (JSON text; `{seq}` becomes a new value
    per request, so that each one is a new write; `{id}` one of `ids` at random, so that
    writes do not queue on one row's lock); for a GET, `{id}` in the path likewise (none
    without it)."""
    if body is None and "{id}" not in path:
        return []
    pick = '" .. ids[math.random(#ids)] .. "'
    url = json.dumps(path).replace("{id}", pick)
    if body is None:
        request = f'  return wrk.format("GET", {url})\nend\n'
    else:
        template = json.dumps(body).replace("{seq}", '" .. tag .. n .. "').replace("{id}", pick)
        request = f'  return wrk.format("POST", {url}, nil, {template})\nend\n'
    listed = ", ".join(f'"{i}"' for i in ids)
    lua = Path(tempfile.mkstemp(suffix=".lua")[1])
    lua.write_text(
        f"local ids = {{{listed}}}\n"
        "local n = 0\nlocal tag = tostring(math.random(1e9)) .. ':'\n"
        'wrk.headers["Content-Type"] = "application/json"\n'
        "request = function()\n  n = n + 1\n" + request
    )
    return ["-s", str(lua)]


def _wrk(
    port: int, path: str, token: str, seconds: int, body: str | None, ids: list[str]
) -> tuple[float, int]:
    out = subprocess.run(
        ["wrk", "-t2", "-c8", f"-d{seconds}s", "-H", f"Authorization: Bearer {token}",
         *_script(path, body, ids), f"http://127.0.0.1:{port}{path}"],
        capture_output=True, text=True, check=True,
    ).stdout  # fmt: skip
    if "Non-2xx" in out:
        raise SystemExit(f"non-2xx answers on {port}: {out}")
    rps = float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))  # type: ignore[union-attr]
    done = int(re.search(r"(\d+) requests in", out).group(1))  # type: ignore[union-attr]
    return rps, done


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--old", required=True, help="git ref of the old build")
    parser.add_argument("--database", default="dj_1m")
    parser.add_argument("--server", default="postgresql://postgres@127.0.0.1:5432")
    parser.add_argument("--path", required=True)
    parser.add_argument("--rounds", type=int, default=4)
    parser.add_argument("--seconds", type=int, default=8)
    parser.add_argument("--body", help="POST this JSON ({seq}: a new value per request)")
    parser.add_argument("--ids", help="SQL whose first column's values {id} takes at random")
    args = parser.parse_args()
    old_tree = Path(tempfile.mkdtemp(prefix="ab-old-")) / "src"
    subprocess.run(["git", "-C", str(ROOT), "worktree", "add", "-q", str(old_tree), args.old],
                   check=True)  # fmt: skip
    env = {**os.environ, "DATABASE_URL": f"{args.server}/{args.database}",
           "DANGJIAN_LOG_LEVEL": "WARNING"}  # fmt: skip
    servers: dict[str, tuple[int, subprocess.Popen[bytes]]] = {}
    try:
        servers["new"] = (8100, _serve(8100, env))
        servers["old"] = (8200, _serve(8200, {**env, "PYTHONPATH": str(old_tree)}))
        r = httpx.post("http://127.0.0.1:8100/api/v1/auth/token",
                       data={"username": USER, "password": PASSWORD})  # fmt: skip
        r.raise_for_status()
        token = r.json()["access_token"]
        ids: list[str] = []
        if args.ids:
            url = f"{args.server}/{args.database}"
            listed = subprocess.run(["psql", url, "-Atc", args.ids], capture_output=True,
                                    text=True, check=True).stdout  # fmt: skip
            ids = listed.split()
        for port, _ in servers.values():  # warm: statements prepared, the login known
            _wrk(port, args.path, token, 3, args.body, ids)
        print(f"{args.path}: old {args.old}, new this checkout")
        for round_ in range(1, args.rounds + 1):
            for name in ("old", "new"):
                port, proc = servers[name]
                pids = _tree(proc.pid)
                cpu0, db0 = _ticks(pids), _ticks(_postgres())
                rps, done = _wrk(port, args.path, token, args.seconds, args.body, ids)
                cpu1, db1 = _ticks(pids), _ticks(_postgres())
                per = 1e6 / os.sysconf("SC_CLK_TCK") / done
                print(f"{name} round {round_}: {rps:,.0f} rps, server {(cpu1 - cpu0) * per:,.0f} "
                      f"µs/req, PostgreSQL {(db1 - db0) * per:,.0f} µs/req")  # fmt: skip
    finally:
        for _, proc in servers.values():
            proc.terminate()
            proc.wait()
        subprocess.run(["git", "-C", str(ROOT), "worktree", "remove", "--force", str(old_tree)])
        shutil.rmtree(old_tree.parent, ignore_errors=True)


if __name__ == "__main__":
    main()
