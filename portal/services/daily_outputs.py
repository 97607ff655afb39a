"""Suppliers' daily good output, kept with every report: one row per (supplier, day), read by the
sweep's observed capacity (the OVERLOADED rule) instead of summing the reports again.

* :func:`add_daily_output` and :func:`add_daily_totals_at_commit` add a write's good output (a
  correction adds new minus old) as the transaction's last statement;
* :func:`rebuild_daily_outputs` sums them again from the current reports (bulk loads, the migration);
* :func:`verify_daily_outputs` lists the days whose total disagrees with the reports (``sweep --verify``).

The per-line summaries kept beside them are :mod:`portal.services.summaries`.
"""

from __future__ import annotations

import datetime as dt
from functools import lru_cache
from typing import Any

import pandas as pd
from sqlalchemy import Select, delete, event, func, insert, select, true
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import Session

from db.engine import core_connection
from db.frames import read_frame
from db.models import PoLine, ProductionReport, SupplierDailyOutput
from portal.core.calendar import to_date


def add_daily_output(session: Session, changes: pd.DataFrame) -> None:
    """Add good output to suppliers' daily totals: supplier_id, report_date (date), good_qty (a delta).

    One upsert per (supplier, day): a correction adds new minus old, and posts of two lines of one
    supplier on one day add up whatever their order (INSERT ... ON CONFLICT DO UPDATE, atomic on
    both databases), written just before the transaction commits (:func:`add_daily_totals_at_commit`).
    """
    if changes.empty:
        return
    totals = changes.groupby(["supplier_id", "report_date"], as_index=False)["good_qty"].sum()
    add_daily_totals_at_commit(
        session,
        [
            {"supplier_id": int(s), "report_date": to_date(d), "good_qty": int(g)}
            for s, d, g in totals.itertuples(index=False, name=None)
        ],
    )


#: ``session.info`` keys: the supplier days waiting to be written at commit, and whether the
#: session's listeners are set.
_AT_COMMIT = "daily_totals_at_commit"
_LISTENING = "daily_totals_listening"


def add_daily_totals_at_commit(session: Session, rows: list[dict[str, Any]]) -> None:
    """:func:`add_daily_totals`, written as the transaction's last statement, just before it commits
    (rows of one supplier day added up first); forgotten if it rolls back.

    Why: the upsert locks the supplier's day row until commit, and every other post of that supplier
    on that day queues behind it. Written with the report, it was held through the whole recompute
    (16 writers at scale L on PostgreSQL spent over a quarter of their time in transactions waiting
    for it); written last, it is held for the commit only. Every transaction that writes daily
    totals goes through here, so each takes its supplier days after its line and item rows: one
    order, no deadlock. Nothing reads the totals before the commit (only a sweep's observed
    capacity does).
    """
    if not rows:
        return
    if not session.info.get(_LISTENING):
        event.listen(session, "before_commit", _write_at_commit)
        event.listen(session, "after_begin", _forget_at_commit)
        event.listen(session, "after_rollback", _forget_at_commit)
        session.info[_LISTENING] = True
    session.info.setdefault(_AT_COMMIT, []).extend(rows)


def _write_at_commit(session: Session) -> None:
    rows = session.info.pop(_AT_COMMIT, None)
    if not rows:
        return
    totals: dict[tuple[int, dt.date], int] = {}
    for row in rows:
        key = (int(row["supplier_id"]), row["report_date"])
        totals[key] = totals.get(key, 0) + int(row["good_qty"])
    add_daily_totals(
        session,
        [{"supplier_id": s, "report_date": d, "good_qty": g} for (s, d), g in totals.items()],
    )


def _forget_at_commit(session: Session, *_: Any) -> None:
    session.info.pop(_AT_COMMIT, None)


def add_daily_totals(session: Session, rows: list[dict[str, Any]]) -> None:
    """:func:`add_daily_output` from plain rows (supplier_id, report_date, good_qty), one per supplier day."""
    if not rows:
        return
    connection = core_connection(session)
    stmt = _daily_upsert(connection.dialect.name == "postgresql")
    # Days in a fixed order: two transactions upserting the same days never wait on each other in a cycle.
    connection.execute(stmt, sorted(rows, key=lambda r: (r["supplier_id"], r["report_date"])))


@lru_cache(maxsize=2)
def _daily_upsert(postgresql: bool) -> Any:
    """INSERT ... ON CONFLICT DO UPDATE adding good output to a supplier's day (built once per dialect)."""
    table = SupplierDailyOutput.metadata.tables[SupplierDailyOutput.__tablename__]
    stmt = (pg_insert if postgresql else sqlite_insert)(table)
    return stmt.on_conflict_do_update(
        index_elements=["supplier_id", "report_date"],
        set_={"good_qty": table.c.good_qty + stmt.excluded.good_qty},
    )


def daily_output_from_reports(as_of: dt.date | None = None) -> Select[int, dt.date, int]:
    """supplier_id, report_date, good_qty: each supplier's good output per day summed from the current
    reports (dated on or before ``as_of`` when given), what :class:`SupplierDailyOutput` keeps."""
    return (
        select(PoLine.supplier_id, ProductionReport.report_date, func.sum(ProductionReport.good_qty))
        .join(PoLine, PoLine.id == ProductionReport.po_line_id)
        .where(ProductionReport.is_current)
        .where(ProductionReport.report_date <= as_of if as_of is not None else true())
        .group_by(PoLine.supplier_id, ProductionReport.report_date)
    )


def rebuild_daily_outputs(session: Session) -> None:
    """Sum every supplier's daily good output again from the current reports."""
    session.execute(delete(SupplierDailyOutput))
    session.execute(
        insert(SupplierDailyOutput).from_select(
            ["supplier_id", "report_date", "good_qty"], daily_output_from_reports()
        )
    )


def verify_daily_outputs(session: Session) -> pd.DataFrame:
    """Supplier days whose stored total disagrees with the reports: supplier_id, report_date, problem."""
    cols = ["supplier_id", "report_date", "good_qty"]
    stored = read_frame(session, select(*[SupplierDailyOutput.__table__.c[c] for c in cols]), cols)
    expected = read_frame(session, daily_output_from_reports(), cols)
    for frame in (stored, expected):
        frame["report_date"] = pd.to_datetime(frame["report_date"])
        frame["good_qty"] = pd.to_numeric(frame["good_qty"]).astype("int64")
    both = stored.merge(expected, on=["supplier_id", "report_date"], how="outer", suffixes=("", "_reports"))
    both = both.fillna({"good_qty": 0, "good_qty_reports": 0})
    wrong = both[both["good_qty"] != both["good_qty_reports"]]
    return pd.DataFrame(
        {
            "supplier_id": wrong["supplier_id"].astype("int64").to_numpy(),
            "report_date": wrong["report_date"].dt.date.to_numpy(),
            "problem": [
                f"daily output {int(a):,} stored, {int(b):,} from the reports"
                for a, b in zip(wrong["good_qty"], wrong["good_qty_reports"], strict=True)
            ],
        },
        columns=["supplier_id", "report_date", "problem"],
    )
