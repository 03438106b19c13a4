"""The one pagination helper: keyset (cursor) pages with a stable `?sort=`.

A page costs the same whatever the subtree size: rows after the cursor are
read through an index in sort order, never skipped with OFFSET.
"""

from __future__ import annotations

import base64
import hmac
import uuid
from collections.abc import Callable, Hashable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any, Generic, TypeVar

import orjson
from sqlalchemy import (
    ColumnElement,
    Integer,
    Select,
    and_,
    bindparam,
    cast,
    false,
    func,
    literal,
    literal_column,
    or_,
    select,
    tuple_,
    union_all,
)
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import InstrumentedAttribute

from app import db
from app.config import get_settings
from app.errors import ErrorCode, Unprocessable
from app.i18n import Text

T = TypeVar("T")
R = TypeVar("R")
X = TypeVar("X")
MAX_LIMIT = 500
DEFAULT_LIMIT = 50


@dataclass(frozen=True)
class SortKey:
    name: str
    column: InstrumentedAttribute[Any]
    descending: bool


@dataclass
class Page(Generic[T]):
    items: list[T]
    next_cursor: str | None
    total: int | None


def like_escape(text: str) -> str:
    """`text` as a literal inside a LIKE pattern (PostgreSQL's default escape, backslash)."""
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


def parse_sort(
    sort: str | None,
    allowed: Mapping[str, InstrumentedAttribute[Any]],
    tiebreaker: InstrumentedAttribute[Any],
    default: str = "id",
) -> list[SortKey]:
    """`name,-other` into sort keys; the id always closes the list so order is total."""
    keys: list[SortKey] = []
    for raw in (sort or default).split(","):
        part = raw.strip()
        if not part:
            continue
        descending = part.startswith("-")
        name = part.lstrip("-+")
        if name == "id":
            keys.append(SortKey("id", tiebreaker, descending))
            break
        column = allowed.get(name)
        if column is None:
            raise Unprocessable.field(
                "sort",
                ErrorCode.pagination_sort_invalid,
                Text(
                    zh=f"不支持按 {name!r} 排序，可用：{', '.join(sorted(allowed))}",
                    en=f"unknown sort field {name!r}; use {sorted(allowed)}",
                ),
            )
        keys.append(SortKey(name, column, descending))
    if not keys or keys[-1].name != "id":
        keys.append(SortKey("id", tiebreaker, keys[-1].descending if keys else False))
    return keys


def _encode_value(value: Any) -> list[Any]:
    if value is None:  # a row whose sort value is NULL
        return ["n", None]
    if isinstance(value, uuid.UUID):
        return ["u", str(value)]
    if isinstance(value, datetime):
        return ["t", value.isoformat()]
    if isinstance(value, date):
        return ["d", value.isoformat()]
    return ["v", value]


def _decode_value(tagged: list[Any]) -> Any:
    tag, value = tagged
    if tag == "n" and value is None:
        return None
    if tag == "u":
        return uuid.UUID(value)
    if tag == "t":
        return datetime.fromisoformat(value)
    if tag == "d":
        return date.fromisoformat(value)
    if tag == "v" and isinstance(value, str | int | float | bool):
        return value
    raise ValueError("bad cursor value")


def _signature(body: bytes) -> bytes:
    """The cursor's MAC: a cursor is only ever one the server issued (16 bytes of HMAC)."""
    key = ("pagination-cursor:" + get_settings().secret_key).encode()
    return hmac.digest(key, body, "sha256")[:16]  # one-shot, in C (no HMAC object)


def encode_cursor(sort_keys: list[SortKey], values: list[Any]) -> str:
    payload = {
        "k": [k.name + ("-" if k.descending else "") for k in sort_keys],
        "v": [_encode_value(v) for v in values],
    }
    body = orjson.dumps(payload)
    return base64.urlsafe_b64encode(_signature(body) + body).decode().rstrip("=")


def _expected_type(key: SortKey) -> type[Any] | None:
    try:
        python_type: type[Any] = key.column.type.python_type
    except NotImplementedError:
        return None
    return python_type


def decode_cursor(sort_keys: list[SortKey], cursor: str) -> list[Any]:
    """The values a cursor carries, checked: signed by this server, for this sort order,
    each of its column's type; anything else is 422 `pagination.cursor_invalid`."""
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4))
        mac, body = raw[:16], raw[16:]
        if not hmac.compare_digest(mac, _signature(body)):
            raise ValueError("cursor not issued by this server")
        payload = orjson.loads(body)
        names = [k.name + ("-" if k.descending else "") for k in sort_keys]
        if payload["k"] != names or len(payload["v"]) != len(sort_keys):
            raise ValueError("cursor belongs to another sort order")
        values = [_decode_value(v) for v in payload["v"]]
        for key, value in zip(sort_keys, values, strict=True):
            expected = _expected_type(key)
            if value is None and not _nullable(key):
                raise TypeError(f"cursor value for {key.name} cannot be NULL")
            if value is not None and expected is not None and not isinstance(value, expected):
                raise TypeError(f"cursor value for {key.name} is not a {expected.__name__}")
        return values
    except (ValueError, KeyError, TypeError, orjson.JSONDecodeError) as exc:
        raise Unprocessable.field(
            "cursor",
            ErrorCode.pagination_cursor_invalid,
            Text(zh="游标无效，或属于另一种排序", en="the cursor is invalid or for another sort"),
        ) from exc


def _nullable(key: SortKey) -> bool:
    """Whether the key's column may hold NULL (a column not known to be NOT NULL may)."""
    return bool(getattr(key.column.expression, "nullable", True))


def _mark(key: SortKey, value: Any) -> ColumnElement[Any]:
    """The cursor's value for `key` in SQL: a bound parameter as given, a value as a literal."""
    return value if isinstance(value, ColumnElement) else literal(value, key.column.type)


def _beyond(key: SortKey, value: Any) -> ColumnElement[bool]:
    """Rows whose `key` comes strictly after `value` in the ORDER BY's order.

    PostgreSQL sorts NULL after every value ascending and before every value descending:
    after a value ascending come the greater values and the NULLs, after NULL nothing;
    descending, after a value come the smaller values, after NULL every value."""
    column = key.column
    if not _nullable(key):
        mark = _mark(key, value)
        return column < mark if key.descending else column > mark
    if not isinstance(value, ColumnElement):  # the cursor's value known: its branch only
        if value is None:
            return column.is_not(None) if key.descending else false()
        mark = _mark(key, value)
        return column < mark if key.descending else or_(column > mark, column.is_(None))
    mark = cast(value, key.column.type)  # a parameter: NULL or not only when bound
    if key.descending:
        return or_(column < mark, and_(column.is_not(None), mark.is_(None)))
    return or_(column > mark, and_(column.is_(None), mark.is_not(None)))


def _same(key: SortKey, value: Any) -> ColumnElement[bool]:
    """Rows whose `key` is the cursor's `value` (NULL the same as NULL)."""
    if not _nullable(key):
        return key.column == _mark(key, value)
    if not isinstance(value, ColumnElement):
        return key.column.is_(None) if value is None else key.column == _mark(key, value)
    return key.column.is_not_distinct_from(cast(value, key.column.type))


def _after(sort_keys: list[SortKey], values: list[Any]) -> ColumnElement[bool]:
    """(k1 > v1) OR (k1 = v1 AND k2 > v2) OR ...: rows strictly after the cursor, in the
    ORDER BY's order, NULLs where PostgreSQL sorts them (`_beyond`).

    Keys all in one direction and NOT NULL compare as a row, `(k1, k2) > (v1, v2)` (the
    same rows): an index on the keys then starts its walk at the cursor, so a later page
    reads no more than the first; the OR form is only a filter over the walk from the
    start. A row comparison with a NULL in it is NULL, so a nullable key takes the OR form."""
    if len({k.descending for k in sort_keys}) == 1 and not any(map(_nullable, sort_keys)):
        keys = tuple_(*[k.column for k in sort_keys])
        marks = tuple_(*[_mark(k, v) for k, v in zip(sort_keys, values, strict=True)])
        return keys < marks if sort_keys[0].descending else keys > marks
    clauses = []
    for i, key in enumerate(sort_keys):
        equal_prefix = [_same(sort_keys[j], values[j]) for j in range(i)]
        clauses.append(and_(*equal_prefix, _beyond(key, values[i])))
    return or_(*clauses)


def clamp_limit(limit: int | None) -> int:
    if limit is None:
        return DEFAULT_LIMIT
    return max(1, min(limit, MAX_LIMIT))


def _page_select(
    stmt: Select[T], sort_keys: list[SortKey], after: list[Any] | None, limit: Any
) -> Select[T]:
    """The one keyset page statement: rows after the cursor, in sort order, `limit` of them."""
    if after is not None:
        stmt = stmt.where(_after(sort_keys, after))
    order = [k.column.desc() if k.descending else k.column.asc() for k in sort_keys]
    return stmt.order_by(*order).limit(limit)


def _merged(pages: Sequence[Select[Any]], sort_keys: list[SortKey], limit: Any) -> Select[Any]:
    """One page out of several pages of disjoint parts, each already a keyset page in sort
    order (`_page_select`, the cursor applied in each): `UNION ALL`, then the sort order
    and the limit again. Each part stops after the page on its own index, and the
    merge reads from the parts only as far as the page goes (a Merge Append)."""
    merged = union_all(*pages).subquery("merged")
    order = [
        merged.c[k.column.key].desc() if k.descending else merged.c[k.column.key].asc()
        for k in sort_keys
    ]
    return select(merged).order_by(*order).limit(limit)


def _count_select(stmt: Select[Any]) -> Select[int]:
    return select(func.count()).select_from(stmt.order_by(None).subquery())


def _cut(
    rows: list[X], size: int, sort_keys: list[SortKey], value: Callable[[X, str], object]
) -> tuple[list[X], str | None]:
    """The page (`size` of the `size + 1` rows read) and the cursor after its last row."""
    if len(rows) <= size:
        return rows, None
    rows = rows[:size]
    return rows, encode_cursor(sort_keys, [value(rows[-1], k.column.key) for k in sort_keys])


async def paginate(
    session: AsyncSession,
    stmt: Select[T],
    sort_keys: list[SortKey],
    *,
    limit: int | None,
    cursor: str | None,
    include_total: bool = False,
) -> Page[T]:
    """Run `stmt` (a filtered select of one entity) as a keyset page, through the ORM
    (lists that are not hot; see `paginate_rows` for those that are)."""
    size = clamp_limit(limit)
    total = None
    if include_total:
        total = int(await session.scalar(_count_select(stmt)) or 0)
    after = decode_cursor(sort_keys, cursor) if cursor else None
    rows = list((await session.scalars(_page_select(stmt, sort_keys, after, size + 1))).all())
    items, next_cursor = _cut(rows, size, sort_keys, getattr)
    return Page(items, next_cursor, total)


# Compiled page and count statements by (caller's shape, sort keys, cursor or not, size).
_COMPILED: dict[Hashable, tuple[db.DriverStatement, db.DriverStatement]] = {}
_COMPILED_MAX = 1024


def _compiled_page(
    key: Hashable,
    build: Callable[[], Select[Any]],
    sort_keys: list[SortKey],
    cursor: bool,
    size: int,
    page_columns: Callable[[], Sequence[ColumnElement[Any]]] | None,
    merge: Callable[[], Sequence[Select[Any]]] | None = None,
) -> tuple[db.DriverStatement, db.DriverStatement]:
    """The page and count statements of one shape, compiled at first use.

    The page's LIMIT is a literal of the text (`size + 1`, a clamped integer), not a
    parameter: PostgreSQL plans `LIMIT $n` generically for a tenth of the rows, never
    picks that plan, and so planned the first page anew on every call; with the subtree
    prefix also in the text, a first page has a plan it keeps (issue 24).

    With `merge`, the page is the merge of the pages of `merge()`'s selects (`_merged`).
    """
    compiled = _COMPILED.get(key)
    if compiled is None:
        stmt = build()
        marks = None
        if cursor:
            marks = [
                bindparam(f"after_{i}", None, type_=k.column.type) for i, k in enumerate(sort_keys)
            ]
        limit = literal_column(str(int(size) + 1), Integer)
        pages = [
            _page_select(
                part.add_columns(*page_columns()) if page_columns is not None else part,
                sort_keys,
                marks,
                limit,
            )
            for part in (merge() if merge is not None else [stmt])
        ]
        page = pages[0] if merge is None else _merged(pages, sort_keys, limit)
        compiled = (
            db.DriverStatement.compile(page),
            db.DriverStatement.compile(_count_select(stmt)),
        )
        if len(_COMPILED) >= _COMPILED_MAX:
            _COMPILED.clear()
        _COMPILED[key] = compiled
    return compiled


async def paginate_rows(
    session: AsyncSession,
    shape: Hashable,
    build: Callable[[], Select[Any]],
    values: dict[str, Any],
    sort_keys: list[SortKey],
    make: Callable[[Sequence[object]], R],
    *,
    limit: int | None,
    cursor: str | None,
    include_total: bool = False,
    page_columns: Callable[[], Sequence[ColumnElement[Any]]] | None = None,
    merge: Callable[[], Sequence[Select[Any]]] | None = None,
) -> Page[R]:
    """`paginate` for hot lists, on the driver: each row (an asyncpg Record of the
    select's columns) made into the caller's typed read model by `make`, no ORM object.

    `build()` returns the filtered select with bind parameters instead of values; it is
    called, and the page (and count) statement compiled, once per `shape` (which of
    the caller's filters are present), sort order, cursor presence and page size. Per
    request only `values` are bound. `page_columns()` are read with the page's rows
    after the select's own (e.g. what each row's answer derives in SQL), never counted.
    `merge()`, when given, returns selects of disjoint parts whose rows together are
    `build()`'s (e.g. one per value of a several-valued filter, each served by an index
    in sort order): the page is then merged from the parts' pages (`_merged`), the
    count still counts `build()`. Same pages, order and cursors as `paginate`.
    """
    size = clamp_limit(limit)
    after = decode_cursor(sort_keys, cursor) if cursor else None
    key = (shape, tuple((k.name, k.descending) for k in sort_keys), after is not None, size)
    page_query, count_query = _compiled_page(
        key, build, sort_keys, after is not None, size, page_columns, merge
    )
    params = dict(values)
    if after is not None:
        params.update({f"after_{i}": value for i, value in enumerate(after)})
    total = None
    if include_total:
        sql, args = count_query.bind(**params)
        row = await db.fetchrow(session, sql, *args)
        total = int(row[0])
    sql, args = page_query.bind(**params)
    records = await db.fetch(session, sql, *args)
    page, next_cursor = _cut(records, size, sort_keys, lambda record, key: record[key])
    return Page([make(r) for r in page], next_cursor, total)
