"""Replay a simulated world through the portal: as of each step, import what was posted, sweep, snapshot.

Everything goes through the portal's own paths, as the command line's ``import`` and
``sweep --as-of`` do: each kind's new rows become a CSV file read by ``read_upload`` and written by
``import_table`` (checked like any supplier's file, with ``today`` = the step's day), then
``planning.sweep`` recomputes forecasts and alerts as of that day. The stored forecasts
(line_forecasts), the suppliers' current schedules and the open alerts are then read back:
the frames :mod:`portal.sim.evaluate` scores.
"""

from __future__ import annotations

import datetime as dt
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import pandas as pd
from sqlalchemy import func, select

from db.engine import Database, open_database
from db.frames import read_frame
from db.joins import current_schedule_subquery
from db.models import Alert, LineForecast, PoLine, Supplier
from portal.bootstrap import upgrade_database
from portal.core.domain import AlertStatus, PortalError
from portal.core.fileformats import describe_errors
from portal.services.access import Actor
from portal.services.imports import import_table, read_upload
from portal.services.planning import sweep
from portal.sim import factory
from portal.sim.evaluate import Evaluation, evaluate
from portal.sim.factory import Dynamics, Truth, WorldParams

#: The order a day's files are imported in: lines before their schedules, reports and receipts.
POSTED_KINDS = ("pos", "schedules", "reports", "receipts")


@dataclass
class ReplayResult:
    """The frames of a replay (see :mod:`portal.sim.evaluate`) and how long it took."""

    snapshots: pd.DataFrame
    alerts: pd.DataFrame
    days: list[dt.date]
    seconds: float


def replay_days(start: dt.date, weeks: int, step_days: int) -> list[dt.date]:
    """The as_of days of a replay: every ``step_days`` from ``start``, up to ``weeks`` weeks later."""
    last = start + dt.timedelta(weeks=weeks)
    days, day = [], start + dt.timedelta(days=step_days)
    while day <= last:
        days.append(day)
        day += dt.timedelta(days=step_days)
    return days


def posted_files(truth: Truth) -> dict[str, pd.DataFrame]:
    """Each import kind's rows with the day they were posted (``posted_on``), in import columns."""
    lines = truth.lines
    pos = lines[
        ["po_number", "line", "supplier_code", "sku", "quantity", "order_date", "need_by_date"]
    ].copy()
    pos["posted_on"] = pos["order_date"]
    return {
        "pos": pos,
        "schedules": truth.schedules,
        "reports": truth.reports,
        "receipts": truth.receipts,
    }


def _import(db: Database, actor: Actor, kind: str, rows: pd.DataFrame, today: dt.date) -> None:
    """One file of ``kind`` through the import service; any refused row stops the replay."""
    if rows.empty:
        return
    data = rows.drop(columns=["posted_on"], errors="ignore").to_csv(index=False, date_format="%Y-%m-%d")
    name = f"{kind}-{today.isoformat()}.csv"
    table = read_upload(data.encode("utf-8"), name, kind)
    # The sweep right after recomputes everything as of this day: no per-import recompute.
    result = import_table(db, actor, table, filename=name, today=today, recompute=False)
    if not result.ok:
        raise PortalError(
            f"The replay's {name} was refused: {result.summary()}\n{describe_errors(result.errors)}"
        )


def _setup(db: Database, actor: Actor, truth: Truth, today: dt.date) -> None:
    sup = truth.world.suppliers
    suppliers = pd.DataFrame(
        {
            "code": sup["supplier_code"],
            "name": "Simulated " + sup["supplier_code"],
            "transit_days": sup["transit_days"],
        }
    )
    skus = sorted(truth.lines["sku"].unique())
    items = pd.DataFrame({"sku": skus, "description": [f"Simulated item {s}" for s in skus], "on_hand": 0})
    _import(db, actor, "suppliers", suppliers, today)
    _import(db, actor, "items", items, today)


def snapshot(db: Database, as_of: dt.date) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The stored forecasts (with the supplier's current date + transit) and the open alerts."""
    current = current_schedule_subquery()
    forecasts = (
        select(
            PoLine.po_number,
            PoLine.line,
            LineForecast.arrival_p50,
            LineForecast.arrival_p90,
            LineForecast.rate_source,
            current.c.estimated_end_date,
            func.coalesce(PoLine.transit_days, Supplier.transit_days),
        )
        .join(PoLine, PoLine.id == LineForecast.po_line_id)
        .join(Supplier, Supplier.id == PoLine.supplier_id)
        .outerjoin(current, current.c.po_line_id == PoLine.id)
    )
    alerts = (
        select(Alert.rule, PoLine.po_number, PoLine.line)
        .outerjoin(PoLine, PoLine.id == Alert.po_line_id)
        .where(Alert.status != AlertStatus.RESOLVED)
    )
    with db.read() as session:
        snap = read_frame(
            session,
            forecasts,
            [
                "po_number",
                "line",
                "arrival_p50",
                "arrival_p90",
                "rate_source",
                "estimated_end_date",
                "transit_days",
            ],
        )
        open_alerts = read_frame(session, alerts, ["rule", "po_number", "line"])
    for col in ("arrival_p50", "arrival_p90", "estimated_end_date"):
        snap[col] = pd.to_datetime(snap[col])
    transit = pd.to_timedelta(pd.to_numeric(snap["transit_days"]).fillna(0), unit="D")
    snap["supplier_arrival"] = snap["estimated_end_date"] + transit
    snap.insert(0, "as_of", pd.Timestamp(as_of))
    open_alerts.insert(0, "as_of", pd.Timestamp(as_of))
    open_alerts["rule"] = open_alerts["rule"].astype(str)
    return snap.drop(columns=["estimated_end_date", "transit_days"]), open_alerts


def replay(
    truth: Truth,
    weeks: int,
    step_days: int = 7,
    *,
    database_url: str | None = None,
    progress: Callable[[str], None] | None = None,
) -> ReplayResult:
    """Feed ``truth``'s posts to a fresh database step by step, sweep as of each step, snapshot."""
    started = time.perf_counter()
    days = replay_days(truth.world.start, weeks, step_days)
    with tempfile.TemporaryDirectory(prefix="portal-sim-") as tmp:
        url = database_url or f"sqlite:///{Path(tmp) / 'sim.db'}"
        upgrade_database(url)
        db = open_database(url)
        try:
            actor = Actor.system("evaluate")
            _setup(db, actor, truth, truth.world.start)
            files = posted_files(truth)
            fed = dt.date.min
            snaps, alerts = [], []
            for day in days:
                for kind in POSTED_KINDS:
                    rows = files[kind]
                    posted = rows["posted_on"].dt.date
                    new = rows[(posted > fed) & (posted <= day)]
                    # A file holds one row per line (per date for reports): a line revised twice
                    # in one step is imported as two files, in the order posted.
                    keys = ["po_number", "line", "date"] if kind == "reports" else ["po_number", "line"]
                    rank = new.groupby(keys).cumcount()
                    for r in range(int(rank.max()) + 1 if len(new) else 0):
                        _import(db, actor, kind, new[rank == r], day)
                fed = day
                sweep(db, actor, as_of=day)
                snap, open_alerts = snapshot(db, day)
                snaps.append(snap)
                alerts.append(open_alerts)
                if progress:
                    progress(f"{day}: {len(snap)} open lines, {len(open_alerts)} open alerts")
        finally:
            db.dispose()
    return ReplayResult(
        snapshots=pd.concat(snaps, ignore_index=True) if snaps else pd.DataFrame(),
        alerts=pd.concat(alerts, ignore_index=True) if alerts else pd.DataFrame(),
        days=days,
        seconds=time.perf_counter() - started,
    )


def run_evaluation(
    params: WorldParams,
    dynamics: Dynamics,
    step_days: int = 7,
    *,
    progress: Callable[[str], None] | None = None,
) -> Evaluation:
    """Simulate a world, replay it through the portal every ``step_days``, and score it against the truth."""
    factory.check_parameters(params, dynamics, step_days)
    truth = factory.run(params, dynamics)
    result = replay(truth, params.weeks, step_days, progress=progress)
    scored = evaluate(truth.lines, result.snapshots, result.alerts, result.days[-1])
    scored.info = {
        "parameters": {**factory.describe(params, dynamics), "step_days": step_days},
        "replay": {
            "first_day": result.days[0].isoformat(),
            "last_day": result.days[-1].isoformat(),
            "steps": len(result.days),
            "seconds": round(result.seconds, 1),
        },
    }
    return scored
