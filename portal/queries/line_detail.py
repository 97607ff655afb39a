"""Everything about one line: header, forecast, schedule revisions, reports, receipts, alerts, audit."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import pandas as pd
from sqlalchemy import select

from db.engine import Database
from db.frames import as_date as as_date
from db.frames import load_frame
from db.joins import with_line_supplier_and_item
from db.models import (
    Alert,
    AlertComment,
    AuditEvent,
    Item,
    LineForecast,
    PoLine,
    PoLineChange,
    ProductionReport,
    ProductionSchedule,
    Receipt,
    Supplier,
    SupplierClosure,
)
from portal.core.calendar import WorkCalendar
from portal.core.forecast import FORECAST_DATES
from portal.services.access import ALL_ROLES, Actor, require_line_access, service
from portal.services.planning.seen import seen_columns

#: A schedule revision as the line's pages and the API show it.
SCHEDULE_COLUMNS = [
    "revision",
    "start_date",
    "daily_output",
    "estimated_end_date",
    "reason",
    "created_by",
    "created_at",
]


@dataclass
class LineDetail:
    """One line as its pages show it."""

    header: dict[str, Any]
    forecast: dict[str, Any] | None
    schedules: pd.DataFrame
    reports: pd.DataFrame
    receipts: pd.DataFrame
    alerts: pd.DataFrame
    comments: pd.DataFrame
    audit: pd.DataFrame = field(default_factory=pd.DataFrame)
    #: The line's change orders, newest first: field, old_value, new_value, who, at, source.
    changes: pd.DataFrame = field(default_factory=pd.DataFrame)

    @property
    def current_schedule(self) -> dict[str, Any] | None:
        if self.schedules.empty:
            return None
        return self.schedules.iloc[-1].to_dict()

    @property
    def calendar(self) -> WorkCalendar:
        """The supplier's working calendar (built on demand: the detail itself stays picklable)."""
        return WorkCalendar.for_supplier(
            self.header["country"], self.header["working_weekdays"], self.header["closures"]
        )

    @property
    def current_reports(self) -> pd.DataFrame:
        return self.reports[self.reports["is_current"]].sort_values("report_date")


@service(*ALL_ROLES, writes=False)
def line_detail(db: Database, actor: Actor, line_id: int) -> LineDetail:
    """One line's whole story; a supplier user only for its own lines. Staff also get the audit trail."""
    with db.read() as session:
        row = session.execute(
            with_line_supplier_and_item(
                select(
                    PoLine,
                    Supplier.code,
                    Supplier.name,
                    Supplier.transit_days,
                    Supplier.country,
                    Supplier.working_weekdays,
                    Item.sku,
                    Item.description,
                )
            ).where(PoLine.id == line_id)
        ).first()
        require_line_access(actor, row[0].supplier_id if row is not None else None, line_id)
        assert row is not None, "require_line_access refuses a missing line"
        line, code, name, supplier_transit, country, weekmask, sku, description = row
        header = {
            "line_id": line.id,
            "label": line.label,
            "po_number": line.po_number,
            "line": line.line,
            "supplier_id": line.supplier_id,
            "supplier_code": code,
            "supplier_name": name,
            "item_id": line.item_id,
            "sku": sku,
            "item": description,
            "quantity": line.quantity,
            "status": line.status.value,
            "order_date": line.order_date,
            "need_by_date": line.need_by_date,
            "promised_date": line.promised_date,
            "transit_days": line.transit_days if line.transit_days is not None else supplier_transit,
            "updated_at": line.updated_at,
            "country": country,
            "working_weekdays": weekmask,
            "closures": tuple(
                session.scalars(
                    select(SupplierClosure.closure_date).where(
                        SupplierClosure.supplier_id == line.supplier_id
                    )
                )
            ),
        }
        fc = session.get(LineForecast, line_id)
        forecast = None
        if fc is not None:
            forecast = {
                c: getattr(fc, c)
                for c in (
                    "as_of",
                    "produced",
                    "remaining",
                    "rate",
                    "rate_source",
                    *FORECAST_DATES,
                    "computed_at",
                )
            }
        schedules = load_frame(
            session,
            select(
                ProductionSchedule.revision,
                ProductionSchedule.start_date,
                ProductionSchedule.daily_output,
                ProductionSchedule.estimated_end_date,
                ProductionSchedule.reason,
                ProductionSchedule.created_by_name,
                ProductionSchedule.created_at,
            )
            .where(ProductionSchedule.po_line_id == line_id)
            .order_by(ProductionSchedule.revision),
            SCHEDULE_COLUMNS,
        )
        schedules["previous_end_date"] = schedules["estimated_end_date"].shift(1)
        reports = load_frame(
            session,
            select(
                ProductionReport.report_date,
                ProductionReport.revision,
                ProductionReport.good_qty,
                ProductionReport.rejected_qty,
                ProductionReport.note,
                ProductionReport.is_current,
                ProductionReport.created_by_name,
                ProductionReport.created_at,
            )
            .where(ProductionReport.po_line_id == line_id)
            .order_by(ProductionReport.report_date, ProductionReport.revision),
            [
                "report_date",
                "revision",
                "good_qty",
                "rejected_qty",
                "note",
                "is_current",
                "created_by",
                "created_at",
            ],
        )
        reports["is_current"] = reports["is_current"].astype(bool)
        receipts = load_frame(
            session,
            select(Receipt.received_date, Receipt.quantity, Receipt.rejected_qty)
            .where(Receipt.po_line_id == line_id)
            .order_by(Receipt.received_date, Receipt.id),
            ["received_date", "quantity", "rejected_qty"],
        )
        alerts = load_frame(
            session,
            select(
                Alert.id,
                Alert.rule,
                Alert.severity,
                Alert.status,
                Alert.message,
                Alert.message_args,
                Alert.first_seen,
                seen_columns(session)[0],
                Alert.snoozed_until,
            )
            .where(Alert.po_line_id == line_id)
            .order_by(Alert.status, Alert.first_seen.desc()),
            [
                "alert_id",
                "rule",
                "severity",
                "status",
                "message",
                "message_args",
                "first_seen",
                "last_seen",
                "snoozed_until",
            ],
        )
        comments = load_frame(
            session,
            select(
                AlertComment.alert_id, AlertComment.author_name, AlertComment.body, AlertComment.created_at
            )
            .join(Alert, Alert.id == AlertComment.alert_id)
            .where(Alert.po_line_id == line_id)
            .order_by(AlertComment.created_at, AlertComment.id),
            ["alert_id", "author", "body", "created_at"],
        )
        # The buyer's changes to the order are the supplier's business too: both see them.
        changes = load_frame(
            session,
            select(
                PoLineChange.changed_at,
                PoLineChange.changed_by_name,
                PoLineChange.field,
                PoLineChange.old_value,
                PoLineChange.new_value,
                PoLineChange.source,
            )
            .where(PoLineChange.po_line_id == line_id)
            .order_by(PoLineChange.changed_at.desc(), PoLineChange.id),
            ["at", "who", "field", "old_value", "new_value", "source"],
        )
        audit = pd.DataFrame()
        if not actor.is_supplier:
            audit = load_frame(
                session,
                select(
                    AuditEvent.at,
                    AuditEvent.actor_name,
                    AuditEvent.action,
                    AuditEvent.entity,
                    AuditEvent.entity_id,
                    AuditEvent.before,
                    AuditEvent.after,
                )
                .where(AuditEvent.po_line_id == line_id)
                .order_by(AuditEvent.at.desc(), AuditEvent.id.desc()),
                ["at", "who", "action", "entity", "entity_id", "before", "after"],
            )
            audit = _with_change_orders(audit, changes, line_id)
    return LineDetail(
        header=header,
        forecast=forecast,
        schedules=schedules,
        reports=reports,
        receipts=receipts,
        alerts=alerts,
        comments=comments,
        audit=audit,
        changes=changes,
    )


def _with_change_orders(audit: pd.DataFrame, changes: pd.DataFrame, line_id: int) -> pd.DataFrame:
    """The audit trail with the line's change orders in it, newest first: one event per change order
    (the fields one import changed, with who and when), as 'line.changed' with the old and new values."""
    if changes.empty:
        return audit
    events = [
        {
            "at": at,
            "who": who,
            "action": "line.changed",
            "entity": "po_line",
            "entity_id": str(line_id),
            "before": dict(zip(group["field"], group["old_value"], strict=True)),
            "after": dict(zip(group["field"], group["new_value"], strict=True)),
        }
        for (at, who), group in changes.groupby(["at", "who"], sort=False)
    ]
    merged = (
        pd.concat([audit, pd.DataFrame(events)], ignore_index=True) if len(audit) else pd.DataFrame(events)
    )
    return merged.sort_values("at", ascending=False, kind="stable").reset_index(drop=True)
