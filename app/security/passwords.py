"""Password hashing with Argon2id (19 MiB, t=2, p=1: the OWASP baseline).

The cost comes from `DANGJIAN_PASSWORD_HASH_PROFILE`: ``owasp`` (the default, the only
one production and development accept) or ``test``, a cheap profile that the settings
refuse outside ``DANGJIAN_ENVIRONMENT=test`` so a test suite does not spend its time in
key stretching. A hash made under one profile verifies under the other (the parameters
are in the hash).
"""

from __future__ import annotations

from functools import lru_cache

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError

from app.config import HashProfile, get_settings

# (time_cost, memory_cost in KiB, parallelism)
PROFILES: dict[HashProfile, tuple[int, int, int]] = {
    "owasp": (2, 19456, 1),
    "test": (1, 64, 1),
}


@lru_cache
def hasher_for(profile: HashProfile) -> PasswordHasher:
    time_cost, memory_cost, parallelism = PROFILES[profile]
    return PasswordHasher(time_cost=time_cost, memory_cost=memory_cost, parallelism=parallelism)


def _hasher() -> PasswordHasher:
    return hasher_for(get_settings().password_hash_profile)


def hash_password(password: str) -> str:
    return _hasher().hash(password)


def verify_password(password_hash: str, password: str) -> bool:
    """True when the password matches; never raises."""
    try:
        return _hasher().verify(password_hash, password)
    except (VerifyMismatchError, VerificationError, InvalidHashError):
        return False


def needs_rehash(password_hash: str) -> bool:
    return _hasher().check_needs_rehash(password_hash)


@lru_cache
def _dummy_hash(profile: HashProfile) -> str:
    return hasher_for(profile).hash("dummy password for unknown users")


def verify_dummy(password: str) -> None:
    """Spend the time of a real check so unknown usernames answer as slowly as known ones."""
    verify_password(_dummy_hash(get_settings().password_hash_profile), password)
