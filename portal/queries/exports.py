"""Exports: every kind as a DataFrame with exactly DOMAIN.md's columns, and writing it as CSV or Excel.

Supplier users export only their own supplier's lines (and what hangs off them); the
kinds that show other suppliers or customers are refused to them.
"""

from __future__ import annotations

import io
from collections.abc import Callable, Iterable, Sequence
from pathlib import Path
from typing import Any

import pandas as pd
from sqlalchemy import Select, select
from sqlalchemy.orm import Session

from db.engine import Database
from db.frames import load_frame
from db.joins import (
    current_schedule_subquery,
    with_alert_subjects,
    with_line_supplier_and_item,
    with_waiting_backorders_item,
)
from db.models import (
    Alert,
    Backorder,
    Item,
    LineForecast,
    PoLine,
    ProductionReport,
    Receipt,
    Supplier,
    SupplierContact,
)
from portal.core.domain import OPEN_LINE_STATUSES, AlertStatus, PermissionDenied
from portal.core.fileformats import FORMATS, RowError, problems_frame
from portal.queries.lines import FORECAST_FIGURES
from portal.queries.scorecards import EXPORT_COLUMNS as SCORECARD_COLUMNS
from portal.queries.scorecards import scorecard_export
from portal.services.access import ALL_ROLES, Actor, scope_to_actor, service
from portal.services.planning.seen import seen_columns

EXPORT_COLUMNS: dict[str, list[str]] = {
    **{kind: fmt.names for kind, fmt in FORMATS.items()},
    "forecasts": [
        "po_number",
        "line",
        "supplier_code",
        "sku",
        "quantity",
        "produced",
        "remaining",
        "rate",
        "completion_p50",
        "completion_p90",
        "arrival_p50",
        "arrival_p90",
        "need_by_date",
        "estimated_end_date",
        "days_late_p50",
    ],
    "promises": [
        "order_ref",
        "customer",
        "sku",
        "quantity",
        "priority",
        "promise_date",
        "status",
        "communicated_date",
        "days_of_slip",
        "reason",
    ],
    "alerts": [
        "rule",
        "severity",
        "status",
        "supplier_code",
        "po_number",
        "line",
        "order_ref",
        "message",
        "first_seen",
        "last_seen",
    ],
    "scorecards": SCORECARD_COLUMNS,
}
EXPORT_KINDS: tuple[str, ...] = tuple(EXPORT_COLUMNS)
#: Kinds that name other suppliers or customers: never for supplier users.
STAFF_ONLY_KINDS = frozenset({"suppliers", "items", "backorders", "promises"})

_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def neutralize_formulas(frame: pd.DataFrame) -> pd.DataFrame:
    """Text cells that a spreadsheet would run as a formula get a leading apostrophe.

    Only text columns are touched: a negative number stays a number.
    """
    out = frame.copy()
    for col in out.columns:
        series = out[col]
        if series.dtype == object or pd.api.types.is_string_dtype(series):
            text = series.astype("string")
            risky = text.str.startswith(_FORMULA_START).fillna(False)
            if risky.any():
                out[col] = series.where(~risky, "'" + text)
    return out


def _of_lines(session: Session, actor: Actor, stmt: Select[*tuple[Any, ...]], kind: str) -> pd.DataFrame:
    """The rows of ``stmt`` (a select of PO lines) on the lines the actor may see, as ``kind``'s columns."""
    return load_frame(session, scope_to_actor(stmt, PoLine.supplier_id, actor), EXPORT_COLUMNS[kind])


def _suppliers(session: Session, actor: Actor) -> pd.DataFrame:
    emails = select(SupplierContact.supplier_id, SupplierContact.email).order_by(SupplierContact.id)
    contacts = load_frame(session, emails, ["supplier_id", "email"])
    joined = (
        contacts.groupby("supplier_id")["email"].agg(";".join) if len(contacts) else pd.Series(dtype=object)
    )
    stmt = select(
        Supplier.id,
        Supplier.code,
        Supplier.name,
        Supplier.country,
        Supplier.transit_days,
        Supplier.capacity_per_day,
        Supplier.timezone,
    ).order_by(Supplier.code)
    columns = ["id", "code", "name", "country", "transit_days", "capacity_per_day", "timezone"]
    frame = load_frame(session, stmt, columns)
    frame["email"] = joined.reindex(frame["id"]).to_numpy() if len(frame) else []
    frame = frame[[*columns[:-1], "email", "timezone"]]
    frame["capacity_per_day"] = frame["capacity_per_day"].astype("Int64")
    return frame


#: A line as the purchase-order and forecast files name it: PO number, line, supplier, SKU, quantity.
_LINE_IDENTITY = (PoLine.po_number, PoLine.line, Supplier.code, Item.sku, PoLine.quantity)


def _items(session: Session, actor: Actor) -> pd.DataFrame:
    stmt = select(Item.sku, Item.description, Item.on_hand).order_by(Item.sku)
    return load_frame(session, stmt, ["sku", "description", "on_hand"])


def _pos(session: Session, actor: Actor) -> pd.DataFrame:
    stmt = with_line_supplier_and_item(
        select(
            *_LINE_IDENTITY,
            PoLine.order_date,
            PoLine.need_by_date,
            PoLine.promised_date,
            PoLine.transit_days,
            PoLine.status,
        )
    ).order_by(PoLine.po_number, PoLine.line)
    frame = _of_lines(session, actor, stmt, "pos")
    # The file's status column says only what a file may say: cancelled, or open (re-importable as is).
    status = frame["status"]
    frame["status"] = status.where(status == "cancelled", "open")
    frame["transit_days"] = frame["transit_days"].astype("Int64")
    return frame


def _line_file(
    session: Session,
    actor: Actor,
    kind: str,
    line_id: Any,
    columns: Sequence[Any],
    *,
    where: Sequence[Any] = (),
    then_by: Sequence[Any] = (),
) -> pd.DataFrame:
    """A file of rows about lines (schedules, reports, receipts): each row's po_number and line (its
    ``line_id`` column names the line), then ``columns``; ordered by line, ``then_by``."""
    stmt = (
        select(PoLine.po_number, PoLine.line, *columns)
        .join(PoLine, PoLine.id == line_id)
        .where(*where)
        .order_by(PoLine.po_number, PoLine.line, *then_by)
    )
    return _of_lines(session, actor, stmt, kind)


def _schedules(session: Session, actor: Actor) -> pd.DataFrame:
    current = current_schedule_subquery().c
    return _line_file(
        session,
        actor,
        "schedules",
        current.po_line_id,
        [current.start_date, current.daily_output, current.estimated_end_date, current.reason],
    )


def _reports(session: Session, actor: Actor) -> pd.DataFrame:
    report = ProductionReport
    return _line_file(
        session,
        actor,
        "reports",
        report.po_line_id,
        [report.report_date, report.good_qty, report.rejected_qty, report.note],
        where=[report.is_current],
        then_by=[report.report_date],
    )


def _receipts(session: Session, actor: Actor) -> pd.DataFrame:
    return _line_file(
        session,
        actor,
        "receipts",
        Receipt.po_line_id,
        [Receipt.received_date, Receipt.quantity, Receipt.rejected_qty],
        then_by=[Receipt.received_date, Receipt.id],
    )


def _waiting_backorders(*columns: Any) -> Select[Any]:
    """The waiting backorders by order_ref: the order, its customer, SKU and quantity, then ``columns``."""
    return with_waiting_backorders_item(
        select(Backorder.order_ref, Backorder.customer, Item.sku, Backorder.quantity, *columns)
    ).order_by(Backorder.order_ref)


def _backorders(session: Session, actor: Actor) -> pd.DataFrame:
    stmt = _waiting_backorders(Backorder.order_date, Backorder.priority, Backorder.communicated_date)
    return load_frame(session, stmt, EXPORT_COLUMNS["backorders"])


def _forecasts(session: Session, actor: Actor) -> pd.DataFrame:
    current = current_schedule_subquery()
    stmt = (
        with_line_supplier_and_item(
            select(
                *_LINE_IDENTITY,
                *FORECAST_FIGURES,
                PoLine.need_by_date,
                current.c.estimated_end_date,
                LineForecast.days_late_p50,
            ).join(LineForecast, LineForecast.po_line_id == PoLine.id)
        )
        .outerjoin(current, current.c.po_line_id == PoLine.id)
        .where(PoLine.status.in_(OPEN_LINE_STATUSES))
        .order_by(PoLine.po_number, PoLine.line)
    )
    frame = _of_lines(session, actor, stmt, "forecasts")
    frame["rate"] = frame["rate"].astype("float64").round(2)
    frame["days_late_p50"] = frame["days_late_p50"].astype("Int64")
    return frame


def _promises(session: Session, actor: Actor) -> pd.DataFrame:
    """Status ``slipped`` when the promise is later than the date told to the customer (by days_of_slip)."""
    stmt = _waiting_backorders(
        Backorder.priority,
        Backorder.promise_date,
        Backorder.promise_status,
        Backorder.communicated_date,
        Backorder.promise_reason,
    )
    frame = load_frame(session, stmt, [c for c in EXPORT_COLUMNS["promises"] if c != "days_of_slip"])
    slip = [
        (promised - told).days if promised is not None and told is not None and promised > told else None
        for promised, told in zip(frame["promise_date"], frame["communicated_date"], strict=True)
    ]
    frame["days_of_slip"] = pd.array(slip, dtype="Int64")
    frame.loc[frame["days_of_slip"].notna().to_numpy(), "status"] = "slipped"
    return frame[EXPORT_COLUMNS["promises"]]


def _alerts(session: Session, actor: Actor) -> pd.DataFrame:
    stmt = (
        with_alert_subjects(
            select(
                Alert.rule,
                Alert.severity,
                Alert.status,
                Supplier.code,
                PoLine.po_number,
                PoLine.line,
                Backorder.order_ref,
                Alert.message,
                Alert.first_seen,
                seen_columns(session)[0],  # as shown: its own, or the latest sweep pass that saw it
            )
        )
        .where(Alert.status != AlertStatus.RESOLVED)
        .order_by(Alert.first_seen, Alert.id)
    )
    if actor.is_supplier:
        # Backorder alerts name customers: a supplier only sees alerts about its own lines and itself.
        stmt = stmt.where(Alert.supplier_id == actor.supplier_id, Alert.backorder_id.is_(None))
    frame = load_frame(session, stmt, EXPORT_COLUMNS["alerts"])
    frame["line"] = frame["line"].astype("Int64")
    return frame


_EXPORTERS: dict[str, Callable[..., pd.DataFrame]] = {
    "suppliers": _suppliers,
    "items": _items,
    "pos": _pos,
    "schedules": _schedules,
    "reports": _reports,
    "receipts": _receipts,
    "backorders": _backorders,
    "forecasts": _forecasts,
    "promises": _promises,
    "alerts": _alerts,
}


@service(*ALL_ROLES, writes=False)
def export_frame(db: Database, actor: Actor, kind: str, period: str | None = None) -> pd.DataFrame:
    """The rows of an export ``kind`` with exactly its columns, as the actor may see them."""
    if kind not in EXPORT_COLUMNS:
        raise ValueError(f"Unknown export kind '{kind}'. Kinds: {', '.join(EXPORT_KINDS)}")
    if actor.is_supplier and kind in STAFF_ONLY_KINDS:
        raise PermissionDenied(f"Supplier users cannot export {kind}.")
    with db.read() as session:
        if kind == "scorecards":
            frame = scorecard_export(session, actor, period)
        else:
            frame = _EXPORTERS[kind](session, actor)
    return frame[EXPORT_COLUMNS[kind]]


def to_csv_bytes(frame: pd.DataFrame) -> bytes:
    """CSV (UTF-8, ISO dates, formulas neutralized) as bytes."""
    return neutralize_formulas(_iso_dates(frame)).to_csv(index=False).encode("utf-8")


def problems_csv(errors: Iterable[RowError]) -> bytes:
    """An import's row errors as CSV: the values are the file's own, so formulas are neutralized."""
    return to_csv_bytes(problems_frame(errors))


def to_xlsx_bytes(frame: pd.DataFrame, sheet: str = "export") -> bytes:
    """An Excel workbook with one sheet (formulas neutralized) as bytes."""
    buffer = io.BytesIO()
    with pd.ExcelWriter(buffer, engine="openpyxl") as writer:
        neutralize_formulas(_iso_dates(frame)).to_excel(writer, index=False, sheet_name=sheet[:31])
    return buffer.getvalue()


def write_export(frame: pd.DataFrame, out: Path | None) -> bytes:
    """Bytes of the export: Excel when ``out`` ends in .xlsx, else CSV."""
    if out is not None and out.suffix.lower() == ".xlsx":
        return to_xlsx_bytes(frame, out.stem)
    return to_csv_bytes(frame)


def _iso_dates(frame: pd.DataFrame) -> pd.DataFrame:
    """Date and timestamp columns as ISO text, so CSV and Excel both show YYYY-MM-DD."""
    out = frame.copy()
    for col in out.columns:
        series = out[col]
        if pd.api.types.is_datetime64_any_dtype(series):
            out[col] = series.dt.strftime("%Y-%m-%d").where(series.notna(), None)
        elif series.dtype == object:
            sample = series.dropna()
            if len(sample) and all(hasattr(v, "isoformat") for v in sample.head(20)):
                out[col] = series.map(
                    lambda v: (
                        None
                        if v is None
                        else v.isoformat(sep=" ", timespec="seconds")
                        if hasattr(v, "hour")
                        else v.isoformat()
                    )
                )
    return out
