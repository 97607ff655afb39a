"""Concurrent writers on PostgreSQL: 16 posts and schedule revisions at once, and sweeps raced by posts.

Nothing may be lost: every call either lands (with its audit event, and its value kept in the
history) or is refused with a ConflictError that says why; never two current reports for one
line and day; and the stored forecasts equal what the final data gives. A sweep and the posts
that race it both succeed, and leave the forecasts, promises and alerts the final data gives.
"""

from __future__ import annotations

import datetime as dt
import threading
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import pytest
from sqlalchemy import func, select, text
from sqlalchemy.exc import OperationalError

from db.engine import Database
from db.models import (
    Alert,
    AuditEvent,
    Backorder,
    BackorderAllocation,
    LineForecast,
    PoLine,
    ProductionReport,
    ProductionSchedule,
)
from portal.core.domain import AlertStatus, ConflictError, SubjectType
from portal.services import planning
from portal.services.locks import LOCK_NOT_AVAILABLE, advisory_key
from portal.services.planning import PLANNING_LOCK, lock_line_to_post, sweep
from portal.services.production import post_report
from tests.builders import TODAY, post, revise, small_world

pytestmark = pytest.mark.postgres

WRITERS = 16


@dataclass
class Outcome:
    kind: str
    line: str
    value: int
    ok: bool
    error: str = ""


def test_sixteen_concurrent_writers_lose_nothing(postgres_db: Database) -> None:
    db = postgres_db
    world = small_world(db)
    po11, po12, po21 = world.line_ids["PO-1/1"], world.line_ids["PO-1/2"], world.line_ids["PO-2/1"]
    barrier = threading.Barrier(WRITERS)
    outcomes: list[Outcome] = []
    lock = threading.Lock()

    def record(outcome: Outcome) -> None:
        with lock:
            outcomes.append(outcome)

    def correct_same_day(i: int) -> None:
        # Eight suppliers' planners correct PO-1/1's output of Friday 6 March at the same moment.
        barrier.wait()
        value = 200 + i
        post(db, world.acme_user, po11, TODAY, value)
        record(Outcome("report", "PO-1/1", value, True))

    def post_other_line(i: int) -> None:
        # Four post PO-1/2 and PO-2/1 on different days: different rows, same tables.
        barrier.wait()
        line, actor = (po12, world.acme_user) if i % 2 else (po21, world.bolt_user)
        day = dt.date(2026, 3, 2) + dt.timedelta(days=i // 2)
        post_report(db, actor, line, report_date=day, good_qty=10 + i, confirm_correction=True, today=TODAY)
        record(Outcome("report", "PO-1/2" if i % 2 else "PO-2/1", 10 + i, True))

    def revise_same_schedule(i: int) -> None:
        # Four revise PO-1/1's schedule, each from revision 1 as it stood when they opened the form.
        barrier.wait()
        end = dt.date(2026, 3, 16) + dt.timedelta(days=i)
        try:
            revise(db, world.acme_user, po11, end=end, reason=f"Writer {i}", output=90)
            record(Outcome("schedule", "PO-1/1", i, True))
        except ConflictError as exc:
            record(Outcome("schedule", "PO-1/1", i, False, str(exc)))

    jobs = (
        [(correct_same_day, i) for i in range(8)]
        + [(post_other_line, i) for i in range(4)]
        + [(revise_same_schedule, i) for i in range(4)]
    )
    assert len(jobs) == WRITERS
    errors: list[BaseException] = []

    def run(job: Callable[[int], object], i: int) -> None:
        try:
            job(i)
        except BaseException as exc:
            errors.append(exc)

    threads = [threading.Thread(target=run, args=job) for job in jobs]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=300)
    assert not errors, errors

    with db.read() as session:
        # Never two current reports for one line and day.
        current = session.execute(
            select(ProductionReport.po_line_id, ProductionReport.report_date, func.count())
            .where(ProductionReport.is_current)
            .group_by(ProductionReport.po_line_id, ProductionReport.report_date)
        ).all()
        assert all(n == 1 for *_, n in current)

        # Every correction landed as its own revision: the history of 6 March holds the original
        # and the eight corrections, and the current one is the last revision written.
        history = session.execute(
            select(ProductionReport.revision, ProductionReport.good_qty, ProductionReport.is_current)
            .where(ProductionReport.po_line_id == po11, ProductionReport.report_date == TODAY)
            .order_by(ProductionReport.revision)
        ).all()
        assert [r.revision for r in history] == list(range(1, 10))
        assert {r.good_qty for r in history[1:]} == {200 + i for i in range(8)}
        assert [r.is_current for r in history] == [False] * 8 + [True]

        # Schedules: exactly one of the four writers from revision 1 wins; the others were told.
        schedule_outcomes = [o for o in outcomes if o.kind == "schedule"]
        assert sum(o.ok for o in schedule_outcomes) == 1
        assert all("changed by" in o.error for o in schedule_outcomes if not o.ok)
        revisions = session.scalars(
            select(ProductionSchedule.revision).where(ProductionSchedule.po_line_id == po11)
        ).all()
        assert sorted(revisions) == [1, 2]

        # Every change that landed is in the audit trail, with its line.
        audited = Counter(
            session.execute(
                select(AuditEvent.action, AuditEvent.po_line_id).where(AuditEvent.po_line_id.is_not(None))
            ).all()
        )
        report_actions = sum(n for (action, _), n in audited.items() if "report" in action)
        schedule_actions = sum(n for (action, _), n in audited.items() if "schedule" in action)
        assert report_actions == sum(o.ok for o in outcomes if o.kind == "report") == 12
        assert schedule_actions == 1

        # The stored forecast of every line equals its final data.
        for line_id in (po11, po12, po21):
            produced = session.scalar(
                select(func.coalesce(func.sum(ProductionReport.good_qty), 0)).where(
                    ProductionReport.po_line_id == line_id,
                    ProductionReport.is_current,
                    ProductionReport.report_date <= dt.date.today(),
                )
            )
            stored = session.get(LineForecast, line_id)
            assert stored is not None and stored.produced == produced, line_id


# --------------------------------------------------------------------------- sweeps raced by posts

SWEEPS = 20
POST_INTERVAL_S = 0.3


def planned_state(db: Database) -> dict[str, Any]:
    """What the engine stored: forecasts, promises, allocations and the live line and backorder alerts."""
    with db.read() as session:
        forecasts = {
            row.po_line_id: (
                row.as_of,
                row.produced,
                row.remaining,
                row.rate,
                row.rate_source,
                row.completion_p50,
                row.completion_p90,
                row.arrival_p50,
                row.arrival_p90,
                row.days_late_p50,
                row.days_late_p90,
            )
            for row in session.scalars(select(LineForecast))
        }
        promises = {b.id: (b.promise_date, b.promise_status) for b in session.scalars(select(Backorder))}
        # A multiset: allocations written twice for one backorder show up as duplicates.
        allocations = sorted(
            session.execute(
                select(
                    BackorderAllocation.backorder_id,
                    BackorderAllocation.po_line_id,
                    BackorderAllocation.quantity,
                    BackorderAllocation.available_date,
                )
            ).all(),
            key=repr,
        )
        # Supplier alerts (capacity) are recomputed by sweeps only, by design: a post leaves them
        # to the next sweep, so only the alerts a post recomputes are compared.
        alerts = sorted(
            session.execute(
                select(Alert.rule, Alert.subject_key, Alert.severity, Alert.days_late, Alert.message).where(
                    Alert.status != AlertStatus.RESOLVED, Alert.subject_type != SubjectType.SUPPLIER
                )
            ).all(),
            key=repr,
        )
    return {"forecasts": forecasts, "promises": promises, "allocations": allocations, "alerts": alerts}


@pytest.mark.slow  # 20 sweeps, each waiting for the posts in flight: about 15-30 s on a busy box
def test_sweeps_raced_by_posts_all_succeed_and_store_what_the_final_data_gives(postgres_db: Database) -> None:
    db = postgres_db
    world = small_world(db)
    # One supplier planner per line posts (or corrects) a day's output every 0.3 s while a buyer
    # sweeps 20 times in a row: every report changes the line's forecast, its item's promises
    # and alerts, the rows the sweep rewrites.
    posters = [
        (world.acme_user, world.line_ids["PO-1/1"], [TODAY - dt.timedelta(days=d) for d in range(5)]),
        (world.acme_user, world.line_ids["PO-1/2"], [TODAY - dt.timedelta(days=d) for d in range(5)]),
        (world.bolt_user, world.line_ids["PO-2/1"], [TODAY]),
    ]
    stop = threading.Event()
    lock = threading.Lock()
    posted: list[int] = []
    failures: list[str] = []

    def post_every_interval(n: int) -> None:
        actor, line_id, days = posters[n]
        i = 0
        while not stop.is_set():
            try:
                post_report(
                    db,
                    actor,
                    line_id,
                    report_date=days[i % len(days)],
                    good_qty=40 + (17 * i + 31 * n) % 90,
                    rejected_qty=i % 3,
                    confirm_correction=True,
                    today=TODAY,
                )
                with lock:
                    posted.append(line_id)
            except Exception as exc:
                with lock:
                    failures.append(f"post {i} to line {line_id}: {type(exc).__name__}: {exc}")
            i += 1
            stop.wait(POST_INTERVAL_S)

    threads = [threading.Thread(target=post_every_interval, args=(n,)) for n in range(len(posters))]
    for thread in threads:
        thread.start()
    swept = 0
    try:
        for n in range(SWEEPS):
            try:
                sweep(db, world.buyer, TODAY)
                swept += 1
            except Exception as exc:
                failures.append(f"sweep {n}: {type(exc).__name__}: {exc}")
    finally:
        stop.set()
        for thread in threads:
            thread.join(timeout=300)

    assert not failures, f"{len(failures)} failed ({swept} sweeps, {len(posted)} posts ok):\n" + "\n".join(
        failures[:10]
    )
    assert swept == SWEEPS
    assert len(posted) >= len(posters) * 2  # the posts did race the sweeps

    # What the race left equals what one more sweep computes from the final data.
    raced = planned_state(db)
    sweep(db, world.buyer, TODAY)
    fresh = planned_state(db)
    assert len(fresh["forecasts"]) == 3
    assert fresh["allocations"]
    for part in ("forecasts", "promises", "allocations", "alerts"):
        assert raced[part] == fresh[part], part


def test_a_post_kept_waiting_too_long_by_a_sweep_is_refused_and_writes_nothing(
    postgres_db: Database, monkeypatch: pytest.MonkeyPatch
) -> None:
    db = postgres_db
    world = small_world(db)
    line_id = world.line_ids["PO-1/2"]
    monkeypatch.setattr(planning.lock, "PLANNING_LOCK_WAIT_SECONDS", 0.5)

    def reports() -> int:
        with db.read() as session:
            return int(
                session.scalar(select(func.count()).where(ProductionReport.po_line_id == line_id)) or 0
            )

    with db.write() as sweeping:
        # A sweep in progress: it holds the planning lock until its transaction ends.
        sweeping.execute(text("SELECT pg_advisory_xact_lock(:k)"), {"k": advisory_key(PLANNING_LOCK)})
        with pytest.raises(ConflictError, match="planning sweep"):
            post_report(db, world.acme_user, line_id, report_date=TODAY, good_qty=30, today=TODAY)
        sweeping.rollback()
    assert reports() == 0

    # The sweep is over: the same post lands, and its recompute with it.
    post_report(db, world.acme_user, line_id, report_date=TODAY, good_qty=30, today=TODAY)
    assert reports() == 1
    with db.read() as session:
        assert session.get_one(LineForecast, line_id).produced == 30


def _locked_elsewhere(db: Database, line_id: int, item_id: int) -> dict[str, bool]:
    """Which of the planning lock (exclusive), the line's row and the item's row another transaction
    could not take at once."""
    held = {}
    for name, statement, params in (
        ("planning", "SELECT NOT pg_try_advisory_xact_lock(:k)", {"k": advisory_key(PLANNING_LOCK)}),
        ("line", "SELECT id FROM po_lines WHERE id = :id FOR NO KEY UPDATE NOWAIT", {"id": line_id}),
        ("item", "SELECT id FROM items WHERE id = :id FOR NO KEY UPDATE NOWAIT", {"id": item_id}),
    ):
        with db.engine.connect() as other:
            try:
                answer = other.execute(text(statement), params).scalar()
                # The planning statement says whether it is held; a row's says nothing: it was free.
                held[name] = bool(answer) if name == "planning" else False
            except OperationalError as exc:
                assert getattr(exc.orig, "sqlstate", None) == LOCK_NOT_AVAILABLE
                held[name] = True
            other.rollback()
    return held


def test_a_post_takes_the_planning_lock_then_its_line_and_item_and_holds_nothing_while_a_sweep_runs(
    postgres_db: Database,
) -> None:
    db = postgres_db
    world = small_world(db)
    line_id = world.line_ids["PO-1/2"]
    with db.read() as session:
        item_id = int(session.scalar(select(PoLine.item_id).where(PoLine.id == line_id)) or 0)

    # No sweep: one statement holds the planning lock shared, the line and its item.
    with db.write() as posting:
        assert lock_line_to_post(posting, line_id) is True
        assert _locked_elsewhere(db, line_id, item_id) == {"planning": True, "line": True, "item": True}
        posting.rollback()
    assert _locked_elsewhere(db, line_id, item_id) == {"planning": False, "line": False, "item": False}

    # A sweep running: the post waits for it holding neither row, then takes both.
    took: list[bool] = []
    with db.write() as sweeping:
        sweeping.execute(text("SELECT pg_advisory_xact_lock(:k)"), {"k": advisory_key(PLANNING_LOCK)})

        def post_side() -> None:
            with db.write() as posting:
                took.append(lock_line_to_post(posting, line_id))
                took.append(all(_locked_elsewhere(db, line_id, item_id).values()))
                posting.rollback()

        waiting = threading.Thread(target=post_side)
        waiting.start()
        waiting.join(timeout=1.0)
        assert waiting.is_alive() and not took  # it waits for the sweep
        held = _locked_elsewhere(db, line_id, item_id)
        assert (held["line"], held["item"]) == (False, False)
        sweeping.commit()
    waiting.join(timeout=30)
    assert took == [True, True]

    # And a post lands as before once the sweep is over.
    post_report(db, world.acme_user, line_id, report_date=TODAY, good_qty=30, today=TODAY)
    with db.read() as session:
        assert session.get_one(LineForecast, line_id).produced == 30
