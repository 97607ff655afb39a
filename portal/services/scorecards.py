"""Storing the scorecard snapshot the ranking reads (``portal scorecards refresh``, nightly).

The ranking of every supplier needs every receipt and production report; computing that on
each page view takes seconds at a thousand suppliers. The snapshot stores the monthly totals
(``portal.core.scorecard.totals_snapshot``) once, and the ranking sums twelve months of them.
Suppliers written to since (above the snapshot's watermarks) are computed live by every view
(``portal.queries.scorecards.current_totals``), so the stored totals never show a stale number.
"""

from __future__ import annotations

import datetime as dt
import time
from dataclasses import dataclass

from sqlalchemy import delete

from db.bulk import bulk_insert
from db.engine import Database
from db.models import ScorecardSnapshot
from portal.core import scorecard as sc
from portal.core.domain import Role
from portal.queries.scorecard_data import load_scorecard_data, watermarks
from portal.services import audit
from portal.services.access import Actor, service


@dataclass(frozen=True)
class SnapshotInfo:
    """What a refresh stored."""

    snapshot_id: int
    as_of: dt.date
    suppliers: int
    rows: int
    seconds: float


@service(Role.MANAGER, Role.ADMIN)
def refresh_scorecards(db: Database, actor: Actor, *, today: dt.date | None = None) -> SnapshotInfo:
    """Compute every supplier's monthly scorecard totals and store them as the only snapshot."""
    started = time.perf_counter()
    today = today or dt.date.today()
    with db.read() as session:
        # Taken before reading: a row written meanwhile is above them, so its supplier reads live.
        marks = watermarks(session)
        loaded = load_scorecard_data(session, None, today)
    rows = sc.totals_snapshot(loaded.events)
    with db.write() as session:
        session.execute(delete(ScorecardSnapshot))  # its totals go with it (ON DELETE CASCADE)
        snapshot = ScorecardSnapshot(
            as_of=today,
            computed_by=actor.username,
            on_time_tolerance_days=loaded.settings.on_time_tolerance_days,
            in_full_threshold=loaded.settings.in_full_threshold,
            watermarks=marks,
        )
        session.add(snapshot)
        session.flush()
        frame = rows.assign(snapshot_id=snapshot.id)
        frame["supplier_id"] = frame["supplier_id"].astype("int64")
        frame["month"] = frame["month"].astype("int64")
        frame["window_lines"] = frame["window_lines"].astype("int64")
        bulk_insert(session, "scorecard_totals", frame)
        audit.record(
            session,
            actor,
            "scorecards.refreshed",
            "scorecard_snapshot",
            snapshot.id,
            after={"as_of": today.isoformat(), "rows": len(frame)},
        )
        snapshot_id = snapshot.id
        session.commit()
    return SnapshotInfo(
        snapshot_id=snapshot_id,
        as_of=today,
        suppliers=int(rows["supplier_id"].nunique()) if len(rows) else 0,
        rows=len(rows),
        seconds=time.perf_counter() - started,
    )
