"""Importing files of every kind: check every row against the database, then write all rows or none.

The command line and the browser both call :func:`import_table`; the browser first calls
it with ``dry_run=True`` for its preview. Checks that need the database (unknown
supplier, item or line; a key that already exists; a report on a non-working day; a
line of another supplier) run here on whole columns, after the per-cell checks of
:mod:`portal.core.fileformats`.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass, field

import numpy as np
import pandas as pd
from sqlalchemy import func, insert, select, update
from sqlalchemy.orm import Session

from db.engine import Database
from db.models import (
    Alert,
    Backorder,
    Item,
    PoLine,
    PoLineChange,
    ProductionReport,
    ProductionSchedule,
    Receipt,
    Supplier,
    SupplierContact,
    utcnow,
)
from portal.core.domain import (
    AlertRule,
    AlertStatus,
    LineStatus,
    PermissionDenied,
    Role,
    Severity,
    SubjectType,
)
from portal.core.fileformats import (
    FORMATS,
    CheckedTable,
    RowError,
    TooManyRows,
    check_known,
    check_new,
    check_rows,
    line_keys,
    read_table,
)
from portal.core.timezones import default_timezone, supplier_today
from portal.services import audit
from portal.services.access import NOT_YOUR_LINE, Actor, service
from portal.services.calendars import load_calendars
from portal.services.settings import load_settings
from portal.services.summaries import add_daily_output, refresh_after_reports

#: Which roles may import which kinds. Supplier users only ever touch their own lines.
KIND_ROLES: dict[str, frozenset[Role]] = {
    "suppliers": frozenset({Role.BUYER, Role.ADMIN}),
    "items": frozenset({Role.BUYER, Role.ADMIN}),
    "pos": frozenset({Role.BUYER, Role.ADMIN}),
    "receipts": frozenset({Role.BUYER, Role.ADMIN}),
    "backorders": frozenset({Role.BUYER, Role.ADMIN}),
    "schedules": frozenset({Role.SUPPLIER, Role.BUYER, Role.ADMIN}),
    "reports": frozenset({Role.SUPPLIER, Role.BUYER, Role.ADMIN}),
}


@dataclass
class ImportResult:
    """What an import did (or, with errors, would not do)."""

    kind: str
    rows: int
    errors: list[RowError] = field(default_factory=list)
    created: int = 0
    corrected: int = 0
    #: Lines that existed and changed (a change order); ``created`` counts only new lines.
    changed: int = 0
    filename: str = ""
    line_ids: set[int] = field(default_factory=set)
    item_ids: set[int] = field(default_factory=set)
    warnings: list[str] = field(default_factory=list)
    preview: pd.DataFrame | None = None

    @property
    def ok(self) -> bool:
        return not self.errors

    def summary(self) -> str:
        if not self.ok:
            rows = len({e.row for e in self.errors})
            return f"{len(self.errors)} error(s) in {rows} row(s); nothing was written."
        extra = f", {self.corrected} correction(s)" if self.corrected else ""
        if self.kind == "pos":
            changed = f", {self.changed} changed" if self.changed else ""
            return f"{self.created} new purchase-order line(s){changed}."
        return f"{self.created} {self.kind} row(s) imported{extra}."


def read_upload(
    data: bytes,
    filename: str,
    kind: str,
    mapping: Mapping[str, str] | None = None,
    *,
    max_rows: int | None = None,
) -> CheckedTable:
    """Read and check the cells of an uploaded file (no database needed); ``max_rows``: see read_table."""
    if kind not in FORMATS:
        raise ValueError(f"Unknown kind '{kind}'")
    return check_rows(read_table(data, filename, kind, max_rows=max_rows), kind, mapping)


def check_row_limit(session: Session, actor: Actor, kind: str, rows: int) -> None:
    """Refuse a person's upload over the admin's row limit for ``kind`` (the command line has none)."""
    # Pages read files with the limit already (read_table's max_rows): this is the service's own check.
    if actor.user_id is None:
        return
    limit = load_settings(session).upload_row_limit(kind)
    if rows > limit:
        raise TooManyRows(limit)


@service(Role.SUPPLIER, Role.BUYER, Role.ADMIN)
def import_table(
    db: Database,
    actor: Actor,
    table: CheckedTable,
    *,
    filename: str = "",
    today: dt.date | None = None,
    dry_run: bool = False,
    recompute: bool = True,
) -> ImportResult:
    """Check ``table`` against the database and write every row, or none when any row is bad."""
    kind = table.kind
    if actor.role not in KIND_ROLES[kind]:
        raise PermissionDenied(f"A {actor.role.value} user cannot import {kind}.")
    # Reports are checked against each supplier's own today (its local date) unless a day is pinned.
    report_today = today
    today = today or dt.date.today()
    with db.write() as session:
        check_row_limit(session, actor, kind, len(table.rows))
        if recompute and not dry_run and not table.errors:
            from portal.services.planning import share_planning_lock

            # First, before a writer updates a backorder a sweep also updates: taken later, this
            # import and a sweep holding the planning lock could wait for each other (a deadlock).
            share_planning_lock(session)
        result = ImportResult(kind=kind, rows=len(table.rows), filename=filename)
        day = report_today if kind == "reports" else today
        _WRITERS[kind](session, actor, table, result, day, dry_run or bool(table.errors))
        result.errors = table.sorted_errors()
        if result.errors or dry_run:
            session.rollback()
            if kind != "pos":
                result.created = len(table.rows) if dry_run and not result.errors else 0
            elif result.errors:
                result.created = result.changed = 0
            return result
        audit.record(
            session,
            actor,
            "import",
            kind,
            after={
                "file": filename,
                "rows": result.rows,
                "created": result.created,
                "corrected": result.corrected,
                **({"changed": result.changed} if kind == "pos" else {}),
            },
        )
        if recompute and (result.line_ids or result.item_ids):
            from portal.services.planning import recompute_affected

            recompute_affected(session, line_ids=result.line_ids, item_ids=result.item_ids, as_of=today)
        session.commit()
    return result


# --------------------------------------------------------------------------- lookups


def _supplier_codes(session: Session) -> dict[str, int]:
    return dict(session.execute(select(Supplier.code, Supplier.id)).all())


def _skus(session: Session, skus: list[str]) -> dict[str, int]:
    if not skus:
        return {}
    found: dict[str, int] = {}
    for chunk in _chunks(skus):
        found.update(session.execute(select(Item.sku, Item.id).where(Item.sku.in_(chunk))).all())
    return found


def _chunks(values: list, size: int = 5000) -> list[list]:
    return [values[i : i + size] for i in range(0, len(values), size)]


def _lines(session: Session, rows: pd.DataFrame) -> pd.DataFrame:
    """The database's lines named by the file's po_number/line columns."""
    po_numbers = sorted(set(rows["po_number"].dropna().unique()))
    cols = ["id", "po_number", "line", "supplier_id", "item_id", "quantity", "order_date", "status"]
    if not po_numbers:
        return pd.DataFrame(columns=[*cols, "label"])
    frames = []
    for chunk in _chunks(po_numbers):
        stmt = select(
            PoLine.id,
            PoLine.po_number,
            PoLine.line,
            PoLine.supplier_id,
            PoLine.item_id,
            PoLine.quantity,
            PoLine.order_date,
            PoLine.status,
        ).where(PoLine.po_number.in_(chunk))
        frames.append(pd.DataFrame(session.execute(stmt).all(), columns=cols))
    found = pd.concat(frames, ignore_index=True)
    found["label"] = found["po_number"].astype(str) + "/" + found["line"].astype(str)
    return found


def _attach_lines(session: Session, actor: Actor, table: CheckedTable) -> pd.DataFrame:
    """Each row's line (id, supplier, ...), with errors for unknown lines and other suppliers' lines."""
    rows = table.rows
    labels = line_keys(rows)
    lines = _lines(session, rows).set_index("label")
    unknown = "no such PO line (po_number/line)"
    if actor.is_supplier:
        # Another supplier's line is as unknown as one that does not exist: the same words, and no
        # check that would tell them apart (its calendar, its reports, its status).
        lines = lines[lines["supplier_id"] == actor.supplier_id]
        unknown = NOT_YOUR_LINE
    known = check_known(table, "line", lines.index, unknown, values=labels)
    matched = lines.reindex(labels.where(known))
    matched.index = rows.index
    cancelled = matched["status"] == LineStatus.CANCELLED
    table.add(cancelled.fillna(False).to_numpy(), "line", "is cancelled", labels)
    return matched


def _ints(series: pd.Series, default: int | None = None) -> list[int | None]:
    """Nullable integers as Python ints/None, for inserts."""
    values = series.astype("Int64")
    if default is not None:
        values = values.fillna(default)
    return [None if pd.isna(v) else int(v) for v in values]


def _dates(series: pd.Series) -> list[dt.date | None]:
    return [None if pd.isna(v) else v.date() for v in series]


def _texts(series: pd.Series) -> list[str | None]:
    return [None if (v is None or (isinstance(v, float) and np.isnan(v))) else str(v) for v in series]


# --------------------------------------------------------------------------- writers


def _write_suppliers(session, actor, table, result, today, dry_run) -> None:  # type: ignore[no-untyped-def]
    rows = table.rows
    check_new(table, "code", _supplier_codes(session), "a supplier with this code already exists")
    if dry_run or table.errors:
        return
    values = [
        {
            "code": code,
            "name": name,
            "country": country,
            "transit_days": transit if transit is not None else 0,
            "capacity_per_day": capacity,
            "timezone": zone or default_timezone(country),
        }
        for code, name, country, transit, capacity, zone in zip(
            rows["code"],
            rows["name"],
            _texts(rows["country"]),
            _ints(rows["transit_days"]),
            _ints(rows["capacity_per_day"]),
            _texts(rows["timezone"]),
            strict=True,
        )
    ]
    session.execute(insert(Supplier), values)
    ids = _supplier_codes(session)
    contacts = [
        {"supplier_id": ids[code], "email": email.strip()}
        for code, emails in zip(rows["code"], _texts(rows["email"]), strict=True)
        if emails
        for email in dict.fromkeys(e for e in emails.replace(",", ";").split(";") if e.strip())
    ]
    if contacts:
        session.execute(insert(SupplierContact), contacts)
    result.created = len(values)


def _write_items(session, actor, table, result, today, dry_run) -> None:  # type: ignore[no-untyped-def]
    rows = table.rows
    existing = _skus(session, rows["sku"].dropna().tolist())
    check_new(table, "sku", existing, "an item with this sku already exists")
    if dry_run or table.errors:
        return
    values = [
        {"sku": sku, "description": desc, "on_hand": on_hand}
        for sku, desc, on_hand in zip(
            rows["sku"], rows["description"], _ints(rows["on_hand"], 0), strict=True
        )
    ]
    session.execute(insert(Item), values)
    result.created = len(values)


def _write_pos(session, actor, table, result, today, dry_run) -> None:  # type: ignore[no-untyped-def]
    rows = table.rows
    suppliers = _supplier_codes(session)
    skus = _skus(session, rows["sku"].dropna().unique().tolist())
    check_known(table, "supplier_code", suppliers, "no supplier with this code")
    check_known(table, "sku", skus, "no item with this sku")
    labels = line_keys(rows)
    existing = _line_values(session, rows)
    exists = labels.isin(existing.index).to_numpy()
    # A line that exists is a change order (DOMAIN.md); the rest are new lines.
    orders = _change_orders(table, rows[exists], labels[exists], existing, suppliers, skus)
    result.changed = sum(1 for order in orders if order.changes)
    new_rows = rows[~exists & (rows["status"] != LineStatus.CANCELLED.value).to_numpy()]
    cancelled_new = rows[~exists & (rows["status"] == LineStatus.CANCELLED.value).to_numpy()]
    table.add(
        rows.index.isin(cancelled_new.index),
        "status",
        "is cancelled, but this PO line does not exist yet: leave the row out",
    )
    result.created = len(new_rows)
    if dry_run or table.errors:
        return
    now = utcnow()
    values = [
        {
            "po_number": po,
            "line": line,
            "supplier_id": suppliers[code],
            "item_id": skus[sku],
            "quantity": qty,
            "order_date": order,
            "need_by_date": need_by,
            "promised_date": promised,
            "transit_days": transit,
            "status": LineStatus.OPEN,
            "created_at": now,
            "updated_at": now,
        }
        for po, line, code, sku, qty, order, need_by, promised, transit in zip(
            new_rows["po_number"],
            _ints(new_rows["line"]),
            new_rows["supplier_code"],
            new_rows["sku"],
            _ints(new_rows["quantity"]),
            _dates(new_rows["order_date"]),
            _dates(new_rows["need_by_date"]),
            _dates(new_rows["promised_date"]),
            _ints(new_rows["transit_days"]),
            strict=True,
        )
    ]
    if values:
        session.execute(insert(PoLine), values)
        created = _lines(session, new_rows)
        result.line_ids = set(created.loc[created["label"].isin(line_keys(new_rows)), "id"].astype(int))
        result.item_ids = {skus[s] for s in new_rows["sku"]}
    changed = [order for order in orders if order.changes]
    if changed:
        apply_change_orders(session, actor, changed, today, now, source=result.filename)
        result.line_ids |= {order.line_id for order in changed}
        result.item_ids |= {order.item_id for order in changed}


#: The fields of a line a change order may change, in the order its history lists them.
CHANGE_FIELDS = ("quantity", "need_by_date", "promised_date", "transit_days", "order_date", "status")


@dataclass
class ChangeOrder:
    """One existing line's changes from a purchase-order file: {field: (old, new)}."""

    line_id: int
    label: str
    supplier_id: int
    item_id: int
    changes: dict[str, tuple[object, object]]

    @property
    def hurts_supplier(self) -> list[str]:
        """The changes that ask more of the supplier: need-by moved earlier, quantity raised."""
        hurts = []
        if "need_by_date" in self.changes:
            old, new = self.changes["need_by_date"]
            if old is not None and new is not None and new < old:  # type: ignore[operator]
                hurts.append(f"need-by moved earlier, {_value_text(old)} → {_value_text(new)}")
        if "quantity" in self.changes:
            old, new = self.changes["quantity"]
            if new > old:  # type: ignore[operator]
                hurts.append(f"quantity raised, {old:,} → {new:,}")
        return hurts


def _line_values(session: Session, rows: pd.DataFrame) -> pd.DataFrame:
    """The current values of the file's lines that exist, by label, with their good received quantity."""
    cols = ["id", "po_number", "line", "supplier_id", "item_id", *CHANGE_FIELDS, "received"]
    po_numbers = sorted(set(rows["po_number"].dropna().unique()))
    frames = []
    for chunk in _chunks(po_numbers):
        good = (
            select(Receipt.po_line_id, func.sum(Receipt.quantity - Receipt.rejected_qty).label("good"))
            .where(Receipt.po_line_id.in_(select(PoLine.id).where(PoLine.po_number.in_(chunk))))
            .group_by(Receipt.po_line_id)
            .subquery()
        )
        stmt = (
            select(
                PoLine.id,
                PoLine.po_number,
                PoLine.line,
                PoLine.supplier_id,
                PoLine.item_id,
                *(getattr(PoLine, f) for f in CHANGE_FIELDS),
                func.coalesce(good.c.good, 0),
            )
            .outerjoin(good, good.c.po_line_id == PoLine.id)
            .where(PoLine.po_number.in_(chunk))
        )
        frames.append(pd.DataFrame(session.execute(stmt).all(), columns=cols))
    found = pd.concat(frames, ignore_index=True) if frames else pd.DataFrame(columns=cols)
    found["label"] = found["po_number"].astype(str) + "/" + found["line"].astype(str)
    found["status"] = found["status"].map(lambda v: getattr(v, "value", v))
    return found.set_index("label")


def _value_text(value: object) -> str:
    """A field's value as the history keeps it: ISO dates, whole numbers, '' for none."""
    if value is None or (isinstance(value, float) and np.isnan(value)):
        return ""
    if isinstance(value, dt.date):
        return value.isoformat()
    return str(value)


def _change_orders(
    table: CheckedTable,
    rows: pd.DataFrame,
    labels: pd.Series,
    existing: pd.DataFrame,
    suppliers: Mapping[str, int],
    skus: Mapping[str, int],
) -> list[ChangeOrder]:
    """Compare each row of an existing line with the line; record row errors for changes not allowed.

    Optional cells left empty (order_date, promised_date, transit_days, status) keep the line's value.
    """
    orders = []
    status_col = rows["status"]
    for idx, label in zip(rows.index, labels, strict=True):
        line = existing.loc[label]
        row = rows.loc[idx]
        bad = []  # (column, value, reason)
        code, sku = row["supplier_code"], row["sku"]
        if code in suppliers and suppliers[code] != int(line["supplier_id"]):
            bad.append(
                ("supplier_code", code, "differs from the line's supplier: cancel the line and add a new one")
            )
        if sku in skus and skus[sku] != int(line["item_id"]):
            bad.append(("sku", sku, "differs from the line's item: cancel the line and add a new one"))
        new = {
            "quantity": None if pd.isna(row["quantity"]) else int(row["quantity"]),
            "need_by_date": None if pd.isna(row["need_by_date"]) else row["need_by_date"].date(),
            "promised_date": None if pd.isna(row["promised_date"]) else row["promised_date"].date(),
            "transit_days": None if pd.isna(row["transit_days"]) else int(row["transit_days"]),
            "order_date": None if pd.isna(row["order_date"]) else row["order_date"].date(),
            "status": None
            if status_col.loc[idx] is None or pd.isna(status_col.loc[idx])
            else status_col.loc[idx],
        }
        changes: dict[str, tuple[object, object]] = {}
        for name in CHANGE_FIELDS:
            old = line[name]
            old = None if old is None or (not isinstance(old, str) and pd.isna(old)) else old
            if isinstance(old, (np.integer, float)) and not isinstance(old, bool):
                old = int(old)
            if new[name] is None or new[name] == old:
                continue
            if name == "status" and new[name] == LineStatus.OPEN.value and old != LineStatus.CANCELLED.value:
                continue  # "open" keeps a line in production, shipped or received as it is
            changes[name] = (old, new[name])
        status, received = line["status"], int(line["received"])
        if changes and status == LineStatus.CANCELLED.value:
            bad.append(("line", label, "is cancelled: a cancelled line cannot be changed"))
        elif changes and status == LineStatus.RECEIVED.value:
            bad.append(("line", label, "is received in full: add a new line for more"))
        elif "status" in changes and changes["status"][1] == LineStatus.CANCELLED.value and received:
            bad.append(
                (
                    "status",
                    "cancelled",
                    f"cannot cancel a line with {received:,} received: "
                    f"lower its quantity to {received:,} instead",
                )
            )
        elif "quantity" in changes and new["quantity"] < received:
            bad.append(
                ("quantity", str(new["quantity"]), f"is below the {received:,} already received on this line")
            )
        for column, value, reason in bad:
            table.errors.append(RowError(int(row["_row"]), column, value, reason))
        if not bad:
            orders.append(
                ChangeOrder(int(line["id"]), label, int(line["supplier_id"]), int(line["item_id"]), changes)
            )
    return orders


def apply_change_orders(
    session: Session,
    actor: Actor,
    orders: list[ChangeOrder],
    today: dt.date,
    now: dt.datetime,
    *,
    source: str = "",
) -> None:
    """Write checked change orders: the lines' new values, their history, and the supplier's alerts."""
    updates = []
    history = []
    for order in orders:
        values: dict[str, object] = {"id": order.line_id, "updated_at": now}
        for name, (old, new) in order.changes.items():
            values[name] = LineStatus(new) if name == "status" else new
            history.append(
                {
                    "po_line_id": order.line_id,
                    "field": name,
                    "old_value": _value_text(old),
                    "new_value": _value_text(new),
                    "changed_by_id": actor.user_id,
                    "changed_by_name": actor.name,
                    "changed_at": now,
                    "source": source[:200] or None,
                }
            )
        updates.append(values)
    # Lines with the same changed fields are updated in one executemany.
    by_keys: dict[tuple[str, ...], list[dict[str, object]]] = {}
    for values in updates:
        by_keys.setdefault(tuple(sorted(values)), []).append(values)
    for group in by_keys.values():
        session.execute(update(PoLine), group)
    session.execute(insert(PoLineChange), history)
    lowered = [o.line_id for o in orders if "quantity" in o.changes]
    if lowered:
        mark_received(session, lowered, load_settings(session).in_full_threshold)
    _alert_supplier(session, actor, [o for o in orders if o.hurts_supplier], today, now)


def _alert_supplier(
    session: Session, actor: Actor, orders: list[ChangeOrder], today: dt.date, now: dt.datetime
) -> None:
    """Open (or reopen) a PO_CHANGED alert on each line changed against its supplier, for it to reply."""
    if not orders:
        return
    keys = {f"line:{o.line_id}": o for o in orders}
    live = {
        alert.subject_key: alert
        for alert in session.scalars(
            select(Alert).where(
                Alert.rule == AlertRule.PO_CHANGED.value,
                Alert.status != AlertStatus.RESOLVED,
                Alert.subject_key.in_(list(keys)),
            )
        )
    }
    for key, order in keys.items():
        message = (
            f"Purchase-order line {order.label} changed by {actor.name} on {today.isoformat()}: "
            + "; ".join(order.hurts_supplier)
            + ". Reply if you cannot meet it."
        )
        alert = live.get(key)
        if alert is None:
            session.add(
                Alert(
                    rule=AlertRule.PO_CHANGED.value,
                    subject_type=SubjectType.LINE,
                    subject_key=key,
                    supplier_id=order.supplier_id,
                    po_line_id=order.line_id,
                    item_id=order.item_id,
                    severity=Severity.WARNING,
                    status=AlertStatus.OPEN,
                    message=message,
                    first_seen=now,
                    last_seen=now,
                    as_of=today,
                )
            )
        else:
            # A second change while the first is open: the same alert, reopened with the latest change.
            alert.message = message
            alert.severity = Severity.WARNING
            alert.status = AlertStatus.OPEN
            alert.snoozed_until = None
            alert.last_seen = now
            alert.as_of = today
    session.flush()


def _current_schedules(session: Session, line_ids: list[int]) -> pd.DataFrame:
    cols = ["po_line_id", "revision", "estimated_end_date"]
    if not line_ids:
        return pd.DataFrame(columns=cols)
    latest = (
        select(ProductionSchedule.po_line_id, func.max(ProductionSchedule.revision).label("revision"))
        .where(ProductionSchedule.po_line_id.in_(line_ids))
        .group_by(ProductionSchedule.po_line_id)
        .subquery()
    )
    stmt = select(
        ProductionSchedule.po_line_id, ProductionSchedule.revision, ProductionSchedule.estimated_end_date
    ).join(
        latest,
        (latest.c.po_line_id == ProductionSchedule.po_line_id)
        & (latest.c.revision == ProductionSchedule.revision),
    )
    return pd.DataFrame(session.execute(stmt).all(), columns=cols)


def check_schedules(session: Session, actor: Actor, table: CheckedTable) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The database checks of a schedules table; returns each row's line and the lines' current schedules."""
    rows = table.rows
    lines = _attach_lines(session, actor, table)
    order_date = pd.to_datetime(lines["order_date"])
    table.add((rows["start_date"] < order_date).to_numpy(), "start_date", "is before the line's order_date")
    line_ids = [int(i) for i in lines["id"].dropna().unique()]
    current = _current_schedules(session, line_ids).set_index("po_line_id")
    prev_end = pd.to_datetime(current["estimated_end_date"].reindex(lines["id"]).to_numpy())
    moves_later = rows["estimated_end_date"].to_numpy() > prev_end
    no_reason = rows["reason"].isna().to_numpy()
    table.add(
        moves_later & no_reason,
        "reason",
        "is required when the estimated_end_date moves later than the current schedule",
    )
    return lines, current


def write_schedules(
    session: Session,
    actor: Actor,
    table: CheckedTable,
    lines: pd.DataFrame,
    current: pd.DataFrame,
    result: ImportResult,
) -> None:
    """Insert each checked row as the next revision of its line's schedule."""
    rows = table.rows
    revisions = current["revision"].reindex(lines["id"]).fillna(0).astype(int).to_numpy() + 1
    now = utcnow()
    values = [
        {
            "po_line_id": int(line_id),
            "revision": int(rev),
            "start_date": start,
            "daily_output": output,
            "estimated_end_date": end,
            "reason": reason,
            "created_by_id": actor.user_id,
            "created_by_name": actor.name,
            "created_at": now,
        }
        for line_id, rev, start, output, end, reason in zip(
            lines["id"],
            revisions,
            _dates(rows["start_date"]),
            _ints(rows["daily_output"]),
            _dates(rows["estimated_end_date"]),
            _texts(rows["reason"]),
            strict=True,
        )
    ]
    session.execute(insert(ProductionSchedule), values)
    result.line_ids = set(lines["id"].astype(int))
    result.created = len(values)


def _write_schedules(session, actor, table, result, today, dry_run) -> None:  # type: ignore[no-untyped-def]
    lines, current = check_schedules(session, actor, table)
    if dry_run or table.errors:
        return
    write_schedules(session, actor, table, lines, current, result)


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
        table.add(mask, column, f"is in the future (today is {pd.Timestamp(limit):%Y-%m-%d})")
    ok = known & rows[column].notna().to_numpy() & ~future
    if ok.any():
        supplier_ids = lines["supplier_id"].to_numpy()[ok].astype(int)
        calendars = load_calendars(session, set(supplier_ids.tolist()))
        days = rows[column].to_numpy()[ok].astype("datetime64[D]")
        working = calendars.is_working_day(days, supplier_ids)
        mask = np.zeros(len(rows), dtype=bool)
        mask[np.flatnonzero(ok)[~working]] = True
        table.add(mask, column, "is not a working day for this supplier (weekend, public holiday or closure)")


def _current_reports(session: Session, line_ids: list[int], dates: pd.Series) -> pd.DataFrame:
    cols = ["id", "po_line_id", "report_date", "revision", "good_qty", "rejected_qty", "note"]
    if not line_ids or dates.dropna().empty:
        return pd.DataFrame(columns=cols)
    frames = []
    for chunk in _chunks(line_ids, 2000):
        stmt = select(
            ProductionReport.id,
            ProductionReport.po_line_id,
            ProductionReport.report_date,
            ProductionReport.revision,
            ProductionReport.good_qty,
            ProductionReport.rejected_qty,
            ProductionReport.note,
        ).where(
            ProductionReport.is_current,
            ProductionReport.po_line_id.in_(chunk),
            ProductionReport.report_date >= dates.min().date(),
            ProductionReport.report_date <= dates.max().date(),
        )
        frames.append(pd.DataFrame(session.execute(stmt).all(), columns=cols))
    return pd.concat(frames, ignore_index=True)


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
        for chunk in _chunks(old_ids):
            session.execute(
                update(ProductionReport).where(ProductionReport.id.in_(chunk)).values(is_current=False)
            )
    revisions = previous["revision"].astype("float64").fillna(0).astype(int).to_numpy() + 1
    line_ids = lines["id"].astype(int).to_numpy()
    now = utcnow()
    values = [
        {
            "po_line_id": int(line_id),
            "report_date": day,
            "revision": int(rev),
            "good_qty": good,
            "rejected_qty": rejected,
            "note": note,
            "is_current": True,
            "created_by_id": actor.user_id,
            "created_by_name": actor.name,
            "created_at": now,
        }
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


def _write_reports(session, actor, table, result, today, dry_run) -> None:  # type: ignore[no-untyped-def]
    lines = check_reports(session, actor, table, today)
    if dry_run or table.errors:
        # A preview still says which rows are corrections of an existing report.
        if not table.errors:
            result.corrected = int(reported_before(session, lines, table.rows)["id"].notna().sum())
        return
    write_reports(session, actor, table, lines, result)


def mark_in_production(session: Session, line_ids: list[int]) -> None:
    """Open lines with output reported are in production."""
    for chunk in _chunks([int(i) for i in line_ids]):
        session.execute(
            update(PoLine)
            .where(PoLine.id.in_(chunk), PoLine.status == LineStatus.OPEN)
            .values(status=LineStatus.IN_PRODUCTION, updated_at=utcnow())
        )


def _write_receipts(session, actor, table, result, today, dry_run) -> None:  # type: ignore[no-untyped-def]
    rows = table.rows
    lines = _attach_lines(session, actor, table)
    future = (rows["received_date"] > pd.Timestamp(today)).fillna(False).to_numpy()
    table.add(future, "received_date", f"is in the future (today is {today.isoformat()})")
    if dry_run or table.errors:
        return
    now = utcnow()
    values = [
        {
            "po_line_id": int(line_id),
            "received_date": day,
            "quantity": qty,
            "rejected_qty": rejected,
            "created_at": now,
        }
        for line_id, day, qty, rejected in zip(
            lines["id"],
            _dates(rows["received_date"]),
            _ints(rows["quantity"]),
            _ints(rows["rejected_qty"], 0),
            strict=True,
        )
    ]
    session.execute(insert(Receipt), values)
    line_ids = [int(i) for i in lines["id"].unique()]
    mark_received(session, line_ids, load_settings(session).in_full_threshold)
    result.line_ids = set(line_ids)
    result.item_ids = {int(i) for i in lines["item_id"].unique()}
    result.created = len(values)


def mark_received(session: Session, line_ids: list[int], in_full: float) -> None:
    """Lines whose good received quantity reaches ``in_full`` (the admin's in-full threshold) of
    the order become received: the same rule the scorecards use for a line's delivery date."""
    for chunk in _chunks(line_ids):
        good = (
            select(Receipt.po_line_id, func.sum(Receipt.quantity - Receipt.rejected_qty).label("good"))
            .where(Receipt.po_line_id.in_(chunk))
            .group_by(Receipt.po_line_id)
            .subquery()
        )
        full = (
            select(PoLine.id)
            .join(good, good.c.po_line_id == PoLine.id)
            .where(
                good.c.good >= PoLine.quantity * in_full,
                PoLine.status.in_([LineStatus.OPEN, LineStatus.IN_PRODUCTION, LineStatus.SHIPPED]),
            )
        )
        ids = list(session.scalars(full))
        if ids:
            session.execute(
                update(PoLine)
                .where(PoLine.id.in_(ids))
                .values(status=LineStatus.RECEIVED, updated_at=utcnow())
            )


def _write_backorders(session, actor, table, result, today, dry_run) -> None:  # type: ignore[no-untyped-def]
    rows = table.rows
    skus = _skus(session, rows["sku"].dropna().unique().tolist())
    check_known(table, "sku", skus, "no item with this sku")
    refs = rows["order_ref"].dropna().tolist()
    existing = set()
    for chunk in _chunks(refs):
        existing.update(session.scalars(select(Backorder.order_ref).where(Backorder.order_ref.in_(chunk))))
    check_new(table, "order_ref", existing, "a backorder with this order_ref already exists")
    if dry_run or table.errors:
        return
    now = utcnow()
    values = [
        {
            "order_ref": ref,
            "customer": customer,
            "item_id": skus[sku],
            "quantity": qty,
            "order_date": order,
            "priority": priority,
            "communicated_date": communicated,
            "created_at": now,
        }
        for ref, customer, sku, qty, order, priority, communicated in zip(
            rows["order_ref"],
            _texts(rows["customer"]),
            rows["sku"],
            _ints(rows["quantity"]),
            _dates(rows["order_date"]),
            _ints(rows["priority"], 0),
            _dates(rows["communicated_date"]),
            strict=True,
        )
    ]
    session.execute(insert(Backorder), values)
    result.item_ids = {skus[s] for s in rows["sku"]}
    result.created = len(values)


_WRITERS = {
    "suppliers": _write_suppliers,
    "items": _write_items,
    "pos": _write_pos,
    "schedules": _write_schedules,
    "reports": _write_reports,
    "receipts": _write_receipts,
    "backorders": _write_backorders,
}
