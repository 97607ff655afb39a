"""Storing the scorecard snapshot the ranking reads (``portal scorecards refresh``, nightly).

The ranking of every supplier needs every receipt and production report; computing that on
each page view takes seconds at a thousand suppliers. The snapshot stores the monthly totals
(``portal.core.scorecard.totals_snapshot``) once, and the ranking sums twelve months of them.
Suppliers written to since (above the snapshot's watermarks) are computed live by every view
(``portal.queries.scorecards.current_totals``), so the stored totals never show a stale number;
when there are more of them than a page view can afford, the ranking shows their stored totals and
says as of when. ``changed_only`` refreshes store those suppliers again (the scheduler does it after
every sweep), so within a day the live part stays small.

Summing 12 months of 10,000 suppliers for 12 window ends and counting a million lines still took
seconds (scale XL), so a refresh also stores the ranking itself for its default end month: one
rank row per supplier (:func:`rank_rows`: the end window's totals, the score inputs of the 12
windows its history shows, the line counts), which the ranking of that month reads, computing
only the suppliers written to since. A changed-only refresh stores their rank rows again, and
after a sweep pass (which may move any line's forecast, so the late lines) everyone's counts.

A supplier's totals depend on its own lines, receipts, schedules, reports and calendar only, so a
refresh reads the suppliers in chunks of about :data:`REFRESH_CHUNK_LINES` PO lines: its memory
follows the chunk, not the world (15 GiB at scale XL in one piece).
"""

from __future__ import annotations

import datetime as dt
import json
import time
from collections.abc import Collection, Iterator, Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd
from sqlalchemy import Table, bindparam, delete, select, update
from sqlalchemy.orm import Session

from db.bulk import bulk_insert
from db.engine import Database
from db.frames import read_frame
from db.models import ScorecardRankRow, ScorecardSnapshot, ScorecardTotal, Supplier, utcnow
from portal.core import scorecard as sc
from portal.core.batching import id_chunks
from portal.core.domain import Role
from portal.core.settings import Settings
from portal.queries.scorecard_data import (
    COUNT_COLUMNS,
    changed_suppliers,
    latest_snapshot,
    line_counts,
    lines_per_supplier,
    load_scorecard_data,
    month_choices,
    snapshot_is_current,
    sweep_mark,
    watermarks,
)
from portal.services import audit
from portal.services.access import Actor, service
from portal.services.settings import load_settings

#: A refresh computes the suppliers of about this many PO lines at a time (whole suppliers). At scale L
#: (250,000 lines, one supplier of 51,698) one piece took 30.0 s of CPU and peaked at 1,652 MiB,
#: chunks of 200,000 lines 29.5 s / 1,357 MiB, of 50,000 lines 23.5 s / 733 MiB.
REFRESH_CHUNK_LINES = 50_000


@dataclass(frozen=True)
class SnapshotInfo:
    """What a refresh stored."""

    snapshot_id: int
    as_of: dt.date
    suppliers: int  # suppliers with stored totals (a changed-only refresh: those stored again)
    rows: int  # supplier-months stored
    seconds: float
    #: Whether only the suppliers written to since the last refresh were stored again.
    changed_only: bool = False


def supplier_chunks(lines: pd.Series, chunk_lines: int = REFRESH_CHUNK_LINES) -> Iterator[list[int]]:
    """Supplier ids (``lines``: PO lines per supplier) in consecutive groups of about ``chunk_lines``
    lines each; a supplier with more lines than that is a group of its own."""
    group: list[int] = []
    size = 0
    for supplier_id, count in lines.items():
        if group and size + int(count) > chunk_lines:
            yield group
            group, size = [], 0
        group.append(int(supplier_id))
        size += int(count)
    if group:
        yield group


def _totals(
    session: Session, supplier_ids: Sequence[int] | None, today: dt.date, chunk_lines: int
) -> pd.DataFrame:
    """The monthly totals of these suppliers (None: every supplier with a line), chunk by chunk."""
    lines = lines_per_supplier(session, supplier_ids)
    parts = [
        sc.totals_snapshot(load_scorecard_data(session, chunk, today).events)
        for chunk in supplier_chunks(lines, chunk_lines)
    ]
    columns = ["supplier_id", "month", *sc.TOTALS, "window_lines"]
    parts = [p for p in parts if len(p)]
    if not parts:
        return pd.DataFrame({c: pd.Series(dtype="float64") for c in columns})
    frame = pd.concat(parts, ignore_index=True)[columns]
    for col in ("supplier_id", "month", "window_lines"):
        frame[col] = frame[col].astype("int64")
    return frame


def window_months(end: int) -> list[int]:
    """The 12 months of the rolling window ending ``end``, oldest first (each one a window end of the
    ranking's score history)."""
    first, last = sc.rolling_window(end)
    return list(range(first, last + 1))


def rank_rows(
    rows: pd.DataFrame,
    supplier_ids: Collection[int],
    end: int,
    settings: Settings,
    counts: pd.DataFrame,
) -> pd.DataFrame:
    """The ranking's stored row of each supplier for the window ending ``end`` (``scorecard_rank_rows``
    columns but the snapshot's): from their monthly totals ``rows`` (:func:`_totals`' frame, every
    month) and their line counts (:func:`line_counts`, index supplier_id)."""
    ids = sorted({int(s) for s in supplier_ids})
    if not ids:
        return pd.DataFrame(columns=["supplier_id", *sc.TOTALS, "lines", "history"])
    months = window_months(end)
    monthly = rows.set_index(["supplier_id", "month"])[list(sc.TOTALS)]
    ends = rows[rows["month"].isin(months)]
    lines = ends.set_index(["supplier_id", "month"])["window_lines"].rename_axis(["supplier_id", "end_month"])
    history = sc.rolling_from_totals(monthly, lines, settings, months, ids)
    now = history[history["end_month"] == end].set_index("supplier_id").reindex(ids)
    out = now[list(sc.TOTALS)].astype("float64").reset_index()
    out["lines"] = now["lines"].fillna(0).astype("int64").to_numpy()
    grids = {
        key: history.pivot(index="supplier_id", columns="end_month", values=key)
        .reindex(index=ids, columns=months)
        .to_numpy(dtype="float64")
        for key in sc.RANK_HISTORY
    }
    out["history"] = [
        json.dumps(
            {
                key: [None if np.isnan(v) else (int(v) if key == "lines" else float(v)) for v in grid[i]]
                for key, grid in grids.items()
            },
            separators=(",", ":"),
        )
        for i in range(len(ids))
    ]
    shown = counts.reindex(ids, fill_value=0)
    for column in COUNT_COLUMNS:
        out[f"count_{column}"] = shown[column].astype("int64").to_numpy()
    return out


@service(Role.MANAGER, Role.ADMIN)
def refresh_scorecards(
    db: Database,
    actor: Actor,
    *,
    today: dt.date | None = None,
    changed_only: bool = False,
    chunk_lines: int = REFRESH_CHUNK_LINES,
) -> SnapshotInfo:
    """Compute every supplier's monthly scorecard totals and store them as the only snapshot.

    ``changed_only``: when the stored snapshot counts up to today with today's settings, compute
    and store again only the suppliers written to since it (none: nothing is written); otherwise
    everyone, as without it.
    """
    started = time.perf_counter()
    today = today or dt.date.today()
    with db.read() as session:
        settings = load_settings(session)
        # Taken before reading: a row written meanwhile is above them, so its supplier reads live;
        # a sweep pass meanwhile is above the sweep mark, so the late lines are counted again.
        marks = watermarks(session)
        sweep = sweep_mark(session)
        snapshot = latest_snapshot(session)
        if changed_only and snapshot is not None and snapshot_is_current(snapshot, settings, today):
            old_marks = dict(snapshot.watermarks or {})
            changed = sorted(changed_suppliers(session, old_marks))
            end = snapshot.rank_end_month
            recount = end is not None and snapshot.counts_sweep_run != sweep
            if not changed and not recount:
                return SnapshotInfo(
                    snapshot.id, today, 0, 0, time.perf_counter() - started, changed_only=True
                )
            rows = _totals(session, changed, today, chunk_lines)
            ranked: pd.DataFrame | None = None
            counts: pd.DataFrame | None = None
            if end is not None:
                # After a sweep every supplier's counts again (its forecasts may have moved any line).
                counts = line_counts(session, window_months(end), None if recount else changed)
                ranked = rank_rows(rows, changed, end, settings, counts)
            partial = _Partial(snapshot.id, old_marks, changed, ranked, counts if recount else None, sweep)
        else:
            rows = _totals(session, None, today, chunk_lines)
            rank_end = month_choices(session, None, today)[1]
            ids = list(session.scalars(select(Supplier.id)))
            everyone = rank_rows(rows, ids, rank_end, settings, line_counts(session, window_months(rank_end)))
            partial = None
    if partial is not None:
        if _store_changed(db, actor, partial, rows, marks, today):
            return SnapshotInfo(
                partial.snapshot_id,
                today,
                len(partial.changed),
                len(rows),
                time.perf_counter() - started,
                changed_only=True,
            )
        # Another refresh stored the snapshot meanwhile (what was read may be older than it): once
        # more from what it stored.
        return refresh_scorecards(db, actor, today=today, changed_only=True, chunk_lines=chunk_lines)
    snapshot_id = _store_all(db, actor, rows, everyone, rank_end, sweep, marks, settings, today)
    return SnapshotInfo(
        snapshot_id=snapshot_id,
        as_of=today,
        suppliers=int(rows["supplier_id"].nunique()) if len(rows) else 0,
        rows=len(rows),
        seconds=time.perf_counter() - started,
    )


@dataclass(frozen=True)
class _Partial:
    """What a changed-only refresh read: the snapshot it updates and the rows to store in it."""

    snapshot_id: int
    old_marks: dict[str, int]
    changed: list[int]
    ranked: pd.DataFrame | None  # the changed suppliers' rank rows (None: the snapshot has none)
    counts: pd.DataFrame | None  # every supplier's line counts, after a sweep (else None)
    sweep: int


def _store_all(
    db: Database,
    actor: Actor,
    rows: pd.DataFrame,
    ranked: pd.DataFrame,
    end: int,
    sweep: int,
    marks: dict[str, int],
    settings: Settings,
    today: dt.date,
) -> int:
    with db.write() as session:
        session.execute(delete(ScorecardSnapshot))  # its totals go with it (ON DELETE CASCADE)
        snapshot = ScorecardSnapshot(
            as_of=today,
            computed_by=actor.username,
            on_time_tolerance_days=settings.on_time_tolerance_days,
            in_full_threshold=settings.in_full_threshold,
            watermarks=marks,
            rank_end_month=end,
            counts_sweep_run=sweep,
        )
        session.add(snapshot)
        session.flush()
        bulk_insert(session, "scorecard_totals", rows.assign(snapshot_id=snapshot.id))
        bulk_insert(session, "scorecard_rank_rows", ranked.assign(snapshot_id=snapshot.id))
        audit.record(
            session,
            actor,
            "scorecards.refreshed",
            "scorecard_snapshot",
            snapshot.id,
            after={"as_of": today.isoformat(), "rows": len(rows)},
        )
        snapshot_id = snapshot.id
        session.commit()
    return snapshot_id


def _store_changed(
    db: Database,
    actor: Actor,
    partial: _Partial,
    rows: pd.DataFrame,
    marks: dict[str, int],
    today: dt.date,
) -> bool:
    """Replace the changed suppliers' totals and rank rows in the snapshot (after a sweep, everyone's
    line counts too) and raise its watermarks to ``marks``; False, storing nothing, when another
    refresh stored it since its ``old_marks`` were read."""
    snapshot_id, changed = partial.snapshot_id, partial.changed
    with db.write() as session:
        # Locked (PostgreSQL; SQLite writes one at a time): a concurrent refresh waits, and one that
        # replaced the snapshot first leaves nothing to update.
        snapshot = session.scalar(
            select(ScorecardSnapshot).where(ScorecardSnapshot.id == snapshot_id).with_for_update()
        )
        if (
            snapshot is None
            or snapshot.as_of != today
            or dict(snapshot.watermarks or {}) != partial.old_marks
        ):
            return False
        snapshot.watermarks = marks
        snapshot.computed_at = utcnow()
        snapshot.computed_by = actor.username
        for chunk in id_chunks(changed):
            session.execute(
                delete(ScorecardTotal).where(
                    ScorecardTotal.snapshot_id == snapshot_id, ScorecardTotal.supplier_id.in_(chunk)
                )
            )
            session.execute(
                delete(ScorecardRankRow).where(
                    ScorecardRankRow.snapshot_id == snapshot_id, ScorecardRankRow.supplier_id.in_(chunk)
                )
            )
        bulk_insert(session, "scorecard_totals", rows.assign(snapshot_id=snapshot_id))
        if partial.ranked is not None:
            bulk_insert(session, "scorecard_rank_rows", partial.ranked.assign(snapshot_id=snapshot_id))
        if partial.counts is not None:
            _store_counts(session, snapshot_id, partial.counts, skip=set(changed))
            snapshot.counts_sweep_run = partial.sweep
        audit.record(
            session,
            actor,
            "scorecards.refreshed",
            "scorecard_snapshot",
            snapshot_id,
            after={
                "as_of": today.isoformat(),
                "rows": len(rows),
                "suppliers": len(changed),
                "changed_only": True,
            },
        )
        session.commit()
    return True


def _store_counts(session: Session, snapshot_id: int, counts: pd.DataFrame, skip: set[int]) -> None:
    """Write every supplier's line counts (``counts``, index supplier_id; none: 0) into its stored
    rank row but those of ``skip`` (stored again whole): the rows whose counts moved, only (a sweep
    moves the late lines of a few suppliers, not of 10,000)."""
    names = [f"count_{c}" for c in COUNT_COLUMNS]
    stored = read_frame(
        session,
        select(ScorecardRankRow.supplier_id, *(getattr(ScorecardRankRow, n) for n in names)).where(
            ScorecardRankRow.snapshot_id == snapshot_id
        ),
        ["supplier_id", *COUNT_COLUMNS],
    )
    stored = stored.astype("int64").set_index("supplier_id")
    stored = stored[~stored.index.isin(list(skip))]
    now = counts.reindex(stored.index, fill_value=0)[list(COUNT_COLUMNS)].astype("int64")
    moved = now[(now != stored).any(axis=1)]
    if moved.empty:
        return
    table = ScorecardRankRow.__table__
    assert isinstance(table, Table)
    stmt = (
        update(table)
        .where(table.c.snapshot_id == snapshot_id, table.c.supplier_id == bindparam("b_supplier"))
        .values({f"count_{c}": bindparam(f"b_{c}") for c in COUNT_COLUMNS})
    )
    values = {c: moved[c].tolist() for c in COUNT_COLUMNS}
    params = [
        {"b_supplier": int(sid), **{f"b_{c}": int(values[c][i]) for c in COUNT_COLUMNS}}
        for i, sid in enumerate(moved.index)
    ]
    session.connection().execute(stmt, params)
