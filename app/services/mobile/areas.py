"""Mobile members' locations: an area code (city or district), never coordinates."""

from __future__ import annotations

from app.errors import ErrorCode, Unprocessable
from app.i18n import Text

# GB/T 2260 province-level codes (the first two digits of an area code).
PROVINCES = frozenset(
    {
        "11", "12", "13", "14", "15", "21", "22", "23", "31", "32", "33", "34", "35", "36",
        "37", "41", "42", "43", "44", "45", "46", "50", "51", "52", "53", "54", "61", "62",
        "63", "64", "65", "71", "81", "82",
    }
)  # fmt: skip


def valid_area_code(code: str) -> bool:
    """A 6-digit administrative division code with a real province prefix; never coordinates."""
    return len(code) == 6 and code.isdigit() and code[:2] in PROVINCES


def check_area(code: str, field: str) -> str:
    if not valid_area_code(code):
        raise Unprocessable.field(
            field,
            ErrorCode.mobile_area_code_invalid,
            Text(zh="须为 6 位 GB/T 2260 行政区划代码", en="a 6-digit GB/T 2260 code"),
        )
    return code
