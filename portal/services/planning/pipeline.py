"""The pipeline both entry points share: supplier statistics, then forecasts -> promises -> alerts for
everything (the sweep) or for a scope (a recompute)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Collection
from typing import Any

import numpy as np
import pandas as pd
from sqlalchemy import select, true
from sqlalchemy.orm import Session

from db.frames import read_frame, read_frame_for_ids
from db.joins import with_waiting_backorders_item
from db.models import Backorder, Item, PoLine, Supplier, SupplierDailyOutput, utcnow
from portal.core import alerts as alert_rules
from portal.core import buffers as buffer_rules
from portal.core import calibration, history
from portal.core import promise as promise_rules
from portal.core.calendar import CalendarSet
from portal.core.domain import AlertRule
from portal.core.forecast import forecast_lines
from portal.core.settings import Settings
from portal.core.timezones import supplier_today
from portal.services.calendars import load_calendars
from portal.services.daily_outputs import daily_output_from_reports
from portal.services.planning.alert_store import apply_alert_plan
from portal.services.planning.loaders import (
    live_alerts,
    load_forecast_record,
    load_history_lines,
    load_open_lines,
    load_previous_forecasts,
    load_receipts,
    load_reports,
    load_schedules,
    load_stored_forecasts,
    supplier_frame,
)
from portal.services.planning.problems import refresh_problems, subjects_of_items
from portal.services.planning.result import SweepResult, Timer
from portal.services.planning.seen import record_run
from portal.services.planning.shard import Shard, shard_alerts
from portal.services.planning.stores import store_forecasts, store_promises
from portal.services.summaries import report_stats_for


def supplier_statistics(
    session: Session,
    settings: Settings,
    as_of: dt.date | None = None,
    *,
    from_reports: bool = False,
    distrust: Collection[int] = (),
) -> pd.DataFrame:
    """Learn each supplier's buffer, median lead time and observed capacity from its history:
    only receipts and reports dated on or before ``as_of`` when given, so a past-dated sweep
    never learns from what happened after its day. Daily output comes from the suppliers' daily
    totals, or (``from_reports``, when those were found wrong) from the reports themselves; the
    forecast record from the lines' production summaries except the ``distrust`` lines (found
    wrong by a verify), or with ``from_reports`` from the reports."""
    lines = load_history_lines(session, as_of)
    receipts = load_receipts(session, None if not lines.empty else [], as_of)
    delivered = history.delivered_history(lines, receipts, settings.in_full_threshold)
    buffers = buffer_rules.supplier_buffers(
        delivered[["supplier_id", "due_date", "delivered_date", "order_date", "quantity", "item_id"]],
        quantile=settings.buffer_quantile,
        min_history=settings.buffer_min_history,
    )
    lead = history.median_lead_times(delivered)
    suppliers = read_frame(session, select(Supplier.id), ["supplier_id"])
    # Keys as nullable ints on every side: an empty history gives object-typed frames.
    suppliers["supplier_id"] = suppliers["supplier_id"].astype("Int64")
    own = buffers[buffers["supplier_id"].notna()].astype({"supplier_id": "Int64"})
    lead = lead.astype({"supplier_id": "Int64"})
    stats = suppliers.merge(own, on="supplier_id", how="left").merge(lead, on="supplier_id", how="left")
    stats = with_observed_capacity(session, stats, settings, as_of, from_reports=from_reports)
    fallback = int(buffer_rules.buffer_for(buffers, np.array([-1]))[0]) if len(buffers) else 0
    stats["buffer_days"] = stats["buffer_days"].fillna(fallback).astype("int64")
    stats["deliveries"] = stats["deliveries"].fillna(0).astype("int64")
    # Forecast calibration: each supplier's start delays and duration ratios known on as_of.
    record = load_forecast_record(session, as_of, from_reports=from_reports, distrust=distrust)
    calendars = load_calendars(session, set(record["supplier_id"].astype(int)))
    records = calibration.line_records(record, calendars, settings.forecast_min_reported_days)
    learned = calibration.supplier_calibration(records, stats["supplier_id"].astype("int64"))
    return stats.merge(learned.astype({"supplier_id": "Int64"}), on="supplier_id", how="left")


def with_observed_capacity(
    session: Session,
    stats: pd.DataFrame,
    settings: Settings,
    as_of: dt.date | None,
    *,
    from_reports: bool = False,
) -> pd.DataFrame:
    """``stats`` with each supplier's observed capacity learned again (``observed_capacity_p90``):
    the chosen percentile of its total good output per day, known on ``as_of``. Cheap (one row per
    supplier and day) and changed by every report, so a sweep learns it every time."""
    if from_reports:
        daily = read_frame(
            session, daily_output_from_reports(as_of), ["supplier_id", "report_date", "good_qty"]
        )
    else:
        # Kept with every report (portal.services.daily_outputs.add_daily_output): no pass over the reports.
        daily = read_frame(
            session,
            select(
                SupplierDailyOutput.supplier_id, SupplierDailyOutput.report_date, SupplierDailyOutput.good_qty
            ).where(SupplierDailyOutput.report_date <= as_of if as_of is not None else true()),
            ["supplier_id", "report_date", "good_qty"],
        )
    capacity = history.observed_capacity(daily, settings.capacity_percentile)
    stats = stats.copy()
    stats["observed_capacity_p90"] = capacity.reindex(stats["supplier_id"]).to_numpy()
    return stats


def forecast_open_lines(
    session: Session,
    lines: pd.DataFrame,
    calendars: CalendarSet,
    as_of: dt.date,
    settings: Settings,
    stats: pd.DataFrame | None = None,
    *,
    verify: bool = False,
    bad: pd.DataFrame | None = None,
    result: SweepResult | None = None,
    from_reports: bool = False,
) -> pd.DataFrame:
    """Lines joined with their current schedule and forecast: the frame alert rules read.

    Each line's report statistics and the days its calibration reads come from its production
    summary, never its reports (``verify``/``bad``: see :func:`report_stats_for`).
    ``from_reports``: everything from the raw reports instead (the reference the summaries must
    equal; the tests compare the two).
    """
    ids = lines["line_id"].tolist()
    schedules = load_schedules(session, ids if len(ids) < 50_000 else None)
    lines = lines.merge(schedules, on="line_id", how="left")
    # The sweep and every recompute calibrate; no supplier stats (the reference test) keeps the plain rule.
    learned = (
        None if stats is None else stats.reindex(columns=["supplier_id", *calibration.CALIBRATION_COLUMNS])
    )
    if from_reports:
        reports = load_reports(session, ids if len(ids) < 50_000 else None, as_of)
        reports = reports[reports["line_id"].isin(ids)]
        forecast = forecast_lines(lines, reports, calendars, as_of, settings, calibration=learned)
        return lines.merge(forecast, on="line_id", how="left")
    report_stats, inconsistent = report_stats_for(
        session, lines, as_of, settings, full=len(ids) >= 50_000, verify=verify, bad=bad
    )
    if result is not None:
        result.inconsistent = inconsistent
    forecast = forecast_lines(
        lines, None, calendars, as_of, settings, stats=report_stats, calibration=learned
    )
    return lines.merge(forecast, on="line_id", how="left")


def promise_backorders(
    session: Session,
    as_of: dt.date,
    settings: Settings,
    item_ids: Collection[int] | None,
    fresh: pd.DataFrame,
    stats: pd.DataFrame,
    shard: Shard | None = None,
    *,
    open_lines: pd.DataFrame | None = None,
) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame]:
    """Allocate supply to the waiting backorders of these items (all when None; a shard's items).

    ``open_lines``: every open line of these items as of that day, already loaded (the sweep's):
    the supply is taken from it instead of read again."""
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
    stmt = with_waiting_backorders_item(
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
    )
    if as_of < dt.date.today():
        stmt = stmt.where(Backorder.order_date <= as_of)  # a past-dated sweep: not yet ordered then
    if shard is not None:
        stmt = stmt.where(shard.owns(Backorder.item_id))
    demand = read_frame_for_ids(session, stmt, Backorder.item_id, item_ids, bo_cols)
    for col in ("order_date", "communicated_date", "previous_promise_date"):
        demand[col] = pd.to_datetime(demand[col])
    if demand.empty:
        empty = pd.DataFrame(columns=["backorder_id", "promise_date", "status", "reason", "reason_args"])
        return (
            demand,
            empty,
            pd.DataFrame(columns=["backorder_id", "po_line_id", "quantity", "available_date"]),
        )
    items_in_play = sorted(set(demand["item_id"].astype(int)))
    on_hand = read_frame_for_ids(
        session, select(Item.id, Item.on_hand), Item.id, items_in_play, ["item_id", "on_hand"]
    )
    # Supply lines: open lines of these items, with the freshest forecast we have.
    if open_lines is not None:
        supply_lines = open_lines[open_lines["item_id"].isin(items_in_play)].reset_index(drop=True)
    else:
        supply_lines = load_open_lines(
            session, item_ids=items_in_play, as_of=as_of, in_full=settings.in_full_threshold
        )
    # The stored forecasts only of the lines not forecast just now (none in a sweep).
    unseen = (
        supply_lines["line_id"][~supply_lines["line_id"].isin(fresh["line_id"])]
        if len(fresh)
        else (supply_lines["line_id"])
    )
    stored = load_stored_forecasts(session, unseen.tolist())
    arrival = stored.set_index("line_id")["arrival_p90"]
    if not fresh.empty:
        arrival = pd.concat(
            [arrival[~arrival.index.isin(fresh["line_id"])], fresh.set_index("line_id")["arrival_p90"]]
        )
    supply_lines["arrival_p90"] = pd.to_datetime(arrival.reindex(supply_lines["line_id"]).to_numpy())
    supply_ids = supply_lines["line_id"].tolist()
    if len(supply_ids) >= 50_000:  # a sweep: the open lines' receipts in one statement, not 20 IN batches
        receipts = load_receipts(session, None, as_of, open_lines_only=True)
        receipts = receipts[receipts["po_line_id"].isin(supply_ids)]
    else:
        receipts = load_receipts(session, supply_ids, as_of)
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


def with_supplier_today(session: Session, frame: pd.DataFrame, as_of: dt.date) -> pd.DataFrame:
    """A live run (as of today) counts stale days up to each supplier's own today, in its time zone."""
    if frame.empty or as_of < dt.date.today():
        return frame
    ids = sorted({int(i) for i in frame["supplier_id"]})
    zones = dict(session.execute(select(Supplier.id, Supplier.timezone).where(Supplier.id.in_(ids))).all())
    now = dt.datetime.now(dt.UTC)
    days = {sid: pd.Timestamp(supplier_today(zones.get(sid), now)) for sid in ids}
    return frame.assign(supplier_today=frame["supplier_id"].astype(int).map(days).astype("datetime64[ns]"))


def with_late_since(
    session: Session, frame: pd.DataFrame, as_of: dt.date, settings: Settings, calendars: CalendarSet
) -> pd.DataFrame:
    """The frame with ``late_since``, the day since which each line has been confidently late or
    stalled (:func:`portal.core.alerts.late_since`, NaT: neither), kept from the line's stored
    forecast; read before the run stores its own (which carries it)."""
    late_now = alert_rules.late_or_stalled(frame, calendars, settings) if len(frame) else np.zeros(0, bool)
    since = np.full(len(frame), np.datetime64("NaT", "D"))
    if late_now.any():
        previous = load_previous_forecasts(session, frame.loc[late_now, "line_id"].astype(int).tolist())
        rows = frame[["line_id"]].astype({"line_id": "int64"})
        rows = rows.merge(previous.astype({"line_id": "int64"}), on="line_id", how="left")
        since = alert_rules.late_since(
            late_now, rows["as_of"].to_numpy(), rows["late_since"].to_numpy(), as_of
        )
    return frame.assign(late_since=pd.to_datetime(since))


def with_late_confirmed(
    frame: pd.DataFrame, as_of: dt.date, settings: Settings, live: pd.DataFrame
) -> pd.DataFrame:
    """The frame with ``late_confirmed``: PROJECTED_LATE has held for the days the admin set (its
    ``late_since``) or is raised already (a live or dismissed alert of the line)."""
    held = alert_rules.held_late(frame["late_since"].to_numpy(), as_of, settings)
    raised = set(live.loc[live["rule"] == AlertRule.PROJECTED_LATE.value, "subject_key"])
    keys = "line:" + frame["line_id"].astype("int64").astype(str)
    return frame.assign(late_confirmed=held | keys.isin(raised).to_numpy(dtype=bool))


def run_pipeline(
    session: Session,
    as_of: dt.date,
    settings: Settings,
    *,
    line_ids: Collection[int] | None,
    item_ids: Collection[int] | None,
    stats: pd.DataFrame,
    result: SweepResult,
    verify: bool = False,
    bad: pd.DataFrame | None = None,
    from_reports: bool = False,
    shard: Shard | None = None,
    write_all: bool = False,
    keep_problems: bool = True,
) -> None:
    """The pipeline: forecasts -> promises -> alerts, for everything (ids None), a shard of
    everything (its items' lines and backorders, its suppliers), or a scope.

    Only what changed is written (see :mod:`portal.services.planning.stores`); ``write_all``:
    every row, as a reference. ``keep_problems``: keep the inbox problems of the subjects it
    reconciled and of its items' lines and backorders (a sweep over everything, which rebuilds
    them all once at its end, passes False; see :mod:`portal.services.planning.problems`)."""
    timer = Timer(result)
    now = utcnow()
    everything = line_ids is None
    full = everything and shard is None
    lines = load_open_lines(
        session,
        line_ids,
        as_of=as_of,
        in_full=settings.in_full_threshold,
        where=None if shard is None else shard.owns(PoLine.item_id),
    )
    calendars = load_calendars(session, None if everything else set(lines["supplier_id"].astype(int)))
    timer.mark("load_lines")
    frame = forecast_open_lines(
        session,
        lines,
        calendars,
        as_of,
        settings,
        stats,
        verify=verify,
        bad=bad,
        result=result,
        from_reports=from_reports,
    )
    timer.mark("forecast")
    frame = with_late_since(session, frame, as_of, settings, calendars)  # read before this run stores its own
    store_forecasts(session, frame, as_of, line_ids, shard, result=result, write_all=write_all)
    result.lines += len(frame)  # added up: a sweep in item chunks runs this once per chunk
    timer.mark("store_forecasts")

    scope_items = None if everything else set(item_ids or ()) | set(frame["item_id"].astype(int))
    demand, promises, allocations = promise_backorders(
        session, as_of, settings, scope_items, frame, stats, shard, open_lines=lines if everything else None
    )
    timer.mark("promises")
    store_promises(session, demand, promises, allocations, shard, result=result, write_all=write_all)
    result.backorders += len(demand)
    result.unpromisable += int((promises["status"] == "unpromisable").sum()) if len(promises) else 0
    timer.mark("store_promises")

    # Alerts: line rules for the recomputed lines, backorder rules for the backorders whose
    # promises were recomputed. The supplier rule (CAPACITY_OVERLOAD) weighs every open line of
    # a supplier: it runs in the sweep only, so a supplier's post stays fast however many lines
    # it has (the sweep runs every few minutes from cron or the scheduler); a shard runs it for
    # its own suppliers, over their lines of every item (remaining units only: no forecast needed).
    lead = stats[["supplier_id", "median_lead_time_days"]] if len(stats) else None
    seen: Any = None  # the alerts reconciled, as SQL (None: by their ids)
    scope: pd.Series | None = None  # the subjects re-evaluated (None: every one)
    if full:
        live = live_alerts(session, None)
        seen = true()
    elif shard is not None:
        seen = shard_alerts(shard)
        live = live_alerts(session, None, where=seen)
    else:
        all_line_ids = {int(i) for i in (line_ids or ())}
        scope = pd.Series(
            [f"line:{i}" for i in sorted(all_line_ids | set(frame["line_id"].astype(int)))]
            + [f"backorder:{int(i)}" for i in demand["backorder_id"]],
            dtype="object",
        )
        live = live_alerts(session, scope.tolist())
    timer.mark("live_alerts")
    # Texts are worded only where their hash differs from the live alert's (a rewrite: everywhere).
    known = (
        alert_rules.KnownMessages()
        if write_all
        else alert_rules.KnownMessages.of(live, "stored_message_hash")
    )
    frame = with_late_confirmed(frame, as_of, settings, live)
    line_cond = alert_rules.line_conditions(
        with_supplier_today(session, frame, as_of), as_of, calendars, settings, lead_times=lead, known=known
    )
    if full:
        suppliers = supplier_frame(session, None, stats)
        supplier_cond = alert_rules.supplier_conditions(
            frame, suppliers, None, as_of, calendars, settings, known=known
        )
    elif shard is not None:
        supplier_cond = _shard_supplier_conditions(
            session, shard, as_of, settings, calendars, stats, bad, known
        )
    else:
        supplier_cond = alert_rules.empty_conditions(hashed=True)
    if len(demand):
        backorder_cond = alert_rules.backorder_conditions(
            demand.merge(promises, on="backorder_id", how="left"), known=known
        )
    else:
        backorder_cond = alert_rules.empty_conditions(hashed=True)
    current = pd.concat([line_cond, supplier_cond, backorder_cond], ignore_index=True)
    timer.mark("alert_conditions")
    if shard is not None:
        scope = pd.Series(sorted(set(live["subject_key"]) | set(current["subject_key"])), dtype="object")
    plan = alert_rules.reconcile(live, current, now, scope, reopen_days=settings.alert_reopen_days)
    timer.mark("reconcile")
    apply_alert_plan(session, plan, as_of, now, result, live=live, seen=seen, write_all=write_all)
    if keep_problems and not full:
        kept = set(live["subject_key"]) | set(current["subject_key"])
        if scope is not None:
            kept |= set(scope)
        if scope_items is not None:  # promises moved: the orders waiting on each line of the items
            kept |= set(subjects_of_items(session, scope_items))
        refresh_problems(session, as_of, kept)
    if seen is not None:
        # The live alerts this pass found still holding are seen now: recorded once, not per alert.
        record_run(session, now, as_of, shard)
    timer.mark("store_alerts")


def _shard_supplier_conditions(
    session: Session,
    shard: Shard,
    as_of: dt.date,
    settings: Settings,
    calendars: CalendarSet,
    stats: pd.DataFrame,
    bad: pd.DataFrame | None,
    known: alert_rules.KnownMessages | None = None,
) -> pd.DataFrame:
    """CAPACITY_OVERLOAD for the shard's suppliers, over their open lines of every item.

    The rule reads each line's remaining units (quantity - produced, none once shipped), which
    the lines' summaries give as the forecast does, so no other shard's forecasts are needed.
    """
    lines = load_open_lines(
        session, as_of=as_of, in_full=settings.in_full_threshold, where=shard.owns(PoLine.supplier_id)
    )
    if lines.empty:
        return alert_rules.empty_conditions(hashed=known is not None)
    report_stats, _ = report_stats_for(session, lines, as_of, settings, full=len(lines) >= 50_000, bad=bad)
    produced = (
        report_stats.set_index("line_id")["produced"]
        .reindex(lines["line_id"])
        .fillna(0)
        .to_numpy(dtype="float64")
    )
    remaining = np.maximum(0.0, lines["quantity"].to_numpy(dtype="float64") - produced)
    shipped = (lines["status"].astype(str) == "shipped").to_numpy()
    lines = lines.assign(remaining=np.where(shipped, 0.0, remaining).astype("int64"))
    suppliers = supplier_frame(session, sorted(set(lines["supplier_id"].astype(int))), stats)
    return alert_rules.supplier_conditions(lines, suppliers, None, as_of, calendars, settings, known=known)
