"""National code lists: GB 32100 credit codes, GB/T 3304 ethnicity, GB/T 4658 education."""

import pytest

from app.services.code_lists import (
    EDUCATIONS,
    ETHNICITIES,
    resolve_education,
    resolve_ethnicity,
    stored_education,
    stored_ethnicity,
)
from app.services.credit_codes import check_character, is_valid_credit_code

# Published codes of real registered enterprises.
REAL = ["91350100M000100Y43", "9144030071526726XG", "914403001922038216", "91330100799655058B"]


@pytest.mark.parametrize("code", REAL)
def test_a_real_credit_code_passes_its_check_character(code):
    assert is_valid_credit_code(code)


@pytest.mark.parametrize("code", REAL)
def test_a_credit_code_with_any_other_check_character_fails(code):
    others = [c for c in "0123456789ABCDEFGHJKLMNPQRTUWXY" if c != code[-1]]
    assert not any(is_valid_credit_code(code[:17] + c) for c in others)


def test_a_credit_code_whose_remainder_is_zero_has_check_character_zero():
    # Weighted sum 0 mod 31: 31 - 0 = 31, which is written as 0.
    assert check_character("0" * 17) == "0"
    assert is_valid_credit_code("0" * 18)


def test_a_credit_code_needs_eighteen_characters_of_the_set():
    assert not is_valid_credit_code(REAL[0][:17])
    assert not is_valid_credit_code(REAL[0] + "0")
    assert not is_valid_credit_code("91350100M000100I43")  # I is not in the set
    assert not is_valid_credit_code("91350100m000100y43")  # lower case is not either


def test_ethnicity_lists_the_56_nationalities_by_two_digit_code():
    assert len(ETHNICITIES) == 56
    assert ETHNICITIES["01"] == "汉族" and ETHNICITIES["56"] == "基诺族"
    assert resolve_ethnicity("01") == resolve_ethnicity("汉族") == "01"
    assert stored_ethnicity("22") == "畲族"
    assert stored_ethnicity("1") == "汉族"  # a spreadsheet dropped the leading zero
    assert stored_ethnicity("57") is None and stored_ethnicity("汉") is None


def test_education_takes_codes_labels_and_the_common_short_forms():
    assert EDUCATIONS["21"] == "大学本科毕业"
    assert stored_education("21") == "大学本科毕业"
    assert stored_education("大学本科") == "大学本科" and resolve_education("大学本科") == "20"
    assert resolve_education("大专") == "30"
    assert stored_education("24") is None and stored_education("学士") is None
