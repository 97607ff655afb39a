"""The API's JSON shapes: what a client sends (unknown fields refused) and what it gets back.

Names are DOMAIN.md's and the file formats' (``po_number``, ``good_qty``, ``completion_p90``...),
so the API, the CSV columns and the screens say the same thing.
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Sequence
from typing import Any

import numpy as np
import pandas as pd
from pydantic import BaseModel, ConfigDict, Field

MAX_BATCH = 5000


class Strict(BaseModel):
    """A request body: a field the API does not know is an error, not silently dropped."""

    model_config = ConfigDict(extra="forbid")


# --------------------------------------------------------------------------- requests


class ReportIn(Strict):
    """One line's output of one day (a day already reported is a correction)."""

    po_number: str = Field(min_length=1, max_length=60, examples=["PO-1042"])
    line: int = Field(ge=1, examples=[3])
    date: dt.date = Field(examples=["2026-03-06"])
    good_qty: int = Field(examples=[120])
    rejected_qty: int = Field(default=0, examples=[2])
    note: str | None = Field(default=None, max_length=2000)


class ReportBatchIn(Strict):
    """A batch of daily reports: all are posted, or none."""

    reports: list[ReportIn] = Field(min_length=1, max_length=MAX_BATCH)
    confirm_corrections: bool = Field(
        default=False,
        description="Post days already reported as corrections (the old values stay in the history); "
        "without it such days are a 409 listing them.",
    )


class ScheduleIn(Strict):
    """The next revision of a line's production schedule."""

    start_date: dt.date
    daily_output: int = Field(examples=[100])
    estimated_end_date: dt.date
    reason: str | None = Field(
        default=None, max_length=2000, description="Required when the estimated end date moves later."
    )
    revision: int | None = Field(
        description="The revision this change is based on (null when the line has no schedule yet); another "
        "revision saved since is a 409."
    )


class ReplyIn(Strict):
    """A comment on an alert."""

    body: str = Field(min_length=1, max_length=4000)


class SnoozeIn(Strict):
    """Hide an alert until a date."""

    until: dt.date


class ImportRowsIn(Strict):
    """Rows of an import kind, with the file format's columns as keys."""

    rows: list[dict[str, str | int | float | bool | None]] = Field(min_length=1, max_length=MAX_BATCH * 4)


# --------------------------------------------------------------------------- responses


class Page(BaseModel):
    """One page of a list; pass ``next_cursor`` as ``cursor`` for the next (null: the last page)."""

    items: list[dict[str, Any]]
    total: int
    next_cursor: str | None


class ReportRowOut(BaseModel):
    index: int
    po_number: str
    line: int
    date: dt.date
    result: str


class ReportBatchOut(BaseModel):
    posted: int
    corrected: int
    rows: list[ReportRowOut]


class ScheduleOut(BaseModel):
    po_number: str
    line: int
    revision: int
    implied_end_date: dt.date | None
    warning: str | None


class ImportOut(BaseModel):
    kind: str
    rows: int
    created: int
    corrected: int
    warnings: list[str]


class CountOut(BaseModel):
    changed: int


class CommentOut(BaseModel):
    comment_id: int


# --------------------------------------------------------------------------- helpers


#: Columns that hold calendar dates (frames carry them as datetime64): written as YYYY-MM-DD.
_DATE_NAMES = {"date", "completion_p50", "completion_p90", "arrival_p50", "arrival_p90", "snoozed_until"}


def is_date_column(name: str) -> bool:
    """Whether a frame column is a calendar date rather than a moment."""
    return name in _DATE_NAMES or name.endswith("_date")


def plain(value: Any, is_date: bool = False) -> Any:
    """A frame cell as JSON: dates as ISO dates, missing as null, numpy numbers as Python numbers."""
    if value is None or value is pd.NaT or value is pd.NA:
        return None
    if isinstance(value, pd.Timestamp | dt.datetime) and is_date:
        return value.date().isoformat()
    if isinstance(value, pd.Timestamp | dt.datetime):
        return value.isoformat()
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, np.generic):
        value = value.item()
    if isinstance(value, float):
        return None if math.isnan(value) else round(value, 6)
    if hasattr(value, "value") and not isinstance(value, str | int):
        return value.value  # an enum
    return value


def records(frame: pd.DataFrame, columns: Sequence[str], renames: dict[str, str] | None = None) -> list[dict]:
    """Rows of ``frame`` as JSON objects with ``columns`` (renamed by ``renames``)."""
    renames = renames or {}
    dates = [is_date_column(c) for c in columns]
    out = []
    for row in frame[list(columns)].itertuples(index=False, name=None):
        out.append({renames.get(c, c): plain(v, d) for c, v, d in zip(columns, row, dates, strict=True)})
    return out
