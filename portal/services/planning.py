"""The planning engine's service: load inputs, run the pure core, store forecasts, promises and alerts.

Two entry points share one pipeline:

* :func:`sweep` recomputes everything as of a date (the command line, cron, the admin page);
* :func:`recompute_affected` runs inside a write service's transaction after a supplier's
  schedule or report, or an import, for just the lines touched, the promises of their
  items and the alerts of both, so nobody looks at a stale forecast.

Every input is read with one query per table (never one per line), and every result is
written in bulk.

On PostgreSQL a sweep and the write services that recompute keep apart with one advisory lock,
held to the end of the transaction: shared by writes (:func:`share_planning_lock`, many at once),
exclusive by a sweep (see :func:`exclusive_planning_lock` for why this design).
"""

from __future__ import annotations

import datetime as dt
import time
from collections.abc import Collection, Iterable
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd
from sqlalchemy import Select, case, delete, func, select, text, true, update
from sqlalchemy.exc import OperationalError
from sqlalchemy.orm import Session

from db.bulk import bulk_insert, bulk_update
from db.engine import Database
from db.frames import read_frame
from db.models import (
    Alert,
    Backorder,
    BackorderAllocation,
    Item,
    LineForecast,
    PoLine,
    ProductionReport,
    ProductionSchedule,
    Receipt,
    Supplier,
    SupplierDailyOutput,
    SupplierStats,
    utcnow,
)
from portal.core import alerts as alert_rules
from portal.core import buffers as buffer_rules
from portal.core import calibration, history
from portal.core import promise as promise_rules
from portal.core.calendar import CalendarSet, to_date
from portal.core.domain import (
    EVENT_RULES,
    OPEN_LINE_STATUSES,
    AlertStatus,
    BackorderStatus,
    ConflictError,
    LineStatus,
    Role,
)
from portal.core.forecast import forecast_lines
from portal.core.settings import Settings
from portal.core.timezones import supplier_today
from portal.services import audit
from portal.services.access import Actor, service
from portal.services.calendars import load_calendars
from portal.services.locks import LOCK_NOT_AVAILABLE, advisory_key
from portal.services.settings import load_settings
from portal.services.summaries import report_stats_for, verify_daily_outputs

CHUNK = 5000
#: The advisory lock a sweep holds exclusive and the writes that recompute hold shared.
PLANNING_LOCK = "planning"
#: How long a write waits for a running sweep (scale L sweeps in about 15 s) before giving up.
PLANNING_LOCK_WAIT_SECONDS = 120.0


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


class _Timer:
    def __init__(self, result: SweepResult) -> None:
        self.result = result
        self.last = time.perf_counter()

    def mark(self, step: str) -> None:
        now = time.perf_counter()
        self.result.timings[step] = round(now - self.last, 4)
        self.last = now


# ------------------------------------------------------------------------- reading


def _frame(session: Session, stmt: Select[Any], columns: list[str]) -> pd.DataFrame:
    # Raw driver rows: dates as ISO text (SQLite) or date objects (PostgreSQL), enums as their
    # values; every loader converts its date columns with pd.to_datetime.
    return read_frame(session, stmt, columns)


def _chunked(values: Collection[int]) -> Iterable[list[int]]:
    ordered = sorted(int(v) for v in values)
    for i in range(0, len(ordered), CHUNK):
        yield ordered[i : i + CHUNK]


def _by_ids(session: Session, stmt: Select[Any], column: Any, ids: Collection[int] | None, cols: list[str]):
    """Run ``stmt`` for all rows (ids None) or for ``ids`` in chunks; one frame."""
    if ids is None:
        return _frame(session, stmt, cols)
    frames = [_frame(session, stmt.where(column.in_(chunk)), cols) for chunk in _chunked(ids)]
    return pd.concat(frames, ignore_index=True) if frames else pd.DataFrame(columns=cols)


LINE_COLS = [
    "line_id",
    "po_number",
    "line",
    "supplier_id",
    "supplier_code",
    "item_id",
    "quantity",
    "status",
    "order_date",
    "need_by_date",
    "promised_date",
    "transit_days",
]


def load_open_lines(
    session: Session,
    line_ids: Collection[int] | None = None,
    *,
    supplier_ids: Collection[int] | None = None,
    item_ids: Collection[int] | None = None,
    as_of: dt.date | None = None,
    in_full: float = 0.98,
) -> pd.DataFrame:
    """Open lines (optionally only these ids / suppliers / items) with effective transit days.

    With ``as_of``: the lines open on that day. A line ordered later did not exist yet, and a
    line received in full only after it (by ``in_full``, the admin's threshold) was still open.
    """
    stmt = select(
        PoLine.id,
        PoLine.po_number,
        PoLine.line,
        PoLine.supplier_id,
        Supplier.code,
        PoLine.item_id,
        PoLine.quantity,
        PoLine.status,
        PoLine.order_date,
        PoLine.need_by_date,
        PoLine.promised_date,
        func.coalesce(PoLine.transit_days, Supplier.transit_days),
    ).join(Supplier, Supplier.id == PoLine.supplier_id)
    # Imports refuse receipts dated in the future, so only a past-dated sweep can find lines
    # received after its day: the hot path (a post, as of today) keeps the plain filter.
    past = as_of is not None and as_of < dt.date.today()
    if past:
        received_later = select(Receipt.po_line_id).where(Receipt.received_date > as_of)
        stmt = stmt.where(
            PoLine.status.in_(OPEN_LINE_STATUSES)
            | ((PoLine.status == LineStatus.RECEIVED) & PoLine.id.in_(received_later)),
            PoLine.order_date.is_(None) | (PoLine.order_date <= as_of),
        )
    else:
        stmt = stmt.where(PoLine.status.in_(OPEN_LINE_STATUSES))
    if supplier_ids is not None:
        frame = _by_ids(session, stmt, PoLine.supplier_id, supplier_ids, LINE_COLS)
    elif item_ids is not None:
        frame = _by_ids(session, stmt, PoLine.item_id, item_ids, LINE_COLS)
    else:
        frame = _by_ids(session, stmt, PoLine.id, line_ids, LINE_COLS)
    frame["label"] = frame["po_number"].astype(str) + "/" + frame["line"].astype(str)
    frame["status"] = frame["status"].astype(str).str.replace("LineStatus.", "", regex=False).str.lower()
    for col in ("order_date", "need_by_date", "promised_date"):
        frame[col] = pd.to_datetime(frame[col])
    frame["transit_days"] = frame["transit_days"].fillna(0).astype("int64")
    if past:
        frame = _as_open_on(session, frame, as_of, in_full)
    return frame


def _as_open_on(session: Session, frame: pd.DataFrame, as_of: dt.date, in_full: float) -> pd.DataFrame:
    """Keep the received lines that were still open on ``as_of``, with the status they had then."""
    received = frame["status"] == LineStatus.RECEIVED.value
    if not received.any():
        return frame
    ids = frame.loc[received, "line_id"].astype(int).tolist()
    receipts = load_receipts(session, ids, as_of)
    delivered = history.delivery_dates(frame.loc[received, ["line_id", "quantity"]], receipts, in_full)
    delivered_ids = set(delivered[delivered.notna()].index.astype(int))
    reported = set(load_reports(session, ids, as_of)["line_id"].astype(int))
    frame = frame[~frame["line_id"].isin(delivered_ids)].copy()
    was = frame["status"] == LineStatus.RECEIVED.value
    frame.loc[was, "status"] = np.where(
        frame.loc[was, "line_id"].astype(int).isin(reported),
        LineStatus.IN_PRODUCTION.value,
        LineStatus.OPEN.value,
    )
    return frame.reset_index(drop=True)


def load_schedules(session: Session, line_ids: Collection[int]) -> pd.DataFrame:
    """Current schedule per line with the end date of the revision before it."""
    cols = ["line_id", "schedule_revision", "start_date", "daily_output", "estimated_end_date"]
    stmt = select(
        ProductionSchedule.po_line_id,
        ProductionSchedule.revision,
        ProductionSchedule.start_date,
        ProductionSchedule.daily_output,
        ProductionSchedule.estimated_end_date,
    )
    frame = _by_ids(session, stmt, ProductionSchedule.po_line_id, line_ids, cols)
    out_cols = [*cols, "previous_estimated_end_date"]
    if frame.empty:
        return pd.DataFrame(columns=out_cols)
    frame = frame.sort_values(["line_id", "schedule_revision"])
    frame["previous_estimated_end_date"] = frame.groupby("line_id")["estimated_end_date"].shift(1)
    current = frame.groupby("line_id").tail(1)
    for col in ("start_date", "estimated_end_date", "previous_estimated_end_date"):
        current[col] = pd.to_datetime(current[col])
    return current[out_cols].reset_index(drop=True)


def load_reports(
    session: Session, line_ids: Collection[int] | None, as_of: dt.date | None = None
) -> pd.DataFrame:
    """Current reports (one per line and day) of these lines."""
    cols = ["line_id", "report_date", "good_qty", "rejected_qty"]
    stmt = select(
        ProductionReport.po_line_id,
        ProductionReport.report_date,
        ProductionReport.good_qty,
        ProductionReport.rejected_qty,
    ).where(ProductionReport.is_current)
    if as_of is not None:
        stmt = stmt.where(ProductionReport.report_date <= as_of)
    frame = _by_ids(session, stmt, ProductionReport.po_line_id, line_ids, cols)
    frame["report_date"] = pd.to_datetime(frame["report_date"])
    return frame


def load_receipts(
    session: Session, line_ids: Collection[int] | None = None, as_of: dt.date | None = None
) -> pd.DataFrame:
    """Receipts of these lines (all when None), only those dated on or before ``as_of`` if given."""
    cols = ["po_line_id", "received_date", "quantity", "rejected_qty"]
    stmt = select(Receipt.po_line_id, Receipt.received_date, Receipt.quantity, Receipt.rejected_qty)
    if as_of is not None:
        stmt = stmt.where(Receipt.received_date <= as_of)
    frame = _by_ids(session, stmt, Receipt.po_line_id, line_ids, cols)
    frame["received_date"] = pd.to_datetime(frame["received_date"])
    return frame


def load_history_lines(session: Session, as_of: dt.date | None = None) -> pd.DataFrame:
    """Every line with a receipt (dated on or before ``as_of`` if given): the delivery history
    the engine learns from."""
    cols = ["line_id", "supplier_id", "item_id", "quantity", "order_date", "need_by_date", "promised_date"]
    has_receipt = select(Receipt.po_line_id).distinct()
    if as_of is not None:
        has_receipt = has_receipt.where(Receipt.received_date <= as_of)
    stmt = select(
        PoLine.id,
        PoLine.supplier_id,
        PoLine.item_id,
        PoLine.quantity,
        PoLine.order_date,
        PoLine.need_by_date,
        PoLine.promised_date,
    ).where(PoLine.id.in_(has_receipt))
    return _frame(session, stmt, cols)


STATS_COLUMNS = [
    "supplier_id",
    "buffer_days",
    "deliveries",
    "median_lead_time_days",
    "observed_capacity_p90",
    *calibration.CALIBRATION_COLUMNS,
]


def load_supplier_stats(session: Session) -> pd.DataFrame:
    stmt = select(*(getattr(SupplierStats, c) for c in STATS_COLUMNS))
    return _frame(session, stmt, STATS_COLUMNS)


def load_forecast_record(session: Session, as_of: dt.date | None = None) -> pd.DataFrame:
    """Per line with a report (dated on or before ``as_of`` if given): its first schedule's
    start and daily output, its first day with good output, reported days and good output."""
    reports = (
        select(
            ProductionReport.po_line_id.label("line_id"),
            func.min(case((ProductionReport.good_qty > 0, ProductionReport.report_date))).label("first"),
            func.count().label("days"),
            func.sum(ProductionReport.good_qty).label("good"),
        )
        .where(ProductionReport.is_current)
        .where(ProductionReport.report_date <= as_of if as_of is not None else true())
        .group_by(ProductionReport.po_line_id)
        .subquery()
    )
    first_revision = (
        select(ProductionSchedule.po_line_id, func.min(ProductionSchedule.revision).label("revision"))
        .group_by(ProductionSchedule.po_line_id)
        .subquery()
    )
    stmt = (
        select(
            reports.c.line_id,
            PoLine.supplier_id,
            ProductionSchedule.start_date,
            ProductionSchedule.daily_output,
            reports.c.first,
            reports.c.days,
            reports.c.good,
        )
        .join(PoLine, PoLine.id == reports.c.line_id)
        .join(first_revision, first_revision.c.po_line_id == reports.c.line_id)
        .join(
            ProductionSchedule,
            (ProductionSchedule.po_line_id == reports.c.line_id)
            & (ProductionSchedule.revision == first_revision.c.revision),
        )
    )
    frame = _frame(session, stmt, list(calibration.RECORD_INPUT_COLUMNS))
    for col in ("planned_start", "first_output_date"):
        frame[col] = pd.to_datetime(frame[col])
    return frame


def load_stored_forecasts(session: Session, line_ids: Collection[int]) -> pd.DataFrame:
    cols = ["line_id", "remaining", "arrival_p90", "completion_p90"]
    stmt = select(
        LineForecast.po_line_id, LineForecast.remaining, LineForecast.arrival_p90, LineForecast.completion_p90
    )
    frame = _by_ids(session, stmt, LineForecast.po_line_id, line_ids, cols)
    for col in ("arrival_p90", "completion_p90"):
        frame[col] = pd.to_datetime(frame[col])
    return frame


# ------------------------------------------------------------------------- steps


def supplier_statistics(
    session: Session, settings: Settings, as_of: dt.date | None = None, *, from_reports: bool = False
) -> pd.DataFrame:
    """Learn each supplier's buffer, median lead time and observed capacity from its history:
    only receipts and reports dated on or before ``as_of`` when given, so a past-dated sweep
    never learns from what happened after its day. Daily output comes from the suppliers' daily
    totals, or (``from_reports``, when those were found wrong) from the reports themselves."""
    lines = load_history_lines(session, as_of)
    receipts = load_receipts(session, None if not lines.empty else [], as_of)
    delivered = history.delivered_history(lines, receipts, settings.in_full_threshold)
    buffers = buffer_rules.supplier_buffers(
        delivered[["supplier_id", "due_date", "delivered_date", "order_date", "quantity", "item_id"]],
        quantile=settings.buffer_quantile,
        min_history=settings.buffer_min_history,
    )
    lead = history.median_lead_times(delivered)
    suppliers = _frame(session, select(Supplier.id), ["supplier_id"])
    # Observed capacity: the chosen percentile of each supplier's total good output per day.
    if from_reports:
        daily = _frame(
            session,
            select(PoLine.supplier_id, ProductionReport.report_date, func.sum(ProductionReport.good_qty))
            .join(PoLine, PoLine.id == ProductionReport.po_line_id)
            .where(ProductionReport.is_current)
            .where(ProductionReport.report_date <= as_of if as_of is not None else true())
            .group_by(PoLine.supplier_id, ProductionReport.report_date),
            ["supplier_id", "report_date", "good_qty"],
        )
    else:
        # Kept with every report (portal.services.summaries.add_daily_output): no pass over the reports.
        daily = _frame(
            session,
            select(
                SupplierDailyOutput.supplier_id, SupplierDailyOutput.report_date, SupplierDailyOutput.good_qty
            ).where(SupplierDailyOutput.report_date <= as_of if as_of is not None else true()),
            ["supplier_id", "report_date", "good_qty"],
        )
    capacity = history.observed_capacity(daily, settings.capacity_percentile)
    # Keys as nullable ints on every side: an empty history gives object-typed frames.
    suppliers["supplier_id"] = suppliers["supplier_id"].astype("Int64")
    own = buffers[buffers["supplier_id"].notna()].astype({"supplier_id": "Int64"})
    lead = lead.astype({"supplier_id": "Int64"})
    stats = suppliers.merge(own, on="supplier_id", how="left").merge(lead, on="supplier_id", how="left")
    stats["observed_capacity_p90"] = capacity.reindex(stats["supplier_id"]).to_numpy()
    fallback = int(buffer_rules.buffer_for(buffers, np.array([-1]))[0]) if len(buffers) else 0
    stats["buffer_days"] = stats["buffer_days"].fillna(fallback).astype("int64")
    stats["deliveries"] = stats["deliveries"].fillna(0).astype("int64")
    # Forecast calibration: each supplier's start delays and duration ratios known on as_of.
    record = load_forecast_record(session, as_of)
    calendars = load_calendars(session, set(record["supplier_id"].astype(int)))
    records = calibration.line_records(record, calendars, settings.forecast_min_reported_days)
    learned = calibration.supplier_calibration(records, stats["supplier_id"].astype("int64"))
    return stats.merge(learned.astype({"supplier_id": "Int64"}), on="supplier_id", how="left")


def store_supplier_stats(session: Session, stats: pd.DataFrame) -> None:
    session.execute(delete(SupplierStats))
    frame = stats[STATS_COLUMNS].astype(
        {
            "supplier_id": "int64",
            "buffer_days": "int64",
            "deliveries": "int64",
            "median_lead_time_days": "float64",
            "observed_capacity_p90": "float64",
            "forecast_records": "int64",
            **dict.fromkeys(calibration.CALIBRATION_COLUMNS[1:], "float64"),
        }
    )
    bulk_insert(session, SupplierStats.__tablename__, frame.assign(computed_at=utcnow()))


def _py_date(value: Any) -> dt.date | None:
    return to_date(value)


def _dates(series: pd.Series) -> pd.Series:
    """A datetime64 column as ``datetime.date`` objects (None where NaT), for DATE columns."""
    values = pd.to_datetime(series)
    return pd.Series([None if pd.isna(v) else v for v in values.dt.date], dtype=object, index=series.index)


def _py_int(value: Any) -> int | None:
    return None if pd.isna(value) else int(value)


def store_forecasts(
    session: Session, forecast: pd.DataFrame, as_of: dt.date, line_ids: Collection[int] | None
) -> None:
    """Replace the stored forecasts of these lines (all when ``line_ids`` is None)."""
    if line_ids is None:
        session.execute(delete(LineForecast))
    else:
        for chunk in _chunked(line_ids):
            session.execute(delete(LineForecast).where(LineForecast.po_line_id.in_(chunk)))
    if forecast.empty:
        return
    f = forecast
    rows = pd.DataFrame(
        {
            "po_line_id": f["line_id"].astype("int64").to_numpy(),
            "as_of": as_of,
            "produced": f["produced"].astype("int64").to_numpy(),
            "remaining": f["remaining"].astype("int64").to_numpy(),
            "rate": f["rate"].astype("float64").to_numpy(),
            "rate_source": f["rate_source"].astype(str).to_numpy(),
            **{c: _dates(f[c]) for c in ("completion_p50", "completion_p90", "arrival_p50", "arrival_p90")},
            "days_late_p50": f["days_late_p50"].astype("Float64").astype("Int64").array,
            "days_late_p90": f["days_late_p90"].astype("Float64").astype("Int64").array,
            "computed_at": utcnow(),
        }
    )
    bulk_insert(session, LineForecast.__tablename__, rows)


def _forecast(
    session: Session,
    lines: pd.DataFrame,
    calendars: CalendarSet,
    as_of: dt.date,
    settings: Settings,
    stats: pd.DataFrame | None = None,
    *,
    verify: bool = False,
    result: SweepResult | None = None,
) -> pd.DataFrame:
    """Lines joined with their current schedule and forecast: the frame alert rules read."""
    ids = lines["line_id"].tolist()
    schedules = load_schedules(session, ids if len(ids) < 50_000 else None)
    lines = lines.merge(schedules, on="line_id", how="left")
    # The lines' report statistics come from their production summaries, not the reports.
    report_stats, inconsistent = report_stats_for(
        session, lines, as_of, settings, full=len(ids) >= 50_000, verify=verify
    )
    if result is not None:
        result.inconsistent = inconsistent
    # The sweep and every recompute calibrate; no supplier stats (the reference test) keeps the plain
    # rule. The calibration reads each line's own days (ramp-up, outages, skipped days), so it still
    # needs the raw reports: folding those into the summaries is the next step for the sweep's speed.
    learned = (
        None if stats is None else stats.reindex(columns=["supplier_id", *calibration.CALIBRATION_COLUMNS])
    )
    reports = None
    if learned is not None:
        reports = load_reports(session, ids if len(ids) < 50_000 else None, as_of)
        if len(ids) >= 50_000:
            reports = reports[reports["line_id"].isin(ids)]
    forecast = forecast_lines(
        lines, reports, calendars, as_of, settings, stats=report_stats, calibration=learned
    )
    return lines.merge(forecast, on="line_id", how="left")


def _promises(
    session: Session,
    as_of: dt.date,
    settings: Settings,
    item_ids: Collection[int] | None,
    fresh: pd.DataFrame,
    stats: pd.DataFrame,
) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame]:
    """Allocate supply to the waiting backorders of these items (all when None)."""
    bo_cols = [
        "backorder_id",
        "order_ref",
        "item_id",
        "sku",
        "quantity",
        "priority",
        "order_date",
        "communicated_date",
        "previous_promise_date",
    ]
    stmt = (
        select(
            Backorder.id,
            Backorder.order_ref,
            Backorder.item_id,
            Item.sku,
            Backorder.quantity,
            Backorder.priority,
            Backorder.order_date,
            Backorder.communicated_date,
            Backorder.promise_date,
        )
        .join(Item, Item.id == Backorder.item_id)
        .where(Backorder.status == BackorderStatus.WAITING)
    )
    if as_of < dt.date.today():
        stmt = stmt.where(Backorder.order_date <= as_of)  # a past-dated sweep: not yet ordered then
    demand = _by_ids(session, stmt, Backorder.item_id, item_ids, bo_cols)
    for col in ("order_date", "communicated_date", "previous_promise_date"):
        demand[col] = pd.to_datetime(demand[col])
    if demand.empty:
        empty = pd.DataFrame(columns=["backorder_id", "promise_date", "status", "reason"])
        return (
            demand,
            empty,
            pd.DataFrame(columns=["backorder_id", "po_line_id", "quantity", "available_date"]),
        )
    items_in_play = sorted(set(demand["item_id"].astype(int)))
    on_hand = _by_ids(session, select(Item.id, Item.on_hand), Item.id, items_in_play, ["item_id", "on_hand"])
    # Supply lines: open lines of these items, with the freshest forecast we have.
    supply_lines = load_open_lines(
        session, item_ids=items_in_play, as_of=as_of, in_full=settings.in_full_threshold
    )
    stored = load_stored_forecasts(session, supply_lines["line_id"].tolist())
    arrival = stored.set_index("line_id")["arrival_p90"]
    if not fresh.empty:
        arrival = pd.concat(
            [arrival[~arrival.index.isin(fresh["line_id"])], fresh.set_index("line_id")["arrival_p90"]]
        )
    supply_lines["arrival_p90"] = pd.to_datetime(arrival.reindex(supply_lines["line_id"]).to_numpy())
    receipts = load_receipts(session, supply_lines["line_id"].tolist(), as_of)
    supply_lines["outstanding_qty"] = history.outstanding_quantities(supply_lines, receipts).to_numpy()
    supply_lines["due_date"] = history.due_dates(supply_lines).to_numpy()
    supply = promise_rules.build_supply(
        on_hand,
        supply_lines.rename(columns={"line_id": "po_line_id"})[
            [
                *("po_line_id", "item_id", "supplier_id", "outstanding_qty", "arrival_p90", "due_date"),
                *("label", "supplier_code"),  # for the promise reasons
            ]
        ],
        stats[["supplier_id", "buffer_days"]],
        as_of,
    )
    promises, allocations = promise_rules.allocate(
        supply,
        demand[["backorder_id", "item_id", "quantity", "priority", "order_date", "order_ref"]],
        settings.safety_buffer_days,
    )
    return demand, promises, allocations


def store_promises(
    session: Session, demand: pd.DataFrame, promises: pd.DataFrame, allocations: pd.DataFrame
) -> None:
    """Write promise dates and statuses, and replace the allocations of these backorders."""
    if demand.empty:
        return
    ids = demand["backorder_id"].astype(int).tolist()
    if len(ids) == _count(session, Backorder, Backorder.status == BackorderStatus.WAITING):
        session.execute(delete(BackorderAllocation))  # every waiting backorder is recomputed: one statement
    else:
        for chunk in _chunked(ids):
            session.execute(delete(BackorderAllocation).where(BackorderAllocation.backorder_id.in_(chunk)))
    bulk_update(
        session,
        Backorder.__tablename__,
        pd.DataFrame(
            {
                "id": promises["backorder_id"].astype("int64").to_numpy(),
                "promise_date": _dates(promises["promise_date"]).to_numpy(),
                "promise_status": promises["status"].astype(str).to_numpy(),
                "promise_reason": promises["reason"].to_numpy(dtype=object),
                "promise_computed_at": utcnow(),
            }
        ),
    )
    bulk_insert(
        session,
        BackorderAllocation.__tablename__,
        pd.DataFrame(
            {
                "backorder_id": allocations["backorder_id"].astype("int64").to_numpy(),
                "po_line_id": allocations["po_line_id"].astype("Int64").array,
                "quantity": allocations["quantity"].astype("int64").to_numpy(),
                "available_date": _dates(allocations["available_date"]).to_numpy(),
            }
        ),
    )


def _count(session: Session, model: Any, *where: Any) -> int:
    return int(session.scalar(select(func.count()).select_from(model).where(*where)) or 0)


def _live_alerts(session: Session, keys: Collection[str] | None) -> pd.DataFrame:
    """The non-resolved alerts, and the dismissed ones (resolved by a person, dismissal not ended)."""
    cols = [
        "id",
        "rule",
        "subject_key",
        "severity",
        "status",
        "snoozed_until",
        "dismissed_severity",
        "dismissed_days_late",
    ]
    stmt = select(
        Alert.id,
        Alert.rule,
        Alert.subject_key,
        Alert.severity,
        Alert.status,
        Alert.snoozed_until,
        Alert.dismissed_severity,
        Alert.dismissed_days_late,
    ).where(
        (Alert.status != AlertStatus.RESOLVED) | Alert.dismissed_severity.is_not(None),
        # Event alerts (a change order) hold no condition a recompute could find cleared.
        Alert.rule.not_in([r.value for r in EVENT_RULES]),
    )
    if keys is None:
        frame = _frame(session, stmt, cols)
    else:
        keys = sorted(keys)
        frames = [
            _frame(session, stmt.where(Alert.subject_key.in_(keys[i : i + CHUNK])), cols)
            for i in range(0, len(keys), CHUNK)
        ]
        frame = pd.concat(frames, ignore_index=True) if frames else pd.DataFrame(columns=cols)
    for col in ("severity", "status", "dismissed_severity"):
        frame[col] = frame[col].map(lambda v: getattr(v, "value", v))
    frame["dismissed_days_late"] = pd.to_numeric(frame["dismissed_days_late"]).astype("Float64")
    return frame


def apply_alert_plan(
    session: Session, plan: alert_rules.ReconcilePlan, as_of: dt.date, now: dt.datetime, result: SweepResult
) -> None:
    """Insert new alerts, update live ones, resolve cleared ones."""
    ins = plan.inserts
    if len(ins):
        columns = [
            "rule",
            "severity",
            "subject_type",
            "subject_key",
            "supplier_id",
            "po_line_id",
            "backorder_id",
            "item_id",
            "message",
            "days_late",
        ]
        rows = (
            ins[columns]
            .astype(
                dict.fromkeys(("supplier_id", "po_line_id", "backorder_id", "item_id", "days_late"), "Int64")
            )
            .assign(
                status=AlertStatus.OPEN.value,
                first_seen=now,
                last_seen=now,
                as_of=as_of,
                reopen_reason=ins["reopen_reason"].to_numpy(dtype=object),
            )
        )
        bulk_insert(session, Alert.__tablename__, rows)
    upd = plan.updates
    if len(upd):
        bulk_update(
            session,
            Alert.__tablename__,
            pd.DataFrame(
                {
                    "id": upd["id"].astype("int64").to_numpy(),
                    "severity": upd["severity"].astype(str).to_numpy(),
                    "message": upd["message"].astype(str).to_numpy(),
                    "days_late": upd["days_late"].astype("Float64").astype("Int64").array,
                    "last_seen": now,
                    "as_of": as_of,
                    "status": upd["status"].astype(str).to_numpy(),
                }
            ),
        )
        raised = upd.loc[upd["raised"].astype(bool), "id"].astype(int).tolist()
        result.raised_alert_ids.extend(raised)
        result.alerts_raised += len(raised)
    if plan.resolves:
        for chunk in _chunked(plan.resolves):
            session.execute(
                update(Alert).where(Alert.id.in_(chunk)).values(status=AlertStatus.RESOLVED, resolved_at=now)
            )
    if plan.ended_dismissals:
        for chunk in _chunked(plan.ended_dismissals):
            session.execute(
                update(Alert)
                .where(Alert.id.in_(chunk))
                .values(dismissed_severity=None, dismissed_days_late=None)
            )
    result.alerts_opened += len(ins)
    result.alerts_updated += len(upd)
    result.alerts_resolved += len(plan.resolves)


def _supplier_frame(
    session: Session, supplier_ids: Collection[int] | None, stats: pd.DataFrame
) -> pd.DataFrame:
    cols = ["supplier_id", "supplier_code", "capacity_per_day"]
    frame = _by_ids(
        session,
        select(Supplier.id, Supplier.code, Supplier.capacity_per_day),
        Supplier.id,
        supplier_ids,
        cols,
    )
    frame["capacity_per_day"] = pd.to_numeric(frame["capacity_per_day"], errors="coerce").astype("float64")
    obs = (
        stats.set_index("supplier_id")["observed_capacity_p90"] if len(stats) else pd.Series(dtype="float64")
    )
    frame["observed_capacity"] = pd.to_numeric(obs.reindex(frame["supplier_id"]), errors="coerce").to_numpy()
    return frame


def _with_supplier_today(session: Session, frame: pd.DataFrame, as_of: dt.date) -> pd.DataFrame:
    """A live run (as of today) counts stale days up to each supplier's own today, in its time zone."""
    if frame.empty or as_of < dt.date.today():
        return frame
    ids = sorted({int(i) for i in frame["supplier_id"]})
    zones = dict(session.execute(select(Supplier.id, Supplier.timezone).where(Supplier.id.in_(ids))).all())
    now = dt.datetime.now(dt.UTC)
    days = {sid: pd.Timestamp(supplier_today(zones.get(sid), now)) for sid in ids}
    return frame.assign(supplier_today=frame["supplier_id"].astype(int).map(days).astype("datetime64[ns]"))


def _run(
    session: Session,
    as_of: dt.date,
    settings: Settings,
    *,
    line_ids: Collection[int] | None,
    item_ids: Collection[int] | None,
    stats: pd.DataFrame,
    result: SweepResult,
    verify: bool = False,
) -> None:
    """The pipeline: forecasts -> promises -> alerts, for everything (ids None) or a scope."""
    timer = _Timer(result)
    now = utcnow()
    full = line_ids is None
    lines = load_open_lines(session, line_ids, as_of=as_of, in_full=settings.in_full_threshold)
    calendars = load_calendars(session, None if full else set(lines["supplier_id"].astype(int)))
    timer.mark("load_lines")
    frame = _forecast(session, lines, calendars, as_of, settings, stats, verify=verify, result=result)
    timer.mark("forecast")
    store_forecasts(session, frame, as_of, line_ids)
    result.lines = len(frame)
    timer.mark("store_forecasts")

    scope_items = None if full else set(item_ids or ()) | set(frame["item_id"].astype(int))
    demand, promises, allocations = _promises(session, as_of, settings, scope_items, frame, stats)
    store_promises(session, demand, promises, allocations)
    result.backorders = len(demand)
    result.unpromisable = int((promises["status"] == "unpromisable").sum()) if len(promises) else 0
    timer.mark("promises")

    # Alerts: line rules for the recomputed lines, backorder rules for the backorders whose
    # promises were recomputed. The supplier rule (CAPACITY_OVERLOAD) weighs every open line of
    # a supplier: it runs in the sweep only, so a supplier's post stays fast however many lines
    # it has (the sweep runs every few minutes from cron or the scheduler).
    lead = stats[["supplier_id", "median_lead_time_days"]] if len(stats) else None
    line_cond = alert_rules.line_conditions(
        _with_supplier_today(session, frame, as_of), as_of, calendars, settings, lead_times=lead
    )
    if full:
        suppliers = _supplier_frame(session, None, stats)
        supplier_cond = alert_rules.supplier_conditions(frame, suppliers, None, as_of, calendars, settings)
    else:
        supplier_cond = alert_rules.empty_conditions()
    if len(demand):
        backorder_cond = alert_rules.backorder_conditions(
            demand.merge(promises, on="backorder_id", how="left")
        )
    else:
        backorder_cond = alert_rules.empty_conditions()
    current = pd.concat([line_cond, supplier_cond, backorder_cond], ignore_index=True)
    if full:
        scope = None
    else:
        all_line_ids = {int(i) for i in (line_ids or ())}
        scope = pd.Series(
            [f"line:{i}" for i in sorted(all_line_ids | set(frame["line_id"].astype(int)))]
            + [f"backorder:{int(i)}" for i in demand["backorder_id"]],
            dtype="object",
        )
    live = _live_alerts(session, None if full else scope.tolist())
    plan = alert_rules.reconcile(live, current, now, scope, reopen_days=settings.alert_reopen_days)
    apply_alert_plan(session, plan, as_of, now, result)
    timer.mark("alerts")


def share_planning_lock(session: Session, wait: float | None = None) -> None:
    """On PostgreSQL, wait for a running sweep to commit, then keep sweeps out until this transaction ends.

    A write service that recomputes calls it as its transaction's first statement, before it
    holds any row a sweep writes (see :func:`exclusive_planning_lock`); :func:`recompute_affected`
    calls it again, which costs nothing once held. Writes share it, so they never wait for each
    other here. After ``wait`` seconds (default :data:`PLANNING_LOCK_WAIT_SECONDS`) behind a sweep
    it raises a ConflictError, and the write is rolled back. SQLite needs nothing: a write
    transaction holds the database's write lock from its BEGIN IMMEDIATE.
    """
    if session.get_bind().dialect.name != "postgresql":
        return
    wait = PLANNING_LOCK_WAIT_SECONDS if wait is None else wait
    key = advisory_key(PLANNING_LOCK)
    if session.scalar(text("SELECT pg_try_advisory_xact_lock_shared(:k)"), {"k": key}):
        return  # no sweep running or waiting: one round trip
    previous = session.scalar(text("SELECT current_setting('lock_timeout')"))
    # At least 1 ms: a lock_timeout of 0 would mean "wait forever".
    session.execute(
        text("SELECT set_config('lock_timeout', :t, true)"), {"t": f"{max(1, int(wait * 1000))}ms"}
    )
    try:
        session.execute(text("SELECT pg_advisory_xact_lock_shared(:k)"), {"k": key})
    except OperationalError as exc:
        if getattr(exc.orig, "sqlstate", None) == LOCK_NOT_AVAILABLE:
            raise ConflictError(
                f"The planning sweep has been recomputing every forecast for over {wait:g} s: nothing "
                "was saved; try again in a minute."
            ) from None
        raise
    session.execute(text("SELECT set_config('lock_timeout', :t, true)"), {"t": previous})


def exclusive_planning_lock(session: Session) -> None:
    """On PostgreSQL, wait until no write recomputes, and keep them waiting until the sweep commits.

    Why: a sweep deletes and re-inserts every forecast, every allocation, and reconciles every
    alert, while a post deletes and re-inserts those of its own line and item. Interleaved, one
    of them failed on the forecast primary key or the live-alert index, or both wrote a
    backorder's allocations twice. Taken before the sweep reads anything, in the transaction it
    writes in, this lock orders the two: a post either committed before the sweep read (the sweep
    sees its report) or waits and recomputes its lines after the sweep committed (its newer result
    wins). Both succeed and the stored results are those of the final data.

    Why not lock every item as a recompute does: that writes a row lock into every item row on
    each sweep (slow at scale), and a write that updated a backorder or an item before locking
    its items would deadlock with it. Why not upserts with a version per line: forecasts could
    be made to converge that way, but a backorder's promise and allocations and the alerts
    reconcile depend on other lines and on the live alerts read, and only a lock keeps those
    consistent.

    No deadlock: the writes take the shared lock first, holding no row a sweep writes; a sweep
    takes this lock first, holding nothing (the job lock of :mod:`portal.services.locks` is
    taken before it, never after). A sweep waits only for the writes already recomputing; new
    ones queue behind it, so a stream of posts never starves it.
    """
    if session.get_bind().dialect.name != "postgresql":
        return
    session.execute(text("SELECT pg_advisory_xact_lock(:k)"), {"k": advisory_key(PLANNING_LOCK)})


def recompute_affected(
    session: Session,
    *,
    line_ids: Collection[int] = (),
    item_ids: Collection[int] = (),
    as_of: dt.date | None = None,
) -> SweepResult:
    """Recompute these lines, the promises of their items, and both's alerts, in the caller's transaction."""
    as_of = as_of or dt.date.today()
    result = SweepResult(as_of=as_of)
    if not line_ids and not item_ids:
        return result
    share_planning_lock(session)
    settings = load_settings(session)
    _lock_scope(session, line_ids, item_ids)
    stats = load_supplier_stats(session)
    _run(session, as_of, settings, line_ids=set(line_ids), item_ids=set(item_ids), stats=stats, result=result)
    return result


def _lock_scope(session: Session, line_ids: Collection[int], item_ids: Collection[int]) -> None:
    """On PostgreSQL, serialize recomputes that share an item (SQLite has one writer anyway).

    Two recomputes of the same item would otherwise both insert the same new backorder alert
    and one would fail on the live-alert unique index. Line alerts need no lock here: a line's
    writes already hold its row. Supplier alerts (capacity) are the sweep's alone, so recomputes
    of different lines of one supplier run side by side. Locks are taken in id order, so two
    transactions never wait on each other in a cycle.
    """
    if session.get_bind().dialect.name != "postgresql":
        return
    ids = sorted(int(i) for i in line_ids)
    items: set[int] = {int(i) for i in item_ids}
    for chunk in _chunked(ids):
        items.update(int(i) for i in session.scalars(select(PoLine.item_id).where(PoLine.id.in_(chunk))))
    if items:
        session.execute(
            select(Item.id)
            .where(Item.id.in_(sorted(items)))
            .order_by(Item.id)
            .with_for_update(key_share=True)
        ).all()


@service(Role.ADMIN, Role.BUYER)
def sweep(db: Database, actor: Actor, as_of: dt.date | None = None, *, verify: bool = False) -> SweepResult:
    """Recompute forecasts, supplier statistics, promises and alerts for everything as of ``as_of``.

    ``verify``: check every line's production summary against its reports first; the lines that
    disagree are listed in ``result.inconsistent`` and forecast from their reports.
    """
    as_of = as_of or dt.date.today()
    result = SweepResult(as_of=as_of)
    with db.write() as session:
        start = time.perf_counter()
        exclusive_planning_lock(session)
        locked = time.perf_counter()
        result.timings["wait_for_writes"] = round(locked - start, 4)
        settings = load_settings(session)
        if verify:
            result.inconsistent_days = verify_daily_outputs(session)
        stats = supplier_statistics(session, settings, as_of, from_reports=len(result.inconsistent_days) > 0)
        store_supplier_stats(session, stats)
        result.timings["supplier_stats"] = round(time.perf_counter() - locked, 4)
        _run(
            session, as_of, settings, line_ids=None, item_ids=None, stats=stats, result=result, verify=verify
        )
        audit.record(
            session,
            actor,
            "sweep",
            "planning",
            after={"as_of": as_of, "lines": result.lines, "backorders": result.backorders},
        )
        session.commit()
    result.timings["total"] = round(time.perf_counter() - start, 4)
    return result


__all__ = [
    "LineStatus",
    "SweepResult",
    "exclusive_planning_lock",
    "recompute_affected",
    "share_planning_lock",
    "sweep",
]
