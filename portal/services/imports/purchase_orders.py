"""Writing purchase-order files: new lines, and change orders on lines that exist (with their
history and the alert that asks the supplier to reply)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np
import pandas as pd
from sqlalchemy import func, insert, select, update
from sqlalchemy.orm import Session

from db.frames import load_frame
from db.models import Alert, PoLine, PoLineChange, Receipt, utcnow
from portal.core.alert_text import po_changed
from portal.core.batching import chunked
from portal.core.change_order_email import ChangedLine, FieldChange
from portal.core.domain import AlertRule, AlertStatus, LineStatus, Severity, SubjectType
from portal.core.fileformats import CheckedTable, RowError, check_known, line_keys
from portal.i18n import N_
from portal.services.access import Actor
from portal.services.imports.lookups import _dates, _ints, _lines, _skus, _supplier_codes
from portal.services.imports.receipts import mark_received
from portal.services.imports.result import ImportJob
from portal.services.settings import load_settings


def _write_pos(job: ImportJob) -> None:
    session, actor, table = job.session, job.actor, job.table
    result, today, dry_run = job.result, job.today, job.dry_run
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
        N_("is cancelled, but this PO line does not exist yet: leave the row out"),
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
        result.change_emails = apply_change_orders(
            session, actor, changed, today or now.date(), now, source=result.filename
        )
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
        need_by, quantity = self.need_by_earlier, self.quantity_raised
        if need_by is not None:
            hurts.append(f"need-by moved earlier, {_value_text(need_by[0])} → {_value_text(need_by[1])}")
        if quantity is not None:
            hurts.append(f"quantity raised, {quantity[0]:,} → {quantity[1]:,}")
        return hurts

    @property
    def need_by_earlier(self) -> tuple[dt.date, dt.date] | None:
        """(old, new) when the need-by date moved earlier."""
        old, new = self.changes.get("need_by_date", (None, None))
        if isinstance(old, dt.date) and isinstance(new, dt.date) and new < old:
            return old, new
        return None

    @property
    def quantity_raised(self) -> tuple[int, int] | None:
        """(old, new) when the quantity went up."""
        old, new = self.changes.get("quantity", (None, None))
        if isinstance(old, int) and isinstance(new, int) and new > old:
            return old, new
        return None


def _line_values(session: Session, rows: pd.DataFrame) -> pd.DataFrame:
    """The current values of the file's lines that exist, by label, with their good received quantity."""
    cols = ["id", "po_number", "line", "supplier_id", "item_id", *CHANGE_FIELDS, "received", "label"]
    po_numbers = sorted(set(rows["po_number"].dropna().unique()))
    frames = []
    for chunk in chunked(po_numbers):
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
                PoLine.label,
            )
            .outerjoin(good, good.c.po_line_id == PoLine.id)
            .where(PoLine.po_number.in_(chunk))
        )
        frames.append(load_frame(session, stmt, cols))
    found = pd.concat(frames, ignore_index=True) if frames else pd.DataFrame(columns=cols)
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
        elif "quantity" in changes and isinstance(new["quantity"], int) and new["quantity"] < received:
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
) -> int:
    """Write checked change orders: the lines' new values, their history, the supplier's alerts and
    the e-mails telling it (queued in the outbox); returns how many e-mails were queued."""
    updates = []
    history = []
    for order in orders:
        values: dict[str, object] = {"id": order.line_id, "updated_at": now}
        for name, (old, new) in order.changes.items():
            values[name] = LineStatus(str(new)) if name == "status" else new
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
    # Each line's newest history id names this change order in the e-mail's dedup key.
    newest: dict[int, int] = {}
    for line_id, change_id in session.execute(
        insert(PoLineChange).returning(PoLineChange.po_line_id, PoLineChange.id), history
    ):
        newest[int(line_id)] = max(newest.get(int(line_id), 0), int(change_id))
    lowered = [o.line_id for o in orders if "quantity" in o.changes]
    if lowered:
        mark_received(session, lowered, load_settings(session).in_full_threshold)
    hurting = [o for o in orders if o.hurts_supplier]
    alerts = _alert_supplier(session, actor, hurting, today, now)
    return _email_supplier(session, actor, hurting, alerts, newest, now)


def _email_supplier(
    session: Session,
    actor: Actor,
    orders: list[ChangeOrder],
    alerts: Mapping[int, int],
    newest: Mapping[int, int],
    now: dt.datetime,
) -> int:
    """Queue the change e-mail to each address of each supplier changed against, in this transaction:
    nothing waits for a later sweep, and imports committing at once each queue their own."""
    # Imported here: notifications -> posting_links -> imports would otherwise be a cycle.
    from portal.services.notifications.plan import plan_po_change_emails

    changed: dict[int, list[tuple[int, ChangedLine]]] = {}
    for order in orders:
        line = ChangedLine(
            alert_id=alerts[order.line_id],
            label=order.label,
            changed_by=actor.name,
            changed_at=now,
            changes=tuple(
                FieldChange(name, _value_text(old), _value_text(new))
                for name, (old, new) in order.changes.items()
            ),
        )
        changed.setdefault(order.supplier_id, []).append((newest[order.line_id], line))
    return plan_po_change_emails(session, changed, now=now)


def _alert_supplier(
    session: Session, actor: Actor, orders: list[ChangeOrder], today: dt.date, now: dt.datetime
) -> dict[int, int]:
    """Open (or reopen) a PO_CHANGED alert on each line changed against its supplier, for it to reply;
    returns each line's alert id."""
    if not orders:
        return {}
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
        # The English message, and its template and values to show it in the reader's language.
        message, message_args = po_changed(
            order.label, actor.name, today, order.need_by_earlier, order.quantity_raised
        )
        alert = live.get(key)
        if alert is None:
            alert = Alert(
                rule=AlertRule.PO_CHANGED.value,
                subject_type=SubjectType.LINE,
                subject_key=key,
                supplier_id=order.supplier_id,
                po_line_id=order.line_id,
                item_id=order.item_id,
                severity=Severity.WARNING,
                status=AlertStatus.OPEN,
                message=message,
                message_args=message_args,
                first_seen=now,
                last_seen=now,
                as_of=today,
            )
            session.add(alert)
            live[key] = alert
        else:
            # A second change while the first is open: the same alert, reopened with the latest change.
            alert.message = message
            alert.message_args = message_args
            alert.severity = Severity.WARNING
            alert.status = AlertStatus.OPEN
            alert.snoozed_until = None
            alert.last_seen = now
            alert.as_of = today
    session.flush()
    return {order.line_id: int(live[key].id) for key, order in keys.items()}
