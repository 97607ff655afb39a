"""A sweep as of a past day sees only what was known on that day, on SQLite and PostgreSQL."""

from __future__ import annotations

import datetime as dt

from db.engine import Database
from db.models import Alert, Backorder, SupplierStats
from portal.core.domain import AlertStatus
from portal.services.access import Actor
from portal.services.planning import sweep
from tests.builders import TODAY, load, load_files, small_world
from tests.integration.db_state import PLANNED, stored_rows

SYSTEM = Actor.system("test")
LATER = dt.date(2026, 4, 15)

# History known on TODAY: a partial receipt of PO-1/2.
KNOWN_RECEIPTS = "po_number,line,received_date,quantity,rejected_qty\nPO-1,2,2026-03-03,100,0\n"
# What happened after TODAY: more output, lines delivered (one late, one completing PO-1/2),
# a new line and a new backorder.
FUTURE_REPORTS = "po_number,line,date,good_qty,rejected_qty,note\n" + "".join(
    f"PO-1,1,2026-03-{day:02d},40,9,\n" for day in (9, 10, 11, 12, 13, 16, 17, 18, 19, 20)
)
FUTURE_RECEIPTS = (
    "po_number,line,received_date,quantity,rejected_qty\nPO-1,2,2026-04-02,200,0\nPO-1,1,2026-04-10,1000,0\n"
)
FUTURE_POS = (
    "po_number,line,supplier_code,sku,quantity,order_date,need_by_date,promised_date,transit_days\n"
    "PO-9,1,ACME,SKU-1,500,2026-03-20,2026-05-01,,\n"
)
FUTURE_BACKORDERS = (
    "order_ref,customer,sku,quantity,order_date,priority,communicated_date\nSO-9,Cy,SKU-1,30,2026-03-25,5,\n"
)


#: Forecasts, supplier statistics, promises and alerts: what a sweep stores from what it knows.
SWEPT = {
    "forecasts": PLANNED["forecasts"],
    "stats": (
        SupplierStats.supplier_id,
        SupplierStats.buffer_days,
        SupplierStats.deliveries,
        SupplierStats.median_lead_time_days,
        SupplierStats.observed_capacity_p90,
    ),
    "promises": (Backorder.order_ref, Backorder.promise_date, Backorder.promise_status),
    "alerts": (Alert.rule, Alert.subject_key, Alert.severity, Alert.message),
}
#: The backorders known on TODAY, the alerts not resolved.
KNOWN = {
    "promises": Backorder.order_ref.in_({"SO-1", "SO-2"}),
    "alerts": Alert.status != AlertStatus.RESOLVED,
}


def test_a_past_sweep_is_not_changed_by_what_happened_after_its_day(db: Database) -> None:
    world = small_world(db)
    assert load(db, SYSTEM, "receipts", KNOWN_RECEIPTS).ok
    sweep(db, world.buyer, TODAY)
    before = stored_rows(db, SWEPT, where=KNOWN)
    assert before["forecasts"] and before["promises"]

    future = [("reports", FUTURE_REPORTS), ("pos", FUTURE_POS), ("backorders", FUTURE_BACKORDERS)]
    load_files(db, SYSTEM, [*future, ("receipts", FUTURE_RECEIPTS)], today=LATER)
    sweep(db, world.buyer, LATER)  # the present moves on: buffers learnt, lines received
    assert stored_rows(db, SWEPT, where=KNOWN) != before

    sweep(db, world.buyer, TODAY)
    assert stored_rows(db, SWEPT, where=KNOWN) == before


def test_the_receipts_of_open_lines_are_those_of_every_line_open_on_the_day(db: Database) -> None:
    from portal.services.planning.loaders import load_open_lines, load_receipts

    small_world(db)
    load_files(db, SYSTEM, [("receipts", KNOWN_RECEIPTS), ("receipts", FUTURE_RECEIPTS)], today=LATER)
    for day in (TODAY, dt.date(2026, 4, 5), LATER):
        with db.read() as session:
            open_ids = load_open_lines(session, as_of=day)["line_id"].astype(int).tolist()
            every = load_receipts(session, None, day)
            lean = load_receipts(session, None, day, open_lines_only=True)
        wanted = every[every["po_line_id"].isin(open_ids)]
        assert sorted(map(tuple, lean[lean["po_line_id"].isin(open_ids)].astype(str).to_numpy())) == sorted(
            map(tuple, wanted.astype(str).to_numpy())
        )
        assert len(lean) <= len(every)
    # On TODAY PO-1/2 was still open (received in full on 2 April): its receipt of 3 March counts.
    with db.read() as session:
        assert len(load_receipts(session, None, TODAY, open_lines_only=True)) == 1
        assert len(load_receipts(session, None, LATER, open_lines_only=True)) == 0
