"""Spreadsheet cell safety: the one place that neutralises formula triggers.

OWASP's rule for CSV/XLSX exports: a text cell starting with `=`, `+`, `-`, `@`,
a tab or a carriage return gets a leading `'`, so no spreadsheet evaluates it as a
formula. Every export writer calls `neutralise`; the import calls `restore`, which
removes exactly that added `'` (from a cell that then starts with a trigger), so an
export re-imports unchanged. Only text is neutralised: numbers and dates written as
such are values, not formulas.

XLSX cannot hold C0 control characters other than tab and line breaks; text input
refuses them, and `xlsx_row` replaces any a row stored before that with U+FFFD so the
export still succeeds (CSV, which can hold them, writes them unchanged).
"""

from __future__ import annotations

import re
from collections.abc import Iterable

FORMULA_TRIGGERS = ("=", "+", "-", "@", "\t", "\r")
QUOTE = "'"
# What openpyxl refuses in a cell (its ILLEGAL_CHARACTERS_RE), and what stands for it.
XLSX_ILLEGAL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f]")
REPLACEMENT = "\ufffd"


def _quoted_trigger(text: str) -> bool:
    """Whether the text, past any leading quotes, starts with a formula trigger."""
    return text.lstrip(QUOTE).startswith(FORMULA_TRIGGERS)


def neutralise(value: object) -> object:
    """A text cell that a spreadsheet would read as a formula, quoted; others unchanged.

    A text that already starts with quotes before a trigger (`'=1`) is quoted too, so
    that `restore`, which removes one quote from such cells, gives it back unchanged.
    """
    if isinstance(value, str) and _quoted_trigger(value):
        return QUOTE + value
    return value


def neutralise_row(row: Iterable[object]) -> list[object]:
    return [neutralise(value) for value in row]


def restore(text: str) -> str:
    """The text an exported cell stood for: the `'` `neutralise` added, removed."""
    if text.startswith(QUOTE) and _quoted_trigger(text[1:]):
        return text[1:]
    return text


def xlsx_row(row: Iterable[object]) -> list[object]:
    """`neutralise_row`, with each character an XLSX cell cannot hold replaced by U+FFFD."""
    return [
        XLSX_ILLEGAL.sub(REPLACEMENT, value) if isinstance(value, str) else value
        for value in neutralise_row(row)
    ]
