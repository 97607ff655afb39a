"""Typed SQLAlchemy models for every entity in DOMAIN.md.

Conventions: quantities are whole units (Integer) and never negative; dates are
calendar dates (Date); timestamps are naive UTC (DateTime), the same on SQLite and
PostgreSQL. Enumerations are stored as their string values with a CHECK constraint.

One module (over 500 lines) so that Alembic's autogenerate and every reader see the whole schema,
and the relationships between models resolve without import cycles.
"""

from __future__ import annotations

import datetime as dt
from enum import StrEnum
from typing import Any

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    CheckConstraint,
    Date,
    DateTime,
    Enum,
    Float,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
    case,
    cast,
    literal,
    null,
    text,
)
from sqlalchemy.ext.hybrid import hybrid_property
from sqlalchemy.orm import Mapped, mapped_column, relationship
from sqlalchemy.sql.elements import ColumnElement

from db.base import Base
from portal.core.domain import (
    AlertStatus,
    BackorderStatus,
    LineStatus,
    PromiseStatus,
    Role,
    Severity,
    SubjectType,
)


def utcnow() -> dt.datetime:
    """Naive UTC now: what every timestamp column stores."""
    return dt.datetime.now(dt.UTC).replace(tzinfo=None)


def _enum(kind: type[StrEnum], name: str) -> Enum:
    """A portable enum column: VARCHAR of the values, kept honest by a CHECK."""
    return Enum(
        kind,
        name=name,
        native_enum=False,
        create_constraint=True,
        length=20,
        values_callable=lambda members: [m.value for m in members],
        validate_strings=True,
    )


def severity_rank(column: Any) -> ColumnElement[int]:
    """:attr:`Severity.rank` in SQL (-1 for anything else): ``func.max(severity_rank(Alert.severity))``."""
    return case(Severity.ranks(), value=column, else_=-1)


class Supplier(Base):
    __tablename__ = "suppliers"

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(40), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    country: Mapped[str | None] = mapped_column(String(2))
    #: numpy weekmask, Monday first: "1111100" is Monday to Friday.
    working_weekdays: Mapped[str] = mapped_column(String(7), default="1111100", server_default="1111100")
    transit_days: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    capacity_per_day: Mapped[int | None] = mapped_column(Integer)
    #: IANA time zone: the supplier's "today" is its local date (default from its country).
    timezone: Mapped[str] = mapped_column(String(64), default="UTC", server_default="UTC")
    active: Mapped[bool] = mapped_column(Boolean, default=True, server_default=text("true"))
    created_at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow)

    contacts: Mapped[list[SupplierContact]] = relationship(
        back_populates="supplier", cascade="all, delete-orphan", order_by="SupplierContact.id"
    )
    closures: Mapped[list[SupplierClosure]] = relationship(
        back_populates="supplier", cascade="all, delete-orphan", order_by="SupplierClosure.closure_date"
    )

    __table_args__ = (
        CheckConstraint("transit_days >= 0", name="transit_days_non_negative"),
        CheckConstraint("capacity_per_day IS NULL OR capacity_per_day > 0", name="capacity_positive"),
        CheckConstraint("length(working_weekdays) = 7", name="weekmask_length"),
    )


class SupplierContact(Base):
    __tablename__ = "supplier_contacts"

    id: Mapped[int] = mapped_column(primary_key=True)
    supplier_id: Mapped[int] = mapped_column(ForeignKey("suppliers.id", ondelete="CASCADE"), index=True)
    email: Mapped[str] = mapped_column(String(254))
    name: Mapped[str | None] = mapped_column(String(200))

    supplier: Mapped[Supplier] = relationship(back_populates="contacts")

    __table_args__ = (UniqueConstraint("supplier_id", "email"),)


class SupplierClosure(Base):
    """A date the supplier's factory does not work (holiday shutdown, maintenance)."""

    __tablename__ = "supplier_closures"

    id: Mapped[int] = mapped_column(primary_key=True)
    supplier_id: Mapped[int] = mapped_column(ForeignKey("suppliers.id", ondelete="CASCADE"))
    closure_date: Mapped[dt.date] = mapped_column(Date)
    reason: Mapped[str | None] = mapped_column(String(200))

    supplier: Mapped[Supplier] = relationship(back_populates="closures")

    __table_args__ = (UniqueConstraint("supplier_id", "closure_date"),)


class Item(Base):
    __tablename__ = "items"

    id: Mapped[int] = mapped_column(primary_key=True)
    sku: Mapped[str] = mapped_column(String(60), unique=True)
    description: Mapped[str] = mapped_column(String(300))
    on_hand: Mapped[int] = mapped_column(Integer, default=0, server_default="0")

    __table_args__ = (CheckConstraint("on_hand >= 0", name="on_hand_non_negative"),)


class PoLine(Base):
    """One purchase-order line: what a supplier makes for us, and by when."""

    __tablename__ = "po_lines"

    id: Mapped[int] = mapped_column(primary_key=True)
    po_number: Mapped[str] = mapped_column(String(60))
    line: Mapped[int] = mapped_column(Integer)
    supplier_id: Mapped[int] = mapped_column(ForeignKey("suppliers.id"))
    item_id: Mapped[int] = mapped_column(ForeignKey("items.id"))
    quantity: Mapped[int] = mapped_column(Integer)
    order_date: Mapped[dt.date | None] = mapped_column(Date)
    need_by_date: Mapped[dt.date] = mapped_column(Date)
    promised_date: Mapped[dt.date | None] = mapped_column(Date)
    #: None: the supplier's default transit days apply.
    transit_days: Mapped[int | None] = mapped_column(Integer)
    status: Mapped[LineStatus] = mapped_column(
        _enum(LineStatus, "line_status"), default=LineStatus.OPEN, server_default=LineStatus.OPEN.value
    )
    created_at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow)
    updated_at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow, onupdate=utcnow)

    supplier: Mapped[Supplier] = relationship()
    item: Mapped[Item] = relationship()

    __table_args__ = (
        UniqueConstraint("po_number", "line"),
        CheckConstraint("quantity > 0", name="quantity_positive"),
        CheckConstraint("line > 0", name="line_positive"),
        CheckConstraint("transit_days IS NULL OR transit_days >= 0", name="transit_days_non_negative"),
        Index("ix_po_lines_supplier_status", "supplier_id", "status"),
        Index("ix_po_lines_item_status", "item_id", "status"),
        Index("ix_po_lines_status_need_by", "status", "need_by_date"),
        # The manager ranking's counts per status and supplier read this index alone (0015).
        Index("ix_po_lines_status_supplier", "status", "supplier_id"),
        # The scorecards' month choices: the first and last need-by date, one index probe each (0024).
        Index("ix_po_lines_need_by_date", "need_by_date"),
    )

    @hybrid_property
    def label(self) -> str:
        """How people name a line: PO-1042/3 (in SQL too: ``select(PoLine.label)``)."""
        return f"{self.po_number}/{self.line}"

    @label.inplace.expression
    @classmethod
    def _label_expression(cls) -> ColumnElement[str]:
        return (cls.po_number + literal("/") + cast(cls.line, String)).label("label")


class PoLineChange(Base):
    """One field of a line changed by a change order (a re-imported purchase-order line): who, when, from, to.

    ``field`` is a PoLine column (quantity, need_by_date, promised_date, transit_days, order_date,
    status); ``old_value`` and ``new_value`` are its values as text (ISO dates, whole numbers),
    empty for none. The rows of one import share ``changed_at``.
    """

    __tablename__ = "po_line_changes"

    id: Mapped[int] = mapped_column(primary_key=True)
    po_line_id: Mapped[int] = mapped_column(ForeignKey("po_lines.id", ondelete="CASCADE"))
    field: Mapped[str] = mapped_column(String(40))
    old_value: Mapped[str | None] = mapped_column(String(60))
    new_value: Mapped[str | None] = mapped_column(String(60))
    changed_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    changed_by_name: Mapped[str] = mapped_column(String(120))
    changed_at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow)
    #: Where the change came from: the imported file's name (empty when unknown).
    source: Mapped[str | None] = mapped_column(String(200))

    __table_args__ = (Index("ix_po_line_changes_line_at", "po_line_id", "changed_at"),)


class ProductionSchedule(Base):
    """One revision of a supplier's plan for a line. Revisions are never overwritten."""

    __tablename__ = "production_schedules"

    id: Mapped[int] = mapped_column(primary_key=True)
    po_line_id: Mapped[int] = mapped_column(ForeignKey("po_lines.id", ondelete="CASCADE"))
    revision: Mapped[int] = mapped_column(Integer)
    start_date: Mapped[dt.date] = mapped_column(Date)
    daily_output: Mapped[int] = mapped_column(Integer)
    estimated_end_date: Mapped[dt.date] = mapped_column(Date)
    reason: Mapped[str | None] = mapped_column(Text)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    created_by_name: Mapped[str] = mapped_column(String(120))
    created_at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow)

    __table_args__ = (
        UniqueConstraint("po_line_id", "revision"),
        CheckConstraint("revision > 0", name="revision_positive"),
        CheckConstraint("daily_output > 0", name="daily_output_positive"),
        CheckConstraint("estimated_end_date >= start_date", name="dates_in_order"),
    )


class ProductionReport(Base):
    """Output of one line on one working day. A correction is a new revision; the old stays."""

    __tablename__ = "production_reports"

    id: Mapped[int] = mapped_column(primary_key=True)
    po_line_id: Mapped[int] = mapped_column(ForeignKey("po_lines.id", ondelete="CASCADE"))
    report_date: Mapped[dt.date] = mapped_column(Date)
    revision: Mapped[int] = mapped_column(Integer, default=1)
    good_qty: Mapped[int] = mapped_column(Integer)
    rejected_qty: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    note: Mapped[str | None] = mapped_column(Text)
    is_current: Mapped[bool] = mapped_column(Boolean, default=True, server_default=text("true"))
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    created_by_name: Mapped[str] = mapped_column(String(120))
    created_at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow)

    __table_args__ = (
        UniqueConstraint("po_line_id", "report_date", "revision"),
        CheckConstraint("good_qty >= 0", name="good_qty_non_negative"),
        CheckConstraint("rejected_qty >= 0", name="rejected_qty_non_negative"),
        CheckConstraint("revision > 0", name="revision_positive"),
        # At most one current report per line and day, whatever happens concurrently.
        Index(
            "uq_production_reports_current",
            "po_line_id",
            "report_date",
            unique=True,
            sqlite_where=text("is_current"),
            postgresql_where=text("is_current"),
        ),
    )


class LineProductionSummary(Base):
    """What the forecast needs of a line's current reports, kept in the transaction of every report.

    See :mod:`portal.core.summaries`: exact sums and dates, the EWM's state as a numerator and a
    denominator, and the quantity and span they were computed for.
    """

    __tablename__ = "line_production_summaries"

    po_line_id: Mapped[int] = mapped_column(ForeignKey("po_lines.id", ondelete="CASCADE"), primary_key=True)
    quantity: Mapped[int] = mapped_column(Integer)
    ewm_span: Mapped[int] = mapped_column(Integer)
    produced: Mapped[int] = mapped_column(BigInteger)
    rejected: Mapped[int] = mapped_column(BigInteger)
    reported_days: Mapped[int] = mapped_column(Integer)
    good_sq_sum: Mapped[int] = mapped_column(BigInteger)
    first_report_date: Mapped[dt.date | None] = mapped_column(Date)
    last_report_date: Mapped[dt.date | None] = mapped_column(Date)
    ewm_num: Mapped[float] = mapped_column(Float)
    ewm_den: Mapped[float] = mapped_column(Float)
    completed_on: Mapped[dt.date | None] = mapped_column(Date)
    # What the forecast's calibration reads of the line's days: the first day with output, and the
    # days with output and the days after the ramp-up, as counts, exact sums and EWM states.
    first_output_date: Mapped[dt.date | None] = mapped_column(Date)
    positive_days: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    positive_ewm_num: Mapped[float] = mapped_column(Float, default=0.0, server_default="0")
    positive_ewm_den: Mapped[float] = mapped_column(Float, default=0.0, server_default="0")
    steady_days: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    steady_sum: Mapped[int] = mapped_column(BigInteger, default=0, server_default="0")
    steady_sq_sum: Mapped[int] = mapped_column(BigInteger, default=0, server_default="0")
    steady_ewm_num: Mapped[float] = mapped_column(Float, default=0.0, server_default="0")
    steady_ewm_den: Mapped[float] = mapped_column(Float, default=0.0, server_default="0")
    updated_at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow)


class SupplierDailyOutput(Base):
    """A supplier's total good output of one day over its lines' current reports (observed capacity)."""

    __tablename__ = "supplier_daily_outputs"

    supplier_id: Mapped[int] = mapped_column(ForeignKey("suppliers.id", ondelete="CASCADE"), primary_key=True)
    report_date: Mapped[dt.date] = mapped_column(Date, primary_key=True)
    good_qty: Mapped[int] = mapped_column(BigInteger)


class Receipt(Base):
    """Goods received at the warehouse for a line."""

    __tablename__ = "receipts"

    id: Mapped[int] = mapped_column(primary_key=True)
    po_line_id: Mapped[int] = mapped_column(ForeignKey("po_lines.id", ondelete="CASCADE"))
    received_date: Mapped[dt.date] = mapped_column(Date)
    quantity: Mapped[int] = mapped_column(Integer)
    rejected_qty: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    created_at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow)

    __table_args__ = (
        CheckConstraint("quantity >= 0", name="quantity_non_negative"),
        CheckConstraint("rejected_qty >= 0 AND rejected_qty <= quantity", name="rejected_within_quantity"),
        Index("ix_receipts_line_date", "po_line_id", "received_date"),
        # The scorecards' month choices: the first and last receipt date, one index probe each (0024).
        Index("ix_receipts_received_date", "received_date"),
    )


class Backorder(Base):
    """A customer order waiting for stock, with the date the portal promises."""

    __tablename__ = "backorders"

    id: Mapped[int] = mapped_column(primary_key=True)
    order_ref: Mapped[str] = mapped_column(String(60), unique=True)
    customer: Mapped[str | None] = mapped_column(String(200))
    item_id: Mapped[int] = mapped_column(ForeignKey("items.id"))
    quantity: Mapped[int] = mapped_column(Integer)
    order_date: Mapped[dt.date] = mapped_column(Date)
    priority: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    status: Mapped[BackorderStatus] = mapped_column(
        _enum(BackorderStatus, "backorder_status"),
        default=BackorderStatus.WAITING,
        server_default=BackorderStatus.WAITING.value,
    )
    promise_date: Mapped[dt.date | None] = mapped_column(Date)
    promise_status: Mapped[PromiseStatus | None] = mapped_column(_enum(PromiseStatus, "promise_status"))
    promise_computed_at: Mapped[dt.datetime | None] = mapped_column(DateTime)
    #: Why the promise date is what it is ("on hand", "arrival p90 ... of PO-1/2 + 2 days X buffer").
    promise_reason: Mapped[str | None] = mapped_column(Text)
    #: The same as its template's key and values, JSON text (portal.core.promise_text): shown translated.
    promise_reason_args: Mapped[str | None] = mapped_column(Text)
    communicated_date: Mapped[dt.date | None] = mapped_column(Date)
    created_at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow)

    item: Mapped[Item] = relationship()

    __table_args__ = (
        CheckConstraint("quantity > 0", name="quantity_positive"),
        Index("ix_backorders_item_status", "item_id", "status"),
    )


class BackorderAllocation(Base):
    """Which supply (on-hand stock, or an open line) the promise of a backorder counts on."""

    __tablename__ = "backorder_allocations"

    id: Mapped[int] = mapped_column(primary_key=True)
    backorder_id: Mapped[int] = mapped_column(ForeignKey("backorders.id", ondelete="CASCADE"), index=True)
    #: None: on-hand stock.
    po_line_id: Mapped[int | None] = mapped_column(ForeignKey("po_lines.id", ondelete="CASCADE"), index=True)
    quantity: Mapped[int] = mapped_column(Integer)
    available_date: Mapped[dt.date] = mapped_column(Date)

    __table_args__ = (CheckConstraint("quantity > 0", name="quantity_positive"),)


class LineForecast(Base):
    """The latest forecast of an open line, stored by the engine so pages read it as is."""

    __tablename__ = "line_forecasts"

    po_line_id: Mapped[int] = mapped_column(ForeignKey("po_lines.id", ondelete="CASCADE"), primary_key=True)
    as_of: Mapped[dt.date] = mapped_column(Date)
    produced: Mapped[int] = mapped_column(Integer)
    remaining: Mapped[int] = mapped_column(Integer)
    rate: Mapped[float | None] = mapped_column(Float)
    rate_source: Mapped[str] = mapped_column(String(20))
    completion_p50: Mapped[dt.date | None] = mapped_column(Date)
    completion_p90: Mapped[dt.date | None] = mapped_column(Date)
    arrival_p50: Mapped[dt.date | None] = mapped_column(Date)
    arrival_p90: Mapped[dt.date | None] = mapped_column(Date)
    days_late_p50: Mapped[int | None] = mapped_column(Integer)
    days_late_p90: Mapped[int | None] = mapped_column(Integer)
    #: The day since which this line's forecast has been confidently late without a break
    #: (portal.core.alerts.late_since), kept by the sweep and a post alike; NULL when it is not late.
    #: PROJECTED_LATE far from need-by waits until it is projected_late_held_days old.
    late_since: Mapped[dt.date | None] = mapped_column(Date)
    #: A hash of the values above as the sweep computed them (portal.core.changes.row_hashes): a later
    #: sweep compares its new forecast's hash with it instead of reading every value back. Any other
    #: UPDATE (a post's recompute) sets it back to NULL, so the sweep compares those rows in full.
    values_hash: Mapped[int | None] = mapped_column(BigInteger, onupdate=null())
    computed_at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow)

    __table_args__ = (
        # The late lines (the ranking's counts, 0015): a third of the forecasts, not all of them.
        Index(
            "ix_line_forecasts_late",
            "po_line_id",
            sqlite_where=text("days_late_p50 > 0"),
            postgresql_where=text("days_late_p50 > 0"),
        ),
    )


class SupplierStats(Base):
    """What the engine learned from a supplier's history: buffer, lead time, capacity, calibration."""

    __tablename__ = "supplier_stats"

    supplier_id: Mapped[int] = mapped_column(ForeignKey("suppliers.id", ondelete="CASCADE"), primary_key=True)
    buffer_days: Mapped[int] = mapped_column(Integer, default=0)
    deliveries: Mapped[int] = mapped_column(Integer, default=0)
    median_lead_time_days: Mapped[float | None] = mapped_column(Float)
    observed_capacity_p90: Mapped[float | None] = mapped_column(Float)
    #: Forecast calibration (portal/core/calibration.py): started lines in the record, and the
    #: start delay (working days) and duration ratio (planned / real rate) learned from them.
    forecast_records: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    start_delay_days: Mapped[float | None] = mapped_column(Float)
    start_delay_sd: Mapped[float | None] = mapped_column(Float)
    rate_ratio: Mapped[float | None] = mapped_column(Float)
    rate_ratio_sd: Mapped[float | None] = mapped_column(Float)
    #: What the statistics were learned from (portal/services/planning/stats_inputs.py): a sweep whose
    #: inputs give the same fingerprint reads them back instead of learning them again; None: unknown.
    inputs_fingerprint: Mapped[str | None] = mapped_column(String(64))
    computed_at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow)


class Alert(Base):
    """A condition a person must look at, keyed by (rule, subject)."""

    __tablename__ = "alerts"

    id: Mapped[int] = mapped_column(primary_key=True)
    rule: Mapped[str] = mapped_column(String(40))
    subject_type: Mapped[SubjectType] = mapped_column(_enum(SubjectType, "subject_type"))
    #: "line:12", "backorder:7", "supplier:3": the lifecycle key together with rule.
    subject_key: Mapped[str] = mapped_column(String(60))
    supplier_id: Mapped[int | None] = mapped_column(ForeignKey("suppliers.id", ondelete="CASCADE"))
    po_line_id: Mapped[int | None] = mapped_column(ForeignKey("po_lines.id", ondelete="CASCADE"))
    backorder_id: Mapped[int | None] = mapped_column(ForeignKey("backorders.id", ondelete="CASCADE"))
    item_id: Mapped[int | None] = mapped_column(ForeignKey("items.id", ondelete="CASCADE"))
    severity: Mapped[Severity] = mapped_column(_enum(Severity, "severity"))
    status: Mapped[AlertStatus] = mapped_column(
        _enum(AlertStatus, "alert_status"), default=AlertStatus.OPEN, server_default=AlertStatus.OPEN.value
    )
    #: In English, as the rule wrote it: exports, the API and Slack show this text.
    message: Mapped[str] = mapped_column(Text)
    #: The message's template key and values as JSON text (portal.core.alert_text renders it in the
    #: reader's language); NULL for alerts written before it: those show ``message``. Text, not JSON:
    #: the sweep compares it as it is stored, and PostgreSQL's json type has no equality.
    message_args: Mapped[str | None] = mapped_column(Text)
    #: A hash of what the sweep worded ``message`` from (portal.core.alerts.KnownMessages): a later
    #: sweep with the same hash keeps the stored text instead of wording it again. Any other UPDATE
    #: of the alert (a post's recompute, a person's action) sets it back to NULL, so a text written
    #: elsewhere is never taken for the one a hash stands for; the sweep's own writes set it.
    message_hash: Mapped[int | None] = mapped_column(BigInteger, onupdate=null())
    days_late: Mapped[int | None] = mapped_column(Integer)
    first_seen: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow)
    last_seen: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow)
    as_of: Mapped[dt.date] = mapped_column(Date)
    snoozed_until: Mapped[dt.date | None] = mapped_column(Date)
    acknowledged_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    acknowledged_at: Mapped[dt.datetime | None] = mapped_column(DateTime)
    resolved_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    resolved_at: Mapped[dt.datetime | None] = mapped_column(DateTime)
    #: Set when a person resolves the alert: what the condition was then. While set, the same
    #: condition stays closed unless it gets worse (see portal.core.alerts.reconcile).
    #: A severity value as text, without the enum's CHECK: a column in a CHECK cannot be dropped
    #: in place on SQLite, and rebuilding this table (which others reference) in a downgrade fails.
    dismissed_severity: Mapped[str | None] = mapped_column(String(20))
    dismissed_days_late: Mapped[int | None] = mapped_column(Integer)
    #: Why a dismissed condition opened again ("was 3 days late when dismissed, now 9"), in English.
    reopen_reason: Mapped[str | None] = mapped_column(Text)
    #: The reason's template key and values as JSON text, as ``message_args`` for the message (NULL
    #: for reasons written before it: those show ``reopen_reason``).
    reopen_args: Mapped[str | None] = mapped_column(Text)

    comments: Mapped[list[AlertComment]] = relationship(
        back_populates="alert", cascade="all, delete-orphan", order_by="AlertComment.created_at"
    )

    __table_args__ = (
        # One live alert per (rule, subject): updated while the condition holds, never duplicated.
        Index(
            "uq_alerts_live_rule_subject",
            "rule",
            "subject_key",
            unique=True,
            sqlite_where=text("status <> 'resolved'"),
            postgresql_where=text("status <> 'resolved'"),
        ),
        Index("ix_alerts_status_severity", "status", "severity"),
        Index("ix_alerts_supplier_status", "supplier_id", "status"),
        Index("ix_alerts_po_line_id", "po_line_id"),
        Index("ix_alerts_backorder_id", "backorder_id"),
        # A subject's live alerts (its inbox problem, portal.services.planning.problems; the inbox
        # page's). With the status: SQLite's planner, without statistics, otherwise prefers
        # ix_alerts_status_severity and reads every live alert for a few subjects.
        Index("ix_alerts_subject_key_status", "subject_key", "status"),
        # Half of each page free (PostgreSQL): an update keeps its row on its page with no index
        # entry added (see migration 0019_fillfactor). Since 0020_lastseen a sweep no longer
        # updates every live alert (see SweepRun), so this matters less than when it was set.
        {"postgresql_with": {"fillfactor": 50}},
    )


class SweepRun(Base):
    """One pass of a sweep over everything (or over one shard of it), recorded once.

    A live alert still holding when a sweep passes over it is "seen" at that pass: instead of
    writing ``last_seen`` and ``as_of`` into every such alert (146,000 rows per sweep at scale L),
    the pass is recorded here, and an alert's ``last_seen`` is its own, or the latest pass after it
    that covered its subject while it was live (portal.services.planning.seen).
    """

    __tablename__ = "sweep_runs"

    id: Mapped[int] = mapped_column(primary_key=True)
    #: The pass's moment: what it would have written into ``last_seen`` of the alerts it saw.
    seen_at: Mapped[dt.datetime] = mapped_column(DateTime)
    #: The day the pass computed as of: what it would have written into the alerts' ``as_of``.
    as_of: Mapped[dt.date] = mapped_column(Date)
    #: The shard ``shard_k``/``shard_n`` it covered (a ``sweep --shard`` or one chunk of a sweep
    #: in chunks); both NULL: everything.
    shard_k: Mapped[int | None] = mapped_column(Integer)
    shard_n: Mapped[int | None] = mapped_column(Integer)
    finished_at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow)

    __table_args__ = (Index("ix_sweep_runs_shard_seen_at", "shard_n", "shard_k", "seen_at"),)


class InboxProblem(Base):
    """One subject's live alerts in the buyer's inbox, grouped as a problem: what the inbox orders,
    pages and counts by (portal.services.planning.problems keeps it; portal.queries.alerts reads it).

    Written in the transaction of every write that changes a subject's alerts or the orders waiting
    on it (the sweep: every subject; a post: its line and its item's; an action on alerts: theirs),
    so the inbox of a million problems reads rows already grouped instead of grouping 1.4 million
    alerts per view. Counts the open and acknowledged alerts above info that are not snoozed on
    ``built_for``; ``visible_from``/``snooze_ends`` bound the days on which that still holds.
    """

    __tablename__ = "inbox_problems"

    subject_key: Mapped[str] = mapped_column(String(60), primary_key=True)
    #: The worst severity's rank (portal.core.domain.Severity.rank), 0 without a visible alert.
    rank: Mapped[int] = mapped_column(Integer)
    days_late: Mapped[int] = mapped_column(Integer)
    first_seen: Mapped[dt.datetime | None] = mapped_column(DateTime)
    #: The newest visible alert's first_seen: the problem is new to a reader who last came before it.
    newest_seen: Mapped[dt.datetime | None] = mapped_column(DateTime)
    #: Visible alerts (0: every live alert of the subject is snoozed; the row is kept for its dates).
    alerts: Mapped[int] = mapped_column(Integer)
    customers: Mapped[float] = mapped_column(Float)
    waiting_orders: Mapped[int] = mapped_column(Integer)
    impact: Mapped[float] = mapped_column(Float)
    #: The row holds for a reader whose today is on or after this (the latest snooze that had ended
    #: when it was built; before it, that alert would still be snoozed). NULL: any day.
    visible_from: Mapped[dt.date | None] = mapped_column(Date)
    #: ... and before this (the first snooze still running when it was built). NULL: any day.
    snooze_ends: Mapped[dt.date | None] = mapped_column(Date)

    __table_args__ = (
        Index("ix_inbox_problems_visible_from", "visible_from"),
        Index("ix_inbox_problems_snooze_ends", "snooze_ends"),
    )


class AlertComment(Base):
    __tablename__ = "alert_comments"

    id: Mapped[int] = mapped_column(primary_key=True)
    alert_id: Mapped[int] = mapped_column(ForeignKey("alerts.id", ondelete="CASCADE"), index=True)
    author_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    author_name: Mapped[str] = mapped_column(String(120))
    body: Mapped[str] = mapped_column(Text)
    created_at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow)

    alert: Mapped[Alert] = relationship(back_populates="comments")


class AuditEvent(Base):
    """Who changed what, when, with the values before and after."""

    __tablename__ = "audit_events"

    id: Mapped[int] = mapped_column(primary_key=True)
    at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow, index=True)
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    actor_name: Mapped[str] = mapped_column(String(120))
    action: Mapped[str] = mapped_column(String(60))
    entity: Mapped[str] = mapped_column(String(60))
    entity_id: Mapped[str | None] = mapped_column(String(60))
    #: The line this event concerns, if any, so a line's audit trail is one indexed query.
    po_line_id: Mapped[int | None] = mapped_column(ForeignKey("po_lines.id", ondelete="SET NULL"), index=True)
    before: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    after: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    #: The API token the change came through (None: the browser, the command line, the scheduler).
    api_token_id: Mapped[int | None] = mapped_column(ForeignKey("api_tokens.id", ondelete="SET NULL"))
    #: The posting link the change came through (a supplier posting from its reminder, no login).
    posting_link_id: Mapped[int | None] = mapped_column(ForeignKey("posting_links.id", ondelete="SET NULL"))

    __table_args__ = (Index("ix_audit_events_entity", "entity", "entity_id"),)


class User(Base):
    __tablename__ = "users"

    id: Mapped[int] = mapped_column(primary_key=True)
    username: Mapped[str] = mapped_column(String(80), unique=True)
    display_name: Mapped[str] = mapped_column(String(120))
    email: Mapped[str | None] = mapped_column(String(254))
    password_hash: Mapped[str] = mapped_column(String(200))
    role: Mapped[Role] = mapped_column(_enum(Role, "role"))
    supplier_id: Mapped[int | None] = mapped_column(ForeignKey("suppliers.id"), index=True)
    active: Mapped[bool] = mapped_column(Boolean, default=True, server_default=text("true"))
    failed_logins: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    locked_until: Mapped[dt.datetime | None] = mapped_column(DateTime)
    last_login_at: Mapped[dt.datetime | None] = mapped_column(DateTime)
    #: When the user last opened the alert inbox: "new since my last visit".
    alerts_seen_at: Mapped[dt.datetime | None] = mapped_column(DateTime)
    #: The last look at the alerts before the current visit (a login): "new" counts from it.
    previous_visit_at: Mapped[dt.datetime | None] = mapped_column(DateTime)
    #: The portal's language for this user (portal.i18n.LANGUAGES); None: follow the browser.
    language: Mapped[str | None] = mapped_column(String(16))
    created_at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow)

    supplier: Mapped[Supplier | None] = relationship()

    __table_args__ = (
        # A supplier user belongs to exactly one supplier; nobody else belongs to one.
        CheckConstraint(
            "(role = 'supplier' AND supplier_id IS NOT NULL) OR (role <> 'supplier' AND supplier_id IS NULL)",
            name="supplier_user_has_supplier",
        ),
        CheckConstraint("failed_logins >= 0", name="failed_logins_non_negative"),
    )


class Setting(Base):
    """An admin-set value (threshold, weight, buffer quantile) that overrides its default."""

    __tablename__ = "settings"

    key: Mapped[str] = mapped_column(String(80), primary_key=True)
    value: Mapped[Any] = mapped_column(JSON)
    updated_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    updated_at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow, onupdate=utcnow)


class ImportMapping(Base):
    """A user's remembered column mapping for one import kind (file header -> our column)."""

    __tablename__ = "import_mappings"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    kind: Mapped[str] = mapped_column(String(20))
    mapping: Mapped[dict[str, str]] = mapped_column(JSON)
    updated_at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow, onupdate=utcnow)

    __table_args__ = (UniqueConstraint("user_id", "kind"),)


class SupplierFollow(Base):
    """A buyer following a supplier: its digest covers only followed suppliers (all when none)."""

    __tablename__ = "supplier_follows"

    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), primary_key=True)
    supplier_id: Mapped[int] = mapped_column(ForeignKey("suppliers.id", ondelete="CASCADE"), primary_key=True)


class NotificationPreference(Base):
    """A user's opt-out of one kind of notification (absent row: opted in)."""

    __tablename__ = "notification_preferences"

    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), primary_key=True)
    kind: Mapped[str] = mapped_column(String(40), primary_key=True)
    enabled: Mapped[bool] = mapped_column(Boolean, default=True)


class Webhook(Base):
    """A team's Slack-compatible webhook for critical alerts."""

    __tablename__ = "webhooks"

    id: Mapped[int] = mapped_column(primary_key=True)
    team: Mapped[str] = mapped_column(String(80), unique=True)
    url: Mapped[str] = mapped_column(String(500))
    active: Mapped[bool] = mapped_column(Boolean, default=True, server_default=text("true"))
    created_at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow)


class Notification(Base):
    """The notification log and outbox: one row per message, unique by what it is about.

    A message is recorded (status pending) in the same transaction that decides to send it;
    the sender delivers pending rows and marks them sent, so a crash resumes without sending
    twice and nothing decided is lost. Failures are retried with backoff until max attempts.
    """

    __tablename__ = "notifications"

    id: Mapped[int] = mapped_column(primary_key=True)
    channel: Mapped[str] = mapped_column(String(20))  # email | webhook
    kind: Mapped[str] = mapped_column(String(40))  # alert_digest | supplier_reminder | critical_webhook
    #: What makes this message unique (e.g. "digest:user:5:sweep:2026-03-06"): never sent twice.
    dedup_key: Mapped[str] = mapped_column(String(200), unique=True)
    recipient: Mapped[str] = mapped_column(String(500))
    subject: Mapped[str] = mapped_column(String(300))
    payload: Mapped[dict[str, Any]] = mapped_column(JSON)
    status: Mapped[str] = mapped_column(String(20), default="pending", server_default="pending")
    attempts: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    next_attempt_at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow)
    last_error: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow)
    sent_at: Mapped[dt.datetime | None] = mapped_column(DateTime)

    __table_args__ = (
        CheckConstraint("status IN ('pending', 'sending', 'sent', 'failed')", name="status_known"),
        Index("ix_notifications_status_next", "status", "next_attempt_at"),
    )


class AlertNotification(Base):
    """Which alert at which severity a notification already announced (never twice for the same thing)."""

    __tablename__ = "alert_notifications"

    alert_id: Mapped[int] = mapped_column(ForeignKey("alerts.id", ondelete="CASCADE"), primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), primary_key=True)
    severity: Mapped[str] = mapped_column(String(20), primary_key=True)
    notification_id: Mapped[int | None] = mapped_column(ForeignKey("notifications.id", ondelete="SET NULL"))


class JobLock(Base):
    """A named lock with an expiry, so one sweep runs at a time on SQLite (PostgreSQL: advisory locks)."""

    __tablename__ = "job_locks"

    name: Mapped[str] = mapped_column(String(60), primary_key=True)
    holder: Mapped[str] = mapped_column(String(120))
    acquired_at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow)
    expires_at: Mapped[dt.datetime] = mapped_column(DateTime)


class UserSession(Base):
    """A server-side login session, referenced by a signed cookie; ended on logout or inactivity.

    A login first creates the row with a one-time ticket (valid a minute); the browser brings
    the ticket to /portal-auth/start, which exchanges it for the session token set in the cookie.
    Only hashes are stored, so a copy of the database gives no usable ticket or cookie.
    """

    __tablename__ = "user_sessions"

    id: Mapped[int] = mapped_column(primary_key=True)
    #: SHA-256 of the session token (None until the ticket is exchanged).
    token_hash: Mapped[str | None] = mapped_column(String(64), unique=True)
    #: SHA-256 of the one-time login ticket (None once exchanged).
    ticket_hash: Mapped[str | None] = mapped_column(String(64), unique=True)
    ticket_expires_at: Mapped[dt.datetime | None] = mapped_column(DateTime)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    created_at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow)
    last_seen_at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow)
    ended_at: Mapped[dt.datetime | None] = mapped_column(DateTime)
    user_agent: Mapped[str | None] = mapped_column(String(300))


class ScorecardSnapshot(Base):
    """A stored computation of every supplier's monthly scorecard totals (the ranking reads it).

    Computing the ranking live reads every receipt and production report; at a thousand
    suppliers that takes seconds, so ``portal scorecards refresh`` (nightly, or the ranking's
    button) stores the monthly totals here. Only the latest snapshot is kept. It records the
    settings its events depend on: when an admin changes them, the ranking computes live until
    the next refresh. Weights and the minimum line count apply when it is read. With it, one
    :class:`ScorecardRankRow` per supplier holds what the ranking shows for ``rank_end_month``.
    """

    __tablename__ = "scorecard_snapshots"

    id: Mapped[int] = mapped_column(primary_key=True)
    as_of: Mapped[dt.date] = mapped_column(Date)
    computed_at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow)
    computed_by: Mapped[str] = mapped_column(String(120))
    on_time_tolerance_days: Mapped[int] = mapped_column(Integer)
    in_full_threshold: Mapped[float] = mapped_column(Float)
    #: The highest id of each table its totals read, when computed ({"receipts": 812, ...}): rows
    #: above them name the suppliers whose totals are computed live until the next refresh.
    watermarks: Mapped[dict[str, int] | None] = mapped_column(JSON)
    #: The end month (``portal.core.scorecard.month_index``) of the rolling windows its rank rows
    #: hold: the ranking's default month when computed. None: no rank rows (older snapshots).
    rank_end_month: Mapped[int | None] = mapped_column(Integer)
    #: The highest ``sweep_runs`` id when the rank rows' line counts were taken: a sweep since may
    #: have moved any line's forecast, so the late lines are counted again until the next refresh.
    counts_sweep_run: Mapped[int | None] = mapped_column(Integer)


class ScorecardTotalsColumns:
    """The additive scorecard totals (``portal.core.scorecard.TOTALS``), one column each: what a
    supplier-month (:class:`ScorecardTotal`) and a supplier's ranking window (:class:`ScorecardRankRow`)
    both store."""

    otd_receipts: Mapped[float] = mapped_column(Float, default=0)
    otd_on_time: Mapped[float] = mapped_column(Float, default=0)
    otif_lines: Mapped[float] = mapped_column(Float, default=0)
    otif_on_time: Mapped[float] = mapped_column(Float, default=0)
    late_lines: Mapped[float] = mapped_column(Float, default=0)
    late_days: Mapped[float] = mapped_column(Float, default=0)
    planned_qty: Mapped[float] = mapped_column(Float, default=0)
    credited_qty: Mapped[float] = mapped_column(Float, default=0)
    promise_lines: Mapped[float] = mapped_column(Float, default=0)
    promises_kept: Mapped[float] = mapped_column(Float, default=0)
    slipped_lines: Mapped[float] = mapped_column(Float, default=0)
    slip_days: Mapped[float] = mapped_column(Float, default=0)
    received_qty: Mapped[float] = mapped_column(Float, default=0)
    rejected_qty: Mapped[float] = mapped_column(Float, default=0)
    production_days: Mapped[float] = mapped_column(Float, default=0)
    reported_on_time: Mapped[float] = mapped_column(Float, default=0)


class ScorecardTotal(ScorecardTotalsColumns, Base):
    """One supplier's additive scorecard totals for one month of a snapshot, and its window's lines.

    ``month`` counts months since 1970-01 (``portal.core.scorecard.month_index``); the columns
    are ``portal.core.scorecard.TOTALS``; ``window_lines`` is the number of distinct lines in
    the 12 months ending with this month (lines do not add up month by month).
    """

    __tablename__ = "scorecard_totals"

    snapshot_id: Mapped[int] = mapped_column(
        ForeignKey("scorecard_snapshots.id", ondelete="CASCADE"), primary_key=True
    )
    supplier_id: Mapped[int] = mapped_column(ForeignKey("suppliers.id", ondelete="CASCADE"), primary_key=True)
    month: Mapped[int] = mapped_column(Integer, primary_key=True)
    window_lines: Mapped[int] = mapped_column(Integer, default=0)


class ScorecardRankRow(ScorecardTotalsColumns, Base):
    """What the ranking shows of one supplier for the snapshot's ``rank_end_month``, stored by a refresh.

    The rolling-12 ``TOTALS`` and distinct ``lines`` of the window ending then (its rates and score
    are derived when read, with the settings of then); ``history``, the score inputs of the 12
    windows ending with each month of it, oldest first (``{"lines": [...], "otd": [...], ...}``:
    the lines and the rates ``portal.core.settings.SCORE_METRICS`` weigh, None where unknown); and
    the supplier's line counts when it was computed. One row per supplier, so the ranking of that
    month reads one row per supplier instead of summing supplier-months and counting every line.
    """

    __tablename__ = "scorecard_rank_rows"

    snapshot_id: Mapped[int] = mapped_column(
        ForeignKey("scorecard_snapshots.id", ondelete="CASCADE"), primary_key=True
    )
    supplier_id: Mapped[int] = mapped_column(ForeignKey("suppliers.id", ondelete="CASCADE"), primary_key=True)
    lines: Mapped[int] = mapped_column(Integer, default=0)
    history: Mapped[dict[str, list[float | None]]] = mapped_column(JSON)
    count_total_lines: Mapped[int] = mapped_column(Integer, default=0)
    count_open_lines: Mapped[int] = mapped_column(Integer, default=0)
    count_late_lines: Mapped[int] = mapped_column(Integer, default=0)
    count_received_lines: Mapped[int] = mapped_column(Integer, default=0)


class ApiToken(Base):
    """A personal API token: acts as its user (role, supplier) on /api/v1, until it expires or is revoked.

    Only the SHA-256 of the secret is stored; the secret is shown once, when the token is made.
    """

    __tablename__ = "api_tokens"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    name: Mapped[str] = mapped_column(String(80))
    #: The secret's first characters, so a person can tell their tokens apart.
    prefix: Mapped[str] = mapped_column(String(16))
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow)
    created_by: Mapped[str] = mapped_column(String(120))
    expires_at: Mapped[dt.datetime | None] = mapped_column(DateTime)
    last_used_at: Mapped[dt.datetime | None] = mapped_column(DateTime)
    revoked_at: Mapped[dt.datetime | None] = mapped_column(DateTime)


class ApiIdempotencyKey(Base):
    """A retried API write's first answer: same user and key with the same request gets it again.

    The row is reserved (no status yet) before the write runs and completed with the response
    after it, so a retry arriving meanwhile is told to wait instead of writing twice.
    """

    __tablename__ = "api_idempotency_keys"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    key: Mapped[str] = mapped_column(String(200))
    token_id: Mapped[int | None] = mapped_column(ForeignKey("api_tokens.id", ondelete="SET NULL"))
    #: SHA-256 of method, path and body: the same key with another request is refused.
    request_hash: Mapped[str] = mapped_column(String(64))
    status_code: Mapped[int | None] = mapped_column(Integer)
    response: Mapped[Any | None] = mapped_column(JSON)
    created_at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow)

    __table_args__ = (UniqueConstraint("user_id", "key"),)


class OutputDraft(Base):
    """What a user typed in the Daily output grid for a day and has not posted yet (one per user and day).

    Saved as the grid changes, so a page change, a refresh or a new login on the same day finds it
    again; deleted when the day is posted.
    """

    __tablename__ = "output_drafts"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    report_date: Mapped[dt.date] = mapped_column(Date)
    #: {"<po_line_id>": {"good_qty": int | None, "rejected_qty": int | None, "note": str | None}}
    values: Mapped[dict[str, Any]] = mapped_column(JSON)
    updated_at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow)

    __table_args__ = (UniqueConstraint("user_id", "report_date"),)


class PostingLink(Base):
    """A signed, expiring link in a supplier's reminder: post today's output for its open lines, nothing else.

    Only the SHA-256 of the random secret is stored; the e-mail holds the secret.
    """

    __tablename__ = "posting_links"

    id: Mapped[int] = mapped_column(primary_key=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    supplier_id: Mapped[int] = mapped_column(ForeignKey("suppliers.id", ondelete="CASCADE"), index=True)
    #: The address the reminder went to (who the link was for).
    email: Mapped[str | None] = mapped_column(String(254))
    created_at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow)
    expires_at: Mapped[dt.datetime] = mapped_column(DateTime)
    revoked_at: Mapped[dt.datetime | None] = mapped_column(DateTime)
    revoked_by: Mapped[str | None] = mapped_column(String(120))
    #: When output was last posted through it (None: never used).
    used_at: Mapped[dt.datetime | None] = mapped_column(DateTime)
    uses: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
