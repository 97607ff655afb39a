"""One loader for reads: ``select()`` results as DataFrames and values, enums and dates normalised once.

Rows from the ORM carry enums (``LineStatus.OPEN``) and ``date`` objects; pages, exports and the
core compare strings and ``datetime64`` columns. Every query turns its rows into a frame here:

- :func:`load_frame`: ORM-processed rows (a page's or an export's few thousand), every enum column
  as its value, the named ``dates`` columns as ``datetime64``;
- for the millions of rows a sweep or a scorecard reads, :func:`db.frames.read_frame` gives the
  driver's raw rows (no per-row Python objects; enums already their values, dates converted there);
- :func:`enum_value`, :func:`enum_values`, :func:`as_date`: the same normalisation for one value
  or one column.
"""

from __future__ import annotations

import datetime as dt
import enum
from collections.abc import Iterable
from typing import Any

import pandas as pd
from sqlalchemy import Executable
from sqlalchemy.orm import Session

__all__ = ["as_date", "enum_value", "enum_values", "load_frame", "normalise"]


def enum_value(value: Any) -> Any:
    """An enum as its value (``LineStatus.OPEN`` -> ``'open'``); anything else unchanged."""
    return value.value if isinstance(value, enum.Enum) else value


def enum_values(column: pd.Series) -> pd.Series:
    """A column with every enum as its value."""
    return column.map(enum_value)


def as_date(value: Any) -> dt.date | None:
    """A date from a frame cell or a row (Timestamp, datetime, date, ISO text); None when missing."""
    if value is None or value is pd.NaT or (not isinstance(value, str | dt.date) and pd.isna(value)):
        return None
    if isinstance(value, pd.Timestamp | dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    return pd.Timestamp(value).date()


def normalise(frame: pd.DataFrame, *, dates: Iterable[str] = ()) -> pd.DataFrame:
    """Enum columns as their values and the ``dates`` columns as ``datetime64`` (in place; returned)."""
    for col in frame.columns:
        if frame[col].dtype != object:
            continue
        present = frame[col].dropna()
        # One look per column: a column holds one type, so only enum columns are mapped.
        if len(present) and isinstance(present.iloc[0], enum.Enum):
            frame[col] = enum_values(frame[col])
    for col in dates:
        frame[col] = pd.to_datetime(frame[col])
    return frame


def load_frame(
    session: Session, stmt: Executable, columns: list[str], *, dates: Iterable[str] = ()
) -> pd.DataFrame:
    """Run ``stmt``: its rows as a frame named by ``columns``, enums as values, ``dates`` as datetime64."""
    return normalise(pd.DataFrame(session.execute(stmt).all(), columns=columns), dates=dates)
