"""Storing the scorecard snapshot the ranking reads (``portal scorecards refresh``, nightly).

The ranking of every supplier needs every receipt and production report; computing that on
each page view takes seconds at a thousand suppliers. The snapshot stores the monthly totals
(``portal.core.scorecard.totals_snapshot``) once, and the ranking sums twelve months of them.
Suppliers written to since (above the snapshot's watermarks) are computed live by every view
(``portal.queries.scorecards.current_totals``), so the stored totals never show a stale number;
when there are more of them than a page view can afford, the ranking shows their stored totals and
says as of when. ``changed_only`` refreshes store those suppliers again (the scheduler does it after
every sweep), so within a day the live part stays small.

A supplier's totals depend on its own lines, receipts, schedules, reports and calendar only, so a
refresh reads the suppliers in chunks of about :data:`REFRESH_CHUNK_LINES` PO lines: its memory
follows the chunk, not the world (15 GiB at scale XL in one piece).
"""

from __future__ import annotations

import datetime as dt
import time
from collections.abc import Iterator, Sequence
from dataclasses import dataclass

import pandas as pd
from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from db.bulk import bulk_insert
from db.engine import Database
from db.models import ScorecardSnapshot, ScorecardTotal, utcnow
from portal.core import scorecard as sc
from portal.core.batching import id_chunks
from portal.core.domain import Role
from portal.core.settings import Settings
from portal.queries.scorecard_data import (
    changed_suppliers,
    latest_snapshot,
    lines_per_supplier,
    load_scorecard_data,
    snapshot_is_current,
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
        # Taken before reading: a row written meanwhile is above them, so its supplier reads live.
        marks = watermarks(session)
        snapshot = latest_snapshot(session)
        if changed_only and snapshot is not None and snapshot_is_current(snapshot, settings, today):
            old_marks = dict(snapshot.watermarks or {})
            changed = sorted(changed_suppliers(session, old_marks))
            rows = _totals(session, changed, today, chunk_lines) if changed else None
            partial: tuple[int, dict[str, int], list[int]] | None = (snapshot.id, old_marks, changed)
        else:
            rows = _totals(session, None, today, chunk_lines)
            partial = None
    if partial is not None:
        snapshot_id, old_marks, changed = partial
        if not changed:
            return SnapshotInfo(snapshot_id, today, 0, 0, time.perf_counter() - started, changed_only=True)
        assert rows is not None
        if _store_changed(db, actor, snapshot_id, old_marks, changed, rows, marks, today):
            return SnapshotInfo(
                snapshot_id, today, len(changed), len(rows), time.perf_counter() - started, changed_only=True
            )
        # Another refresh stored the snapshot meanwhile (what was read may be older than it): once
        # more from what it stored.
        return refresh_scorecards(db, actor, today=today, changed_only=True, chunk_lines=chunk_lines)
    assert rows is not None
    snapshot_id = _store_all(db, actor, rows, marks, settings, today)
    return SnapshotInfo(
        snapshot_id=snapshot_id,
        as_of=today,
        suppliers=int(rows["supplier_id"].nunique()) if len(rows) else 0,
        rows=len(rows),
        seconds=time.perf_counter() - started,
    )


def _store_all(
    db: Database, actor: Actor, rows: pd.DataFrame, marks: dict[str, int], settings: Settings, today: dt.date
) -> int:
    with db.write() as session:
        session.execute(delete(ScorecardSnapshot))  # its totals go with it (ON DELETE CASCADE)
        snapshot = ScorecardSnapshot(
            as_of=today,
            computed_by=actor.username,
            on_time_tolerance_days=settings.on_time_tolerance_days,
            in_full_threshold=settings.in_full_threshold,
            watermarks=marks,
        )
        session.add(snapshot)
        session.flush()
        bulk_insert(session, "scorecard_totals", rows.assign(snapshot_id=snapshot.id))
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
    snapshot_id: int,
    old_marks: dict[str, int],
    changed: list[int],
    rows: pd.DataFrame,
    marks: dict[str, int],
    today: dt.date,
) -> bool:
    """Replace the changed suppliers' totals in the snapshot and raise its watermarks to ``marks``;
    False, storing nothing, when another refresh stored it since its ``old_marks`` were read."""
    with db.write() as session:
        # Locked (PostgreSQL; SQLite writes one at a time): a concurrent refresh waits, and one that
        # replaced the snapshot first leaves nothing to update.
        snapshot = session.scalar(
            select(ScorecardSnapshot).where(ScorecardSnapshot.id == snapshot_id).with_for_update()
        )
        if snapshot is None or snapshot.as_of != today or dict(snapshot.watermarks or {}) != old_marks:
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
        bulk_insert(session, "scorecard_totals", rows.assign(snapshot_id=snapshot_id))
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
