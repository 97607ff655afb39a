"""The manager ranking's line counts (three lean aggregates) equal one count over every line."""

from __future__ import annotations

import datetime as dt

import pandas as pd
from sqlalchemy import select

from db.engine import Database
from db.models import LineForecast, PoLine, Receipt
from portal.core import scorecard as sc
from portal.core.domain import OPEN_LINE_STATUSES
from portal.demo.load import load_demo_world
from portal.queries.scorecard_data import line_counts
from portal.queries.scorecards import _window_months
from portal.services.access import Actor

TODAY = dt.date(2026, 3, 6)


def _counted_line_by_line(db: Database, months: list[int] | None) -> pd.DataFrame:
    """Every line with its forecast and receipts loaded, counted in pandas (the reference)."""
    with db.read() as session:
        lines = pd.DataFrame(
            session.execute(
                select(PoLine.id, PoLine.supplier_id, PoLine.status, LineForecast.days_late_p50).outerjoin(
                    LineForecast, LineForecast.po_line_id == PoLine.id
                )
            ).all(),
            columns=["id", "supplier_id", "status", "late"],
        )
        receipts = pd.DataFrame(
            session.execute(select(Receipt.po_line_id, Receipt.received_date)).all(),
            columns=["po_line_id", "received_date"],
        )
    status = lines["status"].map(lambda v: getattr(v, "value", v))
    is_open = status.isin([s.value for s in OPEN_LINE_STATUSES])
    received = status == "received"
    if months is not None:
        first = sc.month_first_day(pd.Series([sc.rolling_window(months[-1])[0]]).to_numpy())[0]
        last = sc.month_last_day(pd.Series([months[-1]]).to_numpy())[0]
        dates = pd.to_datetime(receipts["received_date"])
        inside = receipts.loc[(dates >= pd.Timestamp(first)) & (dates <= pd.Timestamp(last)), "po_line_id"]
        received &= lines["id"].isin(inside)
    flags = pd.DataFrame(
        {
            "supplier_id": lines["supplier_id"].astype("int64"),
            "total_lines": 1,
            "open_lines": is_open.astype("int64"),
            "late_lines": (is_open & (pd.to_numeric(lines["late"]).fillna(0) > 0)).astype("int64"),
            "received_lines": received.astype("int64"),
        }
    )
    return flags.groupby("supplier_id").sum()


def test_the_ranking_counts_equal_a_count_over_every_line(db: Database) -> None:
    load_demo_world(db, Actor.system("test"), today=TODAY)
    for end in (TODAY, TODAY - dt.timedelta(days=200)):
        months = _window_months(sc.parse_month(f"{end:%Y-%m}"))
        expected = _counted_line_by_line(db, months)
        with db.read() as session:
            counted = line_counts(session, months)
        pd.testing.assert_frame_equal(
            counted.sort_index()[list(expected.columns)], expected, check_names=False, check_dtype=False
        )
        # The world exercises every count: late lines, and received lines inside and outside the window.
        assert expected["late_lines"].sum() > 0
        assert (
            0
            < expected["received_lines"].sum()
            < int(_counted_line_by_line(db, None)["received_lines"].sum())
        )
    with db.read() as session:
        all_time = line_counts(session, None)
    expected = _counted_line_by_line(db, None)
    pd.testing.assert_frame_equal(
        all_time.sort_index()[list(expected.columns)], expected, check_names=False, check_dtype=False
    )
