"""GB 11643-1999 resident ID numbers."""

from __future__ import annotations

from datetime import date

import pytest
from hypothesis import given
from hypothesis import strategies as st

from app.services.id_numbers import (
    IdNumberError,
    check_character,
    make_id_number,
    parse_id_number,
    upgrade_legacy_id_number,
)

TODAY = date(2026, 11, 24)


def test_check_character_matches_the_published_example():
    assert check_character("11010519491231002") == "X"


def test_published_example_parses_to_birth_date_and_female():
    parsed = parse_id_number("11010519491231002X", today=TODAY)
    assert parsed.birth_date == date(1949, 12, 31)
    assert parsed.gender == "female"
    assert parsed.area_code == "110105"


def test_lowercase_x_is_accepted_and_normalised():
    assert parse_id_number(" 11010519491231002x ", today=TODAY).number == "11010519491231002X"


def test_wrong_check_character_is_refused_with_checksum_code():
    with pytest.raises(IdNumberError) as err:
        parse_id_number("110105194912310021", today=TODAY)
    assert err.value.code == "member.id_number_checksum"


@pytest.mark.parametrize(
    "raw", ["", "1234", "11010519491231002Y", "X10105194912310020", "1101051949123100211"]
)
def test_malformed_numbers_are_refused_as_invalid(raw):
    with pytest.raises(IdNumberError) as err:
        parse_id_number(raw, today=TODAY)
    assert err.value.code == "member.id_number_invalid"


def test_a_birth_date_that_does_not_exist_is_refused():
    first17 = "11010519800230123"  # 30 February
    with pytest.raises(IdNumberError) as err:
        parse_id_number(first17 + check_character(first17), today=TODAY)
    assert err.value.code == "member.id_number_birth_date_invalid"


def test_a_birth_date_in_the_future_is_refused():
    number = make_id_number("110105", date(2027, 1, 1), 1)
    with pytest.raises(IdNumberError) as err:
        parse_id_number(number, today=TODAY)
    assert err.value.code == "member.id_number_birth_date_invalid"


def test_odd_sequence_is_male_and_even_is_female():
    assert (
        parse_id_number(make_id_number("320102", date(1990, 1, 1), 7), today=TODAY).gender == "male"
    )
    assert (
        parse_id_number(make_id_number("320102", date(1990, 1, 1), 8), today=TODAY).gender
        == "female"
    )


def test_legacy_fifteen_digit_number_is_upgraded_with_19_and_a_check_character():
    assert upgrade_legacy_id_number("110105491231002") == "11010519491231002X"


def test_legacy_upgrade_refuses_non_digits():
    with pytest.raises(IdNumberError):
        upgrade_legacy_id_number("11010549123100X")


@given(
    area=st.integers(min_value=110000, max_value=659999),
    born=st.dates(min_value=date(1900, 1, 1), max_value=TODAY),
    sequence=st.integers(min_value=0, max_value=999),
)
def test_every_generated_number_round_trips(area, born, sequence):
    parsed = parse_id_number(make_id_number(str(area), born, sequence), today=TODAY)
    assert parsed.birth_date == born
    assert parsed.gender == ("male" if sequence % 2 else "female")


@given(st.text(alphabet="0123456789X", min_size=18, max_size=18))
def test_random_strings_either_parse_or_raise_a_coded_error(raw):
    try:
        parse_id_number(raw, today=TODAY)
    except IdNumberError as err:
        assert err.code.startswith("member.id_number_")
