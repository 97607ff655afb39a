"""The SCMS model bench (bench/backtest_models.py): out of time, and able to find a signal that is there."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from bench import backtest_models as bm


def synthetic(n: int = 1_200, seed: int = 0) -> pd.DataFrame:
    """Two suppliers delivering every day for ``n`` days; big orders (quantity 1,000) are 21 days late,
    small ones (10) on time: the quantity alone explains every slip."""
    rng = np.random.default_rng(seed)
    due = pd.Timestamp("2010-01-01") + pd.to_timedelta(np.arange(n), unit="D")
    big = rng.random(n) < 0.3
    return pd.DataFrame(
        {
            "supplier_id": np.where(np.arange(n) % 2 == 0, "ACME", "BOLT"),
            "due_date": due,
            "delivered_date": due + pd.to_timedelta(np.where(big, 21, 0), unit="D"),
            "order_date": due - pd.Timedelta(days=90),
            "quantity": np.where(big, 1_000, 10),
        }
    )


def test_a_refit_trains_only_on_deliveries_made_before_the_promises_it_serves() -> None:
    deliveries = synthetic()
    delivered = bm.to_days(deliveries["delivered_date"]).astype(np.int64)
    moment = bm.to_days(deliveries["due_date"]).astype(np.int64) - bm.HORIZON_DAYS
    fits = bm._refits(delivered, moment, step=30)
    assert fits
    for train, predict in fits:
        assert delivered[train].max() < moment[predict].min()
    # Every promise after the first fit is served by exactly one refit.
    served = np.sum([predict for _, predict in fits], axis=0)
    assert set(served.tolist()) <= {0, 1}
    assert served[moment >= moment[predict].min()].all() if (predict := fits[0][1]).any() else True


def test_features_at_a_promise_do_not_change_when_later_deliveries_change() -> None:
    deliveries = synthetic(400)
    moment = bm.to_days(deliveries["due_date"]).astype(np.int64) - bm.HORIZON_DAYS
    cut = moment[200]
    changed = deliveries.copy()
    # Everything delivered on or after the cut now arrives 40 days late.
    later = bm.to_days(changed["delivered_date"]).astype(np.int64) >= cut
    changed.loc[later, "delivered_date"] += pd.Timedelta(days=40)
    before = moment < cut
    pd.testing.assert_frame_equal(bm.features(deliveries)[before], bm.features(changed)[before])


def test_a_supplier_s_overdue_lines_count_those_due_before_the_moment_and_not_yet_delivered() -> None:
    due = np.array([10, 20, 30, 40])
    delivered = np.array([12, 50, 29, 41])
    # At day 35: due 10 (delivered 12), 20 (not until 50), 30 (delivered 29); 40 not due yet.
    # At 45 only the line due on day 20 is still out; at 60 none.
    assert bm._overdue(due, delivered, np.array([35, 45, 60])).tolist() == [1, 1, 0]


def test_the_late_times_severity_model_pads_the_orders_the_feature_says_are_late() -> None:
    pytest.importorskip("sklearn")
    deliveries = synthetic()
    frame = bm.features(deliveries)
    cdf = bm.late_times_severity(deliveries, frame, step=60, scms=False)
    fitted = ~np.isnan(cdf[:, 0])
    assert fitted.sum() > 200
    knee = bm.SEVERITY_GRID[np.argmax(np.where(fitted[:, None], cdf, 0.0) - 0.002 * bm.SEVERITY_GRID, axis=1)]
    big = deliveries["quantity"].to_numpy() == 1_000
    # Big orders get the 21 days they slip, small ones nothing.
    assert (knee[fitted & big] == 21).all()
    assert (knee[fitted & ~big] == 0).all()


def _levels(n: int) -> dict[float, np.ndarray]:
    """A stand-in for the portal's buffers at each level: (level - 0.80) x 200 days for every delivery
    (0 to 39 days: a 21-day slip is kept from level 0.905 up)."""
    return {q: np.full(n, round((q - 0.80) * 200)) for q in bm.ONLINE_LEVELS}


@pytest.mark.parametrize(("kind", "step"), [("aci", 0.01), ("tracker", 0.5)])
def test_an_online_rule_pads_a_promise_only_from_outcomes_known_before_it(kind: str, step: float) -> None:
    deliveries = synthetic(400)
    due = bm.to_days(deliveries["due_date"]).astype(np.int64)
    moment = due - bm.HORIZON_DAYS
    cut = moment[200]
    changed = deliveries.copy()
    # Everything due on or after the cut now arrives 40 days later: none of it was known, kept or
    # broken, before the cut (its promised date is not past yet).
    changed.loc[due >= cut, "delivered_date"] += pd.Timedelta(days=40)
    levels = _levels(len(deliveries))
    before = moment < cut
    padding = bm.online_paddings(deliveries, levels, kind, 0.05, step, 0.95)
    again = bm.online_paddings(changed, levels, kind, 0.05, step, 0.95)
    assert (padding[before] == again[before]).all()
    assert not (padding[~before] == again[~before]).all()


@pytest.mark.parametrize(("kind", "step"), [("aci", 0.01), ("tracker", 0.5)])
def test_an_online_rule_pads_more_after_a_supplier_turns_late_and_less_while_it_is_on_time(
    kind: str, step: float
) -> None:
    n = 600
    due = pd.Timestamp("2010-01-01") + pd.to_timedelta(np.arange(n), unit="D")
    late = np.arange(n) >= n // 2  # on time for 300 days, then 21 days late every time
    deliveries = pd.DataFrame(
        {
            "supplier_id": "ACME",
            "due_date": due,
            "delivered_date": due + pd.to_timedelta(np.where(late, 21, 0), unit="D"),
        }
    )
    padding = bm.online_paddings(deliveries, _levels(n), kind, 0.05, step, 0.95)
    start = 30  # the level starts at 0.95: 30 days
    assert padding[0] == start
    # On time: the padding falls (ACI to its lowest level, 0 days); once late, it climbs again.
    assert padding[n // 2 - 1] < start
    assert padding[-1] > padding[n // 2 - 1]
    assert padding[-1] >= 21
