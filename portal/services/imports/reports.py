"""Writing daily production reports (files, the grid, the form, the API): the database checks
(working days, the supplier's own today, days already reported), then each row as its day's
current report, with the summaries the forecast reads."""

from __future__ import annotations

import datetime as dt
from typing import Any

import numpy as np
import pandas as pd
from sqlalchemy import insert, select, update
from sqlalchemy.orm import Session

from db.frames import read_frame_for_ids
from db.models import PoLine, ProductionReport, Supplier, utcnow
from portal.core.batching import id_chunks
from portal.core.domain import LineStatus
from portal.core.fileformats import CheckedTable
from portal.core.inputs import future_reason
from portal.core.timezones import supplier_today
from portal.i18n import N_
from portal.services.access import Actor
from portal.services.calendars import load_calendars
from portal.services.daily_outputs import add_daily_output
from portal.services.imports.lookups import _attach_lines, _dates, _ints, _texts
from portal.services.imports.result import ImportJob, ImportResult
from portal.services.settings import load_settings
from portal.services.summaries import refresh_after_reports

#: Why a report's date is refused when the supplier does not work that day.
NOT_A_WORKING_DAY = N_("is not a working day for this supplier (weekend, public holiday or closure)")


def check_report_days(
    session: Session,
    table: CheckedTable,
    lines: pd.DataFrame,
    today: dt.date | None,
    column: str = "date",
    *,
    now: dt.datetime | None = None,
) -> None:
    """Refuse report dates in the future and on the supplier's non-working days.

    The future starts after ``today`` when given (a pinned day), else after each row's supplier's
    own today: its local date at ``now`` (default: this instant) in its time zone.
    """
    rows = table.rows
    known = lines["supplier_id"].notna().to_numpy()
    if today is not None:
        limits = pd.Series(pd.Timestamp(today), index=rows.index)
    else:
        ids = sorted({int(i) for i in lines["supplier_id"].dropna()})
        zones = dict(
            session.execute(select(Supplier.id, Supplier.timezone).where(Supplier.id.in_(ids))).all()
        )
        by_supplier = {sid: pd.Timestamp(supplier_today(zones.get(sid), now)) for sid in ids}
        fallback = pd.Timestamp(supplier_today(None, now))
        limits = pd.Series(
            [by_supplier.get(int(s), fallback) if pd.notna(s) else fallback for s in lines["supplier_id"]],
            index=rows.index,
        )
    future = (rows[column] > limits).fillna(False).to_numpy()
    for limit in limits[future].unique():
        mask = future & (limits == limit).to_numpy()
        table.add(mask, column, future_reason(pd.Timestamp(limit).date()))
    ok = known & rows[column].notna().to_numpy() & ~future
    if ok.any():
        supplier_ids = lines["supplier_id"].to_numpy()[ok].astype(int)
        calendars = load_calendars(session, set(supplier_ids.tolist()))
        days = rows[column].to_numpy()[ok].astype("datetime64[D]")
        working = calendars.is_working_day(days, supplier_ids)
        mask = np.zeros(len(rows), dtype=bool)
        mask[np.flatnonzero(ok)[~working]] = True
        table.add(mask, column, NOT_A_WORKING_DAY)


#: What a new report of a day is compared with: the current report's revision, figures and note.
RECORD_FIGURES = (
    ProductionReport.revision,
    ProductionReport.good_qty,
    ProductionReport.rejected_qty,
    ProductionReport.note,
)


def report_row(
    actor: Actor,
    line_id: int,
    day: dt.date,
    revision: int,
    good: int,
    rejected: int,
    note: str | None,
    now: dt.datetime,
) -> dict[str, Any]:
    """The row of a new current report of ``day`` by ``actor``, for ``insert(ProductionReport)``."""
    return {
        "po_line_id": line_id,
        "report_date": day,
        "revision": revision,
        "good_qty": good,
        "rejected_qty": rejected,
        "note": note,
        "is_current": True,
        "created_by_id": actor.user_id,
        "created_by_name": actor.name,
        "created_at": now,
    }


def _current_reports(session: Session, line_ids: list[int], dates: pd.Series) -> pd.DataFrame:
    cols = ["id", "po_line_id", "report_date", "revision", "good_qty", "rejected_qty", "note"]
    if not line_ids or dates.dropna().empty:
        return pd.DataFrame(columns=cols)
    stmt = select(
        ProductionReport.id, ProductionReport.po_line_id, ProductionReport.report_date, *RECORD_FIGURES
    ).where(
        ProductionReport.is_current,
        ProductionReport.report_date >= dates.min().date(),
        ProductionReport.report_date <= dates.max().date(),
    )
    return read_frame_for_ids(session, stmt, ProductionReport.po_line_id, line_ids, cols)


def check_reports(
    session: Session,
    actor: Actor,
    table: CheckedTable,
    today: dt.date | None,
    *,
    now: dt.datetime | None = None,
) -> pd.DataFrame:
    """The database checks of a reports table; returns each row's line (id, supplier_id, item_id, ...).

    ``today`` None: each supplier's own today at ``now`` (see :func:`check_report_days`).
    """
    lines = _attach_lines(session, actor, table)
    check_report_days(session, table, lines, today, now=now)
    return lines


def reported_before(session: Session, lines: pd.DataFrame, rows: pd.DataFrame) -> pd.DataFrame:
    """Per row, the current report of its line and date (id, revision, good_qty, ...; NaN where none)."""
    line_ids = [int(i) for i in lines["id"].dropna().unique()]
    current = _current_reports(session, line_ids, rows["date"])
    current["report_date"] = pd.to_datetime(current["report_date"])
    key = pd.DataFrame(
        {"po_line_id": lines["id"].astype("float64").to_numpy(), "report_date": rows["date"].to_numpy()}
    )
    current["po_line_id"] = current["po_line_id"].astype("float64")
    merged = key.merge(current, on=["po_line_id", "report_date"], how="left")
    merged.index = rows.index
    return merged[["id", "revision", "good_qty", "rejected_qty", "note"]]


def write_reports(
    session: Session,
    actor: Actor,
    table: CheckedTable,
    lines: pd.DataFrame,
    result: ImportResult,
    previous: pd.DataFrame | None = None,
) -> None:
    """Insert each checked row as its day's current report; an existing one stays, no longer current."""
    # previous: reported_before's frame, when the caller already has it.
    rows = table.rows
    if previous is None:
        previous = reported_before(session, lines, rows)
    if previous["id"].notna().any():
        old_ids = [int(i) for i in previous["id"].dropna()]
        for chunk in id_chunks(old_ids):
            session.execute(
                update(ProductionReport).where(ProductionReport.id.in_(chunk)).values(is_current=False)
            )
    revisions = previous["revision"].astype("float64").fillna(0).astype(int).to_numpy() + 1
    line_ids = lines["id"].astype(int).to_numpy()
    now = utcnow()
    values = [
        report_row(actor, int(line_id), day, int(rev), good, rejected, note, now)
        for line_id, day, rev, good, rejected, note in zip(
            line_ids,
            _dates(rows["date"]),
            revisions,
            _ints(rows["good_qty"]),
            _ints(rows["rejected_qty"], 0),
            _texts(rows["note"]),
            strict=True,
        )
    ]
    session.execute(insert(ProductionReport), values)
    posted = pd.DataFrame(
        {
            "line_id": line_ids,
            "report_date": [v["report_date"] for v in values],
            "good_qty": [v["good_qty"] for v in values],
            "rejected_qty": [v["rejected_qty"] for v in values],
            "corrected": previous["id"].notna().to_numpy(),
        }
    )
    refresh_after_reports(session, posted, load_settings(session).forecast_ewm_span)
    old_good = pd.to_numeric(previous["good_qty"], errors="coerce").fillna(0).to_numpy(dtype="int64")
    add_daily_output(
        session,
        pd.DataFrame(
            {
                "supplier_id": lines["supplier_id"].astype("int64").to_numpy(),
                "report_date": posted["report_date"],
                "good_qty": posted["good_qty"].to_numpy(dtype="int64") - old_good,
            }
        ),
    )
    mark_in_production(session, sorted({int(i) for i in line_ids}))
    result.line_ids = {int(i) for i in line_ids}
    result.created = len(values)
    result.corrected = int(previous["id"].notna().sum())


def _write_reports(job: ImportJob) -> None:
    session, actor, table = job.session, job.actor, job.table
    result, today, dry_run = job.result, job.today, job.dry_run
    lines = check_reports(session, actor, table, today)
    if dry_run or table.errors:
        # A preview still says which rows are corrections of an existing report.
        if not table.errors:
            result.corrected = int(reported_before(session, lines, table.rows)["id"].notna().sum())
        return
    write_reports(session, actor, table, lines, result)


def mark_in_production(session: Session, line_ids: list[int]) -> None:
    """Open lines with output reported are in production."""
    for chunk in id_chunks(line_ids):
        session.execute(
            update(PoLine)
            .where(PoLine.id.in_(chunk), PoLine.status == LineStatus.OPEN)
            .values(status=LineStatus.IN_PRODUCTION, updated_at=utcnow())
        )
