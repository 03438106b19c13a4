"""User and token schemas."""

from __future__ import annotations

import uuid
from datetime import datetime

from pydantic import BaseModel, Field

from app.models.enums import Role
from app.schemas.common import InputModel, ReadModel


class UserCreate(InputModel):
    username: str = Field(min_length=3, max_length=64, pattern=r"^[A-Za-z0-9_.@-]+$")
    password: str = Field(min_length=10, max_length=256)
    role: Role
    org_id: uuid.UUID
    member_id: uuid.UUID | None = Field(
        default=None, description="Required for the `member` role: the member's own record."
    )


class UserUpdate(InputModel):
    password: str | None = Field(default=None, min_length=10, max_length=256)
    role: Role | None = None
    active: bool | None = None


class UserRead(ReadModel):
    id: uuid.UUID
    username: str
    role: Role
    org_id: uuid.UUID
    member_id: uuid.UUID | None
    active: bool
    version: int
    created_at: datetime


class Me(UserRead):
    org_code: str
    org_name: str
    may_read_pii: bool


class TokenResponse(BaseModel):
    access_token: str
    refresh_token: str
    token_type: str = "bearer"
    expires_in: int = Field(description="Seconds until the access token expires.")


class RefreshRequest(InputModel):
    refresh_token: str = Field(min_length=1, max_length=512)
