"""Spreadsheet cell safety: the one place that neutralises formula triggers.

OWASP's rule for CSV/XLSX exports: a text cell starting with `=`, `+`, `-`, `@`,
a tab or a carriage return gets a leading `'`, so no spreadsheet evaluates it as a
formula. Every export writer calls `neutralise`; the import calls `restore`, which
removes exactly that added `'` (from a cell that then starts with a trigger), so an
export re-imports unchanged. Only text is neutralised: numbers and dates written as
such are values, not formulas.
"""

from __future__ import annotations

from collections.abc import Iterable

FORMULA_TRIGGERS = ("=", "+", "-", "@", "\t", "\r")
QUOTE = "'"


def neutralise(value: object) -> object:
    """A text cell that a spreadsheet would read as a formula, quoted; others unchanged."""
    if isinstance(value, str) and value.startswith(FORMULA_TRIGGERS):
        return QUOTE + value
    return value


def neutralise_row(row: Iterable[object]) -> list[object]:
    return [neutralise(value) for value in row]


def restore(text: str) -> str:
    """The text an exported cell stood for: the `'` `neutralise` added, removed."""
    if text.startswith(QUOTE) and text[1:].startswith(FORMULA_TRIGGERS):
        return text[1:]
    return text
