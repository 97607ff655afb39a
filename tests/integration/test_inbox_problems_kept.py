"""The inbox's problems kept by the writes (portal.services.planning.problems) say what grouping the
live alerts says, after every kind of write that changes alerts or the orders waiting on them, on
SQLite and PostgreSQL; and where they cannot (a snooze ended since, never built), the inbox groups
the alerts live."""

from __future__ import annotations

import datetime as dt

import pandas as pd
from sqlalchemy import delete, select, text, update

from db.engine import Database
from db.models import Alert, Backorder, BackorderAllocation, InboxProblem, PoLine, Setting, User
from portal.core.domain import AlertStatus, BackorderStatus
from portal.queries.alerts import AlertFilter, alert_problems
from portal.services.access import Actor
from portal.services.alerts import acknowledge_alerts, resolve_alerts, snooze_alerts, unsnooze_alerts
from portal.services.auth import actor_for
from portal.services.backorders import mark_promises_communicated
from portal.services.planning import sweep
from portal.services.planning.problems import COMPLETE, problems_usable
from portal.services.planning.shard import Shard
from portal.services.production import post_report
from portal.services.settings import update_settings
from tests.integration.conftest import DEMO_TODAY

TODAY = DEMO_TODAY
SYSTEM = Actor.system("test")


def _user(db: Database, **where: object) -> Actor:
    with db.read() as session:
        stmt = select(User).filter_by(**where).order_by(User.id).limit(1)
        return actor_for(session.scalars(stmt).one())


def _usable(db: Database, today: dt.date) -> bool:
    with db.read() as session:
        return problems_usable(session, today)


def assert_kept_is_live(db: Database, actor: Actor, today: dt.date = TODAY) -> pd.DataFrame:
    """Every page, total and count read through the kept problems equals the live grouping's."""
    assert _usable(db, today)
    for limit, offset in ((100_000, 0), (7, 0), (7, 12)):
        kept = alert_problems(db, actor, today=today, limit=limit, offset=offset)
        live = alert_problems(db, actor, today=today, limit=limit, offset=offset, kept=False)
        pd.testing.assert_frame_equal(kept.rows, live.rows)
        assert (kept.total, kept.new, kept.alerts, kept.by_severity) == (
            live.total,
            live.new,
            live.alerts,
            live.by_severity,
        )
    return alert_problems(db, actor, today=today, limit=100_000).rows


def test_the_kept_problems_follow_actions_posts_promises_told_and_sweeps(demo: Database) -> None:
    buyer = _user(demo, username="buyer")
    rows = assert_kept_is_live(demo, buyer)
    assert len(rows) >= 20

    # People's actions: the top problem resolved, the next acknowledged, the third snoozed.
    resolve_alerts(demo, buyer, rows.loc[0, "alert_ids"])
    acknowledge_alerts(demo, buyer, rows.loc[1, "alert_ids"])
    snoozed = rows.loc[2, "subject_key"]
    snooze_alerts(demo, buyer, rows.loc[2, "alert_ids"], until=TODAY + dt.timedelta(days=3), today=TODAY)
    after = assert_kept_is_live(demo, buyer)
    assert rows.loc[0, "subject_key"] not in set(after["subject_key"])
    assert snoozed not in set(after["subject_key"])
    # The day the snooze ends, the kept rows no longer say what the alerts say: the inbox groups live.
    assert not _usable(demo, TODAY + dt.timedelta(days=3))
    shown = alert_problems(demo, buyer, today=TODAY + dt.timedelta(days=3), limit=100_000).rows
    assert snoozed in set(shown["subject_key"])
    unsnooze_alerts(demo, buyer, rows.loc[2, "alert_ids"])
    assert snoozed in set(assert_kept_is_live(demo, buyer)["subject_key"])

    # A supplier's post on a line with live alerts and orders waiting on its item.
    with demo.read() as session:
        line = session.execute(
            select(PoLine.id, PoLine.supplier_id)
            .join(Alert, Alert.po_line_id == PoLine.id)
            .join(User, User.supplier_id == PoLine.supplier_id)
            .join(Backorder, Backorder.item_id == PoLine.item_id)
            .where(Alert.status != AlertStatus.RESOLVED, Backorder.status == BackorderStatus.WAITING)
            .order_by(PoLine.id)
            .limit(1)
        ).one()
    supplier = _user(demo, supplier_id=line.supplier_id)
    post_report(demo, supplier, line.id, report_date=TODAY, good_qty=900, rejected_qty=3, today=TODAY)
    assert_kept_is_live(demo, buyer)

    # Promises told to customers: their slip weighs in the impact.
    with demo.read() as session:
        told = session.scalars(
            select(Backorder.id)
            .where(Backorder.status == BackorderStatus.WAITING, Backorder.promise_date.is_not(None))
            .order_by(Backorder.id)
            .limit(5)
        ).all()
    assert mark_promises_communicated(demo, buyer, told, today=TODAY) > 0
    assert_kept_is_live(demo, buyer)

    # A sweep in two shards, then one over everything, a week on.
    later = TODAY + dt.timedelta(days=7)
    sweep(demo, SYSTEM, as_of=later, shard=Shard(1, 2))
    sweep(demo, SYSTEM, as_of=later, shard=Shard(2, 2))
    assert_kept_is_live(demo, buyer, later)
    sweep(demo, SYSTEM, as_of=later)
    assert_kept_is_live(demo, buyer, later)


def test_until_a_sweep_builds_them_the_inbox_groups_the_live_alerts(demo: Database) -> None:
    buyer = _user(demo, username="buyer")
    with demo.write() as session:  # as a database just migrated to 0022
        session.execute(delete(InboxProblem))
        session.execute(delete(Setting).where(Setting.key == COMPLETE))
        session.commit()
    assert not _usable(demo, TODAY)
    live = alert_problems(demo, buyer, today=TODAY, limit=100_000, kept=False)
    assert len(live.rows) > 0
    pd.testing.assert_frame_equal(alert_problems(demo, buyer, today=TODAY, limit=100_000).rows, live.rows)
    sweep(demo, SYSTEM, as_of=TODAY)
    assert_kept_is_live(demo, buyer)


def test_a_filtered_inbox_and_a_supplier_user_group_the_live_alerts(demo: Database) -> None:
    """Kept rows serve only the default inbox of staff: under a filter a problem is what its matching
    alerts make it, and a supplier user sees no orders' impact."""
    buyer = _user(demo, username="buyer")
    rows = assert_kept_is_live(demo, buyer)
    with demo.write() as session:  # a kept row made wrong on purpose: a filtered read must not use it
        session.execute(update(InboxProblem).values(impact=-1.0))
        session.commit()
    assert (alert_problems(demo, buyer, today=TODAY, limit=100_000).rows["impact"] == -1.0).all()
    critical = alert_problems(demo, buyer, AlertFilter(severities=("critical",)), today=TODAY, limit=100_000)
    assert (critical.rows["impact"] >= 0).all()
    assert set(critical.rows["subject_key"]) <= set(rows["subject_key"])
    with demo.read() as session:
        supplier_id = session.scalars(select(User.supplier_id).where(User.supplier_id.is_not(None))).first()
    supplier = _user(demo, supplier_id=supplier_id)
    own = alert_problems(demo, supplier, today=TODAY, limit=100_000).rows
    assert len(own) > 0
    assert (own["impact"] == 0).all()


def test_a_sweep_that_rebuilds_rewrites_only_the_rows_that_changed_and_drops_the_ones_left_without_alerts(
    demo: Database,
) -> None:
    buyer = _user(demo, username="buyer")
    with demo.read() as session:
        keys = session.scalars(select(InboxProblem.subject_key).order_by(InboxProblem.subject_key)).all()
    assert len(keys) >= 3
    wrong, gone = keys[0], "line:999999"
    with demo.write() as session:  # one row gone wrong, one for a subject without alerts
        session.execute(update(InboxProblem).where(InboxProblem.subject_key == wrong).values(impact=-1.0))
        session.add(
            InboxProblem(
                subject_key=gone, rank=3, days_late=9, alerts=1, customers=0.0, waiting_orders=0, impact=0.0
            )
        )
        session.commit()
    postgres = demo.engine.dialect.name == "postgresql"
    versions = "SELECT subject_key, xmin::text FROM inbox_problems"
    with demo.engine.connect() as conn:
        before: dict[str, str] = {str(k): str(v) for k, v in conn.execute(text(versions))} if postgres else {}
    assert sweep(demo, SYSTEM, as_of=TODAY, verify=True).problems == "rebuilt"  # a check: every row
    with demo.read() as session:
        assert session.get(InboxProblem, gone) is None
        fixed = session.get(InboxProblem, wrong)
        assert fixed is not None and fixed.impact >= 0
    if postgres:  # the rows that were right are the very same row versions: not written again
        with demo.engine.connect() as conn:
            after: dict[str, str] = {str(k): str(v) for k, v in conn.execute(text(versions))}
        assert after[wrong] != before[wrong]
        assert [k for k in after if after[k] != before[k]] == [wrong]
    assert_kept_is_live(demo, buyer)


def _rows(db: Database) -> dict[str, tuple[object, ...]]:
    with db.read() as session:
        rows = session.execute(select(*InboxProblem.__table__.columns)).all()
        return {str(r.subject_key): tuple(r) for r in rows}


def test_a_later_sweep_of_the_day_keeps_only_the_subjects_it_wrote_and_the_next_day_rebuilds(
    demo: Database,
) -> None:
    """The day's first sweep builds every row; a later one of the same day refreshes what it wrote
    alerts or promises for (here: the admin's stricter stale-update rule and 5 more days of safety
    buffer, which moves promises already told to customers), so the rows
    still say what the alerts say; a row gone wrong elsewhere stays until the next day's first
    sweep (or a check) rebuilds them all."""
    buyer = _user(demo, username="buyer")
    with demo.read() as session:  # promises told: a later promise weighs on the lines they wait on
        told = session.scalars(
            select(Backorder.id).where(
                Backorder.status == BackorderStatus.WAITING, Backorder.promise_date.is_not(None)
            )
        ).all()
    assert mark_promises_communicated(demo, buyer, told, today=TODAY) > 0
    assert sweep(demo, SYSTEM, as_of=TODAY).problems == "refreshed"  # the fixture's sweep built them
    before = _rows(demo)
    update_settings(demo, SYSTEM, {"stale_update_days": 1, "safety_buffer_days": 5})
    result = sweep(demo, SYSTEM, as_of=TODAY)
    assert result.problems == "refreshed"
    assert result.subjects_changed is not None
    after = _rows(demo)
    changed = {k for k in set(before) | set(after) if before.get(k) != after.get(k)}
    assert changed and changed <= result.subjects_changed
    assert_kept_is_live(demo, buyer)

    untouched = sorted(set(after) - result.subjects_changed)[0]
    with demo.write() as session:
        session.execute(update(InboxProblem).where(InboxProblem.subject_key == untouched).values(impact=-1.0))
        session.commit()
    steady = sweep(demo, SYSTEM, as_of=TODAY)
    assert (steady.problems, steady.subjects_changed) == ("refreshed", set())
    with demo.read() as session:
        kept = session.get(InboxProblem, untouched)
        assert kept is not None and kept.impact == -1.0  # nothing written for it: not read again

    later = TODAY + dt.timedelta(days=1)
    assert sweep(demo, SYSTEM, as_of=later).problems == "rebuilt"
    with demo.read() as session:
        fixed = session.get(InboxProblem, untouched)
        assert fixed is None or fixed.impact >= 0
    assert_kept_is_live(demo, buyer, later)


def test_a_sweep_names_the_orders_whose_promise_or_allocations_it_wrote_and_their_lines(
    demo: Database,
) -> None:
    """What the sweep's promise step wrote reaches the inbox rows: the order's own subject and the
    lines it waits on (before and after), whether its date or its allocations were written."""
    with demo.read() as session:
        moved, line = session.execute(
            select(BackorderAllocation.backorder_id, BackorderAllocation.po_line_id)
            .join(Backorder, Backorder.id == BackorderAllocation.backorder_id)
            .where(Backorder.status == BackorderStatus.WAITING, BackorderAllocation.po_line_id.is_not(None))
            .order_by(BackorderAllocation.backorder_id)
            .limit(1)
        ).one()
        reallocated = session.scalars(
            select(BackorderAllocation.backorder_id)
            .where(BackorderAllocation.backorder_id > moved, BackorderAllocation.po_line_id.is_not(None))
            .order_by(BackorderAllocation.backorder_id)
            .limit(1)
        ).one()
        its_lines = session.scalars(
            select(BackorderAllocation.po_line_id).where(BackorderAllocation.backorder_id == reallocated)
        ).all()
    with demo.write() as session:  # as if stored by an older run: the sweep writes them again
        promise = dt.date(2030, 1, 1)
        session.execute(update(Backorder).where(Backorder.id == moved).values(promise_date=promise))
        session.execute(delete(BackorderAllocation).where(BackorderAllocation.backorder_id == reallocated))
        session.commit()
    result = sweep(demo, SYSTEM, as_of=TODAY)
    assert result.problems == "refreshed"
    assert result.subjects_changed is not None
    assert {f"backorder:{moved}", f"line:{line}", f"backorder:{reallocated}"} <= result.subjects_changed
    assert {f"line:{i}" for i in its_lines if i is not None} <= result.subjects_changed
    assert_kept_is_live(demo, _user(demo, username="buyer"))
