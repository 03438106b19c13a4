"""Large imports wait on PostgreSQL for `dangjian worker`: the upload kept on the job,
progress committed per batch with its position, a lease taken again once it expires.

The last test kills a real `dangjian worker` process (SIGKILL: no clean-up of any
kind, its connections cut) in the middle of an import: the next worker process resumes
the job, once the dead one's claim has lapsed, where its last committed batch ended."""

from __future__ import annotations

import asyncio
import csv
import io
import os
import signal
import sys
import time
from datetime import timedelta
from pathlib import Path

import httpx
import pytest
from sqlalchemy import delete, select, update
from support import new_id_number

from app import clock, worker
from app.config import get_settings
from app.db import get_sessionmaker
from app.models.imports import ImportJob
from app.services.integration.imports import jobs, queue

HEAD = ["姓名", "公民身份号码", "所在党组织编码", "党员状态", "人员类别"]


def _csv(county, names):
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(HEAD)
    for name in names:
        writer.writerow([name, new_id_number(), county.branch_a["code"], "正式党员", "在职"])
    return out.getvalue().encode()


async def _queue(api, county, content):
    r = await api.client.post(
        "/api/v1/imports",
        params={"kind": "members"},
        files={"file": ("m.csv", content)},
        headers=api.auth(county.admin_a),
    )
    assert r.status_code == 202, r.text
    return r.headers["Location"]


async def _job(api, county, location):
    r = await api.client.get(location, headers=api.auth(county.admin_a))
    assert r.status_code == 200
    return r.json()


async def _named(api, county, prefix):
    r = await api.client.get(
        "/api/v1/members",
        params={"org_id": county.branch_a["id"], "q": prefix, "limit": 100},
        headers=api.auth(county.admin_a),
    )
    assert r.status_code == 200, r.text
    return sorted(m["name"] for m in r.json()["items"])


async def _pass():
    async with httpx.AsyncClient() as client:
        return await worker.run_once(client)


class WorkerDied(BaseException):
    """A kill between two batches: not an error the worker could record."""


async def test_a_queued_import_is_run_by_the_worker_with_progress(api, county, monkeypatch):
    monkeypatch.setattr(jobs, "BACKGROUND_ROWS", 2)
    monkeypatch.setattr(get_settings(), "import_batch_rows", 2)
    location = await _queue(api, county, _csv(county, [f"队列甲{i}" for i in range(5)]))
    waiting = await _job(api, county, location)
    assert (waiting["state"], waiting["processed_rows"], waiting["total_rows"]) == ("running", 0, 5)
    assert (await _pass()).imported == 1
    done = await _job(api, county, location)
    assert (done["state"], done["created"], done["processed_rows"]) == ("finished", 5, 5)
    assert len(await _named(api, county, "队列甲")) == 5
    assert (await _pass()).imported == 0  # nothing left waiting
    async with get_sessionmaker()() as session:
        kept = await session.execute(
            select(ImportJob.upload, ImportJob.lease_until, ImportJob.position).where(
                ImportJob.id == location.rsplit("/", 1)[1]
            )
        )
        assert tuple(kept.one()) == (None, None, 5)  # the upload is dropped once finished


async def test_a_queued_import_that_fails_is_marked_failed_and_not_taken_again(
    api, county, monkeypatch
):
    monkeypatch.setattr(jobs, "BACKGROUND_ROWS", 1)

    async def broken(*args, **kwargs):
        raise ValueError("boom")

    monkeypatch.setattr(queue, "import_report", broken)
    location = await _queue(api, county, _csv(county, ["队列丁0", "队列丁1"]))
    assert (await _pass()).imported == 1
    failed = await _job(api, county, location)
    assert (failed["state"], failed["error"], failed["created"]) == ("failed", "boom", 0)
    assert (await _pass()).imported == 0


async def test_a_job_whose_worker_died_is_resumed_after_its_lease_without_duplicates(
    api, county, monkeypatch
):
    monkeypatch.setattr(jobs, "BACKGROUND_ROWS", 2)
    monkeypatch.setattr(get_settings(), "import_batch_rows", 2)
    location = await _queue(api, county, _csv(county, [f"队列乙{i}" for i in range(5)]))
    real = queue.import_report
    batches = []

    async def dies_on_the_second_batch(*args, **kwargs):
        batches.append(1)
        if len(batches) == 2:
            raise WorkerDied
        return await real(*args, **kwargs)

    monkeypatch.setattr(queue, "import_report", dies_on_the_second_batch)
    with pytest.raises(WorkerDied):
        await _pass()
    monkeypatch.setattr(queue, "import_report", real)
    half = await _job(api, county, location)
    assert (half["state"], half["processed_rows"], half["created"]) == ("running", 2, 2)
    assert (await _pass()).imported == 0  # its lease still holds: nobody takes it
    job_id = location.rsplit("/", 1)[1]
    async with get_sessionmaker()() as session, session.begin():
        await session.execute(
            update(ImportJob)
            .where(ImportJob.id == job_id)
            .values(lease_until=clock.utcnow() - timedelta(seconds=1))
        )
    assert (await _pass()).imported == 1
    done = await _job(api, county, location)
    assert (done["state"], done["processed_rows"], done["created"]) == ("finished", 5, 5)
    assert await _named(api, county, "队列乙") == [f"队列乙{i}" for i in range(5)]


async def test_another_subtree_does_not_see_a_queued_import(api, county, monkeypatch):
    monkeypatch.setattr(jobs, "BACKGROUND_ROWS", 1)
    location = await _queue(api, county, _csv(county, ["队列丙0", "队列丙1"]))
    r = await api.client.get(location, headers=api.auth(county.admin_b))
    assert r.status_code == 404
    await _pass()


DANGJIAN = str(Path(sys.executable).parent / "dangjian")
ROWS = 90
STEP_TIMEOUT = 60


def _worker_env(batch_rows: int) -> dict[str, str]:
    # The test database and keys are the suite's own (tests/conftest.py sets them).
    return {
        **os.environ,
        "DANGJIAN_IMPORT_BATCH_ROWS": str(batch_rows),
        "DANGJIAN_IMPORT_LEASE_SECONDS": "1",
        "DANGJIAN_LOG_LEVEL": "WARNING",
    }


async def _when(predicate, what: str):  # type: ignore[no-untyped-def]
    deadline = time.monotonic() + STEP_TIMEOUT
    while True:
        found = await predicate()
        if found is not None:
            return found
        assert time.monotonic() < deadline, what
        await asyncio.sleep(0.01)


async def test_a_killed_worker_process_leaves_its_import_to_the_next_without_duplicates(
    api, county, monkeypatch
):
    monkeypatch.setattr(jobs, "BACKGROUND_ROWS", 2)  # queued for the worker, not run here
    location = await _queue(api, county, _csv(county, [f"杀进程{i:03}" for i in range(ROWS)]))
    try:
        await _kill_and_resume(api, county, location)
    finally:  # never left queued for another test's worker pass
        async with get_sessionmaker()() as session, session.begin():
            await session.execute(
                delete(ImportJob).where(
                    ImportJob.id == location.rsplit("/", 1)[1], ImportJob.state == "running"
                )
            )


async def _kill_and_resume(api, county, location):  # type: ignore[no-untyped-def]
    assert (await _job(api, county, location))["processed_rows"] == 0

    # One row a batch: the first worker commits row after row until it is killed.
    first = await asyncio.create_subprocess_exec(
        DANGJIAN, "worker", "--imports-only", "--interval", "0.05", env=_worker_env(batch_rows=1)
    )
    try:

        async def started():  # type: ignore[no-untyped-def]
            assert first.returncode is None, "the worker exited"
            job = await _job(api, county, location)
            return job if job["processed_rows"] >= 2 else None

        await _when(started, "the first worker committed no batch")
        first.send_signal(signal.SIGKILL)
        assert await asyncio.wait_for(first.wait(), STEP_TIMEOUT) == -signal.SIGKILL
    finally:
        if first.returncode is None:
            first.kill()
            await asyncio.wait_for(first.wait(), STEP_TIMEOUT)

    await asyncio.sleep(0.2)  # a commit in flight at the kill may still land
    killed = await _job(api, county, location)
    assert killed["state"] == "running"
    assert 2 <= killed["processed_rows"] < ROWS, killed
    assert killed["created"] == killed["processed_rows"]

    # The next worker process, once the claim (1 s) has lapsed, resumes at the position.
    await asyncio.sleep(1.1)

    async def finished():  # type: ignore[no-untyped-def]
        once = await asyncio.create_subprocess_exec(
            DANGJIAN,
            "worker",
            "--imports-only",
            "--once",
            env=_worker_env(batch_rows=50),
            stdout=asyncio.subprocess.DEVNULL,
        )
        assert await asyncio.wait_for(once.wait(), STEP_TIMEOUT) == 0
        job = await _job(api, county, location)
        return job if job["state"] != "running" else None

    done = await _when(finished, "the next worker did not finish the import")
    assert (done["state"], done["processed_rows"], done["total_rows"]) == ("finished", ROWS, ROWS)
    assert (done["created"], done["accepted"], done["rejected"]) == (ROWS, ROWS, []), done
    names = await _named(api, county, "杀进程")
    assert names == [f"杀进程{i:03}" for i in range(ROWS)]  # each once: none twice, none lost


async def _queue_atomic(api, county, content):
    r = await api.client.post(
        "/api/v1/imports",
        params={"kind": "members", "atomic": "true"},
        files={"file": ("m.csv", content)},
        headers=api.auth(county.admin_a),
    )
    assert r.status_code == 202, r.text
    return r.headers["Location"]


async def test_an_atomic_queued_import_runs_batch_by_batch_and_keeps_every_row(
    api, county, monkeypatch
):
    monkeypatch.setattr(jobs, "BACKGROUND_ROWS", 2)
    monkeypatch.setattr(get_settings(), "import_batch_rows", 2)
    batches: list[int] = []
    original = queue.import_members

    async def counted(session, principal, table, **options):
        batches.append(len(table.records))
        return await original(session, principal, table, **options)

    monkeypatch.setattr(queue, "import_members", counted)
    location = await _queue_atomic(api, county, _csv(county, [f"整批甲{i}" for i in range(5)]))
    assert (await _pass()).imported == 1
    done = await _job(api, county, location)
    assert (done["state"], done["created"], done["accepted"], done["rejected"]) == (
        "finished",
        5,
        5,
        [],
    )
    assert (done["processed_rows"], done["total_rows"]) == (5, 5)
    assert batches == [2, 2, 1]  # never the whole file at once
    assert len(await _named(api, county, "整批甲")) == 5


async def test_an_atomic_queued_import_refused_in_a_later_batch_keeps_nothing(
    api, county, monkeypatch
):
    monkeypatch.setattr(jobs, "BACKGROUND_ROWS", 2)
    monkeypatch.setattr(get_settings(), "import_batch_rows", 2)
    number = new_id_number()
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(HEAD)
    for i in range(4):
        writer.writerow(
            [f"整批乙{i}", new_id_number(), county.branch_a["code"], "正式党员", "在职"]
        )
    # Row 6 (the file's fifth record, the third batch) repeats row 2's ID number, which
    # the first batch created: a duplicate in the file, as in a run of the whole file.
    writer.writerow(["整批乙重", number, county.branch_a["code"], "正式党员", "在职"])
    content = (
        out.getvalue().replace(out.getvalue().splitlines()[1].split(",")[1], number, 1).encode()
    )
    location = await _queue_atomic(api, county, content)
    assert (await _pass()).imported == 1
    done = await _job(api, county, location)
    assert (done["state"], done["created"], done["accepted"]) == ("finished", 0, 0)
    assert [(e["row"], e["code"]) for e in done["rejected"]] == [(6, "import.duplicate_in_file")]
    assert await _named(api, county, "整批乙") == []  # the first batches' rows went too
    async with get_sessionmaker()() as session:
        kept = await session.scalar(
            select(ImportJob.upload).where(ImportJob.id == location.rsplit("/", 1)[1])
        )
    assert kept is None


async def test_a_queued_organisation_import_reads_its_file_a_batch_at_a_time(
    api, county, monkeypatch
):
    """Parents later in the file still come first; the file is read a batch at a time
    into a spill on disk, never taken whole."""
    monkeypatch.setattr(jobs, "BACKGROUND_ROWS", 2)
    monkeypatch.setattr(get_settings(), "import_batch_rows", 2)
    taken: list[int] = []
    original = queue.Records.take

    def counted(self, count):
        records = original(self, count)
        taken.append(len(records))
        return records

    monkeypatch.setattr(queue.Records, "take", counted)
    general, branches = f"QO{os.getpid()}{time.time_ns()}", []
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(["组织编码", "组织名称", "组织类别", "上级组织编码"])
    for i in range(4):  # the branches first, their general branch last
        branches.append(f"{general}-{i}")
        writer.writerow([branches[-1], f"队列支部{i}", "党支部", general])
    writer.writerow([general, "队列总支", "党总支", county.town_a["code"]])
    r = await api.client.post(
        "/api/v1/imports",
        params={"kind": "organisations"},
        files={"file": ("o.csv", out.getvalue().encode())},
        headers=api.auth(county.admin_a),
    )
    assert r.status_code == 202, r.text
    taken.clear()  # the upload's own survey read a few rows: the worker's reads from here
    assert (await _pass()).imported == 1
    done = await _job(api, county, r.headers["Location"])
    assert (done["state"], done["created"], done["rejected"]) == ("finished", 5, [])
    assert (done["processed_rows"], done["total_rows"]) == (5, 5)
    assert max(taken) <= 2
    r = await api.client.get(
        f"/api/v1/organisations/{county.town_a['id']}/tree",
        params={"depth": 2},
        headers=api.auth(county.admin_a),
    )
    assert r.status_code == 200, r.text
    assert general in r.text and all(code in r.text for code in branches)
