"""The recompute after a report post: one line's forecast, its item's promises and the alerts of both,
without the bulk pipeline's frames for the line.

What stays the same as :func:`portal.services.planning.recompute_affected` (and so as a full sweep of
the same data; ``tests/integration/test_lean_post.py`` compares them):

* the forecast is :func:`portal.core.line_forecast.forecast_line` (the vectorized forecast's twin,
  property-tested equal) fed by the line's stored production summary, its current schedule, its
  supplier's calendar and the supplier's stored statistics (one row of ``supplier_stats``, never
  all of them recomputed);
* the item's promises run the pipeline's :func:`promise_backorders` over that one item (a few
  lines and backorders), so allocation has one source of truth;
* the alerts run the core's rules (:func:`portal.core.alerts.line_conditions`,
  :func:`~portal.core.alerts.backorder_conditions`) on the line's one row and the item's
  backorders, and :func:`~portal.core.alerts.reconcile` against the live alerts of those subjects,
  read by their indexed ids instead of a scan over every alert's key.

What does not change per post is cached in the process: the resolved settings (keyed by the stored
overrides, read each time) and the working calendars (keyed by country, weekmask and closures, read
each time). A line the summary cannot answer (a changed quantity or span, a report after ``as_of``),
or a line not open on ``as_of`` goes through the bulk pipeline instead. A past-dated recompute
(tests pin their day) reads the item's supply and backorders as they were then, as the pipeline's
own loaders do.
"""

from __future__ import annotations

import datetime as dt
import json
import math
from collections.abc import Collection
from functools import lru_cache
from typing import Any

import pandas as pd
from sqlalchemy import delete, exists, insert, or_, select
from sqlalchemy.orm import Session

from db.models import (
    Alert,
    LineForecast,
    LineProductionSummary,
    PoLine,
    ProductionSchedule,
    Setting,
    Supplier,
    SupplierClosure,
    SupplierStats,
    utcnow,
)
from portal.core import alerts as alert_rules
from portal.core import summaries as core_summaries
from portal.core.calendar import CalendarSet, WorkCalendar, default_holiday_years
from portal.core.domain import OPEN_LINE_STATUSES
from portal.core.line_forecast import LineForecastRow, OpenLine, SupplierRecord, forecast_line
from portal.core.settings import Settings, resolve_lenient
from portal.services.planning.loaders import LINE_FIELDS, live_alerts
from portal.services.planning.lock import lock_scope, share_planning_lock
from portal.services.planning.pipeline import promise_backorders, with_supplier_today
from portal.services.planning.recompute import recompute_affected
from portal.services.planning.result import SweepResult
from portal.services.planning.stores import apply_alert_plan, store_promises

#: A post touching more lines than this recomputes them through the bulk pipeline at once.
LEAN_LINES = 8

_SUMMARY = [getattr(LineProductionSummary, c) for c in core_summaries.SUMMARY_COLUMNS[1:]]
_OPEN = [s.value for s in OPEN_LINE_STATUSES]


_SETTINGS: dict[str, Settings] = {}


def cached_settings(session: Session) -> Settings:
    """The effective settings (as :func:`portal.services.settings.load_settings`), resolved once per
    distinct set of stored overrides (read every time: an admin's change counts at once)."""
    overrides: dict[str, Any] = dict(session.execute(select(Setting.key, Setting.value)).all())
    key = json.dumps(overrides, sort_keys=True, default=str)
    settings = _SETTINGS.get(key)
    if settings is None:
        if len(_SETTINGS) >= 64:
            _SETTINGS.clear()
        settings = _SETTINGS[key] = resolve_lenient(overrides)
    return settings


@lru_cache(maxsize=4096)
def _calendar(
    country: str | None, weekmask: str | None, closures: tuple[dt.date, ...], years: tuple[int, int]
) -> WorkCalendar:
    country = country if country else None
    return WorkCalendar.for_supplier(country, weekmask or None, closures, years)


def supplier_calendar(
    session: Session, supplier_id: int, country: str | None, weekmask: str | None
) -> WorkCalendar:
    """The supplier's working calendar, as :func:`portal.services.calendars.load_calendars` builds it."""
    closures = tuple(
        sorted(
            session.scalars(
                select(SupplierClosure.closure_date).where(SupplierClosure.supplier_id == supplier_id)
            )
        )
    )
    mask = weekmask if isinstance(weekmask, str) and weekmask else None
    return _calendar(country if isinstance(country, str) else None, mask, closures, default_holiday_years())


def recompute_posted(
    session: Session, *, line_ids: Collection[int], as_of: dt.date | None = None
) -> SweepResult:
    """The recompute after reports of these lines: each line alone (:func:`recompute_line`) when a
    few, else the bulk pipeline for all of them at once."""
    ids = sorted({int(i) for i in line_ids})
    if not ids or len(ids) > LEAN_LINES:
        return recompute_affected(session, line_ids=ids, as_of=as_of)
    result = SweepResult(as_of=as_of or dt.date.today())
    for line_id in ids:
        one = recompute_line(session, line_id, as_of=as_of)
        result.lines += one.lines
        result.backorders += one.backorders
        result.unpromisable += one.unpromisable
        result.alerts_opened += one.alerts_opened
        result.alerts_updated += one.alerts_updated
        result.alerts_resolved += one.alerts_resolved
        result.alerts_raised += one.alerts_raised
        result.raised_alert_ids.extend(one.raised_alert_ids)
    return result


def recompute_line(session: Session, line_id: int, *, as_of: dt.date | None = None) -> SweepResult:
    """Recompute one line's forecast, its item's promises and both's alerts, in the caller's transaction."""
    as_of = as_of or dt.date.today()
    share_planning_lock(session)
    settings = cached_settings(session)
    row = session.execute(
        select(
            *LINE_FIELDS,
            PoLine.transit_days,
            Supplier.transit_days,
            Supplier.country,
            Supplier.working_weekdays,
        )
        .join(Supplier, Supplier.id == PoLine.supplier_id)
        .where(PoLine.id == line_id)
    ).first()
    status = None if row is None else getattr(row.status, "value", row.status)
    if row is None or status not in _OPEN or (row.order_date is not None and row.order_date > as_of):
        # Not an open line on as_of: the pipeline drops its forecast and clears its alerts.
        return recompute_affected(session, line_ids=[line_id], as_of=as_of)
    summary_row = session.execute(
        select(*_SUMMARY).where(LineProductionSummary.po_line_id == line_id)
    ).first()
    span = settings.forecast_ewm_span
    if summary_row is None:
        summary = core_summaries.LineSummary(quantity=int(row.quantity), ewm_span=span)
    else:
        summary = core_summaries.LineSummary(*tuple(summary_row))
    usable = (
        summary.quantity == int(row.quantity)
        and summary.ewm_span == span
        and (summary.last_report_date is None or summary.last_report_date <= as_of)
    )
    if not usable:
        return recompute_affected(session, line_ids=[line_id], as_of=as_of)

    result = SweepResult(as_of=as_of)
    item_id, supplier_id = int(row.item_id), int(row.supplier_id)
    lock_scope(session, [], [item_id])
    schedules = session.execute(
        select(
            ProductionSchedule.revision,
            ProductionSchedule.start_date,
            ProductionSchedule.daily_output,
            ProductionSchedule.estimated_end_date,
        )
        .where(ProductionSchedule.po_line_id == line_id)
        .order_by(ProductionSchedule.revision.desc())
        .limit(2)
    ).all()
    current = schedules[0] if schedules else None
    previous_end = schedules[1].estimated_end_date if len(schedules) > 1 else None
    calendar = supplier_calendar(session, supplier_id, row.country, row.working_weekdays)
    stats, record = _supplier_stats(session, supplier_id)
    transit = row[10] if row[10] is not None else row[11]
    line = OpenLine(
        line_id=line_id,
        supplier_id=supplier_id,
        quantity=int(row.quantity),
        status=str(status),
        transit_days=int(transit or 0),
        need_by_date=row.need_by_date,
        start_date=current.start_date if current is not None else None,
        daily_output=float(current.daily_output) if current is not None else None,
    )
    forecast = forecast_line(line, core_summaries.line_stats(summary), calendar, as_of, settings, record)
    stored = session.execute(
        select(LineForecast.as_of, LineForecast.arrival_p90).where(LineForecast.po_line_id == line_id)
    ).first()
    _store_forecast(session, forecast, as_of)
    result.lines = 1

    frame = _line_frame(row, str(status), line, current, previous_end, forecast)
    # The item's promises read this line only through its arrival p90. Every write that changes
    # another input of them (stock, receipts, backorders, another line, a sweep's buffers)
    # recomputes them, so when this line's arrival is the one they were computed with on the same
    # day, they and their alerts stand as they are.
    if stored is not None and tuple(stored) == (as_of, forecast.arrival_p90):
        demand = promises = pd.DataFrame(columns=["backorder_id"])
    else:
        # Promises of the line's item, with this line's fresh arrival (the others' are stored).
        fresh = pd.DataFrame({"line_id": [line_id], "arrival_p90": [pd.Timestamp(forecast.arrival_p90)]})
        item_stats = _item_buffers(session, item_id)
        demand, promises, allocations = promise_backorders(
            session, as_of, settings, {item_id}, fresh, item_stats
        )
        store_promises(session, demand, promises, allocations)
        result.backorders = len(demand)
        result.unpromisable = int((promises["status"] == "unpromisable").sum()) if len(promises) else 0

    calendars = CalendarSet({supplier_id: calendar})
    lead = None
    if stats is not None:
        lead = pd.DataFrame({"supplier_id": [supplier_id], "median_lead_time_days": [stats["median"]]})
    line_cond = alert_rules.line_conditions(
        with_supplier_today(session, frame, as_of), as_of, calendars, settings, lead_times=lead
    )
    if len(demand):
        backorder_cond = alert_rules.backorder_conditions(
            demand.merge(promises, on="backorder_id", how="left")
        )
        conditions = pd.concat([line_cond, backorder_cond], ignore_index=True)
    else:
        conditions = line_cond
    backorder_ids = [int(i) for i in demand["backorder_id"]]
    keys = [f"line:{line_id}"] + [f"backorder:{i}" for i in backorder_ids]
    live = live_alerts_of(session, line_id, backorder_ids, keys)
    if conditions.empty and live.empty:
        return result  # nothing holds and nothing was live: reconcile would write nothing
    now = utcnow()
    plan = alert_rules.reconcile(
        live, conditions, now, pd.Series(keys, dtype="object"), reopen_days=settings.alert_reopen_days
    )
    apply_alert_plan(session, plan, as_of, now, result)
    return result


def _supplier_stats(
    session: Session, supplier_id: int
) -> tuple[dict[str, float] | None, SupplierRecord | None]:
    """The supplier's stored statistics: its median lead time and calibration record.

    (None, None) when no supplier has statistics yet (never swept); a record of NaN when others do
    but this supplier has none: what the pipeline's frame of every supplier's statistics gives.
    """
    s = SupplierStats
    found = session.execute(
        select(
            s.median_lead_time_days,
            s.forecast_records,
            s.start_delay_days,
            s.start_delay_sd,
            s.rate_ratio,
            s.rate_ratio_sd,
        ).where(s.supplier_id == supplier_id)
    ).first()
    if found is None:
        if not session.scalar(select(exists().where(s.supplier_id.is_not(None)))):
            return None, None
        return {"median": math.nan}, SupplierRecord()

    def number(value: Any) -> float:
        return math.nan if value is None else float(value)

    median, records, delay, delay_sd, ratio, ratio_sd = (number(v) for v in found)
    return {"median": median}, SupplierRecord(records, delay, delay_sd, ratio, ratio_sd)


def _item_buffers(session: Session, item_id: int) -> pd.DataFrame:
    """supplier_id, buffer_days of the suppliers with open lines of the item (what its supply reads)."""
    suppliers = select(PoLine.supplier_id).where(
        PoLine.item_id == item_id, PoLine.status.in_(OPEN_LINE_STATUSES)
    )
    rows = session.execute(
        select(SupplierStats.supplier_id, SupplierStats.buffer_days).where(
            SupplierStats.supplier_id.in_(suppliers)
        )
    ).all()
    return pd.DataFrame(
        {
            "supplier_id": pd.array([int(r[0]) for r in rows], dtype="Int64"),
            "buffer_days": pd.array([int(r[1]) for r in rows], dtype="int64"),
        }
    )


def _none_if_nan(value: float) -> float | None:
    return None if math.isnan(value) else value


def _store_forecast(session: Session, f: LineForecastRow, as_of: dt.date) -> None:
    """Replace the line's stored forecast (what :func:`stores.store_forecasts` writes for it)."""
    session.execute(delete(LineForecast).where(LineForecast.po_line_id == f.line_id))
    session.execute(
        insert(LineForecast).values(
            po_line_id=f.line_id,
            as_of=as_of,
            produced=f.produced,
            remaining=f.remaining,
            rate=_none_if_nan(f.rate),
            rate_source=f.rate_source,
            completion_p50=f.completion_p50,
            completion_p90=f.completion_p90,
            arrival_p50=f.arrival_p50,
            arrival_p90=f.arrival_p90,
            days_late_p50=None if math.isnan(f.days_late_p50) else int(f.days_late_p50),
            days_late_p90=None if math.isnan(f.days_late_p90) else int(f.days_late_p90),
            computed_at=utcnow(),
        )
    )


def _ts(value: dt.date | None) -> pd.Timestamp:
    return pd.NaT if value is None else pd.Timestamp(value)


def _line_frame(
    row: Any,
    status: str,
    line: OpenLine,
    schedule: Any,
    previous_end: dt.date | None,
    f: LineForecastRow,
) -> pd.DataFrame:
    """The line's one row as the pipeline's frame holds it (lines, schedule, forecast): the alert
    rules' input."""
    return pd.DataFrame(
        {
            "line_id": [line.line_id],
            "po_number": [row.po_number],
            "line": [row.line],
            "supplier_id": [line.supplier_id],
            "supplier_code": [row.code],
            "item_id": [int(row.item_id)],
            "quantity": [line.quantity],
            "status": [status],
            "order_date": [_ts(row.order_date)],
            "need_by_date": [_ts(row.need_by_date)],
            "promised_date": [_ts(row.promised_date)],
            "transit_days": [line.transit_days],
            "label": [f"{row.po_number}/{row.line}"],
            "schedule_revision": [schedule.revision if schedule is not None else math.nan],
            "start_date": [_ts(line.start_date)],
            "daily_output": [line.daily_output if line.daily_output is not None else math.nan],
            "estimated_end_date": [_ts(schedule.estimated_end_date if schedule is not None else None)],
            "previous_estimated_end_date": [_ts(previous_end)],
            "produced": [f.produced],
            "rejected": [f.rejected],
            "remaining": [f.remaining],
            "reported_days": [f.reported_days],
            "last_report_date": [_ts(f.last_report_date)],
            "rate": [f.rate],
            "rate_sd": [f.rate_sd],
            "rate_source": [f.rate_source],
            "completion_p50": [_ts(f.completion_p50)],
            "completion_p90": [_ts(f.completion_p90)],
            "arrival_p50": [_ts(f.arrival_p50)],
            "arrival_p90": [_ts(f.arrival_p90)],
            "days_late_p50": [f.days_late_p50],
            "days_late_p90": [f.days_late_p90],
        }
    )


def live_alerts_of(session: Session, line_id: int, backorder_ids: list[int], keys: list[str]) -> pd.DataFrame:
    """:func:`loaders.live_alerts` of one line and some backorders, found by their indexed ids."""
    subject = Alert.po_line_id == line_id
    if backorder_ids:
        subject = or_(subject, Alert.backorder_id.in_(backorder_ids))
    return live_alerts(session, keys, where=subject)


__all__ = ["LEAN_LINES", "cached_settings", "live_alerts_of", "recompute_line", "recompute_posted"]
