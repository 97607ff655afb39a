"""Supplier buffers learned from delivery history."""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from portal.core.buffers import buffer_for, delivery_slips, supplier_buffers, supplier_buffers_before
from tests.builders import random_deliveries

PLAIN: dict[str, Any] = {"half_life_days": None, "tail_days": None}  # the classic per-vendor quantile


def deliveries(*rows: tuple[object, str, int]) -> pd.DataFrame:
    """Rows of (supplier_id, due date, slip in days)."""
    due = pd.to_datetime([r[1] for r in rows])
    return pd.DataFrame(
        {
            "supplier_id": [r[0] for r in rows],
            "due_date": due,
            "delivered_date": due + pd.to_timedelta([r[2] for r in rows], unit="D"),
        }
    )


def same_day(supplier_id: object, slips: list[int], day: str = "2025-01-10") -> list[tuple[object, str, int]]:
    return [(supplier_id, day, s) for s in slips]


def buffers_by_supplier(frame: pd.DataFrame) -> dict[object, int]:
    return {
        (None if pd.isna(s) else s): int(b)
        for s, b in zip(frame["supplier_id"], frame["buffer_days"], strict=True)
    }


def test_slip_is_delivered_minus_due_in_days_and_undated_deliveries_are_dropped() -> None:
    frame = pd.DataFrame(
        {
            "supplier_id": [1, 1, 1],
            "due_date": pd.to_datetime(["2025-01-10", "2025-01-10", None]),
            "delivered_date": [pd.Timestamp("2025-01-13 15:00"), pd.NaT, pd.Timestamp("2025-01-01")],
        }
    )
    slips = delivery_slips(frame)
    assert slips.tolist() == [3.0]
    assert slips.index.tolist() == [0]


def test_no_history_at_all_gives_zero_for_everyone() -> None:
    empty = deliveries()
    buffers = supplier_buffers(empty)
    assert buffers_by_supplier(buffers) == {None: 0}
    assert buffer_for(buffers, [1, 2]).tolist() == [0, 0]


def test_supplier_without_history_gets_the_all_supplier_buffer() -> None:
    buffers = supplier_buffers(deliveries(*same_day(1, [4] * 20)))
    assert buffers_by_supplier(buffers) == {1: 4, None: 4}
    assert buffer_for(buffers, [1, 99]).tolist() == [4, 4]


def test_early_deliveries_never_give_a_negative_buffer() -> None:
    buffers = supplier_buffers(deliveries(*same_day(1, [-30, -5, -1] * 10)))
    assert buffers_by_supplier(buffers) == {1: 0, None: 0}


def test_short_history_is_blended_toward_all_suppliers() -> None:
    # Pooled slips are 80% "10 days late", so the pooled buffer is 10; supplier 2 has 5 of the 10
    # deliveries it needs, all on time: half its own 0 and half the pooled 10.
    history = deliveries(*same_day(1, [10] * 20), *same_day(2, [0] * 5))
    assert buffers_by_supplier(supplier_buffers(history, min_history=10)) == {1: 10, 2: 5, None: 10}


def test_plain_quantile_interpolates_like_numpy() -> None:
    history = deliveries(*same_day(1, list(range(11))))
    # 0.95 of 0..10 is 9.5 (numpy's linear method), rounded up to whole days.
    assert buffers_by_supplier(supplier_buffers(history, quantile=0.95, min_history=1, **PLAIN))[1] == 10
    assert buffers_by_supplier(supplier_buffers(history, quantile=0.5, min_history=1, **PLAIN))[1] == 5


def test_a_rare_long_delay_is_not_padded_but_a_common_short_one_is() -> None:
    # Supplier 1: 10% of deliveries 60 days late. Covering them would cost 60 days for every
    # promise; the plain 0.95 quantile does it, the knee rule does not.
    # Supplier 2: 20% of deliveries 2 days late: two days buy 20% more kept promises.
    history = deliveries(*same_day(1, [0] * 90 + [60] * 10), *same_day(2, [0] * 80 + [2] * 20))
    knee = buffers_by_supplier(supplier_buffers(history))
    plain = buffers_by_supplier(supplier_buffers(history, **PLAIN))
    assert (knee[1], knee[2]) == (0, 2)
    assert (plain[1], plain[2]) == (60, 2)


def test_recent_deliveries_weigh_more_than_old_ones() -> None:
    # 50 deliveries 20 days late two years ago, 50 on time since: the default forgets the old slips.
    history = deliveries(*same_day(1, [20] * 50, "2023-01-10"), *same_day(1, [0] * 50, "2025-01-10"))
    assert buffers_by_supplier(supplier_buffers(history))[1] == 0
    assert buffers_by_supplier(supplier_buffers(history, half_life_days=None))[1] == 20


def test_buffers_do_not_depend_on_how_old_the_whole_history_is() -> None:
    history = deliveries(*same_day(1, [0, 3, 5, 9] * 5, "2025-01-10"), *same_day(1, [1, 2] * 5, "2025-03-01"))
    shifted = history.assign(
        due_date=history["due_date"] - pd.Timedelta(days=4000),
        delivered_date=history["delivered_date"] - pd.Timedelta(days=4000),
    )
    assert supplier_buffers(history).equals(supplier_buffers(shifted))


def test_supplier_ids_may_be_codes() -> None:
    buffers = supplier_buffers(deliveries(*same_day("ACME", [3] * 10), *same_day("BOLT", [0] * 10)))
    assert buffer_for(buffers, ["BOLT", "ACME", "NEW"]).tolist() == [0, 3, 3]


def test_invalid_settings_are_refused() -> None:
    with pytest.raises(ValueError, match="quantile"):
        supplier_buffers(deliveries(), quantile=0)
    with pytest.raises(ValueError, match="min_history"):
        supplier_buffers(deliveries(), min_history=0)


@pytest.mark.parametrize(
    "options", [{}, PLAIN, {"tail_days": None}, {"half_life_days": None}, {"quantile": 0.8}]
)
def test_replay_gives_what_supplier_buffers_gives_on_each_earlier_history(options: dict[str, Any]) -> None:
    history = random_deliveries(
        7, 300, first_due="2024-01-01", due_days=400, suppliers=7, slips=[-3, 0, 0, 0, 1, 2, 5, 30]
    ).sort_values("delivered_date", kind="stable")
    cutoffs = pd.to_datetime(["2023-12-01", "2024-02-01", "2024-02-02", "2024-06-15", "2025-12-31"])
    replay = supplier_buffers_before(history, cutoffs, min_history=10, **options)
    everyone = [*range(1, 8), 99]
    for cutoff in cutoffs:
        expected = supplier_buffers(history[history["delivered_date"] < cutoff], min_history=10, **options)
        block = replay[replay["cutoff"] == cutoff]
        assert buffer_for(block, everyone).tolist() == buffer_for(expected, everyone).tolist()


@settings(max_examples=60, deadline=None)
@given(
    st.lists(
        st.tuples(st.integers(1, 4), st.integers(0, 200), st.integers(-40, 90)),
        max_size=60,
    ),
    st.floats(0.5, 1.0),
)
def test_buffers_are_whole_days_never_negative_and_never_beyond_the_latest_slip(
    rows: list[tuple[int, int, int]], quantile: float
) -> None:
    history = deliveries(
        *[(s, str(pd.Timestamp("2025-01-01") + pd.Timedelta(days=d)), slip) for s, d, slip in rows]
    )
    buffers = supplier_buffers(history, quantile=quantile)
    assert buffers["buffer_days"].dtype == np.int64
    assert (buffers["buffer_days"] >= 0).all()
    worst = max([0, *(slip for _, _, slip in rows)])
    assert (buffers["buffer_days"] <= worst).all()
    assert buffers["deliveries"].iloc[-1] == len(rows)
