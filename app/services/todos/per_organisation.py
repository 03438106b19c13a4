"""The organisation-scale kinds of to-do: meetings due by cadence and terms ending. Their
rules are judged per organisation under its own effective policy by the services that
own them (`compliance.meeting_compliance`, `organisations.terms.term_flags`), so these
items are made in Python; their number is bounded by the subtree's organisations, not
its members."""

from __future__ import annotations

import uuid
from collections.abc import Awaitable, Callable
from datetime import date, timedelta

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from app.models.enums import TodoKind, TodoSeverity
from app.models.organisation import Organisation
from app.security.scope import Principal
from app.services import compliance
from app.services.organisations.terms import org_term_flags
from app.services.policies import effective_policies
from app.services.todos.sources import Todo

OrgSource = Callable[[AsyncSession, Principal, date], Awaitable[list[Todo]]]


def _periods(today: date) -> dict[str, compliance.Period]:
    quarter = (today.month - 1) // 3 + 1
    return {
        "monthly": compliance.period_for(today.year, None, today.month),
        "quarterly": compliance.period_for(today.year, quarter, None),
        "yearly": compliance.period_for(today.year, None, None),
    }


def _org_todo(
    kind: TodoKind,
    code: str,
    severity: TodoSeverity,
    due_on: date | None,
    name: str,
    org: uuid.UUID,
) -> Todo:
    return Todo(kind, code, severity, due_on, name, "organisation", org, org)


async def meetings_due(session: AsyncSession, p: Principal, today: date) -> list[Todo]:
    """Meetings each organisation owes by its cadence (`compliance.meeting_compliance`):
    the current month's, quarter's or year's slot not yet filled (due at its end), and
    slots of this year already over without a meeting (missed)."""
    out: dict[tuple[str, str], Todo] = {}  # one per organisation, type and due/missed
    for cadence, period in _periods(today).items():
        report = await compliance.meeting_compliance(
            session, p.org_path, year=today.year,
            quarter=int(period.label[-1]) if cadence == "quarterly" else None,
            month=today.month if cadence == "monthly" else None, as_of=today,
        )  # fmt: skip
        for row in report.rows:
            org, meeting_type = uuid.UUID(row["org_id"]), row["type"]
            if row["cadence"] == cadence and row["held"] < row["required"]:
                out[(row["org_id"], meeting_type)] = _org_todo(
                    TodoKind.meeting_due, f"meeting.{meeting_type}", TodoSeverity.warning,
                    period.end - timedelta(days=1), row["org_name"], org,
                )  # fmt: skip
            if cadence == "yearly" and row["missing"]:
                out[(row["org_id"], meeting_type + ".missed")] = _org_todo(
                    TodoKind.meeting_due, f"meeting.{meeting_type}.missed", TodoSeverity.error,
                    None, row["org_name"], org,
                )  # fmt: skip
    return list(out.values())


async def terms_ending(session: AsyncSession, p: Principal, today: date) -> list[Todo]:
    """Organisations of my subtree whose term ends within the warning window or has
    expired (`organisations.terms.term_flags`, each by its own effective policy)."""
    orgs = list(
        (
            await session.scalars(
                select(Organisation).where(
                    p.scope.filter(Organisation.path),
                    Organisation.dissolved_on.is_(None),
                    Organisation.term_started_on.is_not(None),
                )
            )
        ).all()
    )
    policies = await effective_policies(session, p.org_path, [(o.id, o.path) for o in orgs])
    out = []
    for org in orgs:
        policy = policies[org.id]
        ends_on, flags = org_term_flags(org, policy, today)
        out += [
            _org_todo(
                TodoKind.term_ending, f.code, TodoSeverity(f.severity), ends_on, org.name, org.id
            )
            for f in flags
            if f.code in ("term.ending_soon", "term.expired")
        ]
    return out


ORG_SOURCES: dict[TodoKind, OrgSource] = {
    TodoKind.meeting_due: meetings_due,
    TodoKind.term_ending: terms_ending,
}
