"""Constraints keep bad data out, on both databases, whatever the code above them does."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable

import pytest
from sqlalchemy import (
    CheckConstraint,
    Constraint,
    ForeignKeyConstraint,
    Index,
    Table,
    UniqueConstraint,
    insert,
)
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from db.base import NAMING_CONVENTION, Base
from db.engine import Database
from db.models import Item, PoLine, ProductionReport, Receipt, Supplier, User
from portal.core.domain import Role


def _base(session: Session) -> tuple[int, int, int]:
    supplier = Supplier(code="S1", name="Supplier one")
    item = Item(sku="I1", description="Item one")
    session.add_all([supplier, item])
    session.flush()
    line = _line(supplier.id, item.id, po_number="PO-1", quantity=10)
    session.add(line)
    session.flush()
    return supplier.id, item.id, line.id


def _name(table: Table, constraint: Constraint | Index) -> str | None:
    """The name the database knows ``constraint`` by (a unique constraint is named when created)."""
    if isinstance(constraint, UniqueConstraint) and not isinstance(constraint.name, str):
        columns = "_".join(c.name for c in constraint.columns)
        return NAMING_CONVENTION["uq"] % {"table_name": table.name, "column_0_N_name": columns}
    return constraint.name if isinstance(constraint.name, str) else None


def _constraint(name: str) -> tuple[Table, Constraint | Index]:
    """The constraint (or unique index) of the models called ``name``, with its table."""
    for table in Base.metadata.tables.values():
        candidates: list[Constraint | Index] = [*table.constraints, *table.indexes]
        for found in candidates:
            if _name(table, found) == name:
                return table, found
    raise AssertionError(f"no constraint or index named {name}")


def _refusal(db: Database, name: str) -> str:
    """What the database says when constraint ``name`` refuses a row.

    PostgreSQL names every constraint. SQLite names a CHECK constraint, lists the columns of a
    unique one (a unique constraint or a unique index) and names no foreign key at all: there the
    test still tells a foreign key from any other refusal, and PostgreSQL checks which one it is.
    """
    table, constraint = _constraint(name)
    if db.engine.dialect.name == "postgresql":
        return f'constraint "{name}"'
    if isinstance(constraint, CheckConstraint):
        return f"CHECK constraint failed: {name}"
    if isinstance(constraint, ForeignKeyConstraint):
        return "FOREIGN KEY constraint failed"
    assert isinstance(constraint, UniqueConstraint | Index), constraint
    return "UNIQUE constraint failed: " + ", ".join(f"{table.name}.{c.name}" for c in constraint.columns)


def _line(supplier_id: int, item_id: int, *, po_number: str = "PO-2", quantity: int = 1) -> PoLine:
    """A PO line due on 1 March; the fixture's own line is PO-1/1."""
    return PoLine(
        po_number=po_number,
        line=1,
        supplier_id=supplier_id,
        item_id=item_id,
        quantity=quantity,
        need_by_date=dt.date(2026, 3, 1),
    )


def _fails(db: Database, build: Callable[[Session, int, int, int], object], constraint: str) -> None:
    """``build`` writes a row that ``constraint``, and no other, refuses."""
    with db.write() as session:
        ids = _base(session)
        session.commit()
    with db.write() as session, pytest.raises(IntegrityError) as refused:
        build(session, *ids)
        session.flush()
    assert _refusal(db, constraint) in str(refused.value.orig)


def test_a_po_line_key_is_unique(db: Database) -> None:
    _fails(
        db,
        lambda s, sid, iid, lid: s.add(_line(sid, iid, po_number="PO-1", quantity=5)),
        "uq_po_lines_po_number_line",
    )


def test_a_quantity_cannot_be_zero_or_negative(db: Database) -> None:
    _fails(
        db,
        lambda s, sid, iid, lid: s.add(_line(sid, iid, quantity=0)),
        "ck_po_lines_quantity_positive",
    )


def test_a_line_needs_an_existing_supplier(db: Database) -> None:
    _fails(
        db,
        lambda s, sid, iid, lid: s.add(_line(9999, iid)),
        "fk_po_lines_supplier_id_suppliers",
    )


def test_negative_output_is_refused(db: Database) -> None:
    _fails(
        db,
        lambda s, sid, iid, lid: s.add(
            ProductionReport(
                po_line_id=lid, report_date=dt.date(2026, 3, 2), good_qty=-1, created_by_name="t"
            )
        ),
        "ck_production_reports_good_qty_non_negative",
    )


def test_two_current_reports_for_one_line_and_day_are_refused(db: Database) -> None:
    def build(s: Session, sid: int, iid: int, lid: int) -> None:
        s.execute(
            insert(ProductionReport),
            [
                {
                    "po_line_id": lid,
                    "report_date": dt.date(2026, 3, 2),
                    "revision": 1,
                    "good_qty": 1,
                    "is_current": True,
                    "created_by_name": "t",
                    "created_at": dt.datetime(2026, 3, 2),
                },
                {
                    "po_line_id": lid,
                    "report_date": dt.date(2026, 3, 2),
                    "revision": 2,
                    "good_qty": 2,
                    "is_current": True,
                    "created_by_name": "t",
                    "created_at": dt.datetime(2026, 3, 2),
                },
            ],
        )

    _fails(db, build, "uq_production_reports_current")


def test_a_receipt_cannot_reject_more_than_it_received(db: Database) -> None:
    _fails(
        db,
        lambda s, sid, iid, lid: s.add(
            Receipt(po_line_id=lid, received_date=dt.date(2026, 3, 2), quantity=5, rejected_qty=6)
        ),
        "ck_receipts_rejected_within_quantity",
    )


@pytest.mark.parametrize(
    ("role", "of_a_supplier"),
    [(Role.SUPPLIER, False), (Role.BUYER, True)],
    ids=["a supplier user must belong to a supplier", "a buyer cannot belong to a supplier"],
)
def test_only_a_supplier_user_belongs_to_a_supplier(db: Database, role: Role, of_a_supplier: bool) -> None:
    _fails(
        db,
        lambda s, sid, iid, lid: s.add(
            User(
                username="x",
                display_name="x",
                password_hash="h",
                role=role,
                supplier_id=sid if of_a_supplier else None,
            )
        ),
        "ck_users_supplier_user_has_supplier",
    )
