"""Imports stream: an upload is read from the request's temporary file a row at a time
and kept for the worker in chunks, so the memory an upload takes does not grow with
its size; the worker drops the chunks when the job ends."""

from __future__ import annotations

import csv
import io
import tempfile
import tracemalloc
from typing import IO

import httpx
from sqlalchemy import delete, func, select, update
from support import new_id_number

from app import worker
from app.config import get_settings
from app.db import get_sessionmaker
from app.models.imports import ImportChunk, ImportJob
from app.services.attachments import storage
from app.services.integration.imports import jobs, queue

HEAD = ["姓名", "公民身份号码", "所在党组织编码", "党员状态", "人员类别", "备注"]


def _write_csv(out: IO[bytes], rows: int) -> int:
    """A CSV of `rows` rows (each ~270 bytes) written to a file on disk, not held; its
    size."""
    text = io.TextIOWrapper(out, encoding="utf-8", newline="")
    writer = csv.writer(text)
    writer.writerow(HEAD)
    for n in range(rows):
        writer.writerow([f"内存{n}", "110105195003030011", "NOPE", "正式党员", "在职", "备" * 70])
    text.flush()
    text.detach()
    size = out.tell()
    out.seek(0)
    return size


async def _upload(api, county, upload, filename="m.csv", key=None):
    headers = api.auth(county.admin_a)
    if key is not None:
        headers["Idempotency-Key"] = key
    return await api.client.post(
        "/api/v1/imports",
        params={"kind": "members", "dry_run": "true"},
        files={"file": (filename, upload)},
        headers=headers,
    )


async def _queue(api, county, upload, filename="m.csv", key=None):
    r = await _upload(api, county, upload, filename, key)
    assert r.status_code == 202, r.text
    return r.headers["Location"].rsplit("/", 1)[1]


async def _peak_while_queueing(api, county, rows, key=None):
    """The traced memory's peak while a CSV of `rows` rows is uploaded and queued (with
    `Idempotency-Key: key` if given); the file's size."""
    with tempfile.TemporaryFile() as upload:
        size = _write_csv(upload, rows)
        tracemalloc.start()
        try:
            job_id = await _queue(api, county, upload, key=key)
            peak = tracemalloc.get_traced_memory()[1]
        finally:
            tracemalloc.stop()
    async with get_sessionmaker()() as session, session.begin():  # not left for a worker
        await session.execute(delete(ImportJob).where(ImportJob.id == job_id))
    return peak, size


async def test_a_ten_times_larger_upload_is_queued_without_ten_times_the_memory(
    api, county, monkeypatch
):
    monkeypatch.setattr(jobs, "BACKGROUND_ROWS", 10)
    await _peak_while_queueing(api, county, 100)  # warm: imports, caches, connections
    small, small_size = await _peak_while_queueing(api, county, 4_000)
    large, large_size = await _peak_while_queueing(api, county, 40_000)
    assert large_size > 9 * small_size > 9_000_000
    # Held whole, the upload (its bytes, then its text and rows) takes more than its
    # size; streamed, the peak is a few chunks' buffers (CHUNK_BYTES, the request's
    # 1 MB spool), whatever the size: 10 MB more file, at most 2 MB more peak.
    assert large - small < (large_size - small_size) / 5, (small, large, large_size)
    assert large < large_size / 3, (small, large, large_size)


async def test_an_upload_with_an_idempotency_key_is_fingerprinted_as_it_streams(
    api, county, monkeypatch
):
    """The retry key's fingerprint of the body is taken as the upload streams through, not
    from the body read whole: the same bound as without a key."""
    monkeypatch.setattr(jobs, "BACKGROUND_ROWS", 10)
    await _peak_while_queueing(api, county, 100, key="warm")
    small, small_size = await _peak_while_queueing(api, county, 4_000, key="small")
    large, large_size = await _peak_while_queueing(api, county, 40_000, key="large")
    assert large_size > 9 * small_size > 9_000_000
    assert large - small < (large_size - small_size) / 5, (small, large, large_size)
    assert large < large_size / 3, (small, large, large_size)


async def test_an_upload_retried_with_its_key_replays_and_another_file_is_refused(
    api, county, monkeypatch
):
    monkeypatch.setattr(jobs, "BACKGROUND_ROWS", 2)
    content = _members_csv(county, [f"重传{i}" for i in range(3)])
    first = await _upload(api, county, content, key="upload-once")
    again = await _upload(api, county, content, key="upload-once")
    assert first.status_code == again.status_code == 202, (first.text, again.text)
    assert again.headers["location"] == first.headers["location"]
    assert again.headers["idempotent-replayed"] == "true"
    other = await _upload(api, county, content + content[-40:], key="upload-once")
    assert other.status_code == 422, other.text
    assert other.json()["code"] == "idempotency.key_reused"
    async with get_sessionmaker()() as session, session.begin():  # not left for a worker
        job_id = first.headers["location"].rsplit("/", 1)[1]
        await session.execute(delete(ImportJob).where(ImportJob.id == job_id))


async def _chunks(job_id):
    async with get_sessionmaker()() as session:
        return await session.scalar(
            select(func.count()).select_from(ImportChunk).where(ImportChunk.job_id == job_id)
        )


async def _run_queue():
    async with httpx.AsyncClient() as client:
        return await worker.run_once(client)


def _members_csv(county, names):
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(HEAD[:5])
    for name in names:
        writer.writerow([name, new_id_number(), county.branch_a["code"], "正式党员", "在职"])
    return out.getvalue().encode()


async def test_a_queued_upload_is_kept_in_chunks_that_go_when_the_job_finishes(
    api, county, monkeypatch
):
    monkeypatch.setattr(jobs, "BACKGROUND_ROWS", 2)
    monkeypatch.setattr(storage, "CHUNK_BYTES", 64)
    content = _members_csv(county, [f"分块{i}" for i in range(5)])
    job_id = await _queue(api, county, content)
    assert await _chunks(job_id) == -(-len(content) // 64)  # every chunk, none whole
    assert (await _run_queue()).imported == 1
    done = await api.client.get(f"/api/v1/imports/{job_id}", headers=api.auth(county.admin_a))
    assert (done.json()["state"], done.json()["accepted"]) == ("finished", 5)
    assert await _chunks(job_id) == 0


async def test_a_failed_queued_import_drops_its_chunks(api, county, monkeypatch):
    monkeypatch.setattr(jobs, "BACKGROUND_ROWS", 1)

    async def broken(*args, **kwargs):
        raise ValueError("boom")

    monkeypatch.setattr(queue, "import_report", broken)
    job_id = await _queue(api, county, _members_csv(county, ["分块丁0", "分块丁1"]))
    assert await _chunks(job_id) == 1
    assert (await _run_queue()).imported == 1
    assert await _chunks(job_id) == 0


async def test_a_job_queued_with_its_upload_on_the_job_still_runs(api, county, monkeypatch):
    """A job queued before the chunks (its bytes in `upload`) is run from those bytes."""
    monkeypatch.setattr(jobs, "BACKGROUND_ROWS", 2)
    content = _members_csv(county, [f"旧队列{i}" for i in range(3)])
    job_id = await _queue(api, county, content)
    async with get_sessionmaker()() as session, session.begin():
        await session.execute(ImportChunk.__table__.delete().where(ImportChunk.job_id == job_id))
        await session.execute(
            update(ImportJob).where(ImportJob.id == job_id).values(upload=content)
        )
    assert (await _run_queue()).imported == 1
    done = await api.client.get(f"/api/v1/imports/{job_id}", headers=api.auth(county.admin_a))
    assert (done.json()["state"], done.json()["accepted"]) == ("finished", 3)


async def test_a_csv_whose_first_gb18030_character_lies_past_the_first_chunk_is_read_whole(
    api, county
):
    """The encoding is judged on the whole file, a chunk at a time: ASCII for more than
    the first 64 KB, then a GB18030 name, is GB18030 (not UTF-8 failing half-way)."""
    head = "name,id_number,org_code,status,category\r\n" + ",,,,\r\n" * 20_000
    last = f"流式张三,{new_id_number()},{county.branch_a['code']},full,employed\r\n"
    content = head.encode("ascii") + last.encode("gb18030")
    assert len(head) > 100_000
    r = await api.client.post(
        "/api/v1/imports",
        params={"kind": "members"},
        files={"file": ("m.csv", content)},
        headers=api.auth(county.admin_a),
    )
    assert r.status_code == 201, r.text
    assert (r.json()["total_rows"], r.json()["created"]) == (1, 1)
    found = await api.client.get(
        "/api/v1/members",
        params={"org_id": county.branch_a["id"], "q": "流式张三"},
        headers=api.auth(county.admin_a),
    )
    assert [m["name"] for m in found.json()["items"]] == ["流式张三"]


def _write_valid_csv(out: IO[bytes], rows: int, org_code: str) -> int:
    """`rows` valid members (distinct ID numbers) of the organisation `org_code`, written
    to a file on disk; its size."""
    text = io.TextIOWrapper(out, encoding="utf-8", newline="")
    writer = csv.writer(text)
    writer.writerow(HEAD)
    for n in range(rows):
        writer.writerow([f"整批{n}", new_id_number(), org_code, "正式党员", "在职", "备" * 70])
    text.flush()
    text.detach()
    size = out.tell()
    out.seek(0)
    return size


async def _peak_of_an_atomic_run(api, county, rows):
    """The traced memory's peak while the worker runs a queued atomic dry run of `rows`
    valid rows; the file's size and the job's report."""
    with tempfile.TemporaryFile() as upload:
        size = _write_valid_csv(upload, rows, county.branch_a["code"])
        r = await api.client.post(
            "/api/v1/imports",
            params={"kind": "members", "dry_run": "true", "atomic": "true"},
            files={"file": ("m.csv", upload)},
            headers=api.auth(county.admin_a),
        )
    assert r.status_code == 202, r.text
    job_id = r.headers["Location"].rsplit("/", 1)[1]
    tracemalloc.start()
    try:
        await queue._run(get_sessionmaker(), job_id)  # this job, whatever else is queued
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    async with get_sessionmaker()() as session, session.begin():
        job = await session.get(ImportJob, job_id)
        report = (job.state, job.created, len(job.rejected))
        await session.delete(job)
    return peak, size, report


async def test_an_atomic_import_ten_times_larger_runs_without_ten_times_the_memory(
    api, county, monkeypatch
):
    monkeypatch.setattr(jobs, "BACKGROUND_ROWS", 10)
    monkeypatch.setattr(get_settings(), "import_batch_rows", 500)
    await _peak_of_an_atomic_run(api, county, 100)  # warm: imports, caches, connections
    small, small_size, small_report = await _peak_of_an_atomic_run(api, county, 1_000)
    large, large_size, large_report = await _peak_of_an_atomic_run(api, county, 10_000)
    assert (small_report, large_report) == (("finished", 1_000, 0), ("finished", 10_000, 0))
    # Held whole, the rows (their cells, then the prepared records) took 7 times the
    # file's growth (measured: +17.9 MB of peak for +2.5 MB of file); batch by batch, one
    # batch's records and each row's key for the duplicate check (`Seen`, ~300 bytes a
    # row: +2.8 MB).
    assert large - small < 2 * (large_size - small_size), (small, large, large_size)
