"""The factory simulation's own truth on small hand-made worlds, and its refusal of impossible parameters."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from typing import Any

import numpy as np
import pandas as pd
import pytest

from portal.core.domain import ValidationError
from portal.sim.factory import (
    Dynamics,
    Truth,
    World,
    WorldParams,
    check_parameters,
    generate_world,
    run,
    simulate,
    workday,
)

START = dt.date(2026, 1, 5)  # a Monday
#: No noise, no ramp-up, no outages, no late starts, every report posted the same day.
EXACT = Dynamics(
    noise_cv=0.0, ramp_days=0, outage_rate=0.0, late_start_prob=0.0, skip_prob=0.0, report_lag_mean=0.0
)


def world(
    lines: list[dict[str, Any]],
    *,
    slots: float = 10.0,
    capability: float = 1.0,
    outages: Sequence[tuple[int, int, int]] = (),
    **sup: float,
) -> World:
    """One supplier (SIM-01, 5 transit days) and its lines, each given as overrides of a 1,000-unit line."""
    suppliers = pd.DataFrame(
        {
            "supplier_code": ["SIM-01"],
            "line_rate": [100],
            "slots": [slots],
            "capability": [capability],
            "transit_days": [5],
            "late_start_prob": [0.0],
            "report_lag_mean": [sup.get("report_lag_mean", 0.0)],
            "skip_prob": [sup.get("skip_prob", 0.0)],
        }
    )
    rows = []
    for i, overrides in enumerate(lines):
        row: dict[str, Any] = {
            "po_number": f"SIM-{i + 1:04d}",
            "line": 1,
            "supplier_idx": 0,
            "supplier_code": "SIM-01",
            "sku": "SKU-01",
            "quantity": 1000,
            "planned_rate": 100,
            "order_w": 0,
            "schedule_post_w": 0,
            "planned_start_w": 5,
            "start_delay": 0,
            "transit_days": 5,
        }
        row.update(overrides)
        row["planned_end_w"] = row["planned_start_w"] + -(-row["quantity"] // row["planned_rate"]) - 1
        row["order_date"] = pd.Timestamp(workday(START, row["order_w"]))
        row["need_by_date"] = pd.Timestamp(workday(START, row["planned_end_w"])) + pd.Timedelta(days=10)
        rows.append(row)
    frame = pd.DataFrame(outages, columns=["line_idx", "offset", "days"]).astype("int64")
    return World(start=START, suppliers=suppliers, lines=pd.DataFrame(rows), outages=frame)


def completion_w(truth: Truth) -> list[int]:
    days = truth.lines["completion_date"].to_numpy().astype("datetime64[D]")
    return np.busday_count(np.datetime64(START), days).tolist()


def test_without_noise_or_outages_a_line_completes_exactly_as_planned() -> None:
    truth = simulate(world([{}]), EXACT)
    # 1,000 at 100 a day from working day 5 (Mon 12 Jan): 10 working days, the last Fri 23 Jan.
    assert truth.lines.loc[0, "completion_date"] == pd.Timestamp("2026-01-23")
    assert truth.lines.loc[0, "arrival_date"] == pd.Timestamp("2026-01-28")
    assert truth.output["good_qty"].tolist() == [100] * 10
    assert len(truth.schedules) == 1
    assert truth.schedules.loc[0, "estimated_end_date"] == pd.Timestamp("2026-01-23")
    assert (truth.reports["posted_on"] == truth.reports["date"]).all()
    assert truth.receipts.loc[0, "received_date"] == pd.Timestamp("2026-01-28")
    assert not truth.lines.loc[0, "late"]


@pytest.mark.parametrize("k", [1, 3, 6])
def test_an_outage_of_k_days_delays_completion_by_k_working_days(k: int) -> None:
    truth = simulate(world([{}, {}], outages=[(0, 4, k)]), EXACT)
    assert completion_w(truth) == [14 + k, 14]
    outage_days = truth.output[(truth.output["line_idx"] == 0) & (truth.output["good_qty"] == 0)]
    assert len(outage_days) == k


def test_a_supplier_revises_its_end_date_only_when_the_end_is_near() -> None:
    truth = simulate(world([{}], outages=[(0, 2, 4)]), EXACT)
    revisions = truth.schedules.iloc[1:]
    assert len(revisions) >= 1
    first = revisions.iloc[0]
    # Posted end Fri 23 Jan; the revision comes within revise_window (5) working days of it.
    assert np.busday_count(np.datetime64(first["posted_on"].date()), np.datetime64("2026-01-23")) <= 5
    assert revisions["estimated_end_date"].max() == truth.lines.loc[0, "completion_date"]
    assert (revisions["reason"] == "output below plan").all()


def test_a_late_start_delays_completion_by_the_same_working_days() -> None:
    truth = simulate(world([{"start_delay": 3}]), EXACT)
    assert completion_w(truth) == [17]
    assert truth.lines.loc[0, "actual_start"] == pd.Timestamp("2026-01-15")


def test_a_supplier_over_its_slots_shares_its_rate_between_lines() -> None:
    # Two lines at once and one slot: each runs at half rate, so takes 20 days, not 10.
    truth = simulate(world([{}, {}], slots=1.0), EXACT)
    assert completion_w(truth) == [24, 24]


def test_weak_capability_stretches_production() -> None:
    truth = simulate(world([{}], capability=0.5), EXACT)
    assert completion_w(truth) == [24]


def test_ramp_up_starts_at_the_floor_and_reaches_full_rate() -> None:
    ramp = Dynamics(**{**EXACT.__dict__, "ramp_days": 2, "ramp_floor": 0.5})
    truth = simulate(world([{}]), ramp)
    assert truth.output["good_qty"].tolist()[:4] == [50, 75, 100, 100]


def test_skipped_days_are_never_posted_and_late_posts_come_later() -> None:
    skipped = simulate(world([{}], skip_prob=1.0), EXACT)
    assert skipped.reports.empty and len(skipped.output) == 10
    late = simulate(world([{}], report_lag_mean=3.0), EXACT, seed=4)
    assert (late.reports["posted_on"] >= late.reports["date"]).all()
    assert (late.reports["posted_on"] > late.reports["date"]).any()


SMALL = WorldParams(seed=3, suppliers=4, lines=30, weeks=10, order_weeks=6)


def test_a_seeded_run_is_reproducible_and_another_seed_differs() -> None:
    a, b = run(SMALL), run(SMALL)
    for name in ("lines", "output", "schedules", "reports", "receipts"):
        pd.testing.assert_frame_equal(getattr(a, name), getattr(b, name))
    other = run(WorldParams(**{**SMALL.__dict__, "seed": 4}))
    assert not other.lines["completion_date"].equals(a.lines["completion_date"])


def test_a_random_world_keeps_its_own_books() -> None:
    truth = run(SMALL)
    made = truth.output.groupby("line_idx")["good_qty"].sum()
    assert (made.to_numpy() == truth.lines["quantity"].to_numpy()).all()
    assert (truth.lines["actual_start"] >= truth.lines["planned_start"]).all()
    assert (truth.lines["arrival_date"] > truth.lines["completion_date"]).all()
    assert (truth.reports["posted_on"] >= truth.reports["date"]).all()
    assert (
        truth.schedules["start_date"]
        >= truth.lines.set_index("po_number").loc[truth.schedules["po_number"], "order_date"].to_numpy()
    ).all()
    assert len(generate_world(SMALL, Dynamics()).suppliers) == 4


@pytest.mark.parametrize(
    ("params", "dynamics", "step", "says"),
    [
        (WorldParams(lines=0), Dynamics(), 7, "lines must be 1 or more (got 0)"),
        (WorldParams(suppliers=20, lines=10), Dynamics(), 7, "suppliers (20) cannot outnumber lines (10)"),
        (WorldParams(), Dynamics(noise_cv=-0.1), 7, "noise_cv must be 0 or more (got -0.1)"),
        (WorldParams(), Dynamics(outage_rate=-1.0), 7, "outage_rate must be 0 or more"),
        (WorldParams(), Dynamics(skip_prob=1.5), 7, "skip_prob must be between 0 and 1"),
        (WorldParams(weeks=8, order_weeks=10), Dynamics(), 7, "order_weeks (10) is past the replay horizon"),
        (WorldParams(weeks=2, order_weeks=1), Dynamics(), 30, "step_days (30) is past the replay horizon"),
        (WorldParams(), Dynamics(), 0, "step_days must be 1 or more (got 0)"),
    ],
)
def test_impossible_parameters_are_refused_naming_which(
    params: WorldParams, dynamics: Dynamics, step: int, says: str
) -> None:
    with pytest.raises(ValidationError) as caught:
        check_parameters(params, dynamics, step)
    assert says in str(caught.value)
