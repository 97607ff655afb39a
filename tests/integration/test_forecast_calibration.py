"""A supplier's learned start delay reaches the stored forecast; a past sweep learns only its past."""

from __future__ import annotations

import datetime as dt

import pandas as pd
from sqlalchemy import select

from db.engine import Database
from db.models import LineForecast, PoLine, Supplier, SupplierStats
from portal.services.access import Actor
from portal.services.planning import sweep
from tests.builders import load_files

SYSTEM = Actor.system("test")
AS_OF = dt.date(2026, 3, 6)  # a Friday

SUPPLIERS = "code,name,country,transit_days,capacity_per_day,email\nSLOW,Slow Start Ltd,,0,,\n"
ITEMS = "sku,description,on_hand\nSKU-1,Storage box,0\n"
# Four earlier lines planned to start Monday 12 January; the new one planned for Monday 16 March.
POS = (
    "po_number,line,supplier_code,sku,quantity,order_date,need_by_date,promised_date,transit_days\n"
    + "".join(f"PO-10,{n},SLOW,SKU-1,500,2026-01-05,2026-06-30,,\n" for n in range(1, 5))
    + "PO-20,1,SLOW,SKU-1,1000,2026-02-20,2026-06-30,,\n"
)
SCHEDULES = (
    "po_number,line,start_date,daily_output,estimated_end_date,reason\n"
    + "".join(f"PO-10,{n},2026-01-12,100,2026-01-16,\n" for n in range(1, 5))
    + "PO-20,1,2026-03-16,100,2026-03-27,\n"
)
# Each earlier line started Thursday 15 January, 3 working days late, and made 100 a day.
DAYS = ["2026-01-15", "2026-01-16", "2026-01-19", "2026-01-20", "2026-01-21"]
REPORTS = "po_number,line,date,good_qty,rejected_qty,note\n" + "".join(
    f"PO-10,{n},{day},100,0,\n" for n in range(1, 5) for day in DAYS
)


def slow_supplier(db: Database) -> None:
    files = [("suppliers", SUPPLIERS), ("items", ITEMS), ("pos", POS), ("schedules", SCHEDULES)]
    load_files(db, SYSTEM, [*files, ("reports", REPORTS)], today=AS_OF)


def stored_stats(db: Database) -> SupplierStats:
    with db.read() as session:
        stats = session.scalars(select(SupplierStats).join(Supplier).where(Supplier.code == "SLOW")).one()
        session.expunge(stats)
    return stats


def test_a_supplier_that_always_starts_three_days_late_has_its_new_line_forecast_three_days_later(
    db: Database,
) -> None:
    slow_supplier(db)
    sweep(db, SYSTEM, as_of=AS_OF)
    stats = stored_stats(db)
    assert stats.forecast_records == 4
    assert stats.start_delay_days == 3
    assert stats.rate_ratio == 1
    with db.read() as session:
        forecast = session.execute(
            select(LineForecast.completion_p50, LineForecast.completion_p90, LineForecast.rate_source)
            .join(PoLine)
            .where(PoLine.po_number == "PO-20")
        ).one()
    # The plain rule: 10 working days from Monday 16 March, Friday 27 March. Learned: from
    # Thursday 19 March, Wednesday 1 April; p90 adds the daily noise of the plain rule.
    assert forecast.rate_source == "plan"
    assert pd.Timestamp(forecast.completion_p50) == pd.Timestamp("2026-04-01")
    assert forecast.completion_p90 >= forecast.completion_p50


def test_a_sweep_before_the_late_starts_learns_nothing_from_them(db: Database) -> None:
    slow_supplier(db)
    sweep(db, SYSTEM, as_of=dt.date(2026, 1, 14))
    stats = stored_stats(db)
    assert stats.forecast_records == 0
    assert stats.start_delay_days is None
