"""The planning engine on a database: sweep, forecasts, promises, alert lifecycle, incremental recompute."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import select

from db.engine import Database
from db.models import Alert, Backorder, BackorderAllocation, LineForecast
from portal.core.domain import AlertStatus
from portal.services.access import Actor
from portal.services.alerts import acknowledge_alerts, snooze_alerts
from portal.services.planning import sweep
from tests.builders import TODAY, load, small_world

SYSTEM = Actor.system("test")


def forecast_of(db: Database, line_id: int) -> LineForecast:
    with db.read() as session:
        return session.get_one(LineForecast, line_id)


def live_alerts(db: Database) -> dict[tuple[str, str], Alert]:
    with db.read() as session:
        alerts = session.scalars(select(Alert).where(Alert.status != AlertStatus.RESOLVED)).all()
    return {(a.rule, a.subject_key): a for a in alerts}


def test_the_sweep_stores_the_domain_forecast_for_each_open_line(db: Database) -> None:
    world = small_world(db)
    result = sweep(db, SYSTEM, TODAY)
    assert result.lines == 3
    fc = forecast_of(db, world.line_ids["PO-1/1"])
    # DOMAIN's worked example: 500 of 1,000 at 100/day by Fri 6 March -> Fri 13 March, +3 transit
    assert (fc.produced, fc.remaining, fc.completion_p50, fc.arrival_p50) == (
        500,
        500,
        dt.date(2026, 3, 13),
        dt.date(2026, 3, 16),
    )
    assert fc.arrival_p90 is not None and fc.arrival_p50 is not None
    assert fc.arrival_p90 >= fc.arrival_p50


def test_backorders_get_promises_from_lines_with_priority_first(db: Database) -> None:
    small_world(db)
    sweep(db, SYSTEM, TODAY)
    with db.read() as session:
        promises = {
            b.order_ref: (b.promise_status, b.promise_date) for b in session.scalars(select(Backorder))
        }
        allocations = session.execute(
            select(BackorderAllocation.backorder_id, BackorderAllocation.quantity)
        ).all()
    # SO-2 (priority 1) is served before SO-1; both from PO-1/1 (1,000 of SKU-1, no stock)
    assert promises["SO-2"][0] == "promised" and promises["SO-1"][0] == "promised"
    (_, so2_date), (_, so1_date) = promises["SO-2"], promises["SO-1"]
    assert so2_date is not None and so1_date is not None and so2_date <= so1_date
    assert sum(q for _, q in allocations) == 70


LATER = dt.date(2026, 3, 11)  # PO-2/1 was planned to start Mon 9 March and has no output


def test_alerts_are_updated_not_duplicated_across_sweeps(db: Database) -> None:
    world = small_world(db)
    sweep(db, SYSTEM, LATER)
    first = live_alerts(db)
    assert ("LATE_START", f"line:{world.line_ids['PO-2/1']}") in first
    assert ("PROMISE_SLIPPED", "backorder:2") in first
    again = sweep(db, SYSTEM, LATER)
    assert again.alerts_opened == 0
    second = live_alerts(db)
    assert {k: a.id for k, a in second.items()} == {k: a.id for k, a in first.items()}
    assert all(second[k].last_seen >= first[k].last_seen for k in first)


def test_an_alert_resolves_when_its_condition_clears_and_a_new_one_opens_when_it_returns(
    db: Database,
) -> None:
    world = small_world(db)
    line = world.line_ids["PO-2/1"]
    # PO-2/1 (BOLT, plan starts Mon 9 March): as of 11 March nothing reported -> LATE_START
    sweep(db, SYSTEM, dt.date(2026, 3, 11))
    key = ("LATE_START", f"line:{line}")
    opened = live_alerts(db)[key]
    load(
        db,
        SYSTEM,
        "reports",
        "po_number,line,date,good_qty\nPO-2,1,2026-03-10,80\n",
        today=dt.date(2026, 3, 11),
    )
    sweep(db, SYSTEM, dt.date(2026, 3, 11))
    assert key not in live_alerts(db)
    with db.read() as session:
        assert session.get_one(Alert, opened.id).status is AlertStatus.RESOLVED


def test_acknowledged_and_snoozed_alerts_keep_their_state_while_the_condition_holds(db: Database) -> None:
    world = small_world(db)
    sweep(db, SYSTEM, LATER)
    alerts = live_alerts(db)
    ack = alerts[("LATE_START", f"line:{world.line_ids['PO-2/1']}")]
    snooze = alerts[("PROMISE_SLIPPED", "backorder:2")]
    acknowledge_alerts(db, world.buyer, [ack.id])
    snooze_alerts(db, world.buyer, [snooze.id], LATER + dt.timedelta(days=7), today=LATER)
    sweep(db, SYSTEM, LATER)
    with db.read() as session:
        assert session.get_one(Alert, ack.id).status is AlertStatus.ACKNOWLEDGED
        assert session.get_one(Alert, snooze.id).snoozed_until == LATER + dt.timedelta(days=7)


def test_an_import_of_reports_recomputes_the_line_at_once(db: Database) -> None:
    world = small_world(db)
    line = world.line_ids["PO-1/1"]
    before = forecast_of(db, line)
    load(db, SYSTEM, "reports", "po_number,line,date,good_qty\nPO-1,1,2026-03-06,400\n")
    after = forecast_of(db, line)
    assert after.produced == before.produced + 300
    assert after.completion_p50 is not None and before.completion_p50 is not None
    assert after.completion_p50 < before.completion_p50


def test_a_report_recompute_touches_only_its_scope(db: Database) -> None:
    world = small_world(db)
    sweep(db, SYSTEM, LATER)
    bolt_keys = {k for k in live_alerts(db) if k[1] == f"line:{world.line_ids['PO-2/1']}"}
    assert bolt_keys
    load(db, SYSTEM, "reports", "po_number,line,date,good_qty\nPO-1,1,2026-03-09,90\n", today=LATER)
    assert bolt_keys <= set(live_alerts(db))
