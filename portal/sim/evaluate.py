"""The evaluation's metrics: the portal's forecasts and alerts, day by day, against what really happened.

Pure functions over frames (pandas only). Their inputs:

* ``truth``: one row per line: ``po_number``, ``line``, ``need_by_date``, ``arrival_date`` (the
  real arrival at the warehouse); a line is **late** when it arrived after its need-by date;
* ``snapshots``: one row per (open line, as_of day): ``as_of``, ``po_number``, ``line``, the stored
  ``arrival_p50``/``arrival_p90`` and ``supplier_arrival`` (the supplier's current
  estimated_end_date + transit days, as posted by that day; NaT without a schedule), and
  optionally the forecast's ``rate_source`` (plan / observed) for the breakdown;
* ``alerts``: one row per open alert and as_of day: ``as_of``, ``rule``, and ``po_number``/``line``
  for line alerts (NaN for supplier and backorder alerts).

Definitions (docs/evaluation.md says why):

* calibration: over all (line, day) pairs with a forecast, the share of real arrivals on or before
  arrival_p50 and arrival_p90 (about 50% and 90% when the forecast is calibrated), and the p90
  share's standard error with the pairs clustered by line (a world of 150 lines reads about
  +-1-1.5 points: seeds differ by that much even for a forecast that is right on average);
* accuracy: mean absolute error in days of arrival_p50, and of the supplier's own date, over
  the pairs where both exist;
* warning: among late lines whose need-by date falls in the replay, the share first flagged at
  least ``min_days`` before need-by, and the median days of warning (need-by minus the first
  day flagged; 0 for a line never flagged, or flagged after its need-by date); the portal flags
  with PROJECTED_LATE, the baseline flags where the supplier's own date + transit > need-by;
* precision: among lines ever flagged, the share really late;
* alert load: open alerts per open line, averaged over the as_of days, by rule.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from portal.core.fileformats import line_keys

KEY = ["po_number", "line"]
PROJECTED_LATE = "PROJECTED_LATE"


def _keyed(frame: pd.DataFrame) -> pd.DataFrame:
    """The line key with one dtype on every side (an empty or all-NaN column reads as float)."""
    frame = frame.dropna(subset=KEY)
    return frame.astype({"po_number": "object", "line": "int64"})


def _with_truth(frame: pd.DataFrame, truth: pd.DataFrame) -> pd.DataFrame:
    return _keyed(frame).merge(_keyed(truth[[*KEY, "need_by_date", "arrival_date"]]), on=KEY, how="inner")


def _days(delta: pd.Series) -> pd.Series:
    return delta.dt.days.astype("float64")


def _share(mask: pd.Series) -> float | None:
    return float(mask.mean()) if len(mask) else None


def late_lines(truth: pd.DataFrame) -> pd.DataFrame:
    """The lines that arrived after their need-by date."""
    return truth[truth["arrival_date"] > truth["need_by_date"]]


def coverage_standard_error(covered: pd.Series, lines: pd.Series) -> float | None:
    """Standard error of a coverage share whose pairs come in clusters (one cluster per line).

    A line's weekly pairs are not independent (a line forecast too early is too early for weeks),
    so the share is a ratio estimator over lines: with S_i covered pairs of N_i for line i and
    c = sum S / sum N, var(c) ~ n / (n - 1) x sum (S_i - c N_i)^2 / (sum N)^2 (the clustered
    "sandwich" variance). None with fewer than two lines.
    """
    if len(covered) == 0:
        return None
    per_line = pd.DataFrame({"s": covered.astype("float64").to_numpy(), "line": lines.to_numpy()})
    sums = per_line.groupby("line")["s"].agg(["sum", "size"])
    n = len(sums)
    if n < 2:
        return None
    total = float(sums["size"].sum())
    share = float(sums["sum"].sum()) / total
    residual = sums["sum"].to_numpy() - share * sums["size"].to_numpy()
    return float(np.sqrt(n / (n - 1) * np.sum(residual**2)) / total)


def calibration(snapshots: pd.DataFrame, truth: pd.DataFrame) -> dict[str, Any]:
    """Share of real arrivals on or before arrival_p50 and arrival_p90, over (line, day) pairs,
    and the p90 share's standard error by line (:func:`coverage_standard_error`)."""
    pairs = _with_truth(snapshots.dropna(subset=["arrival_p50", "arrival_p90"]), truth)
    covered = pairs["arrival_date"] <= pairs["arrival_p90"]
    lines = line_keys(pairs)
    return {
        "pairs": len(pairs),
        "p50_coverage": _share(pairs["arrival_date"] <= pairs["arrival_p50"]),
        "p90_coverage": _share(covered),
        "p90_coverage_se": coverage_standard_error(covered, lines),
    }


def accuracy(snapshots: pd.DataFrame, truth: pd.DataFrame) -> dict[str, Any]:
    """Mean absolute error (days) of arrival_p50 and of the supplier's own date, on the same pairs."""
    pairs = _with_truth(snapshots.dropna(subset=["arrival_p50", "supplier_arrival"]), truth)
    mae = _days(pairs["arrival_p50"] - pairs["arrival_date"]).abs().mean() if len(pairs) else None
    own = _days(pairs["supplier_arrival"] - pairs["arrival_date"]).abs().mean() if len(pairs) else None
    bias = _days(pairs["arrival_p50"] - pairs["arrival_date"]).mean() if len(pairs) else None
    return {
        "pairs": len(pairs),
        "p50_mae_days": None if mae is None else float(mae),
        "supplier_mae_days": None if own is None else float(own),
        "p50_bias_days": None if bias is None else float(bias),
        "ratio": float(mae / own) if mae is not None and own else None,
    }


#: Real days from the as-of day to the arrival, as buckets for the breakdown.
HORIZONS = ((0, 14, "0-13 d"), (14, 42, "14-41 d"), (42, 100_000, "42+ d"))


def breakdown(snapshots: pd.DataFrame, truth: pd.DataFrame) -> dict[str, dict[str, Any]]:
    """Coverage and error by the forecast's rate source (plan/observed) and by real days to arrival."""
    pairs = _with_truth(snapshots.dropna(subset=["arrival_p50", "arrival_p90"]), truth)
    to_arrival = _days(pairs["arrival_date"] - pairs["as_of"])
    groups: dict[str, pd.Series] = {}
    if "rate_source" in pairs:
        for source in sorted(pairs["rate_source"].dropna().unique()):
            groups[f"rate {source}"] = pairs["rate_source"] == source
    for low, high, name in HORIZONS:
        groups[f"arrival in {name}"] = (to_arrival >= low) & (to_arrival < high)
    out: dict[str, dict[str, Any]] = {}
    for name, mask in groups.items():
        part = pairs[mask]
        if part.empty:
            continue
        error = _days(part["arrival_p50"] - part["arrival_date"])
        own = _days(part["supplier_arrival"] - part["arrival_date"]).abs()
        out[name] = {
            "pairs": len(part),
            "p50_coverage": _share(part["arrival_date"] <= part["arrival_p50"]),
            "p90_coverage": _share(part["arrival_date"] <= part["arrival_p90"]),
            "p50_mae_days": float(error.abs().mean()),
            "p50_bias_days": float(error.mean()),
            "supplier_mae_days": float(own.mean()) if own.notna().any() else None,
        }
    return out


def first_flagged(flags: pd.DataFrame) -> pd.DataFrame:
    """Per line, the first as_of day it was flagged (``flags``: as_of, po_number, line)."""
    flags = _keyed(flags)
    if flags.empty:
        return pd.DataFrame(
            {
                "po_number": pd.Series(dtype="object"),
                "line": pd.Series(dtype="int64"),
                "first_flagged": pd.Series(dtype="datetime64[ns]"),
            }
        )
    return flags.groupby(KEY, as_index=False)["as_of"].min().rename(columns={"as_of": "first_flagged"})


def projected_late_flags(alerts: pd.DataFrame) -> pd.DataFrame:
    """The (line, day) pairs with an open PROJECTED_LATE alert."""
    rows = alerts[(alerts["rule"] == PROJECTED_LATE) & alerts["po_number"].notna()]
    return rows[["as_of", *KEY]]


def supplier_flags(snapshots: pd.DataFrame, truth: pd.DataFrame) -> pd.DataFrame:
    """The (line, day) pairs where the supplier's own date + transit is after need-by."""
    rows = _keyed(snapshots).merge(_keyed(truth[[*KEY, "need_by_date"]]), on=KEY, how="inner")
    return rows.loc[rows["supplier_arrival"] > rows["need_by_date"], ["as_of", *KEY]]


def warning(
    flags: pd.DataFrame, truth: pd.DataFrame, last_day: dt.date | pd.Timestamp, min_days: int = 7
) -> dict[str, Any]:
    """Among late lines due by ``last_day``: the share flagged ``min_days`` ahead, median days of warning."""
    late = late_lines(truth)
    late = late[late["need_by_date"] <= pd.Timestamp(last_day)]
    merged = _keyed(late).merge(first_flagged(flags), on=KEY, how="left")
    lead = _days(merged["need_by_date"] - merged["first_flagged"]).fillna(0.0).clip(lower=0.0)
    return {
        "late_lines": len(merged),
        "warned_share": _share(lead >= min_days),
        "median_warning_days": float(lead.median()) if len(lead) else None,
    }


def precision(flags: pd.DataFrame, truth: pd.DataFrame) -> dict[str, Any]:
    """Among lines ever flagged, the share that really arrived late."""
    flagged = _with_truth(flags[KEY].drop_duplicates(), truth)
    return {
        "flagged_lines": len(flagged),
        "precision": _share(flagged["arrival_date"] > flagged["need_by_date"]),
    }


def alert_load(alerts: pd.DataFrame, snapshots: pd.DataFrame) -> dict[str, float]:
    """Open alerts per open line, averaged over the as_of days, by rule (and ``total``)."""
    open_lines = snapshots.groupby("as_of").size()
    open_lines = open_lines[open_lines > 0]
    if open_lines.empty:
        return {"total": 0.0}
    counts = alerts.groupby(["as_of", "rule"]).size().unstack(fill_value=0)
    counts = counts.reindex(open_lines.index, fill_value=0)
    per_line = counts.div(open_lines, axis=0)
    load = {rule: float(per_line[rule].mean()) for rule in sorted(per_line.columns)}
    load["total"] = float(per_line.sum(axis=1).mean())
    return load


@dataclass
class Evaluation:
    """Every figure of one evaluation run."""

    lines: int
    late: int
    calibration: dict[str, Any]
    accuracy: dict[str, Any]
    warning: dict[str, Any]
    warning_supplier: dict[str, Any]
    precision: dict[str, Any]
    precision_supplier: dict[str, Any]
    alert_load: dict[str, float]
    breakdown: dict[str, dict[str, Any]] = field(default_factory=dict)
    info: dict[str, Any] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        """Plain values for JSON."""
        return {
            "lines": self.lines,
            "late_lines": self.late,
            "calibration": self.calibration,
            "accuracy": self.accuracy,
            "warning": {"portal": self.warning, "supplier": self.warning_supplier},
            "precision": {"portal": self.precision, "supplier": self.precision_supplier},
            "alert_load": self.alert_load,
            "breakdown": self.breakdown,
            **self.info,
        }


def evaluate(
    truth: pd.DataFrame,
    snapshots: pd.DataFrame,
    alerts: pd.DataFrame,
    last_day: dt.date | pd.Timestamp,
    min_warning_days: int = 7,
) -> Evaluation:
    """Every metric of a replay against the truth."""
    portal_flags = projected_late_flags(alerts)
    own_flags = supplier_flags(snapshots, truth)
    return Evaluation(
        lines=len(truth),
        late=len(late_lines(truth)),
        calibration=calibration(snapshots, truth),
        accuracy=accuracy(snapshots, truth),
        warning=warning(portal_flags, truth, last_day, min_warning_days),
        warning_supplier=warning(own_flags, truth, last_day, min_warning_days),
        precision=precision(portal_flags, truth),
        precision_supplier=precision(own_flags, truth),
        alert_load=alert_load(alerts, snapshots),
        breakdown=breakdown(snapshots, truth),
    )


def _pct(value: float | None) -> str:
    return "n/a" if value is None or np.isnan(value) else f"{100 * value:.0f}%"


def _num(value: float | None, unit: str = "") -> str:
    return "n/a" if value is None or np.isnan(value) else f"{value:.1f}{unit}"


def _se(value: float | None) -> str:
    """The standard error of a share, in points: one world of ~150 lines reads +-1-2 points."""
    return "" if value is None or np.isnan(value) else f" (standard error by line {100 * value:.1f} points)"


def format_text(result: Evaluation) -> str:
    """The figures as a few lines of text."""
    c, a = result.calibration, result.accuracy
    w, ws = result.warning, result.warning_supplier
    p, ps = result.precision, result.precision_supplier
    ratio = "n/a" if a["ratio"] is None else f"{a['ratio']:.2f}x"
    load = ", ".join(f"{rule} {v:.2f}" for rule, v in result.alert_load.items() if rule != "total")
    parts = [
        f"  {name}: {b['pairs']} pairs, p50 covers {_pct(b['p50_coverage'])}, p90 {_pct(b['p90_coverage'])}, "
        f"p50 MAE {_num(b['p50_mae_days'], ' d')} (bias {_num(b['p50_bias_days'], ' d')}), "
        f"supplier's {_num(b['supplier_mae_days'], ' d')}"
        for name, b in result.breakdown.items()
    ]
    return "\n".join(
        [
            f"Lines: {result.lines}, late: {result.late}; (line, day) pairs with a forecast: {c['pairs']}",
            f"Calibration: arrival_p50 covered {_pct(c['p50_coverage'])} of real arrivals, "
            f"arrival_p90 {_pct(c['p90_coverage'])}{_se(c.get('p90_coverage_se'))}",
            f"Accuracy: arrival_p50 mean absolute error {_num(a['p50_mae_days'], ' d')} "
            f"(bias {_num(a['p50_bias_days'], ' d')}) vs {_num(a['supplier_mae_days'], ' d')} "
            f"for the supplier's date + transit ({ratio})",
            f"Warning: {_pct(w['warned_share'])} of {w['late_lines']} late lines had PROJECTED_LATE "
            f">= 7 days before need-by (median {_num(w['median_warning_days'], ' d')}); "
            f"supplier's date: {_pct(ws['warned_share'])} (median {_num(ws['median_warning_days'], ' d')})",
            f"Precision: PROJECTED_LATE {_pct(p['precision'])} of {p['flagged_lines']} lines really late; "
            f"supplier's date {_pct(ps['precision'])} of {ps['flagged_lines']}",
            f"Alert load: {result.alert_load.get('total', 0.0):.2f} open alerts per open line per day"
            + (f" ({load})" if load else ""),
            *(["Breakdown:", *parts] if parts else []),
        ]
    )
