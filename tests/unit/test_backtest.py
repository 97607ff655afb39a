"""Backtest of promise policies on a delivery history."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest

from portal.core.backtest import (
    BacktestResult,
    Policy,
    PolicyResult,
    backtest,
    default_policies,
    format_table,
)
from portal.core.buffers import buffer_for, supplier_buffers
from portal.core.settings import Settings
from tests.builders import random_deliveries


def history(*rows: tuple[int, str, str | None]) -> pd.DataFrame:
    """Rows of (supplier_id, due date, delivered date)."""
    return pd.DataFrame(
        {
            "supplier_id": [r[0] for r in rows],
            "due_date": pd.to_datetime([r[1] for r in rows]),
            "delivered_date": pd.to_datetime([r[2] for r in rows]),
        }
    )


# Promised 30 days before the due date, from what was delivered before then:
#   a: promised 2023-12-02, nothing known yet -> buffer 0; 2 days late: broken.
#   b: promised 2024-01-31, knows a (2 late)  -> buffer 2; 1 day late: kept.
#   c: promised 2024-04-01, knows a and b     -> buffer 2; 1 day early: kept.
#   d: supplier 2, promised 2024-04-01: no history of its own -> all-supplier buffer 2; 4 late: broken.
HAND_MADE = history(
    (1, "2024-01-01", "2024-01-03"),
    (1, "2024-03-01", "2024-03-02"),
    (1, "2024-05-01", "2024-04-30"),
    (2, "2024-05-01", "2024-05-05"),
)


def results_by_name(result: BacktestResult) -> dict[str, PolicyResult]:
    return {p.name: p for p in result.policies}


def test_hand_made_history_gives_the_kept_share_and_padding_computed_by_hand() -> None:
    result = backtest(HAND_MADE, horizon_days=30)
    by_name = results_by_name(result)
    assert result.deliveries == 4
    assert by_name["due_date"] == PolicyResult(
        "due_date", kept=0.25, mean_padding_days=0.0, median_padding_days=0.0
    )
    assert by_name["portal"] == PolicyResult(
        "portal", kept=0.5, mean_padding_days=1.5, median_padding_days=2.0
    )
    # q0.95 of [2, 1] is 1.95 (numpy's linear method): 2 days once rounded up.
    assert by_name["vendor_q0.95"] == PolicyResult(
        "vendor_q0.95", kept=0.5, mean_padding_days=1.5, median_padding_days=2.0
    )


def test_a_delivery_on_the_promise_moment_is_not_yet_known() -> None:
    # The second line is promised on 2024-02-01, the day the first arrives 10 days late.
    result = backtest(
        history((1, "2024-01-22", "2024-02-01"), (1, "2024-03-02", "2024-03-05")), horizon_days=30
    )
    assert results_by_name(result)["portal"].mean_padding_days == 0.0
    later = backtest(
        history((1, "2024-01-22", "2024-02-01"), (1, "2024-03-03", "2024-03-05")), horizon_days=30
    )
    assert results_by_name(later)["portal"].mean_padding_days == 5.0  # (0 + 10) / 2


def test_deliveries_without_both_dates_are_not_scored() -> None:
    frame = pd.concat([HAND_MADE, history((1, "2024-06-01", None))], ignore_index=True)
    assert backtest(frame).deliveries == 4


def test_default_policies_are_due_date_portal_and_plain_vendor_quantiles() -> None:
    names = [p.name for p in default_policies()]
    assert names == ["due_date", "portal", "vendor_q0.95", "vendor_q0.97"]
    portal = default_policies(Settings(buffer_quantile=0.9, buffer_min_history=4))[1]
    assert portal.options == {"quantile": 0.9, "min_history": 4}


def test_portal_policy_is_supplier_buffers_called_on_the_history_before_each_promise() -> None:
    frame = random_deliveries(
        3, 250, first_due="2023-01-01", due_days=700, suppliers=5, slips=[-5, 0, 0, 0, 0, 1, 3, 8, 40]
    )
    settings = Settings()
    padding = []
    for supplier, due_date in zip(frame["supplier_id"], frame["due_date"], strict=True):
        known = frame[frame["delivered_date"] < due_date - pd.Timedelta(days=30)]
        buffers = supplier_buffers(known, settings.buffer_quantile, settings.buffer_min_history)
        padding.append(int(buffer_for(buffers, [supplier])[0]))
    padding_arr = np.array(padding)
    slips = (frame["delivered_date"] - frame["due_date"]).dt.days.to_numpy()
    portal = results_by_name(backtest(frame, horizon_days=30))["portal"]
    assert portal.kept == pytest.approx(np.mean(slips <= padding_arr))
    assert portal.mean_padding_days == pytest.approx(padding_arr.mean())
    assert portal.median_padding_days == pytest.approx(np.median(padding_arr))


def test_result_converts_to_the_json_shape() -> None:
    result = backtest(HAND_MADE, policies=[Policy("due_date"), Policy("portal", {})])
    as_dict = result.to_dict()
    assert json.loads(json.dumps(as_dict)) == {
        "deliveries": 4,
        "policies": [
            {"name": "due_date", "kept": 0.25, "mean_padding_days": 0.0, "median_padding_days": 0.0},
            {"name": "portal", "kept": 0.5, "mean_padding_days": 1.5, "median_padding_days": 2.0},
        ],
    }


def test_table_lists_every_policy_with_its_kept_share() -> None:
    table = format_table(backtest(HAND_MADE))
    assert "Backtest over 4 deliveries" in table
    for name, kept in [("due_date", "25.0%"), ("portal", "50.0%"), ("vendor_q0.97", "50.0%")]:
        assert any(line.startswith(name) and kept in line for line in table.splitlines())


def test_a_history_without_dated_deliveries_has_no_data_rather_than_zeros() -> None:
    result = backtest(history((1, "2024-06-01", None)))
    assert result.deliveries == 0
    assert result.to_dict()["policies"][1] == {
        "name": "portal",
        "kept": None,
        "mean_padding_days": None,
        "median_padding_days": None,
    }
    assert "no data" in format_table(result)
