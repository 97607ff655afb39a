"""PROJECTED_LATE far from need-by waits for a sweep on a later day (AT_RISK meanwhile), through the
sweep and through a supplier's post, on SQLite and PostgreSQL."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import select

from db.engine import Database
from db.models import Alert, PoLine
from portal.core.domain import AlertStatus
from portal.services.access import Actor
from portal.services.planning import sweep
from portal.services.production import post_report
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


def late_world(db: Database) -> tuple[Actor, Actor]:
    world = small_world(db)
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
