"""One writer per table for audit, change-feed and ledger rows (and none in the app for
the table versions its trigger keeps); UUID v7 keys everywhere.

A scan of the source: a second place that writes one of these tables, or a uuid4 where
an ordered key belongs, fails here before it can drift from the owner's rules.
"""

from __future__ import annotations

import re
from pathlib import Path

APP = Path(__file__).resolve().parents[2] / "app"
# table -> the modules allowed to write it. devtools/synth.py loads synthetic benchmark data with
# COPY and INSERT ... SELECT below every service (organisations and members included).
WRITERS = {
    "audit_events": {"services/integration/audit.py"},
    "outbox_events": {"services/integration/changes.py"},
    "point_entries": {"services/points/ledger.py", "devtools/synth.py"},
    "organisation_placements": {"services/organisations/placements.py", "devtools/synth.py"},
    # written only by its trigger (migration 0033), never by the app
    "table_versions": set(),
}
MODELS = {
    "audit_events": "AuditEvent",
    "outbox_events": "OutboxEvent",
    "point_entries": "PointEntry",
    "organisation_placements": "OrganisationPlacement",
    "table_versions": "TableVersion",
}
# uuid4 where randomness, not order, is the point (each line says why).
UUID4_ALLOWED = {"main.py", "security/tokens.py"}


def _sources() -> list[tuple[str, str]]:
    return [(str(p.relative_to(APP)), p.read_text()) for p in sorted(APP.rglob("*.py"))]


def test_each_of_audit_outbox_and_ledger_rows_has_one_writer() -> None:
    offenders = []
    for name, text in _sources():
        if name.startswith("models/"):
            continue
        for table, owners in WRITERS.items():
            model = MODELS[table]
            patterns = [
                rf"INSERT\s+INTO\s+{table}\b",
                rf"insert\(\s*{model}\b",
                rf"session\.add\(\s*{model}\(",
                rf"\b{model}\([^)]*\bsource_key="
                if table == "point_entries"
                else rf"\b{model}\(\s*\w+=",
            ]
            if name not in owners and any(re.search(p, text) for p in patterns):
                offenders.append((name, table))
    assert offenders == []


def test_no_random_uuid_where_an_ordered_key_belongs() -> None:
    offenders = [
        name
        for name, text in _sources()
        if re.search(r"uuid4\(|gen_random_uuid\(\)\s*,", text) and name not in UUID4_ALLOWED
    ]
    assert offenders == []


def test_every_audit_writer_call_names_a_resource_of_the_one_list():
    """`audit.record(session, principal, action, resource, ...)` (and `event_values`,
    its twin for an event written by the caller's statement): the resource is a name of
    `AuditResource` written where the call is (the filter offers that list)."""
    import ast

    from app.models.enums import AuditResource

    names = {r.value for r in AuditResource}
    calls, offenders = 0, []
    for name, text in _sources():
        for node in ast.walk(ast.parse(text)):
            func = node.func if isinstance(node, ast.Call) else None
            if not (isinstance(func, ast.Attribute) and func.attr in ("record", "event_values")):
                continue
            if not (isinstance(func.value, ast.Name) and func.value.id == "audit"):
                continue
            assert isinstance(node, ast.Call)
            calls += 1
            args = [*node.args[3:4], *(k.value for k in node.keywords if k.arg == "resource")]
            literal = args[0] if args else None
            if not (isinstance(literal, ast.Constant) and literal.value in names):
                offenders.append(f"{name}:{node.lineno}")
    assert calls > 40
    assert offenders == []
