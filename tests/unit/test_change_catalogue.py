"""The change feed's catalogue is the one list of event types: every `record_event`
call names a `DomainEvent` member, never a string of its own, and the integration
document names every resource and domain event the catalogue holds."""

from __future__ import annotations

import ast
import re
from pathlib import Path

from app.models.enums import ChangeAction, ChangeResource
from app.services.integration.changes import EVENT_TYPES, ROW_ACTIONS, TRACKED, DomainEvent

ROOT = Path(__file__).resolve().parents[2]
APP = ROOT / "app"
DOC = ROOT / "docs" / "api-conventions.md"


def _event_arguments() -> list[tuple[str, ast.expr]]:
    """(where, the event argument) of every `record_event(...)` call under app/."""
    found = []
    for path in sorted(APP.rglob("*.py")):
        tree = ast.parse(path.read_text("utf-8"), filename=str(path))
        for node in ast.walk(tree):
            if not isinstance(node, ast.Call):
                continue
            name = getattr(node.func, "attr", getattr(node.func, "id", None))
            if name != "record_event":
                continue
            given = [k.value for k in node.keywords if k.arg == "event"]
            argument = node.args[2] if len(node.args) > 2 else given[0]
            found.append((f"{path.relative_to(ROOT)}:{node.lineno}", argument))
    return found


def test_every_record_event_call_names_a_member_of_the_catalogue():
    calls = _event_arguments()
    assert len(calls) >= 7  # notices, discipline (2), rewards, meetings, moves, attachments
    strays = []
    for where, argument in calls:
        if isinstance(argument, ast.Attribute):
            owner = argument.value
            owner_name = getattr(owner, "attr", getattr(owner, "id", None))
            if owner_name == "DomainEvent" and argument.attr in DomainEvent.__members__:
                continue
        if isinstance(argument, ast.Name):  # a variable holding a DomainEvent (typed)
            continue
        strays.append(f"{where}: {ast.unparse(argument)}")
    assert strays == []


def test_no_string_literal_outside_the_catalogue_names_an_event_anywhere_in_record_event():
    literals = [
        f"{where}: {ast.unparse(argument)}"
        for where, argument in _event_arguments()
        if isinstance(argument, ast.Constant | ast.JoinedStr)
    ]
    assert literals == []


def test_the_catalogue_is_the_row_changes_of_each_tracked_resource_and_the_domain_events():
    rows = {
        f"{resource}.{action}"
        for resource, state_attr, *_ in TRACKED.values()
        for action in ROW_ACTIONS
        if state_attr is not None or action is not ChangeAction.state_changed
    }
    assert set(EVENT_TYPES) == rows | {e.value for e in DomainEvent}
    assert not rows & {e.value for e in DomainEvent}
    for event_type, (resource, action) in EVENT_TYPES.items():
        assert event_type == f"{resource.value}.{action.value}"
    assert {resource for resource, *_ in TRACKED.values()} == set(ChangeResource)
    assert {action for _, action in EVENT_TYPES.values()} == set(ChangeAction)


def test_the_integration_document_names_every_resource_and_domain_event():
    section = DOC.read_text("utf-8").split("## The change feed and webhooks", 1)[1]
    section = section.split("\n## ", 1)[0]
    named = set(re.findall(r"`([a-z_.]+)`", section))
    missing = [
        value for value in [*ChangeResource, *ROW_ACTIONS, *DomainEvent] if value.value not in named
    ]
    assert missing == []
