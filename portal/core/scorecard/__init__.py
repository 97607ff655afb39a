"""Supplier scorecards (DOMAIN.md "Scorecard"): every metric per supplier per calendar month, summed
over any run of months (the rolling 12), with the weighted score, the grade, and the lines behind
every number.

Pure pandas/numpy, in two steps so that pages and exports stay fast at any size:

1. :func:`scorecard_events` turns lines, receipts, schedule revisions and reports into one table
   per metric whose rows are the things counted (a receipt, a line due, a reported day...). Those
   rows *are* the drill-down: every number on a scorecard is a sum over them.
2. :func:`summarize` adds the rows up per supplier over a run of months and derives the rates,
   the score and the grade; :func:`rolling` does it for several rolling windows at once.

The precise definitions. A period is a calendar month (or a run of months: the rolling 12 are the
twelve months ending with a given month, the current month counting to date). Dates are calendar
dates (timestamps are cut to their UTC date first). "On time" means on or before the due date plus
``on_time_tolerance_days`` calendar days. A line is due on its promised_date, else its need_by_date.
Nothing dated after ``as_of`` counts, and nothing is judged before it can be.

* **OTD**: receipts dated in the period whose line's due date is known; on time / all of them.
  A receipt of a line with an unknown due date is shown but not counted.
* **OTIF**: lines (not cancelled) due in the period that can be judged (delivered in full, or
  their on-time window has closed before ``as_of``); delivered in full on time / all of them. The
  delivery date is the receipt that brought cumulative good received (quantity - rejected) to
  ``in_full_threshold`` of the ordered quantity, so a split delivery is on time when the receipt
  completing it is, and over-delivery changes nothing.
* **Average days late**: over the lines of OTIF delivered in full after their on-time window, the
  mean of delivery date - due date (calendar days). Lines not delivered yet have no delivery date
  and are left out (OTIF already counts them as failures).
* **Schedule adherence**: over the reported days in the period (current report per line and day),
  sum of min(good, planned) / sum of planned, over days with planned > 0. Planned output on day d
  comes from the schedule revision in force on d: the latest revision posted (created_at) on or
  before d, else the line's first revision. That revision plans daily_output on each working day
  from its start_date until the ordered quantity is reached (the last day gets the rest), as the
  burn-up chart draws it. Days without a report are not counted (responsiveness covers them);
  output above plan earns nothing extra, so the rate never exceeds 100%.
* **Promise reliability**: lines whose first estimated_end_date (revision 1, the original promise)
  falls in the period and is on or before ``as_of``; share whose estimated_end_date never moved
  later from one revision to the next. Mean slip: over the lines that moved later, the working days
  from the original to the latest estimated_end_date (supplier calendar), at least 0.
* **Quality**: from receipts (what reached us), not from the supplier's own reports (rejects caught
  at the factory drive the QUALITY alert; counting them here would punish honest reporting):
  1 - rejected / received quantity over receipts dated in the period; PPM = rejected per million.
* **Responsiveness**: a line is in production on the working days from its first report to the day
  its reported good output reached the in-full threshold; a line still open or in production without
  reaching it stays in production until ``as_of``; any other line ends at its last report. A day is
  reported on time when its first report was posted (created_at, as a date in the supplier's own
  time zone: the loader passes it so) by the end of the next working day. Days whose deadline has
  not passed yet are not judged. On time / in-production days.
* **Lines** in a period: distinct lines counted by any metric in it.
* **Score**: 100 x the weighted mean of OTD, OTIF, schedule adherence, promise reliability, quality
  and responsiveness with the admin weights. A metric without data in the period is left out and
  the others' weights renormalize to 100 (weight / sum of the weights of the metrics with data).
  Under ``min_lines_for_score`` lines there is no score ("not enough data"); without lines, "no
  data". The score is rounded to one decimal and the grade read from the rounded score, so the
  number shown and the grade always agree: A >= 90, B >= 80, C >= 65, D >= 50, else F.

Inputs (frames; dates may be dates, timestamps, text or missing): ``lines`` (line_id, supplier_id,
quantity, need_by_date, promised_date, status); ``receipts`` (po_line_id, received_date, quantity,
rejected_qty); ``schedules``, every revision (line_id, revision, start_date, daily_output,
estimated_end_date, created_at); ``reports``, every revision (line_id, report_date, good_qty,
rejected_qty, created_at, is_current).
"""

from portal.core.scorecard.definitions import (
    GRADES,
    METRICS,
    NO_DATA,
    NO_MONTH,
    NOT_ENOUGH_DATA,
    NUMBERS,
    ROLLING_LABEL,
    ROLLING_MONTHS,
    SUMMARY_COLUMNS,
    TOTALS,
    TREND_DOWN,
    TREND_FLAT,
    TREND_STEP,
    TREND_UP,
    Metric,
)
from portal.core.scorecard.drilldown import DRILL_SOURCES, LINE_SOURCES, drill_down, score_breakdown
from portal.core.scorecard.events import ScorecardEvents, scorecard_events
from portal.core.scorecard.months import (
    month_first_day,
    month_index,
    month_label,
    month_last_day,
    month_of,
    parse_month,
    rolling_window,
    to_dates,
)
from portal.core.scorecard.prose import basis
from portal.core.scorecard.totals import (
    RANK_HISTORY,
    by_month,
    history_scores,
    rolling,
    rolling_from_totals,
    score_and_grade,
    summarize,
    totals_snapshot,
    trend,
    window_lines,
    window_summaries,
    window_totals,
)

__all__ = [
    "DRILL_SOURCES",
    "GRADES",
    "LINE_SOURCES",
    "METRICS",
    "NOT_ENOUGH_DATA",
    "NO_DATA",
    "NO_MONTH",
    "NUMBERS",
    "RANK_HISTORY",
    "ROLLING_LABEL",
    "ROLLING_MONTHS",
    "SUMMARY_COLUMNS",
    "TOTALS",
    "TREND_DOWN",
    "TREND_FLAT",
    "TREND_STEP",
    "TREND_UP",
    "Metric",
    "ScorecardEvents",
    "basis",
    "by_month",
    "drill_down",
    "history_scores",
    "month_first_day",
    "month_index",
    "month_label",
    "month_last_day",
    "month_of",
    "parse_month",
    "rolling",
    "rolling_from_totals",
    "rolling_window",
    "score_and_grade",
    "score_breakdown",
    "scorecard_events",
    "summarize",
    "to_dates",
    "totals_snapshot",
    "trend",
    "window_lines",
    "window_summaries",
    "window_totals",
]
