"""WeChat mini-program identity: login by code, binding and unbinding, binding codes."""

from __future__ import annotations

import uuid

from fastapi import Response, status

from app.api.common import doc, make_router
from app.api.deps import PrincipalDep, SessionDep, SettingsDep
from app.models.user import User
from app.schemas.sign_in import BindingCodeRead, WechatBind, WechatBinding, WechatLogin
from app.schemas.users import TokenResponse
from app.services import users as users_service
from app.services import wechat as service

router = make_router("auth")


@router.post("/auth/wechat", name="auth_wechat", description=doc(service.login))
async def auth_wechat(
    body: WechatLogin, session: SessionDep, settings: SettingsDep
) -> TokenResponse:
    pair = await service.login(session, settings, body.code, body.binding_code)
    return TokenResponse(
        access_token=pair.access_token, refresh_token=pair.refresh_token, expires_in=pair.expires_in
    )


@router.post("/auth/wechat/bind", name="auth_wechat_bind", description=doc(service.bind))
async def auth_wechat_bind(
    body: WechatBind, session: SessionDep, settings: SettingsDep, principal: PrincipalDep
) -> WechatBinding:
    identity = await service.bind(session, settings, principal, body.code)
    return WechatBinding(
        bound_at=identity.bound_at, unionid_bound=identity.unionid_index is not None
    )


@router.delete(
    "/auth/wechat",
    name="auth_wechat_unbind",
    status_code=status.HTTP_204_NO_CONTENT,
    description=doc(service.unbind),
)
async def auth_wechat_unbind(session: SessionDep, principal: PrincipalDep) -> Response:
    user = await session.get(User, principal.user_id, with_for_update=True)
    assert user is not None
    await service.unbind(session, principal, user)
    return Response(status_code=status.HTTP_204_NO_CONTENT)


@router.post(
    "/users/{user_id}/wechat-binding-codes",
    name="users_wechat_binding_code",
    status_code=status.HTTP_201_CREATED,
    description=doc(service.issue_binding_code),
)
async def users_wechat_binding_code(
    user_id: uuid.UUID, session: SessionDep, settings: SettingsDep, principal: PrincipalDep
) -> BindingCodeRead:
    user, _ = await users_service.get_visible(session, principal, user_id)
    issued = await service.issue_binding_code(session, settings, principal, user)
    return BindingCodeRead(binding_code=issued.code, expires_at=issued.expires_at)


@router.delete(
    "/users/{user_id}/wechat",
    name="users_wechat_unbind",
    status_code=status.HTTP_204_NO_CONTENT,
    description=doc(service.unbind),
)
async def users_wechat_unbind(
    user_id: uuid.UUID, session: SessionDep, principal: PrincipalDep
) -> Response:
    user, _ = await users_service.get_visible(session, principal, user_id)
    await service.unbind(session, principal, user)
    return Response(status_code=status.HTTP_204_NO_CONTENT)
