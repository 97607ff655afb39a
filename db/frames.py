"""Reading query results into DataFrames fast: raw DBAPI rows, no per-row Python objects.

SQLAlchemy still compiles the statement and processes the bound parameters; only the
result rows skip its per-row processing (Row objects, type conversion), which dominates
when a query returns millions of rows. Values come back as the driver gives them: dates
are ISO text on SQLite and ``date`` objects on PostgreSQL, booleans 0/1 on SQLite, enums
their string values; :func:`read_frame` converts the columns named in ``dates``.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable, Sequence
from typing import Any

import pandas as pd
from sqlalchemy import Executable, Select, SQLColumnExpression
from sqlalchemy.orm import Session

from portal.core.batching import id_chunks


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
