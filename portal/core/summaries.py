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

The forecast's calibration (:mod:`portal.core.calibration`) reads more of a line's days: the first
day with good output (the supplier's start delay), the EWM over the days with output only, and,
once a line has had ``RAMP_UP_DAYS + MIN_STEADY_DAYS`` days with output, its rate and spread
without the ramp-up (the days up to its ``RAMP_UP_DAYS``-th day with output). Each is one more
exact count or sum, or one more EWM state folded by the same recurrence on the days it covers:
``positive_*`` over every day with output, ``steady_*`` over the days after the ramp-up (zero
days included in the sums, only days with output in its EWM). :func:`calibration_stats` turns
them into what :func:`portal.core.calibration.positive_day_rate` computes from the reports.
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Iterable
from dataclasses import dataclass, fields, replace

import numpy as np
import pandas as pd

from portal.core.calibration import DAY_COLUMNS, MIN_STEADY_DAYS, RAMP_UP_DAYS

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
    first_output_date: dt.date | None = None
    positive_days: int = 0
    positive_ewm_num: float = 0.0
    positive_ewm_den: float = 0.0
    steady_days: int = 0
    steady_sum: int = 0
    steady_sq_sum: int = 0
    steady_ewm_num: float = 0.0
    steady_ewm_den: float = 0.0

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
        good = int(good)
        made = good > 0
        # After the ramp-up: the line had RAMP_UP_DAYS days with output before this one.
        steady = self.positive_days >= RAMP_UP_DAYS
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
            first_output_date=self.first_output_date or (day if made else None),
            positive_days=self.positive_days + int(made),
            positive_ewm_num=self.positive_ewm_num * k + float(good) if made else self.positive_ewm_num,
            positive_ewm_den=self.positive_ewm_den * k + 1.0 if made else self.positive_ewm_den,
            steady_days=self.steady_days + int(steady),
            steady_sum=self.steady_sum + (good if steady else 0),
            steady_sq_sum=self.steady_sq_sum + (good * good if steady else 0),
            steady_ewm_num=self.steady_ewm_num * k + float(good) if steady and made else self.steady_ewm_num,
            steady_ewm_den=self.steady_ewm_den * k + 1.0 if steady and made else self.steady_ewm_den,
        )

    def as_row(self, line_id: int) -> dict[str, object]:
        """The summary as a row of SUMMARY_COLUMNS."""
        return {"line_id": line_id, **{c: getattr(self, c) for c in SUMMARY_COLUMNS[1:]}}


#: A summary row: line_id, then the fields of :class:`LineSummary` (the stored columns, in order).
SUMMARY_COLUMNS = ("line_id", *(f.name for f in fields(LineSummary)))
#: The summary's exact integer columns (the rest are dates and EWM floats).
INTEGER_COLUMNS = tuple(f.name for f in fields(LineSummary) if f.type == "int")
DATE_COLUMNS = tuple(f.name for f in fields(LineSummary) if f.type == "dt.date | None")


def summarize(reports: Iterable[tuple[dt.date, int, int]], quantity: int, span: int) -> LineSummary:
    """One line's summary from its current reports (day, good, rejected), in any order.

    :meth:`LineSummary.append` day by day, its recurrence kept in local variables (one summary
    built at the end instead of one per day): the same operations in the same order, so the same
    floats (``tests/unit/test_summaries.py`` compares both with the bulk fold)."""
    quantity, span = int(quantity), int(span)
    k = decay(span)
    produced = rejected_sum = days = sq = positive = steady_days = steady_sum = steady_sq = 0
    num = den = pos_num = pos_den = steady_num = steady_den = 0.0
    first: dt.date | None = None
    last: dt.date | None = None
    completed: dt.date | None = None
    first_output: dt.date | None = None
    for day, good, rejected in sorted(reports, key=lambda r: r[0]):
        if last is not None and day <= last:
            raise ValueError(f"{day} is not after the last reported day {last}")
        good = int(good)
        produced += good
        if completed is None and produced >= quantity:
            completed = day
        made = good > 0
        steady = positive >= RAMP_UP_DAYS
        rejected_sum += int(rejected)
        days += 1
        sq += good * good
        first = first or day
        last = day
        num = num * k + float(good)
        den = den * k + 1.0
        if first_output is None and made:
            first_output = day
        if made:
            positive += 1
            pos_num = pos_num * k + float(good)
            pos_den = pos_den * k + 1.0
        if steady:
            steady_days += 1
            steady_sum += good
            steady_sq += good * good
            if made:
                steady_num = steady_num * k + float(good)
                steady_den = steady_den * k + 1.0
    return LineSummary(
        quantity=quantity,
        ewm_span=span,
        produced=produced,
        rejected=rejected_sum,
        reported_days=days,
        good_sq_sum=sq,
        first_report_date=first,
        last_report_date=last,
        ewm_num=num,
        ewm_den=den,
        completed_on=completed,
        first_output_date=first_output,
        positive_days=positive,
        positive_ewm_num=pos_num,
        positive_ewm_den=pos_den,
        steady_days=steady_days,
        steady_sum=steady_sum,
        steady_sq_sum=steady_sq,
        steady_ewm_num=steady_num,
        steady_ewm_den=steady_den,
    )


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
            "first_output_date": np.full(n, np.datetime64("NaT"), dtype="datetime64[D]"),
            "positive_days": np.zeros(n, dtype="int64"),
            "positive_ewm_num": np.zeros(n),
            "positive_ewm_den": np.zeros(n),
            "steady_days": np.zeros(n, dtype="int64"),
            "steady_sum": np.zeros(n, dtype="int64"),
            "steady_sq_sum": np.zeros(n, dtype="int64"),
            "steady_ewm_num": np.zeros(n),
            "steady_ewm_den": np.zeros(n),
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
    # Days with output; the steady days come after a line's RAMP_UP_DAYS-th day with output.
    made = good > 0
    made_before = np.cumsum(made) - made - np.repeat(np.r_[0, np.cumsum(made)][starts], count)
    steady = made_before >= RAMP_UP_DAYS
    out.loc[lines_with, "positive_days"] = np.add.reduceat(made.astype("int64"), starts)
    out.loc[lines_with, "steady_days"] = np.add.reduceat(steady.astype("int64"), starts)
    out.loc[lines_with, "steady_sum"] = np.add.reduceat(np.where(steady, good, 0), starts)
    out.loc[lines_with, "steady_sq_sum"] = np.add.reduceat(np.where(steady, good * good, 0), starts)
    first_made = np.minimum.reduceat(np.where(made, day.astype("int64"), never), starts)
    first_output = out["first_output_date"].to_numpy(dtype="datetime64[D]").copy()
    first_output[lines_with] = np.where(
        first_made == never, np.datetime64("NaT"), first_made.astype("datetime64[D]")
    )
    # The EWM recurrences, one reported day (the k-th of every line) at a time.
    rank = np.arange(len(group)) - np.repeat(starts, count)
    by_rank = np.argsort(rank, kind="stable")
    bounds = np.searchsorted(rank[by_rank], np.arange(count.max() + 1))
    num, den = np.zeros(n), np.zeros(n)
    pos_num, pos_den = np.zeros(n), np.zeros(n)
    steady_num, steady_den = np.zeros(n), np.zeros(n)
    k = decay(span)
    goods = good.astype("float64")
    for j in range(count.max()):
        rows = by_rank[bounds[j] : bounds[j + 1]]
        g = group[rows]
        num[g] = num[g] * k + goods[rows]
        den[g] = den[g] * k + 1.0
        with_output = rows[made[rows]]
        p = group[with_output]
        pos_num[p] = pos_num[p] * k + goods[with_output]
        pos_den[p] = pos_den[p] * k + 1.0
        settled = with_output[steady[with_output]]
        q = group[settled]
        steady_num[q] = steady_num[q] * k + goods[settled]
        steady_den[q] = steady_den[q] * k + 1.0
    out["first_report_date"] = first
    out["last_report_date"] = last
    out["completed_on"] = completed
    out["first_output_date"] = first_output
    out["ewm_num"] = num
    out["ewm_den"] = den
    out["positive_ewm_num"] = pos_num
    out["positive_ewm_den"] = pos_den
    out["steady_ewm_num"] = steady_num
    out["steady_ewm_den"] = steady_den
    return out


def report_stats(summaries: pd.DataFrame) -> pd.DataFrame:
    """The per-line report statistics the forecast reads (STATS_COLUMNS), and the calibration's day
    figures (calibration.DAY_COLUMNS, :func:`calibration_stats`), from summaries.

    The sample standard deviation comes from the exact integer sums: (n S2 - S1^2) / (n (n - 1)).
    """
    s = summaries
    n = s["reported_days"].to_numpy(dtype="int64")
    s1 = s["produced"].to_numpy(dtype="int64")
    some = n > 0
    safe_n = np.where(some, n, 1)
    with np.errstate(invalid="ignore", divide="ignore"):
        mean = np.where(some, s1 / safe_n, np.nan)
        ewm = np.where(
            some, s["ewm_num"].to_numpy(dtype="float64") / s["ewm_den"].to_numpy(dtype="float64"), np.nan
        )
    days = calibration_stats(s)
    return pd.DataFrame(
        {
            "line_id": s["line_id"].to_numpy(),
            "produced": s1,
            "rejected": s["rejected"].to_numpy(dtype="int64"),
            "reported_days": n,
            "mean_rate": mean,
            "rate_sd": _sample_sd(n, s1, s["good_sq_sum"].to_numpy(dtype="int64")),
            "last_report_date": pd.to_datetime(s["last_report_date"]).astype("datetime64[ns]"),
            "ewm_rate": ewm,
            "completed_on": pd.to_datetime(s["completed_on"]).astype("datetime64[ns]"),
            **{col: days[col].to_numpy() for col in DAY_COLUMNS},
        }
    )


def _sample_sd(n: np.ndarray, s1: np.ndarray, s2: np.ndarray) -> np.ndarray:
    """Sample standard deviations (ddof 1) from exact integer counts, sums and sums of squares."""
    with np.errstate(invalid="ignore", divide="ignore"):
        spread = (n * s2 - s1 * s1) / np.maximum(n * (n - 1), 1)
        return np.where(n > 1, np.sqrt(np.maximum(spread, 0.0)), np.nan)


def calibration_stats(summaries: pd.DataFrame) -> pd.DataFrame:
    """Per line (line_id and calibration.DAY_COLUMNS): what the calibration reads of its days.

    The same figures :func:`portal.core.calibration.positive_day_rate` computes from the reports:
    the first and last reported day, the EWM over the days with output, and the spread of every
    reported day, each without the ramp-up once the line has had enough days with output.
    """
    s = summaries
    positive = s["positive_days"].to_numpy(dtype="int64")
    settled = positive >= RAMP_UP_DAYS + MIN_STEADY_DAYS
    with np.errstate(invalid="ignore", divide="ignore"):
        all_rate = s["positive_ewm_num"].to_numpy(dtype="float64") / s["positive_ewm_den"].to_numpy(
            dtype="float64"
        )
        steady_rate = s["steady_ewm_num"].to_numpy(dtype="float64") / s["steady_ewm_den"].to_numpy(
            dtype="float64"
        )
    rate = np.where(positive > 0, np.where(settled, steady_rate, all_rate), np.nan)
    every_sd = _sample_sd(
        s["reported_days"].to_numpy(dtype="int64"),
        s["produced"].to_numpy(dtype="int64"),
        s["good_sq_sum"].to_numpy(dtype="int64"),
    )
    steady_sd = _sample_sd(
        s["steady_days"].to_numpy(dtype="int64"),
        s["steady_sum"].to_numpy(dtype="int64"),
        s["steady_sq_sum"].to_numpy(dtype="int64"),
    )
    return pd.DataFrame(
        {
            "line_id": s["line_id"].to_numpy(),
            "first_report": pd.to_datetime(s["first_report_date"]).astype("datetime64[ns]").to_numpy(),
            "last_report": pd.to_datetime(s["last_report_date"]).astype("datetime64[ns]").to_numpy(),
            "positive_rate": rate,
            "steady_sd": np.where(settled, steady_sd, every_sd),
        }
    )


def line_stats(summary: LineSummary) -> dict[str, object]:
    """:func:`report_stats` of one summary, in plain Python (the same floats)."""
    n, s1 = summary.reported_days, summary.produced
    p = summary.positive_days
    settled = p >= RAMP_UP_DAYS + MIN_STEADY_DAYS
    if settled:
        positive_rate = summary.steady_ewm_num / summary.steady_ewm_den
        steady_sd = _one_sd(summary.steady_days, summary.steady_sum, summary.steady_sq_sum)
    else:
        positive_rate = summary.positive_ewm_num / summary.positive_ewm_den if p else math.nan
        steady_sd = _one_sd(n, s1, summary.good_sq_sum)
    return {
        "produced": s1,
        "rejected": summary.rejected,
        "reported_days": n,
        "mean_rate": s1 / n if n else math.nan,
        "rate_sd": _one_sd(n, s1, summary.good_sq_sum),
        "last_report_date": summary.last_report_date,
        "ewm_rate": summary.ewm_num / summary.ewm_den if n else math.nan,
        "completed_on": summary.completed_on,
        "first_report": summary.first_report_date,
        "last_report": summary.last_report_date,
        "positive_rate": positive_rate,
        "steady_sd": steady_sd,
    }


def _one_sd(n: int, s1: int, s2: int) -> float:
    """:func:`_sample_sd` of one count, sum and sum of squares (the same float)."""
    return math.sqrt(max(float(n * s2 - s1 * s1) / float(n * (n - 1)), 0.0)) if n > 1 else math.nan


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
        if col in DATE_COLUMNS:
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
