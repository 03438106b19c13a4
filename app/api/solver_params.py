"""A dependant's path, query, header and cookie parameters read as FastAPI's
`request_params_to_args` reads them, with what it derives from each field per request
derived once (`solver` plans).

`request_params_to_args` asks, per field and per request, whether the field is a
parameter model, what its request keys are, and twice whether its annotation is a
sequence: pure functions of the field, 830 k instructions of the member list's 7.6 M
(15 query fields; the values' validation itself is 130 k). `Param` keeps their answers;
`read` then takes the value from the request exactly as `_get_multidict_value` does
for these sources (never form data) and validates it with FastAPI's own
`_validate_value_with_model_field`, that is with the field. A field that is a parameter
model is left to `request_params_to_args` whole.
"""

from __future__ import annotations

import dataclasses
import uuid
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, datetime, time
from decimal import Decimal
from enum import Enum
from typing import Any

from fastapi import params
from fastapi._compat import ModelField, Undefined, field_annotation_is_sequence
from fastapi.dependencies.utils import (
    _get_param_aliases,
    _get_param_model,
    _is_json_field,
    _validate_value_with_model_field,
    request_params_to_args,
)
from starlette.datastructures import Headers, ImmutableMultiDict


@dataclass(frozen=True, slots=True)
class Param:
    """One parameter field and FastAPI's per-request answers about it, taken once."""

    field: ModelField
    name: str
    keys: tuple[str, ...]  # the request keys, in FastAPI's order of preference
    location: str  # the first part of an error's `loc`: "path", "query", ...
    sequence: bool  # an empty list of values counts as absent
    listed: bool  # from a multi-valued source, every value of the key
    # Values validated before, by the text received (Undefined: absent, the default);
    # only where validation is a pure function of the text (`_validated`).
    known: dict[Any, Any] = dataclasses.field(default_factory=dict, compare=False)


@dataclass(frozen=True, slots=True)
class Group:
    """A dependant's parameters of one kind, and the request attribute they come from."""

    source: str
    fields: list[ModelField]
    params: tuple[Param, ...] | None  # None: a parameter model, read by FastAPI whole


def _param(field: ModelField) -> Param | None:
    if _get_param_model(field) is not None:
        return None
    field_info = field.field_info
    assert isinstance(field_info, params.Param), "Params must be subclasses of Param"
    sequence = field_annotation_is_sequence(field_info.annotation)
    return Param(
        field=field,
        name=field.name,
        keys=tuple(key for _, key in _get_param_aliases(field)),
        location=field_info.in_.value,
        sequence=sequence,
        listed=sequence and not _is_json_field(field),
    )


def group(fields: list[ModelField], source: str) -> Group:
    found = [_param(field) for field in fields]
    known = None if None in found else tuple(p for p in found if p is not None)
    return Group(source=source, fields=fields, params=known)


def read(kind: Group, received: Mapping[str, Any]) -> dict[str, Any] | None:
    """The group's values from `received` (path params, query params, headers or
    cookies), as `request_params_to_args` gives them; None if any does not validate."""
    if kind.params is None:
        found, errors = request_params_to_args(kind.fields, received)
        return None if errors else found
    multi = isinstance(received, ImmutableMultiDict | Headers)
    values: dict[str, Any] = {}
    for param in kind.params:
        key = param.keys[0]
        for candidate in param.keys:
            if candidate in received:
                key = candidate
                break
        value = received.getlist(key) if param.listed and multi else received.get(key)  # type: ignore[attr-defined]
        if value is None or (param.sequence and len(value) == 0):
            value = Undefined
        valid = _validated(param, value, values, key)
        if valid is _INVALID:
            return None
        values[param.name] = valid
    return values


_INVALID = object()
# What a parameter's value may be kept as: immutable, so one object serves every request.
_IMMUTABLE = (str, int, float, Decimal, Enum, uuid.UUID, date, datetime, time, type(None))
# Values kept per parameter: the few a client sends again and again (a page size, a
# depth, a flag, the caller's organisation); past this many, the rest are validated.
KNOWN_PER_PARAM = 256


def _validated(param: Param, value: Any, values: dict[str, Any], key: str) -> Any:
    """`value` validated by the field (FastAPI's `_validate_value_with_model_field`), or
    `_INVALID`. A text (or the absence: the default) validated before gives the value it
    gave then: a parameter's validation is a pure function of its text (no validator
    reads anything else; a default made by a factory is made again), and a default is
    copied and validated per request otherwise (15 query fields of the member list,
    most absent, cost more than its rows' flags)."""
    text = value is Undefined or type(value) is str
    if text and (known := param.known.get(value, _INVALID)) is not _INVALID:
        return known
    valid, errors = _validate_value_with_model_field(
        field=param.field, value=value, values=values, loc=(param.location, key)
    )
    if errors:
        return _INVALID
    if (
        text
        and isinstance(valid, _IMMUTABLE)
        and param.field.field_info.default_factory is None
        and len(param.known) < KNOWN_PER_PARAM
    ):
        param.known[value] = valid
    return valid
