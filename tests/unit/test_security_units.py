"""Passwords, settings guards and scope rules."""

from __future__ import annotations

import uuid
from datetime import timedelta

import pytest

from app.clock import utcnow as clock_now
from app.config import PUBLISHED_KEYS, InsecureSettingsError, Settings
from app.models.enums import Role
from app.security import tokens
from app.security.passwords import hash_password, hasher_for, verify_password
from app.security.scope import (
    Principal,
    in_scope,
    may_read_member_pii,
    reveals_visible_members_pii,
)


@pytest.fixture(autouse=True)
def _no_test_hash_profile_from_the_environment(monkeypatch):
    """The suite runs with DANGJIAN_PASSWORD_HASH_PROFILE=test; Settings built here for
    other environments must see the production default."""
    monkeypatch.delenv("DANGJIAN_PASSWORD_HASH_PROFILE", raising=False)


def test_password_hash_is_argon2id_and_verifies():
    hashed = hash_password("a long passphrase")
    assert hashed.startswith("$argon2id$")
    assert verify_password(hashed, "a long passphrase")
    assert not verify_password(hashed, "another one")
    assert not verify_password("not a hash", "x")


def test_the_default_hash_profile_is_the_owasp_baseline(tmp_path):
    for environment in ("development", "test", "production"):
        settings = Settings(
            environment=environment, secret_key="s" * 40, pii_key="p" * 40, data_dir=tmp_path
        )
        assert settings.password_hash_profile == "owasp"
    hashed = hasher_for("owasp").hash("a long passphrase")
    assert "m=19456,t=2,p=1" in hashed
    # A hash from the cheap profile still verifies under the baseline (and vice versa).
    assert hasher_for("owasp").verify(hasher_for("test").hash("pw"), "pw")


def test_the_cheap_hash_profile_is_refused_outside_the_test_environment(tmp_path):
    keys = {"secret_key": "s" * 40, "pii_key": "p" * 40, "data_dir": tmp_path}
    for environment in ("development", "production"):
        with pytest.raises(InsecureSettingsError, match="PASSWORD_HASH_PROFILE"):
            Settings(environment=environment, password_hash_profile="test", **keys)
    assert Settings(environment="test", password_hash_profile="test", **keys)


OLD_SECRET_KEY, OLD_PII_KEY = sorted(PUBLISHED_KEYS, reverse=True)


def test_production_refuses_default_secrets(monkeypatch, tmp_path):
    monkeypatch.delenv("DANGJIAN_SECRET_KEY", raising=False)
    monkeypatch.delenv("DANGJIAN_PII_KEY", raising=False)
    with pytest.raises(InsecureSettingsError):
        Settings(environment="production", secret_key=OLD_SECRET_KEY, pii_key="p" * 40)
    with pytest.raises(InsecureSettingsError):
        Settings(environment="production", secret_key="s" * 40, pii_key=OLD_PII_KEY)
    with pytest.raises(InsecureSettingsError):
        Settings(environment="production", secret_key="short", pii_key="p" * 40)
    # Unset keys are never generated in production, even with a data directory.
    with pytest.raises(InsecureSettingsError):
        Settings(environment="production", data_dir=tmp_path)
    with pytest.raises(InsecureSettingsError):
        Settings(environment="production", secret_key="s" * 40, data_dir=tmp_path)
    assert not (tmp_path / "dev-keys.json").exists()
    ok = Settings(environment="production", secret_key="s" * 40, pii_key="p" * 40)
    assert ok.environment == "production"


def test_development_generates_keys_once_and_keeps_them_in_the_data_dir(monkeypatch, tmp_path):
    monkeypatch.delenv("DANGJIAN_SECRET_KEY", raising=False)
    monkeypatch.delenv("DANGJIAN_PII_KEY", raising=False)
    first = Settings(environment="development", data_dir=tmp_path)
    second = Settings(environment="development", data_dir=tmp_path)
    assert (first.secret_key, first.pii_key) == (second.secret_key, second.pii_key)
    assert len(first.secret_key) >= 32 and len(first.pii_key) >= 32
    assert first.secret_key != first.pii_key
    assert not {first.secret_key, first.pii_key} & PUBLISHED_KEYS
    kept = tmp_path / "dev-keys.json"
    assert kept.stat().st_mode & 0o777 == 0o600
    # Another data directory: other keys (random, not a constant).
    other = Settings(environment="development", data_dir=tmp_path / "other")
    assert other.secret_key != first.secret_key and other.pii_key != first.pii_key
    # A key that is set wins; only the missing one comes from the file.
    mixed = Settings(environment="development", data_dir=tmp_path, secret_key="m" * 40)
    assert (mixed.secret_key, mixed.pii_key) == ("m" * 40, first.pii_key)


def test_published_keys_are_refused_in_every_environment(tmp_path):
    for environment in ("development", "test", "production"):
        with pytest.raises(InsecureSettingsError):
            Settings(environment=environment, secret_key=OLD_SECRET_KEY, data_dir=tmp_path)
        with pytest.raises(InsecureSettingsError):
            Settings(environment=environment, pii_key=OLD_PII_KEY, data_dir=tmp_path)


def test_a_token_signed_with_the_old_published_key_is_rejected(monkeypatch, tmp_path):
    monkeypatch.delenv("DANGJIAN_SECRET_KEY", raising=False)
    settings = Settings(environment="development", data_dir=tmp_path)
    now = clock_now()
    claims = {"user_id": uuid.uuid4(), "session_id": uuid.uuid4(), "role": "system_admin"}
    # The same claims signed with the published key (model_construct skips the guard
    # a real Settings has) and with the generated one: only the latter passes.
    published = Settings.model_construct(**{**settings.model_dump(), "secret_key": OLD_SECRET_KEY})
    forged = tokens.issue_access_token(published, **claims, now=now)
    with pytest.raises(tokens.InvalidToken):
        tokens.decode_access_token(settings, forged)
    genuine = tokens.issue_access_token(settings, **claims, now=now)
    assert tokens.decode_access_token(settings, genuine).user_id == claims["user_id"]


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


def test_every_role_that_reveals_visible_members_pii_reads_it_for_each_member_it_sees():
    """The one-statement audited member read writes its audit row whenever the member is
    visible to such a principal: for every role, that must be exactly `may_read_member_pii`
    of the members it can see (its subtree; a member user: its own record)."""
    own = uuid.uuid4()
    for role in Role:
        principal = _principal(role, "/1/2/", own if role is Role.member else None)
        seen = [(own, "/1/2/5/")] if role is Role.member else [(uuid.uuid4(), "/1/2/5/")]
        seen.append((own, "/1/2/")) if role is not Role.member else None
        for member_id, path in seen:
            assert may_read_member_pii(principal, member_id, path) is (
                reveals_visible_members_pii(principal)
            ), role


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
