"""Late and at-risk lines: open lines whose forecast arrival (p50 or p90) is after need-by.

A line is **late** when its arrival_p50 is after need_by_date, **at risk** when only its
arrival_p90 is. Each row says how many waiting backorders count on the line (their
promises allocate some of its quantity) and how much quantity that is: the customers hurt.

At 100,000 lines the page is one indexed scan of the open lines and their forecasts, sorted
and cut to a page; the schedule, alerts and backorders of just that page's lines are read
afterwards by id. (Joining grouped subqueries of every line instead made SQLite's planner
scan a subquery once per line: minutes instead of milliseconds.)
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass
from typing import Any

import pandas as pd
from sqlalchemy import CTE, ColumnElement, Select, case, func, literal, select, true
from sqlalchemy.orm import Session

from db.engine import Database
from db.frames import enum_values, normalise
from db.joins import current_schedule_subquery, with_line_supplier_and_item
from db.models import (
    Alert,
    Backorder,
    BackorderAllocation,
    Item,
    LineForecast,
    PoLine,
    Supplier,
    severity_rank,
)
from portal.core.domain import OPEN_LINE_STATUSES, AlertStatus, BackorderStatus, PermissionDenied, Severity
from portal.queries.lines import BACKORDER_COLUMNS
from portal.queries.text_search import holds, typed_text
from portal.services.access import ALL_ROLES, Actor, scope_to_actor, service

LATE_LINE_COLUMNS = [
    "line_id",
    "line",
    "risk",
    "supplier_code",
    "supplier_name",
    "sku",
    "item",
    "status",
    "quantity",
    "remaining",
    "need_by_date",
    "estimated_end_date",
    "arrival_p50",
    "arrival_p90",
    "days_late_p50",
    "days_late_p90",
    "backorders_waiting",
    "backorder_qty",
    "open_alerts",
    "worst_severity",
]
#: risk values: the arrival p50 is after need-by, or only the p90 is.
LATE, AT_RISK = "late", "at_risk"
FIND_LIMIT = 50
#: Columns read for the page's lines only, once the page is known.
_PER_PAGE = ("estimated_end_date", "backorders_waiting", "backorder_qty", "open_alerts", "worst_severity")


@dataclass(frozen=True)
class LateLineFilter:
    """What the late-lines table can be narrowed to; all optional."""

    supplier_ids: tuple[int, ...] = ()
    #: LATE, AT_RISK, or both when empty.
    risks: tuple[str, ...] = ()
    #: Part of a PO number, SKU or supplier code.
    text: str = ""
    #: Only lines that waiting backorders count on.
    with_backorders: bool = False


def _waiting_allocations() -> Select[*tuple[Any, ...]]:
    """Allocations of waiting backorders to PO lines (not to on-hand stock)."""
    return (
        select(BackorderAllocation.po_line_id, BackorderAllocation.backorder_id, BackorderAllocation.quantity)
        .join(Backorder, Backorder.id == BackorderAllocation.backorder_id)
        .where(Backorder.status == BackorderStatus.WAITING, BackorderAllocation.po_line_id.is_not(None))
    )


def _holds_text(pattern: ColumnElement[str]) -> ColumnElement[bool]:
    """The line's PO number, SKU or supplier code holds the typed text ``pattern``
    (:func:`typed_text`): the search of the late lines and of the line picker. SKU and supplier as
    id subqueries, so no join is needed."""
    return (
        holds(PoLine.po_number, pattern)
        | PoLine.item_id.in_(select(Item.id).where(holds(Item.sku, pattern)))
        | PoLine.supplier_id.in_(select(Supplier.id).where(holds(Supplier.code, pattern)))
    )


def _matching(actor: Actor, filters: LateLineFilter) -> Select[*tuple[Any, ...]]:
    """The late or at-risk lines under ``filters``: (line id, days_late_p50, days_late_p90), read from
    the forecasts.

    Driven by line_forecasts: the line conditions are an IN subquery for some suppliers' lines, a
    correlated EXISTS (one lookup by key per late forecast) for every supplier's.
    """
    lines = scope_to_actor(
        select(PoLine.id).where(PoLine.status.in_(OPEN_LINE_STATUSES)), PoLine.supplier_id, actor
    )
    if filters.supplier_ids:
        lines = lines.where(PoLine.supplier_id.in_(filters.supplier_ids))
    if (pattern := typed_text(filters.text)) is not None:
        lines = lines.where(_holds_text(pattern))
    # p90 >= p50 always, so "p50 or p90 after need-by" is "p90 after need-by".
    stmt = select(LineForecast.po_line_id, LineForecast.days_late_p50, LineForecast.days_late_p90).where(
        LineForecast.days_late_p90 > 0
    )
    if filters.supplier_ids or actor.is_supplier:
        # Some suppliers' lines: found by the lines' (status, supplier) index, then their forecasts.
        stmt = stmt.where(LineForecast.po_line_id.in_(lines))
    else:
        # Every supplier's: one pass over the forecasts, each line checked by its key. With IN, SQLite
        # walks every open line and looks its forecast up (2-2.5x slower at scale L); PostgreSQL
        # makes the same semi-join of both.
        stmt = stmt.where(lines.where(PoLine.id == LineForecast.po_line_id).exists())
    if set(filters.risks) == {LATE}:
        stmt = stmt.where(LineForecast.days_late_p50 > 0)
    elif set(filters.risks) == {AT_RISK}:
        stmt = stmt.where(func.coalesce(LineForecast.days_late_p50, 0) <= 0)
    if filters.with_backorders:
        stmt = stmt.where(
            LineForecast.po_line_id.in_(
                _waiting_allocations().with_only_columns(BackorderAllocation.po_line_id)
            )
        )
    return stmt


def _details(line_ids: list[int]) -> Select[*tuple[Any, ...]]:
    """What the table shows of these lines, but the per-page extras."""
    risk = case((LineForecast.days_late_p50 > 0, literal(LATE)), else_=literal(AT_RISK))
    return with_line_supplier_and_item(
        select(
            PoLine.id,
            PoLine.label,
            risk.label("risk"),
            Supplier.code,
            Supplier.name,
            Item.sku,
            Item.description,
            PoLine.status,
            PoLine.quantity,
            LineForecast.remaining,
            PoLine.need_by_date,
            LineForecast.arrival_p50,
            LineForecast.arrival_p90,
            LineForecast.days_late_p50,
            LineForecast.days_late_p90,
        ).join(LineForecast, LineForecast.po_line_id == PoLine.id)
    ).where(PoLine.id.in_(line_ids))


def _per_line(session: Session, stmt: Select[*tuple[Any, ...]], columns: list[str]) -> pd.DataFrame:
    return pd.DataFrame(session.execute(stmt).all(), columns=columns).set_index("line_id")


def _page_extras(session: Session, line_ids: Collection[int], *, backorders: bool = True) -> pd.DataFrame:
    """Current schedule end, waiting backorders (when ``backorders``) and live alerts of these (few) lines."""
    ids = sorted(int(i) for i in line_ids)
    current = current_schedule_subquery(ids)
    schedules = _per_line(
        session, select(current.c.po_line_id, current.c.estimated_end_date), ["line_id", "estimated_end_date"]
    )
    waiting = _waiting_allocations().where(BackorderAllocation.po_line_id.in_(ids)).subquery()
    customers = pd.DataFrame(columns=["line_id"]).set_index("line_id")
    if backorders:
        customers = _per_line(
            session,
            select(
                waiting.c.po_line_id,
                func.count(func.distinct(waiting.c.backorder_id)),
                func.sum(waiting.c.quantity),
            ).group_by(waiting.c.po_line_id),
            ["line_id", "backorders_waiting", "backorder_qty"],
        )
    alerts = _per_line(
        session,
        select(Alert.po_line_id, func.count(Alert.id), func.max(severity_rank(Alert.severity)))
        .where(Alert.po_line_id.in_(ids), Alert.status != AlertStatus.RESOLVED)
        .group_by(Alert.po_line_id),
        ["line_id", "open_alerts", "worst"],
    )
    return schedules.join(customers, how="outer").join(alerts, how="outer")


def _page_and_counts(
    matching: CTE, *, staff: bool
) -> tuple[Select[*tuple[Any, ...]], Select[*tuple[Any, ...]]]:
    """The matching lines latest first, each with the counts over all of them (total, late, waiting
    backorders counting on them and their quantity; 0 for a supplier user); and those counts alone.

    One statement: the matching lines are read once (the CTE, used three times, is materialized by
    PostgreSQL and SQLite alike) where a page, its counts and its customers were three scans.
    """
    late = func.coalesce(func.sum(case((matching.c.days_late_p50 > 0, 1), else_=0)), 0)
    totals = select(func.count().label("total"), late.label("late")).subquery("totals")
    if staff:
        # A join, not ``IN (SELECT ...)``: the CTE's lines are distinct, and PostgreSQL guesses an IN
        # over a CTE at 200 rows, then looks each of 400,000 late lines' allocations up one by one
        # (1.1 s of the page at XL) where a hash join reads them once.
        waiting = (
            _waiting_allocations()
            .join(matching, matching.c.po_line_id == BackorderAllocation.po_line_id)
            .subquery("waiting")
        )
        customers = select(
            func.count(func.distinct(waiting.c.backorder_id)).label("backorders"),
            func.coalesce(func.sum(waiting.c.quantity), 0).label("qty"),
        ).subquery("customers")
    else:
        customers = select(literal(0).label("backorders"), literal(0).label("qty")).subquery("customers")
    counts = [totals.c.total, totals.c.late, customers.c.backorders, customers.c.qty]
    page = (
        select(matching.c.po_line_id, *counts)
        .select_from(matching)
        .join(totals, true())
        .join(customers, true())
        .order_by(
            func.coalesce(matching.c.days_late_p50, -100_000).desc(),
            matching.c.days_late_p90.desc(),
            matching.c.po_line_id,
        )
    )
    return page, select(*counts).select_from(totals).join(customers, true())


@service(*ALL_ROLES, writes=False)
def late_lines(
    db: Database,
    actor: Actor,
    filters: LateLineFilter = LateLineFilter(),
    *,
    limit: int = 100,
    offset: int = 0,
) -> tuple[pd.DataFrame, int, dict[str, int]]:
    """Late and at-risk open lines, latest first; returns (page, total, counts over every matching line)."""
    # counts: late, at_risk, backorders (distinct waiting backorders counting on the matching
    # lines) and backorder_qty (the quantity they count on from them). A supplier user gets no
    # backorder columns or counts, and cannot filter by them: customers' orders are staff business.
    staff = not actor.is_supplier
    if filters.with_backorders and not staff:
        raise PermissionDenied(
            "Backorders are for buyers and managers: a supplier user cannot filter by them."
        )
    page, counted = _page_and_counts(_matching(actor, filters).cte("matching"), staff=staff)
    with db.read() as session:
        shown = session.execute(page.limit(limit).offset(offset)).all()
        ids = [int(row[0]) for row in shown]
        # The counts ride along every row of the page; past its end (or with none) they are read alone.
        total, late, backorders, qty = shown[0][1:] if shown else session.execute(counted).one()
        rows = session.execute(_details(ids)).all() if ids else []
        extras = _page_extras(session, ids, backorders=staff) if ids else pd.DataFrame()
    frame = pd.DataFrame(rows, columns=[c for c in LATE_LINE_COLUMNS if c not in _PER_PAGE])
    frame = frame.set_index("line_id").reindex(ids).reset_index() if ids else frame
    found = extras.reindex(frame["line_id"]) if len(extras) else pd.DataFrame(index=frame["line_id"])
    for col in ("estimated_end_date", "backorders_waiting", "backorder_qty", "open_alerts", "worst"):
        frame[col] = found[col].to_numpy() if col in found else None
    frame["worst_severity"] = frame.pop("worst").map(
        lambda v: Severity.from_rank(int(v)).value if pd.notna(v) else None
    )
    frame = frame[LATE_LINE_COLUMNS]
    counts = {"late": int(late), "at_risk": int(total) - int(late)}
    if staff:
        counts.update(backorders=int(backorders), backorder_qty=int(qty))
    for col in ("need_by_date", "estimated_end_date", "arrival_p50", "arrival_p90"):
        frame[col] = pd.to_datetime(frame[col])
    frame["status"] = enum_values(frame["status"])
    for col in ("remaining", "days_late_p50", "days_late_p90"):
        frame[col] = frame[col].astype("Int64")
    for col in ("backorders_waiting", "backorder_qty", "open_alerts"):
        frame[col] = pd.to_numeric(frame[col]).fillna(0).astype("int64")
    frame["quantity"] = frame["quantity"].astype("int64")
    if not staff:
        frame = frame.drop(columns=list(BACKORDER_COLUMNS))
    return frame, int(total), counts


@service(*ALL_ROLES, writes=False)
def find_lines(db: Database, actor: Actor, text: str = "", *, limit: int = FIND_LIMIT) -> pd.DataFrame:
    """Lines (any status) whose PO number, SKU or supplier holds ``text``; else the latest open ones."""
    ids = scope_to_actor(select(PoLine.id), PoLine.supplier_id, actor)
    if (pattern := typed_text(text)) is not None:
        ids = ids.where(_holds_text(pattern)).order_by(PoLine.po_number, PoLine.line)
    else:
        ids = (
            ids.join(LineForecast, LineForecast.po_line_id == PoLine.id)
            .where(PoLine.status.in_(OPEN_LINE_STATUSES))
            .order_by(func.coalesce(LineForecast.days_late_p50, -100_000).desc(), PoLine.id)
        )
    with db.read() as session:
        found = [int(i) for i in session.scalars(ids.limit(limit))]
        rows = session.execute(
            with_line_supplier_and_item(
                select(PoLine.id, PoLine.label, Supplier.code, Item.sku, PoLine.status)
            ).where(PoLine.id.in_(found))
        ).all()
    frame = normalise(pd.DataFrame(rows, columns=["line_id", "line", "supplier_code", "sku", "status"]))
    frame = frame.set_index("line_id").reindex(found).reset_index()
    return frame
