"""Services and routers name vocabulary values through their StrEnum, never as bare strings.

A bare `"finalized"` compiles whether or not the vocabulary has it; `MeetingState.finalized`
does not. SQL text is exempt: it is checked by the database's CHECK constraints.
"""

from __future__ import annotations

import ast
import re
from enum import StrEnum
from pathlib import Path

from app.models import enums

APP = Path(__file__).resolve().parents[2] / "app"
VOCABULARY_FIELDS = {
    "state",
    "status",
    "to_status",
    "from_status",
    "kind",
    "source",
    "presence",
    "category",
    "grade",
    "reported_by",
    "review_status",
    "role",
    "type",
    "contact_state",
    "meeting_type",
    "org_type",
}
VALUES = {
    member.value
    for value in vars(enums).values()
    if isinstance(value, type) and issubclass(value, StrEnum) and value is not StrEnum
    for member in value
}


def _field(node: ast.expr) -> str | None:
    if isinstance(node, ast.Attribute):
        return node.attr
    if isinstance(node, ast.Name):
        return node.id
    if isinstance(node, ast.Subscript) and isinstance(node.slice, ast.Constant):
        return str(node.slice.value)
    return None


def _bare(node: ast.expr) -> list[str]:
    if isinstance(node, ast.Constant) and isinstance(node.value, str) and node.value in VALUES:
        return [node.value]
    if isinstance(node, ast.Tuple | ast.List | ast.Set):
        return [v for elt in node.elts for v in _bare(elt)]
    if isinstance(node, ast.IfExp):
        return _bare(node.body) + _bare(node.orelse)
    return []


def _violations(tree: ast.AST) -> list[tuple[int, str]]:
    found: list[tuple[int, str]] = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Compare) and _field(node.left) in VOCABULARY_FIELDS:
            found += [(node.lineno, v) for c in node.comparators for v in _bare(c)]
        elif isinstance(node, ast.Assign | ast.AnnAssign):
            targets = node.targets if isinstance(node, ast.Assign) else [node.target]
            if node.value is not None and any(_field(t) in VOCABULARY_FIELDS for t in targets):
                found += [(node.lineno, v) for v in _bare(node.value)]
        elif isinstance(node, ast.keyword) and node.arg in VOCABULARY_FIELDS:
            found += [(node.value.lineno, v) for v in _bare(node.value)]
        elif isinstance(node, ast.Dict):
            for key, value in zip(node.keys, node.values, strict=True):
                if key is not None and _field(key) in VOCABULARY_FIELDS:
                    found += [(value.lineno, v) for v in _bare(value)]
    return found


def test_no_service_or_router_compares_or_stores_a_bare_vocabulary_string():
    offenders = [
        f"{path.relative_to(APP.parent)}:{line}: {value!r}"
        for directory in ("services", "api")
        for path in sorted((APP / directory).rglob("*.py"))
        for line, value in _violations(ast.parse(path.read_text(encoding="utf-8")))
    ]
    assert not offenders, "use the StrEnum member:\n" + "\n".join(offenders)


_SQL_FIELDS = "|".join(sorted(VOCABULARY_FIELDS))
_SQL_EQUALS = re.compile(rf"\b(?:{_SQL_FIELDS})\s*(?:=|<>|!=)\s*'([^']*)'", re.IGNORECASE)
_SQL_IN = re.compile(rf"\b(?:{_SQL_FIELDS})\s+IN\s*\(([^)]*)\)", re.IGNORECASE)


def test_every_vocabulary_value_in_service_sql_is_a_value_of_its_enum():
    """SQL text may name values (the planner needs literals for partial indexes), but a
    misspelt one matches nothing silently; each must be a declared enum value."""
    unknown = []
    for path in sorted((APP / "services").rglob("*.py")):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if not (isinstance(node, ast.Constant) and isinstance(node.value, str)):
                continue
            named = _SQL_EQUALS.findall(node.value)
            for listed in _SQL_IN.findall(node.value):
                named += re.findall(r"'([^']*)'", listed)
            unknown += [f"{path.name}:{node.lineno}: {v!r}" for v in named if v not in VALUES]
    assert not unknown, unknown
