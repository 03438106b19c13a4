"""The scope is written once: no hand-written path prefix outside app/security/scope.py
(and app/subtree.py, which writes the prefix as statement text below the db layer).

Every subtree filter (`LIKE '<path>%'`, `path.startswith(root)`) goes through
`Scope`, `under`, `under_any`, `subtree_prefix` or `is_under`; this test reads the
source of `app/` and fails on a copy written by hand anywhere else.
"""

from __future__ import annotations

import ast
import re
from pathlib import Path

APP = Path(__file__).resolve().parents[2] / "app"
OWNERS = (APP / "security" / "scope.py", APP / "subtree.py")

# (file relative to app/, enclosing function) -> why it may keep its own prefix for now.
ALLOWED: dict[tuple[str, str], str] = {}

# A path-valued expression: `x.path`, `org_path`, `root_path`, `within_path`, `prefix`, `root`.
_PATHY = re.compile(r"(\.path\b|\w+_path\b|\bprefix\b|\broot\b)")
_PREFIX_CALLS = {"like", "ilike", "startswith", "concat", "contains"}
_SQL_FUNCTIONS = {"starts_with", "left", "substr", "substring"}
# In SQL text: `|| '%'`, `concat(..., '%')`, `starts_with(`, `left(x.org_path`.
_SQL_PREFIX = re.compile(
    r"\|\|\s*'%'|concat\s*\([^)]*'%'|starts_with\s*\(|left\s*\(\s*[\w.]*path", re.IGNORECASE
)


def _offences(source: str) -> list[tuple[int, str | None, str]]:
    """(line, enclosing function, text) of each hand-written path prefix in `source`.

    Texts come from `ast.unparse` of the node: `ast.get_source_segment` re-splits the
    whole file on every call, which made this scan quadratic (minutes over `app/`)."""
    tree = ast.parse(source)
    found: list[tuple[int, str | None, str]] = []

    def visit(node: ast.AST, func: str | None) -> None:
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
            func = node.name
        if isinstance(node, ast.BinOp) and isinstance(node.op, ast.Add):
            sides = (node.left, node.right)
            for side, other in (sides, sides[::-1]):
                other_text = ast.unparse(other)
                if (
                    isinstance(side, ast.Constant)
                    and side.value in ("%", "%%")
                    and _PATHY.search(other_text)
                ):
                    found.append((node.lineno, func, ast.unparse(node)))
        elif isinstance(node, ast.Constant) and isinstance(node.value, str):
            if _SQL_PREFIX.search(node.value):
                found.append((node.lineno, func, node.value))
        elif (
            (
                isinstance(node, ast.Call)
                and isinstance(node.func, ast.Attribute)
                and node.func.attr in _PREFIX_CALLS
                and _PATHY.search(ast.unparse(node.func.value))
            )
            or (  # func.starts_with(x.org_path, p), func.left(x.org_path, n)
                isinstance(node, ast.Call)
                and isinstance(node.func, ast.Attribute)
                and node.func.attr in _SQL_FUNCTIONS
                and any(_PATHY.search(ast.unparse(arg)) for arg in node.args)
            )
            or (  # x.org_path.op("LIKE")(...)
                isinstance(node, ast.Call)
                and isinstance(node.func, ast.Call)
                and isinstance(node.func.func, ast.Attribute)
                and node.func.func.attr == "op"
                and "like" in ast.unparse(node.func).lower()
                and _PATHY.search(ast.unparse(node.func.func.value))
            )
            or (  # x.org_path[: len(root)] == root
                isinstance(node, ast.Compare)
                and isinstance(node.left, ast.Subscript)
                and isinstance(node.left.slice, ast.Slice)
                and _PATHY.search(ast.unparse(node.left.value))
            )
        ):
            found.append((node.lineno, func, ast.unparse(node)))
        for child in ast.iter_child_nodes(node):
            visit(child, func)

    visit(tree, None)
    return found


def test_the_scanner_catches_each_kind_of_hand_written_prefix() -> None:
    sample = """
def f(principal, within_path, org, e, s):
    a = Member.org_path.like(principal.org_path + "%")
    b = within_path + "%"
    c = org.path.startswith(s.org_path)
    d = "SELECT 1 WHERE m.org_path LIKE $1 || '%'"
    g = literal(x).like(PointScheme.org_path.concat("%"))
    h = Member.org_path.op("LIKE")(principal.org_path + "%%")
    i = func.starts_with(Member.org_path, root)
    j = func.left(Member.org_path, n) == root
    k = "SELECT 1 WHERE starts_with(org_path, $1)"
    l = "SELECT 1 WHERE org_path LIKE concat($1, '%')"
    m = e.org_path[: len(s.org_path)] == s.org_path
"""
    lines = sorted({line for line, _, _ in _offences(sample)})
    assert lines == [3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13]


def test_the_scanner_leaves_name_searches_and_urls_alone() -> None:
    sample = """
def f(q, url, path):
    a = Member.name.like(q.replace("%", "\\\\%") + "%")
    b = url.startswith(("https://", "http://"))
    c = path.startswith("/api/v1/auth/")
"""
    assert _offences(sample) == []


def test_no_hand_written_path_prefix_outside_the_scope_module() -> None:
    offences = []
    used_allowances = set()
    for file in sorted(APP.rglob("*.py")):
        if file in OWNERS:
            continue
        relative = file.relative_to(APP).as_posix()
        for line, func, text in _offences(file.read_text(encoding="utf-8")):
            key = (relative, func or "")
            if key in ALLOWED:
                used_allowances.add(key)
                continue
            offences.append(f"app/{relative}:{line} in {func}: {text}")
    assert offences == [], "write subtree filters through app.security.scope:\n" + "\n".join(
        offences
    )
    # An allowance nobody needs any more is dropped, so the list only shrinks.
    assert used_allowances == set(ALLOWED)
