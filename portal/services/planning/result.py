"""What a sweep or a recompute reports: counts, the alerts it raised, the time each step took."""

from __future__ import annotations

import datetime as dt
import time
from dataclasses import dataclass, field

import pandas as pd


@dataclass
class SweepResult:
    """What a sweep computed and how long each step took."""

    as_of: dt.date
    lines: int = 0
    backorders: int = 0
    unpromisable: int = 0
    alerts_opened: int = 0
    alerts_updated: int = 0
    alerts_resolved: int = 0
    alerts_raised: int = 0
    raised_alert_ids: list[int] = field(default_factory=list)
    timings: dict[str, float] = field(default_factory=dict)
    #: With ``verify``: lines whose production summary disagreed with their reports (line_id,
    #: label, problem); they were forecast from their reports.
    #: With ``verify``: supplier days whose total output disagreed with the reports (supplier_id,
    #: report_date, problem); observed capacity was then learned from the reports.
    inconsistent_days: pd.DataFrame = field(
        default_factory=lambda: pd.DataFrame(columns=["supplier_id", "report_date", "problem"])
    )
    inconsistent: pd.DataFrame = field(
        default_factory=lambda: pd.DataFrame(columns=["line_id", "label", "problem"])
    )

    def summary(self) -> str:
        return (
            f"Sweep as of {self.as_of}: {self.lines} open lines forecast, {self.backorders} backorders "
            f"({self.unpromisable} unpromisable), alerts: {self.alerts_opened} new, "
            f"{self.alerts_updated} updated, "
            f"{self.alerts_resolved} resolved."
        )


class Timer:
    def __init__(self, result: SweepResult) -> None:
        self.result = result
        self.last = time.perf_counter()

    def mark(self, step: str) -> None:
        now = time.perf_counter()
        self.result.timings[step] = round(now - self.last, 4)
        self.last = now
