"""Purchase-order change orders on SQLite and PostgreSQL: a re-imported line changes, its history
keeps who and when, the supplier gets an alert it can reply to, and forecasts follow at once."""

from __future__ import annotations

import pandas as pd
from sqlalchemy import func, select

from db.engine import Database
from db.models import Alert, LineForecast, PoLine, PoLineChange
from portal.core.domain import AlertRule, AlertStatus, LineStatus
from portal.queries.alerts import AlertFilter, alert_inbox
from portal.queries.line_detail import line_detail
from portal.services.alerts import comment_on_alert
from portal.services.planning import sweep
from tests.builders import POS_CSV, TODAY, load, small_world

RECEIPTS_HEADER = "po_number,line,received_date,quantity,rejected_qty\n"

HEADER = (
    "po_number,line,supplier_code,sku,quantity,order_date,need_by_date,promised_date,transit_days,status\n"
)


def line_row(db: Database, line_id: int) -> PoLine:
    with db.read() as session:
        line = session.get_one(PoLine, line_id)
        session.expunge(line)
        return line


def forecast_of(db: Database, line_id: int) -> LineForecast:
    with db.read() as session:
        forecast = session.get_one(LineForecast, line_id)
        session.expunge(forecast)
        return forecast


def po_changed_alerts(db: Database, line_id: int) -> list[Alert]:
    with db.read() as session:
        alerts = list(
            session.scalars(
                select(Alert).where(Alert.rule == AlertRule.PO_CHANGED.value, Alert.po_line_id == line_id)
            )
        )
        for alert in alerts:
            session.expunge(alert)
        return alerts


def test_a_changed_line_is_updated_with_its_history_an_alert_and_a_new_forecast(db: Database) -> None:
    world = small_world(db)
    line_id = world.line_ids["PO-1/1"]
    before = forecast_of(db, line_id)
    # The buyer needs more, sooner: 1000 -> 1400 units, need-by 2026-03-20 -> 2026-03-16.
    result = load(db, world.buyer, "pos", HEADER + "PO-1,1,ACME,SKU-1,1400,2026-02-01,2026-03-16,,,\n")
    assert result.ok, result.errors
    assert (result.created, result.changed) == (0, 1)
    # E-mail is off here: the change e-mail to ACME (its contact) waits until it is set up.
    assert result.summary() == "0 new purchase-order lines, 1 changed (1 change e-mail to suppliers queued)."

    line = line_row(db, line_id)
    assert (line.quantity, line.need_by_date.isoformat()) == (1400, "2026-03-16")

    detail = line_detail(db, world.acme_user, line_id)
    history = detail.changes.sort_values("field")
    assert history[["field", "old_value", "new_value", "who", "source"]].values.tolist() == [
        ["need_by_date", "2026-03-20", "2026-03-16", "buyer", "pos.csv"],
        ["quantity", "1000", "1400", "buyer", "pos.csv"],
    ]
    assert history["at"].notna().all()
    # The buyer sees the same history on the same page.
    assert len(line_detail(db, world.buyer, line_id).changes) == 2

    # Forecasts follow in the same transaction: more to make means a later finish.
    after = forecast_of(db, line_id)
    assert after.completion_p50 is not None and before.completion_p50 is not None
    assert after.completion_p50 > before.completion_p50
    assert after.remaining == before.remaining + 400

    [alert] = po_changed_alerts(db, line_id)
    assert alert.status is AlertStatus.OPEN and alert.supplier_id == world.acme_id
    assert "need-by moved earlier, 2026-03-20 → 2026-03-16" in alert.message
    assert "quantity raised, 1,000 → 1,400" in alert.message

    # The supplier sees it among its alerts and can reply on it; the other supplier cannot see it.
    mine, total, _ = alert_inbox(db, world.acme_user, AlertFilter(rules=("PO_CHANGED",)))
    assert total == 1 and int(mine.iloc[0]["alert_id"]) == alert.id
    assert comment_on_alert(db, world.acme_user, alert.id, "We can make 1,400 by the 16th.") > 0
    _other, other_total, _ = alert_inbox(db, world.bolt_user, AlertFilter(rules=("PO_CHANGED",)))
    assert other_total == 0

    # A recompute or the sweep finds no condition for it, yet leaves it open: it is an event.
    sweep(db, world.admin, as_of=TODAY)
    [still] = po_changed_alerts(db, line_id)
    assert still.status is AlertStatus.OPEN


def test_a_change_in_the_suppliers_favour_is_kept_without_an_alert(db: Database) -> None:
    world = small_world(db)
    line_id = world.line_ids["PO-1/2"]
    result = load(db, world.buyer, "pos", HEADER + "PO-1,2,ACME,SKU-2,250,,2026-04-03,2026-04-01,4,\n")
    assert result.ok, result.errors
    line = line_row(db, line_id)
    assert (line.quantity, str(line.need_by_date), str(line.promised_date), line.transit_days) == (
        250,
        "2026-04-03",
        "2026-04-01",
        4,
    )
    # An empty order_date keeps the line's order date.
    assert str(line.order_date) == "2026-02-01"
    fields = set(line_detail(db, world.buyer, line_id).changes["field"])
    assert fields == {"quantity", "need_by_date", "promised_date", "transit_days"}
    assert po_changed_alerts(db, line_id) == []


def test_reimporting_an_unchanged_file_changes_nothing(db: Database) -> None:
    world = small_world(db)

    result = load(db, world.buyer, "pos", POS_CSV)
    assert result.ok and (result.created, result.changed) == (0, 0)
    with db.read() as session:
        assert session.scalar(select(func.count()).select_from(PoLineChange)) == 0


def test_a_cancelled_line_leaves_the_open_lines_and_its_alerts_resolve(db: Database) -> None:
    world = small_world(db)
    line_id = world.line_ids["PO-2/1"]
    result = load(db, world.buyer, "pos", HEADER + "PO-2,1,BOLT,SKU-1,800,,2026-04-10,,,cancelled\n")
    assert result.ok, result.errors
    assert line_row(db, line_id).status is LineStatus.CANCELLED
    with db.read() as session:
        live = session.scalar(
            select(func.count())
            .select_from(Alert)
            .where(Alert.po_line_id == line_id, Alert.status != AlertStatus.RESOLVED)
        )
        assert session.get(LineForecast, line_id) is None
    assert live == 0
    [change] = line_detail(db, world.buyer, line_id).changes.to_dict("records")
    assert (change["field"], change["old_value"], change["new_value"]) == ("status", "open", "cancelled")
    # A cancelled line is not changed again.
    again = load(db, world.buyer, "pos", HEADER + "PO-2,1,BOLT,SKU-1,900,,2026-04-10,,,\n")
    assert [(e.row, e.column, e.reason) for e in again.errors] == [
        (2, "line", "is cancelled: a cancelled line cannot be changed")
    ]


def test_received_quantity_is_never_lost_and_every_bad_row_is_reported(db: Database) -> None:
    world = small_world(db)
    receipts = RECEIPTS_HEADER + "PO-1,1,2026-03-05,300,20\n"
    assert load(db, world.buyer, "receipts", receipts).ok
    rows = (
        "PO-1,1,ACME,SKU-1,250,,2026-03-20,,,\n"  # below the 280 good received
        "PO-1,1,ACME,SKU-1,1000,,2026-03-20,,,cancelled\n"  # duplicate key in the file
        "PO-1,2,BOLT,SKU-2,300,,2026-03-27,,,\n"  # another supplier
        "PO-2,1,BOLT,SKU-1,800,,2026-04-10,,,closed\n"  # unknown status
        "PO-9,1,ACME,SKU-1,10,,2026-04-10,,,\n"  # a new line: fine on its own
    )
    result = load(db, world.buyer, "pos", HEADER + rows)
    assert not result.ok
    assert sorted((e.row, e.column) for e in result.errors) == [
        (2, "quantity"),
        (3, "po_number+line"),
        (3, "status"),  # a line with receipts cannot be cancelled either
        (4, "supplier_code"),
        (5, "status"),
    ]
    reasons = {e.row: e.reason for e in result.errors}
    assert reasons[2] == "is below the 280 already received on this line"
    # All or nothing: neither the good new line nor any change was written.
    assert line_row(db, world.line_ids["PO-1/1"]).quantity == 1000
    with db.read() as session:
        assert session.scalar(select(func.count()).select_from(PoLine)) == 3

    cancel = load(db, world.buyer, "pos", HEADER + "PO-1,1,ACME,SKU-1,1000,,2026-03-20,,,cancelled\n")
    [error] = cancel.errors
    assert error.column == "status" and "lower its quantity to 280 instead" in error.reason

    # Lowering the quantity to what was received short-closes the line: it is received.
    short = load(db, world.buyer, "pos", HEADER + "PO-1,1,ACME,SKU-1,280,,2026-03-20,,,\n")
    assert short.ok, short.errors
    assert line_row(db, world.line_ids["PO-1/1"]).status is LineStatus.RECEIVED


def test_a_second_change_reopens_the_suppliers_alert_with_the_latest_change(db: Database) -> None:
    world = small_world(db)
    line_id = world.line_ids["PO-2/1"]
    assert load(db, world.buyer, "pos", HEADER + "PO-2,1,BOLT,SKU-1,900,,2026-04-10,,,\n").ok
    from portal.services.alerts import acknowledge_alerts

    [first] = po_changed_alerts(db, line_id)
    acknowledge_alerts(db, world.buyer, [first.id])
    assert load(db, world.buyer, "pos", HEADER + "PO-2,1,BOLT,SKU-1,900,,2026-04-01,,,\n").ok
    [alert] = po_changed_alerts(db, line_id)
    assert alert.id == first.id and alert.status is AlertStatus.OPEN
    assert "need-by moved earlier, 2026-04-10 → 2026-04-01" in alert.message
    assert len(line_detail(db, world.bolt_user, line_id).changes) == 2


def test_a_change_order_is_in_the_lines_audit_trail_with_who_when_and_what(db: Database) -> None:
    world = small_world(db)
    line_id = world.line_ids["PO-1/1"]
    result = load(db, world.buyer, "pos", HEADER + "PO-1,1,ACME,SKU-1,1400,2026-02-01,2026-03-16,,,\n")
    assert result.ok, result.errors

    # A recorded event after it: the trail holds both, newest first.
    [alert] = po_changed_alerts(db, line_id)
    comment_on_alert(db, world.buyer, alert.id, "Can you make 1,400 by the 16th?")

    audit = line_detail(db, world.buyer, line_id).audit
    assert list(audit["action"]) == ["alert.commented", "line.changed"]
    assert audit["at"].is_monotonic_decreasing
    [event] = audit[audit["action"] == "line.changed"].to_dict("records")
    assert event["who"] == "buyer" and pd.notna(event["at"])
    assert event["before"] == {"quantity": "1000", "need_by_date": "2026-03-20"}
    assert event["after"] == {"quantity": "1400", "need_by_date": "2026-03-16"}
    # A supplier reads the order changes on their own tab, not an audit trail.
    assert line_detail(db, world.acme_user, line_id).audit.empty
