"""Bulk writes inside a session's transaction: the driver's fast paths, not ORM objects row by row.

SQLite gets ``executemany`` on the raw cursor with plain tuples; PostgreSQL gets ``COPY`` for
inserts and ``executemany`` (psycopg's pipeline) for updates. Values are converted once per
column (dates to ISO text for SQLite, NaN/NaT to NULL) instead of once per row in Python.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from typing import Any

import numpy as np
import pandas as pd
from sqlalchemy.orm import Session

CHUNK = 100_000


def _driver_connection(session: Session) -> Any:
    return session.connection().connection.driver_connection


def _is_sqlite(session: Session) -> bool:
    return session.get_bind().dialect.name == "sqlite"


def _column_values(series: pd.Series, sqlite: bool) -> list[Any]:
    """One column as driver-ready Python values (None for missing).

    datetime64 columns are timestamps; a DATE column must come as ``datetime.date`` objects
    (``series.dt.date``), so nothing here guesses which is which.
    """
    if pd.api.types.is_datetime64_any_dtype(series):
        if sqlite:
            texts: list[Any] = series.dt.strftime("%Y-%m-%d %H:%M:%S.%f").where(series.notna(), None).tolist()
            return texts
        return [None if pd.isna(v) else v.to_pydatetime() for v in series]
    if pd.api.types.is_bool_dtype(series):
        return [None if pd.isna(v) else bool(v) for v in series.astype(object)]
    if pd.api.types.is_integer_dtype(series):
        return [None if pd.isna(v) else int(v) for v in series.astype(object)]
    if pd.api.types.is_float_dtype(series):
        return [None if not np.isfinite(v) else float(v) for v in series.to_numpy(dtype="float64")]
    out: list[Any] = []
    for v in series.astype(object):
        if v is None or v is pd.NaT or v is pd.NA or (isinstance(v, float) and np.isnan(v)):
            out.append(None)
        elif isinstance(v, pd.Timestamp):
            out.append(v.to_pydatetime())
        elif sqlite and isinstance(v, dt.datetime):
            out.append(v.isoformat(sep=" "))
        elif sqlite and isinstance(v, dt.date):
            out.append(v.isoformat())
        elif hasattr(v, "value") and isinstance(v.value, str):
            out.append(v.value)  # enums stored as their values
        else:
            out.append(v)
    return out


def _rows(frame: pd.DataFrame, columns: Sequence[str], sqlite: bool) -> list[tuple[Any, ...]]:
    return list(zip(*(_column_values(frame[c], sqlite) for c in columns), strict=True))


def bulk_insert(session: Session, table: str, frame: pd.DataFrame) -> None:
    """Insert every row of ``frame`` (columns named as the table's) in the session's transaction."""
    if frame.empty:
        return
    session.flush()
    columns = list(frame.columns)
    raw = _driver_connection(session)
    if _is_sqlite(session):
        sql = f"INSERT INTO {table} ({', '.join(columns)}) VALUES ({', '.join('?' for _ in columns)})"  # noqa: S608
        cursor = raw.cursor()
        for start in range(0, len(frame), CHUNK):
            cursor.executemany(sql, _rows(frame.iloc[start : start + CHUNK], columns, sqlite=True))
        cursor.close()
        return
    # psycopg adapts each value to its column's type (no text round trip, no float 3.0 for an int).
    with raw.cursor() as cursor, cursor.copy(f"COPY {table} ({', '.join(columns)}) FROM STDIN") as copy:
        for row in _rows(frame, columns, sqlite=False):
            copy.write_row(row)


def bulk_update(session: Session, table: str, frame: pd.DataFrame, key: str = "id") -> None:
    """``UPDATE table SET col = ... WHERE key = ...`` for every row of ``frame``."""
    if frame.empty:
        return
    session.flush()
    columns = [c for c in frame.columns if c != key]
    sqlite = _is_sqlite(session)
    mark = "?" if sqlite else "%s"
    sql = f"UPDATE {table} SET {', '.join(f'{c} = {mark}' for c in columns)} WHERE {key} = {mark}"  # noqa: S608
    raw = _driver_connection(session)
    cursor = raw.cursor()
    try:
        for start in range(0, len(frame), CHUNK):
            cursor.executemany(sql, _rows(frame.iloc[start : start + CHUNK], [*columns, key], sqlite))
    finally:
        cursor.close()
