"""Scorecard periods: calendar months as indexes since 1970-01, their labels and rolling windows."""

from __future__ import annotations

import datetime as dt
import re

import numpy as np
import pandas as pd

from portal.core.domain import ValidationError
from portal.core.scorecard.definitions import NO_MONTH, ROLLING_MONTHS

_DAY = np.timedelta64(1, "D")


def to_dates(values: object) -> np.ndarray:
    """Any dates or timestamps as datetime64[D]; whatever is not a date is unknown (NaT), never an error."""
    if isinstance(values, np.ndarray) and values.dtype.kind == "M":
        return values.astype("datetime64[D]")
    series = values if isinstance(values, pd.Series) else pd.Series(values, dtype=object)
    if series.dtype.kind != "M":
        series = pd.to_datetime(series, errors="coerce", format="mixed")
    days: np.ndarray = series.to_numpy(dtype="datetime64[ns]").astype("datetime64[D]")
    return days


def month_index(dates: object) -> np.ndarray:
    """Months since 1970-01 of each date (NaT: NO_MONTH)."""
    days = to_dates(dates)
    months = days.astype("datetime64[M]").astype("int64")
    return np.where(np.isnat(days), NO_MONTH, months)


def month_label(month: int) -> str:
    """A month index as ``YYYY-MM``."""
    return str(np.datetime64(int(month), "M"))


def parse_month(text: str) -> int:
    """``YYYY-MM`` as a month index; ValidationError otherwise."""
    found = re.fullmatch(r"\s*(\d{4})-(\d{2})\s*", str(text or ""))
    if not found or not 1 <= int(found.group(2)) <= 12:
        raise ValidationError(f"A period is a month written YYYY-MM (like 2026-03), got '{text}'")
    return (int(found.group(1)) - 1970) * 12 + int(found.group(2)) - 1


def month_of(day: dt.date) -> int:
    """The month index of a date."""
    return (day.year - 1970) * 12 + day.month - 1


def month_first_day(months: np.ndarray) -> np.ndarray:
    """The first day of each month index."""
    return np.asarray(months, dtype="int64").astype("datetime64[M]").astype("datetime64[D]")


def month_last_day(months: np.ndarray) -> np.ndarray:
    """The last day of each month index."""
    return month_first_day(np.asarray(months, dtype="int64") + 1) - _DAY


def rolling_window(end_month: int, months: int = ROLLING_MONTHS) -> tuple[int, int]:
    """(first, last) month of the ``months`` months ending with ``end_month``."""
    return end_month - months + 1, end_month
