"""Available-to-promise: supply from stock and open lines, allocated to backorders in queue order."""

from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from portal.core.buffers import supplier_buffers
from portal.core.domain import ValidationError
from portal.core.promise import allocate, build_supply

AS_OF = dt.date(2026, 3, 2)
NO_BUFFERS = supplier_buffers(pd.DataFrame({"supplier_id": [], "due_date": [], "delivered_date": []}))


def stock(**on_hand: int) -> pd.DataFrame:
    """On-hand stock by item, written item_<id>=quantity."""
    return pd.DataFrame(
        {"item_id": [int(k.split("_")[1]) for k in on_hand], "on_hand": list(on_hand.values())},
        dtype=np.int64,
    )


def lines(*rows: dict[str, object]) -> pd.DataFrame:
    """Open PO lines; each row gives po_line_id, item_id, qty, and p90 and/or due (ISO dates)."""
    return pd.DataFrame(
        {
            "po_line_id": [r["po_line_id"] for r in rows],
            "item_id": [r.get("item_id", 1) for r in rows],
            "supplier_id": [r.get("supplier_id", 1) for r in rows],
            "outstanding_qty": [r["qty"] for r in rows],
            "arrival_p90": pd.to_datetime([r.get("p90") for r in rows]),
            "due_date": pd.to_datetime([r.get("due", "2026-12-31") for r in rows]),
        }
    )


def backorders(*rows: dict[str, object]) -> pd.DataFrame:
    """Backorders; each row gives backorder_id and quantity, optionally item, priority, ordered, ref."""
    return pd.DataFrame(
        {
            "backorder_id": [r["backorder_id"] for r in rows],
            "item_id": [r.get("item_id", 1) for r in rows],
            "quantity": [r["quantity"] for r in rows],
            "priority": [r.get("priority", 0) for r in rows],
            "order_date": pd.to_datetime([r.get("ordered", "2026-02-01") for r in rows]),
            "order_ref": [r.get("ref", f"SO-{r['backorder_id']}") for r in rows],
        }
    )


def promise_dates(promises: pd.DataFrame) -> dict[int, str | None]:
    return {
        int(b): (None if pd.isna(d) else pd.Timestamp(d).date().isoformat())
        for b, d in zip(promises["backorder_id"], promises["promise_date"], strict=True)
    }


def promise(
    on_hand: pd.DataFrame, open_lines: pd.DataFrame, demand: pd.DataFrame, safety_days: int = 0
) -> tuple[pd.DataFrame, pd.DataFrame]:
    return allocate(build_supply(on_hand, open_lines, NO_BUFFERS, AS_OF), demand, safety_days)


def test_on_hand_stock_is_promised_first_and_available_today() -> None:
    promises, allocations = promise(
        stock(item_1=5),
        lines({"po_line_id": 10, "qty": 10, "p90": "2026-03-20"}),
        backorders({"backorder_id": 1, "quantity": 5}),
    )
    assert promise_dates(promises) == {1: "2026-03-02"}
    assert promises["status"].tolist() == ["promised"]
    assert allocations["po_line_id"].isna().all()
    assert allocations["quantity"].tolist() == [5]


def test_on_hand_comes_before_a_line_available_the_same_day() -> None:
    _, allocations = promise(
        stock(item_1=2),
        lines({"po_line_id": 10, "qty": 2, "p90": "2026-02-01"}),
        backorders({"backorder_id": 1, "quantity": 2}),
    )
    assert allocations["po_line_id"].isna().tolist() == [True]


def test_several_lines_of_one_item_are_used_in_date_order() -> None:
    open_lines = lines(
        {"po_line_id": 11, "qty": 4, "p90": "2026-04-01"},
        {"po_line_id": 10, "qty": 4, "p90": "2026-03-10"},
    )
    promises, allocations = promise(
        stock(item_1=1),
        open_lines,
        backorders({"backorder_id": 1, "quantity": 3}, {"backorder_id": 2, "quantity": 4}),
    )
    assert promise_dates(promises) == {1: "2026-03-10", 2: "2026-04-01"}
    assert allocations[["backorder_id", "po_line_id", "quantity"]].astype(object).values.tolist() == [
        [1, pd.NA, 1],
        [1, 10, 2],
        [2, 10, 2],
        [2, 11, 2],
    ]


def test_one_line_serves_several_backorders() -> None:
    promises, allocations = promise(
        stock(),
        lines({"po_line_id": 10, "qty": 10, "p90": "2026-03-10"}),
        backorders(
            {"backorder_id": 1, "quantity": 3},
            {"backorder_id": 2, "quantity": 3},
            {"backorder_id": 3, "quantity": 4},
        ),
    )
    assert set(promise_dates(promises).values()) == {"2026-03-10"}
    assert allocations["po_line_id"].tolist() == [10, 10, 10]
    assert allocations["quantity"].tolist() == [3, 3, 4]


@pytest.mark.parametrize(
    ("first", "second"),
    [
        pytest.param(
            {"priority": 0, "ordered": "2026-01-01"}, {"priority": 5, "ordered": "2026-02-20"}, id="priority"
        ),
        pytest.param(
            {"ordered": "2026-02-10"}, {"ordered": "2026-02-09"}, id="older-order-within-a-priority"
        ),
        pytest.param({"ref": "SO-B"}, {"ref": "SO-A"}, id="order-ref-between-orders-of-a-day-and-priority"),
    ],
)
def test_the_backorder_first_in_the_queue_is_served_first(first: dict, second: dict) -> None:
    # Backorder 2 comes first in the queue: the stock on hand goes to it, backorder 1 waits for the line.
    promises, _ = promise(
        stock(item_1=2),
        lines({"po_line_id": 10, "qty": 2, "p90": "2026-03-20"}),
        backorders({"backorder_id": 1, "quantity": 2, **first}, {"backorder_id": 2, "quantity": 2, **second}),
    )
    assert promise_dates(promises) == {1: "2026-03-20", 2: "2026-03-02"}


def test_backorder_beyond_supply_is_unpromisable_and_gets_no_allocation() -> None:
    promises, allocations = promise(
        stock(item_1=3),
        lines(),
        backorders({"backorder_id": 1, "quantity": 2}, {"backorder_id": 2, "quantity": 2}),
    )
    assert promise_dates(promises) == {1: "2026-03-02", 2: None}
    assert promises["status"].tolist() == ["promised", "unpromisable"]
    assert allocations["backorder_id"].tolist() == [1]


def test_strict_queue_a_later_order_never_jumps_an_unpromisable_one() -> None:
    # 3 units: order 1 takes 2, order 2 needs 5 and cannot be covered; order 3 needs only 1 (which
    # is left) but waits behind order 2 rather than take stock order 2 is waiting for.
    promises, allocations = promise(
        stock(item_1=3),
        lines(),
        backorders(
            {"backorder_id": 1, "quantity": 2, "ordered": "2026-01-01"},
            {"backorder_id": 2, "quantity": 5, "ordered": "2026-01-02"},
            {"backorder_id": 3, "quantity": 1, "ordered": "2026-01-03"},
        ),
    )
    assert promises["status"].tolist() == ["promised", "unpromisable", "unpromisable"]
    assert allocations["quantity"].sum() == 2


def test_items_do_not_share_supply() -> None:
    promises, _ = promise(
        stock(item_1=5, item_2=1),
        lines(),
        backorders(
            {"backorder_id": 1, "item_id": 2, "quantity": 3}, {"backorder_id": 2, "item_id": 1, "quantity": 5}
        ),
    )
    assert promise_dates(promises) == {1: None, 2: "2026-03-02"}


def test_safety_days_are_added_to_the_promise_in_calendar_days() -> None:
    promises, allocations = promise(
        stock(),
        lines({"po_line_id": 10, "qty": 1, "p90": "2026-03-13"}),
        backorders({"backorder_id": 1, "quantity": 1}),
        3,
    )
    assert promise_dates(promises) == {1: "2026-03-16"}
    assert allocations["available_date"].dt.date.tolist() == [dt.date(2026, 3, 13)]


def test_line_without_forecast_falls_back_to_its_due_date() -> None:
    supply = build_supply(
        stock(), lines({"po_line_id": 10, "qty": 1, "due": "2026-04-01"}), NO_BUFFERS, AS_OF
    )
    assert supply["available_date"].dt.date.tolist() == [dt.date(2026, 4, 1)]


def test_supplier_buffer_is_added_to_a_line_and_unknown_suppliers_get_the_pooled_buffer() -> None:
    history = pd.DataFrame(
        {
            "supplier_id": [7] * 10,
            "due_date": pd.to_datetime(["2026-01-05"] * 10),
            "delivered_date": pd.to_datetime(["2026-01-09"] * 10),
        }
    )
    open_lines = lines(
        {"po_line_id": 10, "qty": 1, "p90": "2026-03-10", "supplier_id": 7},
        {"po_line_id": 11, "qty": 1, "p90": "2026-03-10", "supplier_id": 8},
    )
    supply = build_supply(stock(), open_lines, supplier_buffers(history), AS_OF)
    assert supply["available_date"].dt.date.tolist() == [dt.date(2026, 3, 14)] * 2


def test_supply_is_never_available_before_as_of() -> None:
    supply = build_supply(
        stock(), lines({"po_line_id": 10, "qty": 1, "p90": "2026-01-15"}), NO_BUFFERS, AS_OF
    )
    assert supply["available_date"].dt.date.tolist() == [AS_OF]


def test_lines_with_nothing_outstanding_and_empty_stock_are_not_supply() -> None:
    supply = build_supply(
        stock(item_1=0, item_2=4),
        lines(
            {"po_line_id": 10, "qty": 0, "p90": "2026-03-10"},
            {"po_line_id": 11, "qty": -2, "p90": "2026-03-10"},
        ),
        NO_BUFFERS,
        AS_OF,
    )
    assert supply[["item_id", "quantity"]].values.tolist() == [[2, 4]]
    assert list(supply.columns) == [
        "item_id",
        "po_line_id",
        "quantity",
        "available_date",
        "reason",
        "reason_args",
    ]
    assert str(supply["po_line_id"].dtype) == "Int64"


def test_no_demand_gives_empty_frames() -> None:
    promises, allocations = promise(stock(item_1=3), lines(), backorders())
    assert list(promises.columns) == ["backorder_id", "promise_date", "status", "reason", "reason_args"]
    assert list(allocations.columns) == ["backorder_id", "po_line_id", "quantity", "available_date"]
    assert promises.empty and allocations.empty


def test_each_promise_says_which_supply_its_date_comes_from() -> None:
    open_lines = lines(
        {"po_line_id": 10, "qty": 5, "p90": "2026-03-20"},
        {"po_line_id": 11, "qty": 50, "due": "2026-04-02"},
    ).assign(label=["PO-40364/3", "PO-7/1"], supplier_code=["ACME-DE", "BOLT"])
    buffers = pd.DataFrame({"supplier_id": [1], "buffer_days": [2]})
    supply = build_supply(stock(item_1=3), open_lines, buffers, AS_OF)
    promises, _ = allocate(
        supply,
        backorders(
            {"backorder_id": 1, "quantity": 3},
            {"backorder_id": 2, "quantity": 4},
            {"backorder_id": 3, "quantity": 6},
            {"backorder_id": 4, "quantity": 60},
            {"backorder_id": 5, "quantity": 17},
        ),
    )
    assert promises.set_index("backorder_id")["reason"].to_dict() == {
        1: "on hand",
        2: "arrival p90 2026-03-20 of PO-40364/3 + 2 days ACME-DE buffer",
        3: "due date 2026-04-02 of PO-7/1 + 2 days BOLT buffer",
        4: "no open supply for 15 of 60 units",
        5: "no open supply for 17 units",
    }


def test_a_promise_reason_names_the_safety_buffer_and_leaves_out_a_zero_supplier_buffer() -> None:
    supply = build_supply(
        stock(), lines({"po_line_id": 10, "qty": 5, "p90": "2026-03-20"}), NO_BUFFERS, AS_OF
    )
    promises, _ = allocate(supply, backorders({"backorder_id": 1, "quantity": 5}), safety_days=1)
    assert promises["reason"].tolist() == ["arrival p90 2026-03-20 of line 10 + 1 day safety buffer"]


def test_backorder_of_nothing_is_refused() -> None:
    with pytest.raises(ValidationError, match="Backorder 1"):
        promise(stock(item_1=3), lines(), backorders({"backorder_id": 1, "quantity": 0}))


# Property tests: random stock, lines and backorders over a few items.
supply_rows = st.lists(
    st.tuples(st.integers(1, 3), st.integers(0, 8), st.one_of(st.none(), st.integers(-20, 40))), max_size=12
)
demand_rows = st.lists(
    st.tuples(
        st.integers(1, 3), st.integers(1, 8), st.integers(0, 2), st.integers(0, 5), st.sampled_from("ABC")
    ),
    max_size=15,
)


def random_case(
    on_hand: list[int],
    line_rows: list[tuple[int, int, int | None]],
    demand: list[tuple[int, int, int, int, str]],
) -> tuple[pd.DataFrame, pd.DataFrame]:
    open_lines = pd.DataFrame(
        {
            "po_line_id": np.arange(100, 100 + len(line_rows)),
            "item_id": [r[0] for r in line_rows],
            "supplier_id": 1,
            "outstanding_qty": [r[1] for r in line_rows],
            "arrival_p90": [
                pd.NaT if r[2] is None else pd.Timestamp(AS_OF) + pd.Timedelta(days=r[2]) for r in line_rows
            ],
            "due_date": pd.Timestamp("2026-03-20"),
        }
    )
    supply = build_supply(
        pd.DataFrame({"item_id": [1, 2, 3], "on_hand": on_hand}), open_lines, NO_BUFFERS, AS_OF
    )
    demand_frame = pd.DataFrame(
        {
            "backorder_id": np.arange(len(demand)),
            "item_id": [r[0] for r in demand],
            "quantity": [r[1] for r in demand],
            "priority": [r[2] for r in demand],
            "order_date": [pd.Timestamp("2026-02-01") + pd.Timedelta(days=r[3]) for r in demand],
            "order_ref": [f"{r[4]}-{i}" for i, r in enumerate(demand)],
        }
    )
    return supply, demand_frame


#: On-hand stock of items 1-3, the supply it and the open lines give, backorders, and safety days.
Case = tuple[list[int], pd.DataFrame, pd.DataFrame, int]


@st.composite
def random_cases(draw: st.DrawFn) -> Case:
    on_hand = draw(st.lists(st.integers(0, 6), min_size=3, max_size=3))
    supply, demand = random_case(on_hand, draw(supply_rows), draw(demand_rows))
    return on_hand, supply, demand, draw(st.integers(0, 3))


@settings(max_examples=150, deadline=None)
@given(random_cases())
def test_allocation_conserves_quantities(case: Case) -> None:
    on_hand, supply, demand_frame, safety_days = case
    promises, allocations = allocate(supply, demand_frame, safety_days)
    assert (allocations["quantity"] > 0).all()
    promised = promises.loc[promises["status"] == "promised", "backorder_id"]
    per_backorder = allocations.groupby("backorder_id")["quantity"].sum()
    wanted = demand_frame.set_index("backorder_id")["quantity"]
    assert sorted(per_backorder.index) == sorted(promised)
    assert (per_backorder == wanted[per_backorder.index]).all()
    # Each supply row (a line, or an item's on-hand stock) gives at most what it has.
    lines_used = allocations.dropna(subset=["po_line_id"]).groupby("po_line_id")["quantity"].sum()
    line_qty = supply.dropna(subset=["po_line_id"]).set_index("po_line_id")["quantity"]
    assert (lines_used <= line_qty[lines_used.index]).all()
    on_hand_used = (
        allocations[allocations["po_line_id"].isna()]
        .merge(demand_frame[["backorder_id", "item_id"]], on="backorder_id")
        .groupby("item_id")["quantity"]
        .sum()
    )
    assert all(on_hand_used.get(item, 0) <= on_hand[item - 1] for item in (1, 2, 3))


@settings(max_examples=150, deadline=None)
@given(random_cases())
def test_promise_dates_respect_the_queue_and_as_of(case: Case) -> None:
    _on_hand, supply, demand_frame, safety_days = case
    promises, allocations = allocate(supply, demand_frame, safety_days)
    assert (supply["available_date"] >= pd.Timestamp(AS_OF)).all()
    dates = promises.set_index("backorder_id")["promise_date"]
    assert (dates.dropna() >= pd.Timestamp(AS_OF) + pd.Timedelta(days=safety_days)).all()
    # The promise is the date of the last unit a backorder uses, plus the safety days.
    last_unit = allocations.groupby("backorder_id")["available_date"].max() + pd.Timedelta(days=safety_days)
    assert (last_unit == dates[last_unit.index]).all()
    # Within an item, a higher priority never waits longer; unpromisable counts as latest.
    latest = pd.Timestamp.max.normalize()
    merged = demand_frame.assign(date=dates[demand_frame["backorder_id"]].fillna(latest).to_numpy())
    for _, item in merged.groupby("item_id"):
        for _, high in item.iterrows():
            lower = item[item["priority"] < high["priority"]]
            assert (high["date"] <= lower["date"]).all()
