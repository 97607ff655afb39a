"""Models tried against the portal's supplier buffers on the SCMS history (issue 16's backtest target).

``python -m bench.backtest_models FILE`` replays the SCMS delivery history as ``python -m portal
backtest --horizon 30`` does (each delivery promised 30 days before its due date, from what was
known then) and prints the frontier (share of promises kept against mean padding; overall and for
deliveries due before / from July 2011) of:

* ``portal``: the product's rule (``portal.core.buffers``) at quantiles 0.92-0.97;
* ``overdue bump``: the portal's buffer at quantile q, plus ``a`` days (or times ``m``) when the
  supplier has ``k`` or more lines past due and not delivered at the promise moment;
* ``hgb quantile``: scikit-learn's ``HistGradientBoostingRegressor(loss="quantile")`` of the slip on
  features known at the promise moment; padding = the predicted quantile, rounded up, >= 0;
* ``hgb late x severity``: ``HistGradientBoostingClassifier`` for P(late | features), times the
  supplier's recency-weighted share of late slips above b (blended with all suppliers' by its
  count of late deliveries); each delivery's padding is the knee ``argmax_b F(b) - lam b`` of that
  distribution, lam swept for the frontier;
* ``aci`` (adaptive conformal inference, Gibbs & Candes 2021): per supplier, the portal's rule at a
  level 1 - alpha_t that moves by ``gamma x (target - err)`` each time one of the supplier's promises
  is known kept or broken (kept: once delivered; broken: once delivered or past its promised date
  undelivered, whichever is first), levels 0.80-0.995;
* ``tracker`` (online quantile tracking, Angelopoulos et al. 2023): the portal's buffer at quantile
  q plus a per-supplier offset in days that moves by ``eta x (err - target)`` on the same events.

Features at the promise moment t (computed from deliveries delivered before t and lines due before
t): lead time (due - order date), log quantity, the supplier's recency-weighted late share and mean
lateness, its last slip, days since its last late delivery, its lines overdue at t, all suppliers'
overdue lines at t and late share over the 90 days before t, the portal's buffer at t; with
``--scms-features`` also shipment mode, country, fulfil via, managed by and product group (which the
portal's PO lines do not carry). Models are refitted every ``--refit-days`` on the deliveries
delivered before the refit day and used only for promises made on or after it (strictly out of time);
promises before the first fit (800 deliveries) keep the portal's buffer.

This is a research bench, not the product: it needs scikit-learn (requirements-dev.txt). Results
are in docs/evaluation.md ("SCMS backtest: models tried").
"""

from __future__ import annotations

import argparse
import os
from collections.abc import Sequence
from pathlib import Path

import numpy as np
import pandas as pd

from portal.core.buffers import supplier_buffers_before
from portal.core.calendar import to_days

HORIZON_DAYS = 30
ERA_SPLIT = np.datetime64("2011-07-01", "D").astype(np.int64)
FIRST_FIT_DELIVERIES = 800
SEVERITY_GRID = np.array(
    [0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 12, 14, 16, 18, 21, 24, 28, 32, 36, 42, 50, 60, 75, 90, 120]
)
SCMS_COLUMNS = {
    "Shipment Mode": "mode",
    "Country": "country",
    "Fulfill Via": "via",
    "Managed By": "managed",
    "Product Group": "group",
}
NUMERIC_FEATURES = [
    "lead_days",
    "log_quantity",
    "all_late_share_90d",
    "all_overdue",
    "supplier_deliveries",
    "supplier_late_share",
    "supplier_mean_lateness",
    "supplier_last_slip",
    "supplier_days_since_late",
    "supplier_overdue",
    "portal_buffer",
]


def load(path: Path) -> pd.DataFrame:
    """The deliveries as the backtest reads them, with the SCMS columns the portal does not keep."""
    from portal.demo.scms import read_scms
    from portal.services.history import file_deliveries

    deliveries = file_deliveries(path)
    raw = pd.read_csv(path, dtype=str, keep_default_na=False, encoding="utf-8-sig")
    skipped = set(read_scms(path).skipped["id"])
    raw = raw[~raw["ID"].str.strip().isin(skipped)]
    # file_deliveries keeps the mapped lines in ID order.
    raw = raw.assign(id_number=raw["ID"].astype(int)).sort_values("id_number", kind="stable")
    if len(raw) != len(deliveries):
        raise SystemExit(f"{len(raw)} SCMS rows for {len(deliveries)} deliveries: mapping changed")
    for column, name in SCMS_COLUMNS.items():
        deliveries[name] = raw[column].to_numpy()
    return deliveries


def portal_buffers(deliveries: pd.DataFrame, quantile: float = 0.95) -> np.ndarray:
    """The portal's buffer for each delivery at its promise moment (what ``backtest`` computes)."""
    history = pd.DataFrame(
        {
            "supplier_id": deliveries["supplier_id"].to_numpy(),
            "due_date": to_days(deliveries["due_date"]),
            "delivered_date": to_days(deliveries["delivered_date"]),
        }
    )
    promised = pd.DataFrame(
        {
            "cutoff": history["due_date"].to_numpy() - np.timedelta64(HORIZON_DAYS, "D"),
            "supplier_id": history["supplier_id"],
        }
    )
    table = supplier_buffers_before(history, promised["cutoff"], quantile=quantile)
    looked_up = promised.merge(table, on=["cutoff", "supplier_id"], how="left")
    return looked_up["buffer_days"].to_numpy().astype(float)


def features(deliveries: pd.DataFrame, half_life_days: float = 90.0) -> pd.DataFrame:
    """Features of each delivery known at its promise moment (due date - horizon)."""
    due = to_days(deliveries["due_date"]).astype(np.int64)
    delivered = to_days(deliveries["delivered_date"]).astype(np.int64)
    ordered = to_days(deliveries["order_date"])
    slip = delivered - due
    moment = due - HORIZON_DAYS
    n = len(deliveries)
    out = pd.DataFrame(index=deliveries.index)
    out["lead_days"] = np.where(np.isnat(ordered), np.nan, due - ordered.astype(np.int64))
    out["log_quantity"] = np.log1p(deliveries["quantity"].to_numpy(dtype=float))
    by_day = np.argsort(delivered, kind="stable")
    known = np.searchsorted(delivered[by_day], moment, side="left")
    known_90 = np.searchsorted(delivered[by_day], moment - 90, side="left")
    late_count = np.r_[0, np.cumsum(slip[by_day] > 0)]
    recent = known - known_90
    out["all_late_share_90d"] = np.where(
        recent > 0, (late_count[known] - late_count[known_90]) / np.maximum(recent, 1), np.nan
    )
    out["all_overdue"] = _overdue(due, delivered, moment)
    columns = {name: np.full(n, np.nan) for name in NUMERIC_FEATURES[4:10]}
    for rows in deliveries.groupby("supplier_id").indices.values():
        rows = np.asarray(rows)
        order = np.argsort(delivered[rows], kind="stable")
        days, slips = delivered[rows][order], slip[rows][order]
        seen = np.searchsorted(days, moment[rows], side="left")
        weight = np.exp2((days - days.min()) / half_life_days)
        total = np.r_[0, np.cumsum(weight)][seen]
        safe = np.where(total > 0, total, 1.0)
        late_weight = np.r_[0, np.cumsum(weight * (slips > 0))][seen]
        lateness = np.r_[0, np.cumsum(weight * np.clip(slips, 0, 120))][seen]
        last = np.maximum(seen - 1, 0)
        last_late_day = np.maximum.accumulate(np.where(slips > 0, days, np.iinfo(np.int64).min))[last]
        columns["supplier_deliveries"][rows] = seen
        columns["supplier_late_share"][rows] = np.where(seen > 0, late_weight / safe, np.nan)
        columns["supplier_mean_lateness"][rows] = np.where(seen > 0, lateness / safe, np.nan)
        columns["supplier_last_slip"][rows] = np.where(seen > 0, slips[last], np.nan)
        ever_late = (seen > 0) & (last_late_day > np.iinfo(np.int64).min)
        columns["supplier_days_since_late"][rows] = np.where(ever_late, moment[rows] - last_late_day, 5000)
        columns["supplier_overdue"][rows] = _overdue(due[rows], delivered[rows], moment[rows])
    for name, values in columns.items():
        out[name] = values
    out["portal_buffer"] = portal_buffers(deliveries)
    return out


#: The gradient-boosted models' shared trees: small, slow-learning, and the same on every run.
TREES = {
    "max_iter": 100,
    "learning_rate": 0.05,
    "max_leaf_nodes": 15,
    "min_samples_leaf": 40,
    "random_state": 0,
}

#: The levels the online rules move between: 0.80-0.98 by 0.01, then 0.985, 0.99, 0.995.
ONLINE_LEVELS = (*(round(0.80 + k / 100, 2) for k in range(19)), 0.985, 0.99, 0.995)


def online_paddings(
    deliveries: pd.DataFrame,
    levels: dict[float, np.ndarray],
    kind: str,
    target: float,
    step: float,
    q0: float,
) -> np.ndarray:
    """Padding per delivery from an online per-supplier update, strictly out of time.

    ``levels``: the portal's buffer of every delivery at each quantile of ONLINE_LEVELS. ``kind``
    "aci": the level is 1 - alpha (alpha starts at 1 - q0 and moves by step x (target - err));
    "tracker": the buffer at q0 plus an offset (starts at 0, moves by step x (err - target) days).
    A promise's outcome is used only from the day after it is known.
    """
    import heapq

    qs = np.array(sorted(levels))
    table = np.stack([levels[q] for q in qs], axis=1)
    due = to_days(deliveries["due_date"]).astype(np.int64)
    delivered = to_days(deliveries["delivered_date"]).astype(np.int64)
    slip, moment = delivered - due, due - HORIZON_DAYS
    supplier = deliveries["supplier_id"].to_numpy()
    state: dict[object, float] = {}
    start = 1 - q0 if kind == "aci" else 0.0
    known: list[tuple[int, int, object, float]] = []
    padding = np.zeros(len(deliveries))
    for seq, i in enumerate(np.lexsort((np.arange(len(deliveries)), moment))):
        while known and known[0][0] <= moment[i]:
            _, _, who, err = heapq.heappop(known)
            change = step * (target - err) if kind == "aci" else step * (err - target)
            state[who] = state.get(who, start) + change
        value = state.get(supplier[i], start)
        if kind == "aci":
            column = int(np.searchsorted(qs, min(max(1 - value, qs[0]), qs[-1]) - 1e-9))
            pad = table[i, min(column, len(qs) - 1)]
        else:
            pad = max(table[i, int(np.argmin(np.abs(qs - q0)))] + value, 0.0)
        padding[i] = np.ceil(pad - 1e-9)
        broken = slip[i] > padding[i]
        day = min(delivered[i], due[i] + int(padding[i])) if broken else delivered[i]
        heapq.heappush(known, (max(day + 1, moment[i] + 1), seq, supplier[i], float(broken)))
    return padding


def _overdue(due: np.ndarray, delivered: np.ndarray, moment: np.ndarray) -> np.ndarray:
    """Lines due before each moment and not delivered by it."""
    due_before = np.searchsorted(np.sort(due), moment, side="left")
    done_before = np.searchsorted(np.sort(np.maximum(due, delivered)), moment, side="left")
    counts: np.ndarray = due_before - done_before
    return counts


def _refits(delivered: np.ndarray, moment: np.ndarray, step: int) -> list[tuple[np.ndarray, np.ndarray]]:
    """(training rows, rows to predict) per refit: train on what was delivered before the refit day,
    predict promises made from that day until the next refit."""
    fits = []
    day = int(np.sort(delivered)[FIRST_FIT_DELIVERIES])
    while day <= moment.max():
        predict = (moment >= day) & (moment < day + step)
        if predict.any():
            fits.append((delivered < day, predict))
        day += step
    return fits


def _design(frame: pd.DataFrame, deliveries: pd.DataFrame, scms: bool) -> tuple[pd.DataFrame, list[int]]:
    design = frame[NUMERIC_FEATURES].copy()
    categorical: list[int] = []
    if scms:
        for name in SCMS_COLUMNS.values():
            design[name] = pd.Categorical(deliveries[name].astype(str))
            categorical.append(design.columns.get_loc(name))
    return design, categorical


def quantile_paddings(
    deliveries: pd.DataFrame, frame: pd.DataFrame, quantile: float, step: int, scms: bool
) -> np.ndarray:
    """Padding = the gradient-boosted quantile of the slip, refitted out of time."""
    from sklearn.ensemble import HistGradientBoostingRegressor

    slip = _slip(deliveries)
    design, categorical = _design(frame, deliveries, scms)
    padding = frame["portal_buffer"].to_numpy().copy()
    delivered = to_days(deliveries["delivered_date"]).astype(np.int64)
    moment = to_days(deliveries["due_date"]).astype(np.int64) - HORIZON_DAYS
    for train, predict in _refits(delivered, moment, step):
        model = HistGradientBoostingRegressor(
            loss="quantile", quantile=quantile, categorical_features=categorical or None, **TREES
        )
        model.fit(design[train], slip[train])
        padding[predict] = np.ceil(np.maximum(model.predict(design[predict]), 0.0) - 1e-9)
    return padding


def late_times_severity(deliveries: pd.DataFrame, frame: pd.DataFrame, step: int, scms: bool) -> np.ndarray:
    """F(b | x) on SEVERITY_GRID per delivery: 1 - P(late | x) x P(slip > b | late, supplier);
    rows before the first fit are NaN."""
    from sklearn.ensemble import HistGradientBoostingClassifier

    slip = _slip(deliveries)
    delivered = to_days(deliveries["delivered_date"]).astype(np.int64)
    moment = to_days(deliveries["due_date"]).astype(np.int64) - HORIZON_DAYS
    severity = _severity(deliveries, slip, delivered, moment)
    design, categorical = _design(frame, deliveries, scms)
    late = (slip > 0).astype(int)
    p_late = np.full(len(deliveries), np.nan)
    for train, predict in _refits(delivered, moment, step):
        model = HistGradientBoostingClassifier(
            l2_regularization=1.0, categorical_features=categorical or None, **TREES
        )
        model.fit(design[train], late[train])
        p_late[predict] = model.predict_proba(design[predict])[:, 1]
    cdf: np.ndarray = 1.0 - p_late[:, None] * severity
    return cdf


def _severity(
    deliveries: pd.DataFrame,
    slip: np.ndarray,
    delivered: np.ndarray,
    moment: np.ndarray,
    half_life_days: float = 90.0,
    prior_late: float = 10.0,
) -> np.ndarray:
    """P(slip > b | late) at each promise moment: the supplier's recency-weighted late slips, blended
    with all suppliers' by n / (n + prior_late), n = its late deliveries known then."""
    late = slip > 0
    weight = np.exp2((delivered - delivered.min()) / half_life_days)
    pooled = _survival(moment, delivered[late], slip[late], weight[late])
    out = pooled.copy()
    for rows in deliveries.groupby("supplier_id").indices.values():
        rows = np.asarray(rows)
        own = late[rows]
        if not own.any():
            continue
        mine = _survival(moment[rows], delivered[rows][own], slip[rows][own], weight[rows][own])
        count = np.searchsorted(np.sort(delivered[rows][own]), moment[rows], side="left")
        trust = (count / (count + prior_late))[:, None]
        out[rows] = trust * mine + (1 - trust) * pooled[rows]
    return out


def _survival(moments: np.ndarray, days: np.ndarray, slips: np.ndarray, weight: np.ndarray) -> np.ndarray:
    order = np.argsort(days, kind="stable")
    days, slips, weight = days[order], slips[order], weight[order]
    seen = np.searchsorted(days, moments, side="left")
    total = np.r_[0, np.cumsum(weight)][seen]
    above = np.stack([np.r_[0, np.cumsum(weight * (slips > b))][seen] for b in SEVERITY_GRID], axis=1)
    share: np.ndarray = above / np.where(total > 0, total, 1.0)[:, None]
    return share


def _slip(deliveries: pd.DataFrame) -> np.ndarray:
    due = to_days(deliveries["due_date"]).astype(np.int64)
    slips: np.ndarray = to_days(deliveries["delivered_date"]).astype(np.int64) - due
    return slips


def score(name: str, slip: np.ndarray, padding: np.ndarray, early: np.ndarray) -> dict[str, object]:
    """Kept and mean padding, overall and per era."""
    kept = slip <= padding
    return {
        "policy": name,
        "kept": kept.mean(),
        "padding": padding.mean(),
        "kept_before_2011_07": kept[early].mean(),
        "padding_before_2011_07": padding[early].mean(),
        "kept_from_2011_07": kept[~early].mean(),
        "padding_from_2011_07": padding[~early].mean(),
    }


def main(argv: Sequence[str] | None = None) -> int:
    """Print the frontier of each method on the SCMS history."""
    parser = argparse.ArgumentParser(prog="python -m bench.backtest_models", description=main.__doc__)
    parser.add_argument(
        "file", type=Path, help="an SCMS-format CSV (../shared/data/scms_delivery_history.csv)"
    )
    parser.add_argument("--refit-days", type=int, default=91)
    parser.add_argument("--scms-features", action="store_true", help="add mode, country, fulfil via, ...")
    parser.add_argument("--online-only", action="store_true", help="stop after the portal and online rows")
    parser.add_argument("--skip-quantile", action="store_true", help="skip the (slow) quantile regressions")
    args = parser.parse_args(argv)
    # One thread each: on a shared machine OpenMP threads spin against each other (20 s a fit vs 0.5).
    os.environ.setdefault("OMP_NUM_THREADS", "1")
    deliveries = load(args.file)
    frame = features(deliveries)
    slip = _slip(deliveries)
    early = to_days(deliveries["due_date"]).astype(np.int64) < ERA_SPLIT
    rows = []
    for quantile in (0.92, 0.93, 0.94, 0.95, 0.96, 0.97):
        base = portal_buffers(deliveries, quantile=quantile)
        rows.append(score(f"portal q{quantile}", slip, base, early))
        for k, add, times in ((2, 5, 1.0), (6, 10, 1.0), (6, 14, 1.0), (3, 0, 2.0), (6, 0, 1.5)):
            bumped = np.where(frame["supplier_overdue"] >= k, np.maximum(base * times, base + add), base)
            rows.append(score(f"overdue bump q{quantile} k{k} +{add} x{times}", slip, bumped, early))
    levels = {q: portal_buffers(deliveries, quantile=q) for q in ONLINE_LEVELS}
    aci_settings = ((0.04, 0.001, 0.95), (0.05, 0.002, 0.95), (0.06, 0.001, 0.93), (0.08, 0.001, 0.95))
    for target, gamma, q0 in aci_settings:
        padding = online_paddings(deliveries, levels, "aci", target, gamma, q0)
        rows.append(score(f"aci q{q0} target {target} gamma {gamma}", slip, padding, early))
    for target, eta, q0 in ((0.04, 0.1, 0.92), (0.05, 0.1, 0.93), (0.06, 0.1, 0.92), (0.04, 0.5, 0.93)):
        padding = online_paddings(deliveries, levels, "tracker", target, eta, q0)
        rows.append(score(f"tracker q{q0} target {target} eta {eta}", slip, padding, early))
    if args.online_only:
        table = pd.DataFrame(rows)
        print(table.to_string(index=False, float_format=lambda x: f"{x:.4f}"))
        return 0
    cdf = late_times_severity(deliveries, frame, args.refit_days, args.scms_features)
    fitted = ~np.isnan(cdf[:, 0])
    for lam in (0.0006, 0.0008, 0.001, 0.0012, 0.0015, 0.002, 0.003):
        knee = SEVERITY_GRID[np.argmax(np.where(fitted[:, None], cdf, 0.0) - lam * SEVERITY_GRID, axis=1)]
        padding = np.where(fitted, knee, frame["portal_buffer"].to_numpy())
        rows.append(score(f"hgb late x severity lam {lam}", slip, padding, early))
    knee = SEVERITY_GRID[np.argmax(np.where(fitted[:, None], cdf, 0.0) - 0.003 * SEVERITY_GRID, axis=1)]
    larger = np.maximum(portal_buffers(deliveries, quantile=0.93), np.where(fitted, knee, 0))
    rows.append(score("larger of portal q0.93 and hgb knee lam 0.003", slip, larger, early))
    if not args.skip_quantile:
        for quantile in (0.93, 0.95, 0.97):
            padding = quantile_paddings(deliveries, frame, quantile, args.refit_days, args.scms_features)
            rows.append(score(f"hgb quantile {quantile}", slip, padding, early))
    table = pd.DataFrame(rows)
    with pd.option_context("display.width", 200, "display.max_rows", 200):
        print(table.to_string(index=False, float_format=lambda x: f"{x:.4f}"))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
