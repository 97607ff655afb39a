"""Whether a schedule fits: the working day a plan makes its last unit, and a warning when the
estimated end date is not that day (too early for the plan, or later than it needs)."""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import pandas as pd

from portal.core.calendar import WorkCalendar
from portal.i18n import _, format_number, message_date, ngettext


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


def fit_warning(
    estimated_end_date: dt.date,
    implied: ImpliedEnd | None,
    daily_output: int,
    *,
    write_date: Callable[[dt.date], str] = message_date,
) -> str | None:
    """A warning when the estimated end date is not the day the plan makes its last unit (None when it
    is), in the current language with its numbers; ``write_date`` writes its dates (by default as
    messages do: ISO in English, as the API's clients read them; the schedule page writes them as its
    other dates)."""
    if implied is None or implied.end_date == estimated_end_date:
        return None
    plan = ngettext(
        "{remaining} units at {output} a day take {days} working day from {first} on your working days",
        "{remaining} units at {output} a day take {days} working days from {first} on your working days",
        implied.working_days,
    ).format(
        remaining=format_number(implied.remaining),
        output=format_number(daily_output),
        days=format_number(implied.working_days),
        first=write_date(implied.first_day),
    )
    if estimated_end_date < implied.end_date:
        text = _(
            "Your estimated end date {end} is too early for this plan: implied end date {implied} ({plan})."
        )
    else:
        text = _(
            "Your estimated end date {end} is later than the plan needs: implied end date {implied} "
            "({plan}). Keep it if you allow a margin."
        )
    return text.format(end=write_date(estimated_end_date), implied=write_date(implied.end_date), plan=plan)
