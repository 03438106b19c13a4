"""Who is a Party member (full and probationary) is one set, `PARTY_MEMBER_STATUSES`:
no other collection in app/ lists exactly those two statuses (a statistics count, the
dues owed, meeting attendance, discipline, scoring and the member flags all read it)."""

from __future__ import annotations

import ast
from pathlib import Path

from app.models.enums import PARTY_MEMBER_STATUS_VALUES, PARTY_MEMBER_STATUSES, MemberStatus

APP = Path(__file__).resolve().parents[2] / "app"
STATUSES = {s.value for s in MemberStatus}
OWNER = APP / "models" / "enums.py"


def _status(node: ast.expr) -> str | None:
    """The status a collection element names: `MemberStatus.full`, `S.full`,
    `MemberStatus.full.value` or `"full"`."""
    if isinstance(node, ast.Attribute) and node.attr == "value":
        node = node.value
    if isinstance(node, ast.Attribute) and node.attr in STATUSES:
        return node.attr
    if isinstance(node, ast.Constant) and node.value in STATUSES:
        return str(node.value)
    return None


def _party_member_lists(source: str) -> list[int]:
    """Lines of the tuple, list and set displays whose elements are statuses and are
    exactly full and probationary."""
    lines = []
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Tuple | ast.List | ast.Set) and node.elts:
            named = [_status(e) for e in node.elts]
            if None not in named and set(named) == set(PARTY_MEMBER_STATUS_VALUES):
                lines.append(node.lineno)
    return lines


def test_the_party_member_statuses_are_full_and_probationary():
    assert set(PARTY_MEMBER_STATUSES) == {MemberStatus.full, MemberStatus.probationary}
    assert tuple(s.value for s in PARTY_MEMBER_STATUSES) == PARTY_MEMBER_STATUS_VALUES


def test_the_scan_finds_each_way_of_writing_the_pair():
    written = [
        "(MemberStatus.full, MemberStatus.probationary)",
        "frozenset({S.probationary, S.full})",
        "[S.full.value, S.probationary.value]",
        "('full', 'probationary')",
    ]
    for source in written:
        assert _party_member_lists(source) == [1], source
    assert _party_member_lists("{S.full, S.probationary, S.suspended}") == []


def test_no_module_but_the_enums_lists_the_party_member_statuses_again():
    found = {
        str(path.relative_to(APP)): lines
        for path in sorted(APP.rglob("*.py"))
        if path != OWNER and (lines := _party_member_lists(path.read_text()))
    }
    assert found == {}
    assert _party_member_lists(OWNER.read_text())  # the one place, found by the same scan
