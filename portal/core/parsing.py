"""Numbers, dates and text as people type them: the one place that turns text into values.

Numbers and dates are written with the ASCII digits 0-9, and nothing else: a full-width
'３' or an Arabic-Indic '٤' is refused with a reason the user can act on, never read as 0
or as some other number. (We refuse rather than normalise with NFKC: NFKC would turn '３'
into 3 but leave '٤' alone, and a quantity silently rewritten is worse than one refused.)
Whole numbers fit the databases' INTEGER (32 bits); dates are ISO ``YYYY-MM-DD``; text
holds no control characters (NUL, escape, ...), which PostgreSQL refuses and terminals obey.

The column functions work on whole pandas Series (a 100,000-row file is checked in one
pass); the scalar ones (:func:`parse_whole_number`, ...) call them on one value, so a
form, a URL parameter, a command-line option and a file cell follow one rule.
"""

from __future__ import annotations

import datetime as dt
import math
import re
from collections.abc import Callable
from typing import Any

import numpy as np
import pandas as pd

from portal.i18n import N_

#: The largest whole number a cell may hold: the databases' INTEGER is 32 bits.
MAX_WHOLE_NUMBER = 2**31 - 1

#: Reasons, in the words a row error shows after the column name (translated where shown).
NOT_WHOLE = N_("must be a whole number")
NOT_ASCII_DIGITS = N_("must be written with the digits 0-9")
TOO_LARGE = N_("is too large (at most 2,147,483,647)")
NOT_A_DATE = N_("is not a valid date (YYYY-MM-DD)")
NOT_A_NUMBER = N_("must be a number")
CONTROL_CHARACTER = N_("contains a control character (such as NUL or a line break): remove it")

# A whole number: optional sign, ASCII digits, and an optional '.0' that some tools write.
_WHOLE_RE = re.compile(r"([+-]?)0*([0-9]+?)(?:\.0*)?", re.ASCII)
_DECIMAL_RE = re.compile(r"[+-]?(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)", re.ASCII)
_DATE_RE = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}", re.ASCII)
# A digit that is not one of 0-9 (\d matches every Unicode decimal digit in a str pattern).
_FOREIGN_DIGIT_RE = re.compile(r"(?![0-9])\d")
# C0 controls but tab, line feed and carriage return; DEL; C1 controls.
_CONTROL_RE = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]")
_CONTROL_OR_BREAK_RE = re.compile(r"[\x00-\x1f\x7f-\x9f]")


def _text(raw: pd.Series) -> pd.Series:
    return raw.astype(object).where(raw.notna(), "").astype(str).str.strip()


def whole_numbers(raw: pd.Series) -> tuple[pd.Series, pd.Series]:
    """Text cells as whole numbers: (Int64 values, reason per cell); empty cells are NA with no reason."""
    # ' 7 ' is 7, '+3' is 3, '12.0' is 12; '1e3', '1.5', '３', '٤', '1_000' and 2**31 are refused.
    text = _text(raw)
    empty = text == ""
    parts = text.str.fullmatch(_WHOLE_RE.pattern, flags=re.ASCII).fillna(False)
    digits = text.str.extract(_WHOLE_RE.pattern + "$", flags=re.ASCII)
    sign, body = digits[0].fillna(""), digits[1].fillna("")
    # Compared as text first: '99999999999999999999' would overflow any integer type.
    too_long = parts & (body.str.len() > len(str(MAX_WHOLE_NUMBER)))
    short = parts & ~too_long
    magnitude = pd.to_numeric(body.where(short, None), errors="coerce").astype("Int64")
    values = magnitude.where(sign != "-", -magnitude)
    too_large = too_long | (short & (magnitude > MAX_WHOLE_NUMBER)).fillna(False)
    foreign = text.str.contains(_FOREIGN_DIGIT_RE.pattern, regex=True).fillna(False)
    reasons = pd.Series(None, index=raw.index, dtype=object)
    reasons[~empty & ~parts] = NOT_WHOLE
    reasons[~empty & ~parts & foreign] = NOT_ASCII_DIGITS
    reasons[too_large] = TOO_LARGE
    values = values.where(reasons.isna() & ~empty)
    return values.astype("Int64"), reasons


def iso_dates(raw: pd.Series) -> tuple[pd.Series, pd.Series]:
    """Text cells as dates (datetime64): (values, reason per cell); only ISO YYYY-MM-DD in digits 0-9."""
    text = _text(raw)
    empty = text == ""
    shaped = text.str.fullmatch(_DATE_RE.pattern, flags=re.ASCII).fillna(False)
    values = pd.to_datetime(text.where(shaped, None), format="%Y-%m-%d", errors="coerce")
    reasons = pd.Series(None, index=raw.index, dtype=object)
    reasons[~empty & values.isna()] = NOT_A_DATE
    foreign = text.str.contains(_FOREIGN_DIGIT_RE.pattern, regex=True).fillna(False)
    reasons[~empty & foreign] = "is not a valid date: write it as YYYY-MM-DD with the digits 0-9"
    return values, reasons


def control_characters(raw: pd.Series, *, line_breaks_allowed: bool = False) -> pd.Series:
    """Which text cells hold a control character (NUL, escape...; line breaks too unless allowed)."""
    pattern = _CONTROL_RE if line_breaks_allowed else _CONTROL_OR_BREAK_RE
    return raw.astype(object).where(raw.notna(), "").astype(str).str.contains(pattern.pattern, regex=True)


def _one(parse: Callable[[pd.Series], tuple[pd.Series, pd.Series]], text: object) -> Any:
    values, reasons = parse(pd.Series([text], dtype=object))
    if pd.notna(reasons.iloc[0]):
        raise ValueError(f"'{printable(str(text))}' {reasons.iloc[0]}")
    return values.iloc[0]


def parse_whole_number(text: object) -> int:
    """One whole number typed by a person; ValueError with the reason when it is not one."""
    value = _one(whole_numbers, "" if text is None else text)
    if pd.isna(value):
        raise ValueError(f"a whole number is required, not '{printable(str(text))}'")
    return int(value)


def parse_iso_date(text: object) -> dt.date:
    """One ISO date (YYYY-MM-DD, digits 0-9); ValueError with the reason when it is not one."""
    value = _one(iso_dates, "" if text is None else text)
    if pd.isna(value):
        raise ValueError(f"a date (YYYY-MM-DD) is required, not '{printable(str(text))}'")
    day: dt.date = value.date()
    return day


def parse_decimal(value: object) -> float:
    """A number typed by a person ('0.25', '3'; digits 0-9): ValueError for '１', 'nan', 'inf', '1e400'."""
    if isinstance(value, bool):
        raise ValueError(f"'{value}' {NOT_A_NUMBER}")
    if isinstance(value, int | float | np.integer | np.floating):
        number = float(value)
    else:
        text = str(value).strip()
        if not _DECIMAL_RE.fullmatch(text):
            reason = NOT_ASCII_DIGITS if _FOREIGN_DIGIT_RE.search(text) else NOT_A_NUMBER
            raise ValueError(f"'{printable(text)}' {reason}")
        number = float(text)
    if not math.isfinite(number):
        raise ValueError(f"'{value}' {NOT_A_NUMBER}")
    return number


def printable(text: str) -> str:
    """Text safe to show in a message or a terminal: control characters as \\x00 escapes."""
    return _CONTROL_OR_BREAK_RE.sub(lambda m: f"\\x{ord(m.group()):02x}", text)
