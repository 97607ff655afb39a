"""The one loader for reads: ``select()`` results as DataFrames and values, enums and dates normalised once.

Rows from the ORM carry enums (``LineStatus.OPEN``) and ``date`` objects; pages, exports, services
and the core compare strings and ``datetime64`` columns. Every read turns its rows into a frame here:

- :func:`load_frame`: ORM-processed rows (a page's or an export's few thousand), every enum column
  as its value, the named ``dates`` columns as ``datetime64``;
- :func:`read_frame`: the millions of rows a sweep or a scorecard reads, as the driver gives them
  (see below);
- :func:`enum_value`, :func:`enum_values`, :func:`as_int`, :func:`as_date`: the same normalisation
  for one value or one column.

It lives in ``db/`` because queries and services both load rows (services may import core and db
only: see CONTRIBUTING's layout).

:func:`read_frame` reads raw DBAPI rows, no per-row Python objects. SQLAlchemy still compiles the
statement and processes the bound parameters; only the result rows skip its per-row processing
(Row objects, type conversion), which dominates when a query returns millions of rows. Values come
back as the driver gives them: dates are ISO text on SQLite and ``date`` objects on PostgreSQL,
booleans 0/1 on SQLite, enums their string values; :func:`read_frame` converts the columns named in ``dates``.
"""

from __future__ import annotations

import datetime as dt
import enum
from collections.abc import Collection, Iterable, Sequence
from typing import Any

import pandas as pd
from sqlalchemy import Executable, Select, SQLColumnExpression
from sqlalchemy.orm import Session

from portal.core.batching import id_chunks

__all__ = [
    "as_date",
    "as_int",
    "enum_value",
    "enum_values",
    "load_frame",
    "normalise",
    "read_frame",
    "read_frame_for_ids",
]


def enum_value(value: Any) -> Any:
    """An enum as its value (``LineStatus.OPEN`` -> ``'open'``); anything else unchanged."""
    return value.value if isinstance(value, enum.Enum) else value


def enum_values(column: pd.Series) -> pd.Series:
    """A column with every enum as its value."""
    return column.map(enum_value)


def as_int(value: Any) -> int | None:
    """A whole number from a frame cell or a row (int, float, numpy scalar); None when missing (NaN, NA)."""
    return None if value is None or pd.isna(value) else int(value)


def as_date(value: Any) -> dt.date | None:
    """A date from a frame cell or a row (Timestamp, datetime, date, ISO text); None when missing."""
    if value is None or value is pd.NaT or (not isinstance(value, str | dt.date) and pd.isna(value)):
        return None
    if isinstance(value, pd.Timestamp | dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    day: dt.date = pd.Timestamp(value).date()
    return day


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


def read_frame(
    session: Session, stmt: Executable, columns: list[str], *, dates: Iterable[str] = ()
) -> pd.DataFrame:
    """Run ``stmt`` and return its rows as a DataFrame named by ``columns``."""
    result = session.connection().execute(stmt)
    rows: Sequence[Any] = result.cursor.fetchall() if result.cursor is not None else []
    result.close()
    frame = (
        pd.DataFrame.from_records(rows, columns=columns, coerce_float=False)
        if rows
        else pd.DataFrame({c: pd.Series(dtype="object") for c in columns})
    )
    for col in dates:
        values = frame[col]
        frame[col] = pd.to_datetime(values, format="ISO8601") if len(frame) else pd.to_datetime(values)
    return frame


def read_frame_for_ids(
    session: Session,
    stmt: Select[*tuple[Any, ...]],
    column: SQLColumnExpression[int],
    ids: Collection[int] | None,
    columns: list[str],
) -> pd.DataFrame:
    """Run ``stmt`` for every row (``ids`` None) or for the rows whose ``column`` is in ``ids``, in
    chunks of one ``IN (...)`` each; one frame either way."""
    if ids is None:
        return read_frame(session, stmt, columns)
    frames = [read_frame(session, stmt.where(column.in_(chunk)), columns) for chunk in id_chunks(ids)]
    if not frames:
        return pd.DataFrame({c: pd.Series(dtype="object") for c in columns})
    return pd.concat(frames, ignore_index=True)
