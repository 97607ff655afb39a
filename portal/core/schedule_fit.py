"""Whether a schedule fits: the working day a plan makes its last unit, and a warning when the
estimated end date is not that day (too early for the plan, or later than it needs)."""

from __future__ import annotations

import datetime as dt
import math
from dataclasses import dataclass

import numpy as np
import pandas as pd

from portal.core.calendar import WorkCalendar


@dataclass(frozen=True)
class ImpliedEnd:
    """When a plan produces its last unit, and how that was counted."""

    end_date: dt.date
    first_day: dt.date
    remaining: int
    working_days: int


def _next_working_day(calendar: WorkCalendar, day: dt.date) -> dt.date:
    """The first working day after ``day`` (``day`` itself may be a holiday)."""
    out = np.busday_offset(np.datetime64(day, "D"), 1, roll="backward", busdaycal=calendar.busdaycal)
    following: dt.date = pd.Timestamp(out).date()
    return following


def implied_end_date(
    calendar: WorkCalendar,
    *,
    start_date: dt.date,
    daily_output: int,
    quantity: int,
    produced: int,
    today: dt.date,
) -> ImpliedEnd | None:
    """The working day the plan makes its last unit, on the supplier's calendar (None: nothing left)."""
    # ceil(remaining / daily_output) working days, the first day counted as day 1. Counting starts on the
    # start date; once output is reported, on the first working day after today (or the start date, if
    # later), as the forecast counts.
    remaining = max(0, int(quantity) - int(produced))
    if remaining == 0 or daily_output <= 0:
        return None
    first = start_date
    if produced > 0:
        first = max(start_date, _next_working_day(calendar, today))
    first = calendar.add_working_days(first, 0)
    days = math.ceil(remaining / daily_output)
    return ImpliedEnd(calendar.add_working_days(first, days - 1), first, remaining, days)


def fit_warning(estimated_end_date: dt.date, implied: ImpliedEnd | None, daily_output: int) -> str | None:
    """A warning when the estimated end date is not the day the plan makes its last unit (None when it is)."""
    if implied is None or implied.end_date == estimated_end_date:
        return None
    plan = (
        f"{implied.remaining:,} units at {daily_output:,} a day take {implied.working_days} working "
        f"day(s) from {implied.first_day.isoformat()} on your working days"
    )
    if estimated_end_date < implied.end_date:
        return (
            f"Your estimated end date {estimated_end_date.isoformat()} is too early for this plan: "
            f"implied end date {implied.end_date.isoformat()} ({plan})."
        )
    return (
        f"Your estimated end date {estimated_end_date.isoformat()} is later than the plan needs: "
        f"implied end date {implied.end_date.isoformat()} ({plan}). Keep it if you allow a margin."
    )
