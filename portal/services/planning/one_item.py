"""The promises of one item after a post moved one of its lines' arrival, in plain rows: what
:func:`portal.services.planning.pipeline.promise_backorders` and
:func:`portal.services.planning.stores.store_promises` read, compute and write for that item, without
building a frame for a few lines and backorders.

The reads are the pipeline loaders' for one item, each one statement: its waiting backorders (as of a
past day: those ordered by then) with its stock, its open lines (as of a past day: those open then,
received ones included until the receipt that made them in full) with their stored arrival p90 and
their supplier's buffer, and their receipts up to the day. The allocation is
:func:`portal.core.item_promise.promise_item`, property-tested equal to the vectorized one. Only
changed promise dates and allocations are written, as the sweep's stores do.
``tests/integration/test_lean_post.py`` compares the result with a full pass.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Sequence
from typing import Any

from sqlalchemy import Table, and_, bindparam, delete, exists, insert, or_, select, update
from sqlalchemy.orm import Session, aliased

from db.engine import core_connection
from db.frames import enum_value
from db.models import (
    Backorder,
    BackorderAllocation,
    Item,
    LineForecast,
    PoLine,
    Receipt,
    Supplier,
    SupplierStats,
    utcnow,
)
from portal.core.domain import OPEN_LINE_STATUSES, BackorderStatus, LineStatus, PromiseStatus
from portal.core.item_promise import (
    ItemAllocation,
    ItemPromise,
    SupplyLine,
    WaitingOrder,
    item_supply,
    promise_item,
)
from portal.core.line_alerts import BackorderFacts
from portal.core.settings import Settings


def model_table(model: Any) -> Table:
    """A mapped class's Core table (typed: what plain-row statements write to)."""
    table = model.__table__
    assert isinstance(table, Table)
    return table


_BACKORDERS = model_table(Backorder)
_ALLOCATIONS = model_table(BackorderAllocation)

_DEMAND = (
    select(
        Backorder.id,
        Backorder.order_ref,
        Backorder.quantity,
        Backorder.priority,
        Backorder.order_date,
        Backorder.communicated_date,
        Backorder.promise_date,
        Backorder.promise_status,
        Backorder.promise_reason,
        Backorder.promise_reason_args,
        Item.sku,
        Item.on_hand,
    )
    .join(Item, Item.id == Backorder.item_id)
    .where(Backorder.item_id == bindparam("item_id"), Backorder.status == BackorderStatus.WAITING)
    .order_by(Backorder.id)
)
_DEMAND_THEN = _DEMAND.where(Backorder.order_date <= bindparam("as_of"))

_later = aliased(Receipt)
_SUPPLY = (
    select(
        PoLine.id,
        PoLine.supplier_id,
        PoLine.quantity,
        PoLine.status,
        PoLine.po_number,
        PoLine.line,
        PoLine.promised_date,
        PoLine.need_by_date,
        Supplier.code,
        LineForecast.arrival_p90,
        SupplierStats.buffer_days,
    )
    .join(Supplier, Supplier.id == PoLine.supplier_id)
    .outerjoin(LineForecast, LineForecast.po_line_id == PoLine.id)
    .outerjoin(SupplierStats, SupplierStats.supplier_id == PoLine.supplier_id)
    .where(PoLine.item_id == bindparam("item_id"))
)
_SUPPLY_NOW = _SUPPLY.where(PoLine.status.in_(OPEN_LINE_STATUSES))
#: As of a past day (load_open_lines' past filter): open then, so also lines received only after it.
_SUPPLY_THEN = _SUPPLY.where(
    or_(
        PoLine.status.in_(OPEN_LINE_STATUSES),
        and_(
            PoLine.status == LineStatus.RECEIVED,
            exists().where(_later.po_line_id == PoLine.id, _later.received_date > bindparam("as_of")),
        ),
    ),
    PoLine.order_date.is_(None) | (PoLine.order_date <= bindparam("as_of")),
)
_RECEIPTS = (
    select(Receipt.po_line_id, Receipt.quantity, Receipt.rejected_qty)
    .where(
        Receipt.po_line_id.in_(bindparam("line_ids", expanding=True)),
        Receipt.received_date <= bindparam("as_of"),
    )
    .order_by(Receipt.po_line_id, Receipt.received_date)
)
_STORED_ALLOCATIONS = select(
    BackorderAllocation.id,
    BackorderAllocation.backorder_id,
    BackorderAllocation.po_line_id,
    BackorderAllocation.quantity,
    BackorderAllocation.available_date,
).where(BackorderAllocation.backorder_id.in_(bindparam("ids", expanding=True)))


def _supply_lines(
    session: Session, item_id: int, as_of: dt.date, settings: Settings, fresh: tuple[int, dt.date | None]
) -> tuple[list[SupplyLine], dict[int, int]]:
    """The item's lines open on ``as_of`` with their outstanding units and arrival p90 (``fresh``: the
    line just forecast and its arrival; the others' stored), and their suppliers' buffers."""
    past = as_of < dt.date.today()
    params = {"item_id": item_id, "as_of": as_of}
    rows = core_connection(session).execute(_SUPPLY_THEN if past else _SUPPLY_NOW, params).all()
    good: dict[int, list[int]] = defaultdict(list)
    if rows:
        line_ids = [int(r.id) for r in rows]
        for line_id, quantity, rejected in core_connection(session).execute(
            _RECEIPTS, {"line_ids": line_ids, "as_of": as_of}
        ):
            good[int(line_id)].append(int(quantity) - int(rejected or 0))
    lines, buffers = [], {}
    for r in rows:
        line_id, quantity = int(r.id), int(r.quantity)
        received = good.get(line_id, [])
        if enum_value(r.status) == LineStatus.RECEIVED.value and _in_full_by(
            received, quantity, settings.in_full_threshold
        ):
            continue  # received in full by as_of: not open then
        if r.buffer_days is not None:
            buffers[int(r.supplier_id)] = int(r.buffer_days)
        lines.append(
            SupplyLine(
                po_line_id=line_id,
                supplier_id=int(r.supplier_id),
                outstanding_qty=max(0, quantity - sum(received)),
                arrival_p90=fresh[1] if line_id == fresh[0] else r.arrival_p90,
                due_date=r.promised_date if r.promised_date is not None else r.need_by_date,
                label=f"{r.po_number}/{r.line}",
                supplier_code=str(r.code),
            )
        )
    return lines, buffers


def _in_full_by(good: list[int], quantity: int, in_full: float) -> bool:
    """Whether receipts (good units, in date order) brought the line to ``in_full`` of its quantity
    (:func:`portal.core.history.delivery_dates` found a delivery date)."""
    total = 0.0
    for units in good:
        total += float(units)
        if total >= quantity * in_full - 1e-9:
            return True
    return False


def promise_one_item(
    session: Session,
    item_id: int,
    as_of: dt.date,
    settings: Settings,
    fresh: tuple[int, dt.date | None],
) -> list[BackorderFacts]:
    """Promise the item's waiting backorders again with one line's fresh arrival p90 (``fresh``: its
    id and arrival), store what changed; the backorders with their promises, as the rules read them."""
    past = as_of < dt.date.today()
    demand = (
        core_connection(session)
        .execute(_DEMAND_THEN if past else _DEMAND, {"item_id": item_id, "as_of": as_of})
        .all()
    )
    if not demand:
        return []
    lines, buffers = _supply_lines(session, item_id, as_of, settings, fresh)
    supply = item_supply(int(demand[0].on_hand or 0), lines, buffers, as_of)
    orders = [
        WaitingOrder(
            backorder_id=int(b.id),
            quantity=int(b.quantity),
            priority=float(b.priority or 0),
            order_date=b.order_date,
            order_ref=str(b.order_ref),
        )
        for b in demand
    ]
    promises, allocations = promise_item(supply, orders, settings.safety_buffer_days)
    _store_promises(session, demand, promises)
    _store_allocations(session, [int(b.id) for b in demand], allocations)
    return [
        BackorderFacts(
            backorder_id=int(b.id),
            item_id=item_id,
            order_ref=b.order_ref,
            sku=b.sku,
            quantity=float(b.quantity),
            status=p.status,
            promise_date=p.promise_date,
            communicated_date=b.communicated_date,
        )
        for b, p in zip(demand, promises, strict=True)
    ]


_UPDATE_PROMISE = (
    update(_BACKORDERS)
    .where(_BACKORDERS.c.id == bindparam("backorder_id"))
    .values(
        promise_date=bindparam("new_date"),
        promise_status=bindparam("new_status"),
        promise_reason=bindparam("new_reason"),
        promise_reason_args=bindparam("new_reason_args"),
        promise_computed_at=bindparam("computed_at"),
    )
)


def _store_promises(session: Session, demand: Sequence[Any], promises: list[ItemPromise]) -> None:
    """Write the promises that differ from the stored ones (date, status, reason and its arguments)."""
    now = utcnow()
    changed = [
        {
            "backorder_id": p.backorder_id,
            "new_date": p.promise_date,
            "new_status": PromiseStatus(p.status),
            "new_reason": p.reason,
            "new_reason_args": p.reason_args,
            "computed_at": now,
        }
        for b, p in zip(demand, promises, strict=True)
        if (b.promise_date, enum_value(b.promise_status), b.promise_reason, b.promise_reason_args)
        != (p.promise_date, p.status, p.reason, p.reason_args)
    ]
    if changed:
        core_connection(session).execute(_UPDATE_PROMISE, changed)


def _store_allocations(session: Session, backorder_ids: list[int], allocations: list[ItemAllocation]) -> None:
    """Replace the allocations of the backorders whose allocations changed (compared as sorted rows)."""
    stored_ids: dict[int, list[int]] = defaultdict(list)
    stored: dict[int, list[tuple[int, dt.date, int]]] = defaultdict(list)
    for row in core_connection(session).execute(_STORED_ALLOCATIONS, {"ids": backorder_ids}):
        stored_ids[int(row.backorder_id)].append(int(row.id))
        line = -1 if row.po_line_id is None else int(row.po_line_id)
        stored[int(row.backorder_id)].append((line, row.available_date, int(row.quantity)))
    new: dict[int, list[tuple[int, dt.date, int]]] = defaultdict(list)
    for a in allocations:
        new[a.backorder_id].append(
            (-1 if a.po_line_id is None else a.po_line_id, a.available_date, a.quantity)
        )
    replaced = {b for b in set(stored) | set(new) if sorted(stored.get(b, [])) != sorted(new.get(b, []))}
    if not replaced:
        return
    gone = [i for b in replaced for i in stored_ids.get(b, [])]
    if gone:
        core_connection(session).execute(delete(_ALLOCATIONS).where(_ALLOCATIONS.c.id.in_(gone)))
    fresh = [
        {
            "backorder_id": a.backorder_id,
            "po_line_id": a.po_line_id,
            "quantity": a.quantity,
            "available_date": a.available_date,
        }
        for a in allocations
        if a.backorder_id in replaced
    ]
    if fresh:
        core_connection(session).execute(insert(_ALLOCATIONS), fresh)


__all__ = ["model_table", "promise_one_item"]
