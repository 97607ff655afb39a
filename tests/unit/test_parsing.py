"""Numbers and dates are ASCII digits only, fit the database, and text holds no control characters."""

from __future__ import annotations

import datetime as dt

import pandas as pd
import pytest

from portal.core.fileformats import check_rows
from portal.core.parsing import (
    MAX_WHOLE_NUMBER,
    NOT_ASCII_DIGITS,
    NOT_WHOLE,
    TOO_LARGE,
    control_characters,
    iso_dates,
    parse_decimal,
    parse_iso_date,
    parse_whole_number,
    printable,
    whole_numbers,
)


@pytest.mark.parametrize(
    ("text", "value", "reason"),
    [
        ("7", 7, None),
        (" 7 ", 7, None),
        ("+3", 3, None),
        ("-1", -1, None),
        ("12.0", 12, None),
        ("0007", 7, None),
        (str(MAX_WHOLE_NUMBER), MAX_WHOLE_NUMBER, None),
        ("", None, None),
        ("３", None, NOT_ASCII_DIGITS),  # full-width three: was stored as 0
        ("５", None, NOT_ASCII_DIGITS),  # full-width five: was an IntegrityError
        ("٤", None, NOT_ASCII_DIGITS),  # Arabic-Indic four: was an IntCastingNaNError
        ("1٤", None, NOT_ASCII_DIGITS),
        ("1e3", None, NOT_WHOLE),
        ("1.5", None, NOT_WHOLE),
        ("1_000", None, NOT_WHOLE),
        ("²", None, NOT_WHOLE),
        ("1\x00", None, NOT_WHOLE),
        (str(MAX_WHOLE_NUMBER + 1), None, TOO_LARGE),
        ("99999999999999999999", None, TOO_LARGE),
        ("9" * 150, None, TOO_LARGE),
    ],
)
def test_a_whole_number_is_ascii_digits_that_fit_the_database(
    text: str, value: int | None, reason: str | None
) -> None:
    values, reasons = whole_numbers(pd.Series([text], dtype=object))
    if value is None:
        assert pd.isna(values.iloc[0])
    else:
        assert values.iloc[0] == value
    assert (None if pd.isna(reasons.iloc[0]) else reasons.iloc[0]) == reason


@pytest.mark.parametrize("text", ["３", "٤", "５", "1e3", "-", "1\x00", "99999999999999999999", ""])
def test_parse_whole_number_refuses_what_the_columns_refuse(text: str) -> None:
    with pytest.raises(ValueError):
        parse_whole_number(text)


def test_parse_whole_number_reads_what_the_columns_read() -> None:
    assert [parse_whole_number(t) for t in (" 7 ", "-1", "+3", "12.0")] == [7, -1, 3, 12]


@pytest.mark.parametrize(
    ("text", "ok"),
    [
        ("2026-03-01", True),
        (" 2026-03-01 ", True),
        ("２０２６-03-01", False),
        ("٢٠٢٦-03-01", False),
        ("2026-02-30", False),
        ("20260301", False),
        ("2026-W10-1", False),
        ("01/03/2026", False),
    ],
)
def test_dates_are_iso_in_ascii_digits(text: str, ok: bool) -> None:
    values, reasons = iso_dates(pd.Series([text]))
    assert values.notna().iloc[0] == ok
    assert pd.isna(reasons.iloc[0]) == ok
    if ok:
        assert parse_iso_date(text) == dt.date(2026, 3, 1)
    else:
        with pytest.raises(ValueError):
            parse_iso_date(text)


@pytest.mark.parametrize("text", ["１", "٣", "nan", "inf", "-inf", "1e400", "0x10", "", "1,5"])
def test_a_decimal_is_ascii_digits_and_finite(text: str) -> None:
    with pytest.raises(ValueError):
        parse_decimal(text)


def test_a_decimal_reads_plain_numbers() -> None:
    assert [parse_decimal(t) for t in ("0.25", " 3 ", "-1.5", ".5", 2, 0.1)] == [
        0.25,
        3.0,
        -1.5,
        0.5,
        2.0,
        0.1,
    ]


def test_control_characters_are_found_and_line_breaks_only_where_allowed() -> None:
    cells = pd.Series(["plain", "a\x00b", "esc\x1b[31m", "two\nlines", "tab\there", "ünïcödé"])
    assert control_characters(cells).tolist() == [False, True, True, True, True, False]
    assert control_characters(cells, line_breaks_allowed=True).tolist() == [
        False,
        True,
        True,
        False,
        False,
        False,
    ]


def test_printable_shows_control_characters_as_escapes() -> None:
    assert printable("PO\x00-1\x1b[2J") == "PO\\x00-1\\x1b[2J"


REPORTS = ["po_number", "line", "date", "good_qty", "rejected_qty", "note"]


@pytest.mark.parametrize(
    ("column", "text", "reason"),
    [
        ("rejected_qty", "３", NOT_ASCII_DIGITS),
        ("good_qty", "５", NOT_ASCII_DIGITS),
        ("line", "٤", NOT_ASCII_DIGITS),
        ("good_qty", "1e3", NOT_WHOLE),
        ("good_qty", "99999999999999999999", TOO_LARGE),
        ("good_qty", "2147483648", TOO_LARGE),
        ("date", "２026-03-02", "YYYY-MM-DD with the digits 0-9"),
        ("po_number", "PO-1\x00", "control character"),
        ("note", "done\x00", "control character"),
        ("po_number", "PO-1\nPO-2", "control character"),
    ],
)
def test_a_report_cell_is_refused_with_its_row_column_and_reason_and_is_not_kept(
    column: str, text: str, reason: str
) -> None:
    good = {
        "po_number": "PO-1",
        "line": "1",
        "date": "2026-03-02",
        "good_qty": "5",
        "rejected_qty": "",
        "note": "",
    }
    frame = pd.DataFrame([good, {**good, "line": "2", column: text}], columns=REPORTS, dtype=str)
    table = check_rows(frame, "reports")
    [error] = table.errors
    assert (error.row, error.column) == (3, column)
    assert reason in error.reason
    assert "\x00" not in str(error)
    # The refused cell is empty in the typed rows: never looked up, never written.
    assert pd.isna(table.rows.at[1, column])


def test_a_note_may_hold_line_breaks() -> None:
    frame = pd.DataFrame(
        [{"po_number": "PO-1", "line": "1", "date": "2026-03-02", "good_qty": "5", "note": "first\r\nsecond"}]
    )
    table = check_rows(frame, "reports")
    assert table.ok, table.errors
    assert table.rows.at[0, "note"] == "first\r\nsecond"
