"""An import's records kept in a temporary file rather than in memory, for an import that
visits its rows more than once (organisations: a row naming a parent further down the
file waits for it, so rows are taken in several passes)."""

from __future__ import annotations

import tempfile
from collections.abc import Iterable
from types import TracebackType
from typing import Any

import orjson

# Up to this many bytes the file stays in memory (a small import never touches disk).
_IN_MEMORY_BYTES = 1 << 20


class Spill:
    """Records written to a temporary file as they come, one JSON line each. Held in
    memory per row: its number, its place in the file and the fields named by `keep`
    (what the passes decide on), a few dozen bytes; the rest is read back when the row's
    turn comes (`read`)."""

    def __init__(self, keep: tuple[str, ...], headers: dict[str, str]) -> None:
        self.keep = keep
        self.headers = headers
        # (row number, offset in the file, the kept fields' values or None)
        self.rows: list[tuple[int, int, tuple[str | None, ...]]] = []
        # Closed by `__exit__`: the spill is the context manager of its file.
        self._file: Any = tempfile.SpooledTemporaryFile(max_size=_IN_MEMORY_BYTES)  # noqa: SIM115

    def __enter__(self) -> Spill:
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        trace: TracebackType | None,
    ) -> None:
        self._file.close()

    def __len__(self) -> int:
        return len(self.rows)

    def add(self, records: Iterable[tuple[int, dict[str, str]]]) -> None:
        """Write records (row number, fields) at the end of the file (blocking)."""
        self._file.seek(0, 2)
        for number, values in records:
            self.rows.append((number, self._file.tell(), tuple(values.get(k) for k in self.keep)))
            self._file.write(orjson.dumps(values) + b"\n")

    def read(self, offset: int) -> dict[str, str]:
        """The fields of the row written at `offset`."""
        self._file.seek(offset)
        values: dict[str, str] = orjson.loads(self._file.readline())
        return values
