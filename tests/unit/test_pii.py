"""Field encryption, blind indexes and masks."""

from __future__ import annotations

import pytest

from app.security.pii import (
    PhoneError,
    PiiCipher,
    PiiDecryptError,
    mask_id_number,
    mask_phone,
    normalize_phone,
)

SECRET = "unit-test-secret-with-enough-length-0123456789"
NUMBER = "11010519491231002X"


@pytest.mark.parametrize("algorithm", ["aes", "sm4"])
def test_round_trip_and_no_plaintext_in_ciphertext(algorithm):
    cipher = PiiCipher(SECRET, algorithm)
    blob = cipher.encrypt(NUMBER, field="member.id_number")
    assert NUMBER.encode() not in blob
    assert cipher.decrypt(blob, field="member.id_number") == NUMBER


@pytest.mark.parametrize("algorithm", ["aes", "sm4"])
def test_same_value_encrypts_differently_each_time(algorithm):
    cipher = PiiCipher(SECRET, algorithm)
    assert cipher.encrypt(NUMBER, field="f") != cipher.encrypt(NUMBER, field="f")


@pytest.mark.parametrize("algorithm", ["aes", "sm4"])
def test_tampered_blob_is_refused(algorithm):
    cipher = PiiCipher(SECRET, algorithm)
    blob = bytearray(cipher.encrypt(NUMBER, field="f"))
    blob[-1] ^= 1
    with pytest.raises(PiiDecryptError):
        cipher.decrypt(bytes(blob), field="f")


def test_a_value_cannot_be_moved_to_another_field():
    cipher = PiiCipher(SECRET)
    blob = cipher.encrypt(NUMBER, field="member.id_number")
    with pytest.raises(PiiDecryptError):
        cipher.decrypt(blob, field="member.phone")


def test_switching_algorithm_still_reads_old_rows():
    aes, sm4 = PiiCipher(SECRET, "aes"), PiiCipher(SECRET, "sm4")
    assert sm4.decrypt(aes.encrypt(NUMBER, field="f"), field="f") == NUMBER
    assert aes.decrypt(sm4.encrypt(NUMBER, field="f"), field="f") == NUMBER
    assert aes.encrypt(NUMBER, field="f")[0] == 1
    assert sm4.encrypt(NUMBER, field="f")[0] == 2


def test_another_key_cannot_decrypt():
    blob = PiiCipher(SECRET).encrypt(NUMBER, field="f")
    with pytest.raises(PiiDecryptError):
        PiiCipher(SECRET + "x").decrypt(blob, field="f")


def test_blind_index_is_deterministic_and_keyed_per_field():
    cipher = PiiCipher(SECRET)
    assert cipher.blind_index(NUMBER, field="a") == cipher.blind_index(NUMBER.lower(), field="a")
    assert cipher.blind_index(NUMBER, field="a") != cipher.blind_index(NUMBER, field="b")
    other = PiiCipher(SECRET, index_secret="another-index-secret-0123456789abcdef")
    assert other.blind_index(NUMBER, field="a") != cipher.blind_index(NUMBER, field="a")


def test_masks_keep_area_code_and_last_four():
    assert mask_id_number("110105198001011234") == "110105********1234"
    assert mask_phone("13812348000") == "138****8000"
    assert mask_phone("057188886666") == "********6666"


@pytest.mark.parametrize(
    ("raw", "normalized"),
    [
        ("138 1234 8000", "13812348000"),
        ("+86 138-1234-8000", "13812348000"),
        ("0571-8888666", "05718888666"),
    ],
)
def test_phone_numbers_are_normalised(raw, normalized):
    assert normalize_phone(raw) == normalized


@pytest.mark.parametrize("raw", ["12345", "phone", "23812348000123", "1381234800"])
def test_bad_phone_numbers_are_refused(raw):
    with pytest.raises(PhoneError) as err:
        normalize_phone(raw)
    assert err.value.code == "member.phone_invalid"
