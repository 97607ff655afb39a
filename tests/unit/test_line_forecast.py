"""The one-line forecast in plain Python gives exactly what the vectorized forecast gives that line."""

from __future__ import annotations

import dataclasses
import datetime as dt
import math

import numpy as np
import pandas as pd
from hypothesis import example, given, settings
from hypothesis import strategies as st

from portal.core.calendar import CalendarSet, WorkCalendar
from portal.core.calibration import CALIBRATION_COLUMNS
from portal.core.forecast import FORECAST_COLUMNS, forecast_lines
from portal.core.line_forecast import OpenLine, SupplierRecord, forecast_line
from portal.core.settings import Settings
from portal.core.summaries import line_stats, report_stats, summarize

FIRST = dt.date(2026, 1, 5)
CALENDARS = {
    "mon-fri": WorkCalendar(),
    "six days, holidays": WorkCalendar(
        weekmask="1111110", holidays=(dt.date(2026, 2, 16), dt.date(2026, 3, 2), dt.date(2026, 4, 3))
    ),
    "tue-sat, closures": WorkCalendar(
        weekmask="0111110", holidays=tuple(FIRST + dt.timedelta(days=d) for d in range(30, 45))
    ),
}

history = st.dictionaries(
    st.integers(0, 90), st.tuples(st.integers(0, 400), st.integers(0, 30)), min_size=0, max_size=40
)
maybe_float = st.one_of(st.just(math.nan), st.floats(0.0, 6.0, allow_nan=False))
record = st.one_of(
    st.none(),
    st.builds(
        SupplierRecord,
        forecast_records=st.one_of(st.just(math.nan), st.integers(0, 20).map(float)),
        start_delay_days=maybe_float,
        start_delay_sd=maybe_float,
        rate_ratio=st.one_of(st.just(math.nan), st.floats(0.0, 3.0, allow_nan=False)),
        rate_ratio_sd=maybe_float,
    ),
)


@settings(max_examples=400, deadline=None)
@given(
    days=history,
    quantity=st.integers(1, 8000),
    status=st.sampled_from(["open", "in_production", "shipped"]),
    transit=st.integers(0, 30),
    need_by=st.one_of(st.none(), st.integers(0, 200)),
    start=st.one_of(st.none(), st.integers(-10, 150)),
    daily_output=st.one_of(st.none(), st.just(0.0), st.floats(0.5, 600.0, allow_nan=False)),
    as_of=st.integers(0, 140),
    calendar=st.sampled_from(sorted(CALENDARS)),
    supplier_record=record,
    span=st.sampled_from([3, 10, 20]),
    min_days=st.sampled_from([1, 5, 8]),
    stale=st.sampled_from([1, 3, 10]),
    cv=st.sampled_from([0.0, 0.3, 0.7]),
)
# Found by this test in CI: a rate ratio near zero made the spread overflow past the calendar's end.
@example(
    days={0: (1, 0)},
    quantity=2,
    status="open",
    transit=0,
    need_by=None,
    start=None,
    daily_output=None,
    as_of=0,
    calendar="mon-fri",
    supplier_record=SupplierRecord(
        forecast_records=math.nan,
        start_delay_days=math.nan,
        start_delay_sd=math.nan,
        rate_ratio=8.014133804326038e-162,
        rate_ratio_sd=1.0,
    ),
    span=3,
    min_days=1,
    stale=1,
    cv=0.0,
)
# A skipped Thursday that leaves 40 of a day's 100: p50 on the last report day (Monday 12 January).
@example(
    days={0: (100, 0), 1: (100, 0), 2: (100, 0), 4: (100, 0), 7: (100, 0)},
    quantity=640,
    status="in_production",
    transit=0,
    need_by=None,
    start=0,
    daily_output=100.0,
    as_of=7,
    calendar="mon-fri",
    supplier_record=None,
    span=10,
    min_days=5,
    stale=3,
    cv=0.3,
)
def test_the_plain_python_forecast_of_one_line_is_the_vectorized_one_exactly(
    days: dict[int, tuple[int, int]],
    quantity: int,
    status: str,
    transit: int,
    need_by: int | None,
    start: int | None,
    daily_output: float | None,
    as_of: int,
    calendar: str,
    supplier_record: SupplierRecord | None,
    span: int,
    min_days: int,
    stale: int,
    cv: float,
) -> None:
    day = dt.date.fromordinal
    d = day(FIRST.toordinal() + as_of)
    # The summary as of D: the line's reports dated on or before D (what report_stats_for gives).
    reports = [(day(FIRST.toordinal() + k), g, r) for k, (g, r) in days.items() if k <= as_of]
    summary = summarize(reports, quantity, span)
    cfg = Settings(
        forecast_ewm_span=span,
        forecast_min_reported_days=min_days,
        stale_update_days=stale,
        forecast_default_cv=cv,
    )
    line = OpenLine(
        line_id=7,
        supplier_id=3,
        quantity=quantity,
        status=status,
        transit_days=transit,
        need_by_date=None if need_by is None else day(FIRST.toordinal() + need_by),
        start_date=None if start is None or daily_output is None else day(FIRST.toordinal() + start),
        daily_output=None if start is None else daily_output,
    )
    if supplier_record is None:
        calibration = pd.DataFrame(columns=["supplier_id", *CALIBRATION_COLUMNS])
    else:
        calibration = pd.DataFrame(
            [{"supplier_id": 3, **dataclasses.asdict(supplier_record)}],
            columns=["supplier_id", *CALIBRATION_COLUMNS],
        )
    frame = pd.DataFrame(
        {
            "line_id": [7],
            "supplier_id": [3],
            "quantity": [quantity],
            "status": [status],
            "transit_days": [transit],
            "need_by_date": [pd.Timestamp(line.need_by_date) if line.need_by_date else pd.NaT],
            "start_date": [pd.Timestamp(line.start_date) if line.start_date else pd.NaT],
            "daily_output": [np.nan if line.daily_output is None else line.daily_output],
        }
    )
    stats = report_stats(pd.DataFrame([summary.as_row(7)]))
    cal = CALENDARS[calendar]
    want = forecast_lines(
        frame, None, CalendarSet({3: cal}), d, cfg, stats=stats, calibration=calibration
    ).iloc[0]
    got = forecast_line(line, line_stats(summary), cal, d, cfg, supplier_record)
    for column in FORECAST_COLUMNS:
        mine, theirs = getattr(got, column), want[column]
        if mine is None or (isinstance(mine, float) and math.isnan(mine)):
            assert pd.isna(theirs), column
        elif isinstance(mine, dt.date):
            assert pd.Timestamp(mine) == theirs, column
        else:
            assert mine == theirs, (column, mine, theirs)
