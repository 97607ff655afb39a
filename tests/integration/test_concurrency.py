"""16 writers at once on PostgreSQL: reports and schedule revisions to the same and to different lines.

Nothing may be lost: every call either lands (with its audit event, and its value kept in the
history) or is refused with a ConflictError that says why; never two current reports for one
line and day; and the stored forecasts equal what the final data gives.
"""

from __future__ import annotations

import datetime as dt
import threading
from collections import Counter
from dataclasses import dataclass

import pytest
from sqlalchemy import func, select

from db.models import AuditEvent, LineForecast, ProductionReport, ProductionSchedule
from portal.core.domain import ConflictError
from portal.services.production import post_report, revise_schedule
from tests.builders import TODAY, small_world

pytestmark = pytest.mark.postgres

WRITERS = 16


@dataclass
class Outcome:
    kind: str
    line: str
    value: int
    ok: bool
    error: str = ""


def test_sixteen_concurrent_writers_lose_nothing(postgres_db) -> None:  # type: ignore[no-untyped-def]
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
        post_report(
            db, world.acme_user, po11, report_date=TODAY, good_qty=value, confirm_correction=True, today=TODAY
        )
        record(Outcome("report", "PO-1/1", value, True))

    def post_other_line(i: int) -> None:
        # Four post PO-1/2 and PO-2/1 on different days: different rows, same tables.
        barrier.wait()
        line, actor = (po12, world.acme_user) if i % 2 else (po21, world.bolt_user)
        day = dt.date(2026, 3, 2) + dt.timedelta(days=i // 2)
        post_report(db, actor, line, report_date=day, good_qty=10 + i, confirm_correction=True, today=TODAY)
        record(Outcome("report", "PO-1/2" if i % 2 else "PO-2/1", 10 + i, True))

    def revise(i: int) -> None:
        # Four revise PO-1/1's schedule, each from revision 1 as it stood when they opened the form.
        barrier.wait()
        end = dt.date(2026, 3, 16) + dt.timedelta(days=i)
        try:
            revise_schedule(
                db,
                world.acme_user,
                po11,
                start_date=dt.date(2026, 3, 2),
                daily_output=90,
                estimated_end_date=end,
                reason=f"Writer {i}",
                expected_revision=1,
                today=TODAY,
            )
            record(Outcome("schedule", "PO-1/1", i, True))
        except ConflictError as exc:
            record(Outcome("schedule", "PO-1/1", i, False, str(exc)))

    jobs = (
        [(correct_same_day, i) for i in range(8)]
        + [(post_other_line, i) for i in range(4)]
        + [(revise, i) for i in range(4)]
    )
    assert len(jobs) == WRITERS
    errors: list[BaseException] = []

    def run(job, i) -> None:  # type: ignore[no-untyped-def]
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
