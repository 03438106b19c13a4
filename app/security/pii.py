"""Per-field encryption of ID numbers and phones, blind indexes and masks.

Blob layout: 1 algorithm byte (1 = AES-256-GCM, 2 = SM4-GCM) + 12-byte nonce +
ciphertext + 16-byte tag. The field name is the associated data, so a value
cannot be moved to another column. Both keys are always derived, so rows
written before a switch of `DANGJIAN_PII_CIPHER` still decrypt.
"""

from __future__ import annotations

import hashlib
import hmac
import os
from functools import lru_cache
from typing import Literal

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

from app.config import get_settings
from app.errors import ErrorCode
from app.i18n import Text

AES, SM4 = 1, 2
NONCE_BYTES, TAG_BYTES = 12, 16
_BODY = 1 + NONCE_BYTES  # where the ciphertext starts
_SHORTEST = _BODY + TAG_BYTES


class PiiDecryptError(Exception):
    """The blob was tampered with, belongs to another field, or another key wrote it."""


class PhoneError(ValueError):
    code = ErrorCode.member_phone_invalid

    def __init__(self, message: Text) -> None:
        super().__init__(message.en)
        self.message = message


def derive_key(secret: str, purpose: str, length: int) -> bytes:
    return HKDF(algorithm=hashes.SHA256(), length=length, salt=None, info=purpose.encode()).derive(
        secret.encode()
    )


class PiiCipher:
    def __init__(
        self,
        secret: str,
        algorithm: Literal["aes", "sm4"] = "aes",
        *,
        index_secret: str | None = None,
    ) -> None:
        self._algorithm = SM4 if algorithm == "sm4" else AES
        self._aes = AESGCM(derive_key(secret, "pii-aes-256-gcm", 32))
        self._sm4_key = derive_key(secret, "pii-sm4-gcm", 16)
        self._index_key = derive_key(index_secret or secret, "pii-blind-index", 32)

    def encrypt(self, plaintext: str, *, field: str) -> bytes:
        nonce = os.urandom(NONCE_BYTES)
        data, aad = plaintext.encode(), field.encode()
        if self._algorithm == AES:
            return bytes([AES]) + nonce + self._aes.encrypt(nonce, data, aad)
        encryptor = Cipher(algorithms.SM4(self._sm4_key), modes.GCM(nonce)).encryptor()
        encryptor.authenticate_additional_data(aad)
        body = encryptor.update(data) + encryptor.finalize()
        return bytes([SM4]) + nonce + body + encryptor.tag

    def decrypt(self, blob: bytes, *, field: str) -> str:
        if len(blob) < _SHORTEST:
            raise PiiDecryptError("blob too short")
        algorithm = blob[0]
        try:
            if algorithm == AES:  # a page of members decrypts two per row: the short way
                return self._aes.decrypt(blob[1:_BODY], blob[_BODY:], field.encode()).decode()
            if algorithm == SM4:
                body = blob[_BODY:]
                decryptor = Cipher(
                    algorithms.SM4(self._sm4_key), modes.GCM(blob[1:_BODY], body[-TAG_BYTES:])
                ).decryptor()
                decryptor.authenticate_additional_data(field.encode())
                return (decryptor.update(body[:-TAG_BYTES]) + decryptor.finalize()).decode()
        except (InvalidTag, UnicodeDecodeError) as exc:
            raise PiiDecryptError("cannot decrypt") from exc
        raise PiiDecryptError(f"unknown algorithm {algorithm}")

    def blind_index(self, value: str, *, field: str) -> bytes:
        """A keyed HMAC-SHA256 for exact lookups; reveals nothing without the key."""
        message = field.encode() + b"\x00" + value.strip().upper().encode()
        return hmac.new(self._index_key, message, hashlib.sha256).digest()


def mask_id_number(value: str) -> str:
    if len(value) == 18:
        return value[:6] + "*" * 8 + value[-4:]
    if len(value) <= 5:
        return "*" * len(value)
    return value[:3] + "*" * (len(value) - 5) + value[-2:]


def mask_phone(value: str) -> str:
    if len(value) == 11 and value.startswith("1"):
        return value[:3] + "****" + value[-4:]
    return "*" * max(len(value) - 4, 0) + value[-4:]


def normalize_phone(raw: str) -> str:
    """Digits only; +86 dropped; an 11-digit mobile (1xxxxxxxxxx) or a 7-12 digit landline."""
    digits = "".join(ch for ch in raw if ch not in " -()")
    if digits.startswith("+86"):
        digits = digits[3:]
    elif digits.startswith("86") and len(digits) == 13:
        digits = digits[2:]
    if not digits.isdigit():
        raise PhoneError(Text(zh="电话号码只能包含数字", en="a phone number has digits only"))
    if len(digits) == 11 and digits.startswith("1"):
        return digits
    if 7 <= len(digits) <= 12 and not digits.startswith("1"):
        return digits
    raise PhoneError(
        Text(
            zh="应为 11 位手机号码或 7-12 位固定电话号码",
            en="expected an 11-digit mobile or a 7-12 digit landline",
        )
    )


@lru_cache
def pii_cipher() -> PiiCipher:
    """The cipher of ID numbers and phones, from settings: the one instance every reader
    and writer of an encrypted field uses."""
    settings = get_settings()
    return PiiCipher(settings.pii_key, settings.pii_cipher, index_secret=settings.pii_index_key)
