"""Passwords, settings guards and scope rules."""

from __future__ import annotations

import uuid
from datetime import timedelta

import pytest

from app.config import DEV_PII_KEY, DEV_SECRET_KEY, InsecureSettingsError, Settings
from app.models.enums import Role
from app.security import tokens
from app.security.passwords import hash_password, verify_password
from app.security.scope import Principal, in_scope, may_read_member_pii


def test_password_hash_is_argon2id_and_verifies():
    hashed = hash_password("a long passphrase")
    assert hashed.startswith("$argon2id$")
    assert "m=19456,t=2" in hashed
    assert verify_password(hashed, "a long passphrase")
    assert not verify_password(hashed, "another one")
    assert not verify_password("not a hash", "x")


def test_production_refuses_default_secrets(monkeypatch):
    monkeypatch.delenv("DANGJIAN_SECRET_KEY", raising=False)
    with pytest.raises(InsecureSettingsError):
        Settings(environment="production", secret_key=DEV_SECRET_KEY, pii_key="p" * 40)
    with pytest.raises(InsecureSettingsError):
        Settings(environment="production", secret_key="s" * 40, pii_key=DEV_PII_KEY)
    with pytest.raises(InsecureSettingsError):
        Settings(environment="production", secret_key="short", pii_key="p" * 40)
    ok = Settings(environment="production", secret_key="s" * 40, pii_key="p" * 40)
    assert ok.environment == "production"


def _principal(role: Role, path: str = "/1/2/", member_id: uuid.UUID | None = None) -> Principal:
    return Principal(uuid.uuid4(), "u", role, uuid.uuid4(), path, member_id)


def test_scope_is_the_principal_subtree():
    admin = _principal(Role.org_admin, "/1/2/")
    assert in_scope(admin, "/1/2/")
    assert in_scope(admin, "/1/2/30/")
    assert not in_scope(admin, "/1/3/")
    # A sibling whose id starts with the same digits is not inside.
    assert not in_scope(admin, "/1/22/")
    assert in_scope(_principal(Role.system_admin), "/9/")


def test_pii_rights_by_role():
    own = uuid.uuid4()
    assert may_read_member_pii(_principal(Role.org_admin), uuid.uuid4(), "/1/2/5/")
    assert may_read_member_pii(_principal(Role.branch_secretary), uuid.uuid4(), "/1/2/")
    assert not may_read_member_pii(_principal(Role.auditor), uuid.uuid4(), "/1/2/")
    assert may_read_member_pii(_principal(Role.member, member_id=own), own, "/1/2/")
    assert not may_read_member_pii(_principal(Role.member, member_id=own), uuid.uuid4(), "/1/2/")


def test_a_verified_token_is_refused_once_it_expires_even_from_the_cache(monkeypatch):
    settings = Settings(secret_key="k" * 40, access_token_minutes=15)
    issued_at = tokens.utcnow()  # python-jose checks the first decode against the real clock
    user, session = uuid.uuid4(), uuid.uuid4()
    token = tokens.issue_access_token(
        settings, user_id=user, session_id=session, role="org_admin", now=issued_at
    )
    monkeypatch.setattr(tokens, "utcnow", lambda: issued_at + timedelta(minutes=14))
    assert tokens.decode_access_token(settings, token).user_id == user
    assert tokens.decode_access_token(settings, token).session_id == session  # cached
    monkeypatch.setattr(tokens, "utcnow", lambda: issued_at + timedelta(minutes=16))
    with pytest.raises(tokens.InvalidToken):
        tokens.decode_access_token(settings, token)


def test_a_cached_token_is_not_accepted_under_another_key():
    issued = Settings(secret_key="k" * 40)
    token = tokens.issue_access_token(
        issued, user_id=uuid.uuid4(), session_id=uuid.uuid4(), role="org_admin",
        now=tokens.utcnow(),
    )  # fmt: skip
    tokens.decode_access_token(issued, token)
    with pytest.raises(tokens.InvalidToken):
        tokens.decode_access_token(Settings(secret_key="o" * 40), token)
