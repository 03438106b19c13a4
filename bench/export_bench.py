"""Exports on one worker: first byte, total time, the worker's memory, and /healthz meanwhile.

One line (see bench/README.md):
    python bench/export_bench.py --members 1000000

It creates the scratch database the way bench/floor_bench.py does (its `Bench`: create,
migrate, `dangjian synth`, the province admin `bench_admin`; `--reuse` measures an
existing one, `--keep` keeps it), starts `dangjian serve --workers 1`, and for each
download (members of the first county then of the province, as CSV and as XLSX, then the
province's statistics workbook) runs it with curl, out of process, while this process
asks the same worker for `/healthz` on a fixed schedule (every `--every-ms`, 10 ms) on
one kept-alive connection and reads the worker's VmRSS from /proc at every tick.

Per download: curl's time to the first byte and total time, the bytes, whether the file
holds every row (CSV lines, XLSX `<row` elements, against the members counted in the
database), /healthz p50/p95/p99/max, the longest gap between two answers (a stalled loop shows
there whatever the probe was doing), and the
worker's RSS before, its peak during, and the growth. The county is 1/8 of the
province: constant memory shows as the same growth for both.
"""

from __future__ import annotations

import argparse
import shutil
import statistics
import subprocess
import tempfile
import time
import zipfile
from dataclasses import dataclass, field
from pathlib import Path

import httpx
from floor_bench import Bench, children


def rss_kb(pid: int, key: str = "VmRSS") -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith(key + ":"):
            return int(line.split()[1])
    raise SystemExit(f"no {key} for {pid}")


def quantile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


@dataclass
class Probe:
    """/healthz latencies (ms), the longest gap between two answers (ms) and RSS
    samples (KB) over one download."""

    own: list[float] = field(default_factory=list)
    gap: float = 0.0
    rss: list[int] = field(default_factory=list)


def probe_while(port: int, pid: int, every: float, busy: subprocess.Popen[bytes] | float) -> Probe:
    """/healthz every `every` s on a fixed schedule until `busy` ends (a process) or for
    that many seconds, with the worker's RSS at each tick. A tick missed while a request
    was waiting is skipped, not sent late: one client sending back to back would measure
    its own queue."""
    out = Probe()
    with httpx.Client(base_url=f"http://127.0.0.1:{port}", timeout=60) as client:
        client.get("/healthz").raise_for_status()  # the connection, opened before
        start = due = last = time.perf_counter()
        while True:
            if isinstance(busy, float):
                if due - start > busy:
                    break
            elif busy.poll() is not None:
                break
            now = time.perf_counter()
            if now < due:
                time.sleep(due - now)
            sent = time.perf_counter()
            client.get("/healthz").raise_for_status()
            done = time.perf_counter()
            out.own.append((done - sent) * 1000)
            out.gap, last = max(out.gap, (done - last) * 1000), done
            out.rss.append(rss_kb(pid))
            due += every * max(1, -(-(done - due) // every))
    return out


def rows_in(path: Path, fmt: str) -> int:
    """Data rows in the downloaded file (the header not counted)."""
    if fmt == "csv":
        with path.open("rb") as f:
            return sum(1 for _ in f) - 1
    count, tail = 0, b""
    with zipfile.ZipFile(path) as archive, archive.open("xl/worksheets/sheet1.xml") as sheet:
        while chunk := sheet.read(1 << 20):
            count += (tail + chunk).count(b"<row ")
            tail = chunk[-4:]
    return count - 1


@dataclass
class Download:
    label: str
    url: str
    fmt: str
    expected_rows: int | None


class ExportBench:
    def __init__(self, bench: Bench, args: argparse.Namespace) -> None:
        self.bench, self.args = bench, args
        self.tmp = Path(tempfile.mkdtemp(prefix="export-bench-"))

    def start(self) -> None:
        b = self.bench
        b.database()
        server = b.serve(self.args.port, 1)
        self.pid = (children(server.pid) or [server.pid])[0]
        self.token = b.login(self.args.port)

    def downloads(self) -> list[Download]:
        b = self.bench
        county, province = b.county[0], b.province
        members = b.db.value(
            "SELECT count(*) FROM members AS m JOIN organisations AS o ON o.id = $1 "
            "WHERE m.org_path LIKE o.path || '%'",
            province,
        )
        out = []
        for label, org, count in (("county", county, b.in_county), ("province", province, members)):
            for fmt in ("csv", "xlsx"):
                url = f"/api/v1/exports?kind=members&format={fmt}&within={org}"
                out.append(Download(f"{label} members {fmt.upper()}", url, fmt, count))
        if not self.args.no_statistics:
            out.append(
                Download(
                    "province statistics workbook",
                    f"/api/v1/organisations/{province}/statistics.xlsx",
                    "workbook",
                    None,
                )
            )
        return out

    def measure(self, d: Download) -> dict[str, object]:
        target = self.tmp / "download"
        curl = subprocess.Popen(
            [
                "curl", "-sS", "--fail", "-o", str(target),
                "-w", "%{time_starttransfer} %{time_total} %{size_download}",
                "-H", f"Authorization: Bearer {self.token}",
                f"http://127.0.0.1:{self.args.port}{d.url}",
            ],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
        )  # fmt: skip
        before = rss_kb(self.pid)
        probe = probe_while(self.args.port, self.pid, self.args.every_ms / 1000, curl)
        out, err = curl.communicate()
        if curl.returncode != 0:
            raise SystemExit(f"{d.label}: curl failed: {err.decode()}")
        first, total, size = out.decode().split()
        rows = rows_in(target, d.fmt) if d.fmt != "workbook" else None
        if d.expected_rows is not None and rows != d.expected_rows:
            raise SystemExit(f"{d.label}: {rows} rows in the file, {d.expected_rows} expected")
        target.unlink()
        return {
            "label": d.label,
            "first_ms": float(first) * 1000,
            "total_s": float(total),
            "mb": int(size) / 1e6,
            "rows": rows,
            "probe": probe,
            "rss_before": before,
        }

    def idle(self) -> Probe:
        return probe_while(self.args.port, self.pid, self.args.every_ms / 1000, 3.0)


def row(label: str, r: dict[str, object] | None, p: Probe, before: int) -> str:
    own = p.own
    head = (
        f"| {label} | {r['first_ms']:,.0f} | {r['total_s']:.1f} | {r['mb']:.1f} | "  # type: ignore[index]
        f"{'-' if r['rows'] is None else format(r['rows'], ',')} "  # type: ignore[index]
        if r
        else f"| {label} | - | - | - | - "
    )
    peak = max(p.rss)
    return (
        head + f"| {len(own)} | {statistics.median(own):.1f} | {quantile(own, 0.95):.1f} | "
        f"{quantile(own, 0.99):.1f} | {max(own):.1f} | {p.gap:.1f} | "
        f"{before / 1024:.0f} | {peak / 1024:.0f} | {(peak - before) / 1024:+.0f} |"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--members", type=int, default=100_000)
    parser.add_argument("--orgs", type=int, default=3000)
    parser.add_argument("--server", default="postgresql://postgres@127.0.0.1:5432/postgres")
    parser.add_argument("--database", default="dj_export_bench")
    parser.add_argument("--reuse", action="store_true", help="use the database if it exists")
    parser.add_argument("--keep", action="store_true", help="do not drop the database")
    parser.add_argument("--port", type=int, default=8110)
    parser.add_argument("--every-ms", type=float, default=10.0, help="/healthz schedule")
    parser.add_argument("--no-statistics", action="store_true", help="skip the workbook")
    parser.add_argument("--out", default=None, help="also write the table to this file")
    args = parser.parse_args()
    if shutil.which("curl") is None:
        raise SystemExit("curl not found: apt-get install curl")
    bench = Bench(args)
    runner = ExportBench(bench, args)
    try:
        runner.start()
        idle = runner.idle()
        lines = [row("idle (3 s, no download)", None, idle, min(idle.rss))]
        print(lines[0], flush=True)
        for download in runner.downloads():
            result = runner.measure(download)
            probe = result["probe"]
            assert isinstance(probe, Probe)
            lines.append(row(download.label, result, probe, result["rss_before"]))  # type: ignore[arg-type]
            print(lines[-1], flush=True)
        hwm = rss_kb(runner.pid, "VmHWM")
    finally:
        bench.close()
        shutil.rmtree(runner.tmp, ignore_errors=True)
    text = (
        f"members: {bench.total:,} ({bench.in_county:,} in the county); one worker; "
        f"/healthz every {args.every_ms:g} ms; worker VmHWM at the end {hwm / 1024:.0f} MB\n\n"
        "| download | first byte ms | total s | MB | rows | /healthz n | p50 ms | p95 ms "
        "| p99 ms | max ms | longest gap ms | RSS before MB | RSS peak MB | growth MB |\n"
        "|---|---|---|---|---|---|---|---|---|---|---|---|---|---|\n" + "\n".join(lines)
    )
    print(text)
    if args.out:
        Path(args.out).write_text(text + "\n")


if __name__ == "__main__":
    main()
