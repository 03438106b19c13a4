"""Auth endpoints: token, refresh, logout, me."""

from __future__ import annotations

from typing import Annotated

from fastapi import Form, Request, Response, status

from app.api.common import doc, make_router
from app.api.deps import PrincipalDep, SessionDep, SettingsDep, client_address
from app.errors import ErrorCode, Unprocessable
from app.models.enums import Role
from app.schemas.common import storable_text
from app.schemas.users import Me, RefreshRequest, TokenResponse
from app.services import auth as auth_service
from app.services import users

router = make_router("auth")


@router.post("/auth/token", name="auth_token", description=doc(auth_service.login))
async def auth_token(
    request: Request,
    username: Annotated[str, Form()],
    password: Annotated[str, Form(json_schema_extra={"format": "password"})],
    session: SessionDep,
    settings: SettingsDep,
    grant_type: Annotated[str | None, Form(pattern="^password$")] = None,
) -> TokenResponse:
    # The OAuth2 password form, declared field by field: `scope`, `client_id` and
    # `client_secret` (which Swagger UI may send) are unused and not documented.
    for name, value in (("username", username), ("password", password)):
        if not storable_text(value):
            raise Unprocessable.field(name, ErrorCode.request_text_invalid)
    pair = await auth_service.login(
        session, settings, username, password, client_address(request, settings)
    )
    return TokenResponse(
        access_token=pair.access_token, refresh_token=pair.refresh_token, expires_in=pair.expires_in
    )


@router.post("/auth/refresh", name="auth_refresh", description=doc(auth_service.refresh))
async def auth_refresh(
    body: RefreshRequest, session: SessionDep, settings: SettingsDep
) -> TokenResponse:
    pair = await auth_service.refresh(session, settings, body.refresh_token)
    return TokenResponse(
        access_token=pair.access_token, refresh_token=pair.refresh_token, expires_in=pair.expires_in
    )


@router.post(
    "/auth/logout",
    name="auth_logout",
    status_code=status.HTTP_204_NO_CONTENT,
    description=doc(auth_service.logout),
)
async def auth_logout(
    body: RefreshRequest, session: SessionDep, principal: PrincipalDep
) -> Response:
    await auth_service.logout(session, body.refresh_token, principal)
    return Response(status_code=status.HTTP_204_NO_CONTENT)


@router.get("/auth/me", name="auth_me")
async def auth_me(session: SessionDep, principal: PrincipalDep) -> Me:
    """The signed-in user, their organisation and whether they may read PII in their scope."""
    user, org, pii = await users.signed_in(session, principal)
    return Me(
        id=user.id,
        username=user.username,
        role=Role(user.role),
        org_id=user.org_id,
        member_id=user.member_id,
        active=user.active,
        version=user.version,
        created_at=user.created_at,
        org_code=org.code,
        org_name=org.name,
        may_read_pii=pii,
    )
