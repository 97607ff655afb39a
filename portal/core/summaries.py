"""Per-line production summaries: what the forecast needs of a line's reports, kept as it grows.

A summary holds, for the current reports of one line: produced and rejected units, the number
of reported days, the first and last reported day, the sum of squared good output (the spread),
the exponentially weighted mean's state, and the day the line's quantity was reached.

Everything but the EWM is an exact integer or a date. The EWM (pandas ``adjust=True``, span
``s``, alpha = 2 / (s + 1)) is kept as a numerator and denominator folded day by day,

    num <- num * (1 - alpha) + good,   den <- den * (1 - alpha) + 1,   ewm = num / den,

which is the closed form sum((1 - alpha)^k x) / sum((1 - alpha)^k) of :mod:`portal.core.forecast`
written as a recurrence. Appending a day after the last one is one step of it. A day before the
last one, or a correction of a day already reported, changes earlier terms: the line's summary is
then folded again from its own reports (:func:`summarize`). The bulk builder
(:func:`summarize_frame`) runs the very same recurrence, vectorized over lines, so a summary kept
post by post and one rebuilt from the reports are bit for bit equal.

A summary records the quantity its completion day was found for and the span its EWM uses; when
the line's quantity or the span setting changes it no longer applies, and the line is summarized
from its reports again.
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Iterable
from dataclasses import dataclass, replace

import numpy as np
import pandas as pd

SUMMARY_COLUMNS = (
    "line_id",
    "quantity",
    "ewm_span",
    "produced",
    "rejected",
    "reported_days",
    "good_sq_sum",
    "first_report_date",
    "last_report_date",
    "ewm_num",
    "ewm_den",
    "completed_on",
)

#: The columns of :func:`portal.core.forecast._report_stats`, which :func:`report_stats` builds.
STATS_COLUMNS = (
    "line_id",
    "produced",
    "rejected",
    "reported_days",
    "mean_rate",
    "rate_sd",
    "last_report_date",
    "ewm_rate",
    "completed_on",
)


def decay(span: int) -> float:
    """1 - alpha of an EWM with this span."""
    return 1.0 - 2.0 / (span + 1.0)


@dataclass(frozen=True)
class LineSummary:
    """The summary of one line's current reports (see the module docstring)."""

    quantity: int
    ewm_span: int
    produced: int = 0
    rejected: int = 0
    reported_days: int = 0
    good_sq_sum: int = 0
    first_report_date: dt.date | None = None
    last_report_date: dt.date | None = None
    ewm_num: float = 0.0
    ewm_den: float = 0.0
    completed_on: dt.date | None = None

    def can_append(self, day: dt.date, quantity: int, span: int) -> bool:
        """Whether a new report of ``day`` is one step of the recurrence (else: summarize again)."""
        return (
            self.quantity == quantity
            and self.ewm_span == span
            and (self.last_report_date is None or day > self.last_report_date)
        )

    def append(self, day: dt.date, good: int, rejected: int) -> LineSummary:
        """The summary with one more reported day after the last one."""
        if self.last_report_date is not None and day <= self.last_report_date:
            raise ValueError(f"{day} is not after the last reported day {self.last_report_date}")
        k = decay(self.ewm_span)
        produced = self.produced + int(good)
        completed = self.completed_on
        if completed is None and produced >= self.quantity:
            completed = day
        return replace(
            self,
            produced=produced,
            rejected=self.rejected + int(rejected),
            reported_days=self.reported_days + 1,
            good_sq_sum=self.good_sq_sum + int(good) * int(good),
            first_report_date=self.first_report_date or day,
            last_report_date=day,
            ewm_num=self.ewm_num * k + float(good),
            ewm_den=self.ewm_den * k + 1.0,
            completed_on=completed,
        )

    def as_row(self, line_id: int) -> dict[str, object]:
        """The summary as a row of SUMMARY_COLUMNS."""
        return {"line_id": line_id, **{c: getattr(self, c) for c in SUMMARY_COLUMNS[1:]}}


def summarize(reports: Iterable[tuple[dt.date, int, int]], quantity: int, span: int) -> LineSummary:
    """One line's summary from its current reports (day, good, rejected), in any order."""
    summary = LineSummary(quantity=int(quantity), ewm_span=int(span))
    for day, good, rejected in sorted(reports, key=lambda r: r[0]):
        summary = summary.append(day, good, rejected)
    return summary


def summarize_frame(reports: pd.DataFrame, quantities: pd.Series, span: int) -> pd.DataFrame:
    """Summaries of the lines in ``quantities`` (index line_id) from their current reports, in bulk.

    ``reports``: line_id, report_date, good_qty, rejected_qty (one per line and day). One row per
    line of ``quantities``, SUMMARY_COLUMNS; a line with no report has zeros and no dates. The EWM
    runs the recurrence of :meth:`LineSummary.append` one reported day at a time across all lines,
    so its floats equal the ones kept post by post.
    """
    line_ids = quantities.index.to_numpy(dtype="int64")
    qty = quantities.to_numpy(dtype="int64")
    n = len(line_ids)
    out = pd.DataFrame(
        {
            "line_id": line_ids,
            "quantity": qty,
            "ewm_span": np.full(n, int(span), dtype="int64"),
            "produced": np.zeros(n, dtype="int64"),
            "rejected": np.zeros(n, dtype="int64"),
            "reported_days": np.zeros(n, dtype="int64"),
            "good_sq_sum": np.zeros(n, dtype="int64"),
            "first_report_date": np.full(n, np.datetime64("NaT"), dtype="datetime64[D]"),
            "last_report_date": np.full(n, np.datetime64("NaT"), dtype="datetime64[D]"),
            "ewm_num": np.zeros(n),
            "ewm_den": np.zeros(n),
            "completed_on": np.full(n, np.datetime64("NaT"), dtype="datetime64[D]"),
        }
    )
    if n == 0 or reports.empty:
        return out
    position = pd.Index(line_ids)
    where = position.get_indexer(reports["line_id"].to_numpy(dtype="int64"))
    keep = where >= 0
    group = where[keep]
    day = pd.to_datetime(reports["report_date"]).to_numpy(dtype="datetime64[D]")[keep]
    good = reports["good_qty"].to_numpy(dtype="int64")[keep]
    rejected = reports["rejected_qty"].fillna(0).to_numpy(dtype="int64")[keep]
    if len(group) == 0:
        return out
    order = np.lexsort((day.astype("int64"), group))
    group, day, good, rejected = group[order], day[order], good[order], rejected[order]
    starts = np.flatnonzero(np.r_[True, group[1:] != group[:-1]])
    ends = np.r_[starts[1:], len(group)]
    count = ends - starts
    lines_with = group[starts]

    produced = np.add.reduceat(good, starts)
    out.loc[lines_with, "produced"] = produced
    out.loc[lines_with, "rejected"] = np.add.reduceat(rejected, starts)
    out.loc[lines_with, "reported_days"] = count
    out.loc[lines_with, "good_sq_sum"] = np.add.reduceat(good * good, starts)
    first = out["first_report_date"].to_numpy(dtype="datetime64[D]").copy()
    last = out["last_report_date"].to_numpy(dtype="datetime64[D]").copy()
    first[lines_with] = day[starts]
    last[lines_with] = day[ends - 1]
    # Completion: the first day cumulative good output reaches the line's quantity.
    cumulative = np.cumsum(good) - np.repeat(np.r_[0, np.cumsum(good)][starts], count)
    reached = cumulative >= np.repeat(qty[lines_with], count)
    never = np.iinfo(np.int64).max
    hit = np.minimum.reduceat(np.where(reached, day.astype("int64"), never), starts)
    completed = out["completed_on"].to_numpy(dtype="datetime64[D]").copy()
    completed[lines_with] = np.where(hit == never, np.datetime64("NaT"), hit.astype("datetime64[D]"))
    # The EWM recurrence, one reported day (the k-th of every line) at a time.
    rank = np.arange(len(group)) - np.repeat(starts, count)
    by_rank = np.argsort(rank, kind="stable")
    bounds = np.searchsorted(rank[by_rank], np.arange(count.max() + 1))
    num = np.zeros(n)
    den = np.zeros(n)
    k = decay(span)
    goods = good.astype("float64")
    for j in range(count.max()):
        rows = by_rank[bounds[j] : bounds[j + 1]]
        g = group[rows]
        num[g] = num[g] * k + goods[rows]
        den[g] = den[g] * k + 1.0
    out["first_report_date"] = first
    out["last_report_date"] = last
    out["completed_on"] = completed
    out["ewm_num"] = num
    out["ewm_den"] = den
    return out


def report_stats(summaries: pd.DataFrame) -> pd.DataFrame:
    """The per-line report statistics the forecast reads (STATS_COLUMNS), from summaries.

    The sample standard deviation comes from the exact integer sums: (n S2 - S1^2) / (n (n - 1)).
    """
    s = summaries
    n = s["reported_days"].to_numpy(dtype="int64")
    s1 = s["produced"].to_numpy(dtype="int64")
    s2 = s["good_sq_sum"].to_numpy(dtype="int64")
    some = n > 0
    safe_n = np.where(some, n, 1)
    with np.errstate(invalid="ignore", divide="ignore"):
        mean = np.where(some, s1 / safe_n, np.nan)
        spread = (n * s2 - s1 * s1) / np.maximum(n * (n - 1), 1)
        sd = np.where(n > 1, np.sqrt(np.maximum(spread, 0.0)), np.nan)
        ewm = np.where(
            some, s["ewm_num"].to_numpy(dtype="float64") / s["ewm_den"].to_numpy(dtype="float64"), np.nan
        )
    return pd.DataFrame(
        {
            "line_id": s["line_id"].to_numpy(),
            "produced": s1,
            "rejected": s["rejected"].to_numpy(dtype="int64"),
            "reported_days": n,
            "mean_rate": mean,
            "rate_sd": sd,
            "last_report_date": pd.to_datetime(s["last_report_date"]).astype("datetime64[ns]"),
            "ewm_rate": ewm,
            "completed_on": pd.to_datetime(s["completed_on"]).astype("datetime64[ns]"),
        }
    )


def line_stats(summary: LineSummary) -> dict[str, object]:
    """:func:`report_stats` of one summary, in plain Python (the same floats)."""
    n, s1, s2 = summary.reported_days, summary.produced, summary.good_sq_sum
    sd = math.sqrt(max(float(n * s2 - s1 * s1) / float(n * (n - 1)), 0.0)) if n > 1 else math.nan
    return {
        "produced": s1,
        "rejected": summary.rejected,
        "reported_days": n,
        "mean_rate": s1 / n if n else math.nan,
        "rate_sd": sd,
        "last_report_date": summary.last_report_date,
        "ewm_rate": summary.ewm_num / summary.ewm_den if n else math.nan,
        "completed_on": summary.completed_on,
    }


def differences(stored: pd.DataFrame, expected: pd.DataFrame) -> pd.DataFrame:
    """Lines whose stored summary differs from the expected one: line_id and a sentence each.

    Both frames hold SUMMARY_COLUMNS; a line missing from ``stored`` differs when it has reports.
    """
    cols = list(SUMMARY_COLUMNS[1:])
    exp = expected.set_index("line_id")[cols]
    got = stored.set_index("line_id")[cols].reindex(exp.index)
    problems: dict[int, list[str]] = {}
    missing = got["quantity"].isna().to_numpy() & (exp["reported_days"].to_numpy() > 0)
    for line_id in exp.index[missing]:
        problems.setdefault(int(line_id), []).append("no summary")
    present = ~got["quantity"].isna().to_numpy()
    for col in cols:
        e, g = exp[col].to_numpy()[present], got[col].to_numpy()[present]
        if col.endswith("_date") or col == "completed_on":
            e = pd.to_datetime(pd.Series(e)).to_numpy()
            g = pd.to_datetime(pd.Series(g)).to_numpy()
            same = (e == g) | (pd.isna(e) & pd.isna(g))
        else:
            same = e.astype("float64") == g.astype("float64")
        for i in np.flatnonzero(~same):
            line_id = int(exp.index[present][i])
            problems.setdefault(line_id, []).append(
                f"{col} {_show(g[i])} stored, {_show(e[i])} from its reports"
            )
    return pd.DataFrame(
        {"line_id": list(problems), "problem": ["; ".join(p) for p in problems.values()]},
        columns=["line_id", "problem"],
    )


def _show(value: object) -> str:
    if value is None or (not isinstance(value, str) and pd.isna(value)):
        return "none"
    if isinstance(value, np.datetime64 | pd.Timestamp):
        return str(pd.Timestamp(value).date())
    if isinstance(value, float | np.floating) and float(value).is_integer():
        return f"{int(value):,}"
    return str(value)
