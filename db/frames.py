"""Reading query results into DataFrames fast: raw DBAPI rows, no per-row Python objects.

SQLAlchemy still compiles the statement and processes the bound parameters; only the
result rows skip its per-row processing (Row objects, type conversion), which dominates
when a query returns millions of rows. Values come back as the driver gives them: dates
are ISO text on SQLite and ``date`` objects on PostgreSQL, booleans 0/1 on SQLite, enums
their string values; :func:`read_frame` converts the columns named in ``dates``.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

import pandas as pd
from sqlalchemy import Executable
from sqlalchemy.orm import Session


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
