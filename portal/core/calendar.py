"""Working calendars per supplier, with bulk working-day arithmetic.

A supplier works on its working weekdays, minus its country's public holidays (the
``holidays`` package), minus its own closure dates. Production counts working days;
transit counts calendar days. All arithmetic runs through numpy's busday functions,
one call per distinct calendar (never one per line).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Literal

import holidays as holidays_lib
import numpy as np
import pandas as pd

DEFAULT_WEEKMASK = "1111100"
#: Years of public holidays loaded around the dates in play.
HOLIDAY_YEARS_BEFORE = 3
HOLIDAY_YEARS_AFTER = 3

NAT = np.datetime64("NaT", "D")
# How numpy's busday_offset moves a date that is not a working day.
Roll = Literal[
    "raise", "nat", "forward", "following", "backward", "preceding", "modifiedfollowing", "modifiedpreceding"
]


def to_days(values: pd.Series | np.ndarray | Iterable[object]) -> np.ndarray:
    """Any dates (date objects, strings, datetime64 of any unit, NaT/None) as datetime64[D]."""
    if isinstance(values, np.ndarray) and values.dtype.kind == "M":
        return values.astype("datetime64[D]")
    series = pd.to_datetime(
        pd.Series(values, dtype="object") if not isinstance(values, pd.Series) else values
    )
    days: np.ndarray = series.to_numpy(dtype="datetime64[ns]").astype("datetime64[D]")
    return days


def to_date(value: np.datetime64 | pd.Timestamp | dt.date | None) -> dt.date | None:
    """One datetime64/Timestamp/date as a ``datetime.date``; NaT and None as None."""
    if value is None or value is pd.NaT or (isinstance(value, np.datetime64) and np.isnat(value)):
        return None
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    ts = pd.Timestamp(value)
    return None if pd.isna(ts) else ts.date()


def _real_day(value: np.datetime64) -> dt.date:
    """A day numpy computed from a real day (never NaT), as a ``datetime.date``."""
    day = to_date(value)
    assert day is not None, value
    return day


@lru_cache(maxsize=4096)
def public_holidays(country: str | None, first_year: int, last_year: int) -> tuple[dt.date, ...]:
    """The public holidays of ``country`` (ISO code) in the years given; () if unknown."""
    if not country:
        return ()
    try:
        found = holidays_lib.country_holidays(country.upper(), years=range(first_year, last_year + 1))
    except NotImplementedError:
        return ()
    return tuple(sorted(found.keys()))


@dataclass(frozen=True)
class WorkCalendar:
    """One supplier's working days: weekmask (Monday first), public holidays and closures."""

    weekmask: str = DEFAULT_WEEKMASK
    holidays: tuple[dt.date, ...] = ()
    busdaycal: np.busdaycalendar = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        mask = self.weekmask if self.weekmask and "1" in self.weekmask else DEFAULT_WEEKMASK
        object.__setattr__(
            self,
            "busdaycal",
            np.busdaycalendar(weekmask=mask, holidays=np.array(self.holidays, dtype="datetime64[D]")),
        )

    @classmethod
    def for_supplier(
        cls,
        country: str | None,
        weekmask: str | None = None,
        closures: Iterable[dt.date | None] = (),
        years: tuple[int, int] | None = None,
    ) -> WorkCalendar:
        """A supplier's calendar; ``years`` bounds the public holidays loaded."""
        first, last = years or default_holiday_years()
        closed = {to_date(d) for d in closures if d is not None}
        days = set(public_holidays(country, first, last)) | {d for d in closed if d is not None}
        return cls(weekmask=weekmask or DEFAULT_WEEKMASK, holidays=tuple(sorted(days)))

    def is_working_day(self, day: dt.date) -> bool:
        return bool(np.is_busday(np.datetime64(day, "D"), busdaycal=self.busdaycal))

    def add_working_days(self, day: dt.date, n: int) -> dt.date:
        """The working day ``n`` working days after ``day`` (``day`` rolled forward first)."""
        out = np.busday_offset(np.datetime64(day, "D"), n, roll="forward", busdaycal=self.busdaycal)
        return _real_day(out)

    def previous_working_day(self, day: dt.date) -> dt.date:
        out = np.busday_offset(np.datetime64(day, "D"), -1, roll="forward", busdaycal=self.busdaycal)
        return _real_day(out)

    def working_days_between(self, start: dt.date, end: dt.date) -> int:
        """Working days in [start, end)."""
        return int(
            np.busday_count(np.datetime64(start, "D"), np.datetime64(end, "D"), busdaycal=self.busdaycal)
        )


def default_holiday_years(today: dt.date | None = None) -> tuple[int, int]:
    year = (today or dt.date.today()).year
    return year - HOLIDAY_YEARS_BEFORE, year + HOLIDAY_YEARS_AFTER


def holiday_years_for(*date_arrays: np.ndarray) -> tuple[int, int]:
    """A year range covering every date given (plus one year of slack each side)."""
    years: list[int] = []
    for arr in date_arrays:
        arr = arr[~np.isnat(arr)] if arr.size else arr
        if arr.size:
            years.append(int(arr.min().astype("datetime64[Y]").astype(int)) + 1970)
            years.append(int(arr.max().astype("datetime64[Y]").astype(int)) + 1970)
    if not years:
        return default_holiday_years()
    return min(years) - 1, max(years) + 2


class CalendarSet:
    """The working calendars of many suppliers, for arithmetic over whole columns.

    Every method takes aligned arrays (one row per line, say) and a ``supplier_ids``
    array; rows are grouped by supplier and each group is computed by one numpy call.
    Suppliers without a calendar use Monday-Friday with no holidays.
    """

    def __init__(self, calendars: Mapping[int, WorkCalendar]):
        self._calendars = dict(calendars)
        self._default = WorkCalendar()

    @classmethod
    def from_frames(
        cls,
        suppliers: pd.DataFrame,
        closures: pd.DataFrame | None = None,
        years: tuple[int, int] | None = None,
    ) -> CalendarSet:
        """Build from ``suppliers`` (supplier_id, country, working_weekdays) and
        ``closures`` (supplier_id, closure_date)."""
        by_supplier: dict[int, list[dt.date | None]] = {}
        if closures is not None and len(closures):
            for sid, group in closures.groupby("supplier_id"):
                by_supplier[int(sid)] = [to_date(d) for d in group["closure_date"]]
        first, last = years or default_holiday_years()
        cals: dict[int, WorkCalendar] = {}
        cache: dict[tuple[str | None, str], WorkCalendar] = {}
        for sid, country, mask in zip(
            suppliers["supplier_id"], suppliers["country"], suppliers["working_weekdays"], strict=True
        ):
            country = country if isinstance(country, str) and country else None
            mask = mask if isinstance(mask, str) and mask else DEFAULT_WEEKMASK
            own = by_supplier.get(int(sid))
            if own:
                cals[int(sid)] = WorkCalendar.for_supplier(country, mask, own, (first, last))
            else:
                # Suppliers sharing a country and weekmask share one calendar object.
                key = (country, mask)
                if key not in cache:
                    cache[key] = WorkCalendar.for_supplier(country, mask, (), (first, last))
                cals[int(sid)] = cache[key]
        return cls(cals)

    def get(self, supplier_id: int) -> WorkCalendar:
        return self._calendars.get(int(supplier_id), self._default)

    def _groups(self, supplier_ids: np.ndarray) -> Iterable[tuple[WorkCalendar, np.ndarray]]:
        """(calendar, row indices) for each distinct calendar among the rows."""
        supplier_ids = np.asarray(supplier_ids)
        if supplier_ids.size == 0:
            return
        uniq, inverse = np.unique(supplier_ids, return_inverse=True)
        cal_of_uniq = [self.get(s) for s in uniq]
        # Group suppliers that share a calendar object, then rows by those groups.
        cal_index: dict[int, int] = {}
        cal_list: list[WorkCalendar] = []
        uniq_to_cal = np.empty(len(uniq), dtype=np.int64)
        for i, cal in enumerate(cal_of_uniq):
            key = id(cal)
            if key not in cal_index:
                cal_index[key] = len(cal_list)
                cal_list.append(cal)
            uniq_to_cal[i] = cal_index[key]
        row_cal = uniq_to_cal[inverse]
        order = np.argsort(row_cal, kind="stable")
        bounds = np.flatnonzero(np.diff(row_cal[order])) + 1
        for rows in np.split(order, bounds):
            yield cal_list[row_cal[rows[0]]], rows

    def offset(
        self, dates: np.ndarray, n: np.ndarray, supplier_ids: np.ndarray, roll: Roll = "forward"
    ) -> np.ndarray:
        """``busday_offset`` per supplier; NaT dates stay NaT."""
        dates = np.asarray(dates, dtype="datetime64[D]")
        n = np.broadcast_to(np.asarray(n, dtype=np.int64), dates.shape)
        out = np.full(dates.shape, NAT)
        ok = ~np.isnat(dates)
        for cal, rows in self._groups(np.asarray(supplier_ids)):
            rows = rows[ok[rows]]
            if rows.size:
                out[rows] = np.busday_offset(dates[rows], n[rows], roll=roll, busdaycal=cal.busdaycal)
        return out

    def count(self, start: np.ndarray, end: np.ndarray, supplier_ids: np.ndarray) -> np.ndarray:
        """Working days in [start, end) per row, as float (NaN where a date is NaT)."""
        start = np.asarray(start, dtype="datetime64[D]")
        end = np.asarray(end, dtype="datetime64[D]")
        out = np.full(start.shape, np.nan)
        ok = ~(np.isnat(start) | np.isnat(end))
        for cal, rows in self._groups(np.asarray(supplier_ids)):
            rows = rows[ok[rows]]
            if rows.size:
                out[rows] = np.busday_count(start[rows], end[rows], busdaycal=cal.busdaycal)
        return out

    def is_working_day(self, dates: np.ndarray, supplier_ids: np.ndarray) -> np.ndarray:
        dates = np.asarray(dates, dtype="datetime64[D]")
        out = np.zeros(dates.shape, dtype=bool)
        ok = ~np.isnat(dates)
        for cal, rows in self._groups(np.asarray(supplier_ids)):
            rows = rows[ok[rows]]
            if rows.size:
                out[rows] = np.is_busday(dates[rows], busdaycal=cal.busdaycal)
        return out
