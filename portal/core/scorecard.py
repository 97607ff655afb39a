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

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Collection, Sequence
from dataclasses import dataclass
from functools import cached_property

import numpy as np
import pandas as pd

from portal.core.calendar import CalendarSet
from portal.core.domain import LineStatus, ValidationError
from portal.core.history import delivery_dates
from portal.core.settings import SCORE_METRICS, Settings

ROLLING_MONTHS = 12
ROLLING_LABEL = "rolling-12"
NO_MONTH = -1
#: (grade, lowest score) from the best down; below the last one the grade is F.
GRADES: tuple[tuple[str, float], ...] = (("A", 90.0), ("B", 80.0), ("C", 65.0), ("D", 50.0))
#: A score change smaller than this many points shows as a flat trend.
TREND_STEP = 1.0
TREND_UP, TREND_DOWN, TREND_FLAT = "▲", "▼", "▶"
NO_DATA = "no data"
NOT_ENOUGH_DATA = "not enough data"
#: Lines still being made: their in-production days run to as_of.
_PRODUCING = frozenset({LineStatus.OPEN.value, LineStatus.IN_PRODUCTION.value})
_DAY = np.timedelta64(1, "D")


@dataclass(frozen=True)
class Metric:
    """A scorecard metric: its label, its unit and the definition shown beside it."""

    key: str
    label: str
    unit: str  # "rate" (0-1), "days" or "count"
    definition: str
    higher_is_better: bool = True


METRICS: dict[str, Metric] = {
    m.key: m
    for m in (
        Metric(
            "otd",
            "On-time delivery (OTD)",
            "rate",
            "Receipts dated in the period that arrived on or before their line's due date (promised "
            "date, else need-by date; plus the on-time tolerance), out of all receipts in the period.",
        ),
        Metric(
            "otif",
            "On time in full (OTIF)",
            "rate",
            "Lines due in the period whose cumulative good quantity received reached the in-full "
            "threshold of the order on or before the due date (plus tolerance), out of the lines due "
            "in the period. Split deliveries count when the receipt completing the quantity is on time.",
        ),
        Metric(
            "avg_days_late",
            "Average days late",
            "days",
            "For the lines due in the period that were delivered in full late: the mean of delivery "
            "date minus due date, in calendar days.",
            higher_is_better=False,
        ),
        Metric(
            "schedule_adherence",
            "Schedule adherence",
            "rate",
            "Over the days with a production report: good output up to the planned output, summed, "
            "out of the planned output. The plan of a day is the schedule revision in force that day "
            "(daily output on working days from the start date until the order is covered).",
        ),
        Metric(
            "promise_reliability",
            "Promise reliability",
            "rate",
            "Lines whose original estimated end date fell in the period: the share whose estimated "
            "end date never moved later in a schedule revision. Mean slip: working days from the "
            "original to the latest estimate, over the lines that slipped.",
        ),
        Metric(
            "quality",
            "Quality",
            "rate",
            "1 - rejected / received quantity over the receipts in the period (our incoming "
            "inspection), also shown as PPM: rejected units per million received.",
        ),
        Metric(
            "responsiveness",
            "Responsiveness",
            "rate",
            "Working days a line was in production (from its first report until it was complete) "
            "on which the day's report was posted by the end of the next working day, out of all "
            "those days. A posting counts on the supplier's own local date (its time zone), not the "
            "UTC date.",
        ),
    )
}

#: Additive counts kept per supplier and month; every rate is a ratio of two of them.
TOTALS: tuple[str, ...] = (
    "otd_receipts",
    "otd_on_time",
    "otif_lines",
    "otif_on_time",
    "late_lines",
    "late_days",
    "planned_qty",
    "credited_qty",
    "promise_lines",
    "promises_kept",
    "slipped_lines",
    "slip_days",
    "received_qty",
    "rejected_qty",
    "production_days",
    "reported_on_time",
)

SUMMARY_COLUMNS: list[str] = [
    "supplier_id",
    "period",
    "lines",
    "otd",
    "otif",
    "avg_days_late",
    "schedule_adherence",
    "promise_reliability",
    "mean_slip_days",
    "quality",
    "ppm",
    "responsiveness",
    "score",
    "grade",
    "score_note",
    *TOTALS,
]


# ----------------------------------------------------------------------------- months


def to_dates(values: object) -> np.ndarray:
    """Any dates or timestamps as datetime64[D]; whatever is not a date is unknown (NaT), never an error."""
    if isinstance(values, np.ndarray) and values.dtype.kind == "M":
        return values.astype("datetime64[D]")
    series = values if isinstance(values, pd.Series) else pd.Series(values, dtype=object)
    if series.dtype.kind != "M":
        series = pd.to_datetime(series, errors="coerce", format="mixed")
    return series.to_numpy(dtype="datetime64[ns]").astype("datetime64[D]")


def month_index(dates: object) -> np.ndarray:
    """Months since 1970-01 of each date (NaT: NO_MONTH)."""
    days = to_dates(dates)
    months = days.astype("datetime64[M]").astype("int64")
    return np.where(np.isnat(days), NO_MONTH, months)


def month_label(month: int) -> str:
    """A month index as ``YYYY-MM``."""
    return str(np.datetime64(int(month), "M"))


def parse_month(text: str) -> int:
    """``YYYY-MM`` as a month index; ValidationError otherwise."""
    found = re.fullmatch(r"\s*(\d{4})-(\d{2})\s*", str(text or ""))
    if not found or not 1 <= int(found.group(2)) <= 12:
        raise ValidationError(f"A period is a month written YYYY-MM (like 2026-03), got '{text}'")
    return (int(found.group(1)) - 1970) * 12 + int(found.group(2)) - 1


def month_of(day: dt.date) -> int:
    """The month index of a date."""
    return (day.year - 1970) * 12 + day.month - 1


def month_first_day(months: np.ndarray) -> np.ndarray:
    """The first day of each month index."""
    return np.asarray(months, dtype="int64").astype("datetime64[M]").astype("datetime64[D]")


def month_last_day(months: np.ndarray) -> np.ndarray:
    """The last day of each month index."""
    return month_first_day(np.asarray(months, dtype="int64") + 1) - _DAY


def rolling_window(end_month: int, months: int = ROLLING_MONTHS) -> tuple[int, int]:
    """(first, last) month of the ``months`` months ending with ``end_month``."""
    return end_month - months + 1, end_month


# ----------------------------------------------------------------------------- events


def _days_col(values: np.ndarray) -> pd.Series:
    """datetime64[D] values as a frame column (pandas keeps dates at second resolution)."""
    return pd.Series(np.asarray(values, dtype="datetime64[D]").astype("datetime64[s]"))


def _empty(columns: Sequence[str]) -> pd.DataFrame:
    return pd.DataFrame({c: pd.Series(dtype="float64") for c in columns})


@dataclass(frozen=True, eq=False)
class ScorecardEvents:
    """The rows behind every scorecard number: one table per metric, each with supplier_id, line_id, month."""

    receipts: pd.DataFrame  # OTD and quality: one row per receipt
    lines_due: pd.DataFrame  # OTIF and average days late: one row per judged line
    reported_days: pd.DataFrame  # schedule adherence: one row per reported day with a plan
    promises: pd.DataFrame  # promise reliability: one row per line with a judged original estimate
    production_days: pd.DataFrame  # responsiveness: one row per line and month in production
    as_of: dt.date

    @cached_property
    def line_months(self) -> pd.DataFrame:
        """Distinct (supplier_id, line_id, month) counted by any metric."""
        parts = [
            f[["supplier_id", "line_id", "month"]]
            for f in (self.receipts, self.lines_due, self.reported_days, self.promises, self.production_days)
            if len(f)
        ]
        if not parts:
            return pd.DataFrame({c: pd.Series(dtype="int64") for c in ("supplier_id", "line_id", "month")})
        return pd.concat(parts, ignore_index=True).astype("int64").drop_duplicates(ignore_index=True)

    @cached_property
    def monthly(self) -> pd.DataFrame:
        """The additive TOTALS and distinct lines per (supplier_id, month), only where there is data."""
        parts: list[pd.DataFrame] = []
        keys = ["supplier_id", "month"]

        def add(frame: pd.DataFrame, **columns: pd.Series) -> None:
            if len(frame):
                sums = pd.DataFrame({"supplier_id": frame["supplier_id"], "month": frame["month"], **columns})
                parts.append(sums.groupby(keys).sum())

        r = self.receipts
        add(
            r,
            otd_receipts=r["otd_counted"].astype("int64"),
            otd_on_time=r["on_time"].astype("int64"),
            received_qty=r["quantity"].astype("float64"),
            rejected_qty=r["rejected_qty"].astype("float64"),
        )
        d = self.lines_due
        late = d["late"].astype("bool") & d["days_late"].notna() if len(d) else pd.Series(dtype="bool")
        add(
            d,
            otif_lines=pd.Series(1, index=d.index),
            otif_on_time=d["otif"].astype("int64"),
            late_lines=late.astype("int64"),
            late_days=d["days_late"].where(late, 0.0).astype("float64"),
        )
        a = self.reported_days
        add(a, planned_qty=a["planned"].astype("float64"), credited_qty=a["credited"].astype("float64"))
        p = self.promises
        add(
            p,
            promise_lines=pd.Series(1, index=p.index),
            promises_kept=(~p["moved_later"].astype("bool")).astype("int64"),
            slipped_lines=p["moved_later"].astype("int64"),
            slip_days=p["slip_working_days"].astype("float64"),
        )
        q = self.production_days
        add(
            q,
            production_days=q["judged_days"].astype("int64"),
            reported_on_time=q["reported_on_time"].astype("int64"),
        )
        lm = self.line_months
        if len(lm):
            parts.append(lm.groupby(keys)["line_id"].nunique().rename("lines").to_frame())
        if not parts:
            out = pd.DataFrame(columns=[*keys, *TOTALS, "lines"]).astype("float64")
            return out.set_index(keys)
        out = pd.concat(parts, axis=1).fillna(0.0)
        for col in (*TOTALS, "lines"):
            if col not in out.columns:
                out[col] = 0.0
        return out[[*TOTALS, "lines"]]


def scorecard_events(
    lines: pd.DataFrame,
    receipts: pd.DataFrame,
    schedules: pd.DataFrame,
    reports: pd.DataFrame,
    calendars: CalendarSet,
    settings: Settings,
    as_of: dt.date,
) -> ScorecardEvents:
    """The rows behind every metric, for every supplier and month at once (inputs: module docstring)."""
    today = np.datetime64(as_of, "D")
    known = _prepare_lines(lines)
    rec = _prepare_receipts(receipts, known, today)
    return ScorecardEvents(
        receipts=_receipt_rows(rec, known, settings),
        lines_due=_line_due_rows(rec, known, settings, today),
        reported_days=_reported_day_rows(known, schedules, reports, calendars, today),
        promises=_promise_rows(known, schedules, calendars, today),
        production_days=_production_day_rows(known, reports, calendars, settings, today),
        as_of=as_of,
    )


def _prepare_lines(lines: pd.DataFrame) -> pd.DataFrame:
    lines = lines.reset_index(drop=True)
    out = pd.DataFrame(
        {
            "line_id": pd.to_numeric(lines["line_id"]).astype("int64"),
            "supplier_id": pd.to_numeric(lines["supplier_id"]).astype("int64"),
            "quantity": pd.to_numeric(lines["quantity"], errors="coerce").astype("float64"),
            "status": lines["status"].astype(str).str.lower().str.replace("linestatus.", "", regex=False)
            if "status" in lines.columns
            else LineStatus.OPEN.value,
        }
    )
    # Due on the promised date, else the need-by date (history.due_dates, tolerant of unreadable dates).
    promised = to_dates(lines["promised_date"]) if "promised_date" in lines.columns else None
    due = to_dates(lines["need_by_date"])
    if promised is not None:
        due = np.where(np.isnat(promised), due, promised)
    out["due_date"] = _days_col(due)
    return out.drop_duplicates("line_id").reset_index(drop=True)


def _prepare_receipts(receipts: pd.DataFrame, lines: pd.DataFrame, today: np.datetime64) -> pd.DataFrame:
    """Receipts of known lines with a known date on or before as_of (undated receipts fit no period)."""
    if receipts.empty:
        return pd.DataFrame(
            {
                "po_line_id": pd.Series(dtype="int64"),
                "received_date": pd.Series(dtype="datetime64[s]"),
                "quantity": pd.Series(dtype="float64"),
                "rejected_qty": pd.Series(dtype="float64"),
            }
        )
    day = to_dates(receipts["received_date"])
    out = pd.DataFrame(
        {
            "po_line_id": pd.to_numeric(receipts["po_line_id"]).astype("int64").to_numpy(),
            "received_date": _days_col(day),
            "quantity": pd.to_numeric(receipts["quantity"], errors="coerce")
            .fillna(0)
            .astype("float64")
            .to_numpy(),
            "rejected_qty": pd.to_numeric(receipts["rejected_qty"], errors="coerce")
            .fillna(0)
            .astype("float64")
            .to_numpy(),
        }
    )
    keep = ~np.isnat(day) & (day <= today) & out["po_line_id"].isin(lines["line_id"]).to_numpy()
    return out[keep].reset_index(drop=True)


def _receipt_rows(rec: pd.DataFrame, lines: pd.DataFrame, settings: Settings) -> pd.DataFrame:
    tolerance = np.timedelta64(int(settings.on_time_tolerance_days), "D")
    frame = rec.merge(
        lines[["line_id", "supplier_id", "due_date"]], left_on="po_line_id", right_on="line_id", how="inner"
    )
    received = frame["received_date"].to_numpy("datetime64[D]")
    due = frame["due_date"].to_numpy("datetime64[D]")
    counted = ~np.isnat(due)
    return pd.DataFrame(
        {
            "supplier_id": frame["supplier_id"].astype("int64"),
            "line_id": frame["line_id"].astype("int64"),
            "month": month_index(received),
            "received_date": frame["received_date"],
            "due_date": frame["due_date"],
            "quantity": frame["quantity"],
            "rejected_qty": frame["rejected_qty"],
            "otd_counted": counted,
            "on_time": counted & (received <= due + tolerance),
            "days_after_due": (frame["received_date"] - frame["due_date"]).dt.days.astype("float64"),
        }
    )


def _line_due_rows(
    rec: pd.DataFrame, lines: pd.DataFrame, settings: Settings, today: np.datetime64
) -> pd.DataFrame:
    tolerance = np.timedelta64(int(settings.on_time_tolerance_days), "D")
    live = lines[(lines["status"] != LineStatus.CANCELLED.value) & lines["due_date"].notna()].reset_index(
        drop=True
    )
    delivered = to_dates(
        delivery_dates(live[["line_id", "quantity"]], rec, settings.in_full_threshold).to_numpy()
    )
    good = (rec["quantity"] - rec["rejected_qty"]).groupby(rec["po_line_id"]).sum()
    due = live["due_date"].to_numpy("datetime64[D]")
    window_closed = due + tolerance < today
    has_delivery = ~np.isnat(delivered)
    judged = has_delivery | window_closed
    otif = has_delivery & (delivered <= due + tolerance)
    late = judged & ~otif
    days_late = np.where(
        has_delivery & late, (delivered - due).astype("timedelta64[D]").astype("float64"), np.nan
    )
    out = pd.DataFrame(
        {
            "supplier_id": live["supplier_id"],
            "line_id": live["line_id"],
            "month": month_index(due),
            "due_date": live["due_date"],
            "quantity": live["quantity"],
            "good_received": good.reindex(live["line_id"]).fillna(0).to_numpy(),
            "delivered_date": _days_col(delivered),
            "otif": otif,
            "late": late,
            "days_late": days_late,
        }
    )
    return out[judged].reset_index(drop=True)


def _posting_days(frame: pd.DataFrame) -> np.ndarray:
    """The day each row was posted (its created_at, as the caller gives it: reports in the supplier's
    local time); unknown (NaT) when the column is absent."""
    if "created_at" in frame.columns:
        return to_dates(frame["created_at"])
    return np.full(len(frame), np.datetime64("NaT", "D"))


def _schedule_revisions(schedules: pd.DataFrame, lines: pd.DataFrame, today: np.datetime64) -> pd.DataFrame:
    """Usable revisions of known lines, posted on or before as_of (unknown posting times kept)."""
    if schedules.empty:
        return pd.DataFrame(
            {
                "line_id": pd.Series(dtype="int64"),
                "revision": pd.Series(dtype="int64"),
                "start_date": pd.Series(dtype="datetime64[s]"),
                "daily_output": pd.Series(dtype="float64"),
                "estimated_end_date": pd.Series(dtype="datetime64[s]"),
                "posted": pd.Series(dtype="datetime64[s]"),
            }
        )
    posted = _posting_days(schedules)
    out = pd.DataFrame(
        {
            "line_id": pd.to_numeric(schedules["line_id"]).astype("int64").to_numpy(),
            "revision": pd.to_numeric(schedules["revision"]).astype("int64").to_numpy(),
            "start_date": _days_col(to_dates(schedules["start_date"])),
            "daily_output": pd.to_numeric(schedules["daily_output"], errors="coerce")
            .astype("float64")
            .to_numpy(),
            "estimated_end_date": _days_col(to_dates(schedules["estimated_end_date"])),
            "posted": _days_col(posted),
        }
    )
    keep = (np.isnat(posted) | (posted <= today)) & out["line_id"].isin(lines["line_id"]).to_numpy()
    return out[keep].sort_values(["line_id", "revision"], kind="stable").reset_index(drop=True)


def _prepare_reports(reports: pd.DataFrame, lines: pd.DataFrame, today: np.datetime64) -> pd.DataFrame:
    """Every report revision of known lines dated on or before as_of, with its posting date."""
    if reports.empty:
        return pd.DataFrame(
            {
                "line_id": pd.Series(dtype="int64"),
                "report_date": pd.Series(dtype="datetime64[s]"),
                "good_qty": pd.Series(dtype="float64"),
                "rejected_qty": pd.Series(dtype="float64"),
                "is_current": pd.Series(dtype="bool"),
                "posted": pd.Series(dtype="datetime64[s]"),
            }
        )
    day = to_dates(reports["report_date"])
    posted = _posting_days(reports)
    current = (
        reports["is_current"].astype(bool).to_numpy()
        if "is_current" in reports.columns
        else np.ones(len(reports), dtype=bool)
    )
    out = pd.DataFrame(
        {
            "line_id": pd.to_numeric(reports["line_id"]).astype("int64").to_numpy(),
            "report_date": _days_col(day),
            "good_qty": pd.to_numeric(reports["good_qty"], errors="coerce")
            .fillna(0)
            .astype("float64")
            .to_numpy(),
            "rejected_qty": pd.to_numeric(reports.get("rejected_qty", 0), errors="coerce")
            .fillna(0)
            .astype("float64")
            .to_numpy()
            if "rejected_qty" in reports.columns
            else 0.0,
            "is_current": current,
            "posted": _days_col(posted),
        }
    )
    keep = ~np.isnat(day) & (day <= today) & out["line_id"].isin(lines["line_id"]).to_numpy()
    return out[keep].reset_index(drop=True)


def _reported_day_rows(
    lines: pd.DataFrame,
    schedules: pd.DataFrame,
    reports: pd.DataFrame,
    calendars: CalendarSet,
    today: np.datetime64,
) -> pd.DataFrame:
    columns = [
        "supplier_id",
        "line_id",
        "month",
        "report_date",
        "good_qty",
        "planned",
        "credited",
        "revision",
    ]
    rep = _prepare_reports(reports, lines, today)
    rep = rep[rep["is_current"]]
    revs = _schedule_revisions(schedules, lines, today)
    revs = revs[revs["start_date"].notna() & (revs["daily_output"] > 0)].reset_index(drop=True)
    rep = rep[rep["line_id"].isin(revs["line_id"])].reset_index(drop=True)
    if rep.empty:
        return _empty(columns)
    plan_cols = ["revision", "start_date", "daily_output"]
    # The revision in force on a day: the latest posted on or before it...
    posted = revs[revs["posted"].notna()].sort_values("posted", kind="stable")
    left = rep.reset_index().sort_values("report_date", kind="stable")
    in_force = (
        pd.merge_asof(
            left,
            posted[["line_id", "posted", *plan_cols]],
            left_on="report_date",
            right_on="posted",
            by="line_id",
            direction="backward",
        )
        .set_index("index")
        .sort_index()
    )
    # ... else, before any revision was posted (or when posting times are unknown), the first one.
    first = revs.groupby("line_id", sort=False)[plan_cols].first()
    missing = in_force["revision"].isna().to_numpy()
    for col in plan_cols:
        fallback = first[col].reindex(in_force["line_id"]).to_numpy()
        in_force[col] = np.where(missing, fallback, in_force[col].to_numpy())
    frame = in_force.merge(lines[["line_id", "supplier_id", "quantity"]], on="line_id", how="inner")
    sids = frame["supplier_id"].to_numpy()
    day = frame["report_date"].to_numpy("datetime64[D]")
    start = pd.to_datetime(frame["start_date"]).to_numpy("datetime64[D]")
    rate = frame["daily_output"].astype("float64").to_numpy()
    quantity = frame["quantity"].to_numpy()
    working = calendars.is_working_day(day, sids)
    before = calendars.count(start, day, sids)  # working days of the plan before this one
    planned = np.minimum(quantity, rate * (before + 1)) - np.minimum(quantity, rate * before)
    planned = np.where(working & (day >= start), np.nan_to_num(planned), 0.0)
    good = frame["good_qty"].to_numpy()
    out = pd.DataFrame(
        {
            "supplier_id": frame["supplier_id"].astype("int64"),
            "line_id": frame["line_id"].astype("int64"),
            "month": month_index(day),
            "report_date": frame["report_date"],
            "good_qty": good,
            "planned": planned,
            "credited": np.minimum(good, planned),
            "revision": frame["revision"].astype("int64"),
        }
    )
    return out[out["planned"] > 0].reset_index(drop=True)


def _promise_rows(
    lines: pd.DataFrame, schedules: pd.DataFrame, calendars: CalendarSet, today: np.datetime64
) -> pd.DataFrame:
    columns = [
        "supplier_id",
        "line_id",
        "month",
        "original_end_date",
        "latest_end_date",
        "revisions",
        "moved_later",
        "slip_working_days",
    ]
    revs = _schedule_revisions(schedules, lines, today)
    revs = revs[revs["estimated_end_date"].notna()].reset_index(drop=True)
    if revs.empty:
        return _empty(columns)
    end = revs["estimated_end_date"]
    revs["later"] = (end > revs.groupby("line_id", sort=False)["estimated_end_date"].shift(1)).fillna(False)
    per_line = revs.groupby("line_id", sort=False).agg(
        original_end_date=("estimated_end_date", "first"),
        latest_end_date=("estimated_end_date", "last"),
        revisions=("revision", "size"),
        moved_later=("later", "any"),
    )
    per_line = per_line.reset_index().merge(lines[["line_id", "supplier_id"]], on="line_id", how="inner")
    original = per_line["original_end_date"].to_numpy("datetime64[D]")
    latest = per_line["latest_end_date"].to_numpy("datetime64[D]")
    slip = calendars.count(original, latest, per_line["supplier_id"].to_numpy())
    moved = per_line["moved_later"].astype(bool).to_numpy()
    out = pd.DataFrame(
        {
            "supplier_id": per_line["supplier_id"].astype("int64"),
            "line_id": per_line["line_id"].astype("int64"),
            "month": month_index(original),
            "original_end_date": per_line["original_end_date"],
            "latest_end_date": per_line["latest_end_date"],
            "revisions": per_line["revisions"].astype("int64"),
            "moved_later": moved,
            "slip_working_days": np.where(moved, np.maximum(np.nan_to_num(slip), 0.0), 0.0),
        }
    )
    return out[original <= today].reset_index(drop=True)


def _production_day_rows(
    lines: pd.DataFrame,
    reports: pd.DataFrame,
    calendars: CalendarSet,
    settings: Settings,
    today: np.datetime64,
) -> pd.DataFrame:
    columns = [
        "supplier_id",
        "line_id",
        "month",
        "first_day",
        "last_day",
        "working_days",
        "reported_on_time",
        "reported_late",
        "not_reported",
        "unknown_posting",
        "judged_days",
    ]
    rep = _prepare_reports(reports, lines, today)
    if rep.empty:
        return _empty(columns)
    # One row per line and day: the first time anything was posted for it, over every revision.
    days = (
        rep.groupby(["line_id", "report_date"], sort=False)
        .agg(posted=("posted", "min"))
        .reset_index()
        .merge(lines[["line_id", "supplier_id", "quantity", "status"]], on="line_id", how="inner")
    )
    current = rep[rep["is_current"]].sort_values(["line_id", "report_date"], kind="stable")
    cumulative = current.groupby("line_id", sort=False)["good_qty"].cumsum()
    need = (
        lines.set_index("line_id")["quantity"].reindex(current["line_id"]).to_numpy()
        * settings.in_full_threshold
    )
    completed = current.loc[cumulative.to_numpy() >= need - 1e-9].groupby("line_id")["report_date"].min()
    per_line = days.groupby("line_id", sort=False).agg(
        supplier_id=("supplier_id", "first"),
        status=("status", "first"),
        first_day=("report_date", "min"),
        last_report=("report_date", "max"),
    )
    sids = per_line["supplier_id"].to_numpy()
    # The last day that can be judged: its deadline (the next working day) ended before as_of.
    before_today = calendars.offset(
        np.full(len(per_line), today - _DAY), np.zeros(len(per_line)), sids, "backward"
    )
    last_judged = calendars.offset(before_today, np.full(len(per_line), -1), sids)
    done = to_dates(completed.reindex(per_line.index).to_numpy())
    producing = per_line["status"].isin(_PRODUCING).to_numpy()
    end = np.where(
        ~np.isnat(done), done, np.where(producing, last_judged, to_dates(per_line["last_report"].to_numpy()))
    )
    end = np.minimum(end, last_judged)
    start = to_dates(per_line["first_day"].to_numpy())
    ok = end >= start
    per_line = per_line[ok].assign(start=start[ok], end=end[ok])
    if per_line.empty:
        return _empty(columns)
    # Split each line's window into calendar months.
    first_month = month_index(per_line["start"].to_numpy())
    span = month_index(per_line["end"].to_numpy()) - first_month + 1
    rows = np.repeat(np.arange(len(per_line)), span)
    offset = np.arange(len(rows)) - np.repeat(np.cumsum(span) - span, span)
    month = first_month[rows] + offset
    win_start = np.maximum(per_line["start"].to_numpy()[rows], month_first_day(month))
    win_end = np.minimum(per_line["end"].to_numpy()[rows], month_last_day(month))
    month_sids = sids[ok][rows]
    working_days = calendars.count(win_start, win_end + _DAY, month_sids)
    windows = pd.DataFrame(
        {
            "supplier_id": month_sids.astype("int64"),
            "line_id": per_line.index.to_numpy()[rows].astype("int64"),
            "month": month.astype("int64"),
            "first_day": _days_col(win_start),
            "last_day": _days_col(win_end),
            "working_days": np.nan_to_num(working_days).astype("int64"),
        }
    )
    # Reported days inside the window, on working days, judged against the next working day.
    bounds = per_line[["start", "end"]].reindex(days["line_id"])
    day = days["report_date"].to_numpy("datetime64[D]")
    day_sids = days["supplier_id"].to_numpy()
    inside = (
        (day >= bounds["start"].to_numpy("datetime64[D]"))
        & (day <= bounds["end"].to_numpy("datetime64[D]"))
        & calendars.is_working_day(day, day_sids)
    )
    judged = days[inside].reset_index(drop=True)
    day = day[inside]
    deadline = calendars.offset(day, np.ones(len(day), dtype=np.int64), day_sids[inside])
    posted = judged["posted"].to_numpy("datetime64[D]")
    unknown = np.isnat(posted)
    on_time = ~unknown & (posted <= deadline)
    counts = (
        pd.DataFrame(
            {
                "line_id": judged["line_id"].astype("int64"),
                "month": month_index(day),
                "reported_on_time": on_time.astype("int64"),
                "reported_late": (~unknown & ~on_time).astype("int64"),
                "unknown_posting": unknown.astype("int64"),
            }
        )
        .groupby(["line_id", "month"])
        .sum()
    )
    out = windows.merge(counts, left_on=["line_id", "month"], right_index=True, how="left")
    for col in ("reported_on_time", "reported_late", "unknown_posting"):
        out[col] = out[col].fillna(0).astype("int64")
    out["not_reported"] = (
        out["working_days"] - out["reported_on_time"] - out["reported_late"] - out["unknown_posting"]
    )
    out["judged_days"] = out["working_days"] - out["unknown_posting"]
    return out.loc[out["working_days"] > 0, columns].reset_index(drop=True)


# ----------------------------------------------------------------------------- summaries


def _ratio(numerator: pd.Series, denominator: pd.Series) -> pd.Series:
    num = numerator.astype("float64")
    den = denominator.astype("float64")
    return (num / den.where(den > 0)).astype("float64")


def score_and_grade(frame: pd.DataFrame, settings: Settings) -> pd.DataFrame:
    """Add score (0-100, one decimal), grade (A-F or None) and score_note to rows with the metric rates."""
    weights = settings.weights()
    w = np.array([float(weights[m]) for m in SCORE_METRICS])
    values = frame[list(SCORE_METRICS)].to_numpy(dtype="float64")
    has = ~np.isnan(values)
    weight_with_data = has.astype("float64") @ w
    weighted = np.where(has, values, 0.0) @ w
    with np.errstate(divide="ignore", invalid="ignore"):
        raw = np.where(weight_with_data > 0, 100.0 * weighted / weight_with_data, np.nan)
    lines = frame["lines"].to_numpy(dtype="float64")
    enough = lines >= settings.min_lines_for_score
    score = np.where(enough, np.round(raw, 1), np.nan)
    grade = np.full(len(frame), None, dtype=object)
    for label, floor in reversed(GRADES):
        grade[score >= floor] = label
    grade[~np.isnan(score) & (score < GRADES[-1][1])] = "F"
    note = np.full(len(frame), "", dtype=object)
    note[np.isnan(raw) & enough] = "no data for the weighted metrics"
    short = (lines > 0) & ~enough
    note[short] = [
        f"{NOT_ENOUGH_DATA} ({int(n)} line{'s' if n != 1 else ''}, {settings.min_lines_for_score} needed)"
        for n in lines[short]
    ]
    note[lines <= 0] = NO_DATA
    out = frame.copy()
    out["score"] = score
    out["grade"] = grade
    out["score_note"] = note
    return out


def _rates(totals: pd.DataFrame, settings: Settings) -> pd.DataFrame:
    t = totals
    out = t.copy()
    out["otd"] = _ratio(t["otd_on_time"], t["otd_receipts"])
    out["otif"] = _ratio(t["otif_on_time"], t["otif_lines"])
    out["avg_days_late"] = _ratio(t["late_days"], t["late_lines"])
    out["schedule_adherence"] = _ratio(t["credited_qty"], t["planned_qty"])
    out["promise_reliability"] = _ratio(t["promises_kept"], t["promise_lines"])
    out["mean_slip_days"] = _ratio(t["slip_days"], t["slipped_lines"])
    reject_rate = _ratio(t["rejected_qty"], t["received_qty"])
    out["quality"] = 1.0 - reject_rate
    out["ppm"] = reject_rate * 1_000_000
    out["responsiveness"] = _ratio(t["reported_on_time"], t["production_days"])
    out["lines"] = t["lines"].astype("int64")
    return score_and_grade(out, settings)


def _supplier_index(events: ScorecardEvents, supplier_ids: Collection[int] | None) -> pd.Index:
    if supplier_ids is not None:
        return pd.Index(sorted({int(s) for s in supplier_ids}), dtype="int64", name="supplier_id")
    ids = events.monthly.index.get_level_values("supplier_id").unique()
    return pd.Index(sorted(int(s) for s in ids), dtype="int64", name="supplier_id")


def summarize(
    events: ScorecardEvents,
    settings: Settings,
    first_month: int,
    last_month: int,
    supplier_ids: Collection[int] | None = None,
    *,
    period: str | None = None,
) -> pd.DataFrame:
    """One row per supplier (each of ``supplier_ids``, with or without data) over months first..last."""
    index = _supplier_index(events, supplier_ids)
    monthly = events.monthly
    months = monthly.index.get_level_values("month")
    inside = monthly[(months >= first_month) & (months <= last_month)]
    totals = inside[list(TOTALS)].groupby(level="supplier_id").sum().reindex(index, fill_value=0.0)
    lm = events.line_months
    lm = lm[(lm["month"] >= first_month) & (lm["month"] <= last_month)]
    totals["lines"] = lm.groupby("supplier_id")["line_id"].nunique().reindex(index, fill_value=0).to_numpy()
    out = _rates(totals, settings).reset_index()
    if period is None:
        period = (
            month_label(first_month)
            if first_month == last_month
            else f"{month_label(first_month)}..{month_label(last_month)}"
        )
    out["period"] = period
    return out[SUMMARY_COLUMNS]


def by_month(
    events: ScorecardEvents,
    settings: Settings,
    first_month: int,
    last_month: int,
    supplier_ids: Collection[int] | None = None,
) -> pd.DataFrame:
    """One row per supplier and month first..last, with a month column ("no data" rows for empty months)."""
    index = _supplier_index(events, supplier_ids)
    grid = pd.MultiIndex.from_product(
        [index, pd.RangeIndex(first_month, last_month + 1, name="month")], names=["supplier_id", "month"]
    )
    totals = events.monthly.reindex(grid, fill_value=0.0)
    out = _rates(totals[list(TOTALS)].assign(lines=totals["lines"]), settings).reset_index()
    out["period"] = [month_label(m) for m in out["month"]]
    return out[[*SUMMARY_COLUMNS, "month"]]


def window_lines(
    line_months: pd.DataFrame, end_months: Sequence[int], window: int = ROLLING_MONTHS
) -> pd.Series:
    """Distinct lines per (supplier_id, end_month) over the ``window`` months ending each end month.

    Lines are the one number that does not add up month by month (a line counted in March and in
    April is one line over the year), so they are counted per window; everything else is summed.
    """
    parts = []
    for end in end_months:
        first, last = rolling_window(int(end), window)
        inside = line_months[(line_months["month"] >= first) & (line_months["month"] <= last)]
        counts = inside.groupby("supplier_id")["line_id"].nunique()
        parts.append(
            pd.DataFrame({"supplier_id": counts.index, "end_month": int(end), "lines": counts.values})
        )
    if not parts:
        return pd.Series(
            dtype="int64", index=pd.MultiIndex.from_tuples([], names=["supplier_id", "end_month"])
        )
    frame = pd.concat(parts, ignore_index=True).astype("int64")
    return frame.set_index(["supplier_id", "end_month"])["lines"]


def rolling_from_totals(
    monthly: pd.DataFrame,
    lines: pd.Series,
    settings: Settings,
    end_months: Sequence[int],
    supplier_ids: Collection[int],
    window: int = ROLLING_MONTHS,
) -> pd.DataFrame:
    """Rolling scorecards from monthly totals: one row per supplier and end month.

    ``monthly``: the additive TOTALS per (supplier_id, month) (``ScorecardEvents.monthly``, or
    a stored snapshot of it); ``lines``: distinct lines per (supplier_id, end_month) over each
    window (``window_lines``). Scores and grades use ``settings`` now, so new weights apply at once.
    """
    index = pd.Index(sorted({int(s) for s in supplier_ids}), dtype="int64", name="supplier_id")
    months = monthly.index.get_level_values("month")
    line_ends = lines.index.get_level_values("end_month")
    parts = []
    for end in end_months:
        first, last = rolling_window(int(end), window)
        inside = monthly[(months >= first) & (months <= last)]
        totals = inside[list(TOTALS)].groupby(level="supplier_id").sum().reindex(index, fill_value=0.0)
        in_window = lines[line_ends == int(end)].droplevel("end_month")
        totals["lines"] = in_window.reindex(index, fill_value=0).to_numpy()
        totals["end_month"] = int(end)
        parts.append(totals)
    if not parts:
        return pd.DataFrame(columns=[*SUMMARY_COLUMNS, "end_month"])
    # One rates-and-score pass over every window at once: per-call pandas overhead, not arithmetic,
    # was most of a supplier's scorecard (13 windows for its trend).
    frame = _rates(pd.concat(parts), settings).reset_index()
    frame["period"] = ROLLING_LABEL
    out = frame[SUMMARY_COLUMNS].copy()
    out["end_month"] = frame["end_month"].astype("int64").to_numpy()
    return out.reset_index(drop=True)


def rolling(
    events: ScorecardEvents,
    settings: Settings,
    end_months: Sequence[int],
    supplier_ids: Collection[int] | None = None,
    window: int = ROLLING_MONTHS,
) -> pd.DataFrame:
    """The ``window`` months ending with each of ``end_months``: one row per supplier and end month."""
    index = _supplier_index(events, supplier_ids)
    lines = window_lines(events.line_months, end_months, window)
    return rolling_from_totals(events.monthly, lines, settings, end_months, index, window)


def totals_snapshot(events: ScorecardEvents, window: int = ROLLING_MONTHS) -> pd.DataFrame:
    """What a stored snapshot keeps: per (supplier_id, month) the TOTALS and the window's lines.

    One row for every month with data and for each month whose rolling window holds data (the
    ``window - 1`` months after the last month with data), so any rolling period ending up to
    then reads back exactly as ``rolling`` computes it live.
    """
    monthly = events.monthly
    columns = ["supplier_id", "month", *TOTALS, "window_lines"]
    if monthly.empty:
        return pd.DataFrame({c: pd.Series(dtype="float64") for c in columns})
    months = monthly.index.get_level_values("month")
    first, last = int(months.min()), int(months.max()) + window - 1
    ends = list(range(first, last + 1))
    lines = window_lines(events.line_months, ends, window).rename("window_lines")
    keys = monthly.index.union(lines.index.rename(["supplier_id", "month"]))
    out = monthly[list(TOTALS)].reindex(keys, fill_value=0.0)
    out["window_lines"] = lines.rename_axis(["supplier_id", "month"]).reindex(keys, fill_value=0).to_numpy()
    return out.reset_index()[columns]


def trend(current: pd.Series | np.ndarray, previous: pd.Series | np.ndarray) -> np.ndarray:
    """▲ / ▼ when the score moved by TREND_STEP points or more, ▶ when less, '' when either is unscored."""
    cur = np.asarray(current, dtype="float64")
    prev = np.asarray(previous, dtype="float64")
    delta = cur - prev
    out = np.full(cur.shape, "", dtype=object)
    known = ~np.isnan(delta)
    out[known] = TREND_FLAT
    out[known & (delta >= TREND_STEP)] = TREND_UP
    out[known & (delta <= -TREND_STEP)] = TREND_DOWN
    return out


# ----------------------------------------------------------------------------- drill-down

#: What a drill-down lists for each number, and from which event table.
DRILL_SOURCES: dict[str, str] = {
    "otd": "receipts",
    "otif": "lines_due",
    "avg_days_late": "lines_due",
    "schedule_adherence": "reported_days",
    "promise_reliability": "promises",
    "mean_slip_days": "promises",
    "quality": "receipts",
    "ppm": "receipts",
    "responsiveness": "production_days",
}


def drill_down(
    events: ScorecardEvents, metric: str, supplier_id: int, first_month: int, last_month: int
) -> pd.DataFrame:
    """The receipts, lines or days behind one supplier's number over months first..last."""
    # Average days late lists only the late lines, mean slip only the slipped estimates.
    if metric == "lines":
        return _lines_behind(events, supplier_id, first_month, last_month)
    if metric not in DRILL_SOURCES:
        raise ValidationError(f"Unknown scorecard metric '{metric}'")
    frame = getattr(events, DRILL_SOURCES[metric])
    if frame.empty:
        return frame.copy()
    rows = frame[(frame["supplier_id"] == supplier_id) & frame["month"].between(first_month, last_month)]
    if metric == "avg_days_late":
        rows = rows[rows["late"].astype(bool) & rows["days_late"].notna()]
    elif metric == "mean_slip_days":
        rows = rows[rows["moved_later"].astype(bool)]
    rows = rows.copy()
    rows["period"] = [month_label(m) for m in rows["month"]]
    return rows.reset_index(drop=True)


#: The event tables a line can be counted in, in the order the metrics are listed.
LINE_SOURCES: tuple[str, ...] = ("receipts", "lines_due", "reported_days", "promises", "production_days")


def _lines_behind(
    events: ScorecardEvents, supplier_id: int, first_month: int, last_month: int
) -> pd.DataFrame:
    """The lines counted in each month: line_id, month, period and, per event table, whether it counts it."""
    lm = events.line_months
    lm = lm[(lm["supplier_id"] == supplier_id) & lm["month"].between(first_month, last_month)]
    out = lm[["line_id", "month"]].sort_values(["month", "line_id"]).reset_index(drop=True)
    key = pd.MultiIndex.from_frame(out[["line_id", "month"]])
    for name in LINE_SOURCES:
        frame = getattr(events, name)
        if frame.empty:
            out[name] = False
            continue
        mine = frame[frame["supplier_id"] == supplier_id]
        out[name] = key.isin(pd.MultiIndex.from_frame(mine[["line_id", "month"]].astype("int64")))
    out["period"] = [month_label(m) for m in out["month"]]
    return out


def score_breakdown(row: pd.Series | dict, settings: Settings) -> pd.DataFrame:
    """Per weighted metric: value, admin weight, renormalized weight and points (value x weight x 100)."""
    weights = settings.weights()
    values = np.array([float(row[m]) if row[m] is not None else np.nan for m in SCORE_METRICS])
    w = np.array([float(weights[m]) for m in SCORE_METRICS])
    has = ~np.isnan(values)
    total = float(w[has].sum())
    effective = np.where(has, w / total, 0.0) if total > 0 else np.zeros(len(w))
    return pd.DataFrame(
        {
            "metric": list(SCORE_METRICS),
            "value": values,
            "weight": w,
            "effective_weight": effective,
            "points": np.where(has, np.nan_to_num(values) * effective * 100.0, np.nan),
        }
    )


def basis(row: pd.Series | dict) -> dict[str, str]:
    """For each number of a summary row, what it was computed from, in words ("45 of 50 receipts on time")."""

    def n(value: object, noun: str = "") -> str:
        count = float(value)  # type: ignore[arg-type]
        text = f"{count:,.0f}"
        if not noun:
            return text
        return f"{text} {noun}" if count == 1 else f"{text} {noun}s"

    late = float(row["late_lines"])
    none = {
        "otd": ("otd_receipts", "no receipts in this period"),
        "otif": ("otif_lines", "no lines due in this period"),
        "avg_days_late": ("otif_lines", "no lines due in this period"),
        "schedule_adherence": ("planned_qty", "no planned output in this period"),
        "promise_reliability": ("promise_lines", "no estimates to keep in this period"),
        "quality": ("received_qty", "no receipts in this period"),
        "responsiveness": ("production_days", "no production days in this period"),
    }
    texts = {
        "otd": f"{n(row['otd_on_time'])} of {n(row['otd_receipts'], 'receipt')} on time",
        "otif": f"{n(row['otif_on_time'])} of {n(row['otif_lines'], 'line')} due delivered in full on time",
        "avg_days_late": f"{n(row['late_days'], 'day')} late over {n(late, 'late line')}"
        if late
        else f"none of {n(row['otif_lines'], 'line')} due delivered late",
        "schedule_adherence": f"{n(row['credited_qty'])} of {n(row['planned_qty'], 'planned unit')} "
        "made on plan",
        "promise_reliability": f"{n(row['promises_kept'])} of {n(row['promise_lines'], 'estimate')} "
        "never moved later",
        "quality": f"{n(row['rejected_qty'])} rejected of {n(row['received_qty'], 'unit')} received",
        "responsiveness": f"{n(row['reported_on_time'])} of {n(row['production_days'], 'production day')} "
        "reported in time",
    }
    # Never "0 of 0": a number with nothing to count says so.
    for metric, (denominator, text) in none.items():
        if not float(row[denominator] or 0):
            texts[metric] = text
    return texts
