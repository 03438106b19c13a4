"""Export encoders that stream: CSV and XLSX bytes written batch by batch, in a thread.

An export is a sequence of row batches. Each batch is turned into rows and encoded in
a worker thread (`anyio.to_thread`), one batch at a time: the event loop only fetches
the next page, so other requests on the same worker keep answering, and memory holds
one batch and its encoded bytes, however large the subtree.

XLSX: openpyxl (write-only mode) writes the workbook's parts once, with an empty sheet;
the zip is then written as a stream (data descriptors, no seeking back), the sheet's
rows as inline strings in the middle of its XML. Shared strings, openpyxl's default,
would keep every distinct text in memory until the end; inline strings do not, and
every reader (Excel, WPS, LibreOffice, openpyxl) reads them.
"""

from __future__ import annotations

import contextlib
import csv
import io
import queue
import threading
import zipfile
from collections.abc import AsyncIterator, Callable
from functools import cache
from xml.sax.saxutils import escape

import anyio.to_thread

from app.services.integration.imports import cells

# A batch: a function giving its rows, called in the encoding thread (the CPU work of
# building rows, such as decrypting ID numbers, stays off the event loop too).
Batch = Callable[[], list[list[str]]]
SHEET = "xl/worksheets/sheet1.xml"
_ROWS_AT = "<sheetData>"


class _Sink(io.RawIOBase):
    """A write-only, unseekable file: zipfile then streams with data descriptors."""

    def __init__(self) -> None:
        self.parts: list[bytes] = []

    def writable(self) -> bool:
        return True

    def write(self, data: bytes) -> int:  # type: ignore[override]
        self.parts.append(bytes(data))
        return len(data)

    def take(self) -> bytes:
        out, self.parts = b"".join(self.parts), []
        return out


@cache
def _skeleton() -> tuple[tuple[zipfile.ZipInfo, bytes], ...]:
    """The parts of a one-sheet workbook with no rows, as openpyxl writes them."""
    from openpyxl import Workbook

    workbook = Workbook(write_only=True)
    workbook.create_sheet("data")
    out = io.BytesIO()
    workbook.save(out)
    with zipfile.ZipFile(out) as archive:
        return tuple((info, archive.read(info)) for info in archive.infolist())


def _cell(ref: str, value: str) -> str:
    space = ' xml:space="preserve"' if value != value.strip() else ""
    return f'<c r="{ref}" t="inlineStr"><is><t{space}>{escape(value)}</t></is></c>'


def _column(index: int) -> str:
    name = ""
    index += 1
    while index:
        index, rest = divmod(index - 1, 26)
        name = chr(65 + rest) + name
    return name


class XlsxStream:
    """One XLSX file written as a stream: `start`, `rows` for each batch, `end`."""

    def __init__(self) -> None:
        self._sink = _Sink()
        self._zip = zipfile.ZipFile(self._sink, "w", zipfile.ZIP_DEFLATED, compresslevel=5)
        self._sheet: io.BufferedIOBase | None = None
        self._tail = b""
        self._row = 0

    def start(self) -> bytes:
        """Every other part, then the sheet's XML up to its rows (the sheet goes last:
        a zip entry open for writing must be the last one)."""
        parts = _skeleton()
        for info, data in parts:
            if info.filename != SHEET:
                self._zip.writestr(info, data)
        info, data = next(part for part in parts if part[0].filename == SHEET)
        head, tail = data.decode().split(_ROWS_AT, 1)
        self._tail = tail.encode()
        entry = zipfile.ZipInfo(SHEET, date_time=info.date_time)
        entry.compress_type = zipfile.ZIP_DEFLATED
        self._sheet = self._zip.open(entry, "w", force_zip64=True)  # type: ignore[assignment]
        self._write((head + _ROWS_AT).encode())
        return self._sink.take()

    def rows(self, batch: list[list[str]]) -> bytes:
        parts = []
        for row in batch:
            self._row += 1
            values = "".join(
                _cell(f"{_column(i)}{self._row}", str(v))
                for i, v in enumerate(cells.xlsx_row(row))
                if v != ""
            )
            parts.append(f'<row r="{self._row}">{values}</row>')
        self._write("".join(parts).encode())
        return self._sink.take()

    def end(self) -> bytes:
        self._write(self._tail)
        assert self._sheet is not None
        self._sheet.close()
        self._zip.close()
        return self._sink.take()

    def _write(self, data: bytes) -> None:
        assert self._sheet is not None
        self._sheet.write(data)


def _csv_rows(batch: list[list[str]]) -> bytes:
    buffer = io.StringIO()
    csv.writer(buffer).writerows(cells.neutralise_row(row) for row in batch)
    return buffer.getvalue().encode("utf-8")


def _encode(encoder: Callable[[list[list[str]]], bytes], batch: Batch) -> bytes:
    return encoder(batch())


async def export_csv(batches: AsyncIterator[Batch]) -> AsyncIterator[bytes]:
    """CSV (UTF-8 with a BOM, which Excel needs to read it as such), batch by batch."""
    yield "\ufeff".encode()
    async for batch in batches:
        yield await anyio.to_thread.run_sync(_encode, _csv_rows, batch)


async def export_xlsx(batches: AsyncIterator[Batch]) -> AsyncIterator[bytes]:
    """XLSX written as a stream: the first bytes leave before the first row is read."""
    stream = XlsxStream()
    yield stream.start()
    async for batch in batches:
        chunk = await anyio.to_thread.run_sync(_encode, stream.rows, batch)
        if chunk:
            yield chunk
    yield await anyio.to_thread.run_sync(stream.end)


# A file written in a thread and streamed (`stream_written`): its bytes go out in
# chunks of `PIPE_CHUNK`, at most `PIPE_CHUNKS` of them waiting for the client (the
# writer waits while the client reads slower).
PIPE_CHUNK = 64 * 1024
PIPE_CHUNKS = 4
_WAIT = 0.5  # seconds between looks at whether the reader went away


class _Pipe(io.RawIOBase):
    """The writing end of `stream_written`: a write-only, unseekable file (zipfile then
    streams with data descriptors) whose bytes go into a bounded queue in chunks."""

    def __init__(self, chunks: queue.Queue[bytes | BaseException | None], gone: threading.Event):
        self._chunks, self._gone, self._buffer = chunks, gone, bytearray()

    def writable(self) -> bool:
        return True

    def write(self, data: bytes) -> int:  # type: ignore[override]
        self._buffer += data
        while len(self._buffer) >= PIPE_CHUNK:
            self.put(bytes(self._buffer[:PIPE_CHUNK]))
            del self._buffer[:PIPE_CHUNK]
        return len(data)

    def put(self, item: bytes | BaseException | None) -> None:
        """Queue `item`, waiting for room; OSError once the reader went away."""
        while not self._gone.is_set():
            try:
                self._chunks.put(item, timeout=_WAIT)
                return
            except queue.Full:
                continue
        raise OSError("the response was abandoned")

    def end(self, error: BaseException | None) -> None:
        """The rest of the bytes, then the end (None) or the writer's error."""
        if error is None and self._buffer:
            self.put(bytes(self._buffer))
        self.put(error)


async def stream_written(write: Callable[[io.RawIOBase], None]) -> AsyncIterator[bytes]:
    """The bytes `write` writes into a file, sent as they are written: `write` runs in
    a thread of its own (CPU work off the event loop), into a pipe holding at most
    `PIPE_CHUNKS` chunks, so memory stays bounded whatever the file's size. An error
    of `write` is raised here; a reader that stops makes the writer's next write fail."""
    chunks: queue.Queue[bytes | BaseException | None] = queue.Queue(PIPE_CHUNKS)
    gone = threading.Event()
    pipe = _Pipe(chunks, gone)

    def run() -> None:
        try:
            write(pipe)
        except BaseException as exc:  # handed to the reader, raised there
            with contextlib.suppress(OSError):
                pipe.end(exc)
            return
        with contextlib.suppress(OSError):
            pipe.end(None)

    threading.Thread(target=run, name="stream-written", daemon=True).start()
    try:
        while (item := await anyio.to_thread.run_sync(chunks.get)) is not None:
            if isinstance(item, BaseException):
                raise item
            yield item
    finally:
        gone.set()
