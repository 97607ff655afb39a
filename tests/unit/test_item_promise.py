"""One item's promises in plain Python (portal.core.item_promise) equal what the vectorized supply and
allocation (portal.core.promise) give for the same item: every date, status, reason and allocation."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from portal.core.domain import ValidationError
from portal.core.item_promise import (
    ItemAllocation,
    ItemPromise,
    SupplyLine,
    WaitingOrder,
    item_supply,
    promise_item,
)
from portal.core.promise import allocate, build_supply

AS_OF = dt.date(2026, 3, 13)
ITEM = 4


def day(offset: int | None) -> dt.date | None:
    return None if offset is None else AS_OF + dt.timedelta(days=offset)


offsets = st.one_of(st.none(), st.integers(-20, 40))


@st.composite
def supply_lines(draw: Any) -> list[SupplyLine]:
    ids = draw(st.lists(st.integers(1, 60), max_size=7, unique=True))
    return [
        SupplyLine(
            po_line_id=line_id,
            supplier_id=draw(st.integers(1, 4)),
            outstanding_qty=draw(st.one_of(st.just(0), st.integers(1, 120))),
            arrival_p90=draw(offsets.map(day)),
            due_date=draw(offsets.map(day)),
            label=f"PO-{line_id}/{draw(st.integers(1, 3))}",
            supplier_code=draw(st.sampled_from(["ACME", "Bolt & Söhne"])),
        )
        for line_id in ids
    ]


@st.composite
def waiting_orders(draw: Any) -> list[WaitingOrder]:
    ids = draw(st.lists(st.integers(1, 99), min_size=1, max_size=8, unique=True))
    return [
        WaitingOrder(
            backorder_id=order_id,
            quantity=draw(st.integers(1, 90)),
            priority=float(draw(st.integers(0, 2))),
            order_date=draw(st.one_of(st.none(), st.integers(-30, 0)).map(day)),
            order_ref=draw(st.sampled_from(["SO-1", "SO-10", "SO-2", "so-3", "SO-Ä"])) + f"-{order_id}",
        )
        for order_id in ids
    ]


@dataclass(frozen=True)
class ItemCase:
    """One item's stock, open lines, supplier buffers, waiting orders and safety days."""

    on_hand: int
    lines: list[SupplyLine]
    buffers: dict[int, int]
    default_buffer: int | None
    demand: list[WaitingOrder]
    safety_days: int


def vectorized(case: ItemCase) -> tuple[list[ItemPromise], list[ItemAllocation]]:
    """The same item through build_supply and allocate (a buffer row without supplier: the default)."""
    stats = pd.DataFrame(
        {
            "supplier_id": pd.array(
                [*case.buffers, *([None] if case.default_buffer is not None else [])], dtype="Int64"
            ),
            "buffer_days": [
                *case.buffers.values(),
                *([case.default_buffer] if case.default_buffer is not None else []),
            ],
        }
    )
    line_frame = pd.DataFrame(
        {
            "po_line_id": [line.po_line_id for line in case.lines],
            "item_id": [ITEM] * len(case.lines),
            "supplier_id": [line.supplier_id for line in case.lines],
            "outstanding_qty": pd.array([line.outstanding_qty for line in case.lines], dtype="int64"),
            "arrival_p90": pd.to_datetime(pd.Series([line.arrival_p90 for line in case.lines], dtype=object)),
            "due_date": pd.to_datetime(pd.Series([line.due_date for line in case.lines], dtype=object)),
            "label": [line.label for line in case.lines],
            "supplier_code": [line.supplier_code for line in case.lines],
        }
    )
    stock = pd.DataFrame({"item_id": [ITEM], "on_hand": [case.on_hand]})
    supply = build_supply(stock, line_frame, stats, AS_OF)
    orders = pd.DataFrame(
        {
            "backorder_id": [o.backorder_id for o in case.demand],
            "item_id": [ITEM] * len(case.demand),
            "quantity": [o.quantity for o in case.demand],
            "priority": [o.priority for o in case.demand],
            "order_date": pd.to_datetime(pd.Series([o.order_date for o in case.demand], dtype=object)),
            "order_ref": [o.order_ref for o in case.demand],
        }
    )
    promises, allocations = allocate(supply, orders, case.safety_days)
    return (
        [
            ItemPromise(
                int(p.backorder_id),
                None if pd.isna(p.promise_date) else pd.Timestamp(p.promise_date).date(),
                str(p.status),
                str(p.reason),
                str(p.reason_args),
            )
            for p in promises.itertuples(index=False)
        ],
        [
            ItemAllocation(
                int(a.backorder_id),
                None if pd.isna(a.po_line_id) else int(a.po_line_id),
                int(a.quantity),
                pd.Timestamp(a.available_date).date(),
            )
            for a in allocations.itertuples(index=False)
        ],
    )


@settings(max_examples=300, deadline=None)
@given(
    st.builds(
        ItemCase,
        on_hand=st.one_of(st.just(0), st.integers(-5, 150)),
        lines=supply_lines(),
        buffers=st.dictionaries(st.integers(1, 4), st.integers(0, 3), max_size=4),
        default_buffer=st.one_of(st.none(), st.integers(0, 2)),
        demand=waiting_orders(),
        safety_days=st.integers(0, 2),
    )
)
def test_one_items_promises_in_plain_python_equal_the_vectorized_allocation(case: ItemCase) -> None:
    supply = item_supply(
        case.on_hand, case.lines, case.buffers, AS_OF, default_buffer=case.default_buffer or 0
    )
    plain = promise_item(supply, case.demand, case.safety_days)
    assert plain == vectorized(case)


def test_an_order_behind_one_the_supply_cannot_cover_is_unpromisable_even_if_stock_is_left() -> None:
    supply = item_supply(
        30,
        [SupplyLine(7, 1, 50, day(10), day(5), "PO-7/1", "ACME")],
        {1: 2},
        AS_OF,
    )
    first = WaitingOrder(1, 70, 2.0, day(-9), "SO-1")
    big = WaitingOrder(2, 40, 1.0, day(-8), "SO-2")
    small = WaitingOrder(3, 5, 0.0, day(-7), "SO-3")
    promises, allocations = promise_item(supply, [small, big, first], safety_days=1)
    assert promises == [
        ItemPromise(
            3, None, "unpromisable", "no open supply for 5 units", '{"t":"no_supply","short":5,"whole":5}'
        ),
        ItemPromise(
            2,
            None,
            "unpromisable",
            "no open supply for 30 of 40 units",
            '{"t":"no_supply","short":30,"whole":40}',
        ),
        ItemPromise(
            1,
            day(13),
            "promised",
            "arrival p90 2026-03-23 of PO-7/1 + 2 days ACME buffer + 1 day safety buffer",
            '{"t":"arrival_p90","date":"2026-03-23","line":"PO-7/1","buffer":2,"supplier":"ACME","safety":1}',
        ),
    ]
    assert allocations == [
        ItemAllocation(1, None, 30, AS_OF),
        ItemAllocation(1, 7, 40, AS_OF + dt.timedelta(days=12)),
    ]


def test_an_order_of_no_units_is_refused() -> None:
    with pytest.raises(ValidationError, match="Backorder 9"):
        promise_item([], [WaitingOrder(9, 0, 0.0, None, "SO-9")])
