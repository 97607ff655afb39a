"""Supplier buffers: the days added to a supplier's dates so that promises built on them hold.

The slip of a delivery is ``delivered_date - due_date`` in calendar days (late > 0). A
supplier's buffer is learned from its past slips; :func:`supplier_buffers` computes it for
every supplier at once and :func:`buffer_for` looks it up per line.
:func:`supplier_buffers_before` gives what ``supplier_buffers`` would have given at many past
moments (for the backtest); both run the same code (``_Rule.buffers``), so they cannot drift.

Method (the default; every figure below is from :func:`portal.core.backtest.backtest` on the
USAID SCMS history: 10,324 deliveries, 73 vendors, each promised 30 days before its due date
from the deliveries received before that moment):

1. **Recency weights.** Each past slip weighs ``0.5 ** (age / half_life_days)``, half life 90
   days. Suppliers change regime (SCMS's own distribution centre was almost never late in
   2007-09, then late a third of the time in 2011 and again in 2013-14): an equal-weight
   history reacts a year late and then stays padded for years. Weights are normalised per
   supplier, so ages count from the newest delivery in the history and the result does not
   depend on "today". Half lives of 90-120 days were best (60 and 180 slightly worse); hard
   windows (last N deliveries, last N days) were worse than exponential weights.
2. **A "knee" instead of a fixed quantile.** With ``F(b)`` the recency-weighted share of
   slips <= b, the buffer is the b (0 or one of the supplier's past slips) that maximises
   ``F(b) - lam * b``, ``lam = (1 - quantile) / tail_days``: padding grows only while each
   day of it keeps at least ``lam`` more promises. A supplier whose lateness tails off
   exponentially over ``tail_days`` (14) days gets exactly its ``quantile``; one whose late
   deliveries are very late (a long tail) gets less coverage, since covering it costs many
   days for few promises; one that is late by a day or two gets full coverage cheaply. A
   fixed quantile spends its padding on the long-tailed few (the plain per-vendor 0.95
   quantile pads Aurobindo by 31 days on average, for 45 late deliveries still missed).
   ``tail_days=None`` gives the plain weighted quantile (linear interpolation, as numpy).
3. **Blending** toward all suppliers' slips (the same rule on the pooled, recency-weighted
   slips): with n < ``min_history`` deliveries the buffer is
   ``n / min_history * own + (1 - n / min_history) * pooled``, rounded up to whole days.
   Suppliers without history get the pooled value; with no history at all the buffer is 0.
   (Blending barely matters on SCMS: min_history 1 to 40 moves kept by < 0.02 points.)

Backtest frontier on SCMS (promising the due date keeps 88.5%):

=====================================  =======  ============  ===================
policy                                 kept     mean padding  kept, 2011-07 on
=====================================  =======  ============  ===================
plain per-vendor quantile 0.95         93.5%    7.2 d         95.0% at 11.7 d
plain per-vendor quantile 0.97         94.9%    11.0 d        96.7% at 17.4 d
plain per-vendor quantile 0.98         95.8%    14.8 d        97.4% at 22.7 d
recency-weighted quantile 0.95         95.2%    12.4 d        96.0% at 18.5 d
knee, equal weights, quantile 0.95     92.9%    4.1 d
knee + recency, quantile 0.93          94.5%    6.1 d
knee + recency, quantile 0.94          95.0%    7.2 d
**knee + recency, 0.95 (default)**     95.4%    8.5 d         95.5% at 11.8 d
knee + recency, quantile 0.96          95.8%    9.8 d
knee + recency, quantile 0.97          96.1%    11.7 d
=====================================  =======  ============  ===================

The parameters (half life 90, tail 14) were chosen on the whole history. As a check by era:
the default keeps 95.4% of the promises due before July 2011 (4.5 days of padding) and 95.5%
of those due after (11.8 days); the later era is harder, so a setting tuned to just reach 95%
on the first era (lam 0.0048) keeps only 94.4% in the second: the default keeps a margin.
Tried and dropped: per-supplier lead-time (order to due) buckets (no gain), a lam scaled by
the pooled mean lateness (worse), one coverage target shared by all suppliers (worse),
ignoring deliveries due in the last weeks before the moment, whose late twins are not yet
delivered (within noise); segments (supplier x shipment mode or country, fulfil via x mode) and
a state of overdue lines (worse); gradient-boosted models shared across suppliers (a quantile
regression of the slip, and P(late) on promise-time features times the supplier's late slips:
worse, most of all before 2011, see ``bench/backtest_models.py`` and docs/evaluation.md); a bump
of 10-14 days while a supplier has 6+ lines overdue (+0.3-0.5 points at the same padding on the
whole history, mixed when chosen on the first era only: not adopted).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

import numpy as np
import pandas as pd

from portal.core.calendar import to_days

#: Half life (days) of a past slip's weight; ``None`` weighs all history equally.
DEFAULT_HALF_LIFE_DAYS: float | None = 90.0
#: Lateness tail (days) at which the knee rule gives exactly the quantile; ``None`` = plain quantile.
DEFAULT_TAIL_DAYS: float | None = 14.0

# Float noise must not turn an exact number of days into one more.
_CEIL_TOLERANCE = 1e-9
# Ties among equal scores go to the shortest buffer.
_SCORE_TOLERANCE = 1e-12
_INT16 = np.iinfo(np.int16)


def delivery_slips(deliveries: pd.DataFrame) -> pd.Series:
    """Slip of each delivery (delivered_date - due_date, calendar days); rows with a missing date dropped."""
    known, slips, _ = _slips(deliveries)
    return pd.Series(slips.astype(float), index=deliveries.index[known], name="slip_days")


def supplier_buffers(
    deliveries: pd.DataFrame,
    quantile: float = 0.95,
    min_history: int = 10,
    *,
    half_life_days: float | None = DEFAULT_HALF_LIFE_DAYS,
    tail_days: float | None = DEFAULT_TAIL_DAYS,
) -> pd.DataFrame:
    """Buffer days per supplier, plus a last row (supplier_id <NA>) with the all-supplier buffer."""
    rule = _Rule.checked(quantile, min_history, half_life_days, tail_days)
    history = _SortedHistory.of(deliveries)
    codes, days, counts, pooled = rule.buffers(history, None)
    return pd.DataFrame(
        {
            "supplier_id": _ids_with_fallback(history.suppliers[codes]),
            "buffer_days": np.r_[days, pooled],
            "deliveries": np.r_[counts, counts.sum()],
        }
    )


def supplier_buffers_before(
    deliveries: pd.DataFrame,
    cutoffs: Iterable[object],
    quantile: float = 0.95,
    min_history: int = 10,
    *,
    half_life_days: float | None = DEFAULT_HALF_LIFE_DAYS,
    tail_days: float | None = DEFAULT_TAIL_DAYS,
) -> pd.DataFrame:
    """:func:`supplier_buffers` on the deliveries before each distinct cutoff, one block per cutoff."""
    # Columns cutoff, supplier_id, buffer_days, deliveries. Every supplier of ``deliveries`` has a row
    # in every block (without history yet it gets the all-supplier buffer, as buffer_for would give),
    # so the backtest can look buffers up with one merge.
    rule = _Rule.checked(quantile, min_history, half_life_days, tail_days)
    history = _SortedHistory.of(deliveries)
    dates = to_days(cutoffs if isinstance(cutoffs, (pd.Series, np.ndarray)) else list(cutoffs))
    if np.isnat(dates).any():
        raise ValueError("cutoffs must be dates, not missing values")
    dates = np.unique(dates)
    n_suppliers = len(history.suppliers)
    days = np.empty((len(dates), n_suppliers + 1), dtype=np.int64)
    counts = np.zeros((len(dates), n_suppliers + 1), dtype=np.int64)
    # Cutoffs between the same two delivery dates see the same history: compute it once.
    seen = np.searchsorted(np.sort(history.pooled_day), dates.astype(np.int64), side="left")
    starts = np.flatnonzero(np.r_[True, seen[1:] != seen[:-1]])
    for first, last in zip(starts, np.r_[starts[1:], len(dates)], strict=True):
        codes, own, own_counts, pooled = rule.buffers(history, int(dates[first].astype(np.int64)))
        days[first:last] = pooled
        days[first:last, codes] = own
        counts[first:last, codes] = own_counts
        counts[first:last, -1] = own_counts.sum()
    ids = _ids_with_fallback(history.suppliers)
    return pd.DataFrame(
        {
            "cutoff": np.repeat(dates, n_suppliers + 1),
            "supplier_id": ids.take(np.tile(np.arange(n_suppliers + 1), len(dates))),
            "buffer_days": days.ravel(),
            "deliveries": counts.ravel(),
        }
    )


def buffer_for(buffers: pd.DataFrame, supplier_ids: Iterable[object]) -> np.ndarray:
    """Buffer days (int64) for each supplier id; unknown suppliers get the all-supplier buffer (else 0)."""
    ids = supplier_ids if isinstance(supplier_ids, (pd.Series, np.ndarray)) else list(supplier_ids)
    suppliers = buffers["supplier_id"]
    days = buffers["buffer_days"].to_numpy(dtype=np.int64)
    known = suppliers.notna().to_numpy()
    fallback = days[~known][0] if not known.all() else 0
    if not known.any():
        return np.full(len(ids), fallback, dtype=np.int64)
    position = pd.Index(suppliers[known].to_numpy()).get_indexer(pd.Index(ids))
    return np.where(position >= 0, days[known][position], fallback).astype(np.int64)


@dataclass(frozen=True)
class _SortedHistory:
    """Deliveries with both dates as arrays in two stable orders (ties keep the input order, so a
    history and any of its prefixes sort alike): by slip (pooled) and by supplier then slip (own)."""

    suppliers: np.ndarray  # distinct supplier ids, sorted; a supplier's code is its position here
    pooled_slip: np.ndarray
    pooled_day: np.ndarray  # delivered date as days since the epoch
    own_code: np.ndarray
    own_slip: np.ndarray
    own_day: np.ndarray

    @classmethod
    def of(cls, deliveries: pd.DataFrame) -> _SortedHistory:
        known, slips, delivered = _slips(deliveries)
        supplier_ids = deliveries["supplier_id"].to_numpy()
        codes, suppliers = pd.factorize(supplier_ids if known.all() else supplier_ids[known], sort=True)
        day = delivered.astype(np.int64)
        by_slip = _stable_order(slips)
        by_supplier = by_slip[_stable_order(codes[by_slip])]
        return cls(
            suppliers=np.asarray(suppliers),
            pooled_slip=slips[by_slip].astype(float),
            pooled_day=day[by_slip],
            own_code=codes[by_supplier],
            own_slip=slips[by_supplier].astype(float),
            own_day=day[by_supplier],
        )


@dataclass(frozen=True)
class _Rule:
    """The buffer rule's parameters (see the module docstring)."""

    quantile: float
    min_history: int
    half_life_days: float | None
    tail_days: float | None

    @classmethod
    def checked(
        cls, quantile: float, min_history: int, half_life_days: float | None, tail_days: float | None
    ) -> _Rule:
        if not 0 < quantile <= 1:
            raise ValueError(f"quantile must be in (0, 1], got {quantile}")
        if min_history < 1:
            raise ValueError(f"min_history must be at least 1, got {min_history}")
        for name, value in (("half_life_days", half_life_days), ("tail_days", tail_days)):
            if value is not None and not value > 0:
                raise ValueError(f"{name} must be > 0 or None, got {value}")
        return cls(quantile, min_history, half_life_days, tail_days)

    def buffers(
        self, history: _SortedHistory, cutoff_day: int | None
    ) -> tuple[np.ndarray, np.ndarray, np.ndarray, int]:
        """(codes of suppliers with history, their buffer days, their delivery counts, all-supplier
        buffer) from the deliveries delivered before ``cutoff_day`` (all of them when None)."""
        code, slip, day = history.own_code, history.own_slip, history.own_day
        pooled_slip, pooled_day = history.pooled_slip, history.pooled_day
        if cutoff_day is not None:
            own_rows, pooled_rows = day < cutoff_day, pooled_day < cutoff_day
            code, slip, day = code[own_rows], slip[own_rows], day[own_rows]
            pooled_slip, pooled_day = pooled_slip[pooled_rows], pooled_day[pooled_rows]
        counts = np.bincount(code, minlength=len(history.suppliers))
        if self.half_life_days is None or not len(day):
            own_weight = pooled_weight = np.ones(len(day))
        else:
            # Ages count from each supplier's newest delivery: weights are normalised per supplier
            # anyway, and a supplier silent for years would otherwise have weights too small to add up.
            newest = np.full(len(history.suppliers), day.min())
            np.maximum.at(newest, code, day)
            own_weight = np.exp2((day - newest[code]) / self.half_life_days)
            pooled_weight = np.exp2((pooled_day - pooled_day.max()) / self.half_life_days)
        lam = None if self.tail_days is None else (1.0 - self.quantile) / self.tail_days
        own = _sorted_group_buffers(slip, own_weight, counts, self.quantile, lam)
        pooled = _sorted_group_buffers(
            pooled_slip, pooled_weight, np.array([len(pooled_slip)]), self.quantile, lam
        )[0]
        trust = np.minimum(counts / self.min_history, 1.0)
        blended = np.ceil(trust * own + (1.0 - trust) * pooled - _CEIL_TOLERANCE).astype(np.int64)
        present = np.flatnonzero(counts)
        return present, blended[present], counts[present], int(np.ceil(pooled - _CEIL_TOLERANCE))


def _stable_order(values: np.ndarray) -> np.ndarray:
    """Stable argsort of integers; a radix sort (5x faster) when they fit in int16, as slips in days
    and supplier codes do."""
    if len(values) and _INT16.min <= values.min() and values.max() <= _INT16.max:
        values = values.astype(np.int16)
    return np.argsort(values, kind="stable")


def _days(column: pd.Series) -> np.ndarray:
    """``to_days``, skipping the parse when the column already holds datetimes."""
    if column.dtype.kind == "M":
        days: np.ndarray = column.to_numpy().astype("datetime64[D]")
        return days
    return to_days(column)


def _slips(deliveries: pd.DataFrame) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(rows with both dates, their slips in whole days as int64, their delivered dates)."""
    due = _days(deliveries["due_date"])
    delivered = _days(deliveries["delivered_date"])
    known = ~(np.isnat(due) | np.isnat(delivered))
    if not known.all():
        due, delivered = due[known], delivered[known]
    return known, (delivered - due).astype(np.int64), delivered


def _ids_with_fallback(suppliers: np.ndarray) -> pd.api.extensions.ExtensionArray:
    """The supplier ids followed by <NA> (the all-supplier row); nullable Int64 for integer ids."""
    if suppliers.dtype.kind in "iu":
        values = np.r_[suppliers.astype(np.int64), 0]
        return pd.arrays.IntegerArray(values, np.r_[np.zeros(len(suppliers), dtype=bool), True])
    return pd.array(np.r_[suppliers.astype(object), np.array([pd.NA], dtype=object)], dtype=object)


def _sorted_group_buffers(
    value: np.ndarray, weight: np.ndarray, counts: np.ndarray, quantile: float, lam: float | None
) -> np.ndarray:
    """Un-rounded buffer (>= 0) per group, from slips sorted by group then value: the knee rule when
    ``lam`` is given, else the weighted quantile. ``counts`` = rows per group (0 allowed)."""
    out = np.zeros(len(counts))
    present = counts > 0
    if not present.any():
        return out
    ends = np.cumsum(counts)[present]
    starts = ends - counts[present]
    cumulative = np.cumsum(weight)
    before = (cumulative - weight)[starts]  # weight of the groups sorted before this one
    total = cumulative[ends - 1] - before
    rank = np.repeat(np.arange(len(starts)), counts[present])  # index among present groups
    if lam is None:
        out[present] = _weighted_quantile(
            value, weight, cumulative, before, total, starts, ends, rank, quantile
        )
    else:
        # F(b) with b = this slip: the share of promises a buffer of b days would have kept.
        kept_share = (cumulative - before[rank]) / total[rank]
        padding = np.maximum(value, 0.0)
        score = kept_share - lam * padding
        best = np.maximum.reduceat(score, starts)
        first_best = np.minimum.reduceat(
            np.where(score >= best[rank] - _SCORE_TOLERANCE, np.arange(len(score)), len(score)), starts
        )
        # A buffer of 0 scores F(0) >= 0, covered by the non-positive slips; with none of those it scores 0.
        out[present] = np.where(best > 0, padding[first_best], 0.0)
    return np.maximum(out, 0.0)


def _weighted_quantile(
    value: np.ndarray,
    weight: np.ndarray,
    cumulative: np.ndarray,
    before: np.ndarray,
    total: np.ndarray,
    starts: np.ndarray,
    ends: np.ndarray,
    rank: np.ndarray,
    quantile: float,
) -> np.ndarray:
    """Per-group quantile interpolated like numpy's default ("linear"), generalised to weights."""
    # Position of each slip on [0, 1]: weight strictly below it over total minus the last weight;
    # with equal weights that is i / (n - 1), numpy's linear method.
    span = total - weight[ends - 1]
    position = (cumulative - weight - before[rank]) / np.where(span > 0, span, 1.0)[rank]
    position = np.clip(position, 0.0, 1.0)
    # Groups occupy disjoint ranges [2g, 2g + 1] of one sorted key, so one searchsorted serves all.
    key = 2.0 * rank + position
    lo = np.searchsorted(key, 2.0 * np.arange(len(starts)) + quantile, side="right") - 1
    lo = np.clip(lo, starts, ends - 1)
    hi = np.minimum(lo + 1, ends - 1)
    gap = position[hi] - position[lo]
    frac = np.where(gap > 0, (quantile - position[lo]) / np.where(gap > 0, gap, 1.0), 0.0)
    interpolated: np.ndarray = value[lo] + np.clip(frac, 0.0, 1.0) * (value[hi] - value[lo])
    return interpolated
