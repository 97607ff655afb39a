"""Imports on SQLite and PostgreSQL: every row or none, every bad row named, corrections kept."""

from __future__ import annotations

import datetime as dt
from collections.abc import Collection

import pytest
from sqlalchemy import func, select

from db.base import Base
from db.engine import Database
from db.models import Backorder, Item, PoLine, ProductionReport, ProductionSchedule, Supplier, SupplierContact
from portal.core.domain import LineStatus, PermissionDenied
from portal.core.fileformats import TooManyRows
from portal.services.access import Actor
from portal.services.imports import read_upload
from portal.services.production import post_reports
from portal.services.settings import update_settings
from tests.builders import (
    ITEMS_CSV,
    POS_CSV,
    SUPPLIERS_CSV,
    TODAY,
    load,
    small_world,
)

SYSTEM = Actor.system("test")


def count(db: Database, model: type[Base]) -> int:
    with db.read() as session:
        return int(session.scalars(select(func.count()).select_from(model)).one())


def test_suppliers_import_with_contacts(db: Database) -> None:
    result = load(db, SYSTEM, "suppliers", SUPPLIERS_CSV)
    assert result.ok and result.created == 2
    with db.read() as session:
        emails = sorted(session.scalars(select(SupplierContact.email)))
    assert emails == ["boss@bolt.example", "ops@bolt.example", "planner@acme.example"]


def test_a_file_with_one_bad_row_writes_nothing_and_names_the_row(db: Database) -> None:
    load(db, SYSTEM, "suppliers", SUPPLIERS_CSV)
    load(db, SYSTEM, "items", ITEMS_CSV)
    bad = POS_CSV + "PO-3,1,NOPE,SKU-1,10,2026-02-01,2026-03-20,,\n"
    result = load(db, SYSTEM, "pos", bad)
    assert not result.ok
    [error] = result.errors
    assert (error.row, error.column, error.value) == (5, "supplier_code", "NOPE")
    assert "no supplier with this code" in error.reason
    assert count(db, PoLine) == 0


def test_every_reference_problem_is_reported_at_once(db: Database) -> None:
    load(db, SYSTEM, "suppliers", SUPPLIERS_CSV)
    load(db, SYSTEM, "items", ITEMS_CSV)
    bad = (
        POS_CSV
        + "PO-3,1,NOPE,SKU-X,10,2026-02-01,2026-03-20,,\nPO-4,1,ACME,SKU-1,-1,2026-02-01,2026-03-20,,\n"
    )
    result = load(db, SYSTEM, "pos", bad)
    assert sorted((e.row, e.column) for e in result.errors) == [
        (5, "sku"),
        (5, "supplier_code"),
        (6, "quantity"),
    ]


def test_a_duplicate_against_the_database_is_refused(db: Database) -> None:
    load(db, SYSTEM, "suppliers", SUPPLIERS_CSV)
    load(db, SYSTEM, "items", ITEMS_CSV)
    assert load(db, SYSTEM, "pos", POS_CSV).ok
    # A PO line that exists is a change order (tests/integration/test_po_changes.py): unchanged, a no-op.
    again = load(db, SYSTEM, "pos", POS_CSV)
    assert again.ok and (again.created, again.changed) == (0, 0)
    assert count(db, PoLine) == 3
    items_again = load(db, SYSTEM, "items", ITEMS_CSV)
    assert {e.column for e in items_again.errors} == {"sku"}
    assert count(db, Item) == 2


def test_the_small_world_imports_with_forecasts(db: Database) -> None:
    world = small_world(db)
    with db.read() as session:
        status = session.scalar(select(PoLine.status).where(PoLine.id == world.line_ids["PO-1/1"]))
    assert status == LineStatus.IN_PRODUCTION
    assert count(db, Backorder) == 2
    assert count(db, Supplier) == 2


def test_corrections_are_found_and_replaced_across_id_batches(
    db: Database, monkeypatch: pytest.MonkeyPatch
) -> None:
    """One line per ``IN (...)`` batch: the days already reported are still found on every line."""
    from db import frames
    from portal.core.batching import chunked
    from portal.services.imports import reports

    def one_by_one(ids: Collection[int], size: int = 1) -> list[list[int]]:
        return chunked(sorted({int(i) for i in ids}), 1)

    monkeypatch.setattr(frames, "id_chunks", one_by_one)
    monkeypatch.setattr(reports, "id_chunks", one_by_one)
    small_world(db)
    text = "po_number,line,date,good_qty\nPO-1,2,2026-03-06,5\nPO-1,1,2026-03-04,90\nPO-1,1,2026-03-06,80\n"
    result = load(db, SYSTEM, "reports", text)
    assert result.ok and result.corrected == 2 and result.created == 3  # every row is a new current report
    with db.read() as session:
        current = session.execute(
            select(PoLine.line, ProductionReport.report_date, ProductionReport.good_qty)
            .join(PoLine, PoLine.id == ProductionReport.po_line_id)
            .where(ProductionReport.is_current, ProductionReport.report_date >= TODAY.replace(day=4))
            .order_by(PoLine.line, ProductionReport.report_date)
        ).all()
    assert [(line, day.day, qty) for line, day, qty in current] == [
        (1, 4, 90),
        (1, 5, 100),
        (1, 6, 80),
        (2, 6, 5),
    ]


def test_a_report_for_a_day_already_reported_is_a_correction_that_keeps_the_old_one(db: Database) -> None:
    world = small_world(db)
    result = load(db, SYSTEM, "reports", "po_number,line,date,good_qty\nPO-1,1,2026-03-06,80\n")
    assert result.ok and result.corrected == 1
    with db.read() as session:
        rows = session.execute(
            select(ProductionReport.revision, ProductionReport.good_qty, ProductionReport.is_current)
            .where(
                ProductionReport.po_line_id == world.line_ids["PO-1/1"], ProductionReport.report_date == TODAY
            )
            .order_by(ProductionReport.revision)
        ).all()
    assert [tuple(r) for r in rows] == [(1, 100, False), (2, 80, True)]


@pytest.mark.parametrize(
    ("row", "today", "reason"),
    [
        ("PO-1,1,2026-03-09,10", TODAY, "in the future"),
        ("PO-1,1,2026-02-28,10", TODAY, "not a working day"),  # a Saturday
        # Good Friday: a holiday of ACME's country (Germany), a week later.
        ("PO-1,1,2026-04-03,10", TODAY.replace(month=4, day=10), "not a working day"),
        ("PO-9,1,2026-03-05,10", TODAY, "no such PO line"),
    ],
)
def test_reports_on_future_or_non_working_days_or_unknown_lines_are_refused(
    db: Database, row: str, today: dt.date, reason: str
) -> None:
    small_world(db)
    before = count(db, ProductionReport)
    result = load(db, SYSTEM, "reports", f"po_number,line,date,good_qty\n{row}\n", today=today)
    assert [reason in e.reason for e in result.errors] == [True]
    assert count(db, ProductionReport) == before


def test_a_supplier_user_cannot_import_reports_for_another_suppliers_line(db: Database) -> None:
    world = small_world(db)
    before = count(db, ProductionReport)
    result = load(db, world.bolt_user, "reports", "po_number,line,date,good_qty\nPO-1,1,2026-03-05,10\n")
    assert [(e.column, e.value, e.reason) for e in result.errors] == [
        ("line", "PO-1/1", "is not one of your lines")
    ]
    assert count(db, ProductionReport) == before


def test_a_supplier_user_cannot_import_purchase_orders(db: Database) -> None:
    world = small_world(db)
    with pytest.raises(PermissionDenied):
        load(db, world.acme_user, "pos", POS_CSV)


def test_a_schedule_moving_the_end_later_needs_a_reason(db: Database) -> None:
    small_world(db)
    header = "po_number,line,start_date,daily_output,estimated_end_date,reason\n"
    refused = load(db, SYSTEM, "schedules", header + "PO-1,1,2026-03-02,80,2026-03-18,\n")
    assert [e.column for e in refused.errors] == ["reason"]
    accepted = load(db, SYSTEM, "schedules", header + "PO-1,1,2026-03-02,80,2026-03-18,Resin shortage\n")
    assert accepted.ok
    with db.read() as session:
        revisions = session.scalars(
            select(ProductionSchedule.revision)
            .join(PoLine)
            .where(PoLine.po_number == "PO-1", PoLine.line == 1)
            .order_by(ProductionSchedule.revision)
        ).all()
    assert revisions == [1, 2]


def test_a_schedule_cannot_start_before_the_order_date(db: Database) -> None:
    small_world(db)
    result = load(
        db,
        SYSTEM,
        "schedules",
        "po_number,line,start_date,daily_output,estimated_end_date\nPO-1,2,2026-01-15,10,2026-02-20\n",
    )
    assert [e.column for e in result.errors] == ["start_date"]


@pytest.mark.parametrize(
    ("threshold", "receipts", "expected"),
    [
        # 294 good of 300 = 98%: in full at the default threshold (98%)
        (None, "PO-1,2,2026-03-02,200,0\nPO-1,2,2026-03-05,100,6\n", LineStatus.RECEIVED),
        # 280 good of 300 = 93.3%: short of a 98% threshold, in full at 90%
        (0.98, "PO-1,2,2026-03-02,280,0\n", LineStatus.OPEN),
        (0.90, "PO-1,2,2026-03-02,280,0\n", LineStatus.RECEIVED),
    ],
)
def test_receipts_in_full_by_the_admins_threshold_mark_the_line_received(
    db: Database, threshold: float | None, receipts: str, expected: LineStatus
) -> None:
    from portal.services.settings import update_settings

    world = small_world(db)
    if threshold is not None:
        update_settings(db, world.admin, {"in_full_threshold": threshold})
    result = load(db, SYSTEM, "receipts", "po_number,line,received_date,quantity,rejected_qty\n" + receipts)
    assert result.ok, result.errors
    with db.read() as session:
        status = session.scalar(select(PoLine.status).where(PoLine.id == world.line_ids["PO-1/2"]))
    assert status == expected


def test_a_dry_run_checks_everything_and_writes_nothing(db: Database) -> None:
    from portal.services.imports import import_table, read_upload

    table = read_upload(SUPPLIERS_CSV.encode(), "s.csv", "suppliers")
    result = import_table(db, SYSTEM, table, dry_run=True)
    assert result.ok and result.created == 2
    assert count(db, Supplier) == 0


# --------------------------------------------------------------------------- input that must not mis-store


@pytest.mark.parametrize(
    ("row", "column", "reason"),
    [
        ("PO-1,1,2026-03-05,10,３,", "rejected_qty", "digits 0-9"),  # was stored as 0
        ("PO-1,1,2026-03-05,５,0,", "good_qty", "digits 0-9"),  # was an IntegrityError
        ("PO-1,٤,2026-03-05,10,0,", "line", "digits 0-9"),  # was an IntCastingNaNError
        ("PO-1,1,２０２６-03-05,10,0,", "date", "digits 0-9"),  # was read as 2026-03-05
        ("PO-1,1,2026-03-05,99999999999999999999,0,", "good_qty", "too large"),  # was a TypeError
        ("PO-1,1,2026-03-05,2147483648,0,", "good_qty", "too large"),
        ("PO-1,1,2026-03-05,10,0,done\x00", "note", "control character"),  # PostgreSQL refuses NUL
        ("PO-1\x00,1,2026-03-05,10,0,", "po_number", "control character"),
    ],
)
def test_unicode_digits_overflows_and_nul_are_row_errors_and_nothing_is_written(
    db: Database, row: str, column: str, reason: str
) -> None:
    small_world(db)
    before = count(db, ProductionReport)
    # Good rows first, with long notes: a NUL within the first 4 KB refuses the file as binary.
    good = "".join(f"PO-1,2,2026-03-0{day},7,0,{'n' * 1500}\n" for day in (3, 4, 5))
    text = f"po_number,line,date,good_qty,rejected_qty,note\n{good}{row}\n"
    result = load(db, SYSTEM, "reports", text)
    assert [(e.row, e.column) for e in result.errors] == [(5, column)]
    assert reason in result.errors[0].reason
    assert count(db, ProductionReport) == before


def test_a_pos_file_with_an_overflowing_quantity_names_the_cell(db: Database) -> None:
    load(db, SYSTEM, "suppliers", SUPPLIERS_CSV)
    load(db, SYSTEM, "items", ITEMS_CSV)
    bad = POS_CSV + "PO-3,1,ACME,SKU-1,99999999999999999999,2026-02-01,2026-03-20,,\n"
    result = load(db, SYSTEM, "pos", bad)
    assert [(e.row, e.column, e.reason) for e in result.errors] == [
        (5, "quantity", "is too large (at most 2,147,483,647)")
    ]
    assert count(db, PoLine) == 0


# --------------------------------------------------------------------------- row limits


def test_a_persons_upload_over_the_admins_row_limit_is_refused_and_the_command_line_has_none(
    db: Database,
) -> None:
    world = small_world(db)
    update_settings(db, world.admin, {"upload_rows_backorders": 10, "upload_rows_reports": 10})
    text = "order_ref,sku,quantity,order_date\n" + "".join(
        f"SO-{n},SKU-1,1,2026-02-20\n" for n in range(100, 111)
    )
    before = count(db, Backorder)
    with pytest.raises(TooManyRows, match="more than 10 rows; split it"):
        load(db, world.buyer, "backorders", text)
    # Read by a page, the file stops at the limit before it is even checked.
    with pytest.raises(TooManyRows):
        read_upload(text.encode(), "backorders.csv", "backorders", max_rows=10)
    assert count(db, Backorder) == before
    assert load(db, SYSTEM, "backorders", text).created == 11  # the command line: no limit
    ten = "order_ref,sku,quantity,order_date\n" + "".join(
        f"SO-{n},SKU-1,1,2026-02-20\n" for n in range(200, 210)
    )
    assert load(db, world.buyer, "backorders", ten).created == 10
    rows = [{"po_number": "PO-1", "line": 2, "date": f"2026-02-{d:02d}", "good_qty": 1} for d in range(1, 12)]
    with pytest.raises(TooManyRows):
        post_reports(db, world.acme_user, rows, today=TODAY, dry_run=True)
