"""Resident ID numbers (居民身份证号码, GB 11643-1999): checksum, birth date, gender."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Literal

from app.errors import ErrorCode
from app.i18n import Text

WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
CHECK_CHARACTERS = "10X98765432"
EARLIEST_BIRTH = date(1900, 1, 1)


class IdNumberError(ValueError):
    """An ID number that fails GB 11643; `code` is the API's stable error code."""

    def __init__(self, code: ErrorCode, message: Text) -> None:
        super().__init__(message.en)
        self.code = code
        self.message = message


@dataclass(frozen=True)
class ParsedIdNumber:
    number: str
    area_code: str
    birth_date: date
    gender: Literal["male", "female"]


def check_character(first17: str) -> str:
    """The 18th character: weighted digit sum mod 11, indexed into `10X98765432`."""
    if len(first17) != 17 or not first17.isdigit():
        raise IdNumberError(
            ErrorCode.member_id_number_invalid, Text(zh="应为 17 位数字", en="expected 17 digits")
        )
    total = sum(int(d) * w for d, w in zip(first17, WEIGHTS, strict=True))
    return CHECK_CHARACTERS[total % 11]


def parse_id_number(raw: str, *, today: date) -> ParsedIdNumber:
    """Validate an 18-character ID number and derive birth date and gender (odd sequence = male)."""
    number = raw.strip().upper()
    if (
        len(number) != 18
        or not number[:17].isdigit()
        or not (number[17].isdigit() or number[17] == "X")
    ):
        raise IdNumberError(
            ErrorCode.member_id_number_invalid,
            Text(
                zh="身份证号码为 17 位数字加一位数字或 X",
                en="an ID number has 17 digits and a digit or X",
            ),
        )
    try:
        birth = date(int(number[6:10]), int(number[10:12]), int(number[12:14]))
    except ValueError as exc:
        raise IdNumberError(
            ErrorCode.member_id_number_birth_date_invalid,
            Text(zh="出生日期不存在", en="the birth date does not exist"),
        ) from exc
    if birth > today or birth < EARLIEST_BIRTH:
        raise IdNumberError(
            ErrorCode.member_id_number_birth_date_invalid,
            Text(
                zh="出生日期晚于今天或早于 1900 年",
                en="the birth date is in the future or before 1900",
            ),
        )
    if check_character(number[:17]) != number[17]:
        raise IdNumberError(
            ErrorCode.member_id_number_checksum,
            Text(zh="校验码不正确", en="the check character is wrong"),
        )
    gender: Literal["male", "female"] = "male" if int(number[16]) % 2 == 1 else "female"
    return ParsedIdNumber(number=number, area_code=number[:6], birth_date=birth, gender=gender)


def upgrade_legacy_id_number(raw15: str) -> str:
    """Upgrade a 15-digit legacy number: insert `19` before the 2-digit year, add the check."""
    digits = raw15.strip()
    if len(digits) != 15 or not digits.isdigit():
        raise IdNumberError(
            ErrorCode.member_id_number_invalid,
            Text(zh="一代身份证号码为 15 位数字", en="a legacy ID number has 15 digits"),
        )
    first17 = digits[:6] + "19" + digits[6:]
    return first17 + check_character(first17)


def make_id_number(area_code: str, birth_date: date, sequence: int) -> str:
    """Build a valid number (synthetic data and tests); an odd `sequence` makes a man."""
    first17 = f"{area_code}{birth_date:%Y%m%d}{sequence:03d}"
    return first17 + check_character(first17)
