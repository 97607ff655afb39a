"""Reads for the supplier scorecards: the ranking, one supplier's scorecard, a comparison, the export.

Every function loads its inputs with one query per table (suppliers, closures, lines, receipts,
schedule revisions, reports; forecasts for the ranking's late-line counts), scoped to the
suppliers it needs, and hands them to the pure core (``portal.core.scorecard``) which computes
every supplier and month at once. Nothing is cached here: the pages cache (``context.read``).

Periods: a month ``YYYY-MM`` or the rolling 12 months ending with a month (``end_month``; the
current month counts to date). Pages default to the current month, or to the latest month with
data when nothing happened in the last 12 months (a loaded history); the export's ``rolling-12``
always ends with the current month.

Just over 500 lines on purpose: the ranking, one scorecard, the comparison and the export share the
period helpers and the same loaded inputs, and read as one set of views of one computation.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Collection
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd
from sqlalchemy import select
from sqlalchemy.orm import Session

from db.engine import Database
from db.models import ScorecardSnapshot, Supplier
from portal.core import scorecard as sc
from portal.core.domain import NotFound, ValidationError
from portal.core.settings import Settings
from portal.queries import scorecard_data
from portal.queries.directory import supplier_search
from portal.queries.scorecard_data import (
    COUNT_COLUMNS,
    LIVE_LINE_BUDGET,
    Loaded,
    changed_suppliers,
    current_totals,
    line_counts,
    lines_per_supplier,
    load_scorecard_data,
    month_choices,
    read_dated_frame,
    snapshot_is_current,
    stored_rank_history,
    stored_rank_rows,
    sweep_mark,
)
from portal.services.access import ALL_ROLES, STAFF, Actor, require_supplier_access, service
from portal.services.settings import load_settings

#: Columns of a scorecard export, as DOMAIN.md lists them.
EXPORT_COLUMNS = ["supplier_code", "period", "lines", *sc.METRICS, "score", "grade"]
COMPARE_MIN, COMPARE_MAX = 2, 4


# ----------------------------------------------------------------------------- periods and frames


def _end_month(loaded: Loaded, end_month: str | None, today: dt.date) -> int:
    """The chosen month, else the current one, else (nothing in the last 12 months) the latest with data."""
    if end_month:
        return sc.parse_month(end_month)
    current = sc.month_of(today)
    months = loaded.events.line_months["month"]
    months = months[months <= current]
    if len(months) and not (months > current - sc.ROLLING_MONTHS).any():
        return int(months.max())
    return current


def _window_months(end: int) -> list[int]:
    first, last = sc.rolling_window(end)
    return list(range(first, last + 1))


def _drop_totals(frame: pd.DataFrame) -> pd.DataFrame:
    return frame.drop(columns=[c for c in sc.TOTALS if c in frame.columns])


# ----------------------------------------------------------------------------- ranking


@dataclass(frozen=True)
class RankingSummary:
    """What the ranking's header counts over every supplier (not only the rows of a page)."""

    suppliers: int
    scored: int
    open_lines: int
    late_lines: int
    received_lines: int


@dataclass(frozen=True)
class Ranking:
    """Every supplier's rolling-12 scorecard ending ``end_month``, best first (``table``: the rows
    asked for, a page of them or all)."""

    end_month: str
    months: list[str]
    table: pd.DataFrame
    settings: Settings
    #: The whole ranking's counts, and how many suppliers match the search (``table`` is a page of them).
    summary: RankingSummary
    total: int
    #: When the stored snapshot it was read from was computed (UTC); None when computed live.
    computed_at: dt.datetime | None = None
    #: The day that snapshot counted up to.
    snapshot_as_of: dt.date | None = None
    #: Suppliers shown with the snapshot's numbers although they may have changed since (too many
    #: to compute live on a page view): the page says as of when. 0: every number is today's.
    stale_suppliers: int = 0


@service(*STAFF, writes=False)
def supplier_ranking(
    db: Database,
    actor: Actor,
    end_month: str | None = None,
    *,
    today: dt.date | None = None,
    search: str = "",
    limit: int | None = None,
    offset: int = 0,
) -> Ranking:
    """Suppliers ranked by rolling-12 score, with grade, trend, 12-month score history and line counts.

    Reads the stored snapshot (``portal scorecards refresh``) when it counted up to today with the
    current on-time tolerance and in-full threshold, and computes live the suppliers written to since
    (the same numbers as computing everyone live). When that live part is more than a page view can
    afford (:data:`LIVE_LINE_BUDGET` lines; or the snapshot counted up to an earlier day and the
    world is that large), those suppliers keep the snapshot's numbers and ``stale_suppliers`` says
    how many; without a snapshot, everything is computed live. For the snapshot's own end month
    (the default when it was stored) it reads the stored rank rows, one per supplier, instead of
    summing supplier-months and counting every line (:func:`_from_rank_rows`): the same numbers.

    ``search`` keeps the suppliers whose code or name holds it; ``limit``/``offset`` cut a page of
    that order (``rank`` stays the place in the whole ranking). The order is by the score, which the
    admin's weights make when read, so every supplier's totals are read and ordered; the score
    history (the trend and sparkline, most of the cost at scale XL) is read for the rows returned only.
    """
    today = today or dt.date.today()
    with db.read() as session:
        settings = load_settings(session)
        suppliers = read_dated_frame(
            session,
            select(Supplier.id, Supplier.code, Supplier.name).order_by(Supplier.code),
            ["supplier_id", "code", "name"],
        )
        end = sc.parse_month(end_month) if end_month else month_choices(session, None, today)[1]
        ids = suppliers["supplier_id"].astype("int64").tolist()
        months = _window_months(end)
        snapshot = scorecard_data.latest_snapshot(session)
        if (
            snapshot is not None
            and snapshot.rank_end_month == end
            and snapshot_is_current(snapshot, settings, today)
        ):
            part = _from_rank_rows(session, snapshot, ids, months, today, settings)
        else:
            totals = current_totals(session, None, months, today, settings, live_budget=LIVE_LINE_BUDGET)
            history = sc.rolling_from_totals(totals.monthly, totals.lines, settings, months, ids)
            part = _Part(
                history[history["end_month"] == end].set_index("supplier_id").drop(columns=["end_month"]),
                _score_grid(history, months),
                line_counts(session, months),
                totals.snapshot,
                totals.stale_suppliers,
            )
        table = _ranked(suppliers, part)
        shown = _searched(session, table, search)
        total = len(shown)
        shown = shown.iloc[offset : None if limit is None else offset + limit]
        scores = part.scores
        unread = shown["supplier_id"][~shown["supplier_id"].isin(scores.index)].tolist()
        if unread and part.history_of is not None:
            scores = pd.concat([scores, _stored_scores(session, part.history_of, unread, months, settings)])
    shown = shown.copy()
    grid = scores.reindex(pd.Index(shown["supplier_id"], dtype="int64"))
    shown.insert(shown.columns.get_loc("open_lines"), "previous_score", grid[end - 1].to_numpy())
    shown.insert(
        shown.columns.get_loc("open_lines"), "trend", sc.trend(shown["score"], shown["previous_score"])
    )
    shown.insert(shown.columns.get_loc("open_lines"), "score_history", _lists(grid).to_numpy())
    snapshot = part.snapshot
    return Ranking(
        sc.month_label(end),
        [sc.month_label(m) for m in months],
        shown.reset_index(drop=True),
        settings,
        summary=RankingSummary(
            suppliers=len(table),
            scored=int(table["score"].notna().sum()),
            open_lines=int(table["open_lines"].sum()),
            late_lines=int(table["late_lines"].sum()),
            received_lines=int(table["received_lines"].sum()),
        ),
        total=total,
        computed_at=snapshot.computed_at if snapshot is not None else None,
        snapshot_as_of=snapshot.as_of if snapshot is not None else None,
        stale_suppliers=part.stale_suppliers,
    )


#: Columns of the ranking's download: the whole ranking, one row per supplier, best first.
RANKING_EXPORT_COLUMNS = [
    "rank",
    "supplier_code",
    "supplier_name",
    "lines",
    *sc.METRICS,
    "score",
    "grade",
    "previous_score",
    "trend",
    "open_lines",
    "late_lines",
    "received_lines",
]


def ranking_export(ranking: Ranking) -> pd.DataFrame:
    """A ranking's rows as its download holds them (rates as fractions 0-1, as the scorecard export)."""
    out = ranking.table.rename(columns={"code": "supplier_code", "name": "supplier_name"})
    return out[RANKING_EXPORT_COLUMNS].reset_index(drop=True)


def _ranked(suppliers: pd.DataFrame, part: _Part) -> pd.DataFrame:
    """Every supplier with its numbers and line counts, best first (score, then lines, then code: a
    total order), ``rank`` numbering the scored ones."""
    table = suppliers.set_index("supplier_id").join(_drop_totals(part.current))
    table = table.join(part.counts.reindex(table.index, fill_value=0))
    table = table.reset_index().sort_values(
        ["score", "lines", "code"], ascending=[False, False, True], na_position="last", kind="stable"
    )
    table.insert(0, "rank", np.where(table["score"].notna(), np.arange(1, len(table) + 1), np.nan))
    table["rank"] = table["rank"].astype("Int64")
    return table.reset_index(drop=True)


def _searched(session: Session, table: pd.DataFrame, search: str) -> pd.DataFrame:
    """The suppliers whose code or name holds ``search`` (:func:`supplier_search`); all when it is blank."""
    condition = supplier_search(search)
    if condition is None:
        return table
    return table[table["supplier_id"].isin(session.scalars(select(Supplier.id).where(condition)).all())]


@dataclass(frozen=True)
class _Part:
    """The ranking's numbers before they are put in order: each supplier's rolling-12 row of the end
    month (index supplier_id), its scores at the end of each month of the window (columns: the
    months; the suppliers whose history is stored in rank rows may be left out: ``history_of``), its
    line counts, and where they came from."""

    current: pd.DataFrame
    scores: pd.DataFrame
    counts: pd.DataFrame
    snapshot: ScorecardSnapshot | None
    stale_suppliers: int
    #: The snapshot whose rank rows hold the score history of the suppliers ``scores`` leaves out.
    history_of: int | None = None


def _from_rank_rows(
    session: Session,
    snapshot: ScorecardSnapshot,
    ids: list[int],
    months: list[int],
    today: dt.date,
    settings: Settings,
) -> _Part:
    """The ranking of the snapshot's rank month from its stored rank rows (one per supplier), with the
    suppliers written to since computed live (:data:`LIVE_LINE_BUDGET`; over it, shown as stored)
    and patched in: the numbers :func:`current_totals` and :func:`line_counts` give, without summing
    every supplier-month or counting every line. The stored suppliers' score history is left to
    :func:`_stored_scores`, for the rows shown."""
    changed = sorted(changed_suppliers(session, snapshot.watermarks or {}))
    live = changed if lines_per_supplier(session, changed).sum() <= LIVE_LINE_BUDGET else []
    stored = stored_rank_rows(session, snapshot.id, with_history=False)
    stored["supplier_id"] = stored["supplier_id"].astype("int64")
    stored = stored[~stored["supplier_id"].isin(live)].set_index("supplier_id")
    # A supplier with neither (added since, without a line yet): nothing to count, as live.
    known = stored.index.union(pd.Index(live, dtype="int64"))
    rest = pd.Index(sorted(set(ids) - set(known)), dtype="int64", name="supplier_id")
    totals = stored[[*sc.TOTALS, "lines"]].astype("float64")
    totals["lines"] = stored["lines"].astype("int64")
    totals = pd.concat([totals, pd.DataFrame(0.0, index=rest, columns=totals.columns)])
    totals["lines"] = totals["lines"].astype("int64")
    totals.index.name = "supplier_id"
    current = sc.window_summaries(totals, settings).set_index("supplier_id")
    scores = pd.DataFrame(np.nan, index=rest, columns=months)
    if snapshot.counts_sweep_run == sweep_mark(session):
        kept = stored[~stored.index.isin(changed)]
        counts = kept[[f"count_{c}" for c in COUNT_COLUMNS]].set_axis(list(COUNT_COLUMNS), axis=1)
        if changed:
            counts = pd.concat([counts, line_counts(session, months, changed)])
    else:  # a sweep since may have moved any line's forecast: every supplier counted now
        counts = line_counts(session, months)
    if live:
        fresh = current_totals(session, live, months, today, settings)
        history = sc.rolling_from_totals(fresh.monthly, fresh.lines, settings, months, live)
        now = history[history["end_month"] == months[-1]].set_index("supplier_id")
        current = pd.concat([current, now.drop(columns=["end_month"])])
        scores = pd.concat([scores, _score_grid(history, months)])
    return _Part(
        current, scores, counts.astype("int64"), snapshot, len(changed) - len(live), history_of=snapshot.id
    )


def _stored_scores(
    session: Session, snapshot_id: int, supplier_ids: list[int], months: list[int], settings: Settings
) -> pd.DataFrame:
    """Per supplier (index) its score at the end of each of ``months`` (columns), from the score inputs
    its stored rank row keeps (read for these suppliers only)."""
    stored = stored_rank_history(session, snapshot_id, supplier_ids)
    inputs = {
        key: np.array([h[key] for h in stored["history"]], dtype="float64").reshape(len(stored), len(months))
        for key in sc.RANK_HISTORY
    }
    index = pd.Index(stored["supplier_id"].astype("int64"), name="supplier_id")
    return pd.DataFrame(sc.history_scores(inputs, settings), index=index, columns=months)


def _score_grid(history: pd.DataFrame, months: list[int]) -> pd.DataFrame:
    """Per supplier (index) the rolling-12 score at the end of each of ``months`` (columns)."""
    return history.pivot(index="supplier_id", columns="end_month", values="score").reindex(columns=months)


def _lists(grid: pd.DataFrame) -> pd.Series:
    """Each row of ``grid`` as a list in column order (None where unknown)."""
    values = grid.to_numpy(dtype="float64")
    return pd.Series(
        [[None if np.isnan(v) else float(v) for v in row] for row in values], index=grid.index, dtype=object
    )


# ----------------------------------------------------------------------------- one supplier


@dataclass(frozen=True)
class SupplierScorecard:
    """One supplier's rolling-12 scorecard, its months and its trend (the rows behind a number: see
    :func:`scorecard_lines`, read only when someone opens them)."""

    supplier_id: int
    code: str
    name: str
    end_month: str
    months: list[str]  # the 12 months of the rolling window, oldest first
    summary: dict[str, Any]  # the rolling-12 numbers (and the counts they come from)
    previous: dict[str, Any]  # the rolling 12 ending the month before
    monthly: pd.DataFrame  # one row per month of the window
    trend: pd.DataFrame  # the rolling-12 score and rates at the end of each month of the window
    settings: Settings = field(default_factory=Settings)


#: Line details joined to every drill-down row.
_LINE_DETAIL = ["line_id", "label", "sku", "quantity", "status"]


def _with_lines(rows: pd.DataFrame, lines: pd.DataFrame) -> pd.DataFrame:
    if rows.empty:
        return pd.DataFrame(columns=[*_LINE_DETAIL, *[c for c in rows.columns if c not in _LINE_DETAIL]])
    detail = lines[_LINE_DETAIL].rename(columns={"quantity": "ordered"})
    out = rows.merge(detail, on="line_id", how="left")
    first = ["period", "label", "sku"] if "period" in out.columns else ["label", "sku"]
    rest = [c for c in out.columns if c not in (*first, "supplier_id", "month")]
    return out[[*first, *rest]]


@service(*ALL_ROLES, writes=False)
def supplier_scorecard(
    db: Database,
    actor: Actor,
    supplier_id: int,
    end_month: str | None = None,
    *,
    today: dt.date | None = None,
) -> SupplierScorecard:
    """One supplier's scorecard; a supplier user may read only its own supplier's."""
    loaded, end = _one_supplier(db, actor, supplier_id, end_month, today)
    supplier = loaded.suppliers.iloc[0]
    months = _window_months(end)
    sid = int(supplier_id)
    history = sc.rolling(loaded.events, loaded.settings, months, [sid])
    monthly = sc.by_month(loaded.events, loaded.settings, months[0], months[-1], [sid])
    trend = history.copy()
    trend["period"] = [sc.month_label(m) for m in trend["end_month"]]
    return SupplierScorecard(
        supplier_id=sid,
        code=str(supplier["code"]),
        name=str(supplier["name"]),
        end_month=sc.month_label(end),
        months=[sc.month_label(m) for m in months],
        summary=history[history["end_month"] == end].iloc[0].to_dict(),
        previous=history[history["end_month"] == end - 1].iloc[0].to_dict(),
        monthly=monthly.drop(columns=["supplier_id"]).reset_index(drop=True),
        trend=trend.drop(columns=["supplier_id"]).reset_index(drop=True),
        settings=loaded.settings,
    )


def _one_supplier(
    db: Database, actor: Actor, supplier_id: int, end_month: str | None, today: dt.date | None
) -> tuple[Loaded, int]:
    """One supplier's inputs and events (a supplier user: only its own), and the window's end month."""
    require_supplier_access(actor, int(supplier_id), "This scorecard")
    today = today or dt.date.today()
    with db.read() as session:
        loaded = load_scorecard_data(session, [int(supplier_id)], today)
    if loaded.suppliers.empty:
        raise NotFound(f"No supplier with id {supplier_id}.")
    return loaded, _end_month(loaded, end_month, today)


#: The numbers of a scorecard that have rows behind them (the score has its breakdown instead).
LISTED_NUMBERS: tuple[str, ...] = ("lines", *sc.DRILL_SOURCES)


@service(*ALL_ROLES, writes=False)
def scorecard_lines(
    db: Database,
    actor: Actor,
    supplier_id: int,
    number: str,
    end_month: str | None = None,
    month: str | None = None,
    *,
    today: dt.date | None = None,
) -> pd.DataFrame:
    """The rows behind one number of a supplier's scorecard (a supplier user: its own), with the lines'
    PO number/line, SKU, ordered quantity and status: over the 12 months ending ``end_month``, or over
    one ``month`` of them. Read when someone opens them, not with the scorecard."""
    if number not in LISTED_NUMBERS:
        raise ValidationError(f"Unknown scorecard number '{number}'.")
    loaded, end = _one_supplier(db, actor, supplier_id, end_month, today)
    months = _window_months(end)
    first, last = months[0], months[-1]
    if month is not None:
        first = last = sc.parse_month(month)
        if not months[0] <= first <= months[-1]:
            raise ValidationError(f"{month} is not one of the 12 months ending {sc.month_label(end)}.")
    rows = sc.drill_down(loaded.events, number, int(supplier_id), first, last)
    return _with_lines(rows, loaded.lines).reset_index(drop=True)


# ----------------------------------------------------------------------------- comparison


@dataclass(frozen=True)
class Comparison:
    """2-4 suppliers' rolling-12 scorecards side by side, and their monthly rolling scores."""

    end_month: str
    months: list[str]
    summary: pd.DataFrame  # one row per supplier, in the order asked
    trend: pd.DataFrame  # supplier code, period, score and rates at the end of each month


@service(*STAFF, writes=False)
def compare_suppliers(
    db: Database,
    actor: Actor,
    supplier_ids: Collection[int],
    end_month: str | None = None,
    *,
    today: dt.date | None = None,
) -> Comparison:
    """The scorecards of 2 to 4 suppliers side by side."""
    ids = list(dict.fromkeys(int(s) for s in supplier_ids))
    if not COMPARE_MIN <= len(ids) <= COMPARE_MAX:
        raise ValidationError(f"Pick {COMPARE_MIN} to {COMPARE_MAX} different suppliers to compare.")
    today = today or dt.date.today()
    with db.read() as session:
        settings = load_settings(session)
        names = read_dated_frame(
            session,
            select(Supplier.id, Supplier.code, Supplier.name).where(Supplier.id.in_(ids)),
            ["supplier_id", "code", "name"],
        ).set_index("supplier_id")
        missing = sorted(set(ids) - set(names.index))
        if missing:
            raise NotFound(f"No supplier with id {', '.join(map(str, missing))}.")
        end = sc.parse_month(end_month) if end_month else month_choices(session, None, today)[1]
        months = _window_months(end)
        # The ranking's own totals: the same numbers for the same supplier and period.
        totals = current_totals(session, ids, months, today, settings)
    history = sc.rolling_from_totals(totals.monthly, totals.lines, settings, months, ids)
    current = history[history["end_month"] == end].set_index("supplier_id").reindex(ids)
    previous = history[history["end_month"] == end - 1].set_index("supplier_id")["score"].reindex(ids)
    summary = current.drop(columns=["end_month"])
    summary.insert(0, "code", names["code"].reindex(ids).to_numpy())
    summary.insert(1, "name", names["name"].reindex(ids).to_numpy())
    summary["trend"] = sc.trend(summary["score"], previous)
    trend = history.copy()
    trend["period"] = [sc.month_label(m) for m in trend["end_month"]]
    trend["code"] = names["code"].reindex(trend["supplier_id"]).to_numpy()
    return Comparison(
        sc.month_label(end),
        [sc.month_label(m) for m in months],
        summary.reset_index(),
        _drop_totals(trend).reset_index(drop=True),
    )


# ----------------------------------------------------------------------------- periods


@service(*ALL_ROLES, writes=False)
def scorecard_months(db: Database, actor: Actor, *, today: dt.date | None = None) -> tuple[list[str], str]:
    """The months a scorecard can end with (newest first, from the first month with data) and the default."""
    today = today or dt.date.today()
    with db.read() as session:
        first, default, current = month_choices(
            session, actor.supplier_id if actor.is_supplier else None, today
        )
    choices = [sc.month_label(m) for m in range(current, first - 1, -1)]
    return choices, sc.month_label(default)


# ----------------------------------------------------------------------------- export


def scorecard_export(
    session: Session, actor: Actor, period: str | None = None, *, today: dt.date | None = None
) -> pd.DataFrame:
    """One row per supplier (a supplier user: its own) for a month, or the rolling 12 ending this month."""
    # Rates stay fractions 0-1 and missing numbers stay empty, as DOMAIN.md's export asks.
    today = today or dt.date.today()
    month = sc.parse_month(period) if period else None
    scope = None
    if actor.is_supplier:
        assert actor.supplier_id is not None, "a supplier user belongs to a supplier"
        scope = [actor.supplier_id]
    loaded = load_scorecard_data(session, scope, today)
    ids = loaded.suppliers["supplier_id"].tolist()
    if month is None:
        first, last = sc.rolling_window(sc.month_of(today))
        rows = sc.summarize(loaded.events, loaded.settings, first, last, ids, period=sc.ROLLING_LABEL)
    else:
        rows = sc.summarize(loaded.events, loaded.settings, month, month, ids, period=sc.month_label(month))
    rows["supplier_code"] = (
        loaded.suppliers.set_index("supplier_id")["code"].reindex(rows["supplier_id"]).to_numpy()
    )
    out = rows.sort_values("supplier_code", kind="stable")[EXPORT_COLUMNS].reset_index(drop=True)
    for col in ("otd", "otif", "schedule_adherence", "promise_reliability", "quality", "responsiveness"):
        out[col] = out[col].round(4)
    out["avg_days_late"] = out["avg_days_late"].round(1)
    out["lines"] = out["lines"].astype("int64")
    out["grade"] = out["grade"].astype(object).where(out["grade"].notna(), None)
    return out
