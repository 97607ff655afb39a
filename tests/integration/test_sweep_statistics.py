"""A sweep reads the supplier statistics back only while what they are learned from is unchanged:
any change of their inputs makes the next sweep learn them again, on SQLite and PostgreSQL."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable

import pandas as pd
import pytest
from sqlalchemy import select, update

from db.engine import Database
from db.models import PoLine, Receipt, Supplier, SupplierClosure, SupplierStats
from portal.services.access import Actor
from portal.services.planning import sweep
from portal.services.planning.pipeline import supplier_statistics
from portal.services.planning.shard import Shard
from portal.services.planning.stats_inputs import statistics_fingerprint
from portal.services.settings import load_settings, update_settings
from tests.builders import TODAY, SmallWorld, load, small_world

SYSTEM = Actor.system("test")
AS_OF = TODAY + dt.timedelta(days=4)  # Tuesday 10 March: after every change below

RECEIPTS = (
    "po_number,line,received_date,quantity,rejected_qty\n"
    "PO-1,2,2026-03-03,100,0\n"
    "PO-1,2,2026-03-05,200,0\n"
    "PO-2,1,2026-03-04,300,10\n"
)


def stored(db: Database) -> pd.DataFrame:
    """Every supplier's stored statistics (without their timestamp and fingerprint), by supplier."""
    table = SupplierStats.__table__
    columns = [c for c in table.columns if c.name not in ("computed_at", "inputs_fingerprint")]
    with db.read() as session:
        rows = session.execute(select(*columns).order_by(SupplierStats.supplier_id)).all()
    return pd.DataFrame([tuple(r) for r in rows], columns=[c.name for c in columns]).astype(
        {"supplier_id": "int64"}
    )


def learned_now(db: Database, as_of: dt.date) -> pd.DataFrame:
    """What learning the statistics from scratch gives on ``as_of``, in :func:`stored`'s form."""
    with db.read() as session:
        stats = supplier_statistics(session, load_settings(session), as_of)
    frame = stats.astype({"supplier_id": "int64"}).sort_values("supplier_id").reset_index(drop=True)
    return frame.astype(object).where(frame.notna(), None)[list(stored_columns())]


def stored_columns() -> list[str]:
    return [
        c.name for c in SupplierStats.__table__.columns if c.name not in ("computed_at", "inputs_fingerprint")
    ]


def assert_learned(db: Database, as_of: dt.date) -> None:
    """The stored statistics are exactly what learning them from scratch gives now."""
    now = stored(db)
    pd.testing.assert_frame_equal(now.astype(object).where(now.notna(), None), learned_now(db, as_of))


def fingerprint(db: Database, as_of: dt.date) -> str:
    with db.read() as session:
        return statistics_fingerprint(session, load_settings(session), as_of)


def test_a_sweep_over_unchanged_inputs_reads_the_statistics_back_as_they_were_learned(db: Database) -> None:
    world = small_world(db)
    assert load(db, SYSTEM, "receipts", RECEIPTS, today=AS_OF).ok
    first = sweep(db, world.buyer, AS_OF)
    assert not first.statistics_reused
    learned = stored(db)
    again = sweep(db, world.buyer, AS_OF)
    assert again.statistics_reused
    assert again.rows_written["supplier_stats"] == 0
    pd.testing.assert_frame_equal(stored(db), learned)
    assert_learned(db, AS_OF)


def _new_receipt(db: Database, world: SmallWorld) -> None:
    assert load(
        db,
        SYSTEM,
        "receipts",
        "po_number,line,received_date,quantity,rejected_qty\nPO-1,1,2026-03-09,1000,0\n",
        today=AS_OF,
    ).ok


def _receipt_moved(db: Database, world: SmallWorld) -> None:
    # Receipts keep no updated_at: only their values say they changed.
    with db.write() as session:
        receipt = session.scalars(select(Receipt).order_by(Receipt.id).limit(1)).one()
        session.execute(
            update(Receipt).where(Receipt.id == receipt.id).values(received_date=dt.date(2026, 3, 9))
        )
        session.commit()


def _new_reports(db: Database, world: SmallWorld) -> None:
    reports = "po_number,line,date,good_qty,rejected_qty,note\n" + "".join(
        f"PO-2,1,2026-03-{day:02d},20,0,\n" for day in (9, 10)
    )
    assert load(db, SYSTEM, "reports", reports, today=AS_OF).ok


def _corrected_report(db: Database, world: SmallWorld) -> None:
    reports = "po_number,line,date,good_qty,rejected_qty,note\nPO-1,1,2026-03-02,0,0,correction\n"
    result = load(db, SYSTEM, "reports", reports, today=AS_OF)
    assert result.ok, result.errors


def _line_needed_later(db: Database, world: SmallWorld) -> None:
    with db.write() as session:
        session.execute(
            update(PoLine)
            .where(PoLine.id == world.line_ids["PO-1/2"])
            .values(need_by_date=dt.date(2026, 3, 2))
        )
        session.commit()


def _closure(db: Database, world: SmallWorld) -> None:
    with db.write() as session:
        session.add(SupplierClosure(supplier_id=world.acme_id, closure_date=dt.date(2026, 3, 4)))
        session.commit()


def _working_days(db: Database, world: SmallWorld) -> None:
    with db.write() as session:
        session.execute(
            update(Supplier).where(Supplier.id == world.acme_id).values(working_weekdays="1111110")
        )
        session.commit()


def _settings(db: Database, world: SmallWorld) -> None:
    update_settings(db, world.admin, {"buffer_quantile": 0.5})


CHANGES: dict[str, Callable[[Database, SmallWorld], None]] = {
    "a new receipt": _new_receipt,
    "a receipt's date": _receipt_moved,
    "new reports": _new_reports,
    "a corrected report": _corrected_report,
    "a delivered line's need-by date": _line_needed_later,
    "a supplier's closure": _closure,
    "a supplier's working days": _working_days,
    "the settings": _settings,
}


@pytest.mark.parametrize("change", list(CHANGES))
def test_a_change_of_what_the_statistics_are_learned_from_makes_the_next_sweep_learn_them_again(
    db: Database, change: str
) -> None:
    world = small_world(db)
    assert load(db, SYSTEM, "receipts", RECEIPTS, today=AS_OF).ok
    sweep(db, world.buyer, AS_OF)
    assert sweep(db, world.buyer, AS_OF).statistics_reused
    before = fingerprint(db, AS_OF)

    CHANGES[change](db, world)

    assert fingerprint(db, AS_OF) != before
    result = sweep(db, world.buyer, AS_OF)
    assert not result.statistics_reused
    assert_learned(db, AS_OF)
    assert sweep(db, world.buyer, AS_OF).statistics_reused


def test_a_new_receipt_changes_the_suppliers_statistics_at_the_next_sweep(db: Database) -> None:
    world = small_world(db)
    assert load(db, SYSTEM, "receipts", RECEIPTS, today=AS_OF).ok
    sweep(db, world.buyer, AS_OF)
    sweep(db, world.buyer, AS_OF)
    before = stored(db)
    _new_receipt(db, world)  # PO-1/1 delivered in full: one more delivery of ACME's
    sweep(db, world.buyer, AS_OF)
    after = stored(db)
    acme = after["supplier_id"] == world.acme_id
    assert int(after.loc[acme, "deliveries"].iloc[0]) == int(before.loc[acme, "deliveries"].iloc[0]) + 1
    assert_learned(db, AS_OF)


def test_a_sweep_of_another_day_learns_the_statistics_of_its_day(db: Database) -> None:
    world = small_world(db)
    assert load(db, SYSTEM, "receipts", RECEIPTS, today=AS_OF).ok
    sweep(db, world.buyer, AS_OF)
    assert sweep(db, world.buyer, AS_OF).statistics_reused
    # On TODAY the receipts of 3-5 March were not all known yet.
    past = sweep(db, world.buyer, TODAY - dt.timedelta(days=2))
    assert not past.statistics_reused
    assert_learned(db, TODAY - dt.timedelta(days=2))
    assert not sweep(db, world.buyer, AS_OF).statistics_reused
    assert_learned(db, AS_OF)


def test_statistics_a_shard_or_a_check_stored_are_never_read_back(db: Database) -> None:
    world = small_world(db)
    assert load(db, SYSTEM, "receipts", RECEIPTS, today=AS_OF).ok
    sweep(db, world.buyer, AS_OF)
    sweep(db, world.buyer, AS_OF, shard=Shard(1, 2))  # its suppliers' rows: inputs not recorded
    assert not sweep(db, world.buyer, AS_OF).statistics_reused
    checked = sweep(db, world.buyer, AS_OF, verify=True)
    assert not checked.statistics_reused
    assert not sweep(db, world.buyer, AS_OF).statistics_reused
    assert sweep(db, world.buyer, AS_OF).statistics_reused


def test_one_supplier_row_of_other_inputs_makes_the_sweep_learn_them_all_again(db: Database) -> None:
    world = small_world(db)
    assert load(db, SYSTEM, "receipts", RECEIPTS, today=AS_OF).ok
    sweep(db, world.buyer, AS_OF)
    with db.write() as session:
        session.execute(
            update(SupplierStats)
            .where(SupplierStats.supplier_id == world.bolt_id)
            .values(inputs_fingerprint="stale", buffer_days=99)
        )
        session.commit()
    assert not sweep(db, world.buyer, AS_OF).statistics_reused
    assert_learned(db, AS_OF)
