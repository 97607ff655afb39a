"""Step 1: the rows behind every scorecard number, one table per metric (see the package docstring)."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from functools import cached_property

import numpy as np
import pandas as pd

from portal.core.calendar import CalendarSet
from portal.core.domain import LineStatus
from portal.core.history import delivery_dates
from portal.core.scorecard.definitions import TOTALS
from portal.core.scorecard.inputs import (
    _days_col,
    _empty,
    _prepare_lines,
    _prepare_receipts,
    _prepare_reports,
    _schedule_revisions,
)
from portal.core.scorecard.months import _DAY, month_first_day, month_index, month_last_day, to_dates
from portal.core.settings import Settings

#: Lines still being made: their in-production days run to as_of.
_PRODUCING = frozenset({LineStatus.OPEN.value, LineStatus.IN_PRODUCTION.value})

#: The key of every event row of a line in a month: the first columns of the day and promise rows.
_LINE_MONTH = ["supplier_id", "line_id", "month"]


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


def _reported_day_rows(
    lines: pd.DataFrame,
    schedules: pd.DataFrame,
    reports: pd.DataFrame,
    calendars: CalendarSet,
    today: np.datetime64,
) -> pd.DataFrame:
    columns = [
        *_LINE_MONTH,
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
        *_LINE_MONTH,
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
        *_LINE_MONTH,
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
