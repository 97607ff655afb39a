"""The delivery history, as the backtest and the scorecards read it from the database or a file."""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from db.engine import Database
from portal.core import history
from portal.core.backtest import BacktestResult, backtest, default_policies
from portal.services.planning import load_history_lines, load_receipts
from portal.services.settings import load_settings

DELIVERY_COLUMNS = ["supplier_id", "due_date", "delivered_date", "order_date", "quantity", "item_id"]


def database_deliveries(db: Database) -> pd.DataFrame:
    """Every delivered line in the database: supplier, due date, delivery date (cumulative in full)."""
    with db.read() as session:
        settings = load_settings(session)
        lines = load_history_lines(session)
        receipts = load_receipts(session, None)
    return history.delivered_history(lines, receipts, settings.in_full_threshold)[DELIVERY_COLUMNS]


def file_deliveries(path: Path) -> pd.DataFrame:
    """The deliveries of an SCMS-format CSV (each line received in full on its delivery date)."""
    from portal.demo.scms import read_scms

    world = read_scms(path)
    pos = world.pos.merge(world.receipts[["po_number", "line", "received_date"]], on=["po_number", "line"])
    return pd.DataFrame(
        {
            "supplier_id": pos["supplier_code"],
            "due_date": pd.to_datetime(pos["promised_date"]).fillna(pd.to_datetime(pos["need_by_date"])),
            "delivered_date": pd.to_datetime(pos["received_date"]),
            "order_date": pd.to_datetime(pos["order_date"]),
            "quantity": pos["quantity"],
            "item_id": pos["sku"],
        }
    )


def backtest_database(db: Database, horizon_days: int = 30) -> BacktestResult:
    """Backtest the promise policies on the delivery history in the database."""
    with db.read() as session:
        settings = load_settings(session)
    return backtest(database_deliveries(db), horizon_days, default_policies(settings))


def backtest_file(path: Path, horizon_days: int = 30) -> BacktestResult:
    """Backtest the promise policies on an SCMS-format delivery history file."""
    return backtest(file_deliveries(path), horizon_days, default_policies())
