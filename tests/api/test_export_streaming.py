"""Exports stream: the first bytes leave before the subtree is read, rows are encoded in
a thread batch by batch, and other requests on the same worker keep answering."""

from __future__ import annotations

import asyncio
import csv
import io
import time

import pytest
from openpyxl import load_workbook
from support import new_id_number

from app.services.integration.imports import cells, exports

HEAD = ["姓名", "公民身份号码", "所在党组织编码", "党员状态", "人员类别"]


async def _members(api, county, n):
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(HEAD)
    for i in range(n):
        writer.writerow([f"流{i}", new_id_number(), county.branch_a["code"], "正式党员", "在职"])
    r = await api.client.post(
        "/api/v1/imports",
        params={"kind": "members"},
        files={"file": ("m.csv", out.getvalue().encode())},
        headers=api.auth(county.admin_a),
    )
    assert r.status_code == 201, r.text
    assert r.json()["created"] == n


async def _asgi_get(app, path, query, token):
    """A GET straight through the ASGI app, each message timed as it is sent (httpx's
    ASGI transport gathers the body before answering)."""
    sent = []
    requested = []

    async def receive():
        if requested:  # the client stays connected until the response ends
            await asyncio.Event().wait()
        requested.append(1)
        return {"type": "http.request", "body": b"", "more_body": False}

    async def send(message):
        sent.append(message)

    scope = {
        "type": "http", "asgi": {"version": "3.0"}, "http_version": "1.1", "method": "GET",
        "scheme": "http", "path": path, "raw_path": path.encode(), "root_path": "",
        "query_string": query.encode(), "server": ("test", 80), "client": ("127.0.0.1", 1),
        "headers": [(b"host", b"test"), (b"authorization", f"Bearer {token}".encode())],
    }  # fmt: skip
    return scope, receive, send, sent


@pytest.mark.parametrize("fmt", ["xlsx", "csv"])
async def test_an_export_sends_its_first_bytes_before_the_subtree_is_read(
    api, county, app, monkeypatch, fmt
):
    await _members(api, county, 12)
    monkeypatch.setattr(exports, "EXPORT_BATCH", 3)
    pages = []
    first_body_after_pages = []
    real_page = exports.member_page

    async def counted(*args, **kwargs):
        pages.append(1)
        return await real_page(*args, **kwargs)

    monkeypatch.setattr(exports, "member_page", counted)
    scope, receive, send, sent = await _asgi_get(
        app,
        "/api/v1/exports",
        f"kind=members&format={fmt}&within={county.branch_a['id']}",
        county.admin_a,
    )

    async def timed_send(message):
        body = message["type"] == "http.response.body" and message.get("body")
        if body and not first_body_after_pages:
            first_body_after_pages.append(len(pages))
        await send(message)

    await app(scope, receive, timed_send)
    assert sent[0]["status"] == 200
    assert len(pages) == 5  # 12 members in pages of 3, and the empty page that ends it
    assert first_body_after_pages == [0]  # sent before the first page was read
    bodies = [m["body"] for m in sent if m["type"] == "http.response.body" and m.get("body")]
    # CSV: a chunk per page. XLSX: the workbook's parts at once, then the compressor
    # gives bytes as its window fills (a few rows here: all at the end).
    assert len(bodies) >= (5 if fmt == "csv" else 2)
    body = b"".join(bodies)
    if fmt == "xlsx":
        sheet = load_workbook(io.BytesIO(body), read_only=True).active
        rows = list(sheet.iter_rows(values_only=True))
    else:
        rows = list(csv.reader(io.StringIO(body.decode("utf-8-sig"))))
    assert list(rows[0][:2]) == ["姓名", "公民身份号码"]
    assert len([r for r in rows[1:] if str(r[0]).startswith("流")]) == 12


async def test_healthz_keeps_answering_during_a_large_xlsx_export(api, county, monkeypatch):
    """A province export is CPU work (decrypting, encoding, compressing) for minutes: here
    each row's cells cost 5 ms more, so 800 rows in pages of 400 are 2 s of CPU per page.
    Encoded on the event loop, one /healthz round would wait for a whole page."""
    await _members(api, county, 800)
    monkeypatch.setattr(exports, "EXPORT_BATCH", 400)
    real_row = cells.xlsx_row

    def costly(row):
        until = time.perf_counter() + 0.005
        while time.perf_counter() < until:
            pass
        return real_row(row)

    monkeypatch.setattr(cells, "xlsx_row", costly)

    async def export():
        return await api.client.get(
            "/api/v1/exports",
            params={"kind": "members", "format": "xlsx", "within": county.branch_a["id"]},
            headers=api.auth(county.admin_a),
        )

    download = asyncio.create_task(export())
    waits = []
    await asyncio.sleep(0)
    while not download.done():
        started = time.monotonic()
        r = await api.client.get("/healthz")
        assert r.status_code == 200
        await asyncio.sleep(0.05)
        waits.append(time.monotonic() - started)
    r = await download
    assert r.status_code == 200
    rows = list(load_workbook(io.BytesIO(r.content), read_only=True).active.iter_rows())
    assert len(rows) >= 801
    assert len(waits) >= 5, waits
    # As in the import's test: a blocked loop shows as one round as long as a page (2 s);
    # a shared machine stretches rounds, so too long is over 1 s and a third of the whole.
    assert max(waits) < max(1.0, sum(waits) / 3), waits
