"""No function over 60 lines and no module over 500 lines in app/, unless listed here
with the reason it stays whole.

Read from the source with ast. A function counts from its `def` line to its last line
(docstring included, decorators not); a nested function counts inside its parent and
on its own. Tests are exempt. Split a long function or module along the domain's seams
rather than growing the lists below; an entry whose code shrank below the limit must be
removed (the test says so), so the lists only ever hold what is still long.
"""

from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
APP = ROOT / "app"

MAX_FUNCTION_LINES = 60
MAX_MODULE_LINES = 500

# "path::function" -> why it stays whole.
LONG_FUNCTIONS: dict[str, str] = {}

# "path" -> why it stays whole.
LONG_MODULES: dict[str, str] = {}


def _sources() -> list[tuple[str, str]]:
    return [(p.relative_to(ROOT).as_posix(), p.read_text()) for p in sorted(APP.rglob("*.py"))]


def _function_lengths(sources: list[tuple[str, str]]) -> dict[str, int]:
    lengths = {}
    for path, source in sources:
        for node in ast.walk(ast.parse(source, filename=path)):
            if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
                assert node.end_lineno is not None
                lengths[f"{path}::{node.name}"] = node.end_lineno - node.lineno + 1
    return lengths


def _module_lengths() -> dict[str, int]:
    return {path: len(source.splitlines()) for path, source in _sources()}


def test_no_function_in_the_app_is_over_60_lines_without_a_reason():
    lengths = _function_lengths(_sources())
    long = {name: n for name, n in lengths.items() if n > MAX_FUNCTION_LINES}
    unexplained = {name: n for name, n in long.items() if name not in LONG_FUNCTIONS}
    assert not unexplained, f"split these (lines): {unexplained}"
    stale = sorted(set(LONG_FUNCTIONS) - set(long))
    assert not stale, f"no longer over {MAX_FUNCTION_LINES} lines (or gone): remove {stale}"


def test_no_module_in_the_app_is_over_500_lines_without_a_reason():
    lengths = _module_lengths()
    long = {path: n for path, n in lengths.items() if n > MAX_MODULE_LINES}
    unexplained = {path: n for path, n in long.items() if path not in LONG_MODULES}
    assert not unexplained, f"split these along the domain's seams (lines): {unexplained}"
    stale = sorted(set(LONG_MODULES) - set(long))
    assert not stale, f"no longer over {MAX_MODULE_LINES} lines (or gone): remove {stale}"


def test_every_allowed_exception_gives_its_reason():
    for name, reason in {**LONG_FUNCTIONS, **LONG_MODULES}.items():
        assert len(reason.split()) >= 3, f"{name}: say why it stays whole"


def test_the_measure_counts_a_function_from_def_to_its_last_line_nested_ones_too():
    body, nested = "    x = 1\n" * 59, "        x = 1\n" * 59
    source = f"@decorated\ndef f():\n{body}\n\nasync def g():\n    def h():\n{nested}        pass\n"
    lengths = _function_lengths([("m.py", source)])
    assert lengths == {"m.py::f": 60, "m.py::g": 62, "m.py::h": 61}
