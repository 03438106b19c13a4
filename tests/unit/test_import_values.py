"""The import's cell readings: one date reading for every date column, ID numbers
from number cells, enum columns by label or code."""

from __future__ import annotations

from datetime import date

import pytest

from app.errors import ErrorCode
from app.services.integration.imports.faults import RowError
from app.services.integration.imports.values import (
    convert_cell,
    convert_row,
    enum_value,
    id_number_text,
    parse_date,
)


@pytest.mark.parametrize(
    "text",
    ["2007-07-01", "2007-7-1", "2007/7/1", "2007/07/01", "2007.07.01", "2007.7.1",
     "2007年7月1日", "2007 年 7 月 1 日", " 2007-07-01 ", "2007-07-01 00:00:00",
     "2007/7/1 0:00"],
)  # fmt: skip
def test_every_common_date_form_reads_as_the_same_day(text):
    assert parse_date(text) == date(2007, 7, 1)


@pytest.mark.parametrize(
    "text",
    ["2007-02-29", "2007-13-01", "2007-07-32", "07-7-1", "2007-07", "20070701", "2007/07-01",
     "2007年7月1", "今天", ""],
)  # fmt: skip
def test_a_date_that_does_not_exist_or_has_no_known_form_is_refused(text):
    with pytest.raises(ValueError):
        parse_date(text)


def test_the_leap_day_exists_in_a_leap_year_only():
    assert parse_date("2008/2/29") == date(2008, 2, 29)
    with pytest.raises(ValueError):
        parse_date("2100/2/29")


def test_every_date_column_uses_the_one_reading():
    for key in ("applied_on", "joined_on", "full_on", "founded_on", "term_started_on"):
        assert convert_cell(key, "2007年7月1日") == date(2007, 7, 1)


def test_an_exact_number_cell_is_an_id_numbers_digits_and_a_rounded_one_is_refused():
    assert id_number_text("110105500303123") == "110105500303123"
    assert id_number_text("11010519900101123X") == "11010519900101123X"
    # Just below 2**53 a float is exact; at 2**53 and beyond it may not be.
    assert id_number_text(f"{2**53 - 1}.0") == str(2**53 - 1)
    for rounded in (f"{2**53}.0", "1.10105199001011e+17", "1.10105E+17"):
        with pytest.raises(RowError) as caught:
            id_number_text(rounded)
        (fault,) = caught.value.faults
        assert fault.code == ErrorCode.import_id_number_precision_lost
        assert "文本" in fault.message.zh and "text" in fault.message.en
        assert fault.value == rounded


def test_enum_columns_take_the_chinese_label_or_the_code():
    assert enum_value("status", "正式党员") == enum_value("status", "full") == "full"
    assert enum_value("category", "在职") == "employed"
    assert enum_value("type", "联合党支部") == "joint_branch"
    with pytest.raises(RowError) as caught:
        enum_value("status", "党员")
    assert caught.value.faults[0].code == ErrorCode.import_status_unknown


def test_a_row_collects_every_fault_not_only_the_first():
    raw = {"name": "", "id_number": "1.1E+17", "status": "x", "joined_on": "昨天"}
    _, faults = convert_row(raw, ("name", "id_number", "status"))
    assert {f.field: f.code for f in faults} == {
        "name": ErrorCode.import_value_missing,
        "id_number": ErrorCode.import_id_number_precision_lost,
        "status": ErrorCode.import_status_unknown,
        "joined_on": ErrorCode.import_date_invalid,
    }


def test_an_excel_serial_is_a_date_from_day_one_to_the_last_day_excel_knows():
    from datetime import datetime

    from openpyxl.utils.datetime import CALENDAR_MAC_1904, CALENDAR_WINDOWS_1900

    from app.services.integration.imports.parsing import serial_date_text

    windows = CALENDAR_WINDOWS_1900
    assert serial_date_text(39264, windows) == "2007-07-01"
    assert serial_date_text(39264.75, windows) == "2007-07-01"  # a time of day is dropped
    assert serial_date_text(1, windows) == "1900-01-01"
    assert serial_date_text(0, windows) is None
    assert serial_date_text(2958465, windows) == "9999-12-31"
    assert serial_date_text(2958466, windows) is None
    assert serial_date_text(True, windows) is None
    assert serial_date_text("39264", windows) is None  # text, as in a CSV
    assert serial_date_text(39264, CALENDAR_MAC_1904) == "2011-07-02"
    assert isinstance(windows, datetime)


def test_an_unknown_label_lists_each_choice_quoted_even_one_holding_a_comma():
    from app.services.integration.imports.faults import RowError
    from app.services.integration.imports.values import enum_value

    with pytest.raises(RowError) as refused:
        enum_value("category", "上班")
    message = refused.value.faults[0].message.zh
    assert "“依靠抚恤、救济或低保生活”" in message and "“在职”" in message
