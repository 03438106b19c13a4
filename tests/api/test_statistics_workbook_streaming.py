"""GET /organisations/{id}/statistics.xlsx streams: the figures are computed first, then
the file leaves in chunks while openpyxl (write-only) writes it in a thread of its own,
through a pipe of a few chunks."""

from __future__ import annotations

import asyncio
import io
import threading
from datetime import date

import pytest
from openpyxl import load_workbook
from support import new_id_number

from app.services.integration.imports import streaming
from app.services.organisations import workbook

V = "/api/v1"
AS_OF = "2026-06-30"


def _asgi(path, query, token):
    """A GET straight through the ASGI app, each message kept as it is sent (httpx's
    ASGI transport gathers the body before answering)."""
    requested = []

    async def receive():
        if requested:  # the client stays connected until the response ends
            await asyncio.Event().wait()
        requested.append(1)
        return {"type": "http.request", "body": b"", "more_body": False}

    scope = {
        "type": "http", "asgi": {"version": "3.0"}, "http_version": "1.1", "method": "GET",
        "scheme": "http", "path": path, "raw_path": path.encode(), "root_path": "",
        "query_string": query.encode(), "server": ("test", 80), "client": ("127.0.0.1", 1),
        "headers": [(b"host", b"test"), (b"authorization", f"Bearer {token}".encode())],
    }  # fmt: skip
    return scope, receive


async def test_the_workbook_leaves_in_chunks_while_a_thread_writes_it(
    api, county, app, monkeypatch
):
    for year in (1960, 1975, 1990, 2000):
        await api.member(
            county.admin_a,
            county.branch_a["id"],
            id_number=new_id_number(date(year, 3, 1)),
            joined_on="2020-01-01",
        )
    monkeypatch.setattr(streaming, "PIPE_CHUNK", 1024)
    writer: dict[str, object] = {"done": False}
    real_write = workbook.write_workbook

    def watched(figures, out):
        writer["thread"] = threading.current_thread()
        real_write(figures, out)
        writer["done"] = True

    monkeypatch.setattr(workbook, "write_workbook", watched)
    sent, done_at_first_body = [], []

    async def send(message):
        body = message["type"] == "http.response.body" and message.get("body")
        if body and not done_at_first_body:
            done_at_first_body.append(writer["done"])
        sent.append(message)

    org = county.town_a["id"]
    path = f"{V}/organisations/{org}/statistics.xlsx"
    scope, receive = _asgi(path, f"as_of={AS_OF}", county.admin_a)
    await app(scope, receive, send)
    assert sent[0]["status"] == 200
    headers = dict(sent[0]["headers"])
    assert b"content-length" not in headers
    assert headers[b"content-type"].startswith(b"application/vnd.openxmlformats")
    bodies = [m["body"] for m in sent if m["type"] == "http.response.body" and m.get("body")]
    body = b"".join(bodies)
    # The file is larger than the pipe holds: the writer had to wait for the client.
    assert len(body) > (streaming.PIPE_CHUNKS + 2) * streaming.PIPE_CHUNK
    assert len(bodies) == -(-len(body) // streaming.PIPE_CHUNK)
    assert all(len(b) == streaming.PIPE_CHUNK for b in bodies[:-1])
    assert done_at_first_body == [False]  # the first chunk left before the file was written
    assert writer["done"] is True and writer["thread"] is not threading.current_thread()
    r = await api.client.get(
        f"{V}/organisations/{org}/statistics",
        params={"as_of": AS_OF},
        headers=api.auth(county.admin_a),
    )
    total = r.json()["members"]["total"]
    assert total == 4
    rows = list(load_workbook(io.BytesIO(body))["党员基本情况"].iter_rows(values_only=True))
    assert rows[3][:2] == ("党员总数", total)


async def test_a_member_user_may_not_download_the_workbook(api, county):
    member = await api.member(county.admin_a, county.branch_a["id"], joined_on="2015-07-01")
    _, token = await api.user(county.admin_a, "member", county.branch_a["id"], member["id"])
    r = await api.client.get(
        f"{V}/organisations/{county.branch_a['id']}/statistics.xlsx", headers=api.auth(token)
    )
    assert r.status_code == 403, r.text


async def test_a_reader_that_stops_ends_the_writer_and_a_writer_error_reaches_the_reader():
    ended = threading.Event()
    errors = []

    def endless(out):
        try:
            while True:
                out.write(b"x" * 1000)
        except OSError as exc:
            errors.append(exc)
            raise
        finally:
            ended.set()

    chunks = streaming.stream_written(endless)
    first = await chunks.__anext__()
    assert len(first) == streaming.PIPE_CHUNK
    await chunks.aclose()
    assert await asyncio.to_thread(ended.wait, 5)
    assert len(errors) == 1

    def failing(out):
        out.write(b"y" * 10)
        raise ValueError("broken")

    received = []
    with pytest.raises(ValueError, match="broken"):
        async for chunk in streaming.stream_written(failing):
            received.append(chunk)
    assert received == []  # the bytes before the error are not sent as a whole file
