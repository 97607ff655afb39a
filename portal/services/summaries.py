"""Per-line production summaries in the database: kept with every report, read by the forecast.

* :func:`refresh_after_reports` runs in the transaction of every report write
  (:func:`portal.services.imports.write_reports`, which the form, grid, upload, API and imports
  all go through): a day after the line's last one is appended, anything else (a correction, an
  earlier day, a changed quantity or span) folds that line again from its own reports.
* :func:`rebuild_summaries` folds every line again in bulk (``python -m portal summaries rebuild``,
  the bulk loaders, the migration that added the table).
* :func:`report_stats_for` gives the forecast its per-line statistics from the summaries, falling
  back to the reports only for lines a summary cannot answer (reports after a past as-of date, a
  changed quantity or span), and with ``verify`` checks every summary against the reports first.

The suppliers' daily totals, kept in the same transactions, are :mod:`portal.services.daily_outputs`.
"""

from __future__ import annotations

import datetime as dt
import time
from collections.abc import Collection, Mapping
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

import pandas as pd
from sqlalchemy import delete, select
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import Session

from db.bulk import bulk_insert
from db.engine import Database, core_connection
from db.frames import read_frame_for_ids
from db.models import LineProductionSummary, PoLine, ProductionReport, utcnow
from portal.core import summaries as core
from portal.core.batching import id_chunks
from portal.core.calendar import to_date
from portal.core.domain import Role
from portal.core.settings import Settings
from portal.services import audit
from portal.services.access import Actor, service
from portal.services.daily_outputs import rebuild_daily_outputs, verify_daily_outputs

_S = LineProductionSummary
# The stored columns in SUMMARY_COLUMNS' order (the order of core.LineSummary's fields after line_id).
_STORED = [_S.po_line_id, *(getattr(_S, c) for c in core.SUMMARY_COLUMNS[1:])]
_DATES = core.DATE_COLUMNS


def load_summaries(session: Session, line_ids: Collection[int] | None = None) -> pd.DataFrame:
    """Stored summaries (all, or of these lines) as SUMMARY_COLUMNS, dates as datetime64."""
    frame = read_frame_for_ids(session, select(*_STORED), _S.po_line_id, line_ids, list(core.SUMMARY_COLUMNS))
    for col in _DATES:
        frame[col] = pd.to_datetime(frame[col])
    return frame


def _quantities(session: Session, line_ids: Collection[int] | None, *, lock: bool = False) -> pd.Series:
    stmt = select(PoLine.id, PoLine.quantity)
    if lock:
        # Summaries are read, changed and written back: writers of one line queue here (PostgreSQL).
        stmt = stmt.order_by(PoLine.id).with_for_update(key_share=True)
    frame = read_frame_for_ids(session, stmt, PoLine.id, line_ids, ["line_id", "quantity"])
    return pd.Series(
        frame["quantity"].to_numpy(dtype="int64"), index=frame["line_id"].to_numpy(dtype="int64")
    ).sort_index()


def current_reports(
    session: Session, line_ids: Collection[int] | None, as_of: dt.date | None = None
) -> pd.DataFrame:
    """Current reports (one per line and day) of these lines (all when None), dated up to ``as_of``."""
    stmt = select(
        ProductionReport.po_line_id,
        ProductionReport.report_date,
        ProductionReport.good_qty,
        ProductionReport.rejected_qty,
    ).where(ProductionReport.is_current)
    if as_of is not None:
        stmt = stmt.where(ProductionReport.report_date <= as_of)
    cols = ["line_id", "report_date", "good_qty", "rejected_qty"]
    return read_frame_for_ids(session, stmt, ProductionReport.po_line_id, line_ids, cols)


def summaries_from_reports(
    session: Session,
    line_ids: Collection[int] | None,
    span: int,
    as_of: dt.date | None = None,
    quantities: pd.Series | None = None,
) -> pd.DataFrame:
    """Summaries folded from the current reports (dated on or before ``as_of`` when given)."""
    if quantities is None:
        quantities = _quantities(session, line_ids)
    reports = current_reports(session, None if line_ids is None else list(quantities.index), as_of)
    return core.summarize_frame(reports, quantities, span)


def store_summaries(session: Session, summaries: pd.DataFrame, replace: Collection[int] | None) -> None:
    """Replace the stored summaries of ``replace`` (every line when None) with ``summaries``.

    Only lines with reports get a row: no row means nothing reported.
    """
    if replace is None:
        session.execute(delete(_S))
    else:
        for chunk in id_chunks(replace):
            session.execute(delete(_S).where(_S.po_line_id.in_(chunk)))
    rows = summaries[summaries["reported_days"] > 0]
    if rows.empty:
        return
    frame = rows.rename(columns={"line_id": "po_line_id"}).copy()
    for col in _DATES:
        values = pd.to_datetime(frame[col])
        frame[col] = pd.Series(
            [None if pd.isna(v) else v.date() for v in values], index=frame.index, dtype=object
        )
    for col in ("po_line_id", *core.INTEGER_COLUMNS):
        frame[col] = frame[col].astype("int64")
    frame["updated_at"] = utcnow()
    bulk_insert(session, _S.__tablename__, frame)


def rebuild_summaries(
    session: Session, line_ids: Collection[int] | None = None, span: int | None = None
) -> int:
    """Fold these lines' summaries (all when None) again from their reports; returns lines with reports."""
    if span is None:
        from portal.services.settings import load_settings

        span = load_settings(session).forecast_ewm_span
    summaries = summaries_from_reports(session, line_ids, span)
    store_summaries(session, summaries, None if line_ids is None else list(summaries["line_id"]))
    return int((summaries["reported_days"] > 0).sum())


def refresh_after_reports(session: Session, posted: pd.DataFrame, span: int) -> None:
    """Bring the summaries of the lines in ``posted`` up to date, in the caller's transaction.

    ``posted``: line_id, report_date (date), good_qty, rejected_qty, corrected (bool), after the
    reports are written. A line whose new days all come after its last reported day, uncorrected,
    is appended day by day; any other is folded again from its current reports. Plain rows and
    Python here, no frames: a post touches one or a few lines.
    """
    if posted.empty:
        return
    by_line: Posted = {}
    for line_id, day, good, rejected, corrected in zip(
        posted["line_id"],
        posted["report_date"],
        posted["good_qty"],
        posted["rejected_qty"],
        posted["corrected"],
        strict=True,
    ):
        rejected = 0 if rejected is None or pd.isna(rejected) else int(rejected)
        report_date = to_date(day)
        assert report_date is not None, "a posted report has a date"
        by_line.setdefault(int(line_id), []).append((report_date, int(good), rejected, bool(corrected)))
    refresh_lines(session, by_line, span)


#: Up to this many lines to fold again (corrections) are folded in plain Python, more in bulk.
FOLD_IN_PYTHON = 8

#: Per line, the reports just written: (day, good, rejected, whether it corrected a day on record).
Posted = dict[int, list[tuple[dt.date, int, int, bool]]]


def refresh_lines(
    session: Session,
    by_line: Posted,
    span: int,
    *,
    known: Mapping[int, tuple[int, core.LineSummary | None]] | None = None,
) -> dict[int, core.LineSummary]:
    """:func:`refresh_after_reports` from plain values (a single post builds no frame).

    ``known``: per line, its quantity and stored summary, already read by the caller with the
    line's row locked (a post). Returns the summaries computed here in plain Python (lines folded
    in bulk are not in it)."""
    line_ids = sorted(by_line)
    quantities: dict[int, int] = {}
    stored: dict[int, core.LineSummary] = {}
    if known is not None and set(line_ids) <= set(known):
        for line_id in line_ids:
            quantity, summary = known[line_id]
            quantities[line_id] = int(quantity)
            if summary is not None:
                stored[line_id] = summary
        line_ids_to_read: list[int] = []
    else:
        line_ids_to_read = line_ids
    for chunk in id_chunks(line_ids_to_read):
        # Summaries are read, changed and written back: writers of one line queue here (PostgreSQL).
        locked = session.execute(
            select(PoLine.id, PoLine.quantity)
            .where(PoLine.id.in_(chunk))
            .order_by(PoLine.id)
            .with_for_update(key_share=True)
        ).all()
        quantities.update((int(i), int(q)) for i, q in locked)
        for row in session.execute(select(*_STORED).where(_S.po_line_id.in_(chunk))).all():
            values: tuple[Any, ...] = tuple(row)  # line id, then LineSummary's fields in order
            stored[int(values[0])] = core.LineSummary(*values[1:])
    again: list[int] = []
    fresh: dict[int, core.LineSummary] = {}
    for line_id in line_ids:
        quantity = int(quantities[line_id])
        summary = stored.get(line_id) or core.LineSummary(quantity=quantity, ewm_span=span)
        ok = True
        for day, good, rejected, corrected in sorted(by_line[line_id]):
            if corrected or not summary.can_append(day, quantity, span):
                ok = False
                break
            summary = summary.append(day, good, rejected)
        if ok:
            fresh[line_id] = summary
        else:
            again.append(line_id)
    if again and len(again) <= FOLD_IN_PYTHON:
        # A correction of a few lines: their reports folded again one by one (core.summarize, the
        # recurrence the bulk fold equals), without frames.
        fresh.update(_folded(session, again, quantities, span))
        again = []
    if fresh:
        connection = core_connection(session)
        rows = [
            {**summary.as_row(line_id), "updated_at": utcnow()}
            for line_id, summary in fresh.items()
            if summary.reported_days > 0
        ]
        for record in rows:
            record["po_line_id"] = record.pop("line_id")
        nothing = sorted(i for i, summary in fresh.items() if summary.reported_days <= 0)
        if nothing:  # no row means nothing reported
            connection.execute(delete(_S).where(_S.po_line_id.in_(nothing)))
        if rows:  # one statement whether a line had a summary or not (a post's: one row)
            connection.execute(_summary_upsert(connection.dialect.name == "postgresql"), rows)
    if again:
        folded = summaries_from_reports(
            session, again, span, quantities=pd.Series({i: quantities[i] for i in again}).sort_index()
        )
        store_summaries(session, folded, again)
    return fresh


def _folded(
    session: Session, line_ids: list[int], quantities: dict[int, int], span: int
) -> dict[int, core.LineSummary]:
    """The summaries of a few lines folded again from their current reports, in plain Python."""
    reports: dict[int, list[tuple[dt.date, int, int]]] = {i: [] for i in line_ids}
    found = session.execute(
        select(
            ProductionReport.po_line_id,
            ProductionReport.report_date,
            ProductionReport.good_qty,
            ProductionReport.rejected_qty,
        ).where(ProductionReport.is_current, ProductionReport.po_line_id.in_(line_ids))
    )
    for line_id, day, good, rejected in found:
        reports[int(line_id)].append((day, int(good), int(rejected or 0)))
    return {i: core.summarize(reports[i], quantities[i], span) for i in line_ids}


@lru_cache(maxsize=2)
def _summary_upsert(postgresql: bool) -> Any:
    """INSERT ... ON CONFLICT DO UPDATE of whole summary rows (built once per dialect)."""
    table = _S.metadata.tables[_S.__tablename__]
    stmt = (pg_insert if postgresql else sqlite_insert)(table)
    return stmt.on_conflict_do_update(
        index_elements=["po_line_id"],
        set_={c.name: stmt.excluded[c.name] for c in table.columns if c.name != "po_line_id"},
    )


def verify_summaries(session: Session, span: int, line_ids: Collection[int] | None = None) -> pd.DataFrame:
    """Lines whose stored summary disagrees with their reports: line_id, label, problem (one row each)."""
    expected = summaries_from_reports(session, line_ids, span)
    stored = load_summaries(session, line_ids)
    found = core.differences(stored, expected)
    if found.empty:
        return found.assign(label=pd.Series(dtype=object))[["line_id", "label", "problem"]]
    labels = read_frame_for_ids(
        session,
        select(PoLine.id, PoLine.label),
        PoLine.id,
        found["line_id"].tolist(),
        ["line_id", "label"],
    )
    label = labels["label"].set_axis(labels["line_id"])
    found["label"] = label.reindex(found["line_id"]).to_numpy()
    return found[["line_id", "label", "problem"]]


def report_stats_for(
    session: Session,
    lines: pd.DataFrame,
    as_of: dt.date,
    settings: Settings,
    *,
    full: bool = False,
    verify: bool = False,
    bad: pd.DataFrame | None = None,
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The forecast's per-line report statistics of ``lines`` (line_id, quantity), from summaries.

    A line's summary is used when it was made for the line's quantity and the span setting and
    holds no report dated after ``as_of``; other lines are summarized from their reports dated on
    or before ``as_of``. ``full``: the lines are (nearly) all open lines, read the table whole.
    ``verify``: first compare every stored summary with its reports; a line that disagrees is
    reported (second frame: line_id, label, problem) and forecast from its reports, never from it.
    ``bad``: what a verify already found (the sweep verifies once, before the supplier statistics).
    """
    span = settings.forecast_ewm_span
    ids = lines["line_id"].to_numpy(dtype="int64")
    quantities = pd.Series(lines["quantity"].to_numpy(dtype="int64"), index=ids)
    stored = load_summaries(session, None if full else ids.tolist())
    stored = stored[stored["line_id"].isin(ids)].set_index("line_id")
    if bad is None:
        none = pd.DataFrame(columns=["line_id", "label", "problem"])
        bad = verify_summaries(session, span) if verify else none
    stored = stored[~stored.index.isin(bad["line_id"])]
    qty_now = quantities.reindex(stored.index).to_numpy()
    usable = (
        (stored["quantity"].to_numpy(dtype="int64") == qty_now)
        & (stored["ewm_span"].to_numpy(dtype="int64") == span)
        & (stored["last_report_date"] <= pd.Timestamp(as_of)).to_numpy()
    )
    # A line with no stored row has no reports, unless it is unusable, or verify found it missing.
    redo = (set(stored.index[~usable].astype(int)) | set(bad["line_id"].astype(int))) & set(ids.tolist())
    parts = [stored[usable].reset_index()]
    have = set(parts[0]["line_id"].astype(int)) | redo
    nothing = [i for i in ids.tolist() if i not in have]
    if nothing:
        empty = pd.DataFrame(columns=["line_id", "report_date", "good_qty", "rejected_qty"])
        parts.append(core.summarize_frame(empty, quantities.loc[nothing], span))
    if redo:
        ordered = sorted(redo)
        parts.append(summaries_from_reports(session, ordered, span, as_of, quantities.loc[ordered]))
    summaries = (
        pd.concat([p for p in parts if len(p)], ignore_index=True) if any(len(p) for p in parts) else parts[0]
    )
    return core.report_stats(summaries), bad


@dataclass
class RebuildResult:
    """What ``summaries rebuild`` did: lines with reports, and the lines whose summary was wrong."""

    lines: int
    repaired: pd.DataFrame
    seconds: float
    #: Supplier days whose total output was wrong (supplier_id, report_date, problem).
    repaired_days: pd.DataFrame | None = None


@service(Role.ADMIN)
def rebuild(db: Database, actor: Actor) -> RebuildResult:
    """Fold every line's production summary again from its reports; lists the lines it repaired."""
    from portal.services.planning import exclusive_planning_lock
    from portal.services.settings import load_settings

    start = time.perf_counter()
    with db.write() as session:
        # Posts append to summaries under the shared planning lock: none runs while this replaces them.
        exclusive_planning_lock(session)
        span = load_settings(session).forecast_ewm_span
        repaired = verify_summaries(session, span)
        days = verify_daily_outputs(session)
        lines = rebuild_summaries(session, span=span)
        rebuild_daily_outputs(session)
        audit.record(
            session,
            actor,
            "summaries.rebuilt",
            "line_production_summaries",
            after={"lines": lines, "repaired": len(repaired), "supplier_days_repaired": len(days)},
        )
        session.commit()
    return RebuildResult(
        lines=lines, repaired=repaired, seconds=time.perf_counter() - start, repaired_days=days
    )
