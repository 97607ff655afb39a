"""The one loader for reads: enums become their values and named date columns datetime64, once."""

from __future__ import annotations

import datetime as dt

import pandas as pd
import pytest
from sqlalchemy import create_engine, select
from sqlalchemy.orm import Session

from db.base import Base
from db.frames import as_date, enum_value, load_frame, normalise
from db.models import Item, PoLine, Supplier
from portal.core.domain import LineStatus


def test_an_enum_is_its_value_and_anything_else_stays_as_it_is() -> None:
    assert enum_value(LineStatus.IN_PRODUCTION) == "in_production"
    assert enum_value("open") == "open" and enum_value(None) is None and enum_value(3) == 3


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (dt.date(2026, 3, 2), dt.date(2026, 3, 2)),
        (pd.Timestamp("2026-03-02"), dt.date(2026, 3, 2)),
        (dt.datetime(2026, 3, 2, 13, 5), dt.date(2026, 3, 2)),
        ("2026-03-02", dt.date(2026, 3, 2)),
        (None, None),
        (pd.NaT, None),
        (float("nan"), None),
    ],
)
def test_a_cell_becomes_a_date_or_none(value: object, expected: dt.date | None) -> None:
    assert as_date(value) == expected


def test_normalise_maps_only_enum_columns_and_converts_the_named_dates() -> None:
    frame = pd.DataFrame(
        {
            "status": [LineStatus.OPEN, None, LineStatus.RECEIVED],
            "note": ["a", None, "c"],
            "need_by_date": [dt.date(2026, 3, 2), None, dt.date(2026, 3, 4)],
        }
    )
    note = frame["note"].copy()
    normalise(frame, dates=["need_by_date"])
    status = frame["status"].tolist()
    assert status[0] == "open" and pd.isna(status[1]) and status[2] == "received"
    pd.testing.assert_series_equal(frame["note"], note)
    assert frame["need_by_date"].dtype.kind == "M" and pd.isna(frame["need_by_date"].iloc[1])


def test_load_frame_reads_a_select_with_enums_as_values_and_dates_as_datetime64() -> None:
    engine = create_engine("sqlite://")
    Base.metadata.create_all(engine)
    with Session(engine) as session:
        supplier = Supplier(code="ACME", name="Acme", transit_days=0)
        item = Item(sku="SKU-1", description="Widget", on_hand=0)
        session.add_all([supplier, item])
        session.flush()
        session.add(
            PoLine(
                po_number="PO-1",
                line=1,
                supplier_id=supplier.id,
                item_id=item.id,
                quantity=10,
                order_date=dt.date(2026, 1, 5),
                need_by_date=dt.date(2026, 3, 2),
                status=LineStatus.IN_PRODUCTION,
            )
        )
        session.flush()
        frame = load_frame(
            session,
            select(PoLine.po_number, PoLine.status, PoLine.need_by_date),
            ["po_number", "status", "need_by_date"],
            dates=["need_by_date"],
        )
    assert frame["status"].tolist() == ["in_production"]
    assert frame["need_by_date"].tolist() == [pd.Timestamp("2026-03-02")]
