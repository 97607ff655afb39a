"""Promise dates for the backorders of ONE item in plain Python: what :func:`portal.core.promise.build_supply`
and :func:`~portal.core.promise.allocate` compute for that item, without building a frame (a report
post recomputes the promises of its line's item, a few lines and backorders).

It follows the vectorized path step by step: the same supply (on-hand stock available on the as-of
date, each open line with outstanding units on its arrival p90, else its due date, plus its
supplier's buffer, never before the as-of date; a line with no date at all is not supply), the same
orders (supply: earliest first, on-hand before a line arriving the same day, then line id; demand:
priority high first, then order date, then order ref), the same strict ship-complete queue on
cumulative quantities, the same reasons in the same words and the same allocations. A property test
(``tests/unit/test_item_promise.py``) compares both over random items; when a rule changes in
:mod:`portal.core.promise` it changes here too, and the test fails until it does.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from portal.core.domain import PromiseStatus, ValidationError
from portal.core.promise_text import (
    ARRIVAL_P90,
    DUE_DATE,
    line_args,
    no_supply_args,
    on_hand_args,
    with_safety,
)

#: A backorder with no order date sorts after every dated one, as the vectorized queue does.
_NO_ORDER_DATE = dt.date(9999, 12, 31)


@dataclass(frozen=True)
class SupplyLine:
    """An open line of the item as its supply reads it (``outstanding_qty``: ordered minus good received)."""

    po_line_id: int
    supplier_id: int
    outstanding_qty: int
    arrival_p90: dt.date | None
    due_date: dt.date | None
    label: str
    supplier_code: str


@dataclass(frozen=True)
class WaitingOrder:
    """A waiting backorder of the item, as the queue orders it."""

    backorder_id: int
    quantity: int
    priority: float
    order_date: dt.date | None
    order_ref: str


@dataclass(frozen=True)
class Supply:
    """One unit source: on-hand stock (``po_line_id`` None) or a line, available on a day, with why
    (in English, and as its template's arguments: :mod:`portal.core.promise_text`)."""

    po_line_id: int | None
    quantity: int
    available_date: dt.date
    reason: str
    reason_args: str


@dataclass(frozen=True)
class ItemPromise:
    """A backorder's promise: its date (None: unpromisable), status and reason (English, and arguments)."""

    backorder_id: int
    promise_date: dt.date | None
    status: str
    reason: str
    reason_args: str


@dataclass(frozen=True)
class ItemAllocation:
    """The units of one supply a promised backorder counts on."""

    backorder_id: int
    po_line_id: int | None
    quantity: int
    available_date: dt.date


def _days(n: int) -> str:
    return "day" if n == 1 else "days"


def item_supply(
    on_hand: int,
    lines: Sequence[SupplyLine],
    buffers: Mapping[int, int],
    as_of: dt.date,
    *,
    default_buffer: int = 0,
) -> list[Supply]:
    """The item's supply in queue order (see :func:`portal.core.promise.build_supply`); ``buffers``:
    buffer days by supplier id, ``default_buffer`` for a supplier without one."""
    supply: list[tuple[dt.date, bool, int, Supply]] = []
    if on_hand > 0:
        supply.append((as_of, False, -1, Supply(None, int(on_hand), as_of, "on hand", on_hand_args())))
    for line in lines:
        if line.outstanding_qty <= 0:
            continue
        expected = line.arrival_p90 if line.arrival_p90 is not None else line.due_date
        if expected is None:
            continue  # a line with no date at all cannot be promised against
        buffer = int(buffers.get(line.supplier_id, default_buffer))
        basis = "arrival p90" if line.arrival_p90 is not None else "due date"
        padding = f" + {buffer} {_days(buffer)} {line.supplier_code} buffer" if buffer > 0 else ""
        available = max(expected + dt.timedelta(days=buffer), as_of)
        reason = f"{basis} {expected.isoformat()} of {line.label}{padding}"
        args = line_args(
            ARRIVAL_P90 if line.arrival_p90 is not None else DUE_DATE,
            expected,
            line.label,
            buffer,
            line.supplier_code,
        )
        source = Supply(line.po_line_id, line.outstanding_qty, available, reason, args)
        supply.append((available, True, line.po_line_id, source))
    supply.sort(key=lambda s: s[:3])
    return [s[3] for s in supply]


def promise_item(
    supply: Sequence[Supply], demand: Sequence[WaitingOrder], safety_days: int = 0
) -> tuple[list[ItemPromise], list[ItemAllocation]]:
    """Promises of ``demand`` (in its input order) and their allocations (in queue order) from the
    item's ``supply`` in queue order (:func:`item_supply`), as :func:`portal.core.promise.allocate`."""
    for order in demand:
        if order.quantity <= 0:
            raise ValidationError(f"Backorder {order.backorder_id}: quantity must be a whole number > 0")
    queue = sorted(
        demand,
        key=lambda o: (
            -float(o.priority),
            o.order_date if o.order_date is not None else _NO_ORDER_DATE,
            str(o.order_ref),
        ),
    )
    supply = [s for s in supply if s.quantity > 0]
    total = sum(s.quantity for s in supply)
    safety = f" + {int(safety_days)} {_days(int(safety_days))} safety buffer" if safety_days else ""
    promised: dict[int, ItemPromise] = {}
    allocations: list[ItemAllocation] = []
    row, supplied = 0, 0  # the supply row holding the next unit, and the units of rows before it
    needed = 0
    for order in queue:
        before, needed = needed, needed + order.quantity
        if needed > total:
            short = min(order.quantity, needed - total)
            text = (
                f"no open supply for {short:,} units"
                if short == order.quantity
                else f"no open supply for {short:,} of {order.quantity:,} units"
            )
            promised[order.backorder_id] = ItemPromise(
                order.backorder_id,
                None,
                PromiseStatus.UNPROMISABLE.value,
                text,
                no_supply_args(short, order.quantity),
            )
            continue
        # The rows holding units (before, needed]: from the first ending after ``before`` to the
        # first ending at or after ``needed`` (its date is the promise's).
        while supplied + supply[row].quantity <= before:
            supplied += supply[row].quantity
            row += 1
        start, n = supplied, row
        while True:
            s = supply[n]
            upper, lower = min(start + s.quantity, needed), max(start, before)
            allocations.append(
                ItemAllocation(order.backorder_id, s.po_line_id, upper - lower, s.available_date)
            )
            if start + s.quantity >= needed:
                break
            start += s.quantity
            n += 1
        source = supply[n]
        promised[order.backorder_id] = ItemPromise(
            order.backorder_id,
            source.available_date + dt.timedelta(days=int(safety_days)),
            PromiseStatus.PROMISED.value,
            f"{source.reason}{safety}",
            with_safety(source.reason_args, int(safety_days)),
        )
    return [promised[o.backorder_id] for o in demand], allocations


__all__ = [
    "ItemAllocation",
    "ItemPromise",
    "Supply",
    "SupplyLine",
    "WaitingOrder",
    "item_supply",
    "promise_item",
]
