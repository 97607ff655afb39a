"""Reads about PO lines: the open-lines tables of suppliers and buyers, and one line's detail."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd
from sqlalchemy import Select, func, select

from db.engine import Database
from db.frames import enum_values, load_frame
from db.joins import current_schedule_subquery, with_line_supplier_and_item
from db.models import (
    Alert,
    Backorder,
    BackorderAllocation,
    Item,
    LineForecast,
    PoLine,
    ProductionReport,
    Supplier,
    SupplierClosure,
    severity_rank,
)
from portal.core.calendar import WorkCalendar
from portal.core.domain import OPEN_LINE_STATUSES, AlertStatus, BackorderStatus, LineStatus, Severity
from portal.core.fileformats import line_keys
from portal.core.forecast import FORECAST_DATES
from portal.core.timezones import supplier_today
from portal.queries.text_search import holds, typed_text
from portal.services.access import ALL_ROLES, Actor, scope_to_actor, service

OPEN_LINE_COLUMNS = [
    "line_id",
    "line",
    "supplier_code",
    "supplier_name",
    "sku",
    "item",
    "quantity",
    "status",
    "need_by_date",
    "promised_date",
    "estimated_end_date",
    "produced",
    "remaining",
    "rate",
    *FORECAST_DATES,
    "open_alerts",
    "worst_severity",
    "backorders_waiting",
    "backorder_qty",
]

#: A line's forecast figures, in the order the open-lines table and the forecasts export show them.
FORECAST_FIGURES = (
    LineForecast.produced,
    LineForecast.remaining,
    LineForecast.rate,
    LineForecast.completion_p50,
    LineForecast.completion_p90,
    LineForecast.arrival_p50,
    LineForecast.arrival_p90,
)

#: Customer backorders counting on a line: staff only (they name customers' orders, not the supplier's).
BACKORDER_COLUMNS = ("backorders_waiting", "backorder_qty")


@dataclass(frozen=True)
class LineFilter:
    """What the open-lines tables can be narrowed to; all optional."""

    supplier_ids: tuple[int, ...] = ()
    statuses: tuple[str, ...] = ()
    item_ids: tuple[int, ...] = ()
    late_only: bool = False
    text: str = ""
    line_ids: tuple[int, ...] = ()


def _filtered_ids(actor: Actor, filters: LineFilter) -> Select[*tuple[Any, ...]]:
    """The ids of the lines matching ``filters`` that the actor may see (no details: cheap to sort)."""
    stmt = (
        with_line_supplier_and_item(select(PoLine.id))
        .outerjoin(LineForecast, LineForecast.po_line_id == PoLine.id)
        .where(PoLine.status.in_(filters.statuses or OPEN_LINE_STATUSES))
    )
    stmt = scope_to_actor(stmt, PoLine.supplier_id, actor)
    if filters.supplier_ids:
        stmt = stmt.where(PoLine.supplier_id.in_(filters.supplier_ids))
    if filters.item_ids:
        stmt = stmt.where(PoLine.item_id.in_(filters.item_ids))
    if filters.line_ids:
        stmt = stmt.where(PoLine.id.in_(filters.line_ids))
    if filters.late_only:
        stmt = stmt.where(LineForecast.days_late_p90 > 0)
    if (pattern := typed_text(filters.text)) is not None:
        stmt = stmt.where(
            holds(PoLine.po_number, pattern) | holds(Item.sku, pattern) | holds(Supplier.code, pattern)
        )
    return stmt


def _details_stmt(line_ids: Sequence[int], *, backorders: bool = True) -> Select[*tuple[Any, ...]]:
    """Everything the open-lines tables show, for these lines only (subqueries aggregate just them)."""
    sched = current_schedule_subquery(line_ids)
    alerts = (
        select(
            Alert.po_line_id,
            func.count(Alert.id).label("n"),
            func.max(severity_rank(Alert.severity)).label("worst"),
        )
        .where(Alert.status != AlertStatus.RESOLVED, Alert.po_line_id.in_(line_ids))
        .group_by(Alert.po_line_id)
        .subquery("line_alerts")
    )
    waiting = (
        select(
            BackorderAllocation.po_line_id,
            func.count(func.distinct(BackorderAllocation.backorder_id)).label("n"),
            func.sum(BackorderAllocation.quantity).label("qty"),
        )
        .join(Backorder, Backorder.id == BackorderAllocation.backorder_id)
        .where(Backorder.status == BackorderStatus.WAITING, BackorderAllocation.po_line_id.in_(line_ids))
        .group_by(BackorderAllocation.po_line_id)
        .subquery("line_backorders")
    )
    waiting_columns = (func.coalesce(waiting.c.n, 0), func.coalesce(waiting.c.qty, 0)) if backorders else ()
    stmt = (
        with_line_supplier_and_item(
            select(
                PoLine.id,
                PoLine.label,
                Supplier.code,
                Supplier.name,
                Item.sku,
                Item.description,
                PoLine.quantity,
                PoLine.status,
                PoLine.need_by_date,
                PoLine.promised_date,
                sched.c.estimated_end_date,
                *FORECAST_FIGURES,
                LineForecast.days_late_p50,
                LineForecast.days_late_p90,
                func.coalesce(alerts.c.n, 0),
                alerts.c.worst,
                *waiting_columns,
            )
        )
        .outerjoin(sched, sched.c.po_line_id == PoLine.id)
        .outerjoin(LineForecast, LineForecast.po_line_id == PoLine.id)
        .outerjoin(alerts, alerts.c.po_line_id == PoLine.id)
        .where(PoLine.id.in_(line_ids))
    )
    return stmt.outerjoin(waiting, waiting.c.po_line_id == PoLine.id) if backorders else stmt


def _typed(frame: pd.DataFrame) -> pd.DataFrame:
    for col in (
        "need_by_date",
        "promised_date",
        "estimated_end_date",
        "completion_p50",
        "completion_p90",
        "arrival_p50",
        "arrival_p90",
    ):
        frame[col] = pd.to_datetime(frame[col])
    frame["status"] = enum_values(frame["status"])
    frame["worst_severity"] = frame["worst_severity"].map(
        lambda v: Severity.from_rank(v).value if pd.notna(v) else None
    )
    for col in ("produced", "remaining", "days_late_p50", "days_late_p90"):
        frame[col] = frame[col].astype("Int64")
    frame["rate"] = frame["rate"].astype("float64")
    return frame


@service(*ALL_ROLES, writes=False)
def open_lines(
    db: Database, actor: Actor, filters: LineFilter = LineFilter(), *, limit: int = 500, offset: int = 0
) -> tuple[pd.DataFrame, int]:
    """Open lines the actor may see, most urgent first (days late p90, then need-by), and their count.

    Two steps, so a page costs the same with 100 or 100,000 lines: sort and cut the matching
    ids, then read the details (schedule, alerts, backorders) of that page's lines only. A
    supplier user gets no backorder columns: customers' orders are not its business.
    """
    staff = not actor.is_supplier
    columns = [c for c in OPEN_LINE_COLUMNS if staff or c not in BACKORDER_COLUMNS]
    ids = _filtered_ids(actor, filters)
    urgency = func.coalesce(LineForecast.days_late_p90, -10_000)
    page = ids.order_by(urgency.desc(), PoLine.need_by_date, PoLine.id).limit(limit).offset(offset)
    with db.read() as session:
        page_ids = list(session.scalars(page))
        total = int(session.scalar(select(func.count()).select_from(ids.subquery())) or 0)
        rows = session.execute(_details_stmt(page_ids, backorders=staff)).all() if page_ids else []
    frame = pd.DataFrame(rows, columns=columns)
    order = {line_id: position for position, line_id in enumerate(page_ids)}
    frame = frame.sort_values("line_id", key=lambda s: s.map(order)).reset_index(drop=True)
    return _typed(frame), total


@service(*ALL_ROLES, writes=False)
def line_choices(db: Database, actor: Actor, *, open_only: bool = True) -> pd.DataFrame:
    """(line_id, label, sku, item_id, item, status) of the lines the actor may pick in a form."""
    stmt = (
        select(
            PoLine.id,
            PoLine.po_number,
            PoLine.line,
            Item.sku,
            PoLine.status,
            PoLine.supplier_id,
            PoLine.item_id,
            Item.description,
        )
        .join(Item, Item.id == PoLine.item_id)
        .order_by(PoLine.po_number, PoLine.line)
    )
    if open_only:
        stmt = stmt.where(PoLine.status.in_(OPEN_LINE_STATUSES))
    stmt = scope_to_actor(stmt, PoLine.supplier_id, actor)
    with db.read() as session:
        frame = load_frame(
            session, stmt, ["line_id", "po_number", "line", "sku", "status", "supplier_id", "item_id", "item"]
        )
    frame["label"] = line_keys(frame)
    return frame


OUTPUT_SHEET_COLUMNS = [
    "line_id",
    "po_number",
    "line_no",
    "line",
    "sku",
    "item",
    "status",
    "quantity",
    "daily_output",
    "produced",
    "remaining",
    "need_by_date",
    "arrival_p50",
    "posted_good_qty",
    "posted_rejected_qty",
    "posted_note",
    "posted_by",
]


@service(*ALL_ROLES, writes=False)
def output_sheet(db: Database, actor: Actor, report_date: dt.date, *, limit: int = 500) -> pd.DataFrame:
    """Lines producing on ``report_date`` (in production, or open and started) with what is posted for it."""
    sched = current_schedule_subquery()
    posted = (
        select(
            ProductionReport.po_line_id,
            ProductionReport.good_qty,
            ProductionReport.rejected_qty,
            ProductionReport.note,
            ProductionReport.created_by_name,
        )
        .where(ProductionReport.is_current, ProductionReport.report_date == report_date)
        .subquery("posted")
    )
    started = (PoLine.status == LineStatus.IN_PRODUCTION) | (
        (PoLine.status == LineStatus.OPEN) & (sched.c.start_date <= report_date)
    )
    stmt = (
        select(
            PoLine.id,
            PoLine.po_number,
            PoLine.line,
            PoLine.label,
            Item.sku,
            Item.description,
            PoLine.status,
            PoLine.quantity,
            sched.c.daily_output,
            LineForecast.produced,
            LineForecast.remaining,
            PoLine.need_by_date,
            LineForecast.arrival_p50,
            posted.c.good_qty,
            posted.c.rejected_qty,
            posted.c.note,
            posted.c.created_by_name,
        )
        .join(Item, Item.id == PoLine.item_id)
        .outerjoin(sched, sched.c.po_line_id == PoLine.id)
        .outerjoin(LineForecast, LineForecast.po_line_id == PoLine.id)
        .outerjoin(posted, posted.c.po_line_id == PoLine.id)
        .where(started)
        .order_by(PoLine.po_number, PoLine.line)
        .limit(limit)
    )
    stmt = scope_to_actor(stmt, PoLine.supplier_id, actor)
    with db.read() as session:
        frame = load_frame(session, stmt, OUTPUT_SHEET_COLUMNS, dates=("need_by_date", "arrival_p50"))
    for col in ("daily_output", "produced", "remaining", "posted_good_qty", "posted_rejected_qty"):
        frame[col] = frame[col].astype("Int64")
    return frame


def days_between(later: dt.date | None, earlier: dt.date | None) -> int | None:
    """Calendar days from ``earlier`` to ``later`` (None when either is unknown)."""
    if later is None or earlier is None:
        return None
    return (later - earlier).days


@service(*ALL_ROLES, writes=False)
def my_today(db: Database, actor: Actor, now: dt.datetime | None = None) -> dt.date:
    """A supplier user's today: its supplier's local date at ``now`` (staff: the UTC date)."""
    zone = None
    if actor.supplier_id is not None:
        with db.read() as session:
            zone = session.scalar(select(Supplier.timezone).where(Supplier.id == actor.supplier_id))
    return supplier_today(zone, now)


@service(*ALL_ROLES, writes=False)
def recent_working_days(db: Database, actor: Actor, today: dt.date, count: int = 10) -> list[dt.date]:
    """The supplier's last ``count`` working days up to ``today``, newest first (Mon-Fri for staff)."""
    calendar = WorkCalendar()
    if actor.supplier_id is not None:
        with db.read() as session:
            row = session.execute(
                select(Supplier.country, Supplier.working_weekdays).where(Supplier.id == actor.supplier_id)
            ).first()
            closures = session.scalars(
                select(SupplierClosure.closure_date).where(SupplierClosure.supplier_id == actor.supplier_id)
            ).all()
        if row is not None:
            calendar = WorkCalendar.for_supplier(row.country, row.working_weekdays, closures)
    days = np.busday_offset(
        np.datetime64(today, "D"), -np.arange(count), roll="backward", busdaycal=calendar.busdaycal
    )
    return [pd.Timestamp(d).date() for d in days]
