"""A sweep writes only what changed, on SQLite and PostgreSQL: it leaves exactly what a sweep that
rewrites every row leaves, and over unchanged data it writes nothing."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pandas as pd
from sqlalchemy import select, text

from db.base import Base
from db.engine import Database
from db.models import Alert, Backorder, BackorderAllocation, LineForecast, SupplierStats, SweepRun
from portal.queries.alerts import AlertFilter, alert_inbox
from portal.queries.exports import export_frame
from portal.queries.line_detail import line_detail
from portal.services.access import Actor
from portal.services.alerts import acknowledge_alerts, resolve_alerts, snooze_alerts
from portal.services.planning import SweepResult, sweep
from portal.services.planning.seen import Pass, latest_passes, record_run, seen_columns
from portal.services.planning.shard import Shard
from portal.services.production import post_report
from tests.builders import MORE_LINES_FILES, TODAY, load, load_files, small_world

MORE_SCHEDULES = (
    "po_number,line,start_date,daily_output,estimated_end_date,reason\n"
    "PO-7,1,2026-03-02,40,2026-03-13,\n"
    "PO-7,2,2026-03-03,60,2026-03-20,\n"
)
LATER = TODAY + dt.timedelta(days=5)  # Wednesday 11 March
#: Between the two sweeps: reports (a correction among them), a later schedule, receipts (one line
#: received in full), new backorders. Imported without their recompute, so the sweep finds them.
CHANGES = (
    (
        "reports",
        "po_number,line,date,good_qty,rejected_qty\n"
        "PO-1,1,2026-03-06,40,0\n"
        "PO-1,1,2026-03-09,100,0\n"
        "PO-2,1,2026-03-09,80,9\n"
        "PO-7,1,2026-03-09,20,0\n",
    ),
    (
        "schedules",
        "po_number,line,start_date,daily_output,estimated_end_date,reason\n"
        "PO-7,2,2026-03-03,30,2026-04-20,tooling repair\n",
    ),
    (
        "receipts",
        "po_number,line,received_date,quantity,rejected_qty\n"
        "PO-1,2,2026-03-09,300,0\n"
        "PO-8,1,2026-03-10,50,0\n",
    ),
    (
        "backorders",
        "order_ref,customer,sku,quantity,order_date,priority,communicated_date\n"
        "SO-9,Ed,SKU-3,300,2026-03-02,2,2026-03-06\n"
        "SO-10,Flo,SKU-2,10,2026-03-03,0,\n",
    ),
)
#: An alert's moments differ between two runs; their order must not (compared as ranks).
TIMESTAMPS = {"alerts": ["first_seen", "last_seen", "acknowledged_at", "resolved_at"]}
#: When a row was written: a rewrite writes every row, a change-only sweep the changed ones.
WRITTEN_AT = ["computed_at", "promise_computed_at", "created_at"]


def empty(db: Database) -> None:
    """Every table empty and every id counting from 1 again, so two runs number rows alike."""
    with db.engine.begin() as conn:
        if db.engine.dialect.name == "postgresql":
            names = ", ".join(f'"{t.name}"' for t in Base.metadata.sorted_tables)
            conn.execute(text(f"TRUNCATE {names} RESTART IDENTITY CASCADE"))
        else:
            for table in reversed(Base.metadata.sorted_tables):
                conn.execute(table.delete())


def table_rows(db: Database, model: Any, order: list[str], drop: list[str]) -> pd.DataFrame:
    """A table's rows in a fixed order, without ``drop``; timestamps as their rank within the table."""
    table = model.__table__
    frame = table_rows_raw(db, model)
    stamps = [c for c in TIMESTAMPS.get(table.name, []) if c in frame]
    if stamps:
        moments = sorted({v for c in stamps for v in frame[c] if v is not None and not pd.isna(v)})
        rank = {moment: i for i, moment in enumerate(moments)}
        for c in stamps:
            frame[c] = [None if v is None or pd.isna(v) else rank[v] for v in frame[c]]
    frame = frame.drop(columns=[*drop, *(c for c in WRITTEN_AT if c in frame)])
    frame = frame.astype(object).where(frame.notna(), None)
    return frame.sort_values(order, kind="stable").reset_index(drop=True)


def shown(db: Database, actor: Actor) -> dict[str, pd.DataFrame]:
    """What the readers show of every alert's last_seen (the inbox, the alerts export, each line's
    detail and its API), each moment as its rank among the alerts' moments as shown."""
    moments = sorted(
        {
            v
            for c in TIMESTAMPS["alerts"]
            for v in table_rows_raw(db, Alert)[c]
            if v is not None and not pd.isna(v)
        }
    )
    rank = {moment: i for i, moment in enumerate(moments)}
    statuses = ("open", "acknowledged", "resolved")
    inbox, _, _ = alert_inbox(
        db, actor, AlertFilter(statuses=statuses, include_snoozed=True), today=LATER, limit=10_000
    )
    export = export_frame(db, actor, "alerts")
    with db.read() as session:
        line_ids = sorted({int(i) for i in session.scalars(select(Alert.po_line_id)) if i is not None})
    details = pd.concat([line_detail(db, actor, i).alerts for i in line_ids], ignore_index=True)
    frames = {
        "inbox": inbox[["alert_id", "status", "last_seen"]].sort_values("alert_id"),
        "export": export[["rule", "message", "first_seen", "last_seen"]],
        "detail": details[["alert_id", "status", "last_seen"]].sort_values("alert_id"),
    }
    for frame in frames.values():
        for c in ("first_seen", "last_seen"):
            if c in frame:
                frame[c] = [rank[pd.Timestamp(v).to_pydatetime()] for v in frame[c]]
    assert len(frames["inbox"]) and len(frames["export"]) and len(frames["detail"])
    return {k: v.reset_index(drop=True).astype(object) for k, v in frames.items()}


def table_rows_raw(db: Database, model: Any) -> pd.DataFrame:
    """A table's rows as stored, but the alerts' last_seen and as_of as the readers show them."""
    table = model.__table__
    with db.read() as session:
        columns = list(table.columns)
        if model is Alert:  # last_seen and as_of as the readers show them (see planning.seen)
            seen = dict(zip(("last_seen", "as_of"), seen_columns(session), strict=True))
            columns = [seen.get(c.name, c) for c in columns]
        rows = session.execute(select(*columns)).all()
    return pd.DataFrame([tuple(r) for r in rows], columns=[c.name for c in table.columns])


def stored(db: Database) -> dict[str, pd.DataFrame]:
    """Every row a sweep writes; an allocation without its id (replacing one renumbers it)."""
    return {
        "forecasts": table_rows(db, LineForecast, ["po_line_id"], []),
        "backorders": table_rows(db, Backorder, ["id"], []),
        "allocations": table_rows(
            db, BackorderAllocation, ["backorder_id", "po_line_id", "quantity", "available_date"], ["id"]
        ),
        "alerts": table_rows(db, Alert, ["id"], []),
        # The inputs' fingerprint holds their moments (updated_at), which differ between two runs.
        "stats": table_rows(db, SupplierStats, ["supplier_id"], ["inputs_fingerprint"]),
    }


def run(
    db: Database, *, write_all: bool, shards: int = 0, posts: bool = False
) -> tuple[dict[str, pd.DataFrame], list[SweepResult]]:
    """The same story each time: a world, a sweep, people acting on alerts, new data, sweeps again.

    ``posts``: a report posted (the lean post, no sweep) before the sweeps again, and after them
    another post and one shard's sweep; what the readers show is kept too."""
    empty(db)
    world = small_world(db, recompute=False)
    load_files(db, world.buyer, (*MORE_LINES_FILES, ("schedules", MORE_SCHEDULES)), recompute=False)
    results = [sweep(db, world.admin, TODAY, write_all=write_all)]
    with db.read() as session:
        live = session.scalars(select(Alert).where(Alert.status == "open").order_by(Alert.id)).all()
        ids = [a.id for a in live]
    assert len(ids) >= 3, "the story needs alerts to act on"
    acknowledge_alerts(db, world.buyer, [ids[0]])
    snooze_alerts(db, world.buyer, [ids[1]], LATER + dt.timedelta(days=3), today=TODAY)
    resolve_alerts(db, world.buyer, [ids[2]])  # still holding: a dismissal
    for kind, data in CHANGES:
        result = load(db, world.buyer, kind, data, today=LATER, recompute=False)
        assert result.ok, result
    line = world.line_ids["PO-2/1"]
    if posts:
        posted = post_report(db, world.buyer, line, report_date=LATER, good_qty=30, today=LATER)
        assert posted.ok, posted
    if shards:
        results += [
            sweep(db, world.admin, LATER, shard=Shard(k, shards), write_all=write_all) for k in (1, 2)
        ]
    results.append(sweep(db, world.admin, LATER, write_all=write_all))
    if not posts:
        return stored(db), results
    # A post on another line, then one shard's sweep over data otherwise unchanged.
    other = world.line_ids["PO-1/1"]
    posted = post_report(db, world.buyer, other, report_date=LATER, good_qty=5, today=LATER)
    assert posted.ok, posted
    results.append(sweep(db, world.admin, LATER, shard=Shard(1, 2), write_all=write_all))
    return {**stored(db), **shown(db, world.buyer)}, results


def test_a_sweep_writing_only_changes_stores_what_a_sweep_rewriting_everything_stores(db: Database) -> None:
    changes, by_change = run(db, write_all=False)
    everything, by_rewrite = run(db, write_all=True)
    for name in changes:
        pd.testing.assert_frame_equal(changes[name], everything[name], obj=name)
    assert len(changes["forecasts"]) and len(changes["allocations"]) and len(changes["alerts"])
    # The second sweep had something to write, and wrote less than the rewrite.
    assert 0 < by_change[-1].written < by_rewrite[-1].written
    for a, b in zip(by_change, by_rewrite, strict=True):
        assert (a.alerts_opened, a.alerts_resolved, a.raised_alert_ids) == (
            b.alerts_opened,
            b.alerts_resolved,
            b.raised_alert_ids,
        )


def test_shards_writing_only_changes_store_what_a_rewrite_stores(db: Database) -> None:
    changes, _ = run(db, write_all=False, shards=2)
    everything, _ = run(db, write_all=True, shards=2)
    for name in changes:
        pd.testing.assert_frame_equal(changes[name], everything[name], obj=name)


def test_what_readers_show_of_last_seen_after_sweeps_posts_and_a_shard_equals_a_rewrite(db: Database) -> None:
    """Sweep, people act, new data, a post, shards, a full sweep, a post, one shard again:
    the alerts' last_seen and as_of, and what the inbox, the export and the line details show,
    equal what the old sweep (writing every live alert) leaves."""
    changes, by_change = run(db, write_all=False, shards=2, posts=True)
    everything, by_rewrite = run(db, write_all=True, shards=2, posts=True)
    for name in everything:
        pd.testing.assert_frame_equal(changes[name], everything[name], obj=name)
    # The last pass (one shard) wrote only the alerts that changed, not those it saw.
    last, rewrite = by_change[-1], by_rewrite[-1]
    assert last.alerts_seen > 0
    assert last.rows_written["alerts"] == last.alerts_opened + last.alerts_updated + last.alerts_resolved
    assert last.rows_written["alerts"] < rewrite.rows_written["alerts"]
    alerts = changes["alerts"]
    assert alerts["as_of"].nunique() > 1 and alerts["last_seen"].nunique() > 2


def test_a_sweep_over_unchanged_data_writes_no_row_and_only_marks_live_alerts_seen(db: Database) -> None:
    world = small_world(db)
    sweep(db, world.admin, LATER)
    before = stored(db)
    again = sweep(db, world.admin, LATER)
    assert again.written == 0, again.rows_written
    assert set(again.rows_written) == {"supplier_stats", "forecasts", "promises", "allocations", "alerts"}
    assert again.alerts_opened == again.alerts_updated == again.alerts_resolved == 0
    after = stored(db)
    live = after["alerts"]["status"] != "resolved"
    assert again.alerts_seen == int(live.sum()) > 0
    # Only last_seen moved, to this sweep's moment (the latest of all).
    assert (after["alerts"].loc[live, "last_seen"] == after["alerts"]["last_seen"].max()).all()
    for name in before:
        columns = [c for c in before[name].columns if c not in ("last_seen",)]
        pd.testing.assert_frame_equal(before[name][columns], after[name][columns], obj=name)
    rewrite = sweep(db, world.admin, LATER, write_all=True)
    assert rewrite.written > 0


def test_a_text_written_elsewhere_is_worded_again_and_the_others_are_kept(db: Database) -> None:
    world = small_world(db)
    sweep(db, world.admin, LATER)
    with db.write() as session:
        alert = session.scalars(select(Alert).where(Alert.status == "open").order_by(Alert.id)).first()
        assert alert is not None and alert.message_hash is not None
        worded, alert_id = alert.message, alert.id
        alert.message = "written by someone else"  # any other write forgets the message's hash
        session.commit()
    with db.read() as session:
        assert session.get(Alert, alert_id).message_hash is None  # type: ignore[union-attr]
    again = sweep(db, world.admin, LATER)
    assert again.rows_written["alerts"] == 1, again.rows_written
    with db.read() as session:
        restored = session.get(Alert, alert_id)
        assert restored is not None
        assert (restored.message, restored.message_hash is not None) == (worded, True)


def test_a_forecast_written_elsewhere_is_written_again_by_the_next_sweep(db: Database) -> None:
    world = small_world(db)
    sweep(db, world.admin, LATER)
    with db.write() as session:
        forecast = session.scalars(select(LineForecast).order_by(LineForecast.po_line_id)).first()
        assert forecast is not None and forecast.values_hash is not None
        remaining, line_id = forecast.remaining, forecast.po_line_id
        forecast.remaining = remaining + 999  # any other write forgets the values' hash
        session.commit()
    again = sweep(db, world.admin, LATER)
    assert again.rows_written["forecasts"] == 1, again.rows_written
    with db.read() as session:
        restored = session.get(LineForecast, line_id)
        assert restored is not None and (restored.remaining, restored.values_hash is not None) == (
            remaining,
            True,
        )


def test_sweep_runs_keeps_exactly_the_passes_readers_can_need(db: Database) -> None:
    """Each recorded pass forgets the passes no reader can need: after every pass of a long mixed
    history (full sweeps, shards of two splits, chunks), the table holds exactly the passes
    latest_passes picks, and those are the ones it would pick from the whole history kept."""
    start = dt.datetime(2026, 3, 9, 6, 0)
    kinds = [None, Shard(1, 2), Shard(2, 2), Shard(1, 2), None, None, Shard(2, 2), Shard(1, 3)]
    kinds += [Shard(1, 3), Shard(2, 2), None, Shard(1, 2)]
    history: list[Pass] = []
    most = 0
    for minute, shard in enumerate(kinds):
        moment = start + dt.timedelta(minutes=15 * minute)
        day = TODAY + dt.timedelta(days=minute % 3)
        with db.write() as session:
            record_run(session, moment, day, shard)
            session.commit()
        history.append(Pass(moment, day, shard))
        # What the readers' rule picks from the whole history: the latest full pass, then per shard
        # its latest pass after that one.
        full = [p for p in history if p.shard is None]
        since = full[-1].seen_at if full else dt.datetime.min
        latest: dict[Shard, Pass] = {}
        for p in history:
            if p.shard is not None and p.seen_at > since:
                latest[p.shard] = p
        expected = sorted(full[-1:] + list(latest.values()), key=lambda p: p.seen_at, reverse=True)
        with db.read() as session:
            assert latest_passes(session) == expected
            kept = session.execute(
                select(SweepRun.seen_at, SweepRun.as_of, SweepRun.shard_k, SweepRun.shard_n)
            ).all()
        assert sorted(r.seen_at for r in kept) == sorted(p.seen_at for p in expected)
        most = max(most, len(kept))
    # Twelve passes recorded; at most three kept at once (a full pass, then 2/2 and 1/3 after it,
    # each of those passing twice), two at the end: the last full pass and shard 1/2 after it.
    assert (len(history), most, len(expected)) == (12, 3, 2)
