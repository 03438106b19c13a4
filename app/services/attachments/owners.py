"""The kinds of record attachments hang on: one entry each, saying how to load the owner
scope-checked (absent or out of scope: 404) and who may add or delete its files.

A new kind is one loader and one `OWNERS` entry (with
the owner's change-feed events, catalogued in `changes.DomainEvent`), plus its value in
`AttachmentOwnerKind` and the table's CHECK.
"""

from __future__ import annotations

import uuid
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from app.errors import ErrorCode, NotFound
from app.models.admission import DevelopmentStepRecord
from app.models.attachment import AttachmentOwnerKind
from app.security.scope import Principal, require_writer
from app.services import meetings, members
from app.services.integration.changes import DomainEvent
from app.services.meetings.records import require_meeting_writer


@dataclass(frozen=True)
class Owner:
    """A loaded owner: what the attachment service needs of it."""

    kind: AttachmentOwnerKind
    id: uuid.UUID
    org_path: str  # the attachment's audit rows are filed under it
    record: Any  # the loaded row itself


@dataclass(frozen=True)
class OwnerKind:
    # Loads the owner the principal may see, else raises its 404.
    load: Callable[[AsyncSession, Principal, uuid.UUID], Awaitable[Owner]]
    # Raises 403 unless the principal may add and delete the owner's files.
    require_writer: Callable[[Principal], None]
    # The owner's change-feed events when a file is added and deleted.
    added: DomainEvent
    deleted: DomainEvent


async def _member(session: AsyncSession, principal: Principal, ident: uuid.UUID) -> Owner:
    member = await members.get_visible(session, principal, ident)
    kind = AttachmentOwnerKind.member
    return Owner(kind, member.id, member.org_path, member)


async def _meeting(session: AsyncSession, principal: Principal, ident: uuid.UUID) -> Owner:
    meeting = await meetings.get_visible(session, principal, ident)
    kind = AttachmentOwnerKind.meeting
    return Owner(kind, meeting.id, meeting.org_path, meeting)


async def _development_step(session: AsyncSession, principal: Principal, ident: uuid.UUID) -> Owner:
    """A step recorded for a member (its talk notes, training certificate, review
    papers): visible when its member is; its files' events are the member's."""
    step = await session.get(DevelopmentStepRecord, ident)
    if step is None:
        raise NotFound(ErrorCode.lifecycle_step_not_found)
    try:
        member = await members.get_visible(session, principal, step.member_id)
    except NotFound:
        raise NotFound(ErrorCode.lifecycle_step_not_found) from None
    return Owner(AttachmentOwnerKind.development_step, step.id, member.org_path, member)


OWNERS: dict[AttachmentOwnerKind, OwnerKind] = {
    # A member's development record (发展党员全程纪实): its administrators and secretaries.
    AttachmentOwnerKind.member: OwnerKind(
        _member,
        require_writer,
        DomainEvent.member_attachment_added,
        DomainEvent.member_attachment_deleted,
    ),
    # Minutes scans, photos of 主题党日: whoever keeps the meeting's record.
    AttachmentOwnerKind.meeting: OwnerKind(
        _meeting,
        require_meeting_writer,
        DomainEvent.meeting_attachment_added,
        DomainEvent.meeting_attachment_deleted,
    ),
    # The materials of one step of the development record: filed with the member's.
    AttachmentOwnerKind.development_step: OwnerKind(
        _development_step,
        require_writer,
        DomainEvent.member_attachment_added,
        DomainEvent.member_attachment_deleted,
    ),
}


async def load_owner(
    session: AsyncSession, principal: Principal, kind: AttachmentOwnerKind | str, ident: uuid.UUID
) -> Owner:
    """The owner `ident` of that kind, scope-checked by the kind's own loader."""
    return await OWNERS[AttachmentOwnerKind(kind)].load(session, principal, ident)
