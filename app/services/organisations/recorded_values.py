"""A member's details as they were recorded on a past day, for the statistics as of
that day: the one place that reads them back from the audit trail.

Every change of a member's record goes through `members.update_member` (the API, an
approved change request, an import), which writes one `member.updated` audit row with
the record's audited fields before and after (`members.access.AUDITED_FIELDS`). So the
`before` of the first such row after day D holds each field's value at the end of D;
a member without a row after D is counted with the record as it is. Only the members
changed after D are read (an index on the update rows' time), so the tables as of today
read nothing here.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable, Mapping
from dataclasses import replace
from datetime import date, datetime, time, timedelta
from typing import Any

from sqlalchemy import Uuid, cast, or_, select
from sqlalchemy.dialects.postgresql import distinct_on
from sqlalchemy.ext.asyncio import AsyncSession

from app.clock import CST
from app.id_sets import among
from app.models.audit import AuditEvent
from app.models.member import Member
from app.services.lifecycle.membership import MemberFacts, Where, placed

MEMBER_UPDATED = "member.updated"

# The details the tables count (`tally.ROW_OF`, the age bands and joining periods).
TABLE_FIELDS = (
    "gender",
    "ethnicity",
    "education",
    "degree",
    "post",
    "new_social_stratum",
    "hardship",
    "category",
    "birth_date",
    "joined_on",
    "lost_contact_since",
)
DATE_FIELDS = frozenset({"birth_date", "joined_on", "lost_contact_since"})

# member id -> the table fields as recorded at the end of the day.
Revised = Mapping[uuid.UUID, dict[str, Any]]


def _value(field: str, value: Any) -> Any:
    if field in DATE_FIELDS and isinstance(value, str):
        return date.fromisoformat(value)
    return value


async def recorded_on(
    session: AsyncSession, day: date, where: Where, also: Iterable[uuid.UUID] = ()
) -> Revised:
    """The table fields at the end of `day` of the members now at an organisation of
    `where` (or among `also`) whose record was changed after that day: the `before`
    of each one's first `member.updated` audit row after it."""
    after = datetime.combine(day + timedelta(days=1), time.min, tzinfo=CST)
    member_id = cast(AuditEvent.resource_id, Uuid)
    also = list(also)
    rows = await session.execute(
        select(member_id, AuditEvent.before)
        .join(Member, Member.id == member_id)
        .where(
            AuditEvent.action == MEMBER_UPDATED,
            AuditEvent.occurred_at >= after,
            or_(placed(where), among(Member.id, also)) if also else placed(where),
        )
        .order_by(member_id, AuditEvent.occurred_at, AuditEvent.id)
        .ext(distinct_on(member_id))
    )
    return {
        found: {f: _value(f, before[f]) for f in TABLE_FIELDS if f in before}
        for found, before in rows.all()
        if before is not None
    }


def as_recorded(members: Iterable[MemberFacts], revised: Revised) -> list[MemberFacts]:
    """The members with the details recorded on the day `revised` was read for."""
    return [replace(m, **revised[m.id]) if m.id in revised else m for m in members]
