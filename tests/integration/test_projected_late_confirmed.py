"""PROJECTED_LATE far from need-by waits until the line has been late for the days the admin set
(AT_RISK meanwhile), counted from the ``late_since`` its stored forecast keeps, through the sweep and
through a supplier's post alike, on SQLite and PostgreSQL."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import select, update

from db.engine import Database
from db.models import Alert, LineForecast, PoLine
from portal.core.domain import AlertStatus
from portal.services.access import Actor
from portal.services.planning import sweep
from portal.services.production import post_report
from portal.services.settings import update_settings
from tests.builders import TODAY, load, small_world

SYSTEM = Actor.system("test")
THURSDAY = TODAY - dt.timedelta(days=1)
# 2,000 units at 20 a day from 2 March: done in July, need-by 17 April (42 days after TODAY).
LATE_LINE = (
    "po_number,line,supplier_code,sku,quantity,order_date,need_by_date\n"
    "PO-L,1,ACME,SKU-1,2000,2026-02-02,2026-04-17\n"
)
LATE_SCHEDULE = (
    "po_number,line,start_date,daily_output,estimated_end_date,reason\nPO-L,1,2026-03-02,20,2026-07-24,\n"
)


def line_id(db: Database) -> int:
    with db.read() as session:
        return int(session.scalars(select(PoLine.id).where(PoLine.po_number == "PO-L")).one())


def open_rules(db: Database) -> set[str]:
    """The rules of PO-L/1's alerts not resolved."""
    line = line_id(db)
    with db.read() as session:
        return set(
            session.scalars(
                select(Alert.rule).where(Alert.po_line_id == line, Alert.status != AlertStatus.RESOLVED)
            )
        )


def late_since(db: Database) -> dt.date | None:
    """PO-L/1's stored forecast's late_since."""
    with db.read() as session:
        return session.scalars(
            select(LineForecast.late_since).where(LineForecast.po_line_id == line_id(db))
        ).one()


def late_world(db: Database, held_days: int = 1) -> tuple[Actor, Actor]:
    world = small_world(db)
    update_settings(db, world.admin, {"projected_late_held_days": held_days})
    assert load(db, world.buyer, "pos", LATE_LINE).ok
    assert load(db, SYSTEM, "schedules", LATE_SCHEDULE).ok
    return world.admin, world.acme_user


def test_a_late_line_far_from_need_by_is_at_risk_until_a_sweep_on_a_later_day_confirms_it(
    db: Database,
) -> None:
    admin, _ = late_world(db)
    sweep(db, admin, THURSDAY)
    assert "AT_RISK" in open_rules(db) and "PROJECTED_LATE" not in open_rules(db)
    sweep(db, admin, THURSDAY)  # the same day again: nothing new, not confirmed
    assert "PROJECTED_LATE" not in open_rules(db)
    sweep(db, admin, TODAY)
    assert "PROJECTED_LATE" in open_rules(db) and "AT_RISK" not in open_rules(db)
    sweep(db, admin, TODAY)  # a second sweep of the day keeps it (the alert is raised)
    assert "PROJECTED_LATE" in open_rules(db)


def test_a_post_on_the_next_day_confirms_it_as_the_sweep_would(db: Database) -> None:
    admin, acme = late_world(db)
    sweep(db, admin, THURSDAY)
    assert "PROJECTED_LATE" not in open_rules(db)
    post_report(db, acme, line_id(db), report_date=TODAY, good_qty=20, rejected_qty=0, today=TODAY)
    assert "PROJECTED_LATE" in open_rules(db) and "AT_RISK" not in open_rules(db)


def test_late_for_a_week_confirms_it_whether_swept_daily_or_weekly(db: Database) -> None:
    admin, _ = late_world(db, held_days=7)
    sweep(db, admin, THURSDAY)
    assert late_since(db) == THURSDAY
    for day in (TODAY, THURSDAY + dt.timedelta(days=6)):  # nightly sweeps: the count goes on
        sweep(db, admin, day)
        assert late_since(db) == THURSDAY
        assert "AT_RISK" in open_rules(db) and "PROJECTED_LATE" not in open_rules(db)
    sweep(db, admin, THURSDAY + dt.timedelta(days=7))  # a week late: raised, as a weekly sweep would
    assert late_since(db) == THURSDAY
    assert "PROJECTED_LATE" in open_rules(db) and "AT_RISK" not in open_rules(db)


def test_a_post_keeps_the_late_since_a_sweep_keeps_and_confirms_on_the_same_day(db: Database) -> None:
    admin, acme = late_world(db, held_days=7)
    sweep(db, admin, THURSDAY)
    post_report(db, acme, line_id(db), report_date=TODAY, good_qty=20, rejected_qty=0, today=TODAY)
    after_post = late_since(db)
    sweep(db, admin, TODAY)
    assert after_post == late_since(db) == THURSDAY
    assert "PROJECTED_LATE" not in open_rules(db)
    week_later = THURSDAY + dt.timedelta(days=7)
    post_report(db, acme, line_id(db), report_date=week_later, good_qty=20, rejected_qty=0, today=week_later)
    assert late_since(db) == THURSDAY
    assert "PROJECTED_LATE" in open_rules(db) and "AT_RISK" not in open_rules(db)


def test_a_line_no_longer_late_starts_its_count_again(db: Database) -> None:
    admin, _ = late_world(db, held_days=7)
    sweep(db, admin, THURSDAY)
    with db.write.begin() as session:  # need-by moved past the forecast: on time, no late_since
        session.execute(
            update(PoLine).where(PoLine.id == line_id(db)).values(need_by_date=dt.date(2026, 12, 1))
        )
    sweep(db, admin, TODAY)
    assert late_since(db) is None
    with db.write.begin() as session:
        session.execute(
            update(PoLine).where(PoLine.id == line_id(db)).values(need_by_date=dt.date(2026, 4, 17))
        )
    sweep(db, admin, THURSDAY + dt.timedelta(days=7))
    assert late_since(db) == THURSDAY + dt.timedelta(days=7)
    assert "PROJECTED_LATE" not in open_rules(db)


# 200 units at 20 a day from Monday 2 March: on time for need-by 17 April, unless nothing is made.
ON_TIME_LINE = (
    "po_number,line,supplier_code,sku,quantity,order_date,need_by_date\n"
    "PO-L,1,ACME,SKU-1,200,2026-02-02,2026-04-17\n"
)
ON_TIME_SCHEDULE = (
    "po_number,line,start_date,daily_output,estimated_end_date,reason\nPO-L,1,2026-03-02,20,2026-03-13,\n"
)


def test_a_stalled_line_far_from_need_by_waits_as_a_late_one_through_a_post_and_the_sweep(
    db: Database,
) -> None:
    world = small_world(db)
    update_settings(db, world.admin, {"projected_late_held_days": 7})
    assert load(db, world.buyer, "pos", ON_TIME_LINE).ok
    assert load(db, SYSTEM, "schedules", ON_TIME_SCHEDULE).ok
    for day in range(2, 7):  # Monday 2 to Friday 6 March (TODAY): nothing made, five reported days
        posted = dt.date(2026, 3, day)
        post_report(
            db, world.acme_user, line_id(db), report_date=posted, good_qty=0, rejected_qty=0, today=posted
        )
    # Stalled since the fifth day, 42 days before need-by: counted, not raised yet.
    assert late_since(db) == TODAY
    assert "PROJECTED_LATE" not in open_rules(db)
    sweep(db, world.admin, TODAY)
    assert late_since(db) == TODAY and "PROJECTED_LATE" not in open_rules(db)
    sweep(db, world.admin, TODAY + dt.timedelta(days=7))  # stalled for a week: raised
    assert late_since(db) == TODAY
    assert "PROJECTED_LATE" in open_rules(db)
