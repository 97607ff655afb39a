"""A report post recomputes its line alone (portal.services.planning.one_line) and leaves exactly what
a full pass of the pipeline over every line and backorder stores for the same data, on SQLite and
PostgreSQL."""

from __future__ import annotations

import datetime as dt
import random
from typing import Any

import pytest
from sqlalchemy import select

from db.engine import Database
from db.models import Alert, InboxProblem, LineForecast, PoLine
from portal.services.access import Actor
from portal.services.alerts import acknowledge_alerts, resolve_alerts
from portal.services.planning import SweepResult, sweep
from portal.services.planning import one_line as lean
from portal.services.planning.loaders import load_supplier_stats
from portal.services.planning.pipeline import run_pipeline
from portal.services.planning.problems import rebuild_problems
from portal.services.production import post_report, post_reports
from portal.services.settings import load_settings
from tests.builders import MORE_ITEMS_CSV, TODAY, SmallWorld, load, post, small_world
from tests.integration.db_state import PLANNED, stored_rows

WORKING_DAYS = [
    TODAY - dt.timedelta(days=d) for d in range(0, 40) if (TODAY - dt.timedelta(days=d)).weekday() < 5
]


#: What a recompute writes; line and backorder alerts (a post leaves the suppliers' capacity alerts to
#: the sweep).
RECOMPUTED = {
    **{name: PLANNED[name] for name in ("forecasts", "promises", "allocations")},
    # People's decisions too: a post keeps acknowledgements, dismissals and reopen reasons as a sweep does.
    "alerts": (
        *PLANNED["alerts"],
        Alert.message_args,
        Alert.dismissed_severity,
        Alert.dismissed_days_late,
        Alert.reopen_reason,
    ),
    # The inbox's problems (portal.services.planning.problems): kept by the post, rebuilt by a sweep.
    "problems": tuple(InboxProblem.__table__.c),
}
NOT_SUPPLIERS = {
    "alerts": Alert.subject_type != "supplier",
    "problems": InboxProblem.subject_key.not_like("supplier:%"),
}


def stored(db: Database) -> dict[str, list[tuple[Any, ...]]]:
    return stored_rows(db, RECOMPUTED, where=NOT_SUPPLIERS)


def full_pass(db: Database, as_of: dt.date) -> None:
    """The sweep's pipeline over everything, with the supplier statistics the posts read (stored)."""
    with db.write() as session:
        run_pipeline(
            session,
            as_of,
            load_settings(session),
            line_ids=None,
            item_ids=None,
            stats=load_supplier_stats(session),
            result=SweepResult(as_of=as_of),
        )
        rebuild_problems(session, as_of)  # as the sweep ends
        session.commit()


def post_and_check_against_a_full_pass(
    db: Database, actor: Actor, line_id: int, day: dt.date, *, good: int, rejected: int = 0
) -> dict[str, list[tuple[Any, ...]]]:
    """Post one day's output (a correction confirmed), then check that a full pass over the same data
    stores what the post stored; returns that."""
    post(db, actor, line_id, day, good, rejected=rejected)
    after_post = stored(db)
    full_pass(db, TODAY)
    assert stored(db) == after_post
    return after_post


def random_world(db: Database, rng: random.Random) -> tuple[SmallWorld, list[int]]:
    """The small world, more lines of four items with schedules, backorders and random histories."""
    world = small_world(db)
    assert load(db, world.buyer, "items", MORE_ITEMS_CSV).ok
    pos = ["po_number,line,supplier_code,sku,quantity,order_date,need_by_date"]
    schedules = ["po_number,line,start_date,daily_output,estimated_end_date,reason"]
    for n in range(6):
        supplier = rng.choice(["ACME", "BOLT"])
        need_by = TODAY + dt.timedelta(days=rng.randint(-5, 40))
        pos.append(
            f"PO-R{n},1,{supplier},SKU-{rng.randint(1, 4)},{rng.randint(100, 2000)},2026-01-20,{need_by}"
        )
        if rng.random() < 0.7:
            start = TODAY - dt.timedelta(days=rng.randint(0, 25))
            end = start + dt.timedelta(days=rng.randint(5, 30))
            schedules.append(f"PO-R{n},1,{start},{rng.randint(20, 150)},{end},")
    assert load(db, world.buyer, "pos", "\n".join(pos) + "\n").ok
    assert load(db, Actor.system("test"), "schedules", "\n".join(schedules) + "\n").ok
    backorders = ["order_ref,customer,sku,quantity,order_date,priority,communicated_date"]
    for n in range(5):
        told = "" if rng.random() < 0.4 else (TODAY + dt.timedelta(days=rng.randint(-3, 30))).isoformat()
        sku, qty, priority = rng.randint(1, 4), rng.randint(5, 400), rng.randint(0, 2)
        backorders.append(f"SO-R{n},C{n},SKU-{sku},{qty},2026-02-2{n},{priority},{told}")
    assert load(db, world.buyer, "backorders", "\n".join(backorders) + "\n").ok
    with db.read() as session:
        lines = session.execute(select(PoLine.id, PoLine.po_number, PoLine.line, PoLine.supplier_id)).all()
    # Histories: runs of days with ramp-up, zero days and skipped days, posted through the grid.
    for _, po, no, supplier_id in lines:
        if rng.random() < 0.3:
            continue
        actor = world.acme_user if supplier_id == world.acme_id else world.bolt_user
        days = [d for d in WORKING_DAYS[1 : rng.randint(2, 25)] if rng.random() > 0.15]
        rows = [
            {
                "po_number": po,
                "line": no,
                "date": d,
                "good_qty": 0 if rng.random() < 0.1 else rng.randint(0, 160),
            }
            for d in days
        ]
        if rows:
            post_reports(db, actor, rows, confirm_corrections=True, today=TODAY)
    return world, [int(r[0]) for r in lines]


def count_pipeline_calls(monkeypatch: pytest.MonkeyPatch) -> list[dict[str, Any]]:
    """The recomputes the lean path hands to the bulk pipeline, recorded as they run."""
    calls: list[dict[str, Any]] = []
    bulk = lean.recompute_affected

    def recorded(*args: Any, **kwargs: Any) -> SweepResult:
        calls.append(kwargs)
        return bulk(*args, **kwargs)

    monkeypatch.setattr(lean, "recompute_affected", recorded)
    return calls


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_a_post_through_the_lean_path_stores_what_a_full_pass_computes_for_the_same_data(
    db: Database, seed: int, monkeypatch: pytest.MonkeyPatch
) -> None:
    rng = random.Random(seed)
    world, line_ids = random_world(db, rng)
    sweep(db, world.admin, TODAY)  # the supplier statistics the posts read
    pipeline_calls = count_pipeline_calls(monkeypatch)
    with db.read() as session:
        suppliers = dict(session.execute(select(PoLine.id, PoLine.supplier_id)).all())
    for _ in range(4):
        line_id = rng.choice(line_ids)
        actor = world.acme_user if suppliers[line_id] == world.acme_id else world.bolt_user
        # Today (appended after the last day), or a day already reported (a correction).
        day = TODAY if rng.random() < 0.6 else rng.choice(WORKING_DAYS[1:10])
        after_post = post_and_check_against_a_full_pass(
            db, actor, line_id, day, good=rng.randint(0, 300), rejected=rng.randint(0, 9)
        )
    assert not pipeline_calls  # every post took the lean path
    assert after_post["forecasts"] and after_post["promises"] and after_post["alerts"]


@pytest.mark.parametrize("seed", [4, 5])
def test_posts_on_lines_whose_alerts_people_acknowledged_and_dismissed_store_what_a_full_pass_stores(
    db: Database, seed: int, monkeypatch: pytest.MonkeyPatch
) -> None:
    rng = random.Random(seed)
    world, _ = random_world(db, rng)
    sweep(db, world.admin, TODAY)
    with db.read() as session:
        live = list(
            session.execute(
                select(Alert.id, Alert.po_line_id).where(
                    Alert.status == "open", Alert.po_line_id.is_not(None)
                )
            ).all()
        )
        suppliers = dict(session.execute(select(PoLine.id, PoLine.supplier_id)).all())
    rng.shuffle(live)
    half = len(live) // 2
    assert half, "the world has line alerts to acknowledge and dismiss"
    acknowledge_alerts(db, world.buyer, [int(a.id) for a in live[:half]])
    resolve_alerts(db, world.buyer, [int(a.id) for a in live[half:]])  # dismissed by a person
    touched = sorted({int(a.po_line_id) for a in live})
    pipeline_calls = count_pipeline_calls(monkeypatch)
    for _ in range(5):
        line_id = rng.choice(touched)
        actor = world.acme_user if suppliers[line_id] == world.acme_id else world.bolt_user
        # Nothing good and many rejects (worse), a lot at once (better), or a usual day.
        good, rejected = rng.choice([(0, 80), (5000, 0), (rng.randint(0, 200), rng.randint(0, 5))])
        day = TODAY if rng.random() < 0.5 else rng.choice(WORKING_DAYS[1:8])
        after_post = post_and_check_against_a_full_pass(db, actor, line_id, day, good=good, rejected=rejected)
    assert not pipeline_calls
    statuses = {(a[3], a[7] is not None) for a in after_post["alerts"]}
    assert ("acknowledged", False) in statuses and ("resolved", True) in statuses


def test_a_post_on_a_line_not_open_on_its_day_goes_through_the_pipeline(
    db: Database, monkeypatch: pytest.MonkeyPatch
) -> None:
    world = small_world(db)
    calls = count_pipeline_calls(monkeypatch)
    line_id = world.line_ids["PO-1/1"]
    post(db, world.acme_user, line_id, TODAY, 10)
    assert not calls
    # As of a day before the line was ordered, it was not open: the pipeline drops its forecast.
    with db.write() as session:
        lean.recompute_line(session, line_id, as_of=dt.date(2026, 1, 5))
        session.commit()
    assert calls
    with db.read() as session:
        assert session.get(LineForecast, line_id) is None


def stale_alerts(db: Database, line_id: int) -> list[str]:
    with db.read() as session:
        return list(
            session.scalars(
                select(Alert.status).where(Alert.rule == "STALE_UPDATE", Alert.po_line_id == line_id)
            )
        )


def test_a_line_made_in_full_gets_no_stale_update_from_the_post_nor_the_sweep(db: Database) -> None:
    world = small_world(db)
    line_id = world.line_ids["PO-1/2"]  # 300 units, nothing reported yet
    # A catch-up post, four working days back, makes every unit: nothing is left to report.
    post_report(db, world.acme_user, line_id, report_date=dt.date(2026, 3, 2), good_qty=300, today=TODAY)
    assert stale_alerts(db, line_id) == []  # the post's own recompute (the lean path)
    sweep(db, world.admin, TODAY)
    assert stale_alerts(db, line_id) == []
    # One unit short, the same post leaves the line quiet for four working days: it is stale.
    post(db, world.acme_user, line_id, dt.date(2026, 3, 2), 299)
    assert stale_alerts(db, line_id) == ["open"]


def test_a_post_as_of_a_past_day_counts_a_line_received_only_later_as_supply_as_a_full_pass_does(
    db: Database, monkeypatch: pytest.MonkeyPatch
) -> None:
    world = small_world(db)
    # SKU-1's earliest supply: PO-9/1, received in part before TODAY and in full after it (open on
    # TODAY with 40 to come); PO-9/2, received in full before TODAY (not supply on TODAY).
    pos = (
        "po_number,line,supplier_code,sku,quantity,order_date,need_by_date\n"
        "PO-9,1,BOLT,SKU-1,100,2026-02-01,2026-03-09\n"
        "PO-9,2,BOLT,SKU-1,70,2026-02-01,2026-03-02\n"
    )
    assert load(db, world.buyer, "pos", pos).ok
    receipts = (
        "po_number,line,received_date,quantity,rejected_qty\nPO-9,1,2026-03-04,60,0\nPO-9,2,2026-03-03,70,0\n"
    )
    assert load(db, world.buyer, "receipts", receipts).ok
    later = "po_number,line,received_date,quantity,rejected_qty\nPO-9,1,2026-03-11,40,0\n"
    assert load(db, world.buyer, "receipts", later, today=dt.date(2026, 3, 12)).ok
    sweep(db, world.admin, TODAY)
    calls = count_pipeline_calls(monkeypatch)
    with db.read() as session:
        received = dict(
            session.execute(select(PoLine.line, PoLine.status).where(PoLine.po_number == "PO-9")).all()
        )
    assert {k: str(getattr(v, "value", v)) for k, v in received.items()} == {1: "received", 2: "received"}
    for good in (130, 20):  # the arrival of PO-1/1 moves: SKU-1's promises are computed again
        after_post = post_and_check_against_a_full_pass(
            db, world.acme_user, world.line_ids["PO-1/1"], TODAY, good=good
        )
    assert not calls
    with db.read() as session:
        po91 = session.scalar(select(PoLine.id).where(PoLine.po_number == "PO-9", PoLine.line == 1))
    # Its 40 units still to come on TODAY are promised (SKU-1 has no stock: it is the first supply).
    assert sum(row[2] for row in after_post["allocations"] if row[1] == po91) == 40
