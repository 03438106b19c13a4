"""Where a user's email reminders go: set by the user, kept as a PII-cipher blob (never
in clear in the database), read back in clear only for the user and the SMTP channel."""

from __future__ import annotations

import uuid

from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from app.models.notification import NotificationAddress
from app.security.pii import pii_cipher

EMAIL = "notification_email"


async def address_of(session: AsyncSession, user_id: uuid.UUID) -> str | None:
    """The user's reminder address in clear; None when they set none."""
    row = await session.get(NotificationAddress, user_id)
    return pii_cipher().decrypt(row.email_enc, field=EMAIL) if row else None


async def set_address(session: AsyncSession, user_id: uuid.UUID, email: str | None) -> None:
    """Set the address my email reminders go to, or remove it with None. Notifications
    written before keep the channels they were written with."""
    if email is None:
        row = await session.get(NotificationAddress, user_id)
        if row is not None:
            await session.delete(row)
            await session.flush()
        return
    blob = pii_cipher().encrypt(email, field=EMAIL)
    await session.execute(
        insert(NotificationAddress)
        .values(user_id=user_id, email_enc=blob)
        .on_conflict_do_update(index_elements=["user_id"], set_={"email_enc": blob})
    )
