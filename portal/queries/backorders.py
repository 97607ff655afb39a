"""Reads about backorders: promises with their status, and the supply each promise counts on.

Status of a waiting backorder, worst first:
``promise_slipped`` (promise_date is later than the communicated_date told to the customer),
``unpromisable`` (supply cannot cover it), ``promised``, and ``not_computed`` (no sweep yet).
Customers are named here, so supplier users never read these.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, replace
from typing import Any

import pandas as pd
from sqlalchemy import Select, case, func, literal, or_, select
from sqlalchemy.orm import Session

from db.engine import Database
from db.frames import load_frame
from db.joins import with_waiting_backorders_item
from db.models import Backorder, BackorderAllocation, Item, LineForecast, PoLine, Supplier
from portal.core.domain import PromiseStatus
from portal.queries.text_search import holds, typed_text
from portal.services.access import STAFF, Actor, service

PROMISE_SLIPPED, UNPROMISABLE, PROMISED, NOT_COMPUTED = (
    "promise_slipped",
    "unpromisable",
    "promised",
    "not_computed",
)
STATUSES: tuple[str, ...] = (PROMISE_SLIPPED, UNPROMISABLE, PROMISED, NOT_COMPUTED)

BACKORDER_COLUMNS = [
    "backorder_id",
    "order_ref",
    "customer",
    "sku",
    "item",
    "quantity",
    "priority",
    "order_date",
    "promise_date",
    "communicated_date",
    "status",
    "slip_days",
    "reason",
    "reason_args",
    "supply",
]
SUPPLY_COLUMNS = [
    "source",
    "po_line_id",
    "supplier_code",
    "quantity",
    "available_date",
    "line_status",
    "need_by_date",
    "arrival_p50",
    "arrival_p90",
]

_SLIPPED = Backorder.promise_date > Backorder.communicated_date
_STATUS = case(
    (Backorder.promise_status == PromiseStatus.UNPROMISABLE, literal(UNPROMISABLE)),
    (_SLIPPED, literal(PROMISE_SLIPPED)),
    (Backorder.promise_status == PromiseStatus.PROMISED, literal(PROMISED)),
    else_=literal(NOT_COMPUTED),
)
_STATUS_RANK = case(
    (Backorder.promise_status == PromiseStatus.UNPROMISABLE, 1),
    (_SLIPPED, 0),
    (Backorder.promise_status == PromiseStatus.PROMISED, 2),
    else_=3,
)


@dataclass(frozen=True)
class BackorderFilter:
    """What the backorders table can be narrowed to; all optional."""

    statuses: tuple[str, ...] = ()
    #: Part of an order_ref, customer or SKU.
    text: str = ""
    #: Only promises not yet told to the customer (communicated_date differs from promise_date).
    not_communicated: bool = False
    item_ids: tuple[int, ...] = ()


def _status_condition(status: str) -> Any:
    if status == UNPROMISABLE:
        return Backorder.promise_status == PromiseStatus.UNPROMISABLE
    if status == PROMISE_SLIPPED:
        return (Backorder.promise_status == PromiseStatus.PROMISED) & _SLIPPED
    if status == PROMISED:
        return (Backorder.promise_status == PromiseStatus.PROMISED) & ~func.coalesce(_SLIPPED, False)
    if status == NOT_COMPUTED:
        return Backorder.promise_status.is_(None)
    raise ValueError(f"Unknown backorder status '{status}'")


def _backorders_stmt(filters: BackorderFilter) -> Select[*tuple[Any, ...]]:
    slip = case((_SLIPPED, Backorder.promise_date), else_=None)
    stmt = with_waiting_backorders_item(
        select(
            Backorder.id,
            Backorder.order_ref,
            Backorder.customer,
            Item.sku,
            Item.description,
            Backorder.quantity,
            Backorder.priority,
            Backorder.order_date,
            Backorder.promise_date,
            Backorder.communicated_date,
            _STATUS.label("status"),
            slip.label("slipped_to"),
            Backorder.promise_reason,
            Backorder.promise_reason_args,
        )
    )
    if filters.statuses:
        stmt = stmt.where(or_(*(_status_condition(s) for s in filters.statuses)))
    if filters.not_communicated:
        told = Backorder.communicated_date
        stmt = stmt.where(
            (Backorder.promise_status == PromiseStatus.PROMISED)
            & (told.is_(None) | (told != Backorder.promise_date))
        )
    if filters.item_ids:
        stmt = stmt.where(Backorder.item_id.in_(filters.item_ids))
    if (pattern := typed_text(filters.text)) is not None:
        stmt = stmt.where(
            holds(Backorder.order_ref, pattern)
            | holds(func.coalesce(Backorder.customer, ""), pattern)
            | holds(Item.sku, pattern)
        )
    return stmt


#: One supply a promise counts on: the PO line's label (None: on hand), its units, the day they are there.
SupplyPart = tuple[str | None, int, dt.date]


def _supply_parts(allocations: pd.DataFrame) -> pd.Series:
    """Per backorder, its supply as data, earliest first (the page writes it in the reader's words):
    ``((None, 20, 2026-03-13), ("PO-1/1", 30, 2026-03-16))``."""
    parts: dict[int, list[SupplyPart]] = {}
    for backorder, source, line, quantity, day in zip(
        allocations["backorder_id"],
        allocations["source"],
        allocations["po_line_id"],
        allocations["quantity"],
        allocations["available_date"],
        strict=True,
    ):
        day = day.date() if isinstance(day, dt.datetime) else day
        parts.setdefault(int(backorder), []).append(
            (None if pd.isna(line) else str(source), int(quantity), day)
        )
    return pd.Series({backorder: tuple(each) for backorder, each in parts.items()}, dtype=object)


@service(*STAFF, writes=False)
def backorder_promises(
    db: Database,
    actor: Actor,
    filters: BackorderFilter = BackorderFilter(),
    *,
    limit: int = 100,
    offset: int = 0,
) -> tuple[pd.DataFrame, int, dict[str, int]]:
    """Waiting backorders, worst status first, with their supply; returns (page, total, counts per status).

    The counts follow the filters (what the table shows); counts also holds "not_communicated":
    promised, but the customer was not told this date yet.
    """
    stmt = _backorders_stmt(filters)
    # Worst status first, then the allocation queue's own order (priority, order_date, order_ref).
    page = stmt.order_by(_STATUS_RANK, Backorder.priority.desc(), Backorder.order_date, Backorder.order_ref)
    count_stmt = select(func.count()).select_from(stmt.with_only_columns(Backorder.id).subquery())
    every = stmt.subquery()
    by_status = select(every.c.status, func.count()).group_by(every.c.status)
    not_told = select(func.count()).select_from(
        _backorders_stmt(replace(filters, not_communicated=True)).with_only_columns(Backorder.id).subquery()
    )
    with db.read() as session:
        rows = session.execute(page.limit(limit).offset(offset)).all()
        total = int(session.scalar(count_stmt) or 0)
        counts = dict.fromkeys(STATUSES, 0)
        counts.update({status: int(n) for status, n in session.execute(by_status)})
        counts["not_communicated"] = int(session.scalar(not_told) or 0)
        ids = [int(r[0]) for r in rows]
        allocations = _allocations(session, ids)
    frame = pd.DataFrame(rows, columns=[*BACKORDER_COLUMNS[:-4], "slipped_to", "reason", "reason_args"])
    frame["slip_days"] = [
        (slipped - told).days if slipped is not None and told is not None else None
        for slipped, told in zip(frame["slipped_to"], frame["communicated_date"], strict=True)
    ]
    frame = frame.drop(columns="slipped_to")
    frame["slip_days"] = frame["slip_days"].astype("Int64")
    supply = _supply_parts(allocations)
    frame["supply"] = supply.reindex(frame["backorder_id"]).to_numpy() if len(frame) else []
    for col in ("order_date", "promise_date", "communicated_date"):
        frame[col] = pd.to_datetime(frame[col])
    return frame[BACKORDER_COLUMNS], total, counts


def _allocations(session: Session, backorder_ids: list[int]) -> pd.DataFrame:
    columns = ["backorder_id", *SUPPLY_COLUMNS]
    if not backorder_ids:
        return pd.DataFrame(columns=columns)
    label = case(
        (PoLine.id.is_not(None), PoLine.label),
        else_=literal("on hand"),
    )
    stmt = (
        select(
            BackorderAllocation.backorder_id,
            label,
            BackorderAllocation.po_line_id,
            Supplier.code,
            BackorderAllocation.quantity,
            BackorderAllocation.available_date,
            PoLine.status,
            PoLine.need_by_date,
            LineForecast.arrival_p50,
            LineForecast.arrival_p90,
        )
        .outerjoin(PoLine, PoLine.id == BackorderAllocation.po_line_id)
        .outerjoin(Supplier, Supplier.id == PoLine.supplier_id)
        .outerjoin(LineForecast, LineForecast.po_line_id == PoLine.id)
        .where(BackorderAllocation.backorder_id.in_(backorder_ids))
        .order_by(
            BackorderAllocation.backorder_id, BackorderAllocation.available_date, BackorderAllocation.id
        )
    )
    frame = load_frame(session, stmt, columns)
    frame["po_line_id"] = frame["po_line_id"].astype("Int64")
    return frame


@service(*STAFF, writes=False)
def backorder_supply(db: Database, actor: Actor, backorder_id: int) -> pd.DataFrame:
    """The supply one backorder's promise counts on: on-hand stock and PO lines, earliest first."""
    with db.read() as session:
        frame = _allocations(session, [int(backorder_id)])
    frame = frame.drop(columns="backorder_id")
    for col in ("available_date", "need_by_date", "arrival_p50", "arrival_p90"):
        frame[col] = pd.to_datetime(frame[col])
    return frame


def promise_dates(frame: pd.DataFrame) -> dict[int, dt.date | None]:
    """backorder id -> the promise_date shown, for mark_promises_communicated's ``expected``."""
    return {
        int(i): (None if pd.isna(d) else pd.Timestamp(d).date())
        for i, d in zip(frame["backorder_id"], frame["promise_date"], strict=True)
    }
