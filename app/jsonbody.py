"""The one JSON encoder of hot answers: orjson, dates, UUIDs and UTC times written as
pydantic writes them (`...Z`). `api.common.json_response` sends what it writes, and
`services.kept_answers` keeps what it wrote."""

from __future__ import annotations

import uuid
from typing import Any

import orjson


def _default(value: Any) -> Any:
    # asyncpg's own UUID type (a uuid.UUID that orjson does not take as one).
    if isinstance(value, uuid.UUID):
        return str(value)
    raise TypeError(f"not JSON serializable: {type(value).__name__}")


def encode(content: Any) -> bytes:
    """`content` (plain values) as a JSON body."""
    return orjson.dumps(content, default=_default, option=orjson.OPT_UTC_Z)
