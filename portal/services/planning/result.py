"""What a sweep or a recompute reports: counts, the alerts it raised, the time each step took."""

from __future__ import annotations

import datetime as dt
import time
from collections.abc import Iterable
from dataclasses import dataclass, field

import pandas as pd

# Built once: a recompute of one line makes a result per post, and building a frame costs ~0.3 ms.
_NO_DAYS = pd.DataFrame(columns=["supplier_id", "report_date", "problem"])
_NO_LINES = pd.DataFrame(columns=["line_id", "label", "problem"])


@dataclass
class SweepResult:
    """What a sweep computed and how long each step took."""

    as_of: dt.date
    lines: int = 0
    backorders: int = 0
    unpromisable: int = 0
    alerts_opened: int = 0
    #: Live alerts whose stored values changed (severity, message, days late, status, ...).
    alerts_updated: int = 0
    alerts_resolved: int = 0
    #: Live alerts still holding, unchanged: only their last_seen moved (one statement, not per row).
    alerts_seen: int = 0
    alerts_raised: int = 0
    raised_alert_ids: list[int] = field(default_factory=list)
    #: The supplier statistics were read back (their inputs had not changed), not learned again.
    statistics_reused: bool = False
    timings: dict[str, float] = field(default_factory=dict)
    #: Rows inserted, updated or deleted per kind (forecasts, promises, allocations, alerts,
    #: supplier_stats): only what changed is written, so a sweep over unchanged data writes none.
    rows_written: dict[str, int] = field(default_factory=dict)
    #: With ``verify``: lines whose production summary disagreed with their reports (line_id,
    #: label, problem); they were forecast from their reports.
    #: With ``verify``: supplier days whose total output disagreed with the reports (supplier_id,
    #: report_date, problem); observed capacity was then learned from the reports.
    inconsistent_days: pd.DataFrame = field(default_factory=lambda: _NO_DAYS.copy())
    inconsistent: pd.DataFrame = field(default_factory=lambda: _NO_LINES.copy())
    #: The inbox subjects (``line:7``, ``backorder:3``, ...) whose alerts or waiting orders this run
    #: wrote: what a sweep's inbox problems need again. None: not known (every row is rebuilt).
    subjects_changed: set[str] | None = field(default_factory=set)
    #: How a sweep over everything kept the inbox problems: "rebuilt" (all) or "refreshed" (what it wrote).
    problems: str = ""

    def subjects_touched(self, keys: Iterable[object]) -> None:
        if self.subjects_changed is not None:
            self.subjects_changed.update(str(k) for k in keys)

    @property
    def written(self) -> int:
        """Every row this run inserted, updated or deleted."""
        return sum(self.rows_written.values())

    def count_written(self, kind: str, rows: int) -> None:
        self.rows_written[kind] = self.rows_written.get(kind, 0) + rows

    def summary(self) -> str:
        return (
            f"Sweep as of {self.as_of}: {self.lines} open lines forecast, {self.backorders} backorders "
            f"({self.unpromisable} unpromisable), alerts: {self.alerts_opened} new, "
            f"{self.alerts_updated} updated, {self.alerts_seen} unchanged, "
            f"{self.alerts_resolved} resolved; {self.written:,} rows written."
        )


class Timer:
    def __init__(self, result: SweepResult) -> None:
        self.result = result
        self.last = time.perf_counter()

    def mark(self, step: str) -> None:
        now = time.perf_counter()
        # Added up: a sweep in item chunks runs each step once per chunk.
        self.result.timings[step] = round(self.result.timings.get(step, 0.0) + now - self.last, 4)
        self.last = now
