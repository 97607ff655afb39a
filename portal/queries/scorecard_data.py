"""Scorecard inputs: one query per table for a set of suppliers, with the core's events over them, and
the stored monthly totals (the snapshot) that the ranking sums when they are still current.

Just over 500 lines on purpose: the live inputs and the stored totals are read side by side, and
:func:`current_totals` decides per supplier which of the two is current, so both stay in one place.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Collection
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd
from sqlalchemy import Select, func, select
from sqlalchemy.orm import Session

from db.frames import enum_values, read_frame, read_frame_for_ids
from db.models import (
    Item,
    LineForecast,
    LineProductionSummary,
    PoLine,
    PoLineChange,
    ProductionReport,
    ProductionSchedule,
    Receipt,
    ScorecardRankRow,
    ScorecardSnapshot,
    ScorecardTotal,
    Supplier,
    SupplierClosure,
    SweepRun,
)
from portal.core import scorecard as sc
from portal.core.calendar import CalendarSet, holiday_years_for, to_date
from portal.core.domain import OPEN_LINE_STATUSES, LineStatus
from portal.core.fileformats import line_keys
from portal.core.settings import Settings
from portal.core.timezones import local_dates
from portal.services.settings import load_settings


@dataclass(frozen=True, eq=False)
class Loaded:
    """Inputs read for a set of suppliers, and the core's events over them."""

    suppliers: pd.DataFrame  # supplier_id, code, name
    lines: pd.DataFrame  # line_id, supplier_id, label, sku, quantity, need_by_date, promised_date, status
    events: sc.ScorecardEvents
    settings: Settings


def read_dated_frame(session: Session, stmt: Select[*tuple[Any, ...]], columns: list[str]) -> pd.DataFrame:
    """Raw rows (millions of reports at scale: no Row objects), date and time columns converted."""
    dates = [c for c in columns if c.endswith("_date") or c == "created_at"]
    return read_frame(session, stmt, columns, dates=dates)


def load_scorecard_data(session: Session, supplier_ids: Collection[int] | None, today: dt.date) -> Loaded:
    """The inputs of these suppliers (all when None), one query per table, and their events (unscoped)."""
    settings = load_settings(session)
    ids = sorted({int(s) for s in supplier_ids}) if supplier_ids is not None else None

    def scoped(stmt: Select[*tuple[Any, ...]], column: Any) -> Select[*tuple[Any, ...]]:
        return stmt if ids is None else stmt.where(column.in_(ids))

    line_ids = scoped(select(PoLine.id), PoLine.supplier_id)

    def by_line(stmt: Select[*tuple[Any, ...]], column: Any) -> Select[*tuple[Any, ...]]:
        return stmt if ids is None else stmt.where(column.in_(line_ids))

    suppliers = read_dated_frame(
        session,
        scoped(
            select(
                Supplier.id,
                Supplier.code,
                Supplier.name,
                Supplier.country,
                Supplier.working_weekdays,
                Supplier.timezone,
            ),
            Supplier.id,
        ).order_by(Supplier.code),
        ["supplier_id", "code", "name", "country", "working_weekdays", "timezone"],
    )
    closures = read_dated_frame(
        session,
        scoped(
            select(SupplierClosure.supplier_id, SupplierClosure.closure_date), SupplierClosure.supplier_id
        ),
        ["supplier_id", "closure_date"],
    )
    lines = read_dated_frame(
        session,
        scoped(
            select(
                PoLine.id,
                PoLine.supplier_id,
                PoLine.po_number,
                PoLine.line,
                Item.sku,
                PoLine.quantity,
                PoLine.need_by_date,
                PoLine.promised_date,
                PoLine.status,
            ).join(Item, Item.id == PoLine.item_id),
            PoLine.supplier_id,
        ),
        [
            "line_id",
            "supplier_id",
            "po_number",
            "line",
            "sku",
            "quantity",
            "need_by_date",
            "promised_date",
            "status",
        ],
    )
    lines["status"] = enum_values(lines["status"]).astype(object)
    lines["label"] = line_keys(lines)
    receipts = read_dated_frame(
        session,
        by_line(
            select(Receipt.po_line_id, Receipt.received_date, Receipt.quantity, Receipt.rejected_qty),
            Receipt.po_line_id,
        ),
        ["po_line_id", "received_date", "quantity", "rejected_qty"],
    )
    schedules = read_dated_frame(
        session,
        by_line(
            select(
                ProductionSchedule.po_line_id,
                ProductionSchedule.revision,
                ProductionSchedule.start_date,
                ProductionSchedule.daily_output,
                ProductionSchedule.estimated_end_date,
                ProductionSchedule.created_at,
            ),
            ProductionSchedule.po_line_id,
        ),
        ["line_id", "revision", "start_date", "daily_output", "estimated_end_date", "created_at"],
    )
    reports = read_dated_frame(
        session,
        by_line(
            select(
                ProductionReport.po_line_id,
                ProductionReport.report_date,
                ProductionReport.good_qty,
                ProductionReport.rejected_qty,
                ProductionReport.created_at,
                ProductionReport.is_current,
            ),
            ProductionReport.po_line_id,
        ),
        ["line_id", "report_date", "good_qty", "rejected_qty", "created_at", "is_current"],
    )
    # Responsiveness judges a report by the supplier's local day it was posted on (its time zone).
    zones = lines[["line_id", "supplier_id"]].merge(suppliers[["supplier_id", "timezone"]], how="left")
    zone_of_line = zones.set_index("line_id")["timezone"]
    reports["created_at"] = local_dates(
        reports["created_at"],
        pd.Series(zone_of_line.reindex(reports["line_id"]).to_numpy(), index=reports.index),
    )
    # Public holidays for every year the working-day arithmetic touches (reports and schedules).
    years = holiday_years_for(
        sc.to_dates(reports["report_date"]),
        sc.to_dates(schedules["start_date"]),
        sc.to_dates(schedules["estimated_end_date"]),
        np.array([today], dtype="datetime64[D]"),
    )
    calendars = CalendarSet.from_frames(suppliers, closures, years=years)
    events = sc.scorecard_events(lines, receipts, schedules, reports, calendars, settings, today)
    return Loaded(suppliers[["supplier_id", "code", "name"]], lines, events, settings)


def latest_snapshot(session: Session) -> ScorecardSnapshot | None:
    """The stored snapshot (only the latest is kept), whatever day it counted up to."""
    return session.scalar(select(ScorecardSnapshot).order_by(ScorecardSnapshot.id.desc()).limit(1))


def snapshot_is_current(snapshot: ScorecardSnapshot | None, settings: Settings, today: dt.date) -> bool:
    """Whether ``snapshot`` counted up to ``today`` with the settings of now (and has its watermarks):
    then its totals are today's for every supplier not written to since."""
    return (
        snapshot is not None
        and snapshot.as_of == today
        and snapshot.watermarks is not None
        and snapshot.on_time_tolerance_days == settings.on_time_tolerance_days
        and snapshot.in_full_threshold == settings.in_full_threshold
    )


def _usable_snapshot(session: Session, settings: Settings, today: dt.date) -> ScorecardSnapshot | None:
    """The stored snapshot, if it counted up to ``today`` with the settings of now (and its watermarks)."""
    snapshot = latest_snapshot(session)
    return snapshot if snapshot_is_current(snapshot, settings, today) else None


def lines_per_supplier(session: Session, supplier_ids: Collection[int] | None = None) -> pd.Series:
    """PO lines per supplier (all suppliers with a line, or these): what computing them live reads,
    roughly (reports, receipts and schedules hang off the lines). One grouped scan of an index."""
    stmt = select(PoLine.supplier_id, func.count()).group_by(PoLine.supplier_id)
    if supplier_ids is None:
        frame = read_frame(session, stmt, ["supplier_id", "lines"])
    else:
        frame = read_frame_for_ids(
            session, stmt, PoLine.supplier_id, sorted(supplier_ids), ["supplier_id", "lines"]
        )
    if frame.empty:
        return pd.Series(dtype="int64", name="lines")
    return frame.astype("int64").set_index("supplier_id")["lines"].sort_index()


#: The tables whose rows the totals count, with the column naming each row's line (None: a supplier's).
_WATERMARKED: dict[str, tuple[Any, Any]] = {
    "po_lines": (PoLine.id, PoLine.id),
    "po_line_changes": (PoLineChange.id, PoLineChange.po_line_id),
    "receipts": (Receipt.id, Receipt.po_line_id),
    "production_schedules": (ProductionSchedule.id, ProductionSchedule.po_line_id),
    "production_reports": (ProductionReport.id, ProductionReport.po_line_id),
    "supplier_closures": (SupplierClosure.id, None),
}


def watermarks(session: Session) -> dict[str, int]:
    """The highest id of each table the totals read (primary-key lookups: cheap at any scale)."""
    return {
        name: int(session.scalar(select(func.max(column))) or 0) for name, (column, _) in _WATERMARKED.items()
    }


def changed_suppliers(session: Session, marks: dict[str, int]) -> set[int]:
    """Suppliers with a line, receipt, schedule, report, change or closure written after ``marks``."""
    found: set[int] = set()
    for name, (id_column, line_column) in _WATERMARKED.items():
        newer = id_column > int(marks.get(name, 0))
        if line_column is None:
            stmt = select(SupplierClosure.supplier_id).where(newer).distinct()
        else:
            stmt = (
                select(PoLine.supplier_id).where(PoLine.id.in_(select(line_column).where(newer))).distinct()
            )
        found.update(int(s) for s in session.scalars(stmt))
    return found


#: The most PO lines a page view computes live from raw events (the ranking's suppliers written to
#: since the snapshot, or every supplier when the snapshot counted up to an earlier day): about
#: 0.1 ms of CPU a line plus 0.4 s (scale L, docs/performance.md 2026-12-03 stop 26), so well under
#: a second. Beyond it the ranking shows those suppliers' stored totals and says as of when.
LIVE_LINE_BUDGET = 5_000


@dataclass(frozen=True)
class Totals:
    """The additive monthly totals every scorecard view reads, exact as of a day."""

    monthly: pd.DataFrame  # (supplier_id, month) -> sc.TOTALS
    lines: pd.Series  # (supplier_id, end_month) -> distinct lines of the 12 months ending then
    snapshot: ScorecardSnapshot | None  # the stored snapshot they came from, if any
    live_suppliers: int  # how many suppliers were computed live (changed since the snapshot)
    #: Suppliers shown with the snapshot's totals although they may have changed since (written to
    #: since, or the snapshot counted up to an earlier day): too many to compute live on a page view.
    #: 0: every number is today's.
    stale_suppliers: int = 0


def current_totals(
    session: Session,
    supplier_ids: Collection[int] | None,
    months: list[int],
    today: dt.date,
    settings: Settings,
    *,
    live_budget: int | None = None,
) -> Totals:
    """The totals of these suppliers (None: all) for rolling windows ending in ``months``, as of ``today``.

    One truth: the stored snapshot's totals when it counted up to today with today's settings,
    except for the suppliers written to since (a receipt, report, schedule revision, line or
    change order above its watermarks), whose totals are computed live the same way; a snapshot of
    an earlier day (or other settings) counts for no supplier, every one is computed live; without
    a snapshot, everything live. Each number then equals what computing every supplier live today
    gives, so the ranking, the comparison, the scorecard and the export agree.

    ``live_budget`` bounds that live part (PO lines of the suppliers to compute; None: no bound, as
    for a comparison of 2-4 suppliers). Over it, those suppliers keep the snapshot's totals and
    ``stale_suppliers`` says how many: the caller shows them as of the snapshot, never as today's.
    """
    ids = None if supplier_ids is None else sorted({int(s) for s in supplier_ids})
    snapshot = latest_snapshot(session)
    first, last = sc.rolling_window(months[0])[0], months[-1]
    stale_shown = 0
    if snapshot is None:
        live_ids, stored = ids, None
    else:
        current = snapshot_is_current(snapshot, settings, today)
        if current:
            # Nothing but a write changes a supplier's totals within the day.
            stale: list[int] | None = sorted(changed_suppliers(session, snapshot.watermarks or {}))
            if ids is not None:
                stale = sorted(set(stale or ()) & set(ids))
        else:
            # Another day: every producing line's responsiveness (its judged days run to today),
            # every due window and promise closing in between: any supplier can have moved.
            stale = ids
        cost = _live_cost(session, stale)
        if live_budget is not None and cost > live_budget:
            live_ids = []
            stale_shown = len(stale) if stale is not None else _snapshot_suppliers(session, snapshot.id)
            stored = _stored_rows(session, snapshot.id, first, last, ids)
        elif stale is None:  # every supplier live: the snapshot has nothing to give
            live_ids, stored = None, None
        else:
            live_ids = stale
            stored = _stored_rows(session, snapshot.id, first, last, ids, exclude=stale)
        if not current and not stale_shown:
            snapshot = None  # nothing shown comes from it
    frames = [] if stored is None else [stored]
    if live_ids is None or live_ids:
        loaded = load_scorecard_data(session, live_ids, today)
        frames.append(sc.window_totals(loaded.events, months))
    columns = ["supplier_id", "month", *sc.TOTALS, "window_lines"]
    frame = (
        pd.concat([f[columns] for f in frames], ignore_index=True)
        if frames
        else pd.DataFrame(columns=columns)
    )
    frame[["supplier_id", "month", "window_lines"]] = frame[["supplier_id", "month", "window_lines"]].astype(
        "int64"
    )
    frame[list(sc.TOTALS)] = frame[list(sc.TOTALS)].astype("float64")
    monthly = frame.set_index(["supplier_id", "month"])[list(sc.TOTALS)]
    ends = frame[frame["month"].isin(months)]
    lines = ends.set_index(["supplier_id", "month"])["window_lines"].rename_axis(["supplier_id", "end_month"])
    live = len(live_ids) if live_ids is not None else int(frame["supplier_id"].nunique())
    return Totals(monthly, lines, snapshot, live, stale_shown)


def _live_cost(session: Session, supplier_ids: list[int] | None) -> int:
    """The PO lines computing these suppliers (None: all) live would read."""
    if supplier_ids is None:
        return int(session.scalar(select(func.count()).select_from(PoLine)) or 0)
    if not supplier_ids:
        return 0
    return int(lines_per_supplier(session, supplier_ids).sum())


def _snapshot_suppliers(session: Session, snapshot_id: int) -> int:
    stmt = select(func.count(func.distinct(ScorecardTotal.supplier_id))).where(
        ScorecardTotal.snapshot_id == snapshot_id
    )
    return int(session.scalar(stmt) or 0)


def _stored_rows(
    session: Session,
    snapshot_id: int,
    first: int,
    last: int,
    supplier_ids: list[int] | None,
    *,
    exclude: Collection[int] = (),
) -> pd.DataFrame:
    """The snapshot's rows of months first..last (for these suppliers, but not those excluded)."""
    columns = ["supplier_id", "month", *sc.TOTALS, "window_lines"]
    stmt = select(*(getattr(ScorecardTotal, c) for c in columns)).where(
        ScorecardTotal.snapshot_id == snapshot_id,
        ScorecardTotal.month >= first,
        ScorecardTotal.month <= last,
    )
    if supplier_ids is not None:
        stmt = stmt.where(ScorecardTotal.supplier_id.in_(supplier_ids))
    frame = read_frame(session, stmt, columns)
    if len(exclude):
        frame = frame[~frame["supplier_id"].astype("int64").isin(list(exclude))]
    return frame


#: The line counts of the ranking (:func:`line_counts`' columns).
COUNT_COLUMNS: tuple[str, ...] = ("total_lines", "open_lines", "late_lines", "received_lines")


def line_counts(
    session: Session, months: list[int] | None = None, supplier_ids: Collection[int] | None = None
) -> pd.DataFrame:
    """Per supplier: all, open and late lines now (open with forecast arrival p50 after need-by), and
    the received lines with a receipt in the rolling window ending ``months[-1]`` (all time: None);
    of every supplier with a line, or of these.

    Three lean aggregates rather than one pass joining every line to its forecast: the lines per
    supplier and status come from the (supplier_id, status) index alone, the late ones from the
    forecasts that say late, and the received ones by a semi-join to the window's receipts (each
    line once, no DISTINCT to sort). At scale L this took the counts from ~1 s of SQL to a few
    tenths (docs/scaling.md).
    """
    open_values = [s.value for s in OPEN_LINE_STATUSES]
    ids = None if supplier_ids is None else sorted({int(s) for s in supplier_ids})
    by_status = read_frame_for_ids(
        session,
        select(PoLine.supplier_id, PoLine.status, func.count()).group_by(PoLine.supplier_id, PoLine.status),
        PoLine.supplier_id,
        ids,
        ["supplier_id", "status", "n"],
    )
    if by_status.empty:  # none of these suppliers has a line
        empty = pd.DataFrame({c: pd.Series(dtype="int64") for c in COUNT_COLUMNS})
        empty.index = pd.Index([], dtype="int64", name="supplier_id")
        return empty
    by_status["n"] = by_status["n"].astype("int64")
    by_status["status"] = enum_values(by_status["status"])
    per_status = by_status.pivot_table(index="supplier_id", columns="status", values="n", aggfunc="sum")
    per_status = per_status.reindex(columns=sorted({*per_status.columns, *open_values, "received"}))
    per_status = per_status.fillna(0).astype("int64")
    late = read_frame_for_ids(
        session,
        select(PoLine.supplier_id, func.count())
        .join(LineForecast, LineForecast.po_line_id == PoLine.id)
        .where(LineForecast.days_late_p50 > 0, PoLine.status.in_(open_values))
        .group_by(PoLine.supplier_id),
        PoLine.supplier_id,
        ids,
        ["supplier_id", "late_lines"],
    )
    counts = pd.DataFrame(
        {
            "total_lines": per_status.sum(axis=1),
            "open_lines": per_status[open_values].sum(axis=1),
            "late_lines": late.astype("int64").set_index("supplier_id")["late_lines"],
            "received_lines": per_status[LineStatus.RECEIVED.value],
        },
        index=per_status.index,
    )
    counts = counts.fillna(0).astype("int64")
    counts.index = counts.index.astype("int64")
    if months is not None:
        # Received follows the period shown: lines received in full with a receipt in the 12 months.
        first = sc.month_first_day(np.array([sc.rolling_window(months[-1])[0]]))[0]
        last = sc.month_last_day(np.array([months[-1]]))[0]
        in_window = (
            select(Receipt.id)
            .where(
                Receipt.po_line_id == PoLine.id,
                Receipt.received_date >= to_date(first),
                Receipt.received_date <= to_date(last),
            )
            .exists()
        )
        received = (
            select(PoLine.supplier_id, func.count())
            .where(PoLine.status == LineStatus.RECEIVED.value, in_window)
            .group_by(PoLine.supplier_id)
        )
        window = read_frame_for_ids(
            session, received, PoLine.supplier_id, ids, ["supplier_id", "received_lines"]
        ).astype("int64")
        counts["received_lines"] = window.set_index("supplier_id")["received_lines"].reindex(
            counts.index, fill_value=0
        )
    return counts


def sweep_mark(session: Session) -> int:
    """The highest sweep pass id (0: none yet): a pass above it may have moved any line's forecast."""
    return int(session.scalar(select(func.max(SweepRun.id))) or 0)


#: The columns of a stored rank row the ranking reads (``history``: JSON of the 12 windows' score inputs).
RANK_COLUMNS: list[str] = [
    "supplier_id",
    *sc.TOTALS,
    "lines",
    "history",
    *(f"count_{c}" for c in COUNT_COLUMNS),
]


def stored_rank_rows(session: Session, snapshot_id: int, *, with_history: bool = True) -> pd.DataFrame:
    """The snapshot's stored rank rows: one per supplier (:class:`db.models.ScorecardRankRow`), with
    ``history`` parsed (PostgreSQL's driver parses JSON itself, SQLite's gives the text); without it
    when ``with_history`` is false (reading every supplier's JSON is most of the cost at scale XL:
    :func:`stored_rank_history` reads it for the rows shown)."""
    columns = RANK_COLUMNS if with_history else [c for c in RANK_COLUMNS if c != "history"]
    stmt = select(*(getattr(ScorecardRankRow, c) for c in columns)).where(
        ScorecardRankRow.snapshot_id == snapshot_id
    )
    frame = read_frame(session, stmt, columns)
    if with_history:
        frame["history"] = _parsed(frame["history"])
    return frame


def stored_rank_history(session: Session, snapshot_id: int, supplier_ids: Collection[int]) -> pd.DataFrame:
    """The ``history`` of the snapshot's rank rows of these suppliers (columns supplier_id, history)."""
    stmt = select(ScorecardRankRow.supplier_id, ScorecardRankRow.history).where(
        ScorecardRankRow.snapshot_id == snapshot_id
    )
    frame = read_frame_for_ids(
        session, stmt, ScorecardRankRow.supplier_id, sorted(supplier_ids), ["supplier_id", "history"]
    )
    frame["history"] = _parsed(frame["history"])
    return frame


def _parsed(history: pd.Series) -> list[Any]:
    return [json.loads(h) if isinstance(h, str) else h for h in history]


def month_choices(session: Session, supplier_id: int | None, today: dt.date) -> tuple[int, int, int]:
    """(first month with data, default month, current month) for one supplier's data or everyone's.

    The default is the current month, or (nothing in the last 12 months: a loaded history) the
    latest month with data."""
    current = sc.month_of(today)
    dates: list[Any] = []
    # The first and last date of each kind of event (three small aggregate queries). Reports are
    # read from the lines' production summaries, kept with every report write (the first and last
    # day of a line's current reports: the days of all its reports, as a correction keeps its day):
    # one row per line instead of a scan of every report (0.65 s at scale L).
    first_report = LineProductionSummary.first_report_date
    last_report = LineProductionSummary.last_report_date
    for low, high, line, indexed in (
        (Receipt.received_date, Receipt.received_date, Receipt.po_line_id, True),
        (PoLine.need_by_date, PoLine.need_by_date, None, True),
        (first_report, last_report, LineProductionSummary.po_line_id, False),
    ):
        if supplier_id is None and indexed:
            # Everyone's, on an indexed date: the min and the max apart, each a probe of one end of
            # the index (SQLite optimizes a query holding one min() or max() alone; 0024).
            dates.append(session.scalar(select(func.min(low))))
            dates.append(session.scalar(select(func.max(high))))
            continue
        stmt = select(func.min(low), func.max(high))
        if supplier_id is not None:  # joined only to scope: one table scans faster
            if line is not None:
                stmt = stmt.join(PoLine, PoLine.id == line)
            stmt = stmt.where(PoLine.supplier_id == supplier_id)
        dates.extend(session.execute(stmt).one())
    months = [sc.month_of(d) for d in dates if d is not None]
    months = [m for m in months if m <= current]
    first = min(months, default=current)
    latest = max(months, default=current)
    default = current if latest > current - sc.ROLLING_MONTHS else latest
    return first, default, current
