"""Unified social credit codes (统一社会信用代码, GB 32100-2015): 18 characters from a
31-character set (digits and upper-case letters without I, O, Z, S, V), the last a check
character over the first 17.
"""

from __future__ import annotations

CHARACTERS = "0123456789ABCDEFGHJKLMNPQRTUWXY"
WEIGHTS = (1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28)
_VALUE = {c: i for i, c in enumerate(CHARACTERS)}


def check_character(first17: str) -> str:
    """The 18th character: 31 minus the weighted sum mod 31 (31 itself is 0), as a character.

    Raises ValueError when `first17` is not 17 characters of the set.
    """
    if len(first17) != 17 or any(c not in _VALUE for c in first17):
        raise ValueError("expected 17 characters of the GB 32100 set")
    total = sum(_VALUE[c] * w for c, w in zip(first17, WEIGHTS, strict=True))
    return CHARACTERS[(31 - total % 31) % 31]


def is_valid_credit_code(code: str) -> bool:
    """18 characters of the set whose last is the check character of the first 17."""
    if len(code) != 18 or any(c not in _VALUE for c in code):
        return False
    return check_character(code[:17]) == code[17]
