"""The factory simulation: a supplier base producing PO lines day by day, and what its suppliers post.

Pure and seeded (numpy only): the same parameters and seed give the same world, the same
truth and the same posts. Time runs in *working days* (Monday to Friday, no holidays: the
simulated suppliers have no country), transit in calendar days, as DOMAIN.md counts them.

A world (:func:`generate_world`) is a table of suppliers, a table of PO lines with their plans
and a table of material outages. :func:`simulate` then produces every line day by day, with
the causes of late delivery the portal exists for:

* **late starts**: a line starts ``start_delay`` working days after its planned start;
* **weak capability**: a supplier really makes ``capability`` x the daily output it plans;
* **over-commitment**: a supplier runs ``slots`` lines at full rate (``capacity_min`` to
  ``capacity_max`` x its average number of lines in production); with more lines in production
  at once, each gets ``slots / active`` of its rate;
* **ramp-up**: the first ``ramp_days`` worked days run from ``ramp_floor`` up to full rate;
* **daily noise**: each day's output is multiplied by ``max(0, 1 + noise_cv x N(0, 1))``;
* **material outages**: a line makes nothing for several working days (and frees its slot).

Suppliers post a schedule when the order arrives (the plan, at full rate), report each
production day ``lag`` working days late (or never: a skipped day), and revise their estimated
end date only when it is near (each supplier's window: 0 to ``revise_window`` working days
away) and their own projection says it will be missed. The buyer posts a receipt when a line arrives.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import asdict, dataclass, field, fields

import numpy as np
import pandas as pd

from portal.core.domain import ValidationError

WEEKMASK = "1111100"
#: Safety stop: a world whose lines are not all made within this many working days is refused.
MAX_WORKING_DAYS = 2000


@dataclass(frozen=True)
class Dynamics:
    """How the simulated suppliers behave; every rate is a parameter of the evaluation."""

    late_start_prob: float = 0.35
    late_start_mean_days: float = 4.0
    capability_mean: float = 0.92
    capability_sd: float = 0.08
    weak_supplier_share: float = 0.25
    weak_capability: float = 0.7
    capacity_min: float = 1.0
    capacity_max: float = 1.8
    noise_cv: float = 0.2
    ramp_days: int = 4
    ramp_floor: float = 0.5
    outage_rate: float = 0.01
    outage_min_days: int = 3
    outage_max_days: int = 8
    report_lag_mean: float = 0.7
    skip_prob: float = 0.08
    revise_window: int = 5
    slack_mean_days: float = 20.0
    slack_sd_days: float = 12.0

    def problems(self) -> list[str]:
        """Every impossible value, as a sentence naming the parameter."""
        out: list[str] = []
        for name in ("late_start_prob", "weak_supplier_share", "skip_prob", "ramp_floor"):
            value = getattr(self, name)
            if not 0.0 <= value <= 1.0:
                out.append(f"{name} must be between 0 and 1 (got {value})")
        for f in fields(self):
            value = getattr(self, f.name)
            if f.name != "slack_mean_days" and value < 0:
                out.append(f"{f.name} must be 0 or more (got {value})")
        if self.capability_mean <= 0 or self.weak_capability <= 0:
            out.append("capability_mean and weak_capability must be more than 0")
        if self.capacity_min <= 0 or self.capacity_max < self.capacity_min:
            out.append(
                "capacity must satisfy 0 < capacity_min <= capacity_max "
                f"(got {self.capacity_min}, {self.capacity_max})"
            )
        if self.outage_max_days < self.outage_min_days:
            out.append("outage_max_days must be at least outage_min_days")
        return out


@dataclass(frozen=True)
class WorldParams:
    """The size of the simulated world and the replay horizon."""

    seed: int = 1
    suppliers: int = 12
    lines: int = 150
    weeks: int = 26
    order_weeks: int = 16
    start: dt.date = dt.date(2026, 1, 5)

    @staticmethod
    def default_order_weeks(weeks: int) -> int:
        """Lines are ordered in the first ~60% of the horizon, so most arrive within it."""
        return max(1, round(weeks * 16 / 26))

    def problems(self) -> list[str]:
        """Every impossible value, as a sentence naming the parameter."""
        out: list[str] = []
        if self.lines < 1:
            out.append(f"lines must be 1 or more (got {self.lines})")
        if self.suppliers < 1:
            out.append(f"suppliers must be 1 or more (got {self.suppliers})")
        elif self.lines >= 1 and self.suppliers > self.lines:
            out.append(f"suppliers ({self.suppliers}) cannot outnumber lines ({self.lines})")
        if self.weeks < 1:
            out.append(f"weeks must be 1 or more (got {self.weeks})")
        if self.order_weeks < 1:
            out.append(f"order_weeks must be 1 or more (got {self.order_weeks})")
        elif self.weeks >= 1 and self.order_weeks > self.weeks:
            out.append(
                f"order_weeks ({self.order_weeks}) is past the replay horizon of {self.weeks} weeks: "
                "lines ordered after the replay ends are never seen"
            )
        if self.seed < 0:
            out.append(f"seed must be 0 or more (got {self.seed})")
        return out


def check_parameters(params: WorldParams, dynamics: Dynamics, step_days: int | None = None) -> None:
    """Refuse impossible parameters (and replay step) with one message naming each."""
    problems = params.problems() + dynamics.problems()
    if step_days is not None and step_days < 1:
        problems.append(f"step_days must be 1 or more (got {step_days})")
    elif step_days is not None and params.weeks >= 1 and step_days > params.weeks * 7:
        problems.append(
            f"step_days ({step_days}) is past the replay horizon of {params.weeks} weeks "
            f"({params.weeks * 7} days)"
        )
    if problems:
        raise ValidationError("Impossible simulation parameters: " + "; ".join(problems) + ".")


@dataclass
class World:
    """Suppliers, PO lines with their plans, and material outages; days are working-day indexes."""

    start: dt.date
    suppliers: pd.DataFrame
    lines: pd.DataFrame
    outages: pd.DataFrame = field(
        default_factory=lambda: pd.DataFrame({"line_idx": [], "offset": [], "days": []}, dtype="int64")
    )


@dataclass
class Truth:
    """What really happened (per line and per day) and what was posted, each with its posted_on date."""

    world: World
    lines: pd.DataFrame
    output: pd.DataFrame
    schedules: pd.DataFrame
    reports: pd.DataFrame
    receipts: pd.DataFrame


# ------------------------------------------------------------------------- calendar


def workday(start: dt.date, w: np.ndarray | int) -> np.ndarray:
    """Working day number ``w`` (0 = the first working day on or after ``start``) as datetime64[D]."""
    return np.busday_offset(np.datetime64(start, "D"), w, roll="forward", weekmask=WEEKMASK)


def workday_index(start: dt.date, days: np.ndarray) -> np.ndarray:
    """The working-day number of each date (a non-working day counts as the next working day)."""
    first = np.busday_offset(np.datetime64(start, "D"), 0, roll="forward", weekmask=WEEKMASK)
    rolled = np.busday_offset(days.astype("datetime64[D]"), 0, roll="forward", weekmask=WEEKMASK)
    return np.busday_count(first, rolled, weekmask=WEEKMASK)


# ------------------------------------------------------------------------- the world


def generate_world(params: WorldParams, dynamics: Dynamics) -> World:
    """A random supplier base and its PO lines, seeded by ``params.seed``."""
    check_parameters(params, dynamics)
    rng = np.random.default_rng([params.seed, 0])
    n_sup, n = params.suppliers, params.lines
    weak = rng.random(n_sup) < dynamics.weak_supplier_share
    capability = np.where(
        weak,
        dynamics.weak_capability + rng.normal(0, dynamics.capability_sd / 2, n_sup),
        dynamics.capability_mean + rng.normal(0, dynamics.capability_sd, n_sup),
    )
    suppliers = pd.DataFrame(
        {
            "supplier_code": [f"SIM-{i + 1:02d}" for i in range(n_sup)],
            "line_rate": rng.integers(5, 31, n_sup) * 10,
            "capability": np.clip(capability, 0.25, 1.3),
            "transit_days": rng.integers(2, 15, n_sup),
            "late_start_prob": np.clip(rng.normal(dynamics.late_start_prob, 0.1, n_sup), 0, 1),
            "report_lag_mean": rng.uniform(0, 2 * dynamics.report_lag_mean, n_sup),
            "skip_prob": rng.uniform(0, 2 * dynamics.skip_prob, n_sup).clip(0, 0.95),
            # Some suppliers look at their end date a week ahead, some only on the day.
            "revise_window": rng.integers(0, dynamics.revise_window + 1, n_sup),
        }
    )
    # Uneven order volumes: some suppliers get many lines (and run into their slots).
    weights = rng.dirichlet(np.full(n_sup, 2.0))
    sup = np.r_[np.arange(n_sup), rng.choice(n_sup, n - n_sup, p=weights)] if n >= n_sup else np.arange(n)
    rng.shuffle(sup)
    order_days = params.order_weeks * 5
    order_w = np.sort(rng.integers(0, order_days, n))
    rate = suppliers["line_rate"].to_numpy()[sup]
    duration = rng.integers(8, 36, n)
    quantity = rate * duration
    lead = rng.integers(3, 11, n)
    planned_start_w = order_w + lead
    planned_end_w = planned_start_w + np.ceil(quantity / rate).astype(int) - 1
    late = rng.random(n) < suppliers["late_start_prob"].to_numpy()[sup]
    start_delay = np.where(late, rng.geometric(1 / max(dynamics.late_start_mean_days, 1.0), n), 0)
    transit = suppliers["transit_days"].to_numpy()[sup]
    order_date = workday(params.start, order_w)
    slack = np.rint(rng.normal(dynamics.slack_mean_days, dynamics.slack_sd_days, n)).astype(int)
    need_by = workday(params.start, planned_end_w) + (transit + slack).astype("timedelta64[D]")
    need_by = np.maximum(need_by, order_date + np.timedelta64(7, "D"))
    # Slots: how many lines a supplier runs at full rate, a multiple of its average load.
    load = np.bincount(sup, weights=duration, minlength=n_sup) / order_days
    suppliers["slots"] = np.maximum(
        1.0, load * rng.uniform(dynamics.capacity_min, dynamics.capacity_max, n_sup)
    )
    lines = pd.DataFrame(
        {
            "po_number": [f"SIM-{i + 1:04d}" for i in range(n)],
            "line": 1,
            "supplier_idx": sup,
            "supplier_code": suppliers["supplier_code"].to_numpy()[sup],
            "sku": [f"SKU-{s + 1:02d}" for s in sup],
            "quantity": quantity,
            "planned_rate": rate,
            "order_w": order_w,
            "schedule_post_w": order_w + rng.integers(0, 3, n),
            "planned_start_w": planned_start_w,
            "planned_end_w": planned_end_w,
            "start_delay": start_delay,
            "transit_days": transit,
            "order_date": pd.to_datetime(order_date),
            "need_by_date": pd.to_datetime(need_by),
        }
    )
    counts = rng.poisson(dynamics.outage_rate * duration)
    line_idx = np.repeat(np.arange(n), counts)
    outages = pd.DataFrame(
        {
            "line_idx": line_idx,
            "offset": rng.integers(0, np.repeat(duration, counts)) if len(line_idx) else [],
            "days": rng.integers(dynamics.outage_min_days, dynamics.outage_max_days + 1, len(line_idx)),
        }
    ).astype("int64")
    return World(start=params.start, suppliers=suppliers, lines=lines, outages=outages)


# ------------------------------------------------------------------------- production


def _outage_mask(world: World, horizon: int) -> np.ndarray:
    """mask[line, k]: the line has no material on its k-th working day since its real start."""
    mask = np.zeros((len(world.lines), horizon + 1), dtype=bool)
    for line_idx, offset, days in world.outages[["line_idx", "offset", "days"]].itertuples(index=False):
        mask[line_idx, offset : offset + days] = True
    return mask


def simulate(world: World, dynamics: Dynamics, seed: int = 0) -> Truth:
    """Produce every line day by day until all are made; return the truth and every post."""
    rng = np.random.default_rng([seed, 1])
    lines, sup = world.lines, world.suppliers
    n = len(lines)
    s_idx = lines["supplier_idx"].to_numpy()
    capability = sup["capability"].to_numpy()[s_idx]
    slots = sup["slots"].to_numpy()
    rate = lines["planned_rate"].to_numpy(dtype="float64")
    start = (lines["planned_start_w"] + lines["start_delay"]).to_numpy()
    remaining = lines["quantity"].to_numpy(dtype="float64").copy()
    posted_end = lines["planned_end_w"].to_numpy().copy()
    post_w = lines["schedule_post_w"].to_numpy()
    if "revise_window" in sup:
        window = sup["revise_window"].to_numpy()[s_idx]
    else:
        window = np.full(n, dynamics.revise_window)
    worked = np.zeros(n)
    complete = np.full(n, -1)
    outage = _outage_mask(world, MAX_WORKING_DAYS)
    history = np.zeros((n, 5))  # the supplier's own view: its last five production days
    out_rows: list[tuple[np.ndarray, np.ndarray, np.ndarray]] = []
    revisions: list[tuple[int, int, int]] = []

    w = 0
    while (complete < 0).any():
        if w >= MAX_WORKING_DAYS:
            raise ValidationError(
                f"The simulated lines were not all made within {MAX_WORKING_DAYS} working days."
            )
        in_prod = (w >= start) & (complete < 0)
        since = np.clip(w - start, 0, MAX_WORKING_DAYS)
        idle = outage[np.arange(n), since] & in_prod
        working = in_prod & ~idle
        active = np.bincount(s_idx[working], minlength=len(sup))
        share = np.minimum(1.0, slots[s_idx] / np.maximum(active[s_idx], 1))
        if dynamics.ramp_days > 0:
            ramp = dynamics.ramp_floor + (1 - dynamics.ramp_floor) * np.minimum(
                1.0, worked / dynamics.ramp_days
            )
        else:
            ramp = np.ones(n)
        noise = np.maximum(0.0, 1.0 + dynamics.noise_cv * rng.standard_normal(n))
        made = np.where(working, np.rint(rate * capability * share * ramp * noise), 0.0)
        made = np.minimum(made, remaining)
        remaining -= made
        worked += working
        if in_prod.any():
            idx = np.flatnonzero(in_prod)
            out_rows.append((idx, np.full(len(idx), w), made[idx]))
            history[idx] = np.c_[history[idx, 1:], made[idx]]
        done_now = in_prod & (remaining <= 0)
        complete[done_now] = w
        # Suppliers look at their end date only when it is near, and move it only later.
        near = (complete < 0) & (posted_end - w <= window) & (w >= post_w)
        if near.any():
            # Its own rate: the recent days it made something (it expects the material back tomorrow).
            made_days = (history > 0).sum(axis=1)
            recent = history.sum(axis=1) / np.maximum(made_days, 1)
            own_rate = np.where(recent > 0, recent, rate)
            days = np.ceil(remaining / own_rate).astype(int)
            projected = np.where(w < start, start + days - 1, w + days)
            for i in np.flatnonzero(near & (projected > posted_end)):
                posted_end[i] = projected[i]
                revisions.append((int(i), w, int(projected[i])))
        w += 1

    return _truth(world, dynamics, rng, start, complete, out_rows, revisions)


def _truth(
    world: World,
    dynamics: Dynamics,
    rng: np.random.Generator,
    start: np.ndarray,
    complete: np.ndarray,
    out_rows: list[tuple[np.ndarray, np.ndarray, np.ndarray]],
    revisions: list[tuple[int, int, int]],
) -> Truth:
    lines, sup = world.lines, world.suppliers
    day0 = world.start
    completion = workday(day0, complete)
    transit = lines["transit_days"].to_numpy().astype("timedelta64[D]")
    arrival = completion + transit
    truth = lines[["po_number", "line", "supplier_code", "sku", "quantity", "transit_days"]].copy()
    truth["order_date"] = lines["order_date"]
    truth["need_by_date"] = lines["need_by_date"]
    truth["planned_start"] = pd.to_datetime(workday(day0, lines["planned_start_w"].to_numpy()))
    truth["actual_start"] = pd.to_datetime(workday(day0, start))
    truth["completion_date"] = pd.to_datetime(completion)
    truth["arrival_date"] = pd.to_datetime(arrival)
    truth["late"] = truth["arrival_date"] > truth["need_by_date"]

    idx = np.concatenate([r[0] for r in out_rows]) if out_rows else np.array([], dtype=int)
    wday = np.concatenate([r[1] for r in out_rows]) if out_rows else np.array([], dtype=int)
    good = np.concatenate([r[2] for r in out_rows]) if out_rows else np.array([])
    output = pd.DataFrame(
        {"line_idx": idx, "date": pd.to_datetime(workday(day0, wday)), "good_qty": good.astype("int64")}
    )

    # Reports: each production day, posted lag working days later, or skipped.
    s_idx = lines["supplier_idx"].to_numpy()[idx]
    skipped = rng.random(len(idx)) < sup["skip_prob"].to_numpy()[s_idx]
    lag = rng.poisson(sup["report_lag_mean"].to_numpy()[s_idx])
    reports = pd.DataFrame(
        {
            "posted_on": pd.to_datetime(workday(day0, wday + lag)),
            "po_number": lines["po_number"].to_numpy()[idx],
            "line": 1,
            "date": output["date"],
            "good_qty": output["good_qty"],
            "rejected_qty": 0,
        }
    )[~skipped].reset_index(drop=True)

    first = pd.DataFrame(
        {
            "posted_on": pd.to_datetime(workday(day0, lines["schedule_post_w"].to_numpy())),
            "po_number": lines["po_number"],
            "line": 1,
            "start_date": pd.to_datetime(workday(day0, lines["planned_start_w"].to_numpy())),
            "daily_output": lines["planned_rate"],
            "estimated_end_date": pd.to_datetime(workday(day0, lines["planned_end_w"].to_numpy())),
            "reason": "",
        }
    )
    rev = np.array(revisions, dtype=int).reshape(-1, 3)
    later = pd.DataFrame(
        {
            "posted_on": pd.to_datetime(workday(day0, rev[:, 1])),
            "po_number": lines["po_number"].to_numpy()[rev[:, 0]],
            "line": 1,
            "start_date": first["start_date"].to_numpy()[rev[:, 0]],
            "daily_output": lines["planned_rate"].to_numpy()[rev[:, 0]],
            "estimated_end_date": pd.to_datetime(workday(day0, rev[:, 2])),
            "reason": "output below plan",
        }
    )
    schedules = pd.concat([first, later], ignore_index=True).sort_values("posted_on", kind="stable")
    receipts = pd.DataFrame(
        {
            "posted_on": truth["arrival_date"],
            "po_number": truth["po_number"],
            "line": 1,
            "received_date": truth["arrival_date"],
            "quantity": truth["quantity"],
            "rejected_qty": 0,
        }
    )
    return Truth(
        world=world,
        lines=truth,
        output=output,
        schedules=schedules.reset_index(drop=True),
        reports=reports,
        receipts=receipts,
    )


def run(params: WorldParams, dynamics: Dynamics | None = None) -> Truth:
    """Generate a world and simulate it, both seeded by ``params.seed``."""
    dynamics = dynamics or Dynamics()
    return simulate(generate_world(params, dynamics), dynamics, seed=params.seed)


def describe(params: WorldParams, dynamics: Dynamics) -> dict[str, object]:
    """The parameters as plain values (for the JSON report)."""
    world = asdict(params)
    world["start"] = params.start.isoformat()
    return {"world": world, "dynamics": asdict(dynamics)}
