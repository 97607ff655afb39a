"""The planning engine's inputs: one query per table (never one per line), as DataFrames.

Raw driver rows: dates as ISO text (SQLite) or date objects (PostgreSQL), enums as their values;
every loader converts its date columns with pd.to_datetime."""

from __future__ import annotations

import datetime as dt
from collections.abc import Collection
from typing import Any

import numpy as np
import pandas as pd
from sqlalchemy import Executable, Select, case, false, func, select, true, union_all
from sqlalchemy.orm import Session, aliased

from db.frames import read_frame, read_frame_for_ids
from db.models import (
    Alert,
    LineForecast,
    LineProductionSummary,
    PoLine,
    ProductionReport,
    ProductionSchedule,
    Receipt,
    Supplier,
    SupplierStats,
)
from portal.core import alerts as alert_rules
from portal.core import calibration, history
from portal.core.batching import chunked
from portal.core.domain import EVENT_RULES, OPEN_LINE_STATUSES, AlertStatus, LineStatus
from portal.services.summaries import current_reports

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


#: What the forecast reads of a line (with its supplier's code), in this order; callers add the
#: transit days (the line's own, else its supplier's).
LINE_FIELDS = (
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
)


def load_open_lines(
    session: Session,
    line_ids: Collection[int] | None = None,
    *,
    supplier_ids: Collection[int] | None = None,
    item_ids: Collection[int] | None = None,
    as_of: dt.date | None = None,
    in_full: float = 0.98,
    where: Any = None,
) -> pd.DataFrame:
    """Open lines (optionally only these ids / suppliers / items) with effective transit days.

    ``where``: one more SQL condition on the lines (a shard's items or suppliers).

    With ``as_of``: the lines open on that day. A line ordered later did not exist yet, and a
    line received in full only after it (by ``in_full``, the admin's threshold) was still open.
    """
    stmt = select(PoLine.id, *LINE_FIELDS, func.coalesce(PoLine.transit_days, Supplier.transit_days)).join(
        Supplier, Supplier.id == PoLine.supplier_id
    )
    # Imports refuse receipts dated in the future, so only a past-dated sweep can find lines
    # received after its day: the hot path (a post, as of today) keeps the plain filter.
    past = as_of is not None and as_of < dt.date.today()
    if where is not None:
        stmt = stmt.where(where)

    def lines(*conditions: Any) -> pd.DataFrame:
        chosen = stmt.where(*conditions)
        if supplier_ids is not None:
            return read_frame_for_ids(session, chosen, PoLine.supplier_id, supplier_ids, LINE_COLS)
        if item_ids is not None:
            return read_frame_for_ids(session, chosen, PoLine.item_id, item_ids, LINE_COLS)
        return read_frame_for_ids(session, chosen, PoLine.id, line_ids, LINE_COLS)

    if past:
        # Two reads, not one ``status IN (...) OR id IN (received later)``: under an OR PostgreSQL
        # cannot make the IN a semi-join, and a large subquery is no longer hashed (load_receipts).
        ordered = PoLine.order_date.is_(None) | (PoLine.order_date <= as_of)
        received_later = select(Receipt.po_line_id).where(Receipt.received_date > as_of)
        still_open = lines(PoLine.status.in_(OPEN_LINE_STATUSES), ordered)
        received = lines(PoLine.status == LineStatus.RECEIVED, PoLine.id.in_(received_later), ordered)
        frame = pd.concat([still_open, received], ignore_index=True) if len(received) else still_open
    else:
        frame = lines(PoLine.status.in_(OPEN_LINE_STATUSES))
    frame["label"] = frame["po_number"].astype(str) + "/" + frame["line"].astype(str)
    frame["status"] = frame["status"].astype(str).str.replace("LineStatus.", "", regex=False).str.lower()
    for col in ("order_date", "need_by_date", "promised_date"):
        frame[col] = pd.to_datetime(frame[col])
    frame["transit_days"] = frame["transit_days"].fillna(0).astype("int64")
    if past and as_of is not None:  # past implies as_of; the second test tells the type checker
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


def load_schedules(session: Session, line_ids: Collection[int] | None) -> pd.DataFrame:
    """Current schedule per line (of every line when ``line_ids`` is None) with the end date of the revision
    before it."""
    cols = ["line_id", "schedule_revision", "start_date", "daily_output", "estimated_end_date"]
    stmt = select(
        ProductionSchedule.po_line_id,
        ProductionSchedule.revision,
        ProductionSchedule.start_date,
        ProductionSchedule.daily_output,
        ProductionSchedule.estimated_end_date,
    )
    frame = read_frame_for_ids(session, stmt, ProductionSchedule.po_line_id, line_ids, cols)
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
    frame = current_reports(session, line_ids, as_of)
    frame["report_date"] = pd.to_datetime(frame["report_date"])
    return frame


def load_receipts(
    session: Session,
    line_ids: Collection[int] | None = None,
    as_of: dt.date | None = None,
    *,
    open_lines_only: bool = False,
) -> pd.DataFrame:
    """Receipts of these lines (all when None), only those dated on or before ``as_of`` if given.

    ``open_lines_only``: only receipts of lines open on ``as_of`` (and maybe a few more): lines
    not received in full, or received after ``as_of``; a sweep's supply reads those, not the
    whole delivery history."""
    cols = ["po_line_id", "received_date", "quantity", "rejected_qty"]
    stmt = select(Receipt.po_line_id, Receipt.received_date, Receipt.quantity, Receipt.rejected_qty)
    if as_of is not None:
        stmt = stmt.where(Receipt.received_date <= as_of)
    if open_lines_only:
        if line_ids is not None:
            raise ValueError("open_lines_only reads the receipts of every open line: give no line_ids")
        frame = read_frame(session, _of_open_lines(stmt, as_of), cols)
    else:
        frame = read_frame_for_ids(session, stmt, Receipt.po_line_id, line_ids, cols)
    frame["received_date"] = pd.to_datetime(frame["received_date"])
    return frame


def _of_open_lines(receipts: Select[int, dt.date, int, int], as_of: dt.date | None) -> Executable:
    """``receipts`` of the lines open now, and of the lines received in full now whose receipts
    continue after ``as_of`` (open on that day): two joins, one UNION ALL (the two sets are disjoint).

    Not ``po_line_id IN (open lines) OR po_line_id IN (received later)``: under an OR PostgreSQL
    cannot turn the IN into a semi-join, and with a million open lines its subplan no longer fits
    ``work_mem`` to be hashed, so every receipt scanned the open lines again (the XL sweep spent
    more than 8 minutes in that one statement)."""
    with_line = receipts.join(PoLine, PoLine.id == Receipt.po_line_id)
    is_open = PoLine.status.in_(OPEN_LINE_STATUSES)
    if as_of is None:
        return with_line.where(is_open)
    later = aliased(Receipt)
    received_later = select(later.po_line_id).where(later.received_date > as_of)
    return union_all(
        with_line.where(is_open), with_line.where(~is_open, Receipt.po_line_id.in_(received_later))
    )


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
    return read_frame(session, stmt, cols)


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
    return read_frame(session, stmt, STATS_COLUMNS)


def load_forecast_record(
    session: Session,
    as_of: dt.date | None = None,
    *,
    from_reports: bool = False,
    distrust: Collection[int] = (),
) -> pd.DataFrame:
    """Per line with a report (dated on or before ``as_of`` if given): its first schedule's
    start and daily output, its first day with good output, reported days and good output.

    From the lines' production summaries, never the reports, except for the lines a summary cannot
    answer: those with reports dated after ``as_of`` and those in ``distrust`` (found wrong by
    ``sweep --verify``). ``from_reports``: every line from its reports (the reference path).
    """
    per_report = (
        select(
            ProductionReport.po_line_id.label("line_id"),
            func.min(case((ProductionReport.good_qty > 0, ProductionReport.report_date))).label("first"),
            func.count().label("days"),
            func.sum(ProductionReport.good_qty).label("good"),
        )
        .where(ProductionReport.is_current)
        .where(ProductionReport.report_date <= as_of if as_of is not None else true())
        .group_by(ProductionReport.po_line_id)
    )
    if from_reports:
        return _record(session, per_report.subquery())
    summary = LineProductionSummary
    later = summary.last_report_date > as_of if as_of is not None else false()
    distrusted = sorted({int(i) for i in distrust})
    stored = select(
        summary.po_line_id.label("line_id"),
        summary.first_output_date.label("first"),
        summary.reported_days.label("days"),
        summary.produced.label("good"),
    ).where(~later)
    frames = [_record(session, stored.subquery(), exclude=distrusted)]
    if as_of is not None:
        again = per_report.where(ProductionReport.po_line_id.in_(select(summary.po_line_id).where(later)))
        frames.append(_record(session, again.subquery(), exclude=distrusted))
    if distrusted:
        frames.append(_record(session, per_report.subquery(), only=distrusted))
    frame = pd.concat([f for f in frames if len(f)] or frames[:1], ignore_index=True)
    return frame.sort_values("line_id", ignore_index=True)


def _record(
    session: Session, reports: Any, *, exclude: Collection[int] = (), only: Collection[int] | None = None
) -> pd.DataFrame:
    """The record's rows for the per-line figures in ``reports`` (line_id, first, days, good)."""
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
    cols = list(calibration.RECORD_INPUT_COLUMNS)
    if only is not None:
        frame = read_frame_for_ids(session, stmt, PoLine.id, only, cols)
    else:
        frame = read_frame(session, stmt, cols)
        if exclude:
            frame = frame[~frame["line_id"].isin(list(exclude))]
    for col in ("planned_start", "first_output_date"):
        frame[col] = pd.to_datetime(frame[col])
    frame["produced"] = pd.to_numeric(frame["produced"])
    return frame.reset_index(drop=True)


def load_stored_forecasts(session: Session, line_ids: Collection[int]) -> pd.DataFrame:
    cols = ["line_id", "remaining", "arrival_p90", "completion_p90"]
    stmt = select(
        LineForecast.po_line_id, LineForecast.remaining, LineForecast.arrival_p90, LineForecast.completion_p90
    )
    frame = read_frame_for_ids(session, stmt, LineForecast.po_line_id, line_ids, cols)
    for col in ("arrival_p90", "completion_p90"):
        frame[col] = pd.to_datetime(frame[col])
    return frame


def load_previous_forecasts(session: Session, line_ids: Collection[int]) -> pd.DataFrame:
    """The stored forecasts' day and late_since of these lines (before a run replaces them)."""
    cols = ["line_id", "as_of", "late_since"]
    stmt = select(LineForecast.po_line_id, LineForecast.as_of, LineForecast.late_since)
    frame = read_frame_for_ids(session, stmt, LineForecast.po_line_id, line_ids, cols)
    for col in ("as_of", "late_since"):
        frame[col] = pd.to_datetime(frame[col])
    return frame


def count_rows(session: Session, model: Any, *where: Any) -> int:
    return int(session.scalar(select(func.count()).select_from(model).where(*where)) or 0)


def alert_value_columns() -> list[str]:
    """The stored alert columns a sweep compares an update with, to write only alerts that differ:
    those an update writes (``UPDATE_COLUMNS`` and ``message_hash``) but the key, the timestamps
    and the texts, which their hash stands for (so they are never read back)."""
    table = Alert.__table__
    columns = [*alert_rules.UPDATE_COLUMNS, "message_hash"]
    texts = ("message", "message_args")
    return [c for c in columns if c in table.c and c not in ("id", "last_seen", *texts)]


def live_alerts(session: Session, keys: Collection[str] | None, *, where: Any = None) -> pd.DataFrame:
    """The non-resolved alerts, and the dismissed ones (resolved by a person, dismissal not ended);
    all, or those of these subject keys, or (``where``) those meeting one more SQL condition.

    With the stored value of each :func:`alert_value_columns` column as ``stored_<column>`` (those
    already among the live columns read once); ``stored_message_hash`` 0 where none is stored (a
    NULL would turn the column into floats, which drop a hash's low bits)."""
    values = alert_value_columns()
    extra = [c for c in values if c not in alert_rules.LIVE_COLUMNS]
    cols = [*alert_rules.LIVE_COLUMNS, *(f"stored_{c}" for c in extra)]
    table = Alert.__table__
    stmt = select(
        Alert.id,
        Alert.rule,
        Alert.subject_key,
        Alert.severity,
        Alert.status,
        Alert.snoozed_until,
        Alert.dismissed_severity,
        Alert.dismissed_days_late,
        *(func.coalesce(table.c[c], 0) if c == "message_hash" else table.c[c] for c in extra),
    ).where(
        (Alert.status != AlertStatus.RESOLVED) | Alert.dismissed_severity.is_not(None),
        # Event alerts (a change order) hold no condition a recompute could find cleared.
        Alert.rule.not_in([r.value for r in EVENT_RULES]),
    )
    if where is not None:
        stmt = stmt.where(where)
    if keys is None:
        frame = read_frame(session, stmt, cols)
    else:
        frames = [
            read_frame(session, stmt.where(Alert.subject_key.in_(chunk)), cols)
            for chunk in chunked(sorted(keys))
        ]
        frame = pd.concat(frames, ignore_index=True) if frames else pd.DataFrame(columns=cols)
    # Raw driver rows: enum columns are already their values (VARCHAR), nothing to map.
    frame["dismissed_days_late"] = pd.to_numeric(frame["dismissed_days_late"]).astype("Float64")
    for c in values:
        if c in alert_rules.LIVE_COLUMNS:
            frame[f"stored_{c}"] = frame[c]
    if "stored_message_hash" in frame:
        frame["stored_message_hash"] = frame["stored_message_hash"].astype("int64")
    return frame


def supplier_frame(
    session: Session, supplier_ids: Collection[int] | None, stats: pd.DataFrame
) -> pd.DataFrame:
    cols = ["supplier_id", "supplier_code", "capacity_per_day"]
    frame = read_frame_for_ids(
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
