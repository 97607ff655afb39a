"""The value objects: a schedule revision, a day's output, a receipt, a PO line, a supplier, an item,
a backorder; each with its fields and the rules between them (see :mod:`portal.core.inputs.fields`)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any, ClassVar

import pandas as pd

from portal.core.inputs.fields import (
    MAX_TEXT_LENGTH,
    Field,
    Input,
    Problem,
    Rule,
    check_fields,
)
from portal.i18n import N_, _

#: The statuses a purchase-order line may be given from outside: the rest follow production and receipts.
PO_STATUSES = ("open", "cancelled")


def _is_not_in(values: Any, allowed: tuple[str, ...]) -> Any:
    if isinstance(values, pd.Series):
        return values.notna() & ~values.str.lower().isin(allowed)
    return values.lower() not in allowed


@dataclass(frozen=True)
class LineRef(Input):
    """A purchase-order line as files and the grid name it: PO number and line number."""

    po_number: str
    line: int

    FIELDS: ClassVar[tuple[Field, ...]] = (
        Field("po_number", N_("PO number"), "str", max_length=60),
        Field("line", N_("Line"), "int", minimum=1),
    )

    @property
    def label(self) -> str:
        return f"{self.po_number}/{self.line}"


@dataclass(frozen=True)
class ScheduleRevision(Input):
    """A line's production plan: from the start date, this many good units a working day, until the end."""

    start_date: dt.date
    daily_output: int
    estimated_end_date: dt.date
    reason: str | None = None

    ON_A_LINE: ClassVar[bool] = True
    FIELDS: ClassVar[tuple[Field, ...]] = (
        Field("start_date", N_("Start date"), "date"),
        Field("daily_output", N_("Planned daily output"), "int", minimum=1),
        Field("estimated_end_date", N_("Estimated end date"), "date"),
        Field("reason", N_("Reason"), "str", required=False, max_length=MAX_TEXT_LENGTH, multiline=True),
    )
    RULES: ClassVar[tuple[Rule, ...]] = (
        Rule.at_least("estimated_end_date", "start_date", lambda: _("is before the start date")),
    )

    def check_against(self, *, order_date: dt.date | None, current_end: dt.date | None) -> list[Problem]:
        """The rules that need the line and its current schedule: start not before the order, a reason
        when the end date moves later."""
        problems = []
        if order_date is not None and self.start_date < order_date:
            problems.append(
                Problem(
                    "start_date", self.field("start_date").label, self.start_date, start_before_order_reason()
                )
            )
        if current_end is not None and self.estimated_end_date > current_end and not self.reason:
            problems.append(Problem("reason", self.field("reason").label, None, reason_required_reason()))
        return problems


def start_before_order_reason() -> str:
    return _("is before the line's order date")


def reason_required_reason() -> str:
    return _("is required when the estimated end date moves later than the current schedule")


@dataclass(frozen=True)
class DailyReport(Input):
    """A line's output of one working day: good units, rejected units and a note."""

    date: dt.date
    good_qty: int
    rejected_qty: int = 0
    note: str | None = None

    ON_A_LINE: ClassVar[bool] = True
    FIELDS: ClassVar[tuple[Field, ...]] = (
        Field("date", N_("Date"), "date"),
        Field("good_qty", N_("Good quantity"), "int", minimum=0),
        Field("rejected_qty", N_("Rejected quantity"), "int", required=False, minimum=0, default=0),
        Field("note", N_("Note"), "str", required=False, max_length=MAX_TEXT_LENGTH, multiline=True),
    )


@dataclass(frozen=True)
class ReceiptInput(Input):
    """Units of a line received at the warehouse on one day, some of them rejected."""

    received_date: dt.date
    quantity: int
    rejected_qty: int = 0

    ON_A_LINE: ClassVar[bool] = True
    FIELDS: ClassVar[tuple[Field, ...]] = (
        Field("received_date", N_("Received date"), "date"),
        Field("quantity", N_("Quantity received"), "int", minimum=1),
        Field("rejected_qty", N_("Rejected quantity"), "int", required=False, minimum=0, default=0),
    )
    RULES: ClassVar[tuple[Rule, ...]] = (
        Rule.at_most("rejected_qty", "quantity", lambda: _("is more than the quantity received")),
    )


@dataclass(frozen=True)
class PoLineInput(Input):
    """A purchase-order line as the buyer's system sends it: new, changed or cancelled."""

    po_number: str
    line: int
    supplier_code: str
    sku: str
    quantity: int
    need_by_date: dt.date
    order_date: dt.date | None = None
    promised_date: dt.date | None = None
    transit_days: int | None = None
    status: str | None = None

    FIELDS: ClassVar[tuple[Field, ...]] = (
        *LineRef.FIELDS,
        Field("supplier_code", N_("Supplier code"), "str", max_length=40),
        Field("sku", N_("SKU"), "str", max_length=60),
        Field("quantity", N_("Quantity"), "int", minimum=1),
        Field("order_date", N_("Order date"), "date", required=False),
        Field("need_by_date", N_("Need-by date"), "date"),
        Field("promised_date", N_("Promised date"), "date", required=False),
        Field("transit_days", N_("Transit days"), "int", required=False, minimum=0),
        # A line that exists is a change order; "cancelled" cancels it, "open" (or empty) keeps it.
        Field("status", N_("Status"), "str", required=False, max_length=20, lower=True),
    )
    RULES: ClassVar[tuple[Rule, ...]] = (
        Rule.at_least("need_by_date", "order_date", lambda: _("is before the order date")),
        Rule.at_least("promised_date", "order_date", lambda: _("is before the order date")),
        Rule(
            "status",
            lambda: _("must be open or cancelled (or empty)"),
            ("status",),
            lambda v: _is_not_in(v["status"], PO_STATUSES),
        ),
    )


@dataclass(frozen=True)
class SupplierInput(Input):
    """A supplier: its code and name, and optionally its country, transit, capacity, e-mails and time zone."""

    code: str
    name: str
    country: str | None = None
    transit_days: int | None = None
    capacity_per_day: int | None = None
    email: str | None = None
    timezone: str | None = None

    FIELDS: ClassVar[tuple[Field, ...]] = (
        Field("code", N_("Supplier code"), "str", max_length=40),
        Field("name", N_("Name"), "str", max_length=200),
        Field("country", N_("Country"), "country", required=False),
        Field("transit_days", N_("Transit days"), "int", required=False, minimum=0),
        Field("capacity_per_day", N_("Capacity per day"), "int", required=False, minimum=1),
        Field("email", N_("E-mail"), "email", required=False, max_length=1000),
        Field("timezone", N_("Time zone"), "timezone", required=False, max_length=64),
    )


@dataclass(frozen=True)
class ItemInput(Input):
    """An item (a SKU) and the units of it on hand."""

    sku: str
    description: str
    on_hand: int | None = None

    FIELDS: ClassVar[tuple[Field, ...]] = (
        Field("sku", N_("SKU"), "str", max_length=60),
        Field("description", N_("Description"), "str", max_length=300),
        Field("on_hand", N_("On hand"), "int", required=False, minimum=0),
    )


@dataclass(frozen=True)
class BackorderInput(Input):
    """A customer order waiting for an item: how many, since when, how urgent, what was promised."""

    order_ref: str
    sku: str
    quantity: int
    order_date: dt.date
    customer: str | None = None
    priority: int | None = None
    communicated_date: dt.date | None = None

    FIELDS: ClassVar[tuple[Field, ...]] = (
        Field("order_ref", N_("Order reference"), "str", max_length=60),
        Field("customer", N_("Customer"), "str", required=False, max_length=200),
        Field("sku", N_("SKU"), "str", max_length=60),
        Field("quantity", N_("Quantity"), "int", minimum=1),
        Field("order_date", N_("Order date"), "date"),
        Field("priority", N_("Priority"), "int", required=False),
        Field("communicated_date", N_("Communicated date"), "date", required=False),
    )


#: The value object of each file kind: its fields (after the line's PO number and line when it is
#: ON_A_LINE) are the file's columns, in order, and its rules the file's row rules.
INPUTS_BY_KIND: dict[str, type[Input]] = {
    "suppliers": SupplierInput,
    "items": ItemInput,
    "pos": PoLineInput,
    "schedules": ScheduleRevision,
    "reports": DailyReport,
    "receipts": ReceiptInput,
    "backorders": BackorderInput,
}


def build_rows(
    kind: type[Input], rows: Iterable[Mapping[str, object]], *, first_row: int = 2
) -> tuple[list[dict[str, object]], list[tuple[int, Problem]]]:
    """Check loosely typed rows (a grid, an API batch): each row's typed fields (None where refused),
    and every problem with its row number (the first row is ``first_row``, as a spreadsheet counts)."""
    line_fields = LineRef.FIELDS if kind.ON_A_LINE else ()
    typed: list[dict[str, object]] = []
    problems: list[tuple[int, Problem]] = []
    for number, raw in enumerate(rows, start=first_row):
        values, found = check_fields((*line_fields, *kind.FIELDS), kind.RULES, raw)
        typed.append(values)
        problems.extend((number, p) for p in found)
    return typed, problems
